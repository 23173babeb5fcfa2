/**
 * The inspector page in a real browser (Debian's Chromium, headless,
 * driven by playwright-core): it shows a client connecting over TCP (the
 * native stand-in library, or the vendor's with `SMARTBUS_TEST_LIBRARY`)
 * and a flow call arriving, a fault toggled on the page reaches that
 * client, and the page keeps answering while the client floods the bus;
 * with a token the page takes it from `#token=` and keeps it out of the
 * address bar, and a page of another origin cannot drive the bus. Its
 * live list keeps time order (newest first) when a slow call answers after
 * later ones, and a reset empties it of what came before; the inspector's
 * pages log no console error and throw nothing. Run by
 * `scripts/test.sh` as its own step, on both libraries:
 *
 *   deno test -A tests/browser/inspector.browser.ts
 *
 * CHROMIUM overrides the browser path (default /usr/bin/chromium);
 * INSPECTOR_SCREENSHOT=path saves a screenshot (docs/inspector.png).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { Client, silentLogger, SmartBus } from "../../mod.ts";
import { MockBackend, MockControl } from "../../src/mock/mod.ts";
import { type MockServer, startMockServer } from "../../src/mock/server.ts";
import { exportStandinEnv, TEST_LIBRARY } from "../shared/native_env.ts";
import { bounded } from "../shared/raw_client.ts";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const LONG_USER = `operator-${"x".repeat(160)}`;
const LONG_STUB = `stub-${"y".repeat(59)}`;

/** `button` can be clicked where it is drawn: inside its card, on top. */
async function clickable(page: Page, button: string): Promise<void> {
  const b = page.locator(button).first();
  // trial: every actionability check of a click, the hit test included
  // (a button drawn under the next card fails it), without clicking.
  await b.click({ trial: true, timeout: 3000 });
  const box = await b.boundingBox();
  const card = await b.locator("xpath=ancestor::section[1]").boundingBox();
  assert.ok(box && card, button);
  assert.ok(
    box.x >= card.x && box.x + box.width <= card.x + card.width + 0.5,
    `${button} at x ${box.x}..${box.x + box.width}, its card ${card.x}..${
      card.x + card.width
    }`,
  );
}
/** Console errors and uncaught exceptions of `page`, pushed to `into`. */
function watchErrors(page: Page, into: string[]): void {
  page.on("console", (m) => {
    if (m.type() === "error") {
      into.push(`console: ${m.text()} (${m.location().url})`);
    }
  });
  page.on("pageerror", (e) => into.push(`page error: ${e.message}`));
}

/** The live list's entries that carry a time, top to bottom, as [ms, text]. */
async function timedEntries(page: Page): Promise<[number, string][]> {
  const texts = await page.locator("#stream li").allTextContents();
  return texts.flatMap((t): [number, string][] => {
    // The page shows bus times as HH:MM:SS.mmm (UTC).
    const m = /^(\d\d):(\d\d):(\d\d)\.(\d{3}) /.exec(t);
    if (!m) return [];
    const [h, min, sec, ms] = m.slice(1).map(Number);
    return [[((h * 60 + min) * 60 + sec) * 1000 + ms, t]];
  });
}

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

describe("inspector - in headless Chromium", () => {
  let server: MockServer;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  let native: SmartBus;
  let app: Client;
  let peerBus: SmartBus;
  let peer: Client;
  /** What the inspector's own pages logged as errors, or threw. */
  const pageErrors: string[] = [];

  before(async () => {
    process.env.SMARTBUS_STANDIN_RECONNECT_MS = "100";
    await exportStandinEnv();
    server = await startMockServer({
      nodes: [{ unitId: 0, port: 0 }, { unitId: 1, port: 0 }],
      // A long account name: the nodes' Stop buttons must stay clickable.
      users: { app: "app-secret-9", [LONG_USER]: "other-secret-7" },
      flows: { "ivr/base": ["base"] },
      control: { port: 0 },
    });
    profile = mkdtempSync(join(tmpdir(), "inspector-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1280, height: 860 },
    });
    page = context.pages()[0] ?? await context.newPage();
    watchErrors(page, pageErrors);
    // The receiver of the flood: an in-process client of unit 31.
    peerBus = new SmartBus({
      unitId: 31,
      backend: new MockBackend(server.bus),
      logger: silentLogger,
    });
    const { host, port } = server.addresses[1];
    peer = new Client({
      bus: peerBus,
      localClientId: 1,
      masterHost: host,
      masterPort: port,
      authorUsr: "app",
      authorPwd: "app-secret-9",
    });
    await peer.connect({ timeout: 5000 });
  });

  after(async () => {
    app?.close();
    native?.close();
    peer?.close();
    peerBus?.close();
    await context?.close();
    await server?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  test("inspector - shows a client connecting and a flow call arriving; a fault toggled on the page reaches the client", async () => {
    const url = server.control!.url;
    await page.goto(url + "/");
    await page.locator("#conn.live").waitFor({ timeout: 10_000 });
    await page.locator('#nodes tr[data-unit="0"]').waitFor();

    const { host, port } = server.addresses[0];
    native = new SmartBus({
      unitId: 30,
      backend: "Deno" in globalThis ? "deno" : "bun",
      libraryPath: TEST_LIBRARY,
      logger: silentLogger,
    });
    app = new Client({
      bus: native,
      localClientId: 1,
      masterHost: host,
      masterPort: port,
      authorUsr: "app",
      authorPwd: "app-secret-9",
    });
    await app.connect({ timeout: 10_000 });
    await page.locator('#clients tr[data-addr="30:1"]').waitFor({
      timeout: 5000,
    });
    await page.locator("#stream li.presence", { hasText: "connect 30:1" })
      .waitFor({ timeout: 5000 });

    await server.control!.stubs.add({
      project: "ivr",
      flow: "hello",
      reply: { result: ["hi from a stub"] },
    });
    await page.locator("#stubs td", { hasText: "ivr/hello" }).waitFor();
    await server.control!.stubs.add({
      id: LONG_STUB,
      project: "ivr",
      flow: `unused-${"f".repeat(20)}`,
      reply: { result: ["z".repeat(300)] },
    });
    await page.locator("#stubs td", { hasText: "ivr/unused-" }).waitFor();
    await clickable(page, `button[data-act="rmstub"][data-id="${LONG_STUB}"]`);
    await clickable(page, 'button[data-act="stop"][data-unit="0"]');
    await clickable(page, 'button[data-act="kick"][data-u="30"]');
    assert.deepEqual(
      await app.invoke({
        server: 0,
        process: 0,
        project: "ivr",
        flow: "hello",
        params: ["page"],
      }, { timeout: 5000 }),
      ["hi from a stub"],
    );
    await page.locator("#stream li.flow", { hasText: "ivr/hello" })
      .filter({ hasText: "responded" }).waitFor({ timeout: 5000 });
    // The client's traffic as the bus saw it: one flow called, acknowledged
    // and answered (the table is read every 2 s).
    await page.locator('#traffic tr[data-addr="30:1/4"] td.flows', {
      hasText: "1 / 1 / 1",
    }).waitFor({ timeout: 5000 });

    // The flood: the native client sends as fast as it can for 1.5 s while
    // the page is asked to draw; it must keep answering.
    let sent = 0;
    let flooding = true;
    const flood = (async () => {
      while (flooding) {
        for (let i = 0; i < 500; i++) {
          app.send(1, 3, 31, 1, 4, `flood ${sent++}`);
        }
        await new Promise((r) => setTimeout(r, 0));
      }
    })();
    // The page's own responsiveness: how late a 16 ms timer fires there.
    await page.evaluate(() => {
      const w = window as unknown as { lag: number[]; iv: unknown };
      w.lag = [];
      let last = performance.now();
      w.iv = setInterval(() => {
        const now = performance.now();
        w.lag.push(now - last - 16);
        last = now;
      }, 16);
    });
    await new Promise((r) => setTimeout(r, 1500));
    const lag = await page.evaluate(() => {
      const w = window as unknown as { lag: number[]; iv: unknown };
      clearInterval(w.iv as number);
      return w.lag.sort((a, b) => a - b);
    });
    await page.waitForFunction(
      () => Number(document.querySelector("#r-data")?.textContent) > 0,
      undefined,
      { timeout: 3000 },
    );
    const rate = Number(await page.locator("#r-data").textContent());
    flooding = false;
    await flood;
    const items = await page.locator("#stream li").count();
    console.log(
      `inspector under flood: ${Math.round(sent / 1.5)} msgs/s sent, ` +
        `page shows ${rate} data/s, ${items} list items, page timer lag ` +
        `p50 ${lag[lag.length >> 1].toFixed(1)} ms, max ${
          lag[lag.length - 1].toFixed(1)
        } ms over ${lag.length} ticks`,
    );
    assert.ok(items <= 300, "the live list stays bounded");

    // A fault toggled on the page: stop node 0, the client hears it.
    const lost = new Promise<void>((resolve) =>
      app.on("disconnect", () => resolve())
    );
    await page.locator('button[data-act="stop"][data-unit="0"]').click();
    await bounded(lost, 5000, "the client hears its node stop");
    await page.locator('#nodes tr[data-unit="0"] td.down').waitFor();
    assert.equal(server.bus.nodes()[0].running, false);
    await page.locator('button[data-act="start"][data-unit="0"]').click();
    await page.locator('#nodes tr[data-unit="0"] td.up').waitFor();
    await page.locator('#clients tr[data-addr="30:1"]').waitFor({
      timeout: 5000,
    });
    await server.control!.stubs.add({
      project: "ivr",
      flow: "callout",
      match: { params: ["10086"] },
      replies: [{ notStarted: -1, message: "line busy" }, { result: ["ok"] }],
    });
    for (const flow of ["callout", "callout", "base"]) {
      await app.invoke({
        server: 0,
        process: 0,
        project: "ivr",
        flow,
        params: ["10086"],
      }, { timeout: 5000 }).catch(() => {});
    }
    await page.locator("#stream li.flow", { hasText: "ivr/base" }).waitFor({
      timeout: 5000,
    });
    await new MockControl(url).faults.latency({ baseMs: 20, jitterMs: 5 });
    await page.locator("#faults li", { hasText: "latency" }).waitFor();
    const html = await page.content();
    assert.ok(!html.includes("app-secret-9"), "no password on the page");
    if (process.env.INSPECTOR_SCREENSHOT) {
      await page.screenshot({ path: process.env.INSPECTOR_SCREENSHOT });
    }
  });

  test("inspector - the live list stays newest first when a slow call answers after later ones", async () => {
    const control = new MockControl(server.control!.url);
    await control.faults.healAll();
    await control.stubs.add({
      project: "ivr",
      flow: "slow",
      reply: { result: ["late"], delayMs: 800 },
    });
    const call = (flow: string, params: unknown[]) =>
      app.invoke({ server: 0, process: 0, project: "ivr", flow, params }, {
        timeout: 5000,
      });
    // A call started first, answered last: its answer must not go on top.
    const slow = call("slow", ["first"]);
    await page.locator("#stream li.flow", { hasText: "ivr/slow" }).waitFor({
      timeout: 5000,
    });
    await call("base", ["second"]);
    await page.locator("#stream li.flow", { hasText: '["second"]' })
      .filter({ hasText: "responded" }).waitFor({ timeout: 5000 });
    assert.deepEqual(await slow, ["late"]);
    await page.locator("#stream li.flow", { hasText: "ivr/slow" })
      .filter({ hasText: "responded" }).waitFor({ timeout: 5000 });
    const entries = await timedEntries(page);
    assert.ok(entries.length >= 3, entries.join("\n"));
    for (let i = 1; i < entries.length; i++) {
      assert.ok(
        entries[i - 1][0] >= entries[i][0],
        `newest first:\n${entries[i - 1][1]}\nabove\n${entries[i][1]}`,
      );
    }
  });

  test("inspector - a reset empties the live list of what came before", async () => {
    const call = (flow: string, params: unknown[]) =>
      app.invoke({ server: 0, process: 0, project: "ivr", flow, params }, {
        timeout: 5000,
      });
    const before = new Set((await timedEntries(page)).map(([, t]) => t));
    assert.ok(before.size > 0, "entries before the reset");
    const back = new Promise<void>((resolve) =>
      app.on("connectSuccess", () => resolve())
    );
    await page.locator('button[data-act="reset"]').click();
    await bounded(back, 10_000, "the app logs in again after the reset");
    await call("base", ["after reset"]);
    await page.locator("#stream li.flow", { hasText: '["after reset"]' })
      .filter({ hasText: "responded" }).waitFor({ timeout: 5000 });
    const kept = (await timedEntries(page)).filter(([, t]) => before.has(t));
    assert.deepEqual(kept, [], "entries from before the reset");
  });

  test("inspector - a token given as #token= leaves the address bar and works after a reload", async () => {
    const token = "t0k3n+/=";
    await using guarded = await startMockServer({
      nodes: [{ unitId: 0, port: 0 }],
      control: { port: 0, token },
    });
    const base = guarded.control!.url;
    const tab = await context.newPage();
    watchErrors(tab, pageErrors);
    try {
      const sent: string[] = [];
      // The page's own requests (the address typed in is not one of them).
      tab.on("request", (r) => {
        if (r.isNavigationRequest()) return;
        sent.push(`${r.url()} referer=${r.headers()["referer"] ?? ""}`);
      });
      await tab.goto(`${base}/#token=${encodeURIComponent(token)}`);
      await tab.locator("#conn.live").waitFor({ timeout: 10_000 });
      assert.equal(tab.url(), `${base}/`, "the token left the address bar");
      assert.equal(
        await tab.evaluate(() =>
          sessionStorage.getItem("smartbus-control-token")
        ),
        token,
      );
      await tab.locator('button[data-act="stop"][data-unit="0"]').click();
      await tab.locator('#nodes tr[data-unit="0"] td.down').waitFor();
      await tab.reload();
      await tab.locator("#conn.live").waitFor({ timeout: 10_000 });
      await tab.locator('button[data-act="start"][data-unit="0"]').click();
      await tab.locator('#nodes tr[data-unit="0"] td.up').waitFor();
      assert.ok(guarded.bus.nodes()[0].running);
      // Only the event stream's own URL names the token; no Referer does.
      const leaks = sent.filter((line) =>
        line.includes(encodeURIComponent(token)) &&
        !line.startsWith(`${base}/api/v1/events?access_token=`)
      );
      assert.deepEqual(leaks, []);
      assert.ok(
        sent.every((line) => line.endsWith("referer=")),
        sent.join("\n"),
      );
    } finally {
      await tab.close();
    }
  });

  test("inspector - a page of another loopback origin cannot stop a node or reset the bus", async () => {
    const url = server.control!.url;
    await server.control!.stubs.add({
      id: "kept",
      project: "ivr",
      flow: "kept",
      reply: { result: [] },
    });
    const stubs = (await server.control!.stubs.list()).map((s) => s.id);
    const evil = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(
        `<!doctype html><form id="f" method="POST" action="${url}/api/v1/reset"></form>
<script>
fetch("${url}/api/v1/nodes/1/stop", { method: "POST", mode: "no-cors" })
  .then(() => { document.title = "sent"; }, () => { document.title = "failed"; });
</script>`,
      );
    });
    await new Promise<void>((r) => evil.listen(0, "127.0.0.1", r));
    const tab = await context.newPage();
    try {
      const { port } = evil.address() as AddressInfo;
      await tab.goto(`http://127.0.0.1:${port}/`);
      await tab.waitForFunction(() => document.title !== "", undefined, {
        timeout: 5000,
      });
      // Answered (opaquely): the server has handled it.
      assert.equal(await tab.title(), "sent", "the no-cors fetch went out");
      const answer = tab.waitForResponse(`${url}/api/v1/reset`, {
        timeout: 5000,
      });
      await tab.evaluate(() =>
        (document.getElementById("f") as HTMLFormElement).submit()
      );
      const response = await answer;
      // Closing a tab in mid-navigation stalls Chromium for minutes.
      await tab.waitForURL(`${url}/api/v1/reset`, { timeout: 5000 });
      assert.equal(response.status(), 403);
      assert.ok(server.bus.nodes()[1].running, "node 1 still runs");
      assert.deepEqual(
        (await server.control!.stubs.list()).map((s) => s.id),
        stubs,
        "the bus was not reset",
      );
    } finally {
      await tab.close();
      // The browser keeps its connection alive: close it, not wait for it.
      const closed = new Promise<void>((r) => evil.close(() => r()));
      evil.closeAllConnections();
      await closed;
    }
  });
  test("inspector - its pages logged no console error and threw nothing", async () => {
    // After every other test: they drove the pages this checks.
    assert.deepEqual(pageErrors, []);
    // Asked by every browser that opens the page.
    const icon = await fetch(`${server.control!.url}/favicon.ico`);
    await icon.body?.cancel();
    assert.ok(icon.ok, `GET /favicon.ico: ${icon.status}`);
  });
});

/**
 * The control API's HTTP surface against web pages, careless clients and
 * attackers: the same-origin rule for requests that change state (CSRF),
 * the token only in `Authorization` (the event stream alone also takes it
 * in the query), the page's token handling, and bad paths.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ControlConfigError, MockBus } from "../src/mock/mod.ts";
import { startControlServer } from "../src/mock/control/control_server.ts";
import { runCli } from "../src/cli/run.ts";
import type { Io } from "../src/cli/io.ts";
import { bounded } from "./shared/raw_client.ts";
import { controlEnv } from "./shared/control_env.ts";
import { raw, type RawRequest } from "./shared/raw_http.ts";

const A = "/api/v1";
const EVIL = "http://evil.example";

describe("mock control - HTTP surface", () => {
  test("mock control - bad paths: malformed percent-encoding is 400, node numbers are decimal 0-15, journal kinds are own names", async () => {
    await using env = await controlEnv();
    const { url } = env;
    for (
      const [method, path] of [
        ["GET", `${A}/stubs/%E0%A4%A`],
        ["DELETE", `${A}/stubs/%`],
        ["DELETE", `${A}/faults/rules/%ZZ`],
        ["GET", `${A}/journal/%C0`],
        ["POST", `${A}/nodes/%E0/stop`],
      ]
    ) {
      const r = await raw(url, { method, path });
      assert.equal(r.status, 400, `${method} ${path}`);
      assert.equal(r.body.error.code, "invalid_path");
    }
    for (
      const unit of [
        "%20",
        "1e0",
        "0x1",
        "-0",
        "01",
        "+1",
        "1.0",
        "16",
        "99",
        "%200",
      ]
    ) {
      for (const verb of ["stop", "start"]) {
        const r = await raw(url, {
          method: "POST",
          path: `${A}/nodes/${unit}/${verb}`,
        });
        assert.equal(r.status, 400, `${unit} ${verb}`);
        assert.equal(r.body.error.code, "invalid_argument");
      }
    }
    const missing = await raw(url, {
      method: "POST",
      path: `${A}/nodes/5/stop`,
    });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, "not_found");
    assert.deepEqual((await env.control.state()).nodes.map((n) => n.running), [
      true,
      true,
    ]);
    assert.equal(
      (await raw(url, { method: "POST", path: `${A}/nodes/1/stop` })).status,
      200,
    );
    assert.deepEqual((await env.control.state()).nodes.map((n) => n.running), [
      true,
      false,
    ]);

    for (
      const kind of [
        "constructor",
        "__proto__",
        "toString",
        "hasOwnProperty",
        "valueOf",
      ]
    ) {
      for (const tail of ["", "/count", "/wait?timeoutMs=0"]) {
        const r = await raw(url, { path: `${A}/journal/${kind}${tail}` });
        assert.equal(r.status, 404, `${kind}${tail}`);
        assert.equal(r.body.error.code, "not_found");
      }
    }
  });

  test("mock control - another origin cannot change state: Origin, Sec-Fetch, forms, text/plain; reads and the page's own origin still work", async () => {
    await using env = await controlEnv();
    const { control, url } = env;
    await control.stubs.add({
      id: "kept",
      project: "ivr",
      flow: "x",
      reply: { result: [] },
    });
    const port = new URL(url).port;
    const refused: [string, RawRequest, number][] = [
      // The reported curl: no body, so no JSON check ran.
      ["curl with Origin and text/plain", {
        method: "POST",
        path: `${A}/reset`,
        headers: { origin: EVIL, "content-type": "text/plain" },
      }, 403],
      // fetch(..., { mode: "no-cors", method: "POST" }) from a page on
      // another loopback port.
      ["no-cors fetch from another port", {
        method: "POST",
        path: `${A}/nodes/0/stop`,
        headers: {
          origin: "http://127.0.0.1:1",
          "sec-fetch-site": "same-site",
          "sec-fetch-mode": "no-cors",
        },
      }, 403],
      ["a field-less form", {
        method: "POST",
        path: `${A}/reset`,
        headers: {
          origin: EVIL,
          "content-type": "application/x-www-form-urlencoded",
          "sec-fetch-site": "cross-site",
          "sec-fetch-mode": "navigate",
        },
        body: "",
      }, 403],
      ["Origin: null (a sandboxed frame)", {
        method: "DELETE",
        path: `${A}/stubs`,
        headers: { origin: "null" },
      }, 403],
      ["Sec-Fetch-Site cross-site without Origin", {
        method: "POST",
        path: `${A}/faults/heal-all`,
        headers: { "sec-fetch-site": "cross-site" },
      }, 403],
      ["a form without Origin (Sec-Fetch-Mode navigate)", {
        method: "POST",
        path: `${A}/reset`,
        headers: { "sec-fetch-mode": "navigate" },
      }, 403],
      ["an empty form without any browser header", {
        method: "POST",
        path: `${A}/reset`,
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "",
      }, 415],
      ["a text/plain body with JSON in it, from another origin", {
        method: "POST",
        path: `${A}/stubs`,
        headers: { origin: EVIL, "content-type": "text/plain" },
        body: JSON.stringify({
          project: "ivr",
          flow: "evil",
          reply: { result: [] },
        }),
      }, 403],
      ["a multipart body", {
        method: "DELETE",
        path: `${A}/stubs/kept`,
        headers: { "content-type": "multipart/form-data; boundary=x" },
        body: "--x--\r\n",
      }, 415],
    ];
    for (const [what, r, status] of refused) {
      const answer = await raw(url, r);
      assert.equal(answer.status, status, what);
      assert.equal(
        answer.body?.error?.code,
        status === 403 ? "forbidden_origin" : "unsupported_media_type",
        what,
      );
    }
    const state = await control.state();
    assert.deepEqual(
      state.stubs.map((s) => s.id),
      ["kept"],
      "nothing was reset or added",
    );
    assert.deepEqual(state.nodes.map((n) => n.running), [true, true]);

    // Reading from another origin answers (without CORS the page cannot read it).
    assert.equal(
      (await raw(url, { path: `${A}/state`, headers: { origin: EVIL } }))
        .status,
      200,
    );
    // The page itself: same origin, as 127.0.0.1 or as localhost.
    const own = await raw(url, {
      method: "POST",
      path: `${A}/nodes/0/stop`,
      headers: {
        origin: url,
        "sec-fetch-site": "same-origin",
        "sec-fetch-mode": "cors",
      },
    });
    assert.equal(own.status, 200);
    assert.equal((await control.state()).nodes[0].running, false);
    const viaLocalhost = await raw(url, {
      method: "POST",
      path: `${A}/nodes/0/start`,
      headers: {
        host: `localhost:${port}`,
        origin: `http://localhost:${port}`,
        "content-type": "application/json",
      },
      body: "{}",
    });
    assert.equal(viaLocalhost.status, 200);
    // curl and scripts send no Origin.
    assert.equal(
      (await raw(url, { method: "POST", path: `${A}/reset` })).status,
      200,
    );
    assert.deepEqual((await control.state()).stubs, []);
  });

  test("mock control - with a token, another origin may change state only with it in Authorization", async () => {
    await using env = await controlEnv({
      control: { port: 0, token: "t0k3n" },
    });
    const r = (headers: Record<string, string>) =>
      raw(env.url, {
        method: "POST",
        path: `${A}/faults/heal-all`,
        headers: { origin: EVIL, "sec-fetch-site": "cross-site", ...headers },
      });
    assert.equal((await r({})).status, 401);
    assert.equal((await r({ authorization: "Bearer t0k3n" })).status, 200);
  });

  test("mock control - the token: only in Authorization (any case of Bearer); ?access_token= on the event stream alone", async () => {
    await using env = await controlEnv({
      control: { port: 0, token: "t0k3n" },
    });
    const { url } = env;
    for (
      const path of [
        `${A}/reset?access_token=t0k3n`,
        `${A}/stubs?access_token=t0k3n`,
      ]
    ) {
      const method = path.startsWith(`${A}/reset`) ? "POST" : "DELETE";
      const viaQuery = await raw(url, { method, path });
      assert.equal(viaQuery.status, 401, path);
      assert.equal(viaQuery.body.error.code, "unauthorized");
      assert.match(viaQuery.body.error.message, /Authorization: Bearer/);
    }
    assert.equal(
      (await raw(url, { path: `${A}/state?access_token=t0k3n` })).status,
      401,
    );
    for (const scheme of ["Bearer", "bearer", "BEARER", "bEaReR"]) {
      const ok = await raw(url, {
        path: `${A}/state`,
        headers: { authorization: `${scheme} t0k3n` },
      });
      assert.equal(ok.status, 200, scheme);
    }
    assert.equal(
      (await raw(url, {
        path: `${A}/state`,
        headers: { authorization: "Basic t0k3n" },
      })).status,
      401,
    );
    assert.equal(
      (await raw(url, { path: `${A}/events?access_token=t0k3n` })).status,
      200,
    );
    assert.equal(
      (await raw(url, { path: `${A}/events?access_token=nope` })).status,
      401,
    );
    assert.equal((await raw(url, { path: `${A}/events` })).status, 401);
    assert.equal(
      (await raw(url, {
        path: `${A}/events`,
        headers: { authorization: "Bearer t0k3n" },
      })).status,
      200,
    );
    // The page holds no data: it is served without the token, which it
    // then takes from the fragment (never sent to the server).
    assert.equal((await raw(url, { path: "/" })).status, 200);
    assert.equal((await raw(url, { path: "/inspector" })).status, 200);
  });

  test("mock control - the page keeps the token out of URLs: read from #token= once, kept in sessionStorage, no Referer", async () => {
    await using env = await controlEnv({
      control: { port: 0, token: "t0k3n" },
    });
    for (const path of ["/", "/inspector"]) {
      const page = await raw(env.url, { path });
      assert.equal(page.headers["referrer-policy"], "no-referrer", path);
      assert.doesNotMatch(page.text, /location\.search/);
      assert.doesNotMatch(page.text, /URLSearchParams\(location/);
      assert.match(page.text, /location\.hash/);
      assert.match(page.text, /sessionStorage\.setItem/);
      assert.match(
        page.text,
        /history\.replaceState\(null, "", location\.pathname\)/,
      );
      // Only the event stream's URL carries it (EventSource sends no header).
      assert.equal(page.text.match(/access_token/g)?.length, 1);
      assert.match(
        page.text,
        /new EventSource\(A \+ "\/events" \+ \(token \? "\?access_token="/,
      );
    }
  });

  test("mock control - a token no client could send back is refused at start", async () => {
    const bus = new MockBus();
    for (const token of ["", " ", "\t\t", " t0k3n", "t0k3n ", "t0\nk3n"]) {
      await assert.rejects(
        startControlServer(bus, { port: 0, token }),
        (e: unknown) =>
          e instanceof ControlConfigError && /control token/.test(e.message),
        JSON.stringify(token),
      );
    }
    const fine = await startControlServer(bus, { port: 0, token: "a b+c/=" });
    await fine.close();
  });

  test("mock control - smartbus mock with a token shows how to open the page without echoing the token; an empty token is a usage error", async () => {
    const run = async (argv: string[], env: Record<string, string>) => {
      const out: string[] = [];
      const err: string[] = [];
      const ac = new AbortController();
      const io: Io = {
        out: (line) => {
          out.push(line);
          if (line.startsWith("control ")) ac.abort();
        },
        err: (line) => void err.push(line),
        errStatus: () => {},
        errIsTTY: false,
        env,
      };
      const code = await bounded(
        runCli(
          ["mock", "--node", "0=127.0.0.1:0", "--ipsc", "none", ...argv],
          io,
          ac.signal,
        ),
        10_000,
        "smartbus mock",
      );
      return { code, out, err };
    };
    const served = await run(["--control", "127.0.0.1:0"], {
      SMARTBUS_CONTROL_TOKEN: "t0k3n-Secret",
    });
    assert.equal(served.code, 0, served.err.join("\n"));
    const url = served.out.find((l) => l.startsWith("control "))!.slice(8);
    assert.ok(
      served.err.includes(
        `mock bus: the inspector page: open ${url}/#token=<token>`,
      ),
      served.err.join("\n"),
    );
    assert.ok(
      ![...served.out, ...served.err].some((l) => l.includes("t0k3n-Secret")),
    );
    for (const token of ["", "  "]) {
      const refused = await run(["--control", "127.0.0.1:0"], {
        SMARTBUS_CONTROL_TOKEN: token,
      });
      assert.equal(refused.code, 2, JSON.stringify(token));
      assert.match(refused.err.join("\n"), /control token is empty or blank/);
    }
  });
});

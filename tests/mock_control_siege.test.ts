/**
 * `smartbus mock --control` in a child process (the runtime running the
 * test), under what a hostile or careless client does all at once: a stub
 * flood past the caps, a pathological `$regex` stub matched by a flow call
 * of 40,000 characters, 500 long polls, 16 event-stream readers that never
 * read while the state keeps changing, and 2,000 identical client cuts.
 * Throughout, `GET /api/v1/state` keeps answering and the server's RSS
 * (from `/proc`) stays under 300 MB. Linux only (RSS from `/proc`).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { Cli } from "./shared/cli_child.ts";
import { bounded, RawClient } from "./shared/raw_client.ts";
import { FrameKind } from "../src/mock/internal.ts";

const A = "/api/v1";
/** Generous against a loaded CI machine; the figures are printed. */
const STATE_BOUND_MS = 1000;
const RSS_BOUND = 300 * 1024 * 1024;

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(
    readFileSync(`/proc/${pid}/status`, "utf8"),
  );
  return m ? Number(m[1]) * 1024 : NaN;
}

async function post(url: string, body: unknown): Promise<number> {
  const r = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  await r.arrayBuffer();
  return r.status;
}

/** A raw HTTP request on its own socket, never read (`pause`). */
function stalled(port: number, path: string): Socket {
  const s = connect(port, "127.0.0.1", () => {
    s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  });
  s.on("error", () => {});
  s.pause();
  return s;
}

describe("mock control - siege of the served mock", {
  skip: existsSync("/proc/self/status") ? false : "needs /proc (Linux)",
}, () => {
  test("mock control siege - state answers and RSS stays under 300 MB through floods, stalls and a pathological stub", async () => {
    const cli = new Cli([
      "mock",
      "--node",
      "0=127.0.0.1:0",
      "--control",
      "127.0.0.1:0",
      "--json",
      "-q",
    ]);
    const sockets: Socket[] = [];
    let raw: RawClient | undefined;
    try {
      const node = await cli.waitFor(
        "stdout",
        /"event":"listening".*?"port":(\d+)/,
      );
      const ctl = await cli.waitFor(
        "stdout",
        /"event":"control","url":"([^"]+)"/,
      );
      const url = ctl[1];
      const httpPort = Number(new URL(url).port);
      const pid = cli.child.pid!;
      const times: number[] = [];
      let peak = rssOf(pid);
      const check = async (what: string): Promise<void> => {
        const t0 = performance.now();
        const r = await bounded(fetch(`${url}${A}/state`), 10_000, what);
        await r.arrayBuffer();
        const ms = performance.now() - t0;
        times.push(ms);
        assert.equal(r.status, 200, what);
        assert.ok(ms < STATE_BOUND_MS, `${what}: GET /state took ${ms} ms`);
        peak = Math.max(peak, rssOf(pid));
        assert.ok(peak < RSS_BOUND, `${what}: RSS ${peak >> 20} MB`);
      };

      // 1. Stubs of 60 KiB until the caps refuse them (413), then 20 more.
      const big = "s".repeat(60 * 1024);
      let accepted = 0;
      let refused = 0;
      for (let i = 0; refused < 20 && i < 2000; i++) {
        const status = await post(`${url}${A}/stubs`, {
          project: "ivr",
          flow: `flood${i}`,
          reply: { result: [big] },
        });
        if (status === 201 || status === 200) accepted++;
        else {
          assert.equal(status, 413, `stub ${i}`);
          refused++;
        }
      }
      assert.ok(accepted > 0 && refused === 20, `${accepted} accepted`);
      await check("after the stub flood");

      // 2. A stub that backtracks in a backtracking engine, and a flow call
      // that would make it do so, from a raw client of the vendor's protocol.
      assert.equal(
        await post(`${url}${A}/stubs`, {
          project: "ivr",
          flow: "evil",
          match: { paramsAt: { "0": { $regex: "(a+)+$" } } },
          reply: { result: ["matched"] },
        }),
        201,
      );
      raw = await RawClient.open(Number(node[1]));
      assert.equal(await raw.login(5), 0);
      raw.invokeFlow({
        invokeId: 1,
        project: "ivr",
        flow: "evil",
        params: JSON.stringify([`${"a".repeat(40_000)}!`]),
      });
      await check("while the pathological stub is matched");
      await raw.next(
        (f) =>
          f.kind === FrameKind.FLOW_ACK || f.kind === FrameKind.FLOW_RESULT,
        10_000,
      );

      // 3. 500 long polls, each for a record that never comes.
      for (let i = 0; i < 500; i++) {
        sockets.push(
          stalled(
            httpPort,
            `${A}/journal/messages/wait?text=n${i}&timeoutMs=30000`,
          ),
        );
      }
      await check("with 500 long polls waiting");

      // 4. 16 event streams never read, while the state changes: cuts,
      // heals and 2,000 identical cuts of one client.
      for (let i = 0; i < 16; i++) {
        sockets.push(stalled(httpPort, `${A}/events`));
      }
      const who = { unitId: 20, clientId: 5 };
      for (let i = 0; i < 2000; i++) {
        const status = await post(`${url}${A}/faults/clients/cut`, who);
        assert.ok(status < 300, `cut ${i}: ${status}`);
        if (i % 200 === 0) await check(`with 16 stalled streams, cut ${i}`);
      }
      const state = await (await fetch(`${url}${A}/state`)).json();
      assert.equal(state.faults.cutClients.length, 1, "one cut kept");
      await check("after 2,000 identical cuts");
      const sorted = [...times].sort((a, b) => a - b);
      console.log(
        `siege: GET /state p50 ${sorted[sorted.length >> 1].toFixed(1)} ms, ` +
          `max ${
            sorted[sorted.length - 1].toFixed(1)
          } ms over ${times.length}; ` +
          `RSS peak ${(peak / 2 ** 20).toFixed(0)} MB; ${accepted} stubs taken`,
      );
    } finally {
      for (const s of sockets) s.destroy();
      raw?.socket.destroy();
      cli.signal("SIGTERM");
      await cli.finish(15_000).catch(() => cli.child.kill("SIGKILL"));
    }
  });
});

/**
 * The TCP front against hostile peers: a login trickled a byte at a time,
 * control characters in what peers name, and a peer that keeps sending
 * after a protocol error. Raw sockets on loopback, every wait bounded.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  encodeFrame,
  FrameKind,
  MockBus,
  serveTcp,
  startMockServer,
  type TcpFront,
  zeroHead,
} from "../src/mock/internal.ts";
import { bounded, RawClient } from "./shared/raw_client.ts";

const te = new TextEncoder();
const td = new TextDecoder();
const NODE_PORT = 8000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function setup(
  options: { loginTimeoutMs?: number; users?: Record<string, string> } = {},
): Promise<
  {
    bus: MockBus;
    front: TcpFront;
    port: number;
    lines: string[];
    [Symbol.asyncDispose](): Promise<void>;
  }
> {
  const lines: string[] = [];
  const bus = new MockBus({ strict: true, logger: (l) => lines.push(l) });
  bus.addNode({ unitId: 3, port: NODE_PORT, users: options.users });
  const front = await serveTcp(bus, [{
    unitId: 3,
    host: "127.0.0.1",
    port: NODE_PORT,
    listenPort: 0,
  }], {
    logger: { warn: (m) => lines.push(m), info: (m) => lines.push(m) },
    loginTimeoutMs: options.loginTimeoutMs,
  });
  return {
    bus,
    front,
    port: front.addresses[0].port,
    lines,
    [Symbol.asyncDispose]: () => front.close(),
  };
}

/** A line with a control character in it (C0, DEL, C1, U+2028/9). */
// deno-lint-ignore no-control-regex -- control characters are what it looks for
const CONTROL = new RegExp("[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]");
const FORGED = "p\n[mockbus] forged line\x1b[31m\x9b2J\u2028x";

describe("mock tcp hostile", () => {
  test("mock tcp hostile - a login trickled a byte at a time is cut at the login deadline", async () => {
    await using s = await setup({ loginTimeoutMs: 300 });
    const login = encodeFrame({
      kind: FrameKind.LOGIN,
      clientId: 1,
      clientType: 4,
      unitId: 20,
      user: null,
      password: null,
      addInfo: te.encode("slow"),
    });
    const peers = await Promise.all(
      Array.from({ length: 5 }, () => RawClient.open(s.port)),
    );
    let stop = false;
    const trickle = (async () => {
      // One byte each 50 ms: well inside the heartbeat, never a whole LOGIN.
      for (let i = 0; i < 40 && !stop; i++) {
        for (const p of peers) {
          if (!p.socket.destroyed) p.socket.write(login.subarray(i, i + 1));
        }
        await sleep(50);
      }
    })();
    const t0 = Date.now();
    await bounded(
      Promise.all(peers.map((p) => p.closed)),
      3000,
      "every trickling peer is closed",
    );
    stop = true;
    await trickle;
    assert.ok(Date.now() - t0 < 1500, `closed after ${Date.now() - t0} ms`);
    for (const p of peers) {
      const close = p.frames.find((f) => f.kind === FrameKind.CLOSE);
      assert.ok(close?.kind === FrameKind.CLOSE);
      assert.equal(close.code, -3);
      assert.match(td.decode(close.reason), /no login within 300 ms/);
    }
    assert.equal(s.front.connectionCount, 0);
  });

  test("mock tcp hostile - a peer that logs in in time stays past the deadline", async () => {
    await using s = await setup({ loginTimeoutMs: 200 });
    const c = await RawClient.open(s.port);
    assert.equal(await c.login(1), 3);
    await sleep(400);
    assert.equal(s.front.connectionCount, 1);
    assert.equal(s.bus.clients().length, 1);
  });

  test("mock tcp hostile - control characters a peer sends are escaped in every log line", async () => {
    await using s = await setup({ users: { alice: "s3cret" } });
    const refused = await RawClient.open(s.port);
    assert.equal(await refused.login(1, FORGED, "x"), -5);
    const c = await RawClient.open(s.port);
    assert.equal(await c.login(2, "alice", "s3cret"), 3);
    c.invokeFlow({
      invokeId: 1,
      ipscIndex: 9,
      project: FORGED,
      flow: FORGED,
      params: "[]",
    });
    await c.next((f) => f.kind === FrameKind.FLOW_ACK);
    c.send({ kind: FrameKind.CLOSE, code: 0, reason: te.encode(FORGED) });
    await bounded(c.closed, 3000, "the closing peer is gone");
    const named = s.lines.filter((l) => l.includes("forged line"));
    assert.ok(named.length >= 3, named.join("\n"));
    for (const line of s.lines) {
      assert.doesNotMatch(line, CONTROL, JSON.stringify(line));
    }
    assert.ok(
      named.some((l) => l.includes("p\\n[mockbus] forged line\\x1b[31m\\x9b")),
      named.join("\n"),
    );
  });

  test("mock tcp hostile - the served mock's own lines (flow calls, notifications) are escaped too", async () => {
    const lines: string[] = [];
    await using server = await startMockServer({
      nodes: [{ unitId: 0, port: 0 }],
      flows: { "p/f": ["ok"] },
      log: (l) => lines.push(l),
    });
    const c = await RawClient.open(server.addresses[0].port);
    assert.equal(await c.login(1), 0);
    c.invokeFlow({
      invokeId: 1,
      project: "p",
      flow: "f",
      params: JSON.stringify([FORGED]),
    });
    await c.next((f) => f.kind === FrameKind.FLOW_RESULT);
    c.send({
      kind: FrameKind.NOTIFY,
      head: zeroHead(),
      invokeId: 2,
      serverUnit: 0,
      processIndex: 0,
      mode: 0,
      expiresMs: 1000,
      project: te.encode(FORGED),
      title: te.encode(FORGED),
      param: te.encode(FORGED),
    });
    const deadline = Date.now() + 3000;
    while (
      !lines.some((l) => l.startsWith("notify")) && Date.now() < deadline
    ) {
      await sleep(10);
    }
    assert.ok(lines.some((l) => l.startsWith("flow call p/f")));
    assert.ok(lines.some((l) => l.startsWith("notify")));
    for (const line of lines) {
      assert.doesNotMatch(line, CONTROL, JSON.stringify(line));
    }
  });

  test("mock tcp hostile - after a protocol error the front reads nothing more from that peer", async () => {
    await using s = await setup();
    const bad = await RawClient.open(s.port);
    bad.socket.write(new Uint8Array(20).fill(7)); // a wrong head flag
    await bad.next((f) => f.kind === FrameKind.CLOSE);
    const chunk = new Uint8Array(1024 * 1024).fill(7);
    for (let i = 0; i < 48; i++) bad.socket.write(chunk);
    // A front still reading drains 48 MiB of loopback in well under this.
    await sleep(700);
    const unsent = bad.socket.writableLength;
    bad.socket.destroy();
    assert.ok(
      unsent > 16 * 1024 * 1024,
      `only ${unsent} bytes left unsent: the front kept reading`,
    );
  });
});

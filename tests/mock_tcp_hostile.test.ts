/**
 * The TCP front against hostile peers: a registration trickled a byte at a
 * time, control characters in what peers name, and a peer that keeps
 * sending after a protocol error. Raw sockets on loopback, every wait
 * bounded. The vendor's protocol has no close frame: the front just closes
 * the socket, and the reason goes to its log.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import {
  encodeFrame,
  FrameDecoder,
  FrameKind,
  MockBus,
  serveTcp,
  startMockServer,
  type TcpFront,
  zeroHead,
} from "../src/mock/internal.ts";
import { bounded, RawClient } from "./shared/raw_client.ts";

const te = new TextEncoder();
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
    /** Resolves once a line (the bus's or the front's) matches `re`. */
    logged(re: RegExp): Promise<void>;
    [Symbol.asyncDispose](): Promise<void>;
  }
> {
  const lines: string[] = [];
  let wake = (): void => {};
  const push = (l: string): void => {
    lines.push(l);
    wake();
  };
  const bus = new MockBus({ strict: true, logger: push });
  bus.addNode({ unitId: 3, port: NODE_PORT, users: options.users });
  const front = await serveTcp(bus, [{
    unitId: 3,
    host: "127.0.0.1",
    port: NODE_PORT,
    listenPort: 0,
  }], {
    logger: { warn: push, info: push },
    loginTimeoutMs: options.loginTimeoutMs,
  });
  return {
    bus,
    front,
    port: front.addresses[0].port,
    lines,
    logged: (re) =>
      bounded(
        new Promise<void>((resolve) => {
          wake = () => {
            if (lines.some((l) => re.test(l))) resolve();
          };
          wake();
        }),
        3000,
        `a line matching ${re}`,
      ).finally(() => wake = () => {}),
    [Symbol.asyncDispose]: () => front.close(),
  };
}

/** A line with a control character in it (C0, DEL, C1, U+2028/9). */
// deno-lint-ignore no-control-regex -- control characters are what it looks for
const CONTROL = new RegExp("[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]");
const FORGED = "p\n[mockbus] forged line\x1b[31m\x9b2J\u2028x";

describe("mock tcp hostile", () => {
  test("mock tcp hostile - a registration trickled a byte at a time is cut at the login deadline", async () => {
    await using s = await setup({ loginTimeoutMs: 300 });
    const register = encodeFrame({
      kind: FrameKind.REGISTER,
      head: { ...zeroHead(), src: { unitId: 20, clientId: 1, clientType: 4 } },
      connectIndex: 0,
      clientId: 1,
      clientType: 4,
      unitId: 20,
      accessUnitId: -1,
      user: new Uint8Array(),
      password: new Uint8Array(),
      addInfo: te.encode("slow"),
    });
    const peers = await Promise.all(
      Array.from({ length: 5 }, () => RawClient.open(s.port)),
    );
    let stop = false;
    const trickle = (async () => {
      // One byte each 50 ms: well inside the heartbeat, never a whole REGISTER.
      for (let i = 0; i < 40 && !stop; i++) {
        for (const p of peers) {
          if (!p.socket.destroyed) p.socket.write(register.subarray(i, i + 1));
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
      assert.deepEqual(p.frames, [], "closed without a frame");
    }
    const cut = s.lines.filter((l) =>
      /closing connection .*no registration within 300 ms/.test(l)
    );
    assert.equal(cut.length, 5, s.lines.join("\n"));
    assert.equal(s.front.connectionCount, 0);
  });

  test("mock tcp hostile - a peer that logs in in time stays past the deadline", async () => {
    await using s = await setup({ loginTimeoutMs: 200 });
    const c = await RawClient.open(s.port);
    assert.equal(await c.login(1), 0);
    await sleep(400);
    assert.equal(s.front.connectionCount, 1);
    assert.equal(s.bus.clients().length, 1);
  });

  test("mock tcp hostile - control characters a peer sends are escaped in every log line", async () => {
    await using s = await setup({ users: { alice: "s3cret" } });
    const refused = await RawClient.open(s.port);
    assert.equal(await refused.login(1, FORGED, "x"), -5);
    const c = await RawClient.open(s.port);
    assert.equal(await c.login(2, "alice", "s3cret"), 0);
    c.invokeFlow({
      invokeId: 1,
      ipscIndex: 9,
      project: FORGED,
      flow: FORGED,
      params: "[]",
    });
    await c.next((f) => f.kind === FrameKind.FLOW_ACK);
    c.socket.destroy();
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
    let notified = (): void => {};
    const notify = new Promise<void>((resolve) => notified = resolve);
    await using server = await startMockServer({
      nodes: [{ unitId: 0, port: 0 }],
      flows: { "p/f": ["ok"] },
      log: (l) => {
        lines.push(l);
        if (l.startsWith("notify")) notified();
      },
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
      head: { ...zeroHead(), dst: { unitId: 0, clientId: 0, clientType: 2 } },
      invokeId: 2,
      mode: 0,
      expiresMs: 1000,
      project: te.encode(FORGED),
      title: te.encode(FORGED),
      param: te.encode(FORGED),
    });
    await bounded(notify, 3000, "the notification's log line");
    assert.ok(lines.some((l) => l.startsWith("flow call p/f")));
    assert.ok(lines.some((l) => l.startsWith("notify")));
    for (const line of lines) {
      assert.doesNotMatch(line, CONTROL, JSON.stringify(line));
    }
  });

  test("mock tcp hostile - after a protocol error the front reads nothing more from that peer", async () => {
    await using s = await setup();
    // Every byte any FrameDecoder (the front's) is given.
    const proto = FrameDecoder.prototype;
    const push = proto.push;
    let fed = 0;
    proto.push = function (this: FrameDecoder, chunk: Uint8Array) {
      fed += chunk.length;
      return push.call(this, chunk);
    };
    try {
      // A peer that ignores the front's FIN (half open) and keeps writing.
      const bad = connect({
        port: s.port,
        host: "127.0.0.1",
        allowHalfOpen: true,
      });
      let failed: unknown;
      bad.on("error", (e) => failed = e);
      const fin = new Promise<void>((resolve) => bad.once("end", resolve));
      await bounded(
        new Promise((resolve) => bad.once("connect", resolve)),
        3000,
        "connected",
      );
      bad.write(new Uint8Array(20).fill(7)); // a wrong head flag
      bad.resume();
      // No close frame in this protocol: the front logs why and sends its FIN.
      await bounded(fin, 3000, "the front closes its side");
      await s.logged(/bad-flag/);
      const before = fed;
      const chunk = new Uint8Array(1024 * 1024).fill(7);
      for (let i = 0; i < 48; i++) bad.write(chunk);
      // A front still reading drains 48 MiB of loopback in well under this.
      await sleep(700);
      const unsent = bad.writableLength;
      const refused = bad.destroyed;
      bad.destroy();
      assert.equal(fed, before, "no byte reached the front's decoder");
      // Node and Bun keep the socket, unread: the kernel's buffers fill.
      // Deno's node:net closes it outright: the writes fail (EPIPE).
      assert.ok(
        unsent > 16 * 1024 * 1024 ||
          (refused && /EPIPE|ECONNRESET/.test(String(failed))),
        `only ${unsent} bytes left unsent (${failed}): the front kept reading`,
      );
    } finally {
      proto.push = push;
    }
  });
});

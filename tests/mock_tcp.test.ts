import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  encodeFrame,
  FrameKind,
  MockBus,
  serveTcp,
  type TcpFront,
  zeroHead,
} from "../src/mock/internal.ts";
import { bounded, RawClient } from "./shared/raw_client.ts";

const te = new TextEncoder();
const td = new TextDecoder();
const NODE_PORT = 8000;

interface Setup {
  bus: MockBus;
  front: TcpFront;
  port: number;
  warnings: string[];
  [Symbol.asyncDispose](): Promise<void>;
}

async function setup(
  options: {
    heartbeatMs?: number;
    maxQueuedBytes?: number;
    users?: Record<string, string>;
  } = {},
): Promise<Setup> {
  const bus = new MockBus({ strict: true, logger: () => {} });
  bus.addNode({ unitId: 3, port: NODE_PORT, users: options.users });
  const warnings: string[] = [];
  const front = await serveTcp(bus, [{
    unitId: 3,
    host: "127.0.0.1",
    port: NODE_PORT,
    listenPort: 0,
  }], {
    logger: { warn: (m) => warnings.push(m) },
    heartbeatMs: options.heartbeatMs,
    maxQueuedBytes: options.maxQueuedBytes,
  });
  return {
    bus,
    front,
    port: front.addresses[0].port,
    warnings,
    [Symbol.asyncDispose]: () => front.close(),
  };
}

const to = (clientId: number) => ({
  ...zeroHead(),
  cmd: 5,
  cmdType: 3,
  dst: { unitId: 20, clientId, clientType: 4 },
});

async function exchange(
  a: RawClient,
  b: RawClient,
  text: string,
): Promise<void> {
  a.send({ kind: FrameKind.DATA, head: to(2), data: te.encode(text) });
  const got = await b.next((f) => f.kind === FrameKind.DATA);
  assert.ok(got.kind === FrameKind.DATA);
  assert.equal(td.decode(got.data), text);
  assert.deepEqual(got.head.src, { unitId: 20, clientId: 1, clientType: 4 });
  assert.equal(got.head.cmd, 5);
  assert.equal(got.head.cmdType, 3);
}

describe("mock tcp", () => {
  test("mock tcp - login attaches to the node and data flows between two clients", async () => {
    await using s = await setup();
    const a = await RawClient.open(s.port), b = await RawClient.open(s.port);
    assert.equal(await a.login(1), 3);
    assert.equal(await b.login(2), 3);
    await exchange(a, b, "hello");
    const joined = await a.next((f) =>
      f.kind === FrameKind.GLOBAL_CONNECT && f.clientId === 2 && f.status === 1
    );
    assert.ok(joined.kind === FrameKind.GLOBAL_CONNECT);
    assert.equal(td.decode(joined.addInfo), "client 2");
    assert.equal(s.bus.clients().length, 2);
  });

  test("mock tcp - local client ids above 127 are reachable", async () => {
    await using s = await setup();
    const a = await RawClient.open(s.port), b = await RawClient.open(s.port);
    await a.login(1);
    assert.equal(await b.login(200), 3);
    a.send({ kind: FrameKind.DATA, head: to(200), data: te.encode("high") });
    const got = await b.next((f) => f.kind === FrameKind.DATA);
    assert.ok(got.kind === FrameKind.DATA && td.decode(got.data) === "high");
  });

  test("mock tcp - a ping is answered as PING_ANSWER with cmdtype 8", async () => {
    await using s = await setup();
    const a = await RawClient.open(s.port), b = await RawClient.open(s.port);
    await a.login(1);
    await b.login(2);
    a.send({ kind: FrameKind.PING, head: to(2), data: te.encode("ping") });
    const answer = await a.next((f) => f.kind === FrameKind.PING_ANSWER);
    assert.ok(answer.kind === FrameKind.PING_ANSWER);
    assert.equal(answer.head.cmdType, 8);
    assert.equal(td.decode(answer.data), "ping");
  });

  test("mock tcp - a malformed, oversized or out-of-order frame closes only that connection", async () => {
    await using s = await setup();
    const a = await RawClient.open(s.port), b = await RawClient.open(s.port);
    await a.login(1);
    await b.login(2);
    const garbage: [string, (c: RawClient) => void | Promise<void>][] = [
      [
        "bad-flag",
        (c) => void c.socket.write(new Uint8Array(20).fill(7)),
      ],
      ["out-of-order", (c) => c.send({ kind: FrameKind.HEARTBEAT })],
      ["out-of-order", async (c) => {
        await c.login(9);
        c.send({
          kind: FrameKind.LOGIN,
          clientId: 9,
          clientType: 4,
          unitId: 20,
          user: null,
          password: null,
          addInfo: te.encode(""),
        });
      }],
      ["bad-length", async (c) => {
        await c.login(8);
        const head = encodeFrame({ kind: FrameKind.HEARTBEAT });
        new DataView(head.buffer).setInt32(16, 0x7fffffff, true);
        c.socket.write(head.subarray(0, 20));
      }],
      [
        "wrong-direction",
        (c) =>
          c.send({
            kind: FrameKind.LOGIN_ANSWER,
            result: 0,
            heartbeatMs: 0,
            reason: new Uint8Array(),
          }),
      ],
    ];
    for (const [reason, misbehave] of garbage) {
      const bad = await RawClient.open(s.port);
      await misbehave(bad);
      const close = await bad.next((f) => f.kind === FrameKind.CLOSE);
      assert.ok(close.kind === FrameKind.CLOSE);
      assert.equal(close.code, -1);
      assert.match(td.decode(close.reason), new RegExp(reason));
      await bounded(bad.closed, 3000, "the bad connection closes");
      assert.ok(
        s.warnings.some((w) => w.includes(reason)),
        `no warning mentions ${reason}`,
      );
      await exchange(a, b, `still fine after ${reason}`);
    }
    assert.equal(
      s.bus.clients().length,
      2,
      "the second-LOGIN client was detached",
    );
  });

  test("mock tcp - a refused login answers with the bus's code and closes", async () => {
    await using s = await setup({ users: { admin: "secret" } });
    const none = await RawClient.open(s.port);
    assert.equal(await none.login(1), -4);
    await bounded(none.closed, 3000, "refused connection closes");
    const wrong = await RawClient.open(s.port);
    assert.equal(await wrong.login(1, "admin", "nope"), -6);
    const right = await RawClient.open(s.port);
    assert.equal(await right.login(1, "admin", "secret"), 3);
  });

  test("mock tcp - a node stop sends CLOSE and closes the socket", async () => {
    await using s = await setup();
    const a = await RawClient.open(s.port);
    await a.login(1);
    s.bus.stopNode(3);
    const close = await a.next((f) => f.kind === FrameKind.CLOSE);
    assert.ok(close.kind === FrameKind.CLOSE && close.code === -3);
    await bounded(a.closed, 3000, "socket closes after a node stop");
  });

  test("mock tcp - a silent peer gets heartbeats and is dropped after three missed", async () => {
    await using s = await setup({ heartbeatMs: 50 });
    const a = await RawClient.open(s.port);
    const answer = a.login(1);
    assert.equal(await answer, 3);
    await a.next((f) => f.kind === FrameKind.HEARTBEAT);
    await bounded(a.closed, 3000, "silent peer dropped");
    assert.ok(s.warnings.some((w) => w.includes("heartbeats missed")));
    assert.equal(s.bus.clients().length, 0);
  });

  test("mock tcp - a slow reader is dropped instead of growing memory", async () => {
    await using s = await setup({ maxQueuedBytes: 256 * 1024 });
    const a = await RawClient.open(s.port), b = await RawClient.open(s.port);
    await a.login(1);
    await b.login(2);
    b.socket.pause();
    const chunk = new Uint8Array(60000);
    for (let i = 0; i < 400 && s.bus.clients().length === 2; i++) {
      a.send({ kind: FrameKind.DATA, head: to(2), data: chunk });
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 5));
    }
    await bounded(
      (async () => {
        while (!s.warnings.some((w) => w.includes("slow reader"))) {
          await new Promise((r) => setTimeout(r, 10));
        }
      })(),
      5000,
      "slow reader dropped",
    );
    b.socket.destroy();
    a.send({ kind: FrameKind.HEARTBEAT });
    assert.equal(s.bus.clients().length, 1);
  });

  test("mock tcp - close() closes every connection and server and is idempotent", async () => {
    const s = await setup();
    const a = await RawClient.open(s.port);
    await a.login(1);
    assert.equal(s.front.connectionCount, 1);
    await Promise.all([s.front.close(), s.front.close()]);
    await s.front.close();
    await bounded(a.closed, 3000, "client socket closed");
    assert.equal(s.bus.clients().length, 0);
    await assert.rejects(RawClient.open(s.port));
  });

  test("mock tcp - a flow call through TCP gets the IPSC's ack and result", async () => {
    await using s = await setup();
    s.bus.addIpsc({ unitId: 3, processIndex: 0 }).flow(
      "proj",
      "echo",
      (params: unknown) => params,
    );
    const a = await RawClient.open(s.port);
    await a.login(1);
    const call = {
      kind: FrameKind.FLOW_INVOKE,
      serverUnit: 3,
      ipscIndex: 0,
      mode: 0,
      timeoutMs: 1000,
    } as const;
    const bytes = (t: string): Uint8Array => te.encode(t);
    a.send({
      ...call,
      invokeId: 7,
      project: bytes("proj"),
      flow: bytes("echo"),
      params: bytes('[1,"x"]'),
    });
    const ack = await a.next((f) => f.kind === FrameKind.FLOW_ACK);
    assert.ok(
      ack.kind === FrameKind.FLOW_ACK && ack.invokeId === 7 && ack.ack === 1,
    );
    const ret = await a.next((f) => f.kind === FrameKind.FLOW_RESULT);
    assert.ok(
      ret.kind === FrameKind.FLOW_RESULT && ret.invokeId === 7 && ret.ret === 1,
    );
    assert.deepEqual(JSON.parse(td.decode(ret.param)), [1, "x"]);
    a.send({
      ...call,
      invokeId: 8,
      serverUnit: 14,
      project: bytes("proj"),
      flow: bytes("echo"),
      params: bytes("[]"),
    });
    const refused = await a.next((f) => f.kind === FrameKind.FLOW_ACK);
    assert.ok(
      refused.kind === FrameKind.FLOW_ACK && refused.invokeId === 8 &&
        refused.ack < 1,
    );
  });

  test("mock tcp - random bytes from one peer never disturb the others", async () => {
    await using s = await setup();
    const a = await RawClient.open(s.port), b = await RawClient.open(s.port);
    await a.login(1);
    await b.login(2);
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 200 }), {
          minLength: 1,
          maxLength: 5,
        }),
        async (logIn, chunks) => {
          const bad = await RawClient.open(s.port);
          if (logIn) await bad.login(9);
          for (const c of chunks) bad.socket.write(c);
          bad.socket.end();
          await bounded(bad.closed, 3000, "the fuzzing peer's socket closes");
        },
      ),
      { numRuns: 40 },
    );
    await exchange(a, b, "still fine after fuzzing");
    assert.equal(s.bus.clients().length, 2);
  });
});

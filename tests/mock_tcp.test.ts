/**
 * The mock bus's TCP front with raw wire peers speaking the vendor's
 * protocol (`docs/wire-protocol.md`): registration and its refusals, data,
 * pings, flow calls, heartbeats, and every way a connection is closed (there
 * is no close frame: the front closes the socket and logs why). Loopback
 * sockets, every wait bounded.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type BusPort,
  encodeFrame,
  type FlowInvocation,
  FrameKind,
  MockBus,
  serveTcp,
  type TcpFront,
  zeroHead,
} from "../src/mock/internal.ts";
import { CmdType, ErrorCode, SystemCmd } from "../src/abi/constants.ts";
import { addr, RecordingSink, req } from "./shared/mock_recorders.ts";
import { bounded, RawClient, registerFrame } from "./shared/raw_client.ts";

const te = new TextEncoder();
const td = new TextDecoder();
const NODE_PORT = 8000;

interface Setup {
  bus: MockBus;
  front: TcpFront;
  port: number;
  warnings: string[];
  infos: string[];
  /** Resolves once a log line (warning or info) matches `re`. */
  logged(re: RegExp, ms?: number): Promise<string>;
  [Symbol.asyncDispose](): Promise<void>;
}

async function setup(
  options: {
    heartbeatMs?: number;
    maxQueuedBytes?: number;
    users?: Record<string, string>;
    flowAnswerMinMs?: number;
  } = {},
): Promise<Setup> {
  const bus = new MockBus({ strict: true, logger: () => {} });
  bus.addNode({ unitId: 3, port: NODE_PORT, users: options.users });
  const warnings: string[] = [];
  const infos: string[] = [];
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of waiters) w();
  };
  const front = await serveTcp(bus, [{
    unitId: 3,
    host: "127.0.0.1",
    port: NODE_PORT,
    listenPort: 0,
  }], {
    logger: {
      warn: (m) => {
        warnings.push(m);
        wake();
      },
      info: (m) => {
        infos.push(m);
        wake();
      },
    },
    heartbeatMs: options.heartbeatMs,
    maxQueuedBytes: options.maxQueuedBytes,
    flowAnswerMinMs: options.flowAnswerMinMs,
  });
  const logged = (re: RegExp, ms = 3000): Promise<string> => {
    let check = (): void => {};
    const found = new Promise<string>((resolve) => {
      check = () => {
        const line = [...warnings, ...infos].find((l) => re.test(l));
        if (line !== undefined) resolve(line);
      };
      waiters.add(check);
      check();
    });
    return bounded(found, ms, `a log line matching ${re}`).finally(() =>
      waiters.delete(check)
    );
  };
  return {
    bus,
    front,
    port: front.addresses[0].port,
    warnings,
    infos,
    logged,
    [Symbol.asyncDispose]: () => front.close(),
  };
}

const to = (clientId: number) => ({
  ...zeroHead(),
  cmd: 5,
  cmdType: 3,
  dst: { unitId: 20, clientId, clientType: 4 },
});

const heartbeat = (count: number) => ({
  kind: FrameKind.HEARTBEAT,
  count,
  resendCount: 0,
  timeLaunch: Math.floor(Date.now() / 1000),
  timeReturn: 0,
} as const);

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

/**
 * A ping from `a` to a new client 2 and its answer: what the front sent
 * `a` before it has arrived by then.
 */
async function roundTrip(a: RawClient, port: number): Promise<void> {
  const b = await RawClient.open(port);
  try {
    assert.equal(await b.login(2), 0);
    a.send({ kind: FrameKind.PING, head: to(2), data: te.encode("p") });
    await a.next((f) => f.kind === FrameKind.PING_ANSWER);
  } finally {
    b.socket.destroy();
  }
}

/** A REGISTER frame's bytes with a body of `bodyLength` bytes (cut or padded). */
function registerBytes(clientId: number, bodyLength: number): Uint8Array {
  const full = encodeFrame(registerFrame(clientId));
  const out = new Uint8Array(20 + bodyLength);
  out.set(full.subarray(0, Math.min(full.length, out.length)));
  const v = new DataView(out.buffer);
  v.setInt32(12, out.length, true);
  v.setInt32(16, bodyLength, true);
  return out;
}

describe("mock tcp", () => {
  test("mock tcp - registration attaches to the node and data flows between two clients", async () => {
    await using s = await setup();
    const a = await RawClient.open(s.port), b = await RawClient.open(s.port);
    assert.equal(await a.login(1), 0);
    assert.equal(a.accessUnitId, 3, "the ack comes from the access node");
    assert.equal(await b.login(2), 0);
    assert.equal(b.accessUnitId, 3);
    await exchange(a, b, "hello");
    const joined = await a.next((f) =>
      f.kind === FrameKind.GLOBAL_CONNECT && f.clientId === 2 && f.status === 1
    );
    assert.ok(joined.kind === FrameKind.GLOBAL_CONNECT);
    assert.equal(td.decode(joined.addInfo), "client 2");
    assert.deepEqual(
      [joined.unitId, joined.clientType, joined.accessUnitId],
      [20, 4, 3],
    );
    // b learnt of a, already there, with status 2.
    const present = await b.next((f) =>
      f.kind === FrameKind.GLOBAL_CONNECT && f.clientId === 1
    );
    assert.ok(present.kind === FrameKind.GLOBAL_CONNECT);
    assert.equal(present.status, 2);
    assert.equal(s.bus.clients().length, 2);
  });

  test("mock tcp - the REGISTER_ACK comes from the node, to the client", async () => {
    await using s = await setup();
    const a = await RawClient.open(s.port);
    a.register(1);
    const ack = await a.next((f) => f.kind === FrameKind.REGISTER_ACK);
    assert.ok(ack.kind === FrameKind.REGISTER_ACK && ack.result === 0);
    assert.deepEqual([ack.head.cmd, ack.head.cmdType], [2, 0]);
    assert.deepEqual(ack.head.src, { unitId: 3, clientId: -1, clientType: 1 });
    assert.deepEqual(ack.head.dst, { unitId: 20, clientId: 1, clientType: 4 });
    assert.equal(s.front.connectionCount, 1);
  });

  test("mock tcp - local client ids above 127 are reachable", async () => {
    await using s = await setup();
    const a = await RawClient.open(s.port), b = await RawClient.open(s.port);
    await a.login(1);
    assert.equal(await b.login(200), 0);
    a.send({ kind: FrameKind.DATA, head: to(200), data: te.encode("high") });
    const got = await b.next((f) => f.kind === FrameKind.DATA);
    assert.ok(got.kind === FrameKind.DATA && td.decode(got.data) === "high");
    assert.equal(got.head.dst.clientId, -56, "200 as a C char");
  });

  test("mock tcp - a ping (cmd 7/1) is answered as PING_ANSWER, cmd 8 cmdtype 1, from the target", async () => {
    await using s = await setup();
    const a = await RawClient.open(s.port), b = await RawClient.open(s.port);
    await a.login(1);
    await b.login(2);
    a.send({ kind: FrameKind.PING, head: to(2), data: te.encode("ping") });
    const answer = await a.next((f) => f.kind === FrameKind.PING_ANSWER);
    assert.ok(answer.kind === FrameKind.PING_ANSWER);
    assert.equal(answer.head.cmd, SystemCmd.PING_ANSWER);
    assert.equal(answer.head.cmdType, CmdType.SYSTEM);
    assert.deepEqual(answer.head.src, {
      unitId: 20,
      clientId: 2,
      clientType: 4,
    });
    assert.equal(td.decode(answer.data), "ping");
    // The target's library answers: b never sees the ping.
    await exchange(a, b, "after the ping");
    assert.ok(!b.frames.some((f) => f.kind === FrameKind.PING));
    assert.deepEqual(
      s.bus.sent().filter((m) => m.kind !== "data").map((m) => [
        m.kind,
        m.cmd,
        m.cmdType,
      ]),
      [["ping", 7, 1], ["pingAck", 8, 1]],
    );
  });

  test("mock tcp - data with the ping's cmd but another cmdtype is plain data", async () => {
    await using s = await setup();
    const a = await RawClient.open(s.port), b = await RawClient.open(s.port);
    await a.login(1);
    await b.login(2);
    a.send({
      kind: FrameKind.DATA,
      head: { ...to(2), cmd: 7, cmdType: 3 },
      data: te.encode("not a ping"),
    });
    const got = await b.next((f) => f.kind === FrameKind.DATA);
    assert.ok(got.kind === FrameKind.DATA);
    assert.deepEqual([got.head.cmd, got.head.cmdType], [7, 3]);
    assert.equal(td.decode(got.data), "not a ping");
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
      ["out-of-order: frame 5/0 before", (c) => c.send(heartbeat(0))],
      ["out-of-order: a second registration", async (c) => {
        assert.equal(await c.login(9), 0);
        c.register(9);
      }],
      ["bad-length: datalen", async (c) => {
        await c.login(8);
        const head = encodeFrame(heartbeat(0));
        new DataView(head.buffer).setInt32(16, 0x7fffffff, true);
        c.socket.write(head.subarray(0, 20));
      }],
      ["bad-length: packet_size", async (c) => {
        await c.login(7);
        // Four bytes past the body: one more than the vendor's tail.
        const f = encodeFrame({
          kind: FrameKind.DATA,
          head: to(2),
          data: te.encode("x"),
        });
        const longer = new Uint8Array(f.length + 4);
        longer.set(f);
        new DataView(longer.buffer).setInt32(12, longer.length, true);
        c.socket.write(longer);
      }],
      [
        "truncated: frame 1/0 body of 862 bytes",
        (c) => void c.socket.write(registerBytes(6, 862)),
      ],
      ["bad-length: global connect body of 280", async (c) => {
        await c.login(5);
        const f = encodeFrame({
          kind: FrameKind.GLOBAL_CONNECT_REPLY,
          unitId: 20,
          clientId: 5,
          clientType: 4,
          accessUnitId: 3,
          status: 2,
          addInfo: new Uint8Array(),
        });
        const short = f.slice(0, f.length - 1);
        const v = new DataView(short.buffer);
        v.setInt32(12, short.length, true);
        v.setInt32(16, short.length - 20, true);
        c.socket.write(short);
      }],
      [
        "wrong-direction",
        (c) => c.send({ kind: FrameKind.REGISTER_ACK, result: 0 }),
      ],
    ];
    for (const [reason, misbehave] of garbage) {
      const bad = await RawClient.open(s.port);
      const lines = s.warnings.length;
      await misbehave(bad);
      await bounded(bad.closed, 3000, `the bad connection closes (${reason})`);
      assert.ok(
        s.warnings.slice(lines).some((w) => w.includes(reason)),
        `no warning mentions ${reason}: ${s.warnings.slice(lines)}`,
      );
      assert.ok(
        bad.frames.every((f) => f.kind !== FrameKind.DATA),
        "nothing was routed to the bad peer",
      );
      await exchange(a, b, `still fine after ${reason}`);
    }
    assert.deepEqual(
      s.bus.clients().map((c) => c.address.clientId).sort(),
      [1, 2],
      "the clients that misbehaved after registering were detached",
    );
  });

  test("mock tcp - reserved head bytes with garbage and vendor tails are ignored", async () => {
    await using s = await setup();
    const a = await RawClient.open(s.port), b = await RawClient.open(s.port);
    await a.login(1);
    await b.login(2);
    for (const text of ["a", "ab", "abc", "abcd"]) {
      const f = encodeFrame(
        { kind: FrameKind.DATA, head: to(2), data: te.encode(text) },
        undefined,
        { tail: true },
      );
      f.set([0xde, 0xad], 10);
      f.fill(0xee, 20 + text.length);
      a.socket.write(f);
      const got = await b.next((x) => x.kind === FrameKind.DATA);
      assert.ok(got.kind === FrameKind.DATA);
      assert.equal(td.decode(got.data), text, "the tail is not data");
    }
    assert.deepEqual(s.warnings, []);
  });

  test("mock tcp - a refused registration gets REGISTER_ACK with the bus's code, then a close", async () => {
    await using s = await setup({ users: { admin: "secret" } });
    for (
      const [user, password, code] of [
        [null, null, ErrorCode.AUTHOR],
        ["admin", "", ErrorCode.AUTHOR],
        ["root", "secret", ErrorCode.USER],
        ["admin", "nope", ErrorCode.PWD],
      ] as const
    ) {
      const c = await RawClient.open(s.port);
      assert.equal(
        await c.login(1, user, password),
        code,
        `${user}/${password}`,
      );
      await bounded(c.closed, 3000, "a refused connection closes");
      assert.deepEqual(c.frames, [], "nothing after the refusal");
      assert.equal(c.accessUnitId, -1);
    }
    const right = await RawClient.open(s.port);
    assert.equal(await right.login(1, "admin", "secret"), 0);
    // The same address again is refused with -10 (the library retries it).
    const twice = await RawClient.open(s.port);
    assert.equal(await twice.login(1, "admin", "secret"), ErrorCode.CONNECTED);
    await bounded(twice.closed, 3000, "the duplicate's connection closes");
    assert.equal(s.bus.clients().length, 1, "the first one stays");
    assert.ok(
      s.infos.some((l) => /refused \(-6\)/.test(l)),
      s.infos.join("\n"),
    );
  });

  test("mock tcp - a stopped node refuses connections, and listens again on its port once started", async () => {
    // As a node whose process is down: the vendor's library retries a
    // refused connect every 2 s, where an accept-and-close made it loop.
    await using s = await setup();
    s.bus.stopNode(3);
    await assert.rejects(
      bounded(RawClient.open(s.port), 3000, "connect to a stopped node"),
      (e: { code?: string }) => e.code === "ECONNREFUSED",
    );
    s.bus.startNode(3);
    const again = await bounded(
      (async () => {
        // The listener opens again a moment after startNode: retry briefly.
        for (let i = 0;; i++) {
          try {
            return await RawClient.open(s.port);
          } catch (e) {
            if (i >= 50) throw e;
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      })(),
      3000,
      "connect once started",
    );
    assert.equal(await again.login(1), 0);
  });

  test("mock tcp - a node stop closes the socket without a frame, logged", async () => {
    await using s = await setup();
    const a = await RawClient.open(s.port);
    await a.login(1);
    const before = a.frames.length;
    s.bus.stopNode(3);
    await bounded(a.closed, 3000, "socket closes after a node stop");
    assert.equal(a.frames.length, before, "no frame announces the close");
    await s.logged(/bus closed/);
    assert.equal(s.bus.clients().length, 0);
  });

  test("mock tcp - a heartbeat is answered with HEARTBEAT_ACK, the count echoed", async () => {
    await using s = await setup();
    const a = await RawClient.open(s.port);
    await a.login(1);
    for (const count of [0, 1, 2, 2 ** 40]) {
      const sent = heartbeat(count);
      a.send({ ...sent, resendCount: 5 });
      const ack = await a.next((f) => f.kind === FrameKind.HEARTBEAT_ACK);
      assert.ok(ack.kind === FrameKind.HEARTBEAT_ACK);
      assert.equal(ack.count, count);
      assert.equal(ack.resendCount, 5);
      assert.equal(ack.timeLaunch, sent.timeLaunch);
      assert.ok(
        Math.abs(ack.timeReturn - Date.now() / 1000) < 5,
        `time_return ${ack.timeReturn}`,
      );
      assert.deepEqual([ack.head.cmd, ack.head.cmdType], [6, 0]);
      assert.deepEqual(ack.head.src, {
        unitId: 3,
        clientId: -1,
        clientType: 1,
      });
      assert.deepEqual(ack.head.dst, {
        unitId: 20,
        clientId: 1,
        clientType: 4,
      });
    }
  });

  test("mock tcp - the front sends no heartbeats; a peer silent for 3 intervals is dropped, one that beats stays", async () => {
    await using s = await setup({ heartbeatMs: 50 });
    const silent = await RawClient.open(s.port);
    const beating = await RawClient.open(s.port);
    assert.equal(await silent.login(1), 0);
    assert.equal(await beating.login(2), 0);
    let count = 0;
    const beat = setInterval(() => beating.send(heartbeat(count++)), 20);
    try {
      await bounded(silent.closed, 3000, "silent peer dropped");
      await s.logged(/heartbeats missed/);
      // Well past three intervals of the beating one's life.
      await beating.next(
        (f) => f.kind === FrameKind.HEARTBEAT_ACK && f.count >= 15,
      );
    } finally {
      clearInterval(beat);
    }
    assert.ok(
      silent.frames.every((f) => f.kind !== FrameKind.HEARTBEAT_ACK),
      "the front sent the silent peer no heartbeat",
    );
    assert.deepEqual(s.bus.clients().map((c) => c.address.clientId), [2]);
    assert.ok(!beating.socket.destroyed);
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
    await s.logged(/slow reader/, 5000);
    b.socket.destroy();
    a.send(heartbeat(0));
    await a.next((f) => f.kind === FrameKind.HEARTBEAT_ACK);
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

  test("mock tcp - a flow call through TCP gets the IPSC's ack and result; a missing IPSC is refused in the ack", async () => {
    await using s = await setup();
    s.bus.addIpsc({ unitId: 3, processIndex: 0 }).flow(
      "proj",
      "echo",
      (params: unknown) => params,
    );
    const a = await RawClient.open(s.port);
    await a.login(1);
    a.invokeFlow({
      invokeId: 7,
      serverUnit: 3,
      project: "proj",
      flow: "echo",
      params: '[1,"x"]',
    });
    const ack = await a.next((f) => f.kind === FrameKind.FLOW_ACK);
    assert.ok(
      ack.kind === FrameKind.FLOW_ACK && ack.invokeId === 7 && ack.ack === 1,
    );
    assert.equal(td.decode(ack.project), "proj");
    assert.deepEqual([ack.head.cmd, ack.head.cmdType], [13, 1]);
    const ret = await a.next((f) => f.kind === FrameKind.FLOW_RESULT);
    assert.ok(ret.kind === FrameKind.FLOW_RESULT && ret.invokeId === 7);
    assert.deepEqual([ret.head.cmd, ret.head.cmdType], [12, 1]);
    assert.deepEqual(JSON.parse(td.decode(ret.param)), [1, "x"]);
    a.invokeFlow({
      invokeId: 8,
      serverUnit: 14,
      project: "proj",
      flow: "echo",
      params: "[]",
    });
    const refused = await a.next((f) => f.kind === FrameKind.FLOW_ACK);
    assert.ok(refused.kind === FrameKind.FLOW_ACK);
    assert.equal(refused.invokeId, 8);
    // A strict bus refuses it with -1 and a message naming the call.
    assert.ok(refused.ack < 0, `ack ${refused.ack}`);
    assert.equal(td.decode(refused.project), "proj");
    assert.match(td.decode(refused.msg), /no IPSC at 14\/0/);
    assert.deepEqual(refused.head.src, {
      unitId: 14,
      clientId: 0,
      clientType: 2,
    });
    // No result follows the refusal (checked after a ping round trip).
    await roundTrip(a, s.port);
    assert.ok(a.frames.every((f) => f.kind !== FrameKind.FLOW_RESULT));
  });

  test("mock tcp - a flow's answer waits flowAnswerMinMs after its call, and later frames wait behind it", async () => {
    // The vendor's library records a call only after sending it and drops
    // an answer that comes back sooner: the front holds a fast answer.
    const HOLD_MS = 150;
    await using s = await setup({ flowAnswerMinMs: HOLD_MS });
    s.bus.addIpsc({ unitId: 3, processIndex: 0 }).flow(
      "proj",
      "echo",
      (params: unknown) => params,
    );
    const a = await RawClient.open(s.port);
    const b = await RawClient.open(s.port);
    await a.login(1);
    await b.login(2);
    const sentAt = performance.now();
    a.invokeFlow({
      invokeId: 9,
      serverUnit: 3,
      project: "proj",
      flow: "echo",
      params: "[1]",
    });
    // Data from b, sent once the IPSC has answered (the answers are then
    // held at the front), comes after them.
    const until = performance.now() + 3000;
    while (!s.bus.flowCalls().some((c) => c.state === "responded")) {
      assert.ok(performance.now() < until, "the IPSC did not answer");
      await new Promise((r) => setTimeout(r, 1));
    }
    const toA = { ...zeroHead(), dst: addr(20, 1) };
    b.send({
      kind: FrameKind.DATA,
      head: { ...toA, cmd: 1, cmdType: CmdType.USER },
      data: te.encode("after"),
    });
    const ack = await a.next((f) => f.kind === FrameKind.FLOW_ACK);
    const waited = performance.now() - sentAt;
    assert.ok(waited >= HOLD_MS - 5, `the ack came after ${waited} ms`);
    assert.ok(ack.kind === FrameKind.FLOW_ACK && ack.invokeId === 9);
    // `next` takes the earliest frame that matches: the result, held
    // behind the ack, must come before the data sent meanwhile.
    const first = await a.next((f) =>
      f.kind === FrameKind.FLOW_RESULT || f.kind === FrameKind.DATA
    );
    assert.equal(first.kind, FrameKind.FLOW_RESULT);
    const data = await a.next((f) => f.kind === FrameKind.DATA);
    assert.ok(data.kind === FrameKind.DATA);
    assert.equal(td.decode(data.data), "after");
  });

  test("mock tcp - an address's second link at another node is its standby and takes over", async () => {
    // The vendor's library registers master and slave at once; a -10 on
    // one arms the timer its failover later breaks (SIGSEGV).
    const bus = new MockBus({ logger: () => {} });
    bus.addNode({ unitId: 0, port: 8000 });
    bus.addNode({ unitId: 1, port: 8001 });
    const front = await serveTcp(
      bus,
      [0, 1].map((unitId) => ({
        unitId,
        host: "127.0.0.1",
        port: 8000 + unitId,
        listenPort: 0,
      })),
      { logger: { warn() {}, info() {} } },
    );
    try {
      const [p0, p1] = front.addresses.map((a) => a.port);
      const master = await RawClient.open(p0);
      assert.equal(await master.login(1), 0);
      const slave = await RawClient.open(p1);
      assert.equal(await slave.login(1), 0, "the standby link");
      const third = await RawClient.open(p1);
      assert.equal(await third.login(1), -10, "a second link at node 1");
      const peer = bus.attach(
        "127.0.0.1",
        8001,
        req(addr(21, 0)),
        new RecordingSink(),
      );
      assert.ok(peer.ok);
      const say = (text: string) =>
        peer.port.send(
          1,
          3,
          { unitId: 20, clientId: 1, clientType: 4 },
          te.encode(text),
        );
      say("to the master");
      const one = await master.next((f) => f.kind === FrameKind.DATA);
      assert.ok(one.kind === FrameKind.DATA);
      assert.equal(td.decode(one.data), "to the master");
      bus.stopNode(0);
      say("to the slave");
      // The earliest data frame of the standby: it got nothing before.
      const two = await slave.next((f) => f.kind === FrameKind.DATA);
      assert.ok(two.kind === FrameKind.DATA);
      assert.equal(td.decode(two.data), "to the slave");
      for (const c of [master, slave, third]) c.socket.destroy();
    } finally {
      await front.close();
    }
  });

  test("mock tcp - a flow result with a ret other than 1 has no frame: the front drops it, logged", async () => {
    await using s = await setup();
    // An IPSC in process that starts the flow, then fails it with ret -3.
    const attached: { port?: BusPort } = {};
    const ipsc = Object.assign(new RecordingSink(), {
      invokeFlow(inv: FlowInvocation): void {
        const port = attached.port!;
        port.flowAck(inv.from, inv.invokeId, inv.projectId, 1, te.encode(""));
        port.flowResult(
          inv.from,
          inv.invokeId,
          inv.projectId,
          -3,
          new Uint8Array(),
        );
      },
    });
    const r = s.bus.attach("127.0.0.1", NODE_PORT, req(addr(3, 0, 2)), ipsc);
    assert.ok(r.ok);
    attached.port = r.port;
    const a = await RawClient.open(s.port);
    await a.login(1);
    a.invokeFlow({
      invokeId: 9,
      serverUnit: 3,
      project: "proj",
      flow: "fails",
      params: "[]",
    });
    const ack = await a.next((f) => f.kind === FrameKind.FLOW_ACK);
    assert.ok(ack.kind === FrameKind.FLOW_ACK && ack.ack === 1);
    await s.logged(/dropped flow result -3 of invoke id 9/);
    await roundTrip(a, s.port);
    assert.ok(a.frames.every((f) => f.kind !== FrameKind.FLOW_RESULT));
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
          if (logIn) assert.equal(await bad.login(9), 0);
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

/**
 * What the served mock shows of each TCP client (`GET
 * /api/v1/clients/stats`): raw wire clients send data, pings, flow calls
 * and a notification, and every figure must be the exact count and
 * payload bytes of what they did; a client that leaves turns its open
 * calls unanswered and keeps its figures for its next login; reset
 * starts afresh. The registry alone, on a hand-driven clock: the
 * library's deadline, a client on two links (master and slave), and the
 * bounds on addresses and open calls.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { FrameKind, zeroHead } from "../src/mock/internal.ts";
import {
  MAX_OPEN_FLOWS,
  MAX_SERVED_CLIENTS,
  ServedClients,
} from "../src/mock/control/served_clients.ts";
import type { ServedClientStats } from "../src/mock/mod.ts";
import { call, controlEnv } from "./shared/control_env.ts";
import { bounded, RawClient } from "./shared/raw_client.ts";

const A = "/api/v1";
const te = new TextEncoder();
const at = (clientId: number) => ({ unitId: 20, clientId, clientType: 4 });

/** Poll the stats of unit 20 `clientId` until `done` holds (5 s at most). */
async function statsUntil(
  url: string,
  clientId: number,
  done: (c: ServedClientStats) => boolean,
): Promise<ServedClientStats> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const r = await call(url, "GET", `${A}/clients/stats?client=${clientId}`);
    assert.equal(r.status, 200);
    const c = r.body.clients.find((c: ServedClientStats) =>
      c.address.unitId === 20
    );
    if (c && done(c)) return c;
    if (Date.now() > deadline) {
      throw new Error(`client ${clientId}: ${JSON.stringify(c)}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("mock control - client statistics over TCP", () => {
  test("mock control - each TCP client's data, pings, flows and notifications, counted exactly", async () => {
    await using env = await controlEnv({
      flows: {
        "ivr/base": ["from the flow file"],
        "ivr/silent": (_p, ctx) => ctx.noAnswer(),
      },
    });
    const port = env.server.addresses[0].port;
    const a = await RawClient.open(port);
    const b = await RawClient.open(port);
    try {
      assert.equal(await a.login(1), 0);
      assert.equal(await b.login(2), 0);
      const texts = ["one\0", "twenty two\0", "x".repeat(300)];
      for (const t of texts) {
        a.send({
          kind: FrameKind.DATA,
          head: { ...zeroHead(), cmdType: 3, dst: at(2) },
          data: te.encode(t),
        });
      }
      // To itself: the bus refuses it (send to own).
      a.send({
        kind: FrameKind.DATA,
        head: { ...zeroHead(), cmdType: 3, dst: at(1) },
        data: te.encode("me"),
      });
      for (const t of ["p1", "ping 2"]) {
        a.send({
          kind: FrameKind.PING,
          head: { ...zeroHead(), dst: at(2) },
          data: te.encode(t),
        });
      }
      a.invokeFlow({ invokeId: 1, project: "ivr", flow: "base", params: "[]" });
      a.invokeFlow({ invokeId: 2, project: "ivr", flow: "nope", params: "[]" });
      a.invokeFlow({
        invokeId: 3,
        project: "ivr",
        flow: "silent",
        params: "[]",
      });
      a.send({
        kind: FrameKind.NOTIFY,
        head: { ...zeroHead(), dst: { unitId: 0, clientId: 0, clientType: 2 } },
        project: te.encode("ivr"),
        mode: 0,
        invokeId: 4,
        expiresMs: 1000,
        title: te.encode("t"),
        param: te.encode("p"),
      });
      const isAck = (id: number) => (f: { kind: number; invokeId?: number }) =>
        f.kind === FrameKind.FLOW_ACK && f.invokeId === id;
      for (let i = 0; i < 2; i++) {
        await a.next((f) => f.kind === FrameKind.PING_ANSWER);
      }
      await a.next((f) => f.kind === FrameKind.FLOW_RESULT);
      // ivr/silent neither acknowledges nor answers.
      for (const id of [1, 2]) await a.next(isAck(id));
      for (let i = 0; i < 3; i++) {
        await b.next((f) => f.kind === FrameKind.DATA);
      }

      const bytes = texts.reduce((n, t) => n + te.encode(t).length, 0);
      const one = await statsUntil(env.url, 1, (c) => c.notifications.sent > 0);
      assert.equal(typeof one.firstConnectAt, "number");
      assert.equal(one.lastConnectAt, one.firstConnectAt);
      assert.deepEqual({ ...one, firstConnectAt: 0, lastConnectAt: 0 }, {
        address: at(1),
        connected: true,
        node: 0,
        connects: 1,
        disconnects: 0,
        firstConnectAt: 0,
        lastConnectAt: 0,
        lastDisconnectAt: null,
        data: {
          sent: { count: 3, bytes },
          received: { count: 0, bytes: 0 },
          errors: 1,
        },
        pings: {
          sent: { count: 2, bytes: 8 },
          received: { count: 2, bytes: 8 },
          errors: 0,
        },
        flows: {
          called: 3,
          acknowledged: 1,
          refused: 1,
          answered: 1,
          unanswered: 0,
          open: 1,
          untracked: 0,
          errors: 0,
        },
        notifications: { sent: 1, errors: 0 },
        served: { flows: 0, notifications: 0, acks: 0, results: 0 },
      });
      const two = await statsUntil(env.url, 2, () => true);
      assert.deepEqual(two.data.received, { count: 3, bytes });
      assert.deepEqual(two.data.sent, { count: 0, bytes: 0 });
      assert.deepEqual(two.pings.received, { count: 0, bytes: 0 });

      const all = await env.control.clientStats();
      assert.deepEqual(all.clients.map((c) => c.address), [at(1), at(2)]);
      assert.equal(all.maxClients, MAX_SERVED_CLIENTS);
      assert.deepEqual(all.openFlows, { tracked: 1, max: MAX_OPEN_FLOWS });
      assert.equal(all.untrackedLogins, 0);
      const only = await env.control.clientStats({ unit: 20, client: 2 });
      assert.deepEqual(only.clients.map((c) => c.address), [at(2)]);
      assert.deepEqual(
        (await env.control.clientStats({ unit: 21 })).clients,
        [],
      );
      for (const q of ["bogus=1", "unit=x", "client=1.5", "unit="]) {
        const bad = await call(env.url, "GET", `${A}/clients/stats?${q}`);
        assert.equal(bad.status, 400, q);
        assert.equal(bad.body.error.code, "invalid_query");
      }

      // Leaving with a call open: it is unanswered; the next login at the
      // address carries on with the same figures.
      a.socket.destroy();
      const left = await statsUntil(env.url, 1, (c) => !c.connected);
      assert.equal(left.disconnects, 1);
      assert.equal(typeof left.lastDisconnectAt, "number");
      assert.deepEqual(
        [left.flows.open, left.flows.unanswered, left.flows.answered],
        [0, 1, 1],
      );
      const again = await RawClient.open(port);
      try {
        assert.equal(await again.login(1), 0);
        const back = await statsUntil(env.url, 1, (c) => c.connected);
        assert.equal(back.connects, 2);
        assert.equal(back.data.sent.count, 3);
        assert.equal(
          (await env.control.clientStats()).openFlows.tracked,
          0,
          "the calls of a connection that ended free their entries",
        );

        b.socket.destroy();
        await statsUntil(env.url, 2, (c) => !c.connected);
        await env.control.reset();
        const after = await bounded(env.control.clientStats(), 5000, "stats");
        for (const c of after.clients) {
          assert.deepEqual(
            [c.data.sent.count, c.pings.sent.count, c.flows.called],
            [0, 0, 0],
            "reset starts every figure afresh",
          );
        }
        assert.ok(
          !after.clients.some((c) => c.address.clientId === 2),
          "reset forgets the addresses that left",
        );
      } finally {
        again.socket.destroy();
      }
    } finally {
      a.socket.destroy();
      b.socket.destroy();
    }
  });
});

describe("mock control - client statistics, the registry alone", () => {
  const clock = () => {
    let t = 1000;
    return { now: () => t, advance: (ms: number) => void (t += ms) };
  };

  test("mock control - a result by the library's deadline is answered, none by then is unanswered, once", () => {
    const c = clock();
    const clients = new ServedClients(c);
    const one = clients.login(at(1), 0);
    one.called(1, 0, 500, 0); // due at 1500
    one.called(2, 0, 0, 0); // a timeout of 0: the library waits 30 s
    one.called(3, 1, 0, 0); // no result wanted: ends with its ack
    one.acknowledged(3, 1);
    const flows = () => clients.report().clients[0].flows;
    assert.deepEqual([flows().open, flows().unanswered], [2, 0]);
    c.advance(499);
    one.answered(1);
    assert.deepEqual([flows().answered, flows().open], [1, 1]);
    c.advance(29_500); // 31_000 - 1: one ms before call 2's deadline
    assert.deepEqual([flows().open, flows().unanswered], [1, 0]);
    c.advance(1);
    assert.deepEqual([flows().open, flows().unanswered], [0, 1]);
    one.answered(2); // late: already unanswered, not counted again
    assert.deepEqual([flows().answered, flows().unanswered], [1, 1]);
    one.called(4, 0, 100, 0);
    c.advance(100);
    one.answered(4); // at its deadline: too late
    assert.deepEqual([flows().answered, flows().unanswered], [1, 2]);
    one.called(5, 0, 100, 0);
    one.acknowledged(5, -1);
    one.called(6, 0, 100, -2); // the bus refused the call
    assert.deepEqual(
      [flows().called, flows().refused, flows().open, flows().errors],
      [5, 1, 0, 1],
    );
    // An IPSC's side: what the bus handed it and what it sent back.
    one.served("flow");
    one.served("notify");
    one.sentAnswer("ack", 0);
    one.sentAnswer("result", -2); // refused by the bus: not counted
    assert.deepEqual(clients.report().clients[0].served, {
      flows: 1,
      notifications: 1,
      acks: 1,
      results: 0,
    });
  });

  test("mock control - a client on two links stays connected through the master's end, its calls open", () => {
    const c = clock();
    const clients = new ServedClients(c);
    // The vendor's library logs master (node 0) and slave (node 1) in.
    const master = clients.login(at(1), 0);
    const slave = clients.login(at(1), 1);
    assert.equal(master, slave, "one entry per address");
    master.called(1, 0, 500, 0);
    const stats = () => clients.report().clients[0];
    assert.deepEqual([stats().connected, stats().node], [true, 0]);
    // The master's node stops: the slave link carries on, with the call.
    master.left(0);
    assert.deepEqual(
      [stats().connected, stats().node, stats().disconnects],
      [true, 1, 1],
    );
    assert.deepEqual([stats().flows.open, stats().flows.unanswered], [1, 0]);
    slave.answered(1);
    assert.deepEqual([stats().flows.answered, stats().flows.open], [1, 0]);
    master.called(2, 0, 500, 0);
    slave.left(1);
    assert.deepEqual(
      [stats().connected, stats().node, stats().flows.unanswered],
      [false, 1, 1],
    );
  });

  test("mock control - open calls and addresses are bounded; the oldest that left makes room", () => {
    const c = clock();
    const clients = new ServedClients(c);
    const one = clients.login(at(1), 0);
    for (let id = 0; id < MAX_OPEN_FLOWS; id++) one.called(id, 0, 1000, 0);
    one.called(MAX_OPEN_FLOWS, 0, 1000, 0);
    let r = clients.report();
    assert.deepEqual(r.openFlows, {
      tracked: MAX_OPEN_FLOWS,
      max: MAX_OPEN_FLOWS,
    });
    assert.deepEqual([r.clients[0].flows.open, r.clients[0].flows.untracked], [
      MAX_OPEN_FLOWS,
      1,
    ]);
    // Once their deadline passed, a call that finds the budget full
    // sweeps them out and is followed.
    c.advance(1000);
    one.called(MAX_OPEN_FLOWS + 1, 0, 1000, 0);
    r = clients.report();
    assert.deepEqual(r.openFlows.tracked, 1);
    assert.deepEqual(
      [r.clients[0].flows.unanswered, r.clients[0].flows.untracked],
      [MAX_OPEN_FLOWS, 1],
    );

    const addr = (i: number) => ({
      unitId: 30 + (i >> 8),
      clientId: i & 0xff,
      clientType: 4,
    });
    const logins = [one];
    for (let i = 1; i < MAX_SERVED_CLIENTS; i++) {
      logins.push(clients.login(addr(i), 0));
    }
    const extra = clients.login(addr(MAX_SERVED_CLIENTS), 0);
    extra.sentData(5, 0);
    r = clients.report();
    assert.equal(r.clients.length, MAX_SERVED_CLIENTS);
    assert.equal(r.untrackedLogins, 1, "every address followed is connected");
    logins[7].left(0);
    c.advance(1);
    logins[3].left(0);
    clients.login(addr(MAX_SERVED_CLIENTS + 1), 0);
    r = clients.report();
    const seen = new Set(
      r.clients.map((s) => s.address.clientId + 256 * (s.address.unitId - 30)),
    );
    assert.ok(!seen.has(7), "the address that left longest ago went");
    assert.ok(seen.has(3) && seen.has(MAX_SERVED_CLIENTS + 1));
    assert.equal(r.clients.length, MAX_SERVED_CLIENTS);
  });
});

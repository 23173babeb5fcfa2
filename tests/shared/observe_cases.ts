/**
 * What an operator reads off a running client, on every backend: the
 * figures of `client.stats()` and `bus.stats()` after a known mix of
 * calls, and the events of the tracing channels with their contexts. Run
 * by each `tests/api_<backend>.test.ts` with its env.
 */
import assert from "node:assert/strict";
import diagnostics_channel from "node:diagnostics_channel";
import process from "node:process";
import {
  AbortedError,
  ClientType,
  CmdType,
  CONNECTION_CHANNELS,
  type ConnectionEventMessage,
  FlowNotStartedError,
  FlowTimeoutError,
  type LatencyWindows,
  LibraryError,
  RECENT_WINDOW_MS,
  TRACING_CHANNELS,
} from "../../mod.ts";
import { FlowFailure } from "../../src/mock/mod.ts";
import { clientOn, connected, PEER, peers, UNIT } from "./api_cases.ts";
import {
  describe,
  type EnvFactory,
  nextEvent,
  test,
  type TestEnv,
  until,
  withEnv,
} from "./env.ts";

/** Latency the bus adds to each flow and ping delivery (each way), ms. */
const HOP_MS = 5;
/** How long the "ok" flow works before it answers, ms. */
const WORK_MS = 20;

/** The flows of these cases, on the env's IPSC. */
function flows(env: TestEnv): void {
  env.ipsc.flow("proj", "ok", async ([x], ctx) => {
    await ctx.sleep(WORK_MS);
    return [x];
  });
  env.ipsc.flow("proj", "fire", () => ["ignored"]);
  env.ipsc.flow("proj", "busy", (_p, ctx) => ctx.refuse(-2, "too busy"));
  env.ipsc.flow("proj", "broken", () => {
    throw new FlowFailure(-3);
  });
  env.ipsc.flow("proj", "silent", (_p, ctx) => ctx.noAnswer());
}

const call = (flow: string, params: unknown[] = []) => ({
  server: 0,
  process: 0,
  project: "proj",
  flow,
  params,
});

/**
 * A latency summary pair holds `count` samples of `ms` each: exactly on
 * the virtual clock; on real time at least `ms` (timers may fire up to a
 * millisecond early per hop) and ordered.
 */
function latencyOf(
  env: TestEnv,
  w: LatencyWindows,
  count: number,
  ms: number,
  what: string,
): void {
  for (const [name, s] of Object.entries(w)) {
    const label = `${what} (${name})`;
    if (env.virtualTime) {
      assert.deepEqual(
        s,
        { count, sum: count * ms, p50: ms, p90: ms, p99: ms, max: ms },
        label,
      );
      continue;
    }
    assert.equal(s.count, count, label);
    assert.ok(s.p50! >= ms - 3, `${label}: p50 ${s.p50} < ${ms}`);
    assert.ok(
      s.p50! <= s.p90! && s.p90! <= s.p99! && s.p99! <= s.max!,
      `${label}: ${JSON.stringify(s)}`,
    );
    assert.ok(s.max! < ms + 5000, `${label}: max ${s.max}`);
    assert.ok(s.sum >= count * (ms - 3) && s.sum <= count * s.max!, label);
  }
}

/** `[code, n]` pairs of `codes` as a `CodeCounts`. */
function byCode(codes: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of [...codes].sort((a, b) => a - b)) {
    out[String(c)] = (out[String(c)] ?? 0) + 1;
  }
  return out;
}

const enc = (s: string) => new TextEncoder().encode(s).byteLength;

/** `p` once it settled, letting bus time pass meanwhile (at most 10 s). */
async function settled<T>(env: TestEnv, p: Promise<T>): Promise<T> {
  let done = false;
  p.then(() => done = true, () => done = true);
  await until(env, () => done, 10_000);
  return p;
}

export function observeCases(label: string, factory: EnvFactory): void {
  describe(`observe (${label})`, () => {
    test("stats - a known mix of calls is counted figure by figure, latencies on the bus clock", () =>
      withEnv(factory, async (env) => {
        flows(env);
        const bus = env.unit(UNIT);
        const [a] = await connected(bus, env, 1);
        const [b] = await peers(env, [2]);
        env.bus.faults.latency({ baseMs: HOP_MS, kinds: ["flow", "ping"] });
        const toPeer = {
          unitId: PEER,
          clientId: 2,
          clientType: ClientType.AGENT,
        };
        const fresh = a.stats();
        assert.equal(fresh.localClientId, 1);
        assert.equal(fresh.state, "connected");
        assert.deepEqual(fresh.connection, {
          connects: 1,
          disconnects: 0,
          failures: 0,
          failuresByCode: {},
        });
        assert.equal(fresh.flows.started, 0);
        assert.deepEqual(fresh.latency.flowAck.lifetime, {
          count: 0,
          sum: 0,
          p50: null,
          p90: null,
          p99: null,
          max: null,
        });

        // What b and a receive, and the seed-form flow's answer.
        const atB: number[] = [];
        b.on("receiveData", (_i, d) => void atB.push(d.byteLength));
        const atA: string[] = [];
        a.on("receiveText", (_i, t) => void atA.push(t));
        let seedAnswered = false;

        // The mix, all at one instant of the bus clock.
        let settled = 0;
        const watch = <T>(p: Promise<T>) => {
          p.then(() => settled++, () => settled++);
          return p;
        };
        const ok1 = watch(a.invoke(call("ok", [1])));
        const ok2 = watch(a.invoke(call("ok", [2])));
        const seedId = a.invokeFlow(0, 0, "proj", "ok", [3]);
        a.on("invokeFlowRespond", (_i, _p, id) => {
          if (id === seedId) seedAnswered = true;
        });
        const fire = watch(a.invoke({ ...call("fire"), wantResult: false }));
        const busy = watch(a.invoke(call("busy")));
        const broken = watch(a.invoke(call("broken")));
        const late = watch(a.invoke(call("silent"), { timeout: 300 }));
        const ac = new AbortController();
        const given = watch(
          a.invoke(call("silent"), { timeout: 60_000, signal: ac.signal }),
        );
        const pending = a.invoke(call("silent"), { timeout: 60_000 });
        pending.catch(() => {});
        ac.abort(new Error("caller gave up"));
        const rtt1 = watch(a.rtt(toPeer, { timeout: 5000 }));
        const rtt2 = watch(a.rtt(toPeer, { timeout: 5000 }));
        a.ping(PEER, 2, ClientType.AGENT, "are you there");
        a.send(1, CmdType.USER, PEER, 2, ClientType.AGENT, "one");
        a.send(1, CmdType.USER, PEER, 2, ClientType.AGENT, new Uint8Array(3));
        a.send(1, CmdType.USER, PEER, 2, ClientType.AGENT, "中文");
        b.send(1, CmdType.USER, UNIT, 1, ClientType.AGENT, "hi");
        b.send(1, CmdType.USER, UNIT, 1, ClientType.AGENT, "hi");
        a.sendNotify(0, 0, "proj", "title", 1, 1.5, "x");

        await until(
          env,
          () =>
            settled === 9 && seedAnswered && atB.length === 3 &&
            atA.length === 3 && env.bus.notifications().length === 1,
          env.virtualTime ? 2000 : 10_000,
        );
        assert.deepEqual(await ok1, [1]);
        assert.deepEqual(await ok2, [2]);
        assert.deepEqual(await fire, []);
        await assert.rejects(
          busy,
          (e) => e instanceof FlowNotStartedError && e.ack === -2,
        );
        await assert.rejects(
          broken,
          (e) => e instanceof FlowNotStartedError && e.ack === -3,
        );
        await assert.rejects(late, FlowTimeoutError);
        await assert.rejects(given, AbortedError);
        const rtts = [await rtt1, await rtt2];
        assert.deepEqual(atA.sort(), ["are you there", "hi", "hi"]);

        const s = a.stats();
        if (env.virtualTime) assert.equal(s.at, bus.timers.now());
        else assert.ok(s.at <= bus.timers.now());
        const textBytes = enc("one") + 1 + 3 + enc("中文") + 1;
        assert.deepEqual(s.data, {
          sent: { count: 3, bytes: textBytes },
          received: { count: 2, bytes: 2 * (enc("hi") + 1) },
          errors: 0,
        });
        assert.deepEqual(atB.reduce((x, y) => x + y), textBytes);
        assert.equal(s.pings.sent.count, 3);
        assert.ok(s.pings.sent.bytes > enc("are you there") + 1);
        assert.deepEqual(s.pings.received, s.pings.sent, "answers echo");
        assert.equal(s.pings.errors, 0);
        assert.equal(s.pings.inFlight, 0);
        assert.deepEqual(s.flows, {
          started: 9,
          acknowledged: 4, // ok ×3 (one from invokeFlow), fire
          answered: 4,
          failed: 0,
          failedByCode: {},
          notStarted: 2,
          notStartedByCode: { "-3": 1, "-2": 1 },
          timedOut: 1,
          aborted: 1,
          inFlight: 1,
          errors: 0,
        });
        assert.deepEqual(s.notifications, { sent: 1, errors: 0 });
        latencyOf(env, s.latency.flowAck, 4, 2 * HOP_MS, "flow ack");
        latencyOf(
          env,
          s.latency.flowResult,
          3,
          2 * HOP_MS + WORK_MS,
          "flow result",
        );
        latencyOf(env, s.latency.pingRtt, 2, 2 * HOP_MS, "ping rtt");
        assert.equal(s.latency.pingRtt.lifetime.max, Math.max(...rtts));

        // Calls the library refuses: a client that never connected.
        const idle = clientOn(bus, env, 3);
        assert.throws(
          () => idle.send(1, CmdType.USER, PEER, 2, ClientType.AGENT, "x"),
          LibraryError,
        );
        assert.throws(
          () => idle.ping(PEER, 2, ClientType.AGENT, "x"),
          LibraryError,
        );
        await assert.rejects(idle.invoke(call("ok", [4])), LibraryError);
        assert.throws(
          () => idle.sendNotify(0, 0, "proj", "t", 1, 1, "x"),
          LibraryError,
        );
        const i = idle.stats();
        assert.deepEqual(
          [
            i.data.errors,
            i.pings.errors,
            i.flows.errors,
            i.notifications.errors,
          ],
          [1, 1, 1, 1],
        );
        assert.equal(i.flows.started, 0);

        // The unit adds its clients up.
        const u = bus.stats();
        assert.equal(u.unitId, UNIT);
        assert.equal(u.clients, 2);
        assert.deepEqual(u.flows, { ...s.flows, errors: 1 });
        assert.deepEqual(u.data, { ...s.data, errors: 1 });
        assert.deepEqual(u.latency, s.latency);
        assert.deepEqual(
          u.eventQueue,
          env.name === "mock" || process.env.SMARTBUS_EVENT_QUEUE === "off"
            ? null
            : { dropped: 0 },
        );

        // A dropped link: the node stops, then starts again.
        const fails: number[] = [];
        a.on("connectFail", (_u, code) => void fails.push(code));
        let drops = 0;
        a.on("disconnect", () => void drops++);
        env.bus.stopNode(0);
        await until(
          env,
          () => drops === 1 && fails.length >= 1,
          env.reconnectMs * 3 + 10_000,
        );
        env.bus.startNode(0);
        await until(
          env,
          () => a.state.state === "connected",
          env.reconnectMs * 3 + 10_000,
        );
        assert.deepEqual(a.stats().connection, {
          connects: 2,
          disconnects: 1,
          failures: fails.length,
          failuresByCode: byCode(fails),
        });

        // Closing: the flow still in flight counts as aborted, and the
        // unit keeps the closed clients' figures.
        a.close();
        idle.close();
        await assert.rejects(pending, AbortedError);
        const last = a.stats();
        assert.equal(last.state, "closed");
        assert.equal(last.flows.aborted, 2);
        assert.equal(last.flows.inFlight, 0);
        const gone = bus.stats();
        assert.equal(gone.clients, 0);
        assert.deepEqual(gone.flows, { ...last.flows, errors: 1 });
        assert.deepEqual(gone.connection, last.connection);
        assert.deepEqual(gone.pings, { ...last.pings, errors: 1 });

        if (env.virtualTime) {
          // The recent window moves on with the bus clock; the life stays.
          await env.pass(RECENT_WINDOW_MS);
          for (const st of [a.stats(), bus.stats()]) {
            assert.equal(st.latency.flowAck.recent.count, 0);
            assert.equal(st.latency.flowAck.recent.p50, null);
            assert.equal(st.latency.flowAck.lifetime.count, 4);
          }
        }
      }));

    test("tracing - each channel sees start, end and error with the call's context", () =>
      withEnv(factory, async (env) => {
        flows(env);
        const bus = env.unit(UNIT);
        const [b] = await peers(env, [2]);
        void b;
        const seen: {
          channel: string;
          event: string;
          ctx: Record<string, unknown>;
        }[] = [];
        const subs: (() => void)[] = [];
        for (const [key, name] of Object.entries(TRACING_CHANNELS)) {
          const tc = diagnostics_channel.tracingChannel(name);
          const at = (event: string) => (ctx: object) => {
            const c = ctx as Record<string, unknown>;
            if (c.unitId === UNIT) {
              seen.push({ channel: key, event, ctx: { ...c } });
            }
          };
          const handlers = {
            start: at("start"),
            end: at("end"),
            asyncStart: at("asyncStart"),
            asyncEnd: at("asyncEnd"),
            error: at("error"),
          };
          tc.subscribe(handlers);
          subs.push(() => tc.unsubscribe(handlers));
        }
        const messages: { channel: string; m: ConnectionEventMessage }[] = [];
        for (const [key, name] of Object.entries(CONNECTION_CHANNELS)) {
          const fn = (m: unknown) => {
            const msg = m as ConnectionEventMessage;
            if (msg.unitId === UNIT) messages.push({ channel: key, m: msg });
          };
          diagnostics_channel.subscribe(name, fn);
          subs.push(() => diagnostics_channel.unsubscribe(name, fn));
        }
        const of = (channel: string) => {
          const list = seen.filter((e) => e.channel === channel);
          seen.splice(
            0,
            seen.length,
            ...seen.filter((e) => e.channel !== channel),
          );
          return list;
        };
        const events = (list: { event: string }[]) => list.map((e) => e.event);
        try {
          const a = clientOn(bus, env, 1);
          assert.equal(await a.connect({ timeout: 10_000 }), 0);
          const conn = of("connect");
          assert.deepEqual(events(conn), [
            "start",
            "end",
            "asyncStart",
            "asyncEnd",
          ]);
          assert.deepEqual(conn[0].ctx, {
            unitId: UNIT,
            localClientId: 1,
            master: `${env.master.host}:${env.master.port}`,
            slave: null,
          });
          assert.equal(conn[3].ctx.result, 0);
          assert.deepEqual(messages.map((m) => [m.channel, m.m]), [[
            "connected",
            { unitId: UNIT, localClientId: 1, accessUnitId: 0 },
          ]]);

          const dst = {
            unitId: PEER,
            clientId: 2,
            clientType: ClientType.AGENT,
          };
          a.send(7, CmdType.USER, PEER, 2, ClientType.AGENT, "hey");
          assert.throws(() => a.send(7, CmdType.USER, UNIT, 2, 0, "me"));
          const sends = of("send");
          assert.deepEqual(events(sends), [
            "start",
            "end",
            "start",
            "error",
            "end",
          ]);
          assert.deepEqual(sends[0].ctx, {
            unitId: UNIT,
            localClientId: 1,
            dst,
            cmd: 7,
            cmdType: CmdType.USER,
            bytes: 4,
          });
          assert.equal((sends[3].ctx.error as { code: number }).code, -11);

          a.ping(PEER, 2, ClientType.AGENT, "p");
          const ms = await a.rtt(dst, { timeout: 5000 });
          const pings = of("ping");
          assert.deepEqual(events(pings), [
            "start",
            "end",
            "start",
            "end",
            "asyncStart",
            "asyncEnd",
          ]);
          assert.equal(pings[0].ctx.awaited, false);
          assert.equal(pings[0].ctx.bytes, 2);
          assert.equal(pings[2].ctx.awaited, true);
          assert.ok((pings[3].ctx.bytes as number) > 0, "the token's size");
          assert.equal(pings[5].ctx.result, ms);

          assert.deepEqual(await settled(env, a.invoke(call("ok", [1]))), [1]);
          const busy = a.invoke(call("busy"), { timeout: 5000 });
          const refused = busy.then(() => null, (e) => e);
          await until(
            env,
            () => seen.filter((e) => e.channel === "invoke").length === 9,
            10_000,
          );
          assert.ok((await refused) instanceof FlowNotStartedError);
          const seedId = a.invokeFlow(0, 0, "proj", "ok", [2]);
          const inv = of("invoke");
          assert.deepEqual(events(inv), [
            "start",
            "end",
            "asyncStart",
            "asyncEnd",
            "start",
            "end",
            "error",
            "asyncStart",
            "asyncEnd",
            "start",
            "end",
          ]);
          const [okStart, okEnd, , okDone] = inv;
          assert.deepEqual(okStart.ctx, {
            unitId: UNIT,
            localClientId: 1,
            server: 0,
            process: 0,
            project: "proj",
            flow: "ok",
            wantResult: true,
            timeoutMs: 30_000,
            awaited: true,
          });
          assert.ok((okEnd.ctx.invokeId as number) > 0);
          assert.equal(okDone.ctx.outcome, "answered");
          assert.deepEqual(okDone.ctx.result, [1]);
          assert.equal(inv[6].ctx.outcome, "notStarted");
          assert.ok(inv[6].ctx.error instanceof FlowNotStartedError);
          assert.equal(inv[9].ctx.awaited, false);
          assert.equal(inv[10].ctx.invokeId, seedId);
          assert.equal(inv[10].ctx.result, seedId);

          const idle = clientOn(bus, env, 3);
          await assert.rejects(idle.invoke(call("ok")), LibraryError);
          const never = of("invoke");
          assert.deepEqual(events(never), ["start", "error", "end"]);
          assert.equal(never[1].ctx.outcome, "error");
          assert.equal(never[1].ctx.localClientId, 3);

          const nid = a.sendNotify(0, 0, "proj", "title", 1, 1.5, "x");
          const notes = of("notify");
          assert.deepEqual(events(notes), ["start", "end"]);
          assert.deepEqual(notes[1].ctx, {
            unitId: UNIT,
            localClientId: 1,
            server: 0,
            process: 0,
            project: "proj",
            title: "title",
            mode: 1,
            expires: 1.5,
            result: nid,
          });

          // Connection events of a dropped link.
          messages.length = 0;
          const back = nextEvent<[number]>(
            (l) => a.on("connectSuccess", l),
            env.reconnectMs * 3 + 20_000,
          );
          let fails = 0;
          a.on("connectFail", () => void fails++);
          env.bus.stopNode(0);
          await until(env, () => fails >= 1, env.reconnectMs * 3 + 10_000);
          env.bus.startNode(0);
          await until(
            env,
            () => a.state.state === "connected",
            env.reconnectMs * 3 + 10_000,
          );
          await back;
          const kinds = messages.map((m) => m.channel);
          assert.equal(kinds[0], "disconnected");
          assert.equal(kinds.at(-1), "connected");
          assert.equal(
            kinds.filter((k) => k === "connectFailed").length,
            fails,
          );
          const failed = messages.find((m) => m.channel === "connectFailed")!;
          assert.equal(typeof failed.m.code, "number");
          assert.ok(failed.m.code! < 0);
        } finally {
          for (const off of subs) off();
        }
        const idleSend = diagnostics_channel.tracingChannel(
          TRACING_CHANNELS.send,
        );
        assert.equal(idleSend.start.hasSubscribers, false);
      }));
  });
}

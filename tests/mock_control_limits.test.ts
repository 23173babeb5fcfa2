/**
 * The served mock's limits under load: long polls woken by the records
 * they wait for (no polling, a cap on how many at once, gone with their
 * client or the server), the journal's clear freeing the records, event
 * streams whose readers fall behind being dropped and counted, and faults
 * kept once each under a cap.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { Client, type FlowError, silentLogger, SmartBus } from "../mod.ts";
import {
  FlowStubs,
  Journal,
  MockBackend,
  MockBus,
  VirtualClock,
  WaitTimeoutError,
} from "../src/mock/mod.ts";
import { MAX_WAITS } from "../src/mock/control/journal.ts";
import { MAX_FAULTS } from "../src/mock/control/fault_book.ts";
import { MAX_SUBSCRIBERS } from "../src/mock/control/events.ts";
import { bounded } from "./shared/raw_client.ts";
import { call, connectedClient, controlEnv } from "./shared/control_env.ts";

const A = "/api/v1";

/** Poll `cond` until it holds, at most `ms`. */
async function eventually(
  cond: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  const end = performance.now() + ms;
  while (!(await cond())) {
    if (performance.now() > end) {
      throw new Error(`${what}: not within ${ms} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A bus in memory (real time) with clients 30 and 31 on node 0. */
async function memoryBus(clock?: VirtualClock): Promise<{
  bus: MockBus;
  say(text: string): void;
  client: Client;
  [Symbol.dispose](): void;
}> {
  const bus = new MockBus({ logger: () => {}, ...clock ? { clock } : {} });
  bus.addNode({ unitId: 0, port: 8000 });
  bus.addIpsc({ unitId: 0, processIndex: 0 });
  const open = await Promise.all([30, 31].map(async (unitId) => {
    const sb = new SmartBus({
      unitId,
      backend: new MockBackend(bus),
      logger: silentLogger,
    });
    const client = new Client({
      bus: sb,
      localClientId: 1,
      masterHost: "127.0.0.1",
      masterPort: 8000,
    });
    const connecting = client.connect({ timeout: 5000 });
    await clock?.advance(10);
    await connecting;
    return { sb, client };
  }));
  const client = open[0].client;
  return {
    bus,
    client,
    say: (text) => client.send(1, 3, 31, 1, 4, text),
    [Symbol.dispose]: () => {
      for (const o of open) {
        o.client.close();
        o.sb.close();
      }
    },
  };
}

/** `bus` with every full scan of its records counted. */
function counted(bus: MockBus): { source: MockBus; scans(): number } {
  let scans = 0;
  const source = new Proxy(bus, {
    get(target, key) {
      const v = Reflect.get(target, key, target);
      if (typeof v !== "function") return v;
      return (...args: unknown[]) => {
        const out = v.apply(target, args);
        if (["sent", "flowCalls", "notifications"].includes(String(key))) {
          scans++;
        }
        if (key !== "recordLog") return out;
        return {
          toArray: () => (scans++, out.toArray()),
          watch: (fn: never) => out.watch(fn),
        };
      };
    },
  });
  return { source, scans: () => scans };
}

/** A raw HTTP GET of `path` whose answer is read (or not) as it comes. */
function rawGet(port: number, path: string, read = true): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => {
      s.off("error", reject);
      s.on("error", () => {});
      s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      if (read) s.resume();
      resolve(s);
    });
    s.on("error", reject);
  });
}

describe("mock control - journal waits", () => {
  test("mock control - an idle wait scans nothing; the record it waits for answers it at once", async () => {
    using m = await memoryBus();
    for (let i = 0; i < 10_000; i++) m.say(`filler ${i}`);
    const { source, scans } = counted(m.bus);
    const journal = new Journal(source);
    let before = scans();
    await assert.rejects(
      journal.waitFor("messages", { text: "never" }, { timeoutMs: 300 }),
      WaitTimeoutError,
    );
    const idle = scans() - before;
    // One look when the wait starts; a poll every 10 ms would be 30.
    assert.ok(idle <= 1, `${idle} scans of 10,000 records in 300 ms`);
    const waiting = journal.waitFor("messages", { text: "the one" }, {
      timeoutMs: 5000,
    });
    before = scans();
    const t0 = performance.now();
    m.say("the one");
    const [hit] = await bounded(waiting, 2000, "the wait");
    const ms = performance.now() - t0;
    assert.equal(hit.text, "the one");
    assert.ok(ms < 50, `answered ${ms.toFixed(1)} ms after the record`);
    assert.ok(scans() - before <= 1, `${scans() - before} scans to answer`);
    assert.equal(journal.waiting, 0);
  });

  test("mock control - waits are capped; one already answered is not refused; aborting frees a slot", async () => {
    using m = await memoryBus();
    const journal = new Journal(m.bus);
    assert.equal(journal.maxWaits, MAX_WAITS);
    journal.maxWaits = 2;
    const ac = new AbortController();
    const first = journal.waitFor("messages", { text: "x1" }, {
      timeoutMs: 5000,
      signal: ac.signal,
    }).catch((e: Error) => e.name);
    const second = journal.waitFor("messages", { text: "x2" }, {
      timeoutMs: 5000,
    });
    assert.equal(journal.waiting, 2);
    await assert.rejects(
      journal.waitFor("messages", { text: "x3" }, { timeoutMs: 5000 }),
      (e: Error & { status: number; code: string }) =>
        e.name === "TooManyWaitsError" && e.status === 503 &&
        e.code === "too_many_waits" &&
        /at most 2 journal waits at once/.test(e.message),
    );
    m.say("x0");
    assert.equal((await journal.waitFor("messages", { text: "x0" })).length, 1);
    ac.abort();
    assert.equal(await first, "AbortError");
    assert.equal(journal.waiting, 1);
    m.say("x2");
    assert.equal((await bounded(second, 2000, "second wait"))[0].text, "x2");
    assert.equal(journal.waiting, 0);
  });

  test("mock control - clearing the journal frees the records; waits then count only what comes after", async () => {
    using m = await memoryBus();
    for (let i = 0; i < 100; i++) m.say(`old ${i}`);
    assert.ok(m.bus.recordBytes > 0);
    const journal = new Journal(m.bus);
    const two = journal.waitFor("messages", { text: "new" }, {
      count: 2,
      timeoutMs: 5000,
    });
    m.say("new 1");
    journal.clear();
    assert.equal(m.bus.sent().length, 0);
    assert.equal(m.bus.recordBytes, 0);
    assert.equal(journal.count("messages"), 0);
    m.say("new 2");
    m.say("new 3");
    const got = await bounded(two, 2000, "the wait for two");
    assert.deepEqual(got.map((r) => r.text), ["new 2", "new 3"]);
  });

  test("mock control - a wait on a flow call's state wakes on its answer, or at its deadline on bus time", async () => {
    const clock = new VirtualClock();
    using m = await memoryBus(clock);
    const stubs = new FlowStubs(m.bus);
    stubs.add({ project: "ivr", flow: "ok", reply: { result: [1] } });
    stubs.add({ project: "ivr", flow: "silent", reply: { noAnswer: true } });
    const journal = new Journal(m.bus);
    const unanswered = journal.waitFor("flowCalls", {
      flow: "silent",
      state: "unanswered",
    }, { timeoutMs: 5000 });
    const responded = journal.waitFor("flowCalls", {
      flow: "ok",
      state: "responded",
    }, { timeoutMs: 5000 });
    const flow = (name: string) =>
      m.client.invoke(
        { server: 0, process: 0, project: "ivr", flow: name, params: [] },
        { timeout: 1000 },
      ).catch((e: FlowError) => e.name);
    const calls = [flow("silent"), flow("ok")];
    await clock.advance(10);
    const [ok] = await bounded(responded, 2000, "the answered call");
    assert.deepEqual(ok.resultList, [1]);
    assert.equal(journal.waiting, 1);
    await clock.advance(2000);
    const [late] = await bounded(unanswered, 2000, "the unanswered call");
    assert.equal(late.state, "unanswered");
    assert.deepEqual(await Promise.all(calls), ["FlowTimeoutError", [1]]);
  });

  test("mock control - 500 waits over HTTP do not slow the API, nor a 5,000-message flood; they end with their clients", async () => {
    await using env = await controlEnv();
    using c30 = await connectedClient(env.server, 30);
    using _c31 = await connectedClient(env.server, 31);
    for (let i = 0; i < 10_000; i++) c30.client.send(1, 3, 31, 1, 4, `f ${i}`);
    const journal = env.server.control!.journal;
    const port = Number(new URL(env.url).port);
    // 500 different queries: none shares what it looks at with another.
    const waits = await Promise.all(
      Array.from(
        { length: 500 },
        (_, i) =>
          rawGet(port, `${A}/journal/messages/wait?text=n${i}&timeoutMs=30000`),
      ),
    );
    try {
      await eventually(() => journal.waiting === 500, 10_000, "500 waits");
      const t0 = performance.now();
      const state = await call(env.url, "GET", `${A}/state`);
      const stateMs = performance.now() - t0;
      assert.equal(state.status, 200);
      assert.ok(stateMs < 100, `GET /state took ${stateMs.toFixed(1)} ms`);
      const info = await call(env.url, "GET", A);
      assert.deepEqual(info.body.waits, { active: 500, max: MAX_WAITS });
      const t1 = performance.now();
      for (let i = 0; i < 5000; i++) {
        c30.client.send(1, 3, 31, 1, 4, `flood ${i}`);
      }
      await journal.waitFor("messages", {
        text: "flood",
        status: "delivered",
      }, { count: 5000, timeoutMs: 10_000 });
      const floodMs = performance.now() - t1;
      assert.ok(floodMs < 1000, `the flood took ${floodMs.toFixed(0)} ms`);
    } finally {
      for (const s of waits) s.destroy();
    }
    await eventually(() => journal.waiting === 0, 5000, "the waits end");
  });

  test("mock control - past the cap a wait gets 503 too_many_waits; the server's close ends the waits", async () => {
    const env = await controlEnv();
    try {
      const journal = env.server.control!.journal;
      journal.maxWaits = 3;
      const port = Number(new URL(env.url).port);
      const path = `${A}/journal/flow-calls/wait?flow=never&timeoutMs=30000`;
      const waits = await Promise.all([1, 2, 3].map(() => rawGet(port, path)));
      await eventually(() => journal.waiting === 3, 5000, "3 waits");
      const refused = await call(env.url, "GET", path);
      assert.equal(refused.status, 503);
      assert.equal(refused.body.error.code, "too_many_waits");
      assert.equal(refused.body.error.max, 3);
      assert.match(refused.body.error.message, /at most 3 journal waits/);
      assert.deepEqual((await call(env.url, "GET", A)).body.waits, {
        active: 3,
        max: 3,
      });
      const gone = waits.map((s) =>
        new Promise<void>((resolve) => s.once("close", () => resolve()))
      );
      await bounded(env.server.close(), 3000, "the server's close");
      await bounded(Promise.all(gone), 3000, "the waits' connections close");
      assert.equal(journal.waiting, 0);
    } finally {
      await env.server.close();
    }
  });
});

describe("mock control - event streams", () => {
  test("mock control - readers that never read are dropped and counted; the page gets in and its stream keeps working", async () => {
    await using env = await controlEnv({ control: { port: 0, tickMs: 20 } });
    const port = Number(new URL(env.url).port);
    // A state of about 1 MB, so that unread streams fill up fast.
    for (let i = 0; i < 20; i++) {
      await env.control.stubs.add({
        project: "ivr",
        flow: `big${i}`,
        reply: { result: ["x".repeat(50_000)] },
      });
    }
    let version = 0;
    const bump = () =>
      env.control.stubs.add({
        id: "marker",
        project: "ivr",
        flow: "marker",
        reply: { result: [`version-${++version}`] },
      });
    const stalled = await Promise.all(
      Array.from(
        { length: MAX_SUBSCRIBERS },
        () => rawGet(port, `${A}/events`, false),
      ),
    );
    const ac = new AbortController();
    try {
      // All slots are held by readers that never read: the page gets in
      // once they have fallen behind.
      let page: Response | undefined;
      await eventually(
        async () => {
          await bump();
          const res = await fetch(`${env.url}${A}/events`, {
            signal: ac.signal,
          });
          if (res.status === 200) page = res;
          else await res.body?.cancel();
          return page !== undefined;
        },
        15_000,
        "the page's stream",
      );
      const reader = page!.body!.getReader();
      const decoder = new TextDecoder();
      let ticks = 0;
      let seen = 0;
      const reading = (async () => {
        // What came last is kept so that a word split across chunks is
        // found; a tick already counted there is not counted again.
        let carry = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          const text = carry + decoder.decode(value, { stream: true });
          for (const m of text.matchAll(/event: tick|version-(\d+)\b/g)) {
            if (m[1] !== undefined) seen = Math.max(seen, Number(m[1]));
            else if (m.index! + m[0].length > carry.length) ticks++;
          }
          carry = text.slice(-32);
        }
      })().catch(() => {});
      const sees = (v: number) =>
        eventually(() => seen >= v, 5000, `the page sees version ${v}`);
      // The page keeps up with every change while the others are dropped.
      await eventually(
        async () => {
          await bump();
          await sees(version);
          const info = await call(env.url, "GET", A);
          return info.body.events.dropped === MAX_SUBSCRIBERS;
        },
        20_000,
        "every unread stream dropped",
      );
      const info = await call(env.url, "GET", A);
      assert.deepEqual(info.body.events, {
        subscribers: 1,
        maxSubscribers: MAX_SUBSCRIBERS,
        dropped: MAX_SUBSCRIBERS,
      });
      const ticked = ticks;
      await bump();
      await sees(version);
      await eventually(() => ticks > ticked + 2, 2000, "ticks go on");
      ac.abort();
      await reading;
    } finally {
      ac.abort();
      for (const s of stalled) s.destroy();
    }
  });
});

describe("mock control - fault limits", () => {
  test("mock control - the same cut again is kept once; rules and cuts past the cap get 409 too_many_faults", async () => {
    await using env = await controlEnv();
    const f = env.control.faults;
    for (let i = 0; i < 50; i++) await f.cutClient({ unitId: 30, clientId: 1 });
    assert.deepEqual((await f.state()).cutClients, [
      { unitId: 30, clientId: 1 },
    ]);
    await f.cutClient({ unitId: 31, clientId: 1 }, { node: 0 });
    await f.cutClient({ unitId: 31, clientId: 1 }, { node: 0 });
    await f.cutClient({ unitId: 31, clientId: 1 }, { node: 1 });
    assert.deepEqual((await f.state()).cutClients, [
      { unitId: 30, clientId: 1 },
      { unitId: 31, clientId: 1, node: 0 },
      { unitId: 31, clientId: 1, node: 1 },
    ]);
    await f.cutClient({ unitId: 31, clientId: 1 });
    assert.deepEqual((await f.state()).cutClients, [
      { unitId: 30, clientId: 1 },
      { unitId: 31, clientId: 1 },
    ]);
    const ids: string[] = [];
    for (let i = 2; i < MAX_FAULTS; i++) {
      ids.push(await f.latency({ baseMs: 1 }));
    }
    const more = await call(env.url, "POST", `${A}/faults/drops`, {
      share: 0.1,
    });
    assert.equal(more.status, 409);
    assert.equal(more.body.error.code, "too_many_faults");
    assert.equal(more.body.error.max, MAX_FAULTS);
    assert.match(more.body.error.message, /at most 256 faults at once/);
    const cut = await call(env.url, "POST", `${A}/faults/clients/cut`, {
      unitId: 32,
      clientId: 1,
    });
    assert.equal(cut.status, 409);
    await f.cutClient({ unitId: 30, clientId: 1 }); // no more than before
    const state = await f.state();
    assert.equal(state.rules.length + state.cutClients.length, MAX_FAULTS);
    await f.removeRule(ids[0]);
    await f.cutClient({ unitId: 32, clientId: 1 });
    await f.healAll();
    assert.equal((await f.state()).active, false);
  });
});

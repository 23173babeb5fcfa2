/**
 * The in-memory mock bus, under Deno and Bun (real clock, no TCP):
 *
 * - `routed_per_s`: messages routed by the bus core, one port sending the
 *   64-byte text to another (`bus.attach` ports, as the mock backend, the
 *   mock IPSC and the TCP front use them);
 * - `api_per_s`: the same through the public API (two `SmartBus` units on
 *   `MockBackend`s, `client.send` → `on("receiveData")`), what a test pays;
 * - `flows_per_s`: `client.invoke` of an echo flow on a mock IPSC, 64 in flight;
 * - heap per 100,000 pending `client.invoke` calls (a flow that holds until
 *   released), then the heap once they all settled, and after `bus.reset()`
 *   (which drops the bus's records).
 *
 * ```sh
 * deno run -A --v8-flags=--expose-gc bench/js/membus.ts --messages 1000000
 * bun bench/js/membus.ts --messages 1000000
 * ```
 * Prints one line `RESULT {json}`.
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import {
  Client,
  ClientType,
  CmdType,
  silentLogger,
  SmartBus,
} from "../../mod.ts";
import {
  type BusAddress,
  MockBackend,
  MockBus,
  type PortSink,
} from "../../src/mock/internal.ts";
import { collectGarbage, memory, now } from "./measure.ts";
import { TEXT } from "./driver.ts";

const BATCH = 10_000;

function sink(onData: () => void): PortSink {
  return {
    data: onData,
    flowAck() {},
    flowResult() {},
    globalConnect() {},
    closed() {},
  };
}

function newBus(): MockBus {
  const bus = new MockBus({ logger: () => {} });
  bus.addNode({ unitId: 0, port: 8000 });
  return bus;
}

/** Messages routed per second by the bus core, and heap kept per message. */
async function routed(n: number): Promise<Record<string, number>> {
  const bus = newBus();
  const attach = (address: BusAddress, onData: () => void) => {
    const r = bus.attach("127.0.0.1", 8000, {
      address,
      user: null,
      password: null,
      addInfo: new Uint8Array(),
    }, sink(onData));
    if (!r.ok) throw new Error(r.reason);
    return r.port;
  };
  let received = 0;
  let wake: () => void = () => {};
  let want = 0;
  const from = attach({ unitId: 17, clientId: 1, clientType: 0 }, () => {});
  const to = { unitId: 18, clientId: 1, clientType: 0 };
  attach(to, () => {
    if (++received === want) wake();
  });
  const bytes = new TextEncoder().encode(TEXT + "\0");
  await Promise.resolve();
  collectGarbage();
  const heap0 = memory().heap;
  const t0 = now();
  for (let sent = 0; sent < n;) {
    const k = Math.min(BATCH, n - sent);
    want = received + k;
    const done = new Promise<void>((r) => (wake = r));
    for (let i = 0; i < k; i++) from.send(1, CmdType.USER, to, bytes);
    sent += k;
    await done;
  }
  const ms = now() - t0;
  collectGarbage();
  const kept = memory().heap - heap0;
  bus.reset();
  return { routed_per_s: n / (ms / 1000), routed_heap_per_msg: kept / n };
}

function unit(bus: MockBus, unitId: number): SmartBus {
  return new SmartBus({
    unitId,
    backend: new MockBackend(bus),
    logger: silentLogger,
  });
}

async function client(u: SmartBus): Promise<Client> {
  const c = new Client({
    bus: u,
    localClientId: 1,
    masterHost: "127.0.0.1",
    masterPort: 8000,
  });
  await c.connect({ timeout: 5_000 });
  return c;
}

/** Messages per second through the public API over the mock backend. */
async function api(n: number): Promise<Record<string, number>> {
  const bus = newBus();
  const ua = unit(bus, 17);
  const ub = unit(bus, 18);
  const a = await client(ua);
  const b = await client(ub);
  let received = 0;
  let want = 0;
  let wake: () => void = () => {};
  b.on("receiveData", () => {
    if (++received === want) wake();
  });
  const t0 = now();
  for (let sent = 0; sent < n;) {
    const k = Math.min(BATCH, n - sent);
    want = received + k;
    const done = new Promise<void>((r) => (wake = r));
    for (let i = 0; i < k; i++) {
      a.send(1, CmdType.USER, 18, 1, ClientType.AGENT, TEXT);
    }
    sent += k;
    await done;
  }
  const ms = now() - t0;
  ua.close();
  ub.close();
  bus.reset();
  return { api_per_s: n / (ms / 1000) };
}

const CALL = {
  server: 0,
  process: 0,
  project: "bench",
  flow: "echo",
  params: [1, 2],
};

/** Flow calls per second, 64 in flight. */
async function flows(n: number): Promise<Record<string, number>> {
  const bus = newBus();
  bus.addIpsc({ unitId: 0, processIndex: 0 }).flow("bench", "echo", (p) => p);
  const u = unit(bus, 17);
  const c = await client(u);
  let issued = 0;
  const worker = async () => {
    while (issued < n) {
      issued++;
      await c.invoke(CALL);
    }
  };
  const t0 = now();
  await Promise.all(Array.from({ length: 64 }, worker));
  const ms = now() - t0;
  u.close();
  bus.reset();
  return { flows_per_s: n / (ms / 1000) };
}

const MB = 1024 * 1024;

/** Heap of `n` pending flow calls, scaled to 100,000; then after they settle and after a reset. */
async function pending(n: number): Promise<Record<string, number | boolean>> {
  const bus = newBus();
  let started = 0;
  let allStarted: () => void = () => {};
  const { promise: gate, resolve: open } = Promise.withResolvers<void>();
  bus.addIpsc({ unitId: 0, processIndex: 0 }).flow(
    "bench",
    "hold",
    async (p) => {
      if (++started === n) allStarted();
      await gate;
      return p;
    },
  );
  const u = unit(bus, 17);
  const c = await client(u);
  await new Promise((r) => setTimeout(r, 10));
  const gc = collectGarbage();
  const heap0 = memory().heap;
  const running = new Promise<void>((r) => (allStarted = r));
  const calls: Promise<unknown[]>[] = [];
  for (let i = 0; i < n; i++) {
    calls.push(c.invoke({ ...CALL, flow: "hold", params: [i] }));
  }
  await running;
  collectGarbage();
  const heapPending = memory().heap;
  open();
  await Promise.all(calls);
  calls.length = 0;
  await new Promise((r) => setTimeout(r, 10));
  collectGarbage();
  const heapSettled = memory().heap;
  u.close();
  bus.reset();
  await new Promise((r) => setTimeout(r, 10));
  collectGarbage();
  const heapReset = memory().heap;
  const scale = 100_000 / n;
  return {
    gc,
    pending_mb_per_100k: (heapPending - heap0) * scale / MB,
    settled_mb_per_100k: (heapSettled - heap0) * scale / MB,
    after_reset_mb_per_100k: (heapReset - heap0) * scale / MB,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      messages: { type: "string", default: "1000000" },
      flows: { type: "string", default: "100000" },
      pending: { type: "string", default: "100000" },
    },
  });
  const result = {
    ...(await routed(Number(values.messages))),
    ...(await api(Number(values.messages))),
    ...(await flows(Number(values.flows))),
    ...(await pending(Number(values.pending))),
  };
  console.log(`RESULT ${JSON.stringify(result)}`);
  process.exit(0);
}

if (import.meta.main) await main();

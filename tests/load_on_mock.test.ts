/**
 * Load, bounded and in memory: 32 units × 16 clients (the most a bus takes
 * per unit and node) connected at once on a virtual clock, exchanging data
 * and calling flows in rounds while node 0 — where they all sit — stops and
 * starts again. Asserted: every send that did not throw arrives exactly
 * once, every flow call that got an id resolves, no unhandled rejection
 * happens, and afterwards every piece of bookkeeping is empty (pending
 * flows, virtual timers, bus connections). The heap is compared with its
 * baseline only where a GC can be forced (Bun: `Bun.gc`, or `globalThis.gc`
 * under `--expose-gc`); elsewhere it is printed, not asserted: without a
 * forced GC the number is noise.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { Client, ClientType, silentLogger, SmartBus } from "../mod.ts";
import { MockBackend, MockBus, VirtualClock } from "../src/mock/mod.ts";

const UNITS = 32;
const PER_UNIT = 16;
const RECONNECT_MS = 1000;

function forceGc(): boolean {
  const g = globalThis as {
    gc?: () => void;
    Bun?: { gc(force: boolean): void };
  };
  if (g.Bun) g.Bun.gc(true);
  else if (typeof g.gc === "function") g.gc();
  else return false;
  return true;
}

function heapUsed(): number {
  return process.memoryUsage().heapUsed;
}

interface Member {
  client: Client;
  address: string;
  got: Map<string, number>;
}

async function loadRun(): Promise<
  { sent: number; threw: number; flows: number }
> {
  const clock = new VirtualClock();
  const bus = new MockBus({ clock, strict: true, logger: () => {} });
  bus.addNode({ unitId: 0, port: 8000 });
  bus.addNode({ unitId: 1, port: 8001 });
  bus.addIpsc({ unitId: 1, processIndex: 0, node: 1 })
    .flow("load", "echo", async ([v], ctx) => {
      await ctx.sleep(20);
      return [v];
    });
  const units: SmartBus[] = [];
  const members: Member[] = [];
  for (let u = 0; u < UNITS; u++) {
    const unit = new SmartBus({
      unitId: 16 + u,
      backend: new MockBackend(bus, { reconnectIntervalMs: RECONNECT_MS }),
      logger: silentLogger,
    });
    units.push(unit);
    for (let id = 0; id < PER_UNIT; id++) {
      const client = new Client({
        bus: unit,
        localClientId: id,
        localClientType: ClientType.AGENT,
        masterHost: "127.0.0.1",
        masterPort: 8000,
        slaverHost: "127.0.0.1",
        slaverPort: 8001,
      });
      const m: Member = { client, address: `${16 + u}/${id}`, got: new Map() };
      client.on(
        "receiveText",
        (_info, text) => void m.got.set(text, (m.got.get(text) ?? 0) + 1),
      );
      members.push(m);
    }
  }
  try {
    await Promise.all(members.map((m) => m.client.connect({ timeout: 5000 })));
    assert.equal(bus.clients().length, UNITS * PER_UNIT + 1);
    const expected = new Map<Member, string[]>();
    const flowCalls: Promise<unknown>[] = [];
    let sent = 0;
    let threw = 0;
    const n = members.length;
    for (let round = 0; round < 16; round++) {
      if (round === 4) bus.stopNode(0);
      if (round === 12) bus.startNode(0);
      for (let i = 0; i < n; i++) {
        const from = members[i];
        const to = members[(i * 7 + round * 13 + 1) % n];
        if (to === from || to.client.state.state !== "connected") continue;
        const text = `r${round} ${from.address}>${to.address}`;
        const [u, c] = to.address.split("/").map(Number);
        // The library sends nothing to its own unit.
        if (u === Number(from.address.split("/")[0])) continue;
        try {
          from.client.send(1, 3, u, c, ClientType.AGENT, text);
          sent++;
          expected.set(to, [...expected.get(to) ?? [], text]);
        } catch {
          threw++;
        }
        if (i % 16 === round % 16) {
          flowCalls.push(
            from.client.invoke({
              server: 1,
              process: 0,
              project: "load",
              flow: "echo",
              params: [text],
            }, {
              timeout: 5000,
            }).catch((e) => e),
          );
        }
      }
      await clock.advance(RECONNECT_MS / 4);
    }
    await clock.advance(2 * RECONNECT_MS);
    for (const m of members) {
      assert.equal(m.client.state.state, "connected", `${m.address} is back`);
      for (const text of expected.get(m) ?? []) {
        assert.equal(
          m.got.get(text),
          1,
          `${m.address} got "${text}" ${m.got.get(text) ?? 0} times`,
        );
      }
      assert.equal(
        [...m.got.values()].reduce((a, b) => a + b, 0),
        (expected.get(m) ?? []).length,
        `${m.address} got nothing else`,
      );
    }
    const outcomes = await Promise.all(flowCalls);
    const failed = outcomes.filter((o) => !Array.isArray(o));
    // A call made while its client was down is refused at once (LibraryError -2): not "sent".
    assert.ok(
      failed.every((e) => (e as { code?: number }).code === -2),
      `flow failures: ${failed.slice(0, 3)}`,
    );
    for (const m of members) assert.equal(m.client.pendingFlows, 0);
    assert.ok(threw > 0, "sends during the outage threw");
    return { sent, threw, flows: outcomes.length - failed.length };
  } finally {
    for (const u of units) u.close();
    await clock.flush();
    assert.equal(bus.clients().length, 1, "only the IPSC is left on the bus");
    bus.reset();
    await clock.runAll();
    assert.equal(clock.pendingTimers, 0, "no virtual timer left");
  }
}

describe("load - in memory", () => {
  test(
    "load - 32 units × 16 clients exchange data and call flows through a node restart",
    { timeout: 60_000 },
    async () => {
      const rejections: unknown[] = [];
      const onRejection = (e: unknown) => void rejections.push(e);
      process.on("unhandledRejection", onRejection);
      try {
        const gc = forceGc();
        const before = heapUsed();
        const started = Date.now();
        const r = await loadRun();
        const ms = Date.now() - started;
        await new Promise((res) => setTimeout(res, 0));
        forceGc();
        const after = heapUsed();
        const mb = (x: number) => (x / 1048576).toFixed(1);
        console.log(
          `load: ${r.sent} sends delivered once, ${r.threw} refused while down, ${r.flows} flows answered, ` +
            `${ms} ms; heap ${mb(before)} → ${mb(after)} MB${
              gc ? " (after GC)" : " (no forced GC: not asserted)"
            }`,
        );
        assert.deepEqual(rejections, []);
        assert.ok(ms < 20_000, `took ${ms} ms`);
        // Generous: one GC pass does not return every page, but 512 clients' worth of state would show.
        if (gc) {
          assert.ok(
            after - before < 16 * 1048576,
            `heap grew by ${mb(after - before)} MB`,
          );
        }
      } finally {
        process.off("unhandledRejection", onRejection);
      }
    },
  );
});

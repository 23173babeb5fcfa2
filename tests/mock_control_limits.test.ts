/**
 * The served mock's limits: the journal's clear freeing the records.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client, silentLogger, SmartBus } from "../mod.ts";
import {
  Journal,
  MockBackend,
  MockBus,
  type VirtualClock,
} from "../src/mock/mod.ts";
import { bounded } from "./shared/raw_client.ts";

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

describe("mock control - journal waits", () => {
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
});

/**
 * A test of an app on the mock is quiet by default and can still read what
 * was logged: the bus and the apps on it keep their lines in `mock.logs()`.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client, SmartBus } from "../mod.ts";
import {
  LogCapture,
  MockBackend,
  MockBus,
  VirtualClock,
} from "../src/mock/mod.ts";
import { logStamp } from "../src/mock/internal.ts";

describe("mock log capture", () => {
  test("mock log capture - a flow timeout is kept in mock.logs(), not printed", async () => {
    const printed: unknown[] = [];
    const saved = { warn: console.warn, error: console.error };
    console.warn = (...a: unknown[]) => void printed.push(a);
    console.error = (...a: unknown[]) => void printed.push(a);
    const clock = new VirtualClock();
    const mock = new MockBus({ clock, strict: true });
    mock.addNode({ unitId: 0, port: 8000 });
    mock.addIpsc({ unitId: 0, processIndex: 0 }).flow(
      "ivr",
      "silent",
      (_p, ctx) => ctx.noAnswer(),
    );
    const bus = new SmartBus({ unitId: 17, backend: new MockBackend(mock) });
    try {
      const client = new Client({
        bus,
        localClientId: 1,
        masterHost: "127.0.0.1",
        masterPort: 8000,
      });
      await client.connect();
      const late = client.invoke({
        server: 0,
        process: 0,
        project: "ivr",
        flow: "silent",
      }).catch((e: Error) => e.name);
      await clock.advance(30_000);
      assert.equal(await late, "FlowTimeoutError");
      const timedOut = mock.logs().filter((l) => /timed out/.test(l));
      assert.equal(timedOut.length, 1, mock.logs().join("\n"));
      assert.match(
        timedOut[0],
        /^error: \[busnetcli\] client 1: flow invoke id 1/,
      );
      assert.ok(mock.logs().some((l) => l.startsWith("[mockbus +0.000s] ")));
    } finally {
      bus.close();
      console.warn = saved.warn;
      console.error = saved.error;
    }
    assert.deepEqual(printed, []);
  });

  test("mock log capture - a logger given still wins", () => {
    const lines: string[] = [];
    const mock = new MockBus({ logger: (l) => lines.push(l) });
    mock.addNode({ unitId: 0, port: 8000 });
    mock.log("hello");
    assert.equal(mock.logs().length, 0);
    assert.match(lines.at(-1)!, /^\[mockbus \d{4}-\d\d-\d\dT[\d:.]+Z\] hello$/);
  });

  test("mock log capture - keeps the newest lines up to its limit", () => {
    const log = new LogCapture(3);
    for (let i = 0; i < 10; i++) log.push(`l${i}`);
    assert.deepEqual(log.lines(), ["l7", "l8", "l9"]);
    assert.equal(log.dropped, 7);
    log.logger.warn("w", new Error("boom"));
    assert.equal(log.lines().at(-1), "warn: w boom");
    log.clear();
    assert.deepEqual(log.lines(), []);
    assert.throws(() => new LogCapture(0), RangeError);
    assert.equal(logStamp({ now: () => 1500 }), "+1.500s");
    assert.equal(
      logStamp({ now: () => Date.UTC(2026, 0, 2) }),
      "2026-01-02T00:00:00.000Z",
    );
  });
});

// Smoke test of the installed npm package: the in-memory mock bus, through
// the package's own entry points (run by scripts/build_npm.ts under Node and
// Bun in a temporary project that installed the tarball).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  Client,
  FlowError,
  FlowTimeoutError,
  SmartBus,
} from "@smartbus/netclient";
import {
  FlowFailure,
  MockBackend,
  MockBus,
  VirtualClock,
} from "@smartbus/netclient/mock";

describe("npm package - mock bus", () => {
  test("npm - a flow result, a flow error and a virtual-time timeout", async () => {
    const clock = new VirtualClock();
    const mock = new MockBus({ clock, strict: true });
    mock.addNode({ unitId: 0, port: 8000 });
    const ipsc = mock.addIpsc({ unitId: 0, processIndex: 0 });
    ipsc.flow("ivr", "callout", ([to]) => [`called ${to}`, 42]);
    ipsc.flow("ivr", "broken", () => {
      throw new FlowFailure(-3);
    });
    ipsc.flow("ivr", "silent", (_params, ctx) => ctx.noAnswer());
    const bus = new SmartBus({ unitId: 17, backend: new MockBackend(mock) });
    try {
      assert.equal(bus.backend.kind, "mock");
      const client = new Client({
        bus,
        localClientId: 1,
        masterHost: "127.0.0.1",
        masterPort: 8000,
      });
      await client.connect({ timeout: 5000 });
      const call = (flow, params = []) =>
        client.invoke({ server: 0, process: 0, project: "ivr", flow, params });
      assert.deepEqual(await call("callout", ["10086"]), ["called 10086", 42]);
      await assert.rejects(call("broken"), FlowError);
      const late = call("silent");
      const outcome = late.catch((e) => e);
      await clock.advance(30_000);
      assert.ok((await outcome) instanceof FlowTimeoutError);
      client.close();
    } finally {
      bus.close();
    }
  });
});

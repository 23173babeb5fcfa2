// Smoke test of the installed npm package: a served mock bus with its
// control API (node:http) and MockControl (fetch), under Node and Bun.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client, SmartBus } from "@smartbus/netclient";
import {
  MockBackend,
  MockControl,
  startMockServer,
} from "@smartbus/netclient/mock";

describe("npm package - mock control API", () => {
  test("npm - a stub added over HTTP answers a client; the journal counts the call", async () => {
    const server = await startMockServer({
      nodes: [{ unitId: 0, port: 0 }],
      control: { port: 0 },
    });
    const bus = new SmartBus({
      unitId: 17,
      backend: new MockBackend(server.bus),
    });
    try {
      const control = new MockControl(server.control.url);
      await control.stubs.add({
        project: "ivr",
        flow: "hello",
        reply: { result: ["hi"] },
      });
      const client = new Client({
        bus,
        localClientId: 1,
        masterHost: server.addresses[0].host,
        masterPort: server.addresses[0].port,
      });
      await client.connect({ timeout: 5000 });
      const result = await client.invoke(
        { server: 0, process: 0, project: "ivr", flow: "hello" },
        { timeout: 5000 },
      );
      assert.deepEqual(result, ["hi"]);
      assert.equal(
        await control.journal.count("flowCalls", { flow: "hello" }),
        1,
      );
      client.close();
    } finally {
      bus.close();
      await server.close();
    }
  });
});

// Smoke test of the installed npm package: the runtime's native backend
// (koffi under Node, bun:ffi under Bun, Deno.dlopen under Deno) driving the stand-in libbusnetcli
// (SMARTBUS_STANDIN) over TCP to a mock bus from the package's ./mock export.
import process from "node:process";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client, ClientType, CmdType, SmartBus } from "@smartbus/netclient";
import { startMockServer } from "@smartbus/netclient/mock";

const STANDIN = process.env.SMARTBUS_STANDIN;
const runtime = "Deno" in globalThis
  ? "deno"
  : "Bun" in globalThis
  ? "bun"
  : "node";

describe("npm package - native backend on the stand-in", () => {
  test(`npm - ${runtime}: connect, flow result, a ping's round trip`, async () => {
    assert.ok(STANDIN, "SMARTBUS_STANDIN names the stand-in library");
    const server = await startMockServer({
      nodes: [{ unitId: 0, host: "127.0.0.1", port: 0 }],
      flows: { "ivr/hello": ([who]) => [`hi ${who}`, 42] },
    });
    const bus = new SmartBus({ unitId: 21, libraryPath: STANDIN });
    try {
      assert.equal(bus.backend.kind, runtime);
      const { host, port } = server.addresses[0];
      const [a, b] = [1, 2].map((localClientId) =>
        new Client({
          bus,
          localClientId,
          localClientType: ClientType.AGENT,
          masterHost: host,
          masterPort: port,
        })
      );
      for (const c of [a, b]) {
        assert.equal(await c.connect({ timeout: 10_000 }), 0);
      }
      const result = await a.invoke(
        {
          server: 0,
          process: 0,
          project: "ivr",
          flow: "hello",
          params: ["npm"],
        },
        { timeout: 10_000 },
      );
      assert.deepEqual(result, ["hi npm", 42]);
      // The library sends nothing to its own unit: the ping goes to the
      // IPSC and comes back through the bus (data both ways on the wire).
      const ms = await b.rtt(
        { unitId: 0, clientId: 0, clientType: ClientType.IPSC },
        { timeout: 10_000 },
      );
      assert.ok(Number.isFinite(ms) && ms >= 0, `rtt ${ms}`);
      assert.throws(
        () => a.send(1, CmdType.USER, 21, 2, ClientType.AGENT, "hello b"),
        (e) => e.name === "InvalidArgumentError" && e.code === -11,
      );
    } finally {
      bus.close();
      await server.close();
    }
  });
});

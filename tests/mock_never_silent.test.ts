/**
 * Nothing the mock sees goes unsaid: every flow call gets its log line, a
 * call to an IPSC that does not exist is answered at once, flow frames carry
 * their own commands on the wire (FLOW_ACK 13/1, FLOW_RESULT 12/1) and cmd 0
 * in process, and in strict mode a connect to an address no node listens on
 * fails at once, naming what there is.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  Client,
  ConnectError,
  FlowNotStartedError,
  silentLogger,
  SmartBus,
} from "../mod.ts";
import {
  FrameKind,
  MockBackend,
  MockBus,
  startMockServer,
  VirtualClock,
} from "../src/mock/internal.ts";
import { ErrorCode } from "../src/abi/constants.ts";
import { connectedBackend, cs } from "./shared/mock_recorders.ts";
import { RawClient } from "./shared/raw_client.ts";

function unitOn(bus: MockBus, unitId = 17): SmartBus {
  return new SmartBus({
    unitId,
    backend: new MockBackend(bus),
    logger: silentLogger,
  });
}

describe("mock silences", () => {
  test("silences - flow acknowledges and results carry 13/1 and 12/1 on the wire, cmd 0, cmdtype 0 in process", async () => {
    await using server = await startMockServer({
      nodes: [{ unitId: 0, port: 0 }],
      flows: { "p/f": ["ok"] },
    });
    const c = await RawClient.open(server.addresses[0].port);
    assert.equal(await c.login(1), 0);
    c.invokeFlow({ invokeId: 1, project: "p", flow: "f", params: "[]" });
    const ack = await c.next((f) => f.kind === FrameKind.FLOW_ACK);
    const ret = await c.next((f) => f.kind === FrameKind.FLOW_RESULT);
    assert.deepEqual([ack.head.cmd, ack.head.cmdType], [13, 1]);
    assert.deepEqual([ret.head.cmd, ret.head.cmdType], [12, 1]);
    c.socket.destroy();

    const clock = new VirtualClock();
    const bus = new MockBus({ clock });
    bus.addNode({ unitId: 0, port: 8000 });
    bus.addIpsc({ unitId: 0, processIndex: 0 }).flow("p", "f", () => ["ok"]);
    const { backend, rec } = await connectedBackend(bus, clock);
    backend.remoteInvokeFlow(0, 0, 0, cs("p"), cs("f"), 0, 1000, cs("[]"));
    await clock.flush();
    for (const name of ["invokeFlowAck", "invokeFlowRet"] as const) {
      const [[, head]] = rec.named(name) as [
        [number, { cmd: number; cmdType: number }],
      ];
      assert.equal(head.cmd, 0, name);
      assert.equal(head.cmdType, 0, name);
    }
    backend.release();
  });

  test("silences - the served mock logs a call refused for its parameters, and answers a missing IPSC at once", async () => {
    const lines: string[] = [];
    await using server = await startMockServer({
      nodes: [{ unitId: 0, port: 0 }],
      flows: { "p/f": ["ok"] },
      log: (l) => lines.push(l),
    });
    const c = await RawClient.open(server.addresses[0].port);
    assert.equal(await c.login(1), 0);
    const call = (invokeId: number, ipscIndex: number, params: string) =>
      c.invokeFlow({
        invokeId,
        ipscIndex,
        project: "p",
        flow: "f",
        params,
      });
    call(1, 0, "{bad");
    const ack = await c.next((f) => f.kind === FrameKind.FLOW_ACK);
    assert.ok(ack.kind === FrameKind.FLOW_ACK && ack.ack === -1);
    assert.ok(
      lines.some((l) => /flow p\/f .*refused: invalid parameter list/.test(l)),
      lines.join("\n"),
    );
    c.socket.destroy();

    // Not strict: no flow file's bus, an in-process caller on a virtual clock.
    const clock = new VirtualClock();
    const bus = new MockBus({ clock, logger: () => {} });
    bus.addNode({ unitId: 0, port: 8000 });
    const unit = unitOn(bus);
    const client = new Client({
      bus: unit,
      localClientId: 1,
      masterHost: "127.0.0.1",
      masterPort: 8000,
    });
    const connected = client.connect({ timeout: 1000 });
    await clock.flush();
    await connected;
    const outcome = client.invoke(
      { server: 0, process: 7, project: "p", flow: "f" },
      { timeout: 60_000 },
    ).then(() => "resolved", (e) => e);
    await clock.flush();
    const e = await outcome;
    assert.ok(e instanceof FlowNotStartedError, String(e));
    assert.equal(e.code, ErrorCode.DEST_NONEXIST);
    assert.equal(clock.now(), 0, "answered without any bus time passing");
    unit.close();
  });

  test("silences - strict: a connect to an address no node listens on fails at once, naming the nodes", async () => {
    const clock = new VirtualClock();
    const bus = new MockBus({ clock, strict: true, logger: () => {} });
    bus.addNode({ unitId: 0, port: 8000 });
    bus.addNode({ unitId: 1, port: 8001 });
    const unit = unitOn(bus);
    const typo = new Client({
      bus: unit,
      localClientId: 1,
      masterHost: "127.0.0.1",
      masterPort: 8009,
    });
    // Nobody advances the clock: only an at-once failure ends this.
    await assert.rejects(
      async () => await typo.connect({ timeout: 5_000 }),
      (e: unknown) => {
        assert.ok(e instanceof ConnectError, String(e));
        assert.equal(e.code, ErrorCode.ESTABLI_CONNECT);
        assert.match(e.message, /no node listens on 127\.0\.0\.1:8009/);
        assert.match(
          e.message,
          /node 0 at 127\.0\.0\.1:8000, node 1 at 127\.0\.0\.1:8001/,
        );
        return true;
      },
    );
    const slaveTypo = new Client({
      bus: unit,
      localClientId: 2,
      masterHost: "127.0.0.1",
      masterPort: 8000,
      slaverHost: "127.0.0.2",
      slaverPort: 8002,
    });
    await assert.rejects(
      async () => await slaveTypo.connect({ timeout: 5_000 }),
      /127\.0\.0\.2:8002 \(client 2's slave\)/,
    );
    // A stopped node is still a node: that connect waits, as on a real bus.
    bus.stopNode(1);
    const waits = new Client({
      bus: unit,
      localClientId: 3,
      masterHost: "127.0.0.1",
      masterPort: 8001,
    });
    const pending = waits.connect({ timeout: 5_000 }).catch((e) => e);
    await clock.advance(5_000);
    assert.ok((await pending) instanceof ConnectError);
    unit.close();
  });
});

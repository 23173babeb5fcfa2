/**
 * Every name of the seed (the Python package's documentation) exists and
 * means what it meant there: constructor parameters as properties, the
 * classmethods, and each overridable `on*` event raised with the seed's
 * arguments, by subclassing as Python users did. Run on every backend.
 */
import assert from "node:assert/strict";
import {
  Client,
  ClientType,
  CmdType,
  finalize,
  type PackInfo,
} from "../../mod.ts";
import { FlowFailure } from "../../src/mock/mod.ts";
import {
  describe,
  type EnvFactory,
  recordingLogger,
  test,
  type TestEnv,
  until,
  withEnv as withSharedEnv,
} from "./env.ts";

const UNIT = 19;
/** Another process's unit, on the same bus. */
const PEER = 18;

class SeedClient extends Client {
  log: string[] = [];
  override onConnectSuccess(unitId: number): void {
    this.log.push(`connectSuccess ${unitId}`);
  }
  override onConnectFail(unitId: number, errno: number): void {
    this.log.push(`connectFail ${unitId} ${errno}`);
  }
  override onDisconnect(): void {
    this.log.push("disconnect");
  }
  override onReceiveText(packInfo: PackInfo, txt: string): void {
    this.log.push(`receiveText ${packInfo.cmdType} ${txt}`);
  }
  override onInvokeFlowAcknowledge(
    _p: PackInfo | null,
    project: string,
    invokeId: number,
    ack: number,
    msg: string,
  ): void {
    this.log.push(`ack ${project} ${invokeId} ${ack} ${msg}`);
  }
  override onInvokeFlowRespond(
    _p: PackInfo | null,
    project: string,
    invokeId: number,
    result: unknown[] | null,
  ): void {
    this.log.push(`respond ${project} ${invokeId} ${JSON.stringify(result)}`);
  }
  override onInvokeFlowTimeout(
    p: PackInfo | null,
    project: string,
    invokeId: number,
  ): void {
    this.log.push(`timeout ${project} ${invokeId} ${p}`);
  }
  override onInvokeFlowError(
    _p: PackInfo | null,
    project: string,
    invokeId: number,
    errno: number,
  ): void {
    this.log.push(`error ${project} ${invokeId} ${errno}`);
  }
}

/** The shared `withEnv`, with the seed API's `finalize()` before closing. */
const withEnv = (
  factory: EnvFactory,
  fn: (env: TestEnv) => Promise<void>,
): Promise<void> => withSharedEnv(factory, fn, finalize);

export function seedCases(label: string, factory: EnvFactory): void {
  describe(`seed names (${label})`, () => {
    test("seed - the positional constructor keeps every parameter as a property", () =>
      withEnv(factory, async (env) => {
        const lines: string[] = [];
        Client.initialize({
          unitId: UNIT,
          ...env.unitOptions(),
          onGlobalConnect: (u, c, t, a, s, i) =>
            void lines.push(`${u} ${c} ${t} ${a} ${s} ${i}`),
        });
        assert.equal(Client.isInitialized(), true);
        assert.equal(Client.getUnitId(), UNIT);
        const c = new SeedClient(
          3,
          ClientType.AGENT,
          env.secured.host,
          env.secured.port,
          env.slave.host,
          env.slave.port,
          "alice",
          "s3cret",
          "ext",
          "gbk",
        );
        assert.equal(c.localClientId, 3);
        assert.equal(c.localClientType, ClientType.AGENT);
        assert.equal(c.masterHost, env.secured.host);
        assert.equal(c.masterPort, env.secured.port);
        assert.equal(c.slaverHost, env.slave.host);
        assert.equal(c.slaverPort, env.slave.port);
        assert.equal(c.authorUsr, "alice");
        assert.equal(c.authorPwd, "s3cret");
        assert.equal(c.extInfo, "ext");
        assert.equal(c.encoding, "gbk");
        assert.equal(c.unitid, null);
        const d = new Client(
          4,
          ClientType.AGENT,
          env.master.host,
          env.master.port,
        );
        assert.equal(d.slaverHost, null);
        assert.equal(d.slaverPort, 0xffff);
        assert.equal(d.authorUsr, null);
        assert.equal(d.encoding, "utf-8");
        await c.connect();
        // The vendor's library registers on master and slave at once: the
        // first to answer is the one reached (the stand-in does the same).
        const reached = c.unitid as unknown as number;
        assert.ok(reached === 2 || reached === 1, `reached ${reached}`);
        assert.equal(c.addr_expr, `${reached} 3 ${ClientType.AGENT}`);
        // The other link's -10 (this address is registered already) may be
        // read first, while no link is registered yet: a connectFail then.
        assert.deepEqual(
          c.log.filter((l) => !/^connectFail -?\d+ -10$/.test(l)),
          [`connectSuccess ${reached}`],
        );
        await until(
          env,
          () =>
            lines.some((l) => l.endsWith(" 2 mock-ipsc") || l.includes(" -1 ")),
          2000,
        );
        c.dispose();
        Client.finalize();
        assert.equal(Client.isInitialized(), false);
      }));

    test("seed - every on* event is raised with the seed's arguments", () =>
      withEnv(factory, async (env) => {
        env.ipsc.flow("p", "ok", () => ["r"]);
        env.ipsc.flow("p", "bad", () => {
          throw new FlowFailure(-7);
        });
        env.ipsc.flow("p", "never", (_x, ctx) => ctx.noAnswer());
        Client.initialize({
          unitId: UNIT,
          ...env.unitOptions(),
          logger: recordingLogger(),
        });
        const bad = new SeedClient(
          1,
          ClientType.AGENT,
          env.secured.host,
          env.secured.port,
          null,
          undefined,
          "alice",
          "nope",
        );
        void bad.connect().catch(() => {});
        await until(env, () => bad.log.length > 0, 3000);
        assert.match(bad.log[0], /^connectFail -?\d+ -6$/);
        const c = new SeedClient(
          2,
          ClientType.AGENT,
          env.master.host,
          env.master.port,
        );
        // The peer is another process's client (unit 18): the library
        // sends nothing to its own unit.
        const peer = new SeedClient({
          bus: env.peer(PEER),
          localClientId: 5,
          localClientType: ClientType.AGENT,
          masterHost: env.peerMaster.host,
          masterPort: env.peerMaster.port,
        });
        await c.connect();
        await peer.connect();
        c.send(1, CmdType.USER, PEER, 5, ClientType.AGENT, "hi");
        c.ping(PEER, 5, ClientType.AGENT, "png");
        const ok = c.invokeFlow(0, 0, "p", "ok", "single");
        const err = c.invokeFlow(0, 0, "p", "bad");
        const never = c.invokeFlow(0, 0, "p", "never", [], true, 0.2);
        await until(
          env,
          () => c.log.some((l) => l.startsWith("timeout")) && c.log.length >= 6,
          3000,
        ).catch((e) => {
          throw new Error(`${e.message}: ${JSON.stringify([c.log, peer.log])}`);
        });
        assert.ok(peer.log.includes("receiveText 3 hi"));
        assert.ok(
          c.log.includes("receiveText 1 png"),
          "the answer: cmd 8/cmdtype 1",
        );
        assert.ok(c.log.includes(`ack p ${ok} 1 `));
        assert.ok(c.log.includes(`respond p ${ok} ["r"]`));
        // No code crosses the wire in a result: a flow failing at once is
        // refused in its acknowledge.
        assert.ok(c.log.includes(`ack p ${err} -7 flow failed with ret -7`));
        assert.ok(!c.log.some((l) => l.startsWith("error")));
        assert.ok(c.log.includes(`timeout p ${never} null`));
        assert.deepEqual(
          env.bus.flowCalls().find((f) => f.invokeId === ok)?.params,
          '["single"]',
        );
        env.bus.stopNode(0);
        await until(env, () => c.log.includes("disconnect"), 3000);
        env.bus.startNode(0);
        await until(
          env,
          () => c.log.filter((l) => l === "connectSuccess 0").length === 2,
          env.reconnectMs * 4 + 10_000,
        );
      }));
  });
}

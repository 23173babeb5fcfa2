/**
 * Bad input gets a typed error before anything reaches the backend, and the
 * client keeps working. Run on every backend.
 */
import assert from "node:assert/strict";
import {
  AlreadyExistsError,
  AlreadyInitializedError,
  Client,
  ClientType,
  finalize,
  getUnitId,
  initialize,
  InvalidArgumentError,
  isInitialized,
  NotInitializedError,
  type PackInfo,
  SmartBus,
} from "../../mod.ts";
import {
  describe,
  type EnvFactory,
  nextEvent,
  test,
  type TestEnv,
  withEnv as withSharedEnv,
} from "./env.ts";

const UNIT = 17;
/** Another process's unit, on the same bus. */
const PEER = 18;

/** The shared `withEnv`, with the seed API's `finalize()` before closing. */
const withEnv = (
  factory: EnvFactory,
  fn: (env: TestEnv) => Promise<void>,
): Promise<void> => withSharedEnv(factory, fn, finalize);

const invalid = (argument: string) => (e: unknown) =>
  e instanceof InvalidArgumentError && e.argument === argument && e.code === -1;

export function inputCases(label: string, factory: EnvFactory): void {
  describe(`input (${label})`, () => {
    test("facade - initialize twice, calls before initialize and after finalize are typed errors", () =>
      withEnv(factory, async (env) => {
        assert.equal(isInitialized(), false);
        assert.throws(() => getUnitId(), NotInitializedError);
        assert.throws(
          () =>
            new Client(1, ClientType.AGENT, env.master.host, env.master.port),
          NotInitializedError,
        );
        const bus = Client.initialize({ unitId: UNIT, ...env.unitOptions() });
        assert.ok(bus instanceof SmartBus);
        assert.equal(Client.isInitialized(), true);
        assert.equal(Client.getUnitId(), UNIT);
        assert.throws(
          () => initialize({ unitId: 18, ...env.unitOptions() }),
          AlreadyInitializedError,
        );
        const c = new Client(
          1,
          ClientType.AGENT,
          env.master.host,
          env.master.port,
        );
        assert.equal(await c.connect(), 0);
        Client.finalize();
        assert.equal(isInitialized(), false);
        assert.throws(() => c.send(1, 3, UNIT, 2, 0, "x"), NotInitializedError);
        assert.throws(
          () =>
            new Client(1, ClientType.AGENT, env.master.host, env.master.port),
          NotInitializedError,
        );
        initialize({ unitId: UNIT, ...env.unitOptions() });
        assert.equal(
          getUnitId(),
          UNIT,
          "initialize works again after finalize",
        );
      }));

    test("ids - unit, client ids and ports out of range are refused", () =>
      withEnv(factory, async (env) => {
        for (const u of [15, 48, 16.5, -1, Number.NaN]) {
          assert.throws(
            () => new SmartBus({ unitId: u, ...env.unitOptions() }),
            invalid("unitId"),
          );
        }
        const bus = env.unit(UNIT);
        const base = {
          bus,
          masterHost: env.master.host,
          masterPort: env.master.port,
        };
        for (const id of [-1, 256, 1.5]) {
          assert.throws(
            () => new Client({ ...base, localClientId: id }),
            invalid("localClientId"),
          );
        }
        assert.throws(
          () => new Client({ ...base, localClientId: 1, masterPort: 65536 }),
          invalid("masterPort"),
        );
        assert.throws(
          () =>
            new Client({
              ...base,
              localClientId: 1,
              slaverHost: "10.0.0.2",
              slaverPort: -1,
            }),
          invalid("slaverPort"),
        );
        assert.throws(
          () =>
            new Client({ ...base, localClientId: 1, masterHost: "bad\0host" }),
          invalid("masterHost"),
        );
        assert.throws(
          () => new Client({ ...base, localClientId: 1, extInfo: "😀" }),
          invalid("extInfo"),
        );
        const c = new Client({ ...base, localClientId: 1 });
        assert.throws(
          () => new Client({ ...base, localClientId: 1 }),
          (e: unknown) => e instanceof AlreadyExistsError && e.code === -22,
        );
        assert.equal(await c.connect(), 0, "the first client still works");
      }));

    test("bounds - each string the library copies into a fixed field is refused past it, in encoded bytes, with the field named", () =>
      withEnv(factory, async (env) => {
        env.ipsc.flow("p".repeat(31), "f".repeat(31), (params) => params);
        const bus = env.unit(UNIT);
        const base = {
          bus,
          masterHost: env.master.host,
          masterPort: env.master.port,
        };
        // The vendor's library resolves no names: "localhost" gave -1 and
        // took the client id for good.
        for (const host of ["localhost", "10.0.0", "256.0.0.1", "01.2.3.4"]) {
          assert.throws(
            () => new Client({ ...base, localClientId: 1, masterHost: host }),
            invalid("masterHost"),
          );
          assert.throws(
            () =>
              new Client({
                ...base,
                localClientId: 1,
                slaverHost: host,
                slaverPort: 8001,
              }),
            invalid("slaverHost"),
          );
        }
        // The vendor's library refuses client types 0 and 1 with -17.
        for (const t of [0, 1]) {
          assert.throws(
            () => new Client({ ...base, localClientId: 1, localClientType: t }),
            (e: unknown) =>
              e instanceof InvalidArgumentError && e.code === -17 &&
              e.argument === "localClientType",
          );
        }
        // authorUsr[64], author_info[128] (the password), add_info[256]:
        // one byte for the NUL; "中" is two bytes of GBK, three of UTF-8.
        for (
          const [field, fits, over] of [
            ["authorUsr", "u".repeat(63), "u".repeat(64)],
            ["authorPwd", "p".repeat(127), "中".repeat(43)],
            ["extInfo", "中".repeat(127) + "x", "中".repeat(128)],
          ] as const
        ) {
          assert.throws(
            () => new Client({ ...base, localClientId: 9, [field]: over }),
            invalid(field),
          );
          new Client({ ...base, localClientId: 9, [field]: fits }).close();
        }
        const a = new Client({ ...base, localClientId: 1 });
        await a.connect({ timeout: 10_000 });
        const call = { server: 0, process: 0, project: "p", flow: "f" };
        // A 40-byte project name used to be cut by the library and the flow
        // started under another name (or never answered).
        for (
          const [arg, bad] of [
            ["project", { ...call, project: "p".repeat(40) }],
            ["project", { ...call, project: "中".repeat(16) }],
            ["flow", { ...call, flow: "f".repeat(32) }],
          ] as const
        ) {
          await assert.rejects(a.invoke(bad), invalid(arg));
          assert.throws(
            () => a.invokeFlow(0, 0, bad.project, bad.flow, []),
            invalid(arg),
          );
        }
        assert.equal(a.pendingFlows, 0, "nothing reached the library");
        for (
          const [arg, title, param] of [
            ["title", "t".repeat(102), "x"],
            ["title", "", "x"],
            ["param", "t", ""],
          ] as const
        ) {
          assert.throws(
            () => a.sendNotify(0, 0, "p", title, 0, 1, param),
            invalid(arg),
          );
        }
        assert.throws(
          () => a.sendNotify(0, 0, "p", "t", 0, 1, "x".repeat(16000)),
          (e: unknown) =>
            e instanceof InvalidArgumentError && e.argument === "param" &&
            e.code === -15,
        );
        assert.ok(
          a.sendNotify(0, 0, "p".repeat(31), "t".repeat(101), 0, 1, "x") > 0,
        );
        // The longest names that fit still start the flow.
        assert.deepEqual(
          await a.invoke({
            ...call,
            project: "p".repeat(31),
            flow: "f".repeat(31),
            params: [1],
          }, { timeout: 10_000 }),
          [1],
        );
      }));

    test("arguments - bad send, ping, flow and notify arguments are refused and the client keeps working", () =>
      withEnv(factory, async (env) => {
        env.ipsc.flow("p", "f", (params) => params);
        const bus = env.unit(UNIT);
        const a = new Client({
          bus,
          localClientId: 1,
          localClientType: ClientType.AGENT,
          masterHost: env.master.host,
          masterPort: env.master.port,
        });
        // The peer is another process's client: the library sends nothing
        // to its own unit.
        const b = new Client({
          bus: env.peer(PEER),
          localClientId: 2,
          localClientType: ClientType.AGENT,
          masterHost: env.peerMaster.host,
          masterPort: env.peerMaster.port,
        });
        await Promise.all([a.connect(), b.connect()]);
        const sentBefore = env.bus.sent().length;
        const callsBefore = env.bus.flowCalls().length;
        assert.throws(() => a.send(256, 3, PEER, 2, 4, "x"), invalid("cmd"));
        assert.throws(
          () => a.send(1, 3, UNIT, 2, 4, "x"),
          (e: unknown) =>
            e instanceof InvalidArgumentError &&
            e.argument === "dstUnitId" && e.code === -11,
          "its own unit",
        );
        assert.throws(() => a.send(1, 3, 256, 2, 4, "x"), invalid("dstUnitId"));
        assert.throws(
          () => a.send(1, 3, PEER, 2, 4, 42 as unknown as string),
          invalid("data"),
        );
        assert.throws(
          () => a.send(1, 3, PEER, 2, 4, "😀", "gbk"),
          invalid("data"),
        );
        assert.throws(
          () => a.send(1, 3, PEER, 2, 4, "x", "latin-9"),
          invalid("encoding"),
        );
        assert.throws(() => a.ping(PEER, -1, 4, "x"), invalid("dstClientId"));
        const call = { server: 0, process: 0, project: "p", flow: "f" };
        const cyclic: Record<string, unknown> = {};
        cyclic.self = cyclic;
        for (
          const params of [[1n], [cyclic], [() => 1], [undefined], {
            a: undefined,
          }, ["x".repeat(32 * 1024)]]
        ) {
          await assert.rejects(
            a.invoke({ ...call, params }),
            invalid("parameters"),
          );
          assert.throws(
            () => a.invokeFlow(0, 0, "p", "f", params),
            invalid("parameters"),
          );
        }
        await assert.rejects(
          a.invoke({ ...call, project: "a\0b" }),
          invalid("project"),
        );
        await assert.rejects(
          a.invoke({ ...call, flow: "😀" }),
          invalid("flow"),
        );
        for (
          const timeout of [
            0,
            -1,
            Number.NaN,
            Number.POSITIVE_INFINITY,
            "30" as unknown as number,
          ]
        ) {
          await assert.rejects(a.invoke(call, { timeout }), invalid("timeout"));
          assert.throws(
            () => a.invokeFlow(0, 0, "p", "f", [], true, timeout),
            invalid("timeout"),
          );
        }
        assert.throws(
          () => a.sendNotify(0, 0, "p", "t\0", 0, 1, "x"),
          invalid("title"),
        );
        assert.throws(
          () => a.sendNotify(0, 0, "p", "t", 0, -1, "x"),
          invalid("expires"),
        );
        assert.equal(env.bus.sent().length, sentBefore, "nothing was sent");
        assert.equal(
          env.bus.flowCalls().length,
          callsBefore,
          "no flow was called",
        );
        assert.equal(a.pendingFlows, 0);
        const got = nextEvent<[PackInfo, string]>((l) =>
          b.on("receiveText", l)
        );
        a.send(1, 3, PEER, 2, ClientType.AGENT, "still fine");
        assert.equal((await got)[1], "still fine");
        assert.deepEqual(await a.invoke({ ...call, params: { k: "v" } }), [{
          k: "v",
        }]);
      }));
  });
}

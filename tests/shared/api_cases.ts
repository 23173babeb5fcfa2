/**
 * The client API cases every backend must pass (mock, Deno, Bun, Node):
 * written once, run by each `tests/api_<backend>.test.ts` with its env.
 */
import assert from "node:assert/strict";
import {
  AbortedError,
  Client,
  ClientType,
  CmdType,
  ConnectError,
  type ConnectionStatus,
  FlowNotStartedError,
  FlowTimeoutError,
  GlobalConnectStatus,
  InvalidArgumentError,
  LibraryError,
  NotInitializedError,
  PackInfo,
  type SmartBus,
  type SmartBusOptions,
} from "../../mod.ts";
import { FlowFailure } from "../../src/mock/mod.ts";
import {
  describe,
  type EnvFactory,
  nextEvent,
  recordingLogger,
  test,
  type TestEnv,
  until,
  withEnv,
} from "./env.ts";

/** The unit of the clients under test. */
export const UNIT = 17;

/** Client `id` of `bus`, on the env's master (not connected). */
export function clientOn(
  bus: SmartBus,
  env: TestEnv,
  id: number,
  extra: Partial<ConstructorParameters<typeof Client>[0] & object> = {},
): Client {
  return new Client({
    bus,
    localClientId: id,
    localClientType: ClientType.AGENT,
    masterHost: env.master.host,
    masterPort: env.master.port,
    ...extra,
  });
}

/** Clients `ids` of `bus`, connected. */
export async function connected(
  bus: SmartBus,
  env: TestEnv,
  ...ids: number[]
): Promise<Client[]> {
  const clients = ids.map((id) => clientOn(bus, env, id));
  await Promise.all(clients.map((c) => c.connect({ timeout: 10_000 })));
  return clients;
}

/** The unit of the peer process that data and pings go to. */
export const PEER = 18;

/** Clients `ids` of the peer unit ({@link TestEnv.peer}), connected. */
export async function peers(
  env: TestEnv,
  ids: number[],
  extra: Partial<ConstructorParameters<typeof Client>[0] & object> = {},
  unitOptions: Partial<SmartBusOptions> = {},
): Promise<Client[]> {
  const bus = env.peer(PEER, unitOptions);
  const clients = ids.map((id) =>
    new Client({
      bus,
      localClientId: id,
      localClientType: ClientType.AGENT,
      masterHost: env.peerMaster.host,
      masterPort: env.peerMaster.port,
      ...extra,
    })
  );
  await Promise.all(clients.map((c) => c.connect({ timeout: 10_000 })));
  return clients;
}

export function apiCases(label: string, factory: EnvFactory): void {
  describe(`api (${label})`, () => {
    test("connect - resolves with the node reached and raises onConnectSuccess", () =>
      withEnv(factory, async (env) => {
        const bus = env.unit(UNIT);
        const c = clientOn(bus, env, 1);
        const seen: number[] = [];
        c.onConnectSuccess = (u) => void seen.push(u);
        const statuses: ConnectionStatus[] = [];
        const it = c.status();
        const reader = (async () => {
          for await (const s of it) {
            statuses.push(s);
            if (s.state === "connected") break;
          }
        })();
        assert.equal(await c.connect(), 0);
        await reader;
        assert.deepEqual(seen, [0]);
        assert.equal(c.unitid, 0);
        assert.equal(c.addr_expr, `0 1 ${ClientType.AGENT}`);
        assert.deepEqual(
          statuses.map((s) => s.state),
          ["idle", "connecting", "connected"].slice(
            statuses[0].state === "idle" ? 0 : 1,
          ),
        );
        assert.equal(await c.connect(), 0, "connect() again only waits");
      }));

    test("connect - wrong password rejects with ConnectError PWD and raises onConnectFail", () =>
      withEnv(factory, async (env) => {
        const bus = env.unit(UNIT, { logger: recordingLogger() });
        const c = new Client({
          bus,
          localClientId: 1,
          masterHost: env.secured.host,
          masterPort: env.secured.port,
          authorUsr: "alice",
          authorPwd: "wrong",
        });
        const fails: number[] = [];
        c.on("connectFail", (_u, errno) => void fails.push(errno));
        await assert.rejects(
          c.connect(),
          (e: unknown) =>
            e instanceof ConnectError && e.code === -6 && e.codeName === "PWD",
        );
        assert.equal(fails[0], -6);
      }));

    test("connect - right credentials are accepted", () =>
      withEnv(factory, async (env) => {
        const bus = env.unit(UNIT);
        const c = new Client({
          bus,
          localClientId: 1,
          masterHost: env.secured.host,
          masterPort: env.secured.port,
          authorUsr: "alice",
          authorPwd: "s3cret",
        });
        assert.equal(await c.connect(), 2);
      }));

    test("send - text reaches another client with its trailing NUL and a correct head", () =>
      withEnv(factory, async (env) => {
        const bus = env.unit(UNIT);
        const [a] = await connected(bus, env, 1);
        const [b] = await peers(env, [2]);
        const got = nextEvent<[PackInfo, string]>((l) =>
          b.on("receiveText", l)
        );
        const raw = nextEvent<[PackInfo, Uint8Array]>((l) =>
          b.on("receiveData", l)
        );
        a.send(7, CmdType.USER, PEER, 2, ClientType.AGENT, "你好, bus");
        const [info, txt] = await got;
        assert.equal(txt, "你好, bus");
        assert.ok(info instanceof PackInfo);
        assert.equal(info.cmd, 7);
        assert.equal(info.cmdType, CmdType.USER);
        assert.equal(info.srcUnitId, UNIT);
        assert.equal(info.srcUnitClientId, 1);
        assert.equal(info.srcUnitClientType, ClientType.AGENT);
        assert.equal(info.dstUnitId, PEER);
        assert.equal(info.dstUnitClientId, 2);
        const bytes = new TextEncoder().encode("你好, bus");
        assert.equal(info.dataLen, bytes.length + 1);
        const [, data] = await raw;
        assert.deepEqual([...data], [...bytes, 0]);
      }));

    test("send - bytes arrive unaltered and in order", () =>
      withEnv(factory, async (env) => {
        const bus = env.unit(UNIT);
        const [a] = await connected(bus, env, 1);
        const [b] = await peers(env, [2]);
        const got: Uint8Array[] = [];
        const n = 200;
        b.on("receiveData", (_i, d) => void got.push(d));
        const done = nextEvent<[PackInfo, Uint8Array]>(
          (l) => b.on("receiveData", l),
          20_000,
          () => got.length === n,
        );
        for (let i = 0; i < n; i++) {
          a.send(
            1,
            CmdType.USER,
            PEER,
            2,
            ClientType.AGENT,
            new Uint8Array([i & 0xff, 0x00, 0xff, i >> 8]),
          );
        }
        await done;
        got.forEach((d, i) =>
          assert.deepEqual([...d], [i & 0xff, 0x00, 0xff, i >> 8])
        );
      }));

    test("send - a GBK client sends and reads GBK", () =>
      withEnv(factory, async (env) => {
        const bus = env.unit(UNIT);
        const a = new Client({
          bus,
          localClientId: 1,
          masterHost: env.master.host,
          masterPort: env.master.port,
          encoding: "gbk",
        });
        const [[b]] = await Promise.all([
          peers(env, [2], { encoding: "gbk" }),
          a.connect(),
        ]);
        const raw = nextEvent<[PackInfo, Uint8Array]>((l) =>
          b.on("receiveData", l)
        );
        const txt = nextEvent<[PackInfo, string]>((l) =>
          b.on("receiveText", l)
        );
        a.send(1, CmdType.USER, PEER, 2, ClientType.AGENT, "你好");
        assert.deepEqual([...(await raw)[1]], [0xc4, 0xe3, 0xba, 0xc3, 0]);
        assert.equal((await txt)[1], "你好");
      }));

    test("ping - the answer arrives as data with cmd 8 and cmdType 1, and rtt() resolves", () =>
      withEnv(factory, async (env) => {
        const bus = env.unit(UNIT);
        const [a] = await connected(bus, env, 1);
        await peers(env, [2]);
        const ans = nextEvent<[PackInfo, string]>((l) =>
          a.on("receiveText", l)
        );
        a.ping(PEER, 2, ClientType.AGENT, "are you there");
        const [info, txt] = await ans;
        assert.equal(info.cmd, 8);
        assert.equal(info.cmdType, CmdType.SYSTEM);
        assert.equal(txt, "are you there");
        assert.equal(info.srcUnitId, PEER);
        assert.equal(info.srcUnitClientId, 2);
        assert.throws(
          () => a.ping(UNIT, 2, ClientType.AGENT, "me?"),
          (e: unknown) => e instanceof InvalidArgumentError && e.code === -11,
          "the library sends nothing to its own unit",
        );
        const ms = await a.rtt({
          unitId: PEER,
          clientId: 2,
          clientType: ClientType.AGENT,
        }, { timeout: 5000 });
        assert.ok(ms >= 0 && Number.isFinite(ms));
      }));

    test("invoke - resolves with the flow's result and raises ack then respond", () =>
      withEnv(factory, async (env) => {
        env.ipsc.flow(
          "proj",
          "add",
          (params) => [(params[0] as number) + (params[1] as number), "中文"],
        );
        const bus = env.unit(UNIT);
        const [a] = await connected(bus, env, 1);
        const order: string[] = [];
        a.onInvokeFlowAcknowledge = (_p, project, _id, ack) =>
          void order.push(`ack ${project} ${ack}`);
        a.onInvokeFlowRespond = (_p, _project, _id, result) =>
          void order.push(`respond ${JSON.stringify(result)}`);
        assert.deepEqual(
          await a.invoke({
            server: 0,
            process: 0,
            project: "proj",
            flow: "add",
            params: [2, 3],
          }),
          [5, "中文"],
        );
        assert.deepEqual(order, ["ack proj 1", 'respond [5,"中文"]']);
        assert.equal(a.pendingFlows, 0);
        const id = a.invokeFlow(0, 0, "proj", "add", [1, 1]);
        assert.ok(id > 0);
        const [, , invokeId, result] = await nextEvent<
          [PackInfo | null, string, number, unknown[] | null]
        >((l) => a.on("invokeFlowRespond", l));
        assert.equal(invokeId, id);
        assert.deepEqual(result, [2, "中文"]);
      }));

    test("invoke - a flow that never answers times out at its timeout", () =>
      withEnv(factory, async (env) => {
        env.ipsc.flow("proj", "silent", (_p, ctx) => ctx.noAnswer());
        const bus = env.unit(UNIT);
        const [a] = await connected(bus, env, 1);
        const timeouts = nextEvent<[PackInfo | null, string, number]>((l) =>
          a.on("invokeFlowTimeout", l)
        );
        const p = a.invoke({
          server: 0,
          process: 0,
          project: "proj",
          flow: "silent",
        }, { timeout: 300 });
        const check = assert.rejects(
          p,
          (e: unknown) =>
            e instanceof FlowTimeoutError && e.code === -25 &&
            e.codeName === "TIMEOUT",
        );
        // Virtual time checks the exact millisecond; real time leaves timer slack.
        await env.pass(env.virtualTime ? 299 : 150);
        assert.equal(a.pendingFlows, 1);
        await env.pass(env.virtualTime ? 2 : 150);
        await check;
        const [info, project] = await timeouts;
        assert.equal(info, null);
        assert.equal(project, "proj");
        assert.equal(a.pendingFlows, 0);
      }));

    test("invoke - without a result wanted, no acknowledge is a FlowTimeoutError at clamp(timeout, 1 s, 5 s)", () =>
      withEnv(factory, async (env) => {
        // The library's acknowledge timer: a call not awaiting a result ends
        // when no acknowledge came within its timeout held to 1–5 s.
        env.ipsc.flow("proj", "mute", () => ["never sent"]);
        env.ipsc.setFlowFault("mute");
        const bus = env.unit(UNIT);
        const [a] = await connected(bus, env, 1);
        const acks = nextEvent<[PackInfo | null, string, number, number]>((
          l,
        ) => a.on("invokeFlowAcknowledge", l));
        const p = a.invoke({
          server: 0,
          process: 0,
          project: "proj",
          flow: "mute",
          wantResult: false,
        }, { timeout: 300 });
        const check = assert.rejects(
          p,
          (e: unknown) => e instanceof FlowTimeoutError && e.code === -25,
        );
        // At 300 ms (its own timeout) it still waits: the timer is 1 s.
        await env.pass(env.virtualTime ? 999 : 700);
        assert.equal(a.pendingFlows, 1);
        await env.pass(env.virtualTime ? 2 : 800);
        await check;
        const [info, project, , ack] = await acks;
        assert.equal(info, null);
        assert.equal(project, "proj");
        assert.equal(ack, -25);
        assert.equal(a.pendingFlows, 0);
      }));

    test("invoke - a failing flow is refused with its code, or times out once started", () =>
      withEnv(factory, async (env) => {
        // The result frame has no code: a failure reaches the caller only
        // in the acknowledge, before the flow started.
        env.ipsc.flow("proj", "fails", () => {
          throw new FlowFailure(-3);
        });
        env.ipsc.flow("proj", "failsLater", async (_p, ctx) => {
          await ctx.sleep(10);
          ctx.fail(-3);
        });
        const bus = env.unit(UNIT);
        const [a] = await connected(bus, env, 1);
        let errors = 0;
        a.on("invokeFlowError", () => void errors++);
        await assert.rejects(
          a.invoke({ server: 0, process: 0, project: "proj", flow: "fails" }),
          (e: unknown) => e instanceof FlowNotStartedError && e.ack === -3,
        );
        const later = a.invoke({
          server: 0,
          process: 0,
          project: "proj",
          flow: "failsLater",
        }, { timeout: 300 });
        later.catch(() => {});
        await env.pass(400);
        await assert.rejects(later, FlowTimeoutError);
        assert.equal(errors, 0, "no flow error crosses the wire");
      }));

    test("invoke - ack other than 1 rejects with FlowNotStartedError", () =>
      withEnv(factory, async (env) => {
        env.ipsc.flow("proj", "busy", (_p, ctx) => ctx.refuse(-2, "too busy"));
        const bus = env.unit(UNIT);
        const [a] = await connected(bus, env, 1);
        await assert.rejects(
          a.invoke({ server: 0, process: 0, project: "proj", flow: "busy" }),
          (e: unknown) =>
            e instanceof FlowNotStartedError && e.ack === -2 &&
            e.reason === "too busy",
        );
        assert.equal(a.pendingFlows, 0);
      }));

    test("invoke - without a result wanted it resolves on the acknowledge", () =>
      withEnv(factory, async (env) => {
        let ran = 0;
        env.ipsc.flow("proj", "fire", () => {
          ran++;
          return ["ignored"];
        });
        const bus = env.unit(UNIT);
        const [a] = await connected(bus, env, 1);
        assert.deepEqual(
          await a.invoke({
            server: 0,
            process: 0,
            project: "proj",
            flow: "fire",
            wantResult: false,
          }),
          [],
        );
        await until(env, () => ran === 1, 2000);
        const call = env.bus.flowCalls().at(-1)!;
        assert.equal(call.mode, 1);
      }));

    test("invoke - aborting rejects at once and frees the pending entry", () =>
      withEnv(factory, async (env) => {
        env.ipsc.flow("proj", "slow", (_p, ctx) => ctx.noAnswer());
        const bus = env.unit(UNIT);
        const [a] = await connected(bus, env, 1);
        const ac = new AbortController();
        const p = a.invoke({
          server: 0,
          process: 0,
          project: "proj",
          flow: "slow",
        }, { signal: ac.signal, timeout: 60_000 });
        ac.abort(new Error("user gave up"));
        await assert.rejects(
          p,
          (e: unknown) =>
            e instanceof AbortedError &&
            (e.cause as Error).message === "user gave up",
        );
        assert.equal(a.pendingFlows, 0);
      }));

    test("notify - reaches the IPSC with mode and expires unchanged", () =>
      withEnv(factory, async (env) => {
        const bus = env.unit(UNIT);
        const [a] = await connected(bus, env, 1);
        const id = a.sendNotify(0, 0, "proj", "标题", 3, 1.5, "payload");
        assert.ok(id > 0);
        await until(env, () => env.bus.notifications().length === 1, 2000);
        const n = env.bus.notifications()[0];
        assert.equal(n.mode, 3);
        assert.equal(n.expiresMs, 1500);
        assert.equal(n.title, "标题");
        assert.equal(n.param, "payload");
      }));

    test("global connect - a joining client is announced; nodes are reported as present", () =>
      withEnv(factory, async (env) => {
        const events: { clientId: number; status: number; addInfo: string }[] =
          [];
        const bus = env.unit(UNIT, {
          onGlobalConnect: (_u, clientId, _t, _a, status, addInfo) =>
            void events.push({ clientId, status, addInfo }),
        });
        const [a] = await connected(bus, env, 1);
        void a;
        await until(
          env,
          () =>
            events.some((e) =>
              e.clientId === -1 &&
              e.status === GlobalConnectStatus.ALREADY_CONNECTED
            ),
          2000,
        );
        const joined = nextEvent<
          [{ clientId: number; status: number; addInfo: string }]
        >(
          (l) => bus.on("globalConnect", l),
          10_000,
          (e) => e.clientId === 5 && e.status === 1,
        );
        const b = new Client({
          bus,
          localClientId: 5,
          masterHost: env.master.host,
          masterPort: env.master.port,
          extInfo: "坐席 5",
        });
        await b.connect();
        const [ev] = await joined;
        assert.equal(ev.addInfo, "坐席 5");
        assert.ok(bus.presence().some((p) => p.clientId === 5));
      }));

    test("failover - with both links registered, a stopped master is silent and traffic goes on over the slave", () =>
      withEnv(factory, async (env) => {
        const bus = env.unit(UNIT, { logger: recordingLogger() });
        const c = new Client({
          bus,
          localClientId: 1,
          localClientType: ClientType.AGENT,
          masterHost: env.master.host,
          masterPort: env.master.port,
          slaverHost: env.slave.host,
          slaverPort: env.slave.port,
        });
        assert.equal(await c.connect(), 0);
        const mine = () =>
          env.bus.clients().find((r) =>
            r.address.unitId === UNIT && r.address.clientId === 1
          );
        // The library logs its slave link in at once; the bus keeps it.
        await until(env, () => mine()?.standbyNodeUnitId === 1, 10_000);
        let disconnects = 0;
        c.onDisconnect = () => void disconnects++;
        const slave = env.bus.node(1);
        const [p] = await peers(env, [2], {
          masterHost: slave.host,
          masterPort: slave.port,
        });
        env.bus.stopNode(0);
        assert.equal(mine()?.nodeUnitId, 1);
        // What is sent before the library has read its master's close may
        // be lost or refused (-2); what follows goes over the slave.
        let got = "";
        p.onReceiveText = (_i, t) => void (got ||= t);
        await until(
          env,
          () => {
            if (got) return true;
            try {
              c.send(1, 3, PEER, 2, ClientType.AGENT, "after failover");
            } catch (e) {
              assert.ok(e instanceof LibraryError && e.code === -2, String(e));
            }
            return false;
          },
          10_000,
          250,
        );
        assert.equal(got, "after failover");
        const back = nextEvent<[PackInfo, string]>(
          (l) => c.on("receiveText", l),
          10_000,
        );
        p.send(1, 3, UNIT, 1, ClientType.AGENT, "back over the slave");
        assert.equal((await back)[1], "back over the slave");
        assert.equal(disconnects, 0);
        assert.equal(c.state.state, "connected");
        env.bus.startNode(0);
      }));

    test("failover - a stopped master without a registered slave gives one disconnect, then a connect to the slave", () =>
      withEnv(factory, async (env) => {
        const bus = env.unit(UNIT, { logger: recordingLogger() });
        // The slave node is down at first: only the master link logs in.
        env.bus.stopNode(1);
        const c = new Client({
          bus,
          localClientId: 1,
          masterHost: env.master.host,
          masterPort: env.master.port,
          slaverHost: env.slave.host,
          slaverPort: env.slave.port,
        });
        assert.equal(await c.connect(), 0);
        let disconnects = 0;
        c.onDisconnect = () => void disconnects++;
        const back = nextEvent<[number]>(
          (l) => c.on("connectSuccess", l),
          20_000,
        );
        env.bus.stopNode(0);
        env.bus.startNode(1);
        // The library dials a refused slave link again every 2 s.
        await until(env, () => c.unitid === 1, env.reconnectMs * 4 + 10_000);
        assert.equal((await back)[0], 1);
        assert.equal(disconnects, 1);
        env.bus.startNode(0);
      }));

    test("handlers - one that throws is logged and later events still arrive", () =>
      withEnv(factory, async (env) => {
        const logger = recordingLogger();
        const bus = env.unit(UNIT, { logger });
        const [a] = await connected(bus, env, 1);
        const [b] = await peers(env, [2], {}, { logger });
        let calls = 0;
        b.onReceiveText = () => {
          calls++;
          throw new Error("handler bug");
        };
        b.on("receiveText", () => Promise.reject(new Error("async bug")));
        const second = nextEvent<[PackInfo, string]>(
          (l) => b.on("receiveText", l),
          10_000,
          (_i, t) => t === "two",
        );
        a.send(1, 3, PEER, 2, ClientType.AGENT, "one");
        a.send(1, 3, PEER, 2, ClientType.AGENT, "two");
        await second;
        await until(
          env,
          () => logger.lines.filter((l) => l.level === "error").length >= 4,
          1000,
        );
        assert.equal(calls, 2);
        assert.ok(
          logger.lines.some((l) =>
            /handler bug|onReceiveText threw/.test(l.message)
          ),
        );
        assert.ok(logger.lines.some((l) => /rejected/.test(l.message)));
      }));

    test("close - rejects pending calls, is idempotent, and later calls throw", () =>
      withEnv(factory, async (env) => {
        env.ipsc.flow("proj", "slow", (_p, ctx) => ctx.noAnswer());
        const bus = env.unit(UNIT);
        const [a] = await connected(bus, env, 1);
        const p = a.invoke({
          server: 0,
          process: 0,
          project: "proj",
          flow: "slow",
        }, { timeout: 60_000 });
        const it = a.status();
        a.close();
        a.close();
        await assert.rejects(p, AbortedError);
        const states: string[] = [];
        for await (const s of it) states.push(s.state);
        assert.equal(states.at(-1), "closed");
        assert.throws(() => a.send(1, 3, UNIT, 2, 0, "x"), NotInitializedError);
        const again = clientOn(bus, env, 1);
        assert.equal(again.localClientId, 1, "a disposed id can be used again");
        bus.close();
        bus.close();
        assert.throws(() => again.ping(UNIT, 2, 0, "x"), NotInitializedError);
      }));

    test("close - await using releases the unit without blocking, once", () =>
      withEnv(factory, async (env) => {
        let pending: Promise<unknown[]> | undefined;
        {
          await using bus = env.unit(UNIT);
          const [a] = await connected(bus, env, 1);
          await peers(env, [2]);
          env.ipsc.flow("proj", "slow", (_p, ctx) => ctx.noAnswer());
          pending = a.invoke({
            server: 0,
            process: 0,
            project: "proj",
            flow: "slow",
          }, { timeout: 60_000 });
          pending.catch(() => {});
          await a.rtt({
            unitId: PEER,
            clientId: 2,
            clientType: ClientType.AGENT,
          }, { timeout: 5000 });
        }
        await assert.rejects(pending!, AbortedError);
        const again = env.unit(UNIT);
        await again.closeAsync();
        await again.closeAsync();
        assert.equal(again.closed, true);
      }));

    test("data volume - 10,000 messages arrive complete and uncorrupted", () =>
      withEnv(factory, async (env) => {
        const bus = env.unit(UNIT);
        const [a] = await connected(bus, env, 1);
        const [b] = await peers(env, [2]);
        const n = 10_000;
        let seen = 0;
        let bad = 0;
        b.on("receiveText", (info, txt) => {
          if (
            txt !== `message ${seen} ${"x".repeat(seen % 97)}` ||
            info.srcUnitClientId !== 1
          ) bad++;
          seen++;
        });
        const done = nextEvent<[PackInfo, string]>(
          (l) => b.on("receiveText", l),
          60_000,
          () => seen === n,
        );
        for (let i = 0; i < n; i++) {
          a.send(
            1,
            3,
            PEER,
            2,
            ClientType.AGENT,
            `message ${i} ${"x".repeat(i % 97)}`,
          );
          if (i % 500 === 499) await env.pass(1);
        }
        await done;
        assert.equal(bad, 0);
      }));
  });
}

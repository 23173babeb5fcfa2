/**
 * Hostile and careless input (issue 11): what plain JavaScript callers pass
 * where a signal, an option bag or a listener belongs, oversized strings and
 * data, and reusing a disposed client's id. Each case is written once and
 * runs on every backend: the error is typed, nothing reaches the library,
 * nothing is left behind (no timer, no pending call), and the client keeps
 * working.
 */
import assert from "node:assert/strict";
import {
  AlreadyExistsError,
  Client,
  ClientType,
  ErrorCode,
  InvalidArgumentError,
  SmartBusError,
} from "../../mod.ts";
import {
  describe,
  type EnvFactory,
  test,
  type TestEnv,
  withEnv,
} from "./env.ts";

const UNIT = 17;
/** Another process's unit, on the same bus. */
const PEER = 18;

const invalid = (argument: string) => (e: unknown) =>
  e instanceof InvalidArgumentError && e.argument === argument &&
  e.code === ErrorCode.ARGUMENT;

const tooLarge = (argument: string) => (e: unknown) =>
  e instanceof InvalidArgumentError && e.argument === argument &&
  e.code === ErrorCode.MAX_DATASIZE && e.codeName === "MAX_DATASIZE";

// deno-lint-ignore no-explicit-any
type Loose = any;

/** Client 1 (an agent) of a new unit on `env`, aimed at its master node. */
function agent(env: TestEnv): Client {
  return new Client({
    bus: env.unit(UNIT),
    localClientId: 1,
    localClientType: ClientType.AGENT,
    masterHost: env.master.host,
    masterPort: env.master.port,
  });
}

export function hostileCases(label: string, factory: EnvFactory): void {
  describe(`hostile input (${label})`, () => {
    test("signal - a non-AbortSignal is a typed error before anything is sent, and leaves no timer", () =>
      withEnv(factory, async (env) => {
        const c = agent(env);
        const loose = c as Loose;
        for (const signal of [{}, "abort", 1, { aborted: false }]) {
          assert.throws(
            () => loose.connect({ timeout: 50, signal }),
            invalid("signal"),
          );
        }
        await c.connect({ timeout: 10_000 });
        let responds = 0;
        c.on("invokeFlowRespond", () => responds++);
        const before = env.bus.flowCalls().length;
        const flow = {
          server: 0,
          process: 0,
          project: "p",
          flow: "echo",
          params: [1],
        };
        for (const signal of [{}, "abort", { aborted: true }]) {
          await assert.rejects(
            loose.invoke(flow, { timeout: 50, signal }),
            invalid("signal"),
          );
          assert.throws(
            () =>
              loose.rtt({ unitId: PEER, clientId: 1, clientType: 4 }, {
                timeout: 50,
                signal,
              }),
            invalid("signal"),
          );
        }
        // Nothing was sent, and the deadlines of the refused calls never fire
        // (a leaked timer would throw an uncaught TypeError after 50 ms).
        await env.pass(200);
        assert.equal(env.bus.flowCalls().length, before);
        assert.equal(responds, 0);
        // The client still works.
        env.ipsc.flow("p", "echo", (params) => params);
        assert.deepEqual(await c.invoke(flow, { timeout: 5_000 }), [1]);
        c.close();
      }));

    test("options - null or a non-object as call options is a typed error", () =>
      withEnv(factory, async (env) => {
        const c = agent(env);
        const loose = c as Loose;
        for (const options of [null, "fast", 5]) {
          assert.throws(() => loose.connect(options), invalid("options"));
          await assert.rejects(
            loose.invoke(
              { server: 0, process: 0, project: "p", flow: "f" },
              options,
            ),
            invalid("options"),
          );
          assert.throws(
            () =>
              loose.rtt({ unitId: PEER, clientId: 1, clientType: 0 }, options),
            invalid("options"),
          );
        }
        c.close();
      }));

    test("listeners - an unknown event or a non-function listener is a typed error", () =>
      withEnv(factory, (env) => {
        const c = agent(env);
        const loose = c as Loose;
        assert.throws(() => loose.on("bogusEvent", () => {}), invalid("event"));
        assert.throws(() => loose.on("receiveText", "x"), invalid("listener"));
        assert.throws(() => loose.on("receiveText", null), invalid("listener"));
        c.close();
        return Promise.resolve();
      }));

    test("options - a bus that is not a SmartBus, and nonsense logging options, are typed errors", () =>
      withEnv(factory, (env) => {
        assert.throws(
          () =>
            new Client({
              bus: {} as Loose,
              localClientId: 1,
              masterHost: env.master.host,
              masterPort: env.master.port,
            }),
          invalid("bus"),
        );
        for (const logging of ["yes", [true, "loud", null], 42, [1, 2]]) {
          assert.throws(
            () => env.unit(UNIT, { logging: logging as Loose }),
            invalid("logging"),
          );
        }
        return Promise.resolve();
      }));

    test("limits - hosts are measured in encoded bytes, port 0 is refused", () =>
      withEnv(factory, (env) => {
        const bus = env.unit(UNIT);
        const make = (masterHost: string, masterPort: number) =>
          new Client({ bus, localClientId: 1, masterHost, masterPort });
        assert.throws(
          () => make("€".repeat(30), env.master.port),
          invalid("masterHost"),
        );
        assert.throws(() => make(env.master.host, 0), invalid("masterPort"));
        return Promise.resolve();
      }));

    test("limits - data, flow and notify sizes are checked before the library, the same on every backend", () =>
      withEnv(factory, async (env) => {
        const c = agent(env);
        await c.connect({ timeout: 10_000 });
        const sent = env.bus.sent().length;
        const big = "x".repeat(70_000);
        assert.throws(
          () => c.send(1, 3, PEER, 1, ClientType.AGENT, big),
          tooLarge("data"),
        );
        assert.throws(
          () => c.ping(PEER, 1, ClientType.AGENT, big),
          tooLarge("data"),
        );
        assert.throws(
          () => c.sendNotify(0, 0, "p", "t", 0, 10, big),
          tooLarge("param"),
        );
        await assert.rejects(
          c.invoke({ server: 0, process: 0, project: "p", flow: big }),
          invalid("flow"),
        );
        await assert.rejects(
          c.invoke({ server: 0, process: 0, project: big, flow: "f" }),
          invalid("project"),
        );
        await assert.rejects(
          c.invoke({
            server: 0,
            process: 0,
            project: "p",
            flow: "f",
            params: [big],
          }),
          invalid("parameters"),
        );
        // A detached buffer is refused, not sent as 0 bytes.
        const buf = new Uint8Array(8);
        structuredClone(buf.buffer, { transfer: [buf.buffer] });
        assert.throws(
          () => c.send(1, 3, PEER, 1, ClientType.AGENT, buf),
          invalid("data"),
        );
        await env.pass(50);
        assert.equal(env.bus.sent().length, sent, "nothing reached the bus");
        // The largest data the library takes still goes through.
        c.send(1, 3, PEER, 2, ClientType.AGENT, new Uint8Array(65_536));
        c.close();
      }));

    test("lifecycle - a disposed client's id is taken over by a new client with the same targets", () =>
      withEnv(factory, async (env) => {
        const bus = env.unit(UNIT);
        const options = {
          bus,
          localClientId: 3,
          localClientType: ClientType.AGENT,
          masterHost: env.master.host,
          masterPort: env.master.port,
        };
        const first = new Client(options);
        const node = await first.connect({ timeout: 10_000 });
        first.dispose();
        // The link stays (no per-client disconnect in the C ABI), and shows.
        assert.deepEqual(
          bus.links().map((l) => [l.localClientId, l.inUse, l.accessUnitId]),
          [[3, false, node]],
        );
        assert.ok(
          env.bus.clients().some((c) =>
            c.address.unitId === UNIT && c.address.clientId === 3
          ),
          "the mock's records show the left-over link",
        );
        const second = new Client(options);
        assert.equal(second.localClientId, 3);
        let connected = 0;
        second.on("connectSuccess", () => connected++);
        assert.equal(await second.connect({ timeout: 10_000 }), node);
        assert.equal(
          connected,
          1,
          "a take-over raises the events a fresh connect would",
        );
        // The link is the same: traffic still flows to and from id 3.
        const got = new Promise<string>((resolve) =>
          second.on("receiveText", (_info, text) => resolve(text))
        );
        const peer = new Client({
          ...options,
          bus: env.peer(PEER),
          localClientId: 4,
          masterHost: env.peerMaster.host,
          masterPort: env.peerMaster.port,
        });
        await peer.connect({ timeout: 10_000 });
        peer.send(1, 3, UNIT, 3, ClientType.AGENT, "still here");
        assert.equal(await got, "still here");
        // Different targets cannot take the link over.
        second.dispose();
        assert.throws(
          () =>
            new Client({ ...options, masterPort: env.slave.port }).connect({
              timeout: 1_000,
            }),
          (e: unknown) =>
            e instanceof AlreadyExistsError && /link/.test(e.message) &&
            e instanceof SmartBusError,
        );
        peer.close();
      }));
  });
}

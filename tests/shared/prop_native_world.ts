/**
 * The native side of the property suites: which runtime backend to use,
 * whether the library is there, and a {@link World} of one unit on the
 * stand-in library (or the one `SMARTBUS_TEST_LIBRARY` names: see
 * `tests/prop_on_vendor.test.ts`) attached over TCP to a native env's bus.
 */
import { existsSync } from "node:fs";
import { silentLogger, SmartBus } from "../../mod.ts";
import { resolveBackend } from "../../src/ffi/select.ts";
import type { TestEnv } from "./env.ts";
import { exportStandinEnv, TEST_LIBRARY } from "./native_env.ts";

export { exportStandinEnv };
import {
  instrument,
  traceInvokeIds,
  TracingBackend,
  type World,
} from "./prop_world.ts";

/** The stand-in's unit in a native world, and the mock peer unit's. */
export const NATIVE_UNIT = 17;
export const PEER_UNIT = 18;

/** The backend of the runtime running the tests. */
export const runtime: "deno" | "bun" | undefined = "Deno" in globalThis
  ? "deno"
  : "Bun" in globalThis
  ? "bun"
  : undefined;

/** `skip` for native suites: why they cannot run here, or false. */
export const nativeSkip: string | false = runtime === undefined
  ? "needs Deno or Bun"
  : !existsSync(TEST_LIBRARY)
  ? `no library at ${TEST_LIBRARY} (run scripts/build_native.sh)`
  : false;

/**
 * Printed by a native property that passed: `tests/prop_on_vendor.test.ts`
 * checks for it, so that a child whose property was skipped cannot pass.
 */
export function propertyPassed(name: string): void {
  console.log(`PROPERTY PASSED: ${name}`);
}

/**
 * Poll `cond` every 10 ms until it holds, at most `ms` of real time; stops
 * with `signal`'s reason once it is aborted (the suite's own deadline).
 */
export async function until(
  cond: () => boolean,
  ms: number,
  what: string,
  signal?: AbortSignal,
): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    signal?.throwIfAborted();
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Run `body` within `ms` of real time. Past it, `body`'s signal is aborted
 * (the worlds opened with it close at once) and this rejects with `stall()`,
 * the account of what was being awaited; `body`'s own later end is ignored.
 * Native suites stay under their test timeout this way: a timed-out test
 * keeps running in the background, and its unit would fail every later
 * native suite of the process.
 */
export async function withinDeadline(
  ms: number,
  stall: () => string,
  body: (signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const abort = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const e = new Error(`not within ${ms} ms\n${stall()}`);
      abort.abort(e);
      reject(e);
    }, ms);
  });
  const run = body(abort.signal);
  run.catch(() => {}); // past the deadline, the deadline's error is the one
  try {
    await Promise.race([run, deadline]);
  } finally {
    clearTimeout(timer);
    abort.abort(new Error("the suite ended"));
  }
}

/**
 * A fresh bus state (`env.bus.reset()`) and unit 17 on the library with
 * `clients` clients (world clients 0 .. clients-1), then `peers` clients of
 * a peer unit 18 on the mock backend, attached in this process to the same
 * bus nodes (world clients `clients` ..): the vendor's library, and the
 * stand-in like it, sends nothing to its own unit (-11), so data between
 * clients goes from one unit to the other. Every event is recorded in real
 * time; resolves once all are connected. Close it with `world.close()`;
 * aborting `signal` closes it too, at once (a suite past its own deadline
 * must not leave the process's one native unit taken, whatever its run is
 * awaiting).
 */
export async function nativeWorld(
  env: TestEnv,
  clients: number,
  signal?: AbortSignal,
  peers = 0,
): Promise<World> {
  signal?.throwIfAborted();
  env.bus.reset();
  await exportStandinEnv();
  signal?.throwIfAborted();
  const backend = traceInvokeIds(
    resolveBackend(runtime, { libraryPath: TEST_LIBRARY }),
  );
  const unit = new SmartBus({
    unitId: NATIVE_UNIT,
    backend,
    logger: silentLogger,
  });
  const units = [unit];
  const nodes = [{ master: env.master, slave: env.slave }];
  if (peers > 0) {
    const node = (n: number) => {
      const { host, port } = env.bus.node(n);
      return { host, port };
    };
    units.push(
      new SmartBus({
        unitId: PEER_UNIT,
        backend: new TracingBackend(env.bus, {
          reconnectIntervalMs: env.reconnectMs,
        }),
        logger: silentLogger,
      }),
    );
    nodes.push({ master: node(0), slave: node(1) });
  }
  const w = instrument(
    env.bus,
    env.ipsc,
    { now: () => Date.now() },
    units,
    [clients, peers],
    nodes,
  );
  const close = w.close;
  const onAbort = (): void => close();
  signal?.addEventListener("abort", onAbort, { once: true });
  w.close = () => {
    signal?.removeEventListener("abort", onAbort);
    close();
  };
  try {
    await until(
      () => w.clients.every((r) => r.client.state.state === "connected"),
      3000,
      "first connect",
      signal,
    );
  } catch (e) {
    w.close();
    throw e;
  }
  return w;
}

/**
 * What a shared test case needs from a backend: a mock bus with two nodes
 * (master 0 and slave 1) and an IPSC at unit 0 / process 0, units to create,
 * and a way to let bus time pass. The in-memory env runs on a virtual clock;
 * native envs run the same bus on TCP with the stand-in library, in real time.
 */
import { describe as nodeDescribe, test as nodeTest } from "node:test";
import process from "node:process";
import type { SmartBus, SmartBusOptions } from "../../mod.ts";
import type { MockBus, MockIpsc } from "../../src/mock/mod.ts";

/** Set while {@link caseNames} collects: cases are listed, not run. */
let collector: string[] | undefined;

/**
 * The names of the cases `register` defines (run nothing). The vendor's
 * library holds one unit per process for good, so its runs take one case
 * per child process (`tests/api_on_vendor.test.ts`), by name.
 */
export function caseNames(register: () => void): string[] {
  collector = [];
  try {
    register();
    return collector;
  } finally {
    collector = undefined;
  }
}

/** `describe` of the shared suites: a plain call while collecting names. */
export function describe(name: string, fn: () => void): void {
  if (collector) return fn();
  nodeDescribe(name, fn);
}

/**
 * `test` of the shared suites. With `SMARTBUS_TEST_CASE` set, only the case
 * of that name is defined (one case per child process).
 */
export function test(name: string, fn: () => Promise<void>): void {
  if (collector) {
    collector.push(name);
    return;
  }
  const only = process.env.SMARTBUS_TEST_CASE;
  if (!only) return void nodeTest(name, fn);
  if (only !== name) return;
  // The parent checks this line: the case ran, not just an empty suite.
  nodeTest(name, async () => {
    await fn();
    console.log(`CASE PASSED: ${name}`);
  });
}

export interface HostPort {
  host: string;
  port: number;
}

export interface TestEnv {
  /** "mock", "deno", "bun" or "node". */
  readonly name: string;
  /** Virtual clock: `pass()` costs no real time. */
  readonly virtualTime: boolean;
  /** Several SmartBus units at once (false for native libraries: process-wide state). */
  readonly multiUnit: boolean;
  readonly bus: MockBus;
  /** The IPSC (unit 0, process 0) on node 0. */
  readonly ipsc: MockIpsc;
  /** Node 0's address, as a client dials it. */
  readonly master: HostPort;
  /** Node 1's address. */
  readonly slave: HostPort;
  /** Node 2: requires user "alice" with password "s3cret". */
  readonly secured: HostPort;
  /** What `initialize()`/`new SmartBus()` need to use this env's backend (a fresh backend each call). */
  unitOptions(): Partial<SmartBusOptions>;
  /** A new unit on this env's backend; closed by `close()`. */
  unit(unitId: number, options?: Partial<SmartBusOptions>): SmartBus;
  /**
   * A unit of another process on the same bus (the mock backend, attached
   * in memory): the peer that data, pings and global connect events of a
   * case go to, since the vendor's library sends nothing to its own unit.
   * Its clients dial {@link peerMaster}. Closed by `close()`.
   */
  peer(unitId: number, options?: Partial<SmartBusOptions>): SmartBus;
  /** Node 0's address as the bus knows it (what a {@link peer}'s clients dial). */
  readonly peerMaster: HostPort;
  /** Let `ms` of bus time pass. */
  pass(ms: number): Promise<void>;
  /** How long reconnect attempts are apart, ms. */
  readonly reconnectMs: number;
  close(): Promise<void>;
}

export type EnvFactory = () => Promise<TestEnv>;

/** A logger that records, for asserting on reported handler failures. */
export function recordingLogger(): {
  lines: { level: string; message: string }[];
  debug(m: string): void;
  info(m: string): void;
  warn(m: string): void;
  error(m: string): void;
} {
  const lines: { level: string; message: string }[] = [];
  const at = (level: string) => (message: string) => {
    lines.push({ level, message });
  };
  return {
    lines,
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
  };
}

/**
 * Resolves with the arguments of the next `event` that `predicate` accepts;
 * rejects after `realMs` of real time, so no test can hang.
 */
export function nextEvent<A extends unknown[]>(
  on: (listener: (...args: A) => void) => () => void,
  realMs = 10_000,
  predicate: (...args: A) => boolean = () => true,
): Promise<A> {
  return new Promise<A>((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`event not seen within ${realMs} ms`));
    }, realMs);
    const off = on((...args: A) => {
      if (!predicate(...args)) return;
      clearTimeout(timer);
      off();
      resolve(args);
    });
  });
}

/** Poll `cond` while letting bus time pass in `stepMs` steps, at most `maxMs`. */
export async function until(
  env: TestEnv,
  cond: () => boolean,
  maxMs: number,
  stepMs = 20,
): Promise<void> {
  for (let t = 0; t <= maxMs; t += stepMs) {
    if (cond()) return;
    await env.pass(stepMs);
  }
  if (!cond()) {
    throw new Error(`condition not met within ${maxMs} ms of bus time`);
  }
}

/**
 * Run `fn` on a fresh env from `factory`, closed whatever happens;
 * `cleanup` (such as the seed API's `finalize`) runs first.
 */
export async function withEnv(
  factory: EnvFactory,
  fn: (env: TestEnv) => Promise<void>,
  cleanup?: () => void,
): Promise<void> {
  const env = await factory();
  try {
    await fn(env);
  } finally {
    cleanup?.();
    await env.close();
  }
}

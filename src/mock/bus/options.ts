/**
 * The option and node shapes of `MockBus`.
 *
 * @module
 */
import type { Clock } from "./clock.ts";
import type { BusAddress } from "./contract.ts";

/**
 * Options of `MockBus`.
 *
 * @example
 * ```ts
 * import { type MockBusOptions, VirtualClock } from "@smartbus/netclient/mock";
 * const options: MockBusOptions = { clock: new VirtualClock(), strict: true, records: 1000 };
 * ```
 */
export interface MockBusOptions {
  /** Time source for delays, flow timeouts and records (default: a `RealClock`). */
  clock?: Clock;
  /**
   * Flow calls no flow handles are answered at once with ack -1 (so nothing
   * hangs) and reported to the logger (or `console.error` without one).
   */
  strict?: boolean;
  /** Receives one line per notable bus event (drops, faults, handler errors). */
  logger?: (line: string) => void;
  /** Width of the head's size fields used for `packetSize` in delivered heads (default 4: the vendor binary's 20-byte head). */
  longSize?: 4 | 8;
  /**
   * How many records the bus keeps for inspection, per kind (messages, flow
   * calls, notifications): a number keeps the newest that many (a ring),
   * `true` keeps all (memory grows with the traffic), `false` keeps none
   * (`sent()`, `received()`, `flowCalls()`, `unhandled()` and
   * `notifications()` then return nothing). Default 10,000.
   */
  records?: boolean | number;
  /**
   * How many bytes all records together may hold (message bytes, flow
   * parameters and results, notification texts, plus a little per record):
   * past it the oldest record of any kind is let go, so a bus under a flood
   * of large messages stays within it. `true` or `Infinity`: no limit,
   * `false` or 0: no records at all. Default 64 MiB (no limit when
   * `records` is `true`). See `MockBus.recordBytes`.
   */
  recordsBudget?: boolean | number;
}

/**
 * How to add a node.
 *
 * @example
 * ```ts
 * import type { MockNodeOptions } from "@smartbus/netclient/mock";
 * const secured: MockNodeOptions = { unitId: 2, port: 8002, users: { alice: "s3cret" } };
 * ```
 */
export interface MockNodeOptions {
  /** 0–15. */
  unitId: number;
  /** Default `"127.0.0.1"`; `"localhost"` is the same host. */
  host?: string;
  /** The TCP port clients dial (1–65535). */
  port: number;
  /** User name → password; `undefined` lets anyone in without credentials. */
  users?: Record<string, string>;
}

/**
 * A bus node as the bus keeps it (live view).
 *
 * @example
 * ```ts
 * import { MockBus, type MockNode } from "@smartbus/netclient/mock";
 * const node: MockNode = new MockBus().addNode({ unitId: 0, port: 8000 });
 * console.log(node.running); // true
 * ```
 */
export interface MockNode {
  /** 0–15. */
  readonly unitId: number;
  /** Host clients dial (`"localhost"` stored as `"127.0.0.1"`). */
  readonly host: string;
  /** Port clients dial. */
  readonly port: number;
  /** Accounts; `undefined` when the node asks for none. */
  readonly users: Readonly<Record<string, string>> | undefined;
  /** False between `stopNode` and `startNode`. */
  readonly running: boolean;
}

/**
 * Per-link delay hook: ms a delivery from `src` to `dst` takes (0 = next microtask).
 *
 * @example
 * ```ts
 * import type { LinkDelay } from "@smartbus/netclient/mock";
 * const wan: LinkDelay = (src, dst) => src.unitId === dst.unitId ? 0 : 40;
 * ```
 */
export type LinkDelay = (src: BusAddress, dst: BusAddress) => number;

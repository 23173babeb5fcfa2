/**
 * The shapes of the mock bus's fault layer (rules, verdicts, what it needs
 * from its bus) and its seeded PRNG. `faults.ts` re-exports the public
 * ones.
 *
 * @example
 * ```ts
 * import type { TrafficFilter } from "@smartbus/netclient/mock";
 * const pings: TrafficFilter = { kinds: ["ping"] };
 * ```
 * @module
 */
import type { Conn } from "../bus/router.ts";
import type { BusAddress } from "../bus/port.ts";

/**
 * What a fault rule can match: `data` (data packets), `ping` (pings and
 * their answers), `flow` (invocations, acknowledges, results,
 * notifications), `event` (global connect events).
 */
export type TrafficKind = "data" | "ping" | "flow" | "event";

/**
 * Which traffic a rule applies to; every field left out matches anything.
 *
 * @example
 * ```ts
 * import type { TrafficFilter } from "@smartbus/netclient/mock";
 * const fromUnit17: TrafficFilter = { from: { unitId: 17 }, kinds: ["data", "ping"] };
 * ```
 */
export interface TrafficFilter {
  /** Sender address fields to match. */
  from?: Partial<BusAddress>;
  /** Receiver address fields to match. */
  to?: Partial<BusAddress>;
  /** Kinds to match (default: `["data"]` for drops, every kind for delays). */
  kinds?: TrafficKind[];
}

/**
 * Latency on matching links: each delivery takes `baseMs` plus a uniform
 * random 0–`jitterMs` ms. Deliveries on one link (sender → receiver) never
 * overtake each other, whatever the jitter.
 *
 * @example
 * ```ts
 * import type { LatencyRule } from "@smartbus/netclient/mock";
 * const wan: LatencyRule = { baseMs: 40, jitterMs: 10, to: { unitId: 18 } };
 * ```
 */
export interface LatencyRule extends TrafficFilter {
  /** Fixed part of the delay, ms. */
  baseMs: number;
  /** Largest random extra delay, ms (default 0). */
  jitterMs?: number;
}

/**
 * How an IPSC's flows misbehave ({@link BusFaults.flows}): `silent`
 * acknowledges (ack 1) and never answers; `late` acknowledges and answers
 * `lateByMs` after the caller's timeout; `mute` sends nothing at all.
 */
export type FlowFault = "silent" | "late" | "mute";

/** What the fault layer says about one delivery. */
export interface Verdict {
  /** Extra delay, ms. */
  delayMs: number;
  /** Why it is dropped (absent: deliver). */
  drop?: string;
}

/** What {@link BusFaults} needs from its bus. Internal. */
export interface FaultHost {
  /** Open connections. */
  conns(): Iterable<Conn>;
  /** Whether node `unitId` exists and runs. */
  nodeRunning(unitId: number): boolean;
  /** Whether node `unitId` exists. */
  hasNode(unitId: number): boolean;
  /** Close a connection as a broken link (the client hears `closed`). */
  close(conn: Conn, reason: string): void;
  /** Tell `to` it lost (0) or regained (1) sight of the node `nodeUnitId`. */
  tellNode(nodeUnitId: number, to: Conn, status: 0 | 1): void;
  /** Tell `to` it lost (0) or regained (1) sight of `about`. */
  tellConn(about: Conn, to: Conn, status: 0 | 1): void;
  /** Set a flow fault on the IPSC at `address`; false when there is none. */
  flowFault(
    address: { unitId: number; processIndex: number },
    fault: FlowFault | null,
    lateByMs: number,
  ): boolean;
  /** Let every IPSC's flows behave again. */
  clearFlowFaults(): void;
  log(line: string): void;
}

/**
 * Mulberry32: a small, fast, seedable PRNG (uniform in [0, 1)).
 *
 * @example
 * ```ts
 * import { seededRandom } from "@smartbus/netclient/mock";
 * const rnd = seededRandom(7);
 * console.log(rnd() === seededRandom(7)()); // true
 * ```
 */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

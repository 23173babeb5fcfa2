/**
 * What the mock bus core asks of its fault layer, and the vocabulary of
 * faults: traffic kinds, filters, latency rules, flow faults. The bus core
 * holds a {@link FaultPolicy} (none by default); `faults/` implements it as
 * `BusFaults`, so the core never imports the fault layer.
 *
 * @example
 * ```ts
 * import type { TrafficFilter } from "@smartbus/netclient/mock";
 * const pings: TrafficFilter = { kinds: ["ping"] };
 * ```
 * @module
 */
import type { BusAddress } from "./contract.ts";
import type { Conn } from "./connections.ts";

/**
 * What a fault rule can match: `data` (data packets), `ping` (pings and
 * their answers), `flow` (invocations, acknowledges, results,
 * notifications), `event` (global connect events).
 *
 * @example
 * ```ts
 * import type { TrafficKind } from "@smartbus/netclient/mock";
 * const kinds: TrafficKind[] = ["data", "ping"];
 * ```
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
 * How an IPSC's flows misbehave (`bus.faults.flows`, `ipsc.setFlowFault`):
 * `silent` acknowledges (ack 1) and never answers; `late` acknowledges and
 * answers `lateByMs` after the caller's timeout; `mute` sends nothing at all.
 *
 * @example
 * ```ts
 * import type { FlowFault } from "@smartbus/netclient/mock";
 * const fault: FlowFault = "late";
 * ```
 */
export type FlowFault = "silent" | "late" | "mute";

/** A flow fault in force on one IPSC. */
export interface FlowFaultSetting {
  /** How its flows misbehave. */
  readonly mode: FlowFault;
  /** For `late`: how long after the caller's timeout it answers, ms. */
  readonly lateByMs: number;
}

/** What the fault layer says about one delivery. */
export interface Verdict {
  /** Extra delay, ms. */
  delayMs: number;
  /** Why it is dropped (absent: deliver). */
  drop?: string;
}

/**
 * What the bus core consults on deliveries and logins. The policy sets
 * `BusContext.faultsActive` while any rule is on; the core asks for a
 * `verdict` only then.
 */
export interface FaultPolicy {
  /** The verdict for one delivery posted now from node `srcNode` to `to`. */
  verdict(
    src: BusAddress,
    srcNode: number | undefined,
    to: Conn,
    kind: TrafficKind,
  ): Verdict;
  /** Why a delivery from node `srcNode` to `to` cannot pass now (undefined: it can). */
  cutBetween(srcNode: number | undefined, to: Conn): string | undefined;
  /** Whether the client at `address` is cut off node `nodeUnitId`. */
  clientCut(
    address: { unitId: number; clientId: number },
    nodeUnitId: number,
  ): boolean;
  /** Forget every fault without telling anyone (the bus is being reset). */
  clear(): void;
}

/** The policy of a bus without a fault layer: everything passes. */
export const NO_FAULTS: FaultPolicy = {
  verdict: () => ({ delayMs: 0 }),
  cutBetween: () => undefined,
  clientCut: () => false,
  clear: () => {},
};

/**
 * What travels on the mock bus: one {@link Delivery} object per message,
 * event or flow packet, posted with `BusContext.post` and run by the
 * delivery scheduler when it arrives (the receiver still open, the link still
 * uncut). Internal to the bus.
 *
 * A delivery is one object with its work in methods, not a chain of
 * closures: the bus posts one per routed message.
 *
 * @module
 */
import type { BusContext } from "./bus_context.ts";
import type { Conn } from "./connections.ts";
import type { ScheduledTask } from "./delivery_scheduler.ts";
import type { TrafficKind } from "./fault_policy.ts";
import type { BusAddress } from "./contract.ts";
import { formatAddress } from "./address.ts";

/**
 * One delivery from `src` to `to`: `deliver()` runs when it arrives (the
 * receiver still open, the link still uncut), `dropped()` instead.
 */
export abstract class Delivery implements ScheduledTask {
  /** The sender. */
  readonly src: BusAddress;
  /** The receiver (its standby link, once that took over). */
  to: Conn;
  /** What it is, for fault rules. */
  readonly kind: TrafficKind;
  /** The bus it was posted on (set by `BusContext.post`). */
  ctx: BusContext | undefined = undefined;
  /** The sender's node, for cuts: looked up when posted if not given. */
  srcNode: number | undefined;
  /** Sent by the fault layer itself: never dropped by a cut. */
  told = false;
  /** Bypasses the receiver check and every fault. */
  always = false;

  /** A delivery of `kind` from `src` (on node `srcNode`, if known) to `to`. */
  constructor(src: BusAddress, to: Conn, kind: TrafficKind, srcNode?: number) {
    this.src = src;
    this.to = to;
    this.kind = kind;
    this.srcNode = srcNode;
  }

  /** Hand it to the receiver. */
  abstract deliver(): void;

  /**
   * Not delivered: `left` when the receiver closed meanwhile (silent by
   * default), else a fault dropped it (logged by default).
   */
  dropped(reason: string, left: boolean): void {
    if (left) return;
    this.ctx!.log(
      `${this.kind} ${formatAddress(this.src)} -> ${
        formatAddress(this.to.address)
      } dropped: ${reason}`,
    );
  }

  /** The scheduler runs it. */
  run(): void {
    if (this.always) return this.deliver();
    // Still on the bus when the receiver's link closed: it goes to the
    // standby link that took over, as the rest of its traffic does.
    let to = this.to;
    while (!to.open && to.successor) to = to.successor;
    this.to = to;
    if (!to.open) return this.dropped("receiver left", true);
    // Events are checked against cuts only when posted: a leave in flight
    // must still arrive, or the receiver would keep a ghost. No rule on: no
    // cut to ask about.
    const ctx = this.ctx!;
    if (this.kind !== "event" && ctx.faultsActive) {
      const cut = ctx.faults.cutBetween(this.srcNode, to);
      if (cut !== undefined) return this.dropped(cut, false);
    }
    this.deliver();
  }

  /** FIFO order holds per sender → receiver connection. */
  link(): string {
    return `${this.src.unitId}/${this.src.clientId}>${this.to.line}`;
  }
}

/** How a {@link TaskDelivery} is posted. */
export interface TaskOptions {
  /** The sender's node when the sender is not (or no longer) on the bus. */
  srcNode?: number;
  /** Sent by the fault layer itself: never dropped by a cut. */
  told?: boolean;
  /** Run even if the receiver closed meanwhile, and bypass every fault. */
  always?: boolean;
}

/** A delivery of a function: events and flow traffic (not per message). */
export class TaskDelivery extends Delivery {
  #run: (to: Conn) => void;

  /** `run` from `src` to `to` when it arrives (see {@link TaskOptions}). */
  constructor(
    src: BusAddress,
    to: Conn,
    kind: TrafficKind,
    run: (to: Conn) => void,
    options?: TaskOptions,
  ) {
    super(src, to, kind, options?.srcNode);
    this.#run = run;
    if (options?.told) this.told = true;
    if (options?.always) this.always = true;
  }

  /** Runs `run` with the receiver it reached (a standby that took over). */
  deliver(): void {
    this.#run(this.to);
  }
}

/**
 * How the mock bus posts one delivery: the link delay, the fault layer's
 * verdict (latency, drops, cut links) when posted, the receiver still open
 * and the link still uncut when it arrives. Internal to the bus.
 *
 * A delivery is one object ({@link Delivery}) with its work in methods, not
 * a chain of closures: the bus posts one per routed message.
 *
 * @example
 * ```ts
 * import type { PostOptions } from "./post.ts";
 * const dataPost: PostOptions = { kind: "data", onDrop: (why) => console.log(why) };
 * ```
 * @module
 */
import type { LinkDelay } from "./options.ts";
import type { Conn } from "./router.ts";
import type { DeliveryQueue, QueueTask } from "./delivery.ts";
import type { BusFaults, TrafficKind } from "../faults/faults.ts";
import type { BusAddress } from "./port.ts";
import { formatAddress } from "./records.ts";

/** How one closure delivery is posted. */
export interface PostOptions {
  /** Run even if the receiver closed meanwhile, and bypass every fault. */
  always?: boolean;
  /** Instead of running: the receiver left, or a fault dropped it. */
  onDrop?: (reason: string) => void;
  /** What it is, for fault rules (default `"event"`). */
  kind?: TrafficKind;
  /** The sender's node when the sender is not (or no longer) on the bus. */
  srcNode?: number;
  /** Sent by the fault layer itself: never dropped by a cut. */
  told?: boolean;
}

/** What {@link postDelivery} needs from the bus. */
export interface PostHost {
  readonly queue: DeliveryQueue;
  readonly faults: BusFaults;
  readonly linkDelay: LinkDelay | undefined;
  /** The node `src` sits on, if known. */
  nodeOf(src: BusAddress): number | undefined;
  log(line: string): void;
}

/**
 * One delivery from `src` to `to`: `deliver()` runs when it arrives (the
 * receiver still open, the link still uncut), `dropped()` instead.
 *
 * @example
 * ```ts
 * import { Delivery } from "./post.ts";
 * class Hello extends Delivery {
 *   deliver(): void { console.log("hello"); }
 * }
 * ```
 */
export abstract class Delivery implements QueueTask {
  /** The sender. */
  readonly src: BusAddress;
  /** The receiver. */
  readonly to: Conn;
  /** What it is, for fault rules. */
  readonly kind: TrafficKind;
  /** Set when posted. */
  host: PostHost | undefined = undefined;
  /** The sender's node, for cuts (undefined: never cut). */
  srcNode: number | undefined = undefined;
  /** Bypasses the receiver check and every fault. */
  always = false;

  /** A delivery of `kind` from `src` to `to`. */
  constructor(src: BusAddress, to: Conn, kind: TrafficKind) {
    this.src = src;
    this.to = to;
    this.kind = kind;
  }

  /** Hand it to the receiver. */
  abstract deliver(): void;

  /**
   * Not delivered: `left` when the receiver closed meanwhile (silent by
   * default), else a fault dropped it (logged by default).
   */
  dropped(reason: string, left: boolean): void {
    if (left) return;
    this.host!.log(
      `${this.kind} ${formatAddress(this.src)} -> ${
        formatAddress(this.to.address)
      } dropped: ${reason}`,
    );
  }

  /** The queue runs it. */
  run(): void {
    if (this.always) return this.deliver();
    const to = this.to;
    if (!to.open) return this.dropped("receiver left", true);
    // Events are checked against cuts only when posted: a leave in flight
    // must still arrive, or the receiver would keep a ghost.
    if (this.kind !== "event") {
      const cut = this.host!.faults.cutBetween(this.srcNode, to);
      if (cut !== undefined) return this.dropped(cut, false);
    }
    this.deliver();
  }

  /** FIFO order holds per sender → receiver connection. */
  link(): string {
    return `${this.src.unitId}/${this.src.clientId}>${this.to.id}`;
  }
}

/** A delivery of a closure (events, flow traffic: not per message). */
class FnDelivery extends Delivery {
  #run: () => void;
  #onDrop: ((reason: string) => void) | undefined;

  constructor(
    src: BusAddress,
    to: Conn,
    kind: TrafficKind,
    run: () => void,
    onDrop: ((reason: string) => void) | undefined,
  ) {
    super(src, to, kind);
    this.#run = run;
    this.#onDrop = onDrop;
  }

  deliver(): void {
    this.#run();
  }

  override dropped(reason: string, left: boolean): void {
    if (this.#onDrop) this.#onDrop(reason);
    else super.dropped(reason, left);
  }
}

/**
 * Post `delivery`, in order per link. `srcNode` is the sender's node when
 * the caller knows it (else looked up), `told` marks the fault layer's own
 * events (never cut), `always` bypasses faults and the receiver check.
 *
 * @example
 * ```ts
 * import { type Delivery, postDelivery, type PostHost } from "./post.ts";
 * declare const host: PostHost, d: Delivery;
 * postDelivery(host, d, 0);
 * ```
 */
export function postDelivery(
  host: PostHost,
  d: Delivery,
  srcNode: number | undefined,
  told = false,
  always = false,
): void {
  d.host = host;
  d.always = always;
  const linkDelay = host.linkDelay;
  let delay = linkDelay === undefined ? 0 : linkDelay(d.src, d.to.address) ?? 0;
  d.srcNode = told ? undefined : srcNode ?? host.nodeOf(d.src);
  const faults = host.faults;
  if (!always && faults.active) {
    const v = faults.verdict(d.src, d.srcNode, d.to, d.kind);
    if (v.drop !== undefined) return d.dropped(v.drop, false);
    delay += v.delayMs;
  }
  host.queue.postTask(d, delay);
}

/**
 * Post `run` from `src` to `to`, in order per link (see {@link PostOptions}).
 *
 * @example
 * ```ts
 * import { postFn, type PostHost } from "./post.ts";
 * import type { Conn } from "./router.ts";
 * declare const host: PostHost, to: Conn;
 * postFn(host, { unitId: 17, clientId: 0, clientType: 4 }, to, () => {}, { kind: "data" });
 * ```
 */
export function postFn(
  host: PostHost,
  src: BusAddress,
  to: Conn,
  run: () => void,
  options: PostOptions = {},
): void {
  const d = new FnDelivery(
    src,
    to,
    options.kind ?? "event",
    run,
    options.onDrop,
  );
  postDelivery(host, d, options.srcNode, options.told, options.always);
}

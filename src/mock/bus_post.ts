/**
 * How the mock bus posts one delivery: the link delay, the fault layer's
 * verdict (latency, drops, cut links) when posted, the receiver still open
 * and the link still uncut when it arrives. Internal to the bus.
 *
 * @example
 * ```ts
 * import type { PostOptions } from "./bus_post.ts";
 * const dataPost: PostOptions = { kind: "data", onDrop: (why) => console.log(why) };
 * ```
 * @module
 */
import type { LinkDelay } from "./bus_types.ts";
import type { Conn } from "./conn.ts";
import type { DeliveryQueue } from "./delivery.ts";
import type { BusFaults, TrafficKind } from "./faults.ts";
import type { BusAddress } from "./port.ts";
import { formatAddress } from "./records.ts";

/** How one delivery is posted. */
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

const key = (a: { unitId: number; clientId: number }): string =>
  `${a.unitId}/${a.clientId}`;

/**
 * Post `run` from `src` to `to`, in order per link (see {@link PostOptions}).
 *
 * @example
 * ```ts
 * import { postDelivery, type PostHost } from "./bus_post.ts";
 * import type { Conn } from "./conn.ts";
 * declare const host: PostHost, to: Conn;
 * postDelivery(host, { unitId: 17, clientId: 0, clientType: 4 }, to, () => {}, { kind: "data" });
 * ```
 */
export function postDelivery(
  host: PostHost,
  src: BusAddress,
  to: Conn,
  run: () => void,
  options: PostOptions = {},
): void {
  const { always = false, onDrop, kind = "event", told = false } = options;
  const { faults } = host;
  let delay = host.linkDelay?.(src, to.address) ?? 0;
  const srcNode = told ? undefined : options.srcNode ?? host.nodeOf(src);
  const dropped = (reason: string): void => {
    if (onDrop) return onDrop(reason);
    host.log(
      `${kind} ${formatAddress(src)} -> ${
        formatAddress(to.address)
      } dropped: ${reason}`,
    );
  };
  if (!always) {
    const v = faults.verdict(src, srcNode, to, kind);
    if (v.drop !== undefined) return dropped(v.drop);
    delay += v.delayMs;
  }
  // Events are checked against cuts only when posted: a leave in flight
  // must still arrive, or the receiver would keep a ghost.
  const recheck = !always && kind !== "event";
  host.queue.post(`${key(src)}>${to.id}`, delay, () => {
    if (always) return run();
    if (!to.open) return onDrop?.("receiver left");
    const cut = recheck ? faults.cutBetween(srcNode, to) : undefined;
    if (cut !== undefined) return dropped(cut);
    run();
  });
}

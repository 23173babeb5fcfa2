/**
 * Internal shapes shared by the mock bus's parts: one attached connection
 * and the routing services the flow book uses. Not exported from the mock
 * entry point.
 *
 * @example
 * ```ts
 * import type { Conn } from "./router.ts";
 * const isOpen = (c: Conn): boolean => c.open;
 * ```
 * @module
 */
import { packetHeadSize } from "../../abi/packinfo.ts";
import type { Clock } from "./clock.ts";
import { copyAddress } from "./records.ts";
import type { MockNode } from "./options.ts";
import type { TrafficKind } from "../faults/faults.ts";
import type { Delivery } from "./post.ts";
import type { BusAddress, HeadFields, PortSink } from "./port.ts";

/** One attached connection as the bus keeps it. */
export interface Conn {
  /** Unique per bus, never reused: tells a reconnection from the old one. */
  readonly id: number;
  readonly address: BusAddress;
  readonly node: MockNode;
  readonly sink: PortSink;
  readonly addInfo: Uint8Array;
  readonly connectedAt: number;
  /** False once detached or closed; deliveries to it are then dropped. */
  open: boolean;
}

/** What the bus lends its parts for routing. */
export interface Router {
  readonly clock: Clock;
  readonly strict: boolean;
  /**
   * Asked when nobody holds `address`: does a mock IPSC live there (so it is
   * down: crashed, or its node stopped) rather than never existed?
   */
  ipscDown(address: BusAddress): boolean;
  /** The open connection at exactly this address (type included). */
  find(dst: BusAddress): Conn | undefined;
  /**
   * Run later, in order per link; `onDrop` instead (with the reason) if `to`
   * closed meanwhile or a fault dropped it. `kind` is what fault rules
   * match (default `"event"`).
   */
  post(
    src: BusAddress,
    to: Conn,
    run: () => void,
    onDrop?: (reason: string) => void,
    kind?: TrafficKind,
  ): void;
  /** Post `delivery` from the node `srcNode` (undefined: looked up). */
  postDelivery(delivery: Delivery, srcNode: number | undefined): void;
  head(
    cmd: number,
    cmdType: number,
    src: BusAddress,
    dst: BusAddress,
    dataLen: number,
  ): HeadFields;
  /** An ordinary log line. */
  log(line: string): void;
  /** A line that must be seen (strict-mode failures). */
  loud(line: string): void;
}

/**
 * The head of a delivery (with its own copies of the addresses), its
 * `packetSize` counted with a head of `sizeof(long)` = `longSize`.
 *
 * @example
 * ```ts
 * import { headFields } from "./router.ts";
 * const a = { unitId: 17, clientId: 0, clientType: 4 };
 * console.log(headFields(8, 1, 3, a, a, 2).packetSize); // 30
 * ```
 */
export function headFields(
  longSize: 4 | 8,
  cmd: number,
  cmdType: number,
  src: BusAddress,
  dst: BusAddress,
  dataLen: number,
): HeadFields {
  return {
    cmd,
    cmdType,
    src: copyAddress(src),
    dst: copyAddress(dst),
    packetSize: packetHeadSize(longSize) + dataLen,
    dataLen,
  };
}

/**
 * The `cmd` values the mock bus puts in heads of flow traffic (cmdtype
 * `INTERNAL`). The vendor's values are not public; these are ours.
 */
export const FlowCmd = {
  INVOKE: 1,
  ACK: 2,
  RESULT: 3,
  NOTIFY: 4,
} as const;

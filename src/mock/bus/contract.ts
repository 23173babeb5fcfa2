/**
 * The contract between the mock bus core and whatever plays "the library"
 * for one connection: the in-memory mock backend, or the TCP front that
 * serves the native stand-in. Both attach through {@link BusAttach} and get
 * deliveries through a {@link PortSink}, so the bus core never knows which.
 *
 * Text fields travel as raw bytes (without NUL), exactly as the library would
 * hand them over; decoding belongs to the API.
 *
 * @module
 */

/**
 * Where a client sits on the bus.
 *
 * @example
 * ```ts
 * import type { BusAddress } from "@smartbus/netclient/mock";
 * const agent: BusAddress = { unitId: 17, clientId: 0, clientType: 4 };
 * ```
 */
export interface BusAddress {
  /** Unit id: 0–15 for a node, 16–47 for a network client (IPSCs may use a node's id). */
  unitId: number;
  /** Client id on that unit (-1 for a node itself). */
  clientId: number;
  /** Client type (`ClientType`). */
  clientType: number;
}

/** The fields of a packet head, as the bus fills them in for a delivery. */
export interface HeadFields {
  /** Command. */
  cmd: number;
  /** Command type (`CmdType`). */
  cmdType: number;
  /** Sender. */
  src: BusAddress;
  /** Receiver. */
  dst: BusAddress;
  /** Head size plus data length. */
  packetSize: number;
  /** Data length in bytes. */
  dataLen: number;
}

/** A login: who connects, with which credentials. */
export interface AttachRequest {
  /** The connecting address (unit id of the process, local client id, client type). */
  address: BusAddress;
  /** `null` when none was given. */
  user: string | null;
  /** `null` when none was given. */
  password: string | null;
  /** Raw bytes of `add_info` (no NUL). */
  addInfo: Uint8Array;
}

/** A flow invocation as delivered to an IPSC. */
export interface FlowInvocation {
  /** Who invoked (the caller's address). */
  from: BusAddress;
  /** The caller's invoke id (> 0), echoed in the acknowledge and the result. */
  invokeId: number;
  /** The project id, raw bytes (GBK). */
  projectId: Uint8Array;
  /** The flow's name, raw bytes (GBK). */
  flowId: Uint8Array;
  /** 0 wants the result, 1 fire and forget. */
  mode: number;
  /** The caller's timeout, ms. */
  timeoutMs: number;
  /** The JSON array text, raw bytes (GBK). */
  params: Uint8Array;
}

/** A notification as delivered to an IPSC. */
export interface NotifyMessage {
  /** Who sent it. */
  from: BusAddress;
  /** The caller's invoke id (> 0). */
  invokeId: number;
  /** The project id, raw bytes (GBK). */
  projectId: Uint8Array;
  /** The title, raw bytes (GBK). */
  title: Uint8Array;
  /** Passed through unchanged. */
  mode: number;
  /** Validity, ms. */
  expiresMs: number;
  /** The payload, raw bytes (GBK). */
  param: Uint8Array;
}

/** A global connect event, as the six-`char` callback carries it. */
export interface GlobalConnectEvent {
  /** Unit id of who joined or left. */
  unitId: number;
  /** Its client id (-1: a node). */
  clientId: number;
  /** Its client type. */
  clientType: number;
  /** The node it is attached to. */
  accessUnitId: number;
  /** 0 left, 1 joined, 2 already present when the receiver joined. */
  status: number;
  /** Its `add_info`, raw bytes. */
  addInfo: Uint8Array;
}

/**
 * What the bus delivers to one attached connection. Deliveries are
 * asynchronous (never inside the call that caused them) and in order per
 * sender.
 */
export interface PortSink {
  /** Data (including a ping's answer, cmdtype 8) for this connection. */
  data(head: HeadFields, data: Uint8Array): void;
  /** The IPSC acknowledged an invocation made through this connection. */
  flowAck(
    head: HeadFields,
    invokeId: number,
    projectId: Uint8Array,
    ack: number,
    msg: Uint8Array,
  ): void;
  /** The IPSC returned (ret 1) or failed (other ret) an invocation. */
  flowResult(
    head: HeadFields,
    invokeId: number,
    projectId: Uint8Array,
    ret: number,
    param: Uint8Array,
  ): void;
  /** Some client or node joined or left (or was already there). */
  globalConnect(event: GlobalConnectEvent): void;
  /** The bus closed this connection (node stopped, link cut). Not called after `detach()`. */
  closed(reason: string): void;
  /** Only for IPSC connections: a flow invocation to run. */
  invokeFlow?(invocation: FlowInvocation): void;
  /** Only for IPSC connections: a notification. */
  notify?(message: NotifyMessage): void;
}

/** An attached connection: what it can ask of the bus. Codes are `ErrorCode`s. */
export interface BusPort {
  /** The unit id of the node this connection reached. */
  readonly accessUnitId: number;
  /** Send data to `dst`. */
  send(
    cmd: number,
    cmdType: number,
    dst: BusAddress,
    data: Uint8Array,
  ): number;
  /** Ping `dst`; the bus answers on the target's behalf (cmdtype 8). */
  ping(dst: BusAddress, data: Uint8Array): number;
  /** Invoke a flow on the IPSC at `serverUnitId`/`ipscIndex`. */
  invokeFlow(
    serverUnitId: number,
    ipscIndex: number,
    invocation: Omit<FlowInvocation, "from">,
  ): number;
  /** Send a notification to the IPSC at `serverUnitId`/`processIndex`. */
  notify(
    serverUnitId: number,
    processIndex: number,
    message: Omit<NotifyMessage, "from">,
  ): number;
  /** For IPSC connections: acknowledge an invocation. */
  flowAck(
    to: BusAddress,
    invokeId: number,
    projectId: Uint8Array,
    ack: number,
    msg: Uint8Array,
  ): number;
  /** For IPSC connections: return (ret 1) or fail an invocation. */
  flowResult(
    to: BusAddress,
    invokeId: number,
    projectId: Uint8Array,
    ret: number,
    param: Uint8Array,
  ): number;
  /** Leave the bus; others get a global connect event with status 0. Idempotent. */
  detach(): void;
}

/** The outcome of a login attempt. */
export type AttachResult =
  | { ok: true; port: BusPort }
  | { ok: false; code: number; reason: string };

/**
 * How a connection attaches: by the node's `host:port` address, as the
 * library's `CreateConnect` would dial it.
 */
export interface BusAttach {
  /** Log in at the node listening on `host:port`; deliveries then go to `sink`. */
  attach(
    host: string,
    port: number,
    request: AttachRequest,
    sink: PortSink,
  ): AttachResult;
  /**
   * Call `fn` whenever a node stops or starts; returns the unsubscribe
   * function. The TCP front closes a stopped node's listener with it.
   */
  onNodeState?(fn: (unitId: number, running: boolean) => void): () => void;
}

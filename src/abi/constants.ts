/**
 * Constants of the SmartBus network-client C ABI (`libbusnetcli`), with the
 * same numeric values as the vendor header.
 *
 * @example
 * ```ts
 * import { ClientType, CmdType } from "@smartbus/netclient";
 * console.log(ClientType.IPSC, CmdType.PING_ACK); // 2 8
 * ```
 * @module
 */

/**
 * Lowest unit id a network client (a process using this library) may use.
 *
 * @example
 * ```ts
 * import { MAX_SMARTBUS_NETCLI_UNITID, MIN_SMARTBUS_NETCLI_UNITID } from "@smartbus/netclient";
 * const ok = (id: number) => id >= MIN_SMARTBUS_NETCLI_UNITID && id <= MAX_SMARTBUS_NETCLI_UNITID;
 * console.log(ok(17), ok(5)); // true false
 * ```
 */
export const MIN_SMARTBUS_NETCLI_UNITID = 16;
/** How many network-client unit ids exist (16–47). */
export const SMARTBUS_NETCLI_UNITID_COUNT = 32;
/**
 * Highest unit id a network client may use (47).
 *
 * @example
 * ```ts
 * import { MAX_SMARTBUS_NETCLI_UNITID } from "@smartbus/netclient";
 * console.log(`unit ids up to ${MAX_SMARTBUS_NETCLI_UNITID}`);
 * ```
 */
export const MAX_SMARTBUS_NETCLI_UNITID: number = MIN_SMARTBUS_NETCLI_UNITID +
  SMARTBUS_NETCLI_UNITID_COUNT - 1;
/** Highest unit id of a bus node (server); nodes use 0–15. */
export const MAX_SMARTBUS_NODE_UNITID = 15;
/** At most this many clients attach to one bus node. */
export const MAX_CLIENTS_PER_NODE = 16;
/** Longest IP address or host name string the library accepts, in bytes (with its NUL). */
export const MAX_IP_ADDR_LEN = 64;
/**
 * Largest data of one `send` or `ping`, in bytes (text: encoded, with its
 * NUL); more is refused with code -15 (`MAX_DATASIZE`) before the library.
 *
 * @example
 * ```ts
 * import { MAX_DATA_BYTES } from "@smartbus/netclient";
 * const fits = (text: string) => new TextEncoder().encode(text).length < MAX_DATA_BYTES;
 * console.log(fits("hello")); // true
 * ```
 */
export const MAX_DATA_BYTES = 65536;
/**
 * Longest string argument the library takes (project, flow, title, user,
 * password, extra info, notify parameter), in encoded bytes without the NUL.
 *
 * @example
 * ```ts
 * import { MAX_STRING_BYTES } from "@smartbus/netclient";
 * console.log(MAX_STRING_BYTES); // 65534
 * ```
 */
export const MAX_STRING_BYTES = 0xfffe;
/**
 * Largest flow parameter list (`in_valuelist`), in bytes, after encoding:
 * `invoke()` refuses a larger one with `InvalidArgumentError`. The vendor's
 * library takes 16 001 bytes and refuses 16 002 with -15 (its header says
 * 32 KiB).
 *
 * @example
 * ```ts
 * import { MAX_FLOW_PARAMS_BYTES } from "@smartbus/netclient";
 * const params = ["a".repeat(100)];
 * console.log(JSON.stringify(params).length < MAX_FLOW_PARAMS_BYTES); // true
 * ```
 */
export const MAX_FLOW_PARAMS_BYTES = 16001;
/**
 * The fixed fields of the vendor library's request structs, in bytes with
 * their NUL (`gdb -batch -ex 'ptype /o struct SMARTBUS_CALL_FLOW'
 * libbusnetcli.so`): the library cuts a longer string silently (a flow
 * would start under another name), so the API refuses it before the call.
 * Limits are of encoded bytes (GBK or UTF-8), not characters.
 *
 * @example
 * ```ts
 * import { STRING_FIELD_BYTES } from "@smartbus/netclient";
 * console.log(STRING_FIELD_BYTES.project - 1); // 31 bytes at most
 * ```
 */
export const STRING_FIELD_BYTES = {
  /** `SMARTBUS_CALL_FLOW.projectid[32]`, `SMARTBUS_NOTIFY.projectid[32]`. */
  project: 32,
  /** `SMARTBUS_CALL_FLOW.flowid[32]`. */
  flow: 32,
  /** `SMARTBUS_NOTIFY.title[102]`. */
  title: 102,
  /** `_SMARTBUS_CMD_REGISTION.author_username[64]`. */
  authorUsr: 64,
  /** `_SMARTBUS_CMD_REGISTION.author_info[128]` (the password). */
  authorPwd: 128,
  /** `_SMARTBUS_CMD_REGISTION.add_info[256]`. */
  extInfo: 256,
} as const;

/**
 * Largest notification parameter (`SendNotify`'s `param`), in bytes after
 * encoding: the vendor's library takes 15 999 and refuses 16 000 with -15.
 *
 * @example
 * ```ts
 * import { MAX_NOTIFY_PARAM_BYTES } from "@smartbus/netclient";
 * console.log(MAX_NOTIFY_PARAM_BYTES); // 15999
 * ```
 */
export const MAX_NOTIFY_PARAM_BYTES = 15999;

/**
 * The smallest local client type the vendor's library accepts: it refuses 0
 * (NULL) and 1 (NODE) with -17 (`CLIENTTYPE_INVALID`).
 *
 * @example
 * ```ts
 * import { ClientType, MIN_LOCAL_CLIENT_TYPE } from "@smartbus/netclient";
 * console.log(ClientType.AGENT >= MIN_LOCAL_CLIENT_TYPE); // true
 * ```
 */
export const MIN_LOCAL_CLIENT_TYPE = 2;

/**
 * `slaverPort` value meaning "no slave server" (the default).
 *
 * @example
 * ```ts
 * import { Client, NO_SLAVE_PORT } from "@smartbus/netclient";
 * const hasSlave = (c: Client): boolean => c.slaverPort !== NO_SLAVE_PORT;
 * ```
 */
export const NO_SLAVE_PORT = 0xffff;
/** The `head_flag` every SmartBus packet head starts with. */
export const PACKET_HEAD_FLAG = 0x5b15;
/** The `SetCallBackFnEx` name that installs the flow-acknowledge callback. */
export const INVOKEFLOW_ACK_CB_NAME = "smartbus_invokeflow_ack_cb";

/**
 * Client types (`SMARTBUS_CLIENT_TYPE_*`).
 *
 * @example
 * ```ts
 * import { ClientType } from "@smartbus/netclient";
 * const isIpsc = (t: number): boolean => t === ClientType.IPSC;
 * ```
 */
export const ClientType = {
  NULL: 0,
  NODE: 1,
  /** The IPSC flow server. */
  IPSC: 2,
  MONITOR: 3,
  AGENT: 4,
  DB: 5,
} as const;
/** One of the {@link ClientType} values. */
export type ClientTypeValue = typeof ClientType[keyof typeof ClientType];

/**
 * The library's own commands among data (cmdtype {@link CmdType.SYSTEM}), as
 * the vendor's binary sends them: a ping is cmd 7, its answer cmd 8, both
 * with cmdtype 1 (the header documents 8 as a cmdtype; the wire disagrees).
 *
 * @example
 * ```ts
 * import { SystemCmd } from "@smartbus/netclient/internal";
 * console.log(SystemCmd.PING_ANSWER); // 8
 * ```
 */
export const SystemCmd = {
  PING: 7,
  PING_ANSWER: 8,
} as const;

/**
 * Command types (`SMARTBUS_CMDTYPE_*`). A ping's answer arrives as data with
 * cmd 8 and cmdtype {@link CmdType.SYSTEM}; `PING_ACK` (8) is the header's
 * name for that cmd, kept for code written against the header.
 *
 * @example
 * ```ts
 * import { CmdType } from "@smartbus/netclient";
 * console.log(CmdType.USER); // 3
 * ```
 */
export const CmdType = {
  INTERNAL: 0,
  SYSTEM: 1,
  FILE: 2,
  USER: 3,
  GUARD_CMD: 4,
  GUARD_FILE: 5,
  PING_ACK: 8,
} as const;

/**
 * Connection states (`SMARTBUS_NETCLI_STATE_*`).
 *
 * @example
 * ```ts
 * import { ConnState } from "@smartbus/netclient/internal";
 * console.log(ConnState.CONNECTED); // 6
 * ```
 */
export const ConnState = {
  INIT: 0,
  CONNECTING: 1,
  READY: 2,
  FAIL: 3,
  BLOCK: 4,
  CLOSE: 5,
  CONNECTED: 6,
  OK: 7,
} as const;

/**
 * Status values of a global connect event.
 *
 * @example
 * ```ts
 * import { GlobalConnectStatus } from "@smartbus/netclient";
 * console.log(GlobalConnectStatus.ALREADY_CONNECTED); // 2
 * ```
 */
export const GlobalConnectStatus = {
  DISCONNECTED: 0,
  CONNECTED: 1,
  /** Sent for every client already present when we join. */
  ALREADY_CONNECTED: 2,
} as const;

/**
 * `mode` of `RemoteInvokeFlow`.
 *
 * @example
 * ```ts
 * import { InvokeMode } from "@smartbus/netclient/internal";
 * console.log(InvokeMode.WANT_RESULT); // 0
 * ```
 */
export const InvokeMode = {
  WANT_RESULT: 0,
  FIRE_AND_FORGET: 1,
} as const;

/** `ret` of the flow-result callback when the flow returned its results. */
export const FLOW_RET_OK = 1;
/**
 * `ack` of the flow-acknowledge callback (`onInvokeFlowAcknowledge`) when
 * the flow started.
 *
 * @example
 * ```ts
 * import { Client, FLOW_ACK_OK } from "@smartbus/netclient";
 * class Agent extends Client {
 *   override onInvokeFlowAcknowledge(_info: unknown, project: string, id: number, ack: number, msg: string): void {
 *     if (ack !== FLOW_ACK_OK) console.log(`flow ${project} (${id}) not started: ${msg}`);
 *   }
 * }
 * ```
 */
export const FLOW_ACK_OK = 1;

/**
 * Error codes returned by the library (`SMARTBUS_ERR_*`).
 *
 * @example
 * ```ts
 * import { ErrorCode } from "@smartbus/netclient";
 * console.log(ErrorCode.TIMEOUT); // -25
 * ```
 */
export const ErrorCode = {
  OK: 0,
  ARGUMENT: -1,
  CONN_NOT_ESTAB: -2,
  CONNECT_BREAK: -3,
  AUTHOR: -4,
  USER: -5,
  PWD: -6,
  BUFF_FULL: -7,
  NODE_NOTEXIST: -8,
  CLI_NOTEXIST: -9,
  CONNECTED: -10,
  SEND_OWN: -11,
  UNITID_INVALID: -12,
  CLIENTID_INVALID: -13,
  NON_INIT: -14,
  MAX_DATASIZE: -15,
  CMDTYPE_INVALID: -16,
  CLIENTTYPE_INVALID: -17,
  SEND_DATA: -18,
  MEM_ALLOC: -19,
  ESTABLI_CONNECT: -20,
  CLI_TOOMANY: -21,
  CLI_EXIST: -22,
  DEST_NONEXIST: -23,
  REGISTERED_REPEAT: -24,
  TIMEOUT: -25,
  OTHER: -99,
} as const;
/**
 * Symbolic name of an {@link ErrorCode}.
 *
 * @example
 * ```ts
 * import { type ErrorCodeName, errorCodeName } from "@smartbus/netclient";
 * const name: ErrorCodeName | "UNKNOWN" = errorCodeName(-25); // "TIMEOUT"
 * ```
 */
export type ErrorCodeName = keyof typeof ErrorCode;

const codeNames: ReadonlyMap<number, ErrorCodeName> = new Map(
  (Object.entries(ErrorCode) as [ErrorCodeName, number][]).map((
    [k, v],
  ) => [v, k]),
);

/**
 * The symbolic name of a library error code, or `"UNKNOWN"`.
 *
 * @example
 * ```ts
 * import { errorCodeName } from "@smartbus/netclient";
 * console.log(errorCodeName(-4)); // "AUTHOR"
 * ```
 */
export function errorCodeName(code: number): ErrorCodeName | "UNKNOWN" {
  return codeNames.get(code) ?? "UNKNOWN";
}

/**
 * A library code with its name, for messages: `-6 (PWD)`.
 *
 * @example
 * ```ts
 * import { describeCode } from "@smartbus/netclient/internal";
 * console.log(describeCode(-6)); // "-6 (PWD)"
 * ```
 */
export function describeCode(code: number): string {
  return `${code} (${errorCodeName(code)})`;
}

/** Authentication failures: connect attempts that will never succeed by retrying. */
export const AUTH_ERROR_CODES: ReadonlySet<number> = new Set([
  ErrorCode.AUTHOR,
  ErrorCode.USER,
  ErrorCode.PWD,
]);

/**
 * The arguments of a `Client`: option types, defaults, and the checks and
 * encodings that turn them into what the library takes, so that bad input
 * fails before anything reaches a backend.
 *
 * @example
 * ```ts
 * import type { ClientOptions } from "@smartbus/netclient";
 * const options: ClientOptions = { localClientId: 1, masterHost: "10.0.0.1", masterPort: 8000 };
 * ```
 * @module
 */
import { ClientType, NO_SLAVE_PORT } from "../abi/constants.ts";
import { InvalidArgumentError } from "../abi/errors.ts";
import type { SmartBus } from "./smartbus.ts";
import { normalizeEncoding, type TextEncodingName } from "./text.ts";
import * as v from "./validate.ts";
import { connectArgs, hostArg } from "./library_args.ts";

/**
 * Where a message goes: a client anywhere on the bus.
 *
 * @example
 * ```ts
 * import { type Address, Client, ClientType } from "@smartbus/netclient";
 * const peer: Address = { unitId: 18, clientId: 1, clientType: ClientType.AGENT };
 * const rttTo = (client: Client): Promise<number> => client.rtt(peer);
 * ```
 */
export interface Address {
  /** Unit id (16–47 a client unit, 0–15 a node). */
  unitId: number;
  /** Client id on that unit. */
  clientId: number;
  /** Client type (`ClientType`). */
  clientType: number;
}

/**
 * Options every awaitable call accepts.
 *
 * @example
 * ```ts
 * import type { CallOptions, Client } from "@smartbus/netclient";
 * const options: CallOptions = { timeout: 5_000, signal: AbortSignal.timeout(10_000) };
 * const connect = (client: Client): Promise<number> => client.connect(options);
 * ```
 */
export interface CallOptions {
  /** Milliseconds before the call rejects; a positive finite number. */
  timeout?: number;
  /** Aborting rejects the call with `AbortedError`. */
  signal?: AbortSignal;
}

/**
 * Options of {@link Client}: the original package's constructor parameters
 * by name.
 *
 * @example
 * ```ts
 * import { Client, type ClientOptions, ClientType } from "@smartbus/netclient";
 * const options: ClientOptions = {
 *   localClientId: 1,
 *   localClientType: ClientType.AGENT,
 *   masterHost: "10.0.0.1",
 *   masterPort: 8000,
 *   encoding: "gbk",
 * };
 * const make = (): Client => new Client(options); // on the unit of initialize()
 * ```
 */
export interface ClientOptions {
  /** The unit this client belongs to; default: the process-wide one of `initialize()`. */
  bus?: SmartBus;
  /** 0–255, unique within the unit. */
  localClientId: number;
  /** Default `ClientType.NULL`... the original Python package required it; 0–255. */
  localClientType?: number;
  /** Master bus server host (name or IP, < 64 bytes). */
  masterHost: string;
  /** Master bus server port. */
  masterPort: number;
  /** Slave bus server host; null/empty for none. */
  slaverHost?: string | null;
  /** Slave bus server port; 0xFFFF (default) for none. */
  slaverPort?: number;
  /** Login name; null for none. */
  authorUsr?: string | null;
  /** Password; null for none. */
  authorPwd?: string | null;
  /** Additional info other clients see in global connect events (GBK). */
  extInfo?: string | null;
  /** Text encoding for send/receive: `"utf-8"` (default) or `"gbk"`. */
  encoding?: string;
}

/**
 * A flow to call with {@link Client.invoke}.
 *
 * @example
 * ```ts
 * import type { Client, FlowCall } from "@smartbus/netclient";
 * const callout: FlowCall = { server: 0, process: 0, project: "ivr", flow: "callout", params: { to: "10086" } };
 * const run = (client: Client): Promise<unknown[]> => client.invoke(callout, { timeout: 60_000 });
 * ```
 */
export interface FlowCall {
  /** The IPSC's unit id. */
  server: number;
  /** The IPSC's process index (its client id). */
  process: number;
  /** The flow's project id (GBK). */
  project: string;
  /** The flow's name (GBK). */
  flow: string;
  /** Anything JSON can carry; a non-array becomes a one-element list. */
  params?: unknown;
  /** `false`: resolve on the acknowledge, with `[]` (mode 1). Default true. */
  wantResult?: boolean;
}

/**
 * Default timeout of `connect()` and `rtt()`, ms.
 *
 * @example
 * ```ts
 * import { DEFAULT_CALL_TIMEOUT_MS } from "@smartbus/netclient";
 * console.log(DEFAULT_CALL_TIMEOUT_MS); // 30000
 * ```
 */
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;
/**
 * Default timeout of `invoke()`, ms (the original package's 30 s).
 *
 * @example
 * ```ts
 * import { DEFAULT_FLOW_TIMEOUT_MS } from "@smartbus/netclient";
 * const patient = { timeout: 2 * DEFAULT_FLOW_TIMEOUT_MS };
 * ```
 */
export const DEFAULT_FLOW_TIMEOUT_MS = 30_000;

/** The original Python package's positional constructor arguments, as options. @internal */
export function clientOptionsFrom(args: unknown[]): ClientOptions {
  if (typeof args[0] === "object" && args[0] !== null) {
    return args[0] as ClientOptions;
  }
  const [
    localClientId,
    localClientType,
    masterHost,
    masterPort,
    slaverHost,
    slaverPort,
    authorUsr,
    authorPwd,
    extInfo,
    encoding,
  ] = args as [
    number,
    number,
    string,
    number,
    string | null,
    number,
    string | null,
    string | null,
    string | null,
    string,
  ];
  return {
    localClientId,
    localClientType,
    masterHost,
    masterPort,
    slaverHost,
    slaverPort,
    authorUsr,
    authorPwd,
    extInfo,
    encoding,
  };
}

/** A client's settings, checked. @internal */
export interface ClientFields {
  localClientId: number;
  localClientType: number;
  masterHost: string;
  masterPort: number;
  slaverHost: string | null;
  slaverPort: number;
  authorUsr: string | null;
  authorPwd: string | null;
  extInfo: string | null;
  encoding: TextEncodingName;
}

/** Check a client's options (defaults applied); throws `InvalidArgumentError`. @internal */
export function clientFields(o: ClientOptions): ClientFields {
  const nullable = { nullable: true } as const;
  const f: ClientFields = {
    localClientId: v.assertLocalClientId(o.localClientId),
    localClientType: v.assertLocalClientType(
      o.localClientType ?? ClientType.AGENT,
    ),
    masterHost: hostArg("masterHost", o.masterHost),
    masterPort: v.assertInteger("masterPort", o.masterPort, 1, 65535),
    slaverHost: o.slaverHost == null || o.slaverHost === ""
      ? null
      : hostArg("slaverHost", o.slaverHost),
    slaverPort: v.assertPort("slaverPort", o.slaverPort ?? NO_SLAVE_PORT),
    authorUsr: v.assertString("authorUsr", o.authorUsr ?? null, nullable),
    authorPwd: v.assertString("authorPwd", o.authorPwd ?? null, nullable),
    extInfo: v.assertString("extInfo", o.extInfo ?? null, nullable),
    encoding: normalizeEncoding(o.encoding ?? "utf-8"),
  };
  // Encode now so that bad credentials fail here, not at connect().
  connectArgs(f);
  return f;
}

/** An awaited call's options, checked. @internal */
export interface CallSettings {
  /** Its deadline, ms. */
  timeoutMs: number;
  /** Its signal, if any. */
  signal: AbortSignal | undefined;
}

/**
 * Check an awaited call's `options` (plain JavaScript may pass `null`, a
 * number or a fake signal): the timeout in ms, else `fallback`, and the
 * signal. Runs before anything is sent or any timer is set. @internal
 */
export function callSettings(options: unknown, fallback: number): CallSettings {
  if (options === undefined) return { timeoutMs: fallback, signal: undefined };
  if (typeof options !== "object" || options === null) {
    throw new InvalidArgumentError(
      "options",
      `must be an object such as { timeout, signal }, got ${
        v.showValue(options)
      }`,
    );
  }
  const o = options as CallOptions;
  return {
    timeoutMs: o.timeout === undefined
      ? fallback
      : v.assertTimeoutMs("timeout", o.timeout),
    signal: v.assertSignal("signal", o.signal),
  };
}

/**
 * What the library takes, checked and encoded: `CreateConnect`'s strings,
 * `RemoteInvokeFlow`'s and `SendNotify`'s arguments, data for `SendData` and
 * `SendPing`, destinations. Every limit of the library is checked here, in
 * encoded bytes, so that the mock and a native library see the same
 * arguments and refuse nothing themselves.
 *
 * @module
 */
import {
  ErrorCode,
  InvokeMode,
  MAX_DATA_BYTES,
  MAX_NOTIFY_PARAM_BYTES,
  MAX_STRING_BYTES,
  STRING_FIELD_BYTES,
} from "../abi/constants.ts";
import { InvalidArgumentError } from "../abi/errors.ts";
import type { Address, FlowCall } from "./client_args.ts";
import { serializeFlowParams } from "./params.ts";
import { cString, transientCString } from "./c_string.ts";
import { normalizeEncoding, type TextEncodingName } from "./text.ts";
import * as v from "./validate.ts";

/** `CreateConnect`'s string arguments, encoded. @internal */
export interface ConnectArgs {
  master: Uint8Array;
  slave: Uint8Array | null;
  user: Uint8Array | null;
  pwd: Uint8Array | null;
  info: Uint8Array | null;
}

/** Encode a client's connection strings (C strings; credentials in its encoding, add_info GBK). @internal */
export function connectArgs(c: {
  masterHost: string;
  slaverHost: string | null;
  authorUsr: string | null;
  authorPwd: string | null;
  extInfo: string | null;
  encoding: TextEncodingName;
}): ConnectArgs {
  const opt = (
    arg: string,
    s: string | null,
    enc: TextEncodingName,
    max?: number,
  ) => s === null ? null : boundedCString(arg, s, enc, ErrorCode.ARGUMENT, max);
  const field = STRING_FIELD_BYTES;
  return {
    master: cString(c.masterHost, "utf-8", "masterHost"),
    slave: opt("slaverHost", c.slaverHost, "utf-8"),
    user: opt("authorUsr", c.authorUsr, c.encoding, field.authorUsr - 1),
    pwd: opt("authorPwd", c.authorPwd, c.encoding, field.authorPwd - 1),
    info: opt("extInfo", c.extInfo, "gbk", field.extInfo - 1),
  };
}

/** `RemoteInvokeFlow`'s arguments, checked and encoded. @internal */
export interface FlowCallArgs {
  server: number;
  process: number;
  project: Uint8Array;
  flow: Uint8Array;
  mode: number;
  params: Uint8Array;
}

/** Check and encode a {@link FlowCall}. @internal */
export function flowCallArgs(call: FlowCall): FlowCallArgs {
  if (typeof call !== "object" || call === null) {
    throw new InvalidArgumentError("call", "a FlowCall object is required");
  }
  return {
    server: v.assertNodeOrUnitId(call.server, "server"),
    process: v.assertInteger("process", call.process, 0, 255),
    project: fieldCString("project", v.assertString("project", call.project)),
    flow: fieldCString("flow", v.assertString("flow", call.flow)),
    mode: call.wantResult === false
      ? InvokeMode.FIRE_AND_FORGET
      : InvokeMode.WANT_RESULT,
    params: serializeFlowParams(call.params),
  };
}

/** A library call that returns an id: > 0, else the error code (0 has no id: OTHER). @internal */
export function idOrCode(rc: number): number {
  return rc === 0 ? ErrorCode.OTHER : rc;
}

/** A dotted-quad IPv4 address, each part 0–255 without leading zeros. */
const IPV4 =
  /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/**
 * A host argument: a dotted-quad IPv4 address. The vendor's library parses
 * it with `inet_addr` and resolves no names: with "localhost" its
 * `CreateConnect` returns -1 and the client id stays taken for good. At
 * most 15 bytes, so the SDK's 64-byte field always fits. @internal
 */
export function hostArg(argument: string, host: unknown): string {
  const h = v.assertString(argument, host);
  if (!IPV4.test(h)) {
    throw new InvalidArgumentError(
      argument,
      `must be an IPv4 address such as 10.0.0.1 (the library resolves no host names), got ${
        JSON.stringify(h.length > 80 ? h.slice(0, 80) + "…" : h)
      }`,
    );
  }
  return h;
}

/**
 * `text` as a C string (`encoding`) of at most `max` bytes before its NUL
 * (default `MAX_STRING_BYTES`); longer is refused with `code` (the library's
 * own code for that argument) before anything reaches the library. @internal
 */
export function boundedCString(
  argument: string,
  text: string,
  encoding: TextEncodingName,
  code: number = ErrorCode.ARGUMENT,
  max: number = MAX_STRING_BYTES,
): Uint8Array {
  // Every character takes at least one byte: no need to encode a string
  // that is too long in characters already.
  const bytes = text.length > max ? null : cString(text, encoding, argument);
  if (bytes === null || bytes.length - 1 > max) {
    throw new InvalidArgumentError(
      argument,
      `must be at most ${max} bytes of ${encoding}, got ${
        bytes === null ? `${text.length} characters` : bytes.length - 1
      }`,
      { code },
    );
  }
  return bytes;
}

/**
 * A GBK string for one of the library's fixed fields
 * (`STRING_FIELD_BYTES`), refused when it would not fit with its NUL, or,
 * with `nonEmpty`, when empty (the library refuses it with -1). @internal
 */
export function fieldCString(
  argument: "project" | "flow" | "title",
  text: string,
  nonEmpty = false,
): Uint8Array {
  if (nonEmpty && text === "") {
    throw new InvalidArgumentError(argument, "must not be empty");
  }
  const max = STRING_FIELD_BYTES[argument] - 1;
  return boundedCString(argument, text, "gbk", ErrorCode.ARGUMENT, max);
}

/** `SendNotify`'s `param`: 1 to `MAX_NOTIFY_PARAM_BYTES` bytes of GBK. */
function notifyParam(text: string): Uint8Array {
  if (text === "") throw new InvalidArgumentError("param", "must not be empty");
  return boundedCString(
    "param",
    text,
    "gbk",
    ErrorCode.MAX_DATASIZE,
    MAX_NOTIFY_PARAM_BYTES,
  );
}

/** A destination address, checked. @internal */
export function destination(
  unitId: unknown,
  clientId: unknown,
  clientType: unknown,
): Address {
  return {
    unitId: v.assertNodeOrUnitId(unitId, "dstUnitId"),
    clientId: v.assertInteger("dstClientId", clientId, 0, 255),
    clientType: v.assertClientType(clientType, "dstClientType"),
  };
}

/**
 * What `send`/`ping` hand the library: bytes as given; text encoded (with
 * `encoding`, else the client's `fallback`) as a C string, because peers are
 * C programs reading C strings: the NUL is part of the data. Text goes
 * through `transientCString`: pass the result on at once. @internal
 */
export function payload(
  data: string | Uint8Array,
  encoding: string | undefined,
  fallback: TextEncodingName,
): Uint8Array {
  const b = v.assertBytesOrString("data", data);
  if (typeof b !== "string") return dataLimit(b.length, b);
  const enc = encoding === undefined ? fallback : normalizeEncoding(encoding);
  // Refused before encoding when the characters alone are too many, so an
  // oversized string never grows the shared encode buffer.
  if (b.length + 1 > MAX_DATA_BYTES) return dataLimit(b.length + 1, null);
  const bytes = transientCString(b, enc, "data");
  return dataLimit(bytes.length, bytes);
}

function dataLimit(size: number, bytes: Uint8Array | null): Uint8Array {
  if (bytes === null || size > MAX_DATA_BYTES) {
    throw new InvalidArgumentError(
      "data",
      `must be at most ${MAX_DATA_BYTES} bytes, got ${
        bytes === null ? `at least ${size}` : size
      }`,
      { code: ErrorCode.MAX_DATASIZE },
    );
  }
  return bytes;
}

/** `SendNotify`'s arguments, checked and encoded. @internal */
export interface NotifyArgs {
  server: number;
  process: number;
  project: Uint8Array;
  title: Uint8Array;
  mode: number;
  expiresMs: number;
  param: Uint8Array;
}

/** Check and encode the original Python package's `sendNotify` arguments (`expires` in seconds). @internal */
export function notifyArgs(
  server: number,
  process: number,
  project: string | null,
  title: string,
  mode: number,
  expires: number,
  param: string,
): NotifyArgs {
  const s = v.assertNodeOrUnitId(server, "server");
  const p = v.assertInteger("process", process, 0, 255);
  const m = v.assertInteger("mode", mode, -2147483648, 2147483647);
  const expiresMs = v.assertTimeoutSeconds("expires", expires);
  return {
    server: s,
    process: p,
    project: fieldCString("project", v.assertString("project", project ?? "")),
    title: fieldCString("title", v.assertString("title", title), true),
    mode: m,
    expiresMs,
    param: notifyParam(v.assertString("param", param)),
  };
}

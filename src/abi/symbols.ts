/**
 * The one FFI symbol table of `libbusnetcli` (see `docs/abi.md`), shared by
 * every native backend. It is written in a neutral vocabulary that happens to
 * be Deno's type names; each backend translates it to its runtime (Bun's
 * `FFIType` in `bun.ts`, koffi's C type names in `node.ts`), so the C
 * signatures exist exactly once. The bound functions' TypeScript types are
 * derived from the table ({@link LibraryFunctions}, {@link CallbackFunction}),
 * never written by hand.
 *
 * Vocabulary: `"u8"` unsigned char, `"i8"` (signed) char, `"u16"` unsigned
 * short, `"i32"` int, `"pointer"` a pointer the callee hands us, `"buffer"` a
 * pointer to JS-owned bytes (or NULL), `"function"` a C function pointer,
 * `"void"` nothing.
 * @module
 */
import { INVOKEFLOW_ACK_CB_NAME as ACK_CB_NAME } from "./constants.ts";
import { packetHeadSize } from "./packinfo.ts";

/** A parameter or result type in the neutral vocabulary. */
export type NativeType =
  | "u8"
  | "i8"
  | "u16"
  | "i32"
  | "pointer"
  | "buffer"
  | "function"
  | "void";

/** One C function: its parameter types, in order, and its result type. */
export interface NativeSignature {
  /** Parameter types, left to right. */
  readonly parameters: readonly NativeType[];
  /** Result type. */
  readonly result: NativeType;
}

/**
 * Every function of the library that a backend binds. Left out on purpose:
 * the variadic `SetTrace` (cannot be bound from JS) and `SetCallBackFnArg`
 * (each backend owns its callbacks, so `arg` is never needed; a library
 * without it still loads).
 */
export const LIBRARY_SYMBOLS = {
  SmartBusNetCli_Init: {
    parameters: [
      "u8", // unsigned char unitid
    ],
    result: "i32", // int: 0 ok, < 0 error code
  },
  SmartBusNetCli_Release: {
    parameters: [],
    result: "void",
  },
  SmartBusNetCli_SetCallBackFn: {
    parameters: [
      "function", // connection_cb
      "function", // recvdata_cb
      "function", // disconnect_cb
      "function", // invokeflow_ret_cb
      "function", // global_connect_cb
      "pointer", // void *arg
    ],
    result: "void",
  },
  SmartBusNetCli_SetCallBackFnEx: {
    parameters: [
      "buffer", // const char *callback_name
      "function", // void *fn
    ],
    result: "void",
  },
  SmartBusNetCli_SetTraceStr: {
    parameters: [
      "function", // trace_cb info
      "function", // trace_cb error
    ],
    result: "void",
  },
  SmartBusNetCli_CreateConnect: {
    parameters: [
      "u8", // unsigned char local_clientid
      "i32", // int local_clienttype
      "buffer", // const char *masterip
      "u16", // unsigned short masterport
      "buffer", // const char *slaverip (NULL or "" for none)
      "u16", // unsigned short slaverport (0xFFFF for none)
      "buffer", // const char *user (NULL: none)
      "buffer", // const char *pwd (NULL: none)
      "buffer", // const char *add_info
    ],
    result: "i32", // int: 0 ok, < 0 error
  },
  SmartBusNetCli_SendData: {
    parameters: [
      "u8", // unsigned char local_clientid
      "u8", // unsigned char cmd
      "u8", // unsigned char cmdtype
      "i32", // int dst_unitid
      "i32", // int dst_clientid
      "i32", // int dst_clienttype
      "buffer", // const void *data
      "i32", // int size
    ],
    result: "i32", // int: 0 ok, < 0 error
  },
  SmartBusNetCli_SendPing: {
    parameters: [
      "u8", // unsigned char local_clientid
      "i32", // int dst_unitid
      "i32", // int dst_clientid
      "i32", // int dst_clienttype
      "buffer", // const void *data
      "i32", // int size
    ],
    result: "i32", // int: 0 ok, < 0 error
  },
  SmartBusNetCli_RemoteInvokeFlow: {
    parameters: [
      "u8", // unsigned char local_clientid
      "i32", // int server_unitid
      "i32", // int ipscindex
      "buffer", // const char *projectid
      "buffer", // const char *flowid
      "i32", // int mode (0: wants the result, 1: fire and forget)
      "i32", // int timeout_ms
      "buffer", // const char *in_valuelist (JSON array, <= 32 KiB)
    ],
    result: "i32", // int: > 0 invoke id, < 0 error
  },
  SmartBusNetCli_SendNotify: {
    parameters: [
      "u8", // unsigned char local_clientid
      "i32", // int server_unitid
      "i32", // int processindex
      "buffer", // const char *projectid
      "buffer", // const char *title
      "i32", // int mode
      "i32", // int expires_ms
      "buffer", // const char *param
    ],
    result: "i32", // int: > 0 invoke id, < 0 error
  },
} as const satisfies Record<string, NativeSignature>;

/**
 * Every callback the library raises, each with `void *arg` first. Pointer
 * arguments are valid only until the callback returns.
 */
export const CALLBACK_SIGNATURES = {
  connection_cb: {
    parameters: [
      "pointer", // void *arg
      "u8", // unsigned char local_clientid
      "i32", // int accesspoint_unitid
      "i32", // int ack (0 connected, < 0 this attempt failed)
    ],
    result: "void",
  },
  recvdata_cb: {
    parameters: [
      "pointer", // void *arg
      "u8", // unsigned char local_clientid
      "pointer", // SMARTBUS_PACKET_HEAD *head
      "pointer", // void *data
      "i32", // int size
    ],
    result: "void",
  },
  disconnect_cb: {
    parameters: [
      "pointer", // void *arg
      "u8", // unsigned char local_clientid
    ],
    result: "void",
  },
  invokeflow_ack_cb: {
    parameters: [
      "pointer", // void *arg
      "u8", // unsigned char local_clientid
      "pointer", // SMARTBUS_PACKET_HEAD *head (may be NULL)
      "pointer", // const char *projectid
      "i32", // int invoke_id
      "i32", // int ack (1 started)
      "pointer", // const char *msg
    ],
    result: "void",
  },
  invokeflow_ret_cb: {
    parameters: [
      "pointer", // void *arg
      "u8", // unsigned char local_clientid
      "pointer", // SMARTBUS_PACKET_HEAD *head (NULL on timeout or failure)
      "pointer", // const char *projectid
      "i32", // int invoke_id
      "i32", // int ret (1 result, -25 timeout, else error code)
      "pointer", // const char *param (JSON array)
    ],
    result: "void",
  },
  global_connect_cb: {
    parameters: [
      "pointer", // void *arg
      "i8", // char unitid
      "i8", // char clientid (-1: a bus node)
      "i8", // char clienttype
      "i8", // char accesspoint_unitid
      "i8", // char status (0 left, 1 new, 2 already there)
      "pointer", // const char *add_info
    ],
    result: "void",
  },
  trace_cb: {
    parameters: [
      "pointer", // const char *msg
    ],
    result: "void",
  },
} as const satisfies Record<string, NativeSignature>;

/**
 * The JS value of one parameter or result of type `T`, where `P` is how the
 * runtime represents a pointer (Deno: `Deno.PointerValue`, Bun: a number,
 * koffi: an opaque value). C strings and data we pass are NUL-terminated
 * `Uint8Array`s, or `null` for NULL.
 */
export type NativeValue<T extends NativeType, P> = T extends "buffer"
  ? Uint8Array | null
  : T extends "pointer" | "function" ? P
  : T extends "void" ? void
  : number;

/**
 * The JS parameter list of a signature's parameter types.
 */
export type NativeArgs<A extends readonly NativeType[], P> = {
  -readonly [I in keyof A]: NativeValue<A[I], P>;
};

/**
 * The JS function a signature binds to.
 */
export type NativeFunction<S extends NativeSignature, P> = (
  ...args: NativeArgs<S["parameters"], P>
) => NativeValue<S["result"], P>;

/**
 * The library's functions as a runtime binds them, derived from
 * {@link LIBRARY_SYMBOLS}: a runtime's bound library must be assignable to it.
 */
export type LibraryFunctions<P> = {
  [K in keyof typeof LIBRARY_SYMBOLS]: NativeFunction<
    typeof LIBRARY_SYMBOLS[K],
    P
  >;
};

/**
 * The JS function behind one of the library's callbacks, derived from
 * {@link CALLBACK_SIGNATURES}.
 */
export type CallbackFunction<
  K extends keyof typeof CALLBACK_SIGNATURES,
  P,
> = NativeFunction<typeof CALLBACK_SIGNATURES[K], P>;

/** The name `SetCallBackFnEx` knows the flow-acknowledge callback by, NUL-terminated. */
export const INVOKEFLOW_ACK_CB_NAME: Uint8Array = new TextEncoder().encode(
  `${ACK_CB_NAME}\0`,
);

/** `sizeof(SMARTBUS_PACKET_HEAD)` for a `long` of `longSize` bytes (one definition, in the API). */
export { packetHeadSize };

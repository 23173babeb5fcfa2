/**
 * Decoding a library callback's arguments and forwarding them to the
 * {@link BackendCallbacks}, written once for every runtime. A runtime only
 * says how to copy bytes out of one of its pointers ({@link CopyOut}); the
 * functions returned by {@link forwarders} have the exact parameter lists of
 * {@link CALLBACK_SIGNATURES}, so Deno and koffi register them as they are
 * and Bun's trampoline calls them with the fields it already copied.
 * @module
 */
import type { BackendCallbacks } from "../abi/backend.ts";
import type { CallbackFunction } from "../abi/symbols.ts";

/**
 * How a runtime copies memory out of a pointer `P` before the callback
 * returns (the library frees it right after). Both return fresh arrays that
 * own their bytes; `null` stands for NULL.
 */
export interface CopyOut<P> {
  /** Whether `p` is NULL. */
  isNull(p: P): boolean;
  /** `len` bytes at `p` (empty for NULL or `len <= 0`). */
  bytes(p: P, len: number): Uint8Array;
  /** The C string at `p` without its NUL (empty for NULL). */
  cString(p: P): Uint8Array;
}

/** One JS function per library callback, typed from the symbol table. */
export interface Forwarders<P> {
  /** `connection_cb`. */
  connection: CallbackFunction<"connection_cb", P>;
  /** `recvdata_cb`. */
  recvData: CallbackFunction<"recvdata_cb", P>;
  /** `disconnect_cb`. */
  disconnect: CallbackFunction<"disconnect_cb", P>;
  /** `smartbus_invokeflow_ack_cb`. */
  invokeFlowAck: CallbackFunction<"invokeflow_ack_cb", P>;
  /** `invokeflow_ret_cb`. */
  invokeFlowRet: CallbackFunction<"invokeflow_ret_cb", P>;
  /** `global_connect_cb`. */
  globalConnect: CallbackFunction<"global_connect_cb", P>;
  /** `SetTraceStr`'s info callback. */
  traceInfo: CallbackFunction<"trace_cb", P>;
  /** `SetTraceStr`'s error callback. */
  traceError: CallbackFunction<"trace_cb", P>;
}

/**
 * The callback functions for one backend: each copies its arguments with
 * `mem` and calls `target()`'s method, or drops the event when `target()`
 * is `undefined` (a closed backend). A NULL packet head stays `null`, except
 * for received data, which always comes with a head (`headSize` zero bytes
 * when the library passed none).
 */
export function forwarders<P>(
  target: () => BackendCallbacks | undefined,
  headSize: number,
  mem: CopyOut<P>,
): Forwarders<P> {
  const head = (p: P): Uint8Array | null =>
    mem.isNull(p) ? null : mem.bytes(p, headSize);
  return {
    connection(_arg, id, unit, ack) {
      target()?.connection(id, unit, ack);
    },
    recvData(_arg, id, h, data, size) {
      const t = target();
      if (t) {
        t.recvData(
          id,
          mem.isNull(h) ? new Uint8Array(headSize) : mem.bytes(h, headSize),
          mem.bytes(data, size),
        );
      }
    },
    disconnect(_arg, id) {
      target()?.disconnect(id);
    },
    invokeFlowAck(_arg, id, h, project, invokeId, ack, msg) {
      const t = target();
      if (t) {
        t.invokeFlowAck(
          id,
          head(h),
          mem.cString(project),
          invokeId,
          ack,
          mem.cString(msg),
        );
      }
    },
    invokeFlowRet(_arg, id, h, project, invokeId, ret, param) {
      const t = target();
      if (t) {
        t.invokeFlowRet(
          id,
          head(h),
          mem.cString(project),
          invokeId,
          ret,
          mem.cString(param),
        );
      }
    },
    globalConnect(_arg, unit, client, type, access, status, info) {
      const t = target();
      if (t) {
        t.globalConnect(unit, client, type, access, status, mem.cString(info));
      }
    },
    traceInfo(msg) {
      const t = target();
      if (t) t.traceInfo(mem.cString(msg));
    },
    traceError(msg) {
      const t = target();
      if (t) t.traceError(mem.cString(msg));
    },
  };
}

/**
 * The JS half of the native event queue (`event_queue.c`), the same for
 * every runtime: the queue's exported functions and record layout, and
 * {@link createQueueDrain}, which empties the queue in batches (one FFI call
 * per batch) and raises each record as the {@link BackendCallbacks} call it
 * stands for.
 *
 * Buffer ownership: the drain buffer belongs to the drain and is overwritten
 * by the next batch, so every field handed to a callback is a `slice` (a copy
 * owning exactly its bytes), as the backend contract requires; the queue's
 * ring belongs to the native side and is never seen by JS.
 *
 * @example
 * ```ts
 * import { createQueueDrain } from "./drain.ts";
 * const drain = createQueueDrain((buf) => 0, 28, () => undefined);
 * drain(); // nothing queued: returns at once
 * ```
 * @module
 */
import type { BackendCallbacks } from "../../abi/backend.ts";

/** Record kinds (`EQ_KIND_*` of `event_queue.h`). */
export const QueueKind = {
  connection: 0,
  recvData: 1,
  disconnect: 2,
  invokeFlowAck: 3,
  invokeFlowRet: 4,
  globalConnect: 5,
  traceInfo: 6,
  traceError: 7,
} as const;

/** Wake modes of `eq_set_wake` (`EQ_WAKE_*`). */
export const QueueWake = {
  /** Call the wake on the library's thread: for Bun, whose thread-safe `JSCallback` returns at once. */
  direct: 0,
  /** Call it from the queue's own thread: for Deno and koffi, whose callbacks block their caller until JS ran. */
  thread: 1,
  /** Write a byte to the Unix socket JS reads on its event loop (`eq_wake_listen`/`eq_wake_accept`). */
  socket: 2,
} as const;

/** `EQ_HEADER_SIZE`: bytes before a record's fields. */
export const QUEUE_HEADER_SIZE = 40;

/**
 * The queue's exports in the neutral vocabulary of `src/abi/symbols.ts`
 * (`buffer`: JS-owned bytes for the call only).
 *
 * @example
 * ```ts
 * import { QUEUE_SYMBOLS } from "./drain.ts";
 * console.log(QUEUE_SYMBOLS.eq_drain.result); // i32
 * ```
 */
export const QUEUE_SYMBOLS = {
  eq_fn: { parameters: ["i32"], result: "pointer" },
  eq_configure: { parameters: ["i32", "i32", "i32"], result: "i32" },
  eq_set_block: { parameters: ["i32"], result: "void" },
  eq_set_wake: { parameters: ["function", "i32"], result: "void" },
  eq_drain: { parameters: ["buffer", "i32"], result: "i32" },
  eq_stats: { parameters: ["buffer"], result: "void" },
  eq_wake_listen: { parameters: ["buffer"], result: "i32" },
  eq_wake_accept: { parameters: [], result: "i32" },
} as const;

/** Counters of `eq_stats`. */
export interface QueueStats {
  /** Records queued since the process started. */
  pushed: number;
  /** Records lost: the ring was full (past the blocking time) or a record was larger than it. */
  dropped: number;
  /** Records drained. */
  drained: number;
  /** Times JS was woken. */
  wakes: number;
  /** Bytes queued now. */
  used: number;
  /** Most bytes ever queued. */
  highWater: number;
  /** Ring size in bytes. */
  capacity: number;
  /** Records queued now. */
  queued: number;
}

/**
 * Read `eq_stats` through a runtime's binding of it.
 *
 * @example
 * ```ts
 * import { queueStats } from "./drain.ts";
 * const s = queueStats(() => {});
 * console.log(s.dropped); // 0
 * ```
 */
export function queueStats(stats: (out: Uint8Array) => void): QueueStats {
  const f = new Float64Array(8);
  stats(new Uint8Array(f.buffer));
  return {
    pushed: f[0],
    dropped: f[1],
    drained: f[2],
    wakes: f[3],
    used: f[4],
    highWater: f[5],
    capacity: f[6],
    queued: f[7],
  };
}

const FIRST_BUFFER = 256 << 10;
const EMPTY = new Uint8Array(0);

/**
 * A function that drains the queue until it is empty (which re-arms its
 * wake), raising each record on `route()`'s callbacks (dropped when it
 * returns `undefined`). `drain(buf)` is the runtime's `eq_drain(buf,
 * buf.byteLength)`. A callback that throws does not stop the drain; the
 * first error is rethrown once the queue is empty.
 *
 * @example
 * ```ts
 * import { createQueueDrain } from "./drain.ts";
 * declare const eqDrain: (buf: Uint8Array) => number;
 * const run = createQueueDrain(eqDrain, 28, () => undefined);
 * run();
 * ```
 */
export function createQueueDrain(
  drain: (buf: Uint8Array) => number,
  headSize: number,
  route: () => BackendCallbacks | undefined,
): () => void {
  let bytes = new Uint8Array(FIRST_BUFFER);
  let ints = new Int32Array(bytes.buffer);
  return (): void => {
    let failed = false;
    let failure: unknown;
    for (;;) {
      const n = drain(bytes);
      if (n === 0) break;
      if (n < 0) {
        let size = bytes.length;
        while (size < -n) size *= 2;
        bytes = new Uint8Array(size);
        ints = new Int32Array(bytes.buffer);
        continue;
      }
      const cbs = route();
      for (let at = 0; at < n; at += ints[at >> 2]) {
        if (!cbs) continue;
        try {
          raise(cbs, bytes, ints, at, headSize);
        } catch (e) {
          if (!failed) [failed, failure] = [true, e];
        }
      }
    }
    if (failed) throw failure;
  };
}

/** Raise the callback of the record at byte `at`. */
function raise(
  cbs: BackendCallbacks,
  bytes: Uint8Array,
  ints: Int32Array,
  at: number,
  headSize: number,
): void {
  const i = at >> 2;
  const v = i + 2;
  const l0 = ints[i + 7], l1 = ints[i + 8], l2 = ints[i + 9];
  const f0 = at + QUEUE_HEADER_SIZE;
  const f1 = f0 + (l0 > 0 ? l0 : 0);
  const f2 = f1 + (l1 > 0 ? l1 : 0);
  // slice: each array owns exactly its bytes (the buffer is reused).
  const field = (from: number, len: number): Uint8Array | null =>
    len < 0
      ? null
      : len === 0
      ? new Uint8Array(0)
      : bytes.slice(from, from + len);
  const text = (from: number, len: number): Uint8Array =>
    len <= 0 ? EMPTY.slice() : bytes.slice(from, from + len);
  switch (ints[i + 1]) {
    case QueueKind.connection:
      return cbs.connection(ints[v], ints[v + 1], ints[v + 2]);
    case QueueKind.recvData:
      return cbs.recvData(
        ints[v],
        field(f0, l0) ?? new Uint8Array(headSize),
        text(f1, l1),
      );
    case QueueKind.disconnect:
      return cbs.disconnect(ints[v]);
    case QueueKind.invokeFlowAck:
      return cbs.invokeFlowAck(
        ints[v],
        field(f0, l0),
        text(f1, l1),
        ints[v + 1],
        ints[v + 2],
        text(f2, l2),
      );
    case QueueKind.invokeFlowRet:
      return cbs.invokeFlowRet(
        ints[v],
        field(f0, l0),
        text(f1, l1),
        ints[v + 1],
        ints[v + 2],
        text(f2, l2),
      );
    case QueueKind.globalConnect:
      return cbs.globalConnect(
        ints[v],
        ints[v + 1],
        ints[v + 2],
        ints[v + 3],
        ints[v + 4],
        text(f0, l0),
      );
    case QueueKind.traceInfo:
      return cbs.traceInfo(text(f0, l0));
    case QueueKind.traceError:
      return cbs.traceError(text(f0, l0));
  }
}

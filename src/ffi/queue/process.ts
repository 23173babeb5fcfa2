/**
 * The process's one native event queue, as the backends use it: opened
 * once (with the runtime's FFI, through a {@link QueueBinder}), never closed,
 * its wake callback created once and never freed (the queue's thread may
 * call it at any time). Events go to the one backend attached at the time
 * (the library's callbacks are process-wide, and so is this route).
 *
 * When the queue cannot be opened (another platform, no writable place, a
 * loader that refuses the file), {@link processEventQueue} returns
 * `undefined` and the backend keeps its per-callback path; one warning per
 * process says why (none when `SMARTBUS_EVENT_QUEUE=off` asked for it).
 * @module
 */
import type { BackendCallbacks } from "../../abi/backend.ts";
import type { NativeFunction } from "../../abi/symbols.ts";
import {
  createQueueDrain,
  type QUEUE_SYMBOLS,
  type QueueStats,
  queueStats,
  QueueWake,
} from "./drain.ts";
import { eventQueueFile } from "./load.ts";

/** The queue's functions as a runtime binds them (`P`: its pointer type). */
export type QueueFunctions<P> = {
  [K in keyof typeof QUEUE_SYMBOLS]: NativeFunction<
    typeof QUEUE_SYMBOLS[K],
    P
  >;
};

/** Where the backends' warnings go (a `Logger` has this). */
export interface WarnSink {
  /** One line for the user. */
  warn(message: string): void;
}

/** What a runtime provides to open the queue. */
export interface QueueBinder<P> {
  /** `dlopen` the queue at `path` with {@link QUEUE_SYMBOLS}; throws when it cannot. */
  open(path: string): QueueFunctions<P>;
  /** A thread-safe `void (*)(void)` calling `fn`, never freed. */
  wake(fn: () => void): P;
  /** `QueueWake.thread` (the runtime's callbacks block their caller) or `.direct`. */
  mode: number;
  /**
   * Where the socket wake may listen (a folder), for runtimes that read a
   * Unix socket on their own event loop; undefined: no socket wake.
   */
  socketDir?(): string | undefined;
  /**
   * Connect to the Unix socket at `path`, never holding the process open
   * by itself; `onData` on every read, `onEnd` once it ends. Rejects when
   * it cannot connect.
   */
  connectWake?(
    path: string,
    onData: () => void,
    onEnd: () => void,
  ): Promise<void>;
}

/** The opened queue. */
export interface EventQueue<P> {
  /** The library callback of kind `kind` (`QueueKind`), to install. */
  fn(kind: number): P;
  /** Send events to `route()` (`undefined`: drop) from now on; drops are reported to `log`. */
  attach(route: () => BackendCallbacks | undefined, log: WarnSink): void;
  /** When `route` is the one attached: point at nothing and discard what is queued. */
  detach(route: () => BackendCallbacks | undefined): void;
  /** `eq_set_block`: how long a library callback may wait for room (ms). */
  setBlock(ms: number): void;
  /** `eq_stats`. */
  stats(): QueueStats;
  /** How JS is woken now: "socket" once the socket wake is set up, else "callback". */
  wakeMode(): "socket" | "callback";
  /** Settles once the socket wake is set up or given up (true: in use). */
  socketReady: Promise<boolean>;
  /**
   * Stop calling the runtime's wake (records still queue, nothing is lost)
   * until the returned function is called, which wakes at once for what
   * arrived meanwhile.
   */
  pauseWakes(): () => void;
}

/** A packet head's size when the queue is configured (`packetHeadSize`). */
const RING_BYTES = 4 << 20;
/** How long the library's thread may wait for room while a unit is open. */
export const QUEUE_BLOCK_MS = 1000;

let opened: EventQueue<unknown> | null | undefined;

/**
 * The process's queue, opened on first call with `binder` (later calls
 * return the same one, or `undefined` again). `log` gets the one warning
 * when it cannot be opened.
 *
 * @example
 * ```ts
 * import { processEventQueue } from "./process.ts";
 * declare const binder: import("./process.ts").QueueBinder<unknown>;
 * const q = processEventQueue(binder, console, 28);
 * console.log(q ? "queued events" : "per-callback events");
 * ```
 */
export function processEventQueue<P>(
  binder: QueueBinder<P>,
  log: WarnSink,
  headSize: number,
): EventQueue<P> | undefined {
  if (opened === undefined) {
    const file = eventQueueFile();
    let reason: string | undefined;
    if (!file.ok) {
      reason = /SMARTBUS_EVENT_QUEUE$/.test(file.reason)
        ? undefined
        : file.reason;
      opened = null;
    } else {
      try {
        opened = openQueue(binder, binder.open(file.path), headSize);
      } catch (e) {
        opened = null;
        reason = `${file.path} cannot be loaded: ${(e as Error)?.message ?? e}`;
      }
    }
    if (reason !== undefined) {
      log.warn(
        `smartbus: the native event queue is not used (${reason}); ` +
          "library callbacks take the slower per-callback path",
      );
    }
  }
  return (opened ?? undefined) as EventQueue<P> | undefined;
}

/**
 * The process's queue if a backend has opened it, else `undefined` (for
 * tests and diagnostics: how it wakes JS, its counters).
 *
 * @example
 * ```ts
 * import { openedEventQueue } from "./process.ts";
 * console.log(openedEventQueue()?.wakeMode() ?? "not opened");
 * ```
 */
export function openedEventQueue(): EventQueue<unknown> | undefined {
  return opened ?? undefined;
}

function openQueue<P>(
  binder: QueueBinder<P>,
  q: QueueFunctions<P>,
  headSize: number,
): EventQueue<P> {
  const rc = q.eq_configure(RING_BYTES, headSize, QUEUE_BLOCK_MS);
  if (rc !== 0) throw new Error(`eq_configure returned ${rc}`);
  let route: () => BackendCallbacks | undefined = () => undefined;
  let log: WarnSink | undefined;
  const stats = (): QueueStats => queueStats((out) => q.eq_stats(out));
  // Read after every drain: one buffer for the process, no objects per wake.
  const counters = new Float64Array(8);
  const countersBytes = new Uint8Array(counters.buffer);
  const droppedSoFar = (): number => {
    q.eq_stats(countersBytes);
    return counters[1];
  };
  let dropped = droppedSoFar();
  const run = createQueueDrain(
    (buf) => q.eq_drain(buf, buf.byteLength),
    headSize,
    () => route(),
  );
  const drain = (): void => {
    try {
      run();
    } finally {
      const now = droppedSoFar();
      if (now > dropped) {
        log?.warn(
          `smartbus: the native event queue dropped ${now - dropped} ` +
            `event(s): its ring stayed full for ${QUEUE_BLOCK_MS} ms ` +
            "(the JS thread was busy)",
        );
        dropped = now;
      }
    }
  };
  const wake = binder.wake(drain);
  let mode: number = binder.mode;
  q.eq_set_wake(wake, mode);
  const socketReady = socketWake(binder, q, drain, () => {
    // The socket is gone (closed under us): back to the callback wake.
    mode = binder.mode;
    q.eq_set_wake(wake, mode);
  }).then((ok) => {
    if (ok) {
      mode = QueueWake.socket;
      q.eq_set_wake(wake, mode);
    }
    return ok;
  });
  return {
    fn: (kind) => q.eq_fn(kind),
    attach(r, l): void {
      route = r;
      log = l;
      // The queue's state is the process's: whoever else set a wake or a
      // configuration (a test binding it directly) is overruled here.
      q.eq_configure(RING_BYTES, headSize, QUEUE_BLOCK_MS);
      q.eq_set_wake(wake, mode);
    },
    detach(r): void {
      if (route !== r) return;
      route = () => undefined;
      log = undefined;
      drain();
    },
    setBlock: (ms) => q.eq_set_block(ms),
    stats,
    pauseWakes() {
      q.eq_set_wake(null as P, mode);
      return () => q.eq_set_wake(wake, mode);
    },
    wakeMode: () => mode === QueueWake.socket ? "socket" : "callback",
    socketReady,
  };
}

/**
 * Set up the socket wake (`eq_wake_listen`, the runtime connects,
 * `eq_wake_accept`): resolves true once JS is read-woken through it. Why:
 * the callback wake costs three thread switches per batch (library thread,
 * queue thread, JS thread, and back to release the queue thread), each one
 * expensive on virtual machines; a byte on a socket that the JS thread's own
 * event loop polls costs one, and never calls into the runtime from a
 * foreign thread. Any failure keeps the callback wake, silently: it works,
 * only slower.
 */
async function socketWake<P>(
  binder: QueueBinder<P>,
  q: QueueFunctions<P>,
  onData: () => void,
  onEnd: () => void,
): Promise<boolean> {
  const dir = binder.socketDir?.();
  if (dir === undefined || binder.connectWake === undefined) return false;
  const tag = Array.from(
    crypto.getRandomValues(new Uint8Array(8)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  const path = `${dir.replace(/\/+$/, "")}/smartbus-eq-${tag}.sock`;
  if (q.eq_wake_listen(new TextEncoder().encode(path + "\0")) !== 0) {
    return false;
  }
  try {
    await binder.connectWake(path, onData, onEnd);
  } catch {
    q.eq_wake_accept(); // closes the listening socket and removes its file
    return false;
  }
  return q.eq_wake_accept() === 0;
}

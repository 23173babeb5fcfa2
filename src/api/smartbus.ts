/**
 * {@link SmartBus}: one loaded library serving one unit id. It owns the
 * backend, receives every library callback and routes it to the client with
 * that local client id, and reports global connect events. Several instances
 * can share one mock bus (several units in one process); a native library
 * holds process-wide state, so a native backend serves one instance at a time.
 *
 * @example
 * ```ts
 * import { Client, SmartBus } from "@smartbus/netclient";
 * import { MockBus, MockBackend } from "@smartbus/netclient/mock";
 * const mock = new MockBus();
 * mock.addNode({ unitId: 0, port: 8000 });
 * await using bus = new SmartBus({ unitId: 17, backend: new MockBackend(mock) });
 * const client = new Client({ bus, localClientId: 1, masterHost: "127.0.0.1", masterPort: 8000 });
 * console.log(await client.connect()); // 0: the node reached
 * ```
 * @module
 */
import type {
  Backend,
  BackendCallbacks,
  BackendChoice,
  BackendResolver,
} from "../abi/backend.ts";
import { Emitter } from "./emitter.ts";
import type {
  ClientSink,
  GlobalConnectHandler,
  GlobalConnectInfo,
  SmartBusEvents,
  SmartBusOptions,
} from "./smartbus_types.ts";
export type {
  ClientSink,
  GlobalConnectHandler,
  GlobalConnectInfo,
  SmartBusEvents,
  SmartBusOptions,
} from "./smartbus_types.ts";
export type { BackendChoice };
import { LinkBook, type LinkInfo } from "./links.ts";
import {
  InvalidArgumentError,
  LibraryError,
  NotInitializedError,
  SmartBusError,
} from "../abi/errors.ts";
import {
  assertLogger,
  assertLoggingOption,
  defaultLogger,
  logAt,
  type Logger,
  type LoggingOption,
  runGuarded,
} from "./log.ts";
import { decodeGbkOrUtf8 } from "./text.ts";
import { ClientCounters, type SmartBusStats } from "./client_stats.ts";
import { realTimers, type Timers } from "../core/timers.ts";
import { assertUnitId, showValue } from "./validate.ts";

const keyOf = (u: number, c: number, t: number): string => `${u}:${c}:${t}`;

function resolve(
  options: SmartBusOptions,
  resolveBackend: BackendResolver | undefined,
): Backend {
  const choice = options.backend;
  if (choice !== undefined && typeof choice === "object") return choice;
  if (!resolveBackend) {
    throw new SmartBusError(
      `backend ${
        choice === undefined ? "(this runtime's)" : `"${choice}"`
      }: this SmartBus has no native backends; use SmartBus from ` +
        "@smartbus/netclient, or pass a backend instance",
    );
  }
  return resolveBackend(choice, {
    libraryPath: options.libraryPath,
    logger: options.logger ?? defaultLogger,
  });
}

/**
 * One unit id's library instance. `close()` (also `finalize()`, `using`)
 * closes every client and releases the library.
 *
 * This class knows no native backend: it takes a backend instance, or a
 * name resolved by the {@link BackendResolver} its creator hands it. The
 * package's entry point exports a `SmartBus` bound to the runtime's native
 * backends; use that one.
 *
 * @example
 * ```ts
 * import { SmartBusCore } from "@smartbus/netclient";
 * import { MockBackend, MockBus } from "@smartbus/netclient/mock";
 * const bus = new SmartBusCore({ unitId: 17, backend: new MockBackend(new MockBus()) });
 * bus.close();
 * ```
 */
export class SmartBus {
  /** This instance's unit id. */
  readonly unitId: number;
  /** The backend it drives. */
  readonly backend: Backend;
  /** Where failures and trace lines are reported. */
  readonly logger: Logger;
  /** The timers its awaited calls use. */
  readonly timers: Timers;
  /** The original Python package's global connect callback; assign or override to handle. */
  onGlobalConnect: GlobalConnectHandler | undefined;
  #events: Emitter<SmartBusEvents>;
  #clients = new Map<number, ClientSink>();
  #present = new Map<string, GlobalConnectInfo>();
  #linked = new Set<number>();
  #links = new LinkBook();
  /** The figures of the clients closed so far. */
  #retired = new ClientCounters();
  #droppedAtClose: number | undefined;
  #closed = false;
  #logging: LoggingOption;

  /**
   * Load (for native backends: through `resolveBackend`) and initialise the
   * library for `options.unitId`.
   */
  constructor(options: SmartBusOptions, resolveBackend?: BackendResolver) {
    // Every option is checked before a native library is loaded or touched.
    this.unitId = assertUnitId(options?.unitId);
    this.#logging = options.logging === undefined
      ? [true, 10, 40]
      : assertLoggingOption(options.logging);
    const logger = options.logger === undefined
      ? undefined
      : assertLogger(options.logger);
    if (
      options.onGlobalConnect !== undefined &&
      typeof options.onGlobalConnect !== "function"
    ) {
      throw new InvalidArgumentError(
        "onGlobalConnect",
        `must be a function, got ${showValue(options.onGlobalConnect)}`,
      );
    }
    const backend = resolve(options, resolveBackend);
    // A mock backend offers a logger that keeps lines for the test to read.
    this.logger = logger ?? backend.logger ?? defaultLogger;
    this.onGlobalConnect = options.onGlobalConnect;
    this.#events = new Emitter(
      this.logger,
      Object.keys(
        { globalConnect: true, trace: true } satisfies Record<
          keyof SmartBusEvents,
          true
        >,
      ) as (keyof SmartBusEvents)[],
    );
    this.backend = backend;
    this.timers = options.timers ?? backend.clock ?? realTimers;
    backend.setCallbacks(this.#callbacks());
    const rc = backend.init(this.unitId);
    if (rc < 0) {
      backend.close();
      this.#closed = true;
      throw new LibraryError("SmartBusNetCli_Init", rc);
    }
  }

  /** Whether `close()` has run. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Add a typed listener; returns its remover. */
  on<K extends keyof SmartBusEvents>(
    event: K,
    listener: (...args: SmartBusEvents[K]) => unknown,
  ): () => void {
    return this.#events.on(event, listener);
  }

  /**
   * Who is on the bus as far as the global connect events told us (status
   * 1 and 2 add, 0 removes), bus nodes included. The library reports these
   * events per unit, not per client: while the link between two nodes is
   * cut, a unit with clients on both sides can keep a client that left on
   * one side (nobody on the other side can tell it); it is forgotten once
   * the unit has no connection left.
   */
  presence(): GlobalConnectInfo[] {
    return [...this.#present.values()];
  }

  /** Throws `NotInitializedError` once closed. @internal */
  _assertOpen(what: string): void {
    if (this.#closed) {
      throw new NotInitializedError(`${what}: SmartBus unit ${this.unitId}`);
    }
  }

  /** @internal */
  _register(client: ClientSink): boolean {
    this._assertOpen("creating a client");
    if (this.#clients.has(client.localClientId)) return false;
    this.#clients.set(client.localClientId, client);
    return true;
  }

  /** @internal */
  _unregister(client: ClientSink): void {
    if (this.#clients.get(client.localClientId) === client) {
      this.#clients.delete(client.localClientId);
      this.#links.left(client.localClientId);
      this.#retired.absorb(client.counters);
    }
  }

  /**
   * The library's links, which a closed client leaves behind.
   *
   * @internal
   */
  get _links(): LinkBook {
    return this.#links;
  }

  /**
   * Every link the library holds for this unit, in use or left behind by a
   * closed client. The C library has no per-client disconnect: a link lasts
   * until the unit is released (`close()`/`finalize()`), still logged in and
   * counted by the node (at most 16 clients per node). A new `Client` with a
   * left-over link's id and the same settings takes it over.
   *
   * @example
   * ```ts
   * import type { SmartBus } from "@smartbus/netclient";
   * const leftOver = (bus: SmartBus) => bus.links().filter((l) => !l.inUse);
   * ```
   */
  links(): LinkInfo[] {
    return this.#links.list();
  }
  /** The clients currently registered, by local client id. */
  clientIds(): number[] {
    return [...this.#clients.keys()];
  }

  /**
   * The figures of every client of this unit added up (those closed since
   * included), and the native event queue's drops: a fresh plain object,
   * cheap enough to read every second. Field by field: `docs/stats.md`.
   * Still readable after `close()`.
   *
   * @example
   * ```ts
   * import { SmartBus } from "@smartbus/netclient";
   * import { MockBackend, MockBus } from "@smartbus/netclient/mock";
   * await using bus = new SmartBus({ unitId: 17, backend: new MockBackend(new MockBus()) });
   * const { flows, latency } = bus.stats();
   * console.log(flows.started, flows.timedOut, latency.flowResult.recent.p99);
   * ```
   */
  stats(): SmartBusStats {
    const live = [...this.#clients.values()];
    let flows = 0;
    let pings = 0;
    for (const c of live) {
      flows += c.flowsInFlight;
      pings += c.pingsInFlight;
    }
    const dropped = this.#closed
      ? this.#droppedAtClose
      : this.backend.droppedEvents?.();
    return {
      unitId: this.unitId,
      clients: live.length,
      ...this.#retired.totals(
        this.timers.now(),
        { flows, pings },
        live.map((c) => c.counters),
      ),
      eventQueue: dropped === undefined ? null : { dropped },
    };
  }

  /**
   * Close every client (pending calls reject with `AbortedError`), release
   * the library and free the backend's callbacks. Idempotent.
   */
  close(): void {
    if (!this.#beginClose()) return;
    try {
      this.backend.release();
    } finally {
      this.#endClose();
    }
  }

  /**
   * Like `close()`, but releases the library without blocking the JS thread
   * where the backend can (`releaseAsync`): needed for a library whose
   * `Release` waits for its own thread while that thread is inside a
   * callback that JS has yet to run (Deno's thread-safe callbacks block it).
   * `await using` calls this.
   */
  async closeAsync(): Promise<void> {
    if (!this.#beginClose()) return;
    const b = this.backend;
    try {
      if (b.releaseAsync) await b.releaseAsync();
      else b.release();
    } finally {
      this.#endClose();
    }
  }

  #beginClose(): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    for (const c of [...this.#clients.values()]) c._close("SmartBus closed");
    this.#clients.clear();
    return true;
  }

  #endClose(): void {
    this.#droppedAtClose = this.backend.droppedEvents?.();
    this.backend.close();
    this.#events.clear();
    this.#present.clear();
    this.#links.clear();
  }

  /** Same as `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Same as `closeAsync()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.closeAsync();
  }

  #route(localClientId: number, what: string): ClientSink | undefined {
    const c = this.#clients.get(localClientId);
    if (!c) {
      this.logger.debug(`${what} for unknown client ${localClientId} dropped`);
    }
    return c;
  }

  #callbacks(): BackendCallbacks {
    // Each entry is guarded: nothing thrown here may unwind into the library's thread.
    const guard = (what: string, fn: () => void) =>
      runGuarded(this.logger, what, fn);
    return {
      connection: (id, unit, ack) =>
        guard("connection", () => {
          if (ack === 0) this.#linked.add(id);
          this.#links.connected(id, ack === 0 ? unit : null);
          this.#route(id, "connection")?._connection(unit, ack);
        }),
      disconnect: (id) =>
        guard("disconnect", () => {
          this.#linked.delete(id);
          this.#links.connected(id, null);
          // With no link left, nobody will tell us who leaves meanwhile:
          // what we knew is stale, and rejoining re-announces everyone (status 2).
          if (this.#linked.size === 0) this.#present.clear();
          this.#route(id, "disconnect")?._disconnect();
        }),
      recvData: (id, head, data) =>
        guard("recvData", () => this.#route(id, "data")?._recvData(head, data)),
      invokeFlowAck: (id, head, project, invokeId, ack, msg) =>
        guard(
          "invokeFlowAck",
          () =>
            this.#route(id, "flow ack")?._flowAck(
              head,
              project,
              invokeId,
              ack,
              msg,
            ),
        ),
      invokeFlowRet: (id, head, project, invokeId, ret, param) =>
        guard(
          "invokeFlowRet",
          () =>
            this.#route(id, "flow result")?._flowRet(
              head,
              project,
              invokeId,
              ret,
              param,
            ),
        ),
      globalConnect: (
        unitId,
        clientId,
        clientType,
        accessUnitId,
        status,
        addInfo,
      ) =>
        guard("globalConnect", () =>
          this.#globalConnect({
            unitId,
            clientId,
            clientType,
            accessUnitId,
            status,
            addInfo: decodeGbkOrUtf8(addInfo),
          })),
      traceInfo: (msg) => guard("trace", () => this.#trace(msg, false)),
      traceError: (msg) => guard("trace", () => this.#trace(msg, true)),
    };
  }

  #trace(msg: Uint8Array, error: boolean): void {
    const line = decodeGbkOrUtf8(msg);
    const [enabled, level, errorLevel] = this.#logging;
    if (enabled) {
      logAt(this.logger, error ? errorLevel : level, `[busnetcli] ${line}`);
    }
    this.#events.emit("trace", line, error);
  }

  #globalConnect(info: GlobalConnectInfo): void {
    const key = keyOf(info.unitId, info.clientId, info.clientType);
    if (info.status === 0) this.#present.delete(key);
    else this.#present.set(key, info);
    const h = this.onGlobalConnect;
    if (h) {
      runGuarded(this.logger, "onGlobalConnect", () =>
        h(
          info.unitId,
          info.clientId,
          info.clientType,
          info.accessUnitId,
          info.status,
          info.addInfo,
        ));
    }
    this.#events.emit("globalConnect", info);
  }
}

/**
 * One local client of the mock backend: its connect/reconnect loop over
 * master and slave, and the sink that turns bus deliveries into library
 * callbacks. Internal to {@link MockBackend}.
 *
 * @example
 * ```ts
 * import { MockBackend, MockBus } from "@smartbus/netclient/mock";
 * const bus = new MockBus();
 * bus.addNode({ unitId: 0, port: 8000 });
 * const backend = new MockBackend(bus); // one client per createConnect
 * ```
 * @module
 */
import { decodeText } from "../../api/text.ts";
import type { BackendCallbacks } from "../../abi/backend.ts";
import type {
  BusAddress,
  BusPort,
  FlowInvocation,
  NotifyMessage,
  PortSink,
} from "../bus/contract.ts";
import type { BackendContext } from "./context.ts";

/** How one client connects. */
export interface MockClientConfig {
  id: number;
  type: number;
  /** Master, then the slave when there is one. */
  targets: { host: string; port: number }[];
  user: Uint8Array | null;
  password: Uint8Array | null;
  addInfo: Uint8Array;
}

const text = (b: Uint8Array | null): string | null =>
  b === null ? null : decodeText(b, "utf-8");

/** One local client of a mock backend. */
export class MockClient {
  #ctx: BackendContext;
  #config: MockClientConfig;
  #port: BusPort | null = null;
  #timer: unknown = undefined;
  #disposed = false;
  /** Bumped per attempt: a sink of an older attempt is ignored. */
  #session = 0;

  /** A client that does nothing until {@link MockClient.connect}. */
  constructor(ctx: BackendContext, config: MockClientConfig) {
    this.#ctx = ctx;
    this.#config = config;
  }

  /** Whether it holds an established connection. */
  get connected(): boolean {
    return this.#port !== null;
  }

  /** One round: the master, then the slave; on failure the next round is timed. */
  connect(): void {
    this.#timer = undefined;
    if (this.#disposed || this.#port) return;
    const h = this.#ctx;
    const { id, type } = this.#config;
    for (const t of this.#config.targets) {
      const session = ++this.#session;
      const r = h.attach(t.host, t.port, {
        address: { unitId: h.unitId ?? 0, clientId: id, clientType: type },
        user: text(this.#config.user),
        password: text(this.#config.password),
        addInfo: this.#config.addInfo.slice(),
      }, this.#sink(session));
      if (r.ok) {
        this.#port = r.port;
        const unit = r.port.accessUnitId;
        h.trace(
          `client ${id}: connected to unit ${unit} (${t.host}:${t.port})`,
        );
        h.raise((cb) => cb.connection(id, unit, 0));
        return;
      }
      h.trace(
        `client ${id}: connect to ${t.host}:${t.port} failed (${r.code}): ${r.reason}`,
        true,
      );
      h.raise((cb) => cb.connection(id, -1, r.code));
      if (this.#disposed) return;
    }
    this.#retryLater();
  }

  /** Leave the bus and stop every timer; nothing is raised afterwards. */
  dispose(): void {
    this.#disposed = true;
    this.#session++;
    if (this.#timer !== undefined) this.#ctx.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#port?.detach();
    this.#port = null;
  }

  /** Data through the established connection. */
  send(
    cmd: number,
    cmdType: number,
    dst: BusAddress,
    data: Uint8Array,
  ): number {
    return this.#port!.send(cmd, cmdType, dst, data);
  }

  /** A ping through the established connection. */
  ping(dst: BusAddress, data: Uint8Array): number {
    return this.#port!.ping(dst, data);
  }

  /** A flow invocation through the established connection. */
  invokeFlow(
    serverUnitId: number,
    ipscIndex: number,
    inv: Omit<FlowInvocation, "from">,
  ): number {
    return this.#port!.invokeFlow(serverUnitId, ipscIndex, inv);
  }

  /** A notification through the established connection. */
  notify(
    serverUnitId: number,
    processIndex: number,
    msg: Omit<NotifyMessage, "from">,
  ): number {
    return this.#port!.notify(serverUnitId, processIndex, msg);
  }

  #retryLater(): void {
    if (this.#disposed || this.#timer !== undefined) return;
    this.#ctx.trace(
      `client ${this.#config.id}: next connect attempt in ${this.#ctx.reconnectMs} ms`,
    );
    this.#timer = this.#ctx.setTimer(
      () => this.connect(),
      this.#ctx.reconnectMs,
    );
  }

  #sink(session: number): PortSink {
    const h = this.#ctx;
    const id = this.#config.id;
    const live = (): boolean => session === this.#session && !this.#disposed;
    const raise = (fn: (cb: BackendCallbacks) => void): void => {
      if (live()) h.raise(fn);
    };
    return {
      data: (head, data) =>
        raise((cb) => cb.recvData(id, h.head(head), data.slice())),
      flowAck: (head, invokeId, projectId, ack, msg) => {
        if (live()) {
          h.flowAck(id, head, invokeId, projectId.slice(), ack, msg.slice());
        }
      },
      flowResult: (head, invokeId, projectId, ret, param) => {
        if (live()) {
          h.flowResult(
            id,
            head,
            invokeId,
            projectId.slice(),
            ret,
            param.slice(),
          );
        }
      },
      globalConnect: (e) =>
        raise((cb) =>
          cb.globalConnect(
            e.unitId,
            e.clientId,
            e.clientType,
            e.accessUnitId,
            e.status,
            e.addInfo.slice(),
          )
        ),
      closed: (reason) => {
        if (!live() || this.#port === null) return;
        this.#port = null;
        h.trace(`client ${id}: connection broke: ${reason}`, true);
        h.raise((cb) => cb.disconnect(id));
        this.#retryLater();
      },
    };
  }
}

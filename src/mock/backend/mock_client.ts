/**
 * One local client of the mock backend: its master and slave links, each
 * with its own connect/reconnect loop, and the sinks that turn bus
 * deliveries into library callbacks. Internal to {@link MockBackend}.
 *
 * As the vendor's library (and the stand-in): both links log in at once;
 * the connection callback reports the first registration only, and a
 * failure only while no link is registered (once until the next login);
 * the disconnect callback fires only when a registered link breaks while
 * the other is not registered, so a failover to a registered slave is
 * silent; a broken link dials again at once, a -10 or an unreachable node
 * every `reconnectMs`, and any other refusal ends that link's tries.
 *
 * @module
 */
import { decodeText } from "../../api/text.ts";
import { ErrorCode } from "../../abi/constants.ts";
import type { BackendCallbacks } from "../../abi/backend.ts";
import type {
  BusAddress,
  BusPort,
  FlowInvocation,
  NotifyMessage,
  PortSink,
} from "../bus/contract.ts";
import type { BackendContext } from "./backend_context.ts";

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

/** One link (master or slave) of a client. */
interface Link {
  readonly host: string;
  readonly port: number;
  /** Its registration, while it has one. */
  bus: BusPort | null;
  /** Its next connect attempt, while one is timed. */
  timer: unknown;
  /** Refused for good (credentials, too many clients): never dialled again. */
  done: boolean;
  /** Bumped per attempt: a sink of an older attempt is ignored. */
  session: number;
}

/** One local client of a mock backend. */
export class MockClient {
  #ctx: BackendContext;
  #config: MockClientConfig;
  #links: Link[];
  /** The registered link that carries what the client sends (-1: none). */
  #active = -1;
  #disposed = false;
  /** A connect failure was reported since the last login. */
  #failReported = false;
  /** The access unit of the last login (-1 before any). */
  #accessUnit = -1;

  /** A client that does nothing until {@link MockClient.connect}. */
  constructor(ctx: BackendContext, config: MockClientConfig) {
    this.#ctx = ctx;
    this.#config = config;
    this.#links = config.targets.map((t) => ({
      host: t.host,
      port: t.port,
      bus: null,
      timer: undefined,
      done: false,
      session: 0,
    }));
  }

  /** Whether it holds an established connection. */
  get connected(): boolean {
    return this.#active >= 0;
  }

  /** Dial every link that is neither registered nor done (at once, as the library). */
  connect(): void {
    for (let k = 0; k < this.#links.length; k++) this.#dial(k);
  }

  /** Leave the bus and stop every timer; nothing is raised afterwards. */
  dispose(): void {
    this.#disposed = true;
    this.#active = -1;
    for (const l of this.#links) {
      l.session++;
      if (l.timer !== undefined) this.#ctx.clock.clearTimeout(l.timer);
      l.timer = undefined;
      l.bus?.detach();
      l.bus = null;
    }
  }

  /** Data through the active link. */
  send(
    cmd: number,
    cmdType: number,
    dst: BusAddress,
    data: Uint8Array,
  ): number {
    return this.#port().send(cmd, cmdType, dst, data);
  }

  /** A ping through the active link. */
  ping(dst: BusAddress, data: Uint8Array): number {
    return this.#port().ping(dst, data);
  }

  /** A flow invocation through the active link. */
  invokeFlow(
    serverUnitId: number,
    ipscIndex: number,
    inv: Omit<FlowInvocation, "from">,
  ): number {
    return this.#port().invokeFlow(serverUnitId, ipscIndex, inv);
  }

  /** A notification through the active link. */
  notify(
    serverUnitId: number,
    processIndex: number,
    msg: Omit<NotifyMessage, "from">,
  ): number {
    return this.#port().notify(serverUnitId, processIndex, msg);
  }

  #port(): BusPort {
    return this.#links[this.#active].bus!;
  }

  #otherReady(k: number): boolean {
    return this.#links.some((l, i) => i !== k && l.bus !== null);
  }

  /** One connect attempt of link `k`. */
  #dial(k: number): void {
    const l = this.#links[k];
    l.timer = undefined;
    if (this.#disposed || l.bus || l.done) return;
    const h = this.#ctx;
    const { id, type } = this.#config;
    const session = ++l.session;
    const r = h.attach(l.host, l.port, {
      address: { unitId: h.unitId ?? 0, clientId: id, clientType: type },
      user: text(this.#config.user),
      password: text(this.#config.password),
      addInfo: this.#config.addInfo.slice(),
    }, this.#sink(k, session));
    if (r.ok) {
      l.bus = r.port;
      const unit = r.port.accessUnitId;
      this.#failReported = false;
      this.#accessUnit = unit;
      h.trace(`client ${id}: link ${k}# registered at unit ${unit}`);
      if (this.#active < 0) {
        this.#active = k;
        h.raise((cb) => cb.connection(id, unit, 0));
      }
      return;
    }
    h.trace(
      `client ${id}: link ${k}# to ${l.host}:${l.port} failed (${r.code}): ${r.reason}`,
      true,
    );
    if (!this.#failReported && !this.#otherReady(k)) {
      this.#failReported = true;
      h.raise((cb) => cb.connection(id, this.#accessUnit, r.code));
    }
    const retried = r.code === ErrorCode.CONNECTED ||
      r.code === ErrorCode.ESTABLI_CONNECT;
    if (retried) this.#retryLater(k, h.reconnectMs);
    else l.done = true;
  }

  #retryLater(k: number, ms: number): void {
    const l = this.#links[k];
    if (this.#disposed || l.timer !== undefined) return;
    if (ms > 0) {
      this.#ctx.trace(
        `client ${this.#config.id}: link ${k}# dials again in ${ms} ms`,
      );
    }
    l.timer = this.#ctx.setTimer(() => this.#dial(k), ms);
  }

  /** Link `k`'s registration broke: fail over, or report the break. */
  #broken(k: number, reason: string): void {
    const h = this.#ctx;
    const id = this.#config.id;
    this.#links[k].bus = null;
    h.trace(`client ${id}: link ${k}# broke: ${reason}`, true);
    if (this.#active === k) {
      this.#active = this.#links.findIndex((l) => l.bus !== null);
      if (this.#active < 0) h.raise((cb) => cb.disconnect(id));
      else h.trace(`client ${id}: goes on over link ${this.#active}#`);
    }
    this.#retryLater(k, 0);
  }

  #sink(k: number, session: number): PortSink {
    const h = this.#ctx;
    const id = this.#config.id;
    const live = (): boolean =>
      session === this.#links[k].session && !this.#disposed;
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
        if (live() && this.#links[k].bus !== null) this.#broken(k, reason);
      },
    };
  }
}

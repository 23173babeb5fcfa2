/**
 * A raw wire client for the TCP front's tests, speaking the vendor's
 * protocol (`docs/wire-protocol.md`) byte by byte like the vendor's library
 * (its `datalen % 4` tails included): writes frames, collects what the bus
 * sends, waits for frames with a bound. Runs on Deno, Bun and Node.
 */
import { connect, type Socket } from "node:net";
import {
  type DecodedFrame,
  encodeFrame,
  type Frame,
  FrameDecoder,
  FrameKind,
  zeroHead,
} from "../../src/mock/internal.ts";

const te = new TextEncoder();

/**
 * The REGISTER of unit 20, `clientId`, as the vendor's library builds it
 * (`add_info` "client N"; "" for a user or password that is null).
 */
export function registerFrame(
  clientId: number,
  user: string | null = null,
  password: string | null = null,
  clientType = 4,
): Frame {
  return {
    kind: FrameKind.REGISTER,
    head: { ...zeroHead(), src: { unitId: 20, clientId, clientType } },
    connectIndex: 0,
    clientId,
    clientType,
    unitId: 20,
    accessUnitId: -1,
    user: te.encode(user ?? ""),
    password: te.encode(password ?? ""),
    addInfo: te.encode(`client ${clientId}`),
  };
}

/** A raw wire client: writes frames, collects what the bus sends. */
export class RawClient {
  readonly socket: Socket;
  readonly frames: DecodedFrame[] = [];
  readonly closed: Promise<void>;
  #decoder = new FrameDecoder({ role: "client" });
  #waiters = new Set<() => void>();

  constructor(port: number) {
    this.socket = connect(port, "127.0.0.1");
    this.socket.on("data", (chunk: Uint8Array) => {
      this.frames.push(...this.#decoder.push(chunk));
      for (const w of this.#waiters) w();
    });
    this.socket.on("error", () => {});
    this.closed = new Promise((resolve) =>
      this.socket.on("close", () => resolve())
    );
  }

  static async open(port: number): Promise<RawClient> {
    const c = new RawClient(port);
    await new Promise<void>((resolve, reject) => {
      c.socket.once("connect", () => resolve());
      c.socket.once("error", reject);
    });
    return c;
  }

  /** The node that acknowledged the registration (its unit id). */
  accessUnitId = -1;

  /**
   * Registers as unit 20, `clientId`, type AGENT (4); resolves the ack's
   * result (0: registered; the access node is then {@link accessUnitId}).
   */
  async login(
    clientId: number,
    user: string | null = null,
    password: string | null = null,
  ): Promise<number> {
    this.register(clientId, user, password);
    const answer = await this.next((f) => f.kind === FrameKind.REGISTER_ACK);
    if (answer.kind !== FrameKind.REGISTER_ACK) return NaN;
    if (answer.result === 0) this.accessUnitId = answer.head.src.unitId;
    return answer.result;
  }

  /**
   * Sends the REGISTER of {@link login} without waiting for an answer (for
   * a node that answers none). `clientType` defaults to AGENT (4).
   */
  register(
    clientId: number,
    user: string | null = null,
    password: string | null = null,
    clientType = 4,
  ): void {
    this.send(registerFrame(clientId, user, password, clientType));
  }

  /** Writes `frame` as the vendor's library would, with its tail bytes. */
  send(frame: Frame): void {
    this.socket.write(encodeFrame(frame, undefined, { tail: true }));
  }

  /** Sends a CALL_FLOW (mode 0, a result wanted) to IPSC `serverUnit`/`ipscIndex` (default 0/0). */
  invokeFlow(call: {
    invokeId: number;
    project: string;
    flow: string;
    params: string;
    serverUnit?: number;
    ipscIndex?: number;
  }): void {
    this.send({
      kind: FrameKind.CALL_FLOW,
      head: {
        ...zeroHead(),
        dst: {
          unitId: call.serverUnit ?? 0,
          clientId: call.ipscIndex ?? 0,
          clientType: 2,
        },
      },
      invokeId: call.invokeId,
      eventCh: -1,
      mode: 0,
      project: te.encode(call.project),
      flow: te.encode(call.flow),
      params: te.encode(call.params),
    });
  }

  /** The first frame matching `pred` (removed from the list), waiting up to `ms`. */
  next(pred: (f: DecodedFrame) => boolean, ms = 3000): Promise<DecodedFrame> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const i = this.frames.findIndex(pred);
        if (i < 0) return;
        const [f] = this.frames.splice(i, 1);
        done();
        resolve(f);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no matching frame within ${ms} ms`));
      }, ms);
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }
}

export function bounded<T>(
  p: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${what}: not within ${ms} ms`)),
        ms,
      );
    }),
  ]);
}

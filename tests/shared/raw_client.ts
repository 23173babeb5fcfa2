/**
 * A raw wire client for the TCP front's tests: writes frames, collects what
 * the bus sends, waits for frames with a bound.
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

  /** Logs in as unit 20, `clientId`, type AGENT (4); resolves the answer's result. */
  async login(
    clientId: number,
    user: string | null = null,
    password: string | null = null,
  ): Promise<number> {
    this.send({
      kind: FrameKind.LOGIN,
      clientId,
      clientType: 4,
      unitId: 20,
      user: user === null ? null : te.encode(user),
      password: password === null ? null : te.encode(password),
      addInfo: te.encode(`client ${clientId}`),
    });
    const answer = await this.next((f) => f.kind === FrameKind.LOGIN_ANSWER);
    return answer.kind === FrameKind.LOGIN_ANSWER ? answer.result : NaN;
  }

  send(frame: Frame): void {
    this.socket.write(encodeFrame(frame));
  }

  /** Sends a FLOW_INVOKE (mode 0, a result wanted) to IPSC `serverUnit`/`ipscIndex` (default 0/0). */
  invokeFlow(call: {
    invokeId: number;
    project: string;
    flow: string;
    params: string;
    serverUnit?: number;
    ipscIndex?: number;
    timeoutMs?: number;
  }): void {
    this.send({
      kind: FrameKind.FLOW_INVOKE,
      head: zeroHead(),
      invokeId: call.invokeId,
      serverUnit: call.serverUnit ?? 0,
      ipscIndex: call.ipscIndex ?? 0,
      mode: 0,
      timeoutMs: call.timeoutMs ?? 1000,
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

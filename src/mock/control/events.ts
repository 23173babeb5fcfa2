/**
 * The live stream behind the inspector (`GET /api/v1/events`, server-sent
 * events). Whatever the bus's message rate, each subscriber gets one
 * `tick` event per interval (4 a second by default) with counts, a few
 * sampled messages, presence events and the flow calls that started or
 * changed (the newest 50), plus a `state` event when the state changed
 * and a `reset` event when the bus went back to its start.
 *
 * Every stream's unsent output is bounded. A subscriber more than 64 KiB
 * behind misses ticks (counted in its `missed`) and gets the latest state
 * once it catches up; one more than 1 MiB behind (beyond one copy of the
 * state), or behind for 40 ticks in a row (10 s), is dropped: its
 * connection is destroyed, its buffers freed, its slot given back, and
 * {@link EventHub.stats} counts it.
 * The state is encoded once and the same bytes go to every stream. At
 * most 16 streams are open at once; when all are taken, a new one takes
 * the slot of a subscriber that is behind, or is refused with 503.
 *
 * @module
 */
import type { ServerResponse } from "node:http";
import type { MockBus } from "../mock_bus.ts";
import type { FlowCallRecord } from "../bus/records.ts";
import { ControlHttpError } from "./http.ts";
import type { BusWatch } from "./presence.ts";

/** Interval of `tick` events, ms. */
export const DEFAULT_TICK_MS = 250;
/** Subscribers at most (more get 503, unless one of them is behind). */
export const MAX_SUBSCRIBERS = 16;
/** Unsent bytes past which a subscriber misses ticks. */
export const SLOW_BYTES = 64 * 1024;
/** Unsent bytes (beyond one copy of the state) past which a subscriber is dropped. */
export const MAX_BACKLOG_BYTES = 1024 * 1024;
/** Ticks in a row a subscriber may miss before it is dropped (10 s by default). */
export const MAX_MISSED_IN_A_ROW = 40;
/** Flow calls per tick at most (the newest). */
const FLOWS_PER_TICK = 50;
const TEXT_LIMIT = 200;

interface Subscriber {
  res: ServerResponse;
  /** Ticks it missed while behind. */
  missed: number;
  /** Bytes written whose write has not completed (where the runtime says). */
  pending: number;
  /** The state chunk it was last sent. */
  state: Uint8Array | undefined;
  /** Ticks missed since it last kept up. */
  behind: number;
  /** Chunks (shared, never copied) not yet handed to the response. */
  queue: Uint8Array[];
  /** Bytes in `queue`. */
  queued: number;
  /** Whether a `drain` listener is waiting to hand it more. */
  draining: boolean;
}

/**
 * Bytes handed to a response at a time: the runtime copies what it is
 * given (Bun does, per socket), so 16 stalled readers of an 8 MiB state
 * held 16 copies of it (383 MB of RSS); paced, they hold one shared copy
 * and 64 KiB each.
 */
const SLICE_BYTES = 64 * 1024;

const cut = (t: string | undefined): string | undefined =>
  t === undefined || t.length <= TEXT_LIMIT ? t : t.slice(0, TEXT_LIMIT) + "…";

const callKey = (c: FlowCallRecord): string =>
  `${c.from.unitId}/${c.from.clientId}/${c.invokeId}/${c.startedAt}`;

/** The state compared without its clock reading, which always differs. */
const stateKey = (json: string): string => json.replace(/^\{"time":[^,]*,/, "");

const encoder = new TextEncoder();
const RESET_EVENT = encoder.encode("event: reset\ndata: {}\n\n");

/** What the hub reads. */
export interface EventSources {
  /** The bus. */
  bus: MockBus;
  /** Counts, samples, presence at the TCP edge. */
  watch: BusWatch;
  /** The state as `GET /state` gives it. */
  state(): unknown;
  /** Masks passwords in text. */
  mask(text: string): string;
}

/** The streams open now, their cap, and how many fell behind and were dropped. */
interface EventStats {
  /** Streams open. */
  subscribers: number;
  /** Streams at most. */
  maxSubscribers: number;
  /** Streams dropped for falling behind since the server started. */
  dropped: number;
}

/** The stream's subscribers and its ticker (see the module doc). */
export class EventHub {
  #src: EventSources;
  #tickMs: number;
  #subs = new Set<Subscriber>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #calls = new Map<string, string>();
  /** The latest state, encoded once for every stream. */
  #state: { key: string; chunk: Uint8Array } | undefined;
  #stateDue = true;
  #ticks = 0;
  #dropped = 0;

  /** A hub over `src`, ticking every `tickMs`. */
  constructor(src: EventSources, tickMs = DEFAULT_TICK_MS) {
    this.#src = src;
    this.#tickMs = tickMs;
  }

  /**
   * Subscribe `res` (the response of an SSE request). Past the cap, the
   * subscriber furthest behind is dropped to make room; if none is, 503.
   */
  add(res: ServerResponse): void {
    if (this.#subs.size >= MAX_SUBSCRIBERS) {
      let behind: Subscriber | undefined;
      for (const s of this.#subs) {
        const backlog = this.#backlog(s);
        if (
          backlog > Math.max(SLOW_BYTES, behind ? this.#backlog(behind) : 0)
        ) {
          behind = s;
        }
      }
      if (!behind) {
        throw new ControlHttpError(
          503,
          "too_many_subscribers",
          `at most ${MAX_SUBSCRIBERS} event streams at once, none of them behind`,
          { max: MAX_SUBSCRIBERS },
        );
      }
      this.#drop(behind);
    }
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "connection": "keep-alive",
    });
    const sub: Subscriber = {
      res,
      missed: 0,
      pending: 0,
      state: undefined,
      behind: 0,
      queue: [],
      queued: 0,
      draining: false,
    };
    const first = this.#subs.size === 0;
    this.#subs.add(sub);
    res.on("close", () => {
      this.#subs.delete(sub);
      if (this.#subs.size === 0) this.#stop();
    });
    this.#write(sub, encoder.encode("retry: 1000\n"));
    // While streams are open, ticks keep the state fresh (at most a second
    // old, at once after a change): a new stream takes those bytes rather
    // than encode it again (an 8 MiB state, 16 streams: 16 encodings).
    const fresh = !first && !this.#stateDue && this.#state !== undefined;
    this.#sendState(sub, fresh ? this.#state!.chunk : this.#currentState());
    if (first) {
      this.#snapshotCalls();
      this.#src.watch.drain();
      this.#timer = setInterval(() => this.#tick(), this.#tickMs);
    }
  }

  /** The state changed: send it with the next tick. */
  changed(): void {
    this.#stateDue = true;
  }

  /**
   * The bus went back to its start: a `reset` event to every stream at
   * once, ahead of what comes after, so a page drops what it shows; what
   * the next tick would have sent came before, and is forgotten.
   */
  reset(): void {
    this.#src.watch.drain();
    this.#snapshotCalls();
    this.#stateDue = true;
    for (const sub of this.#subs) this.#write(sub, RESET_EVENT);
  }

  /** Streams open, their cap, and how many were dropped for falling behind. */
  stats(): EventStats {
    return {
      subscribers: this.#subs.size,
      maxSubscribers: MAX_SUBSCRIBERS,
      dropped: this.#dropped,
    };
  }

  /** End every stream. */
  close(): void {
    for (const s of this.#subs) s.res.end();
    this.#subs.clear();
    this.#stop();
  }

  #stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** The state now, as an SSE event; the same bytes while it is the same. */
  #currentState(): Uint8Array {
    // Whoever encodes it next (a new stream, a tick) has it fresh.
    this.#stateDue = false;
    const json = JSON.stringify(this.#src.state());
    const key = stateKey(json);
    if (this.#state?.key !== key) {
      this.#state = {
        key,
        chunk: encoder.encode(`event: state\ndata: ${json}\n\n`),
      };
    }
    return this.#state.chunk;
  }

  #sendState(sub: Subscriber, chunk: Uint8Array): void {
    if (sub.state === chunk) return;
    sub.state = chunk;
    this.#write(sub, chunk);
  }

  #write(sub: Subscriber, chunk: Uint8Array): void {
    sub.queue.push(chunk);
    sub.queued += chunk.byteLength;
    this.#pump(sub);
  }

  /**
   * Hand `sub`'s queue to its response a slice at a time: the next once the
   * runtime reports the last one written (its callback) or drained. Both
   * are watched: Bun's response reports no `writableLength` while it
   * buffers, but calls back only once the bytes went out.
   */
  #pump(sub: Subscriber): void {
    while (
      sub.queue.length > 0 &&
      Math.max(sub.res.writableLength, sub.pending) < SLICE_BYTES
    ) {
      if (sub.res.destroyed) return;
      const head = sub.queue[0];
      const slice = head.byteLength <= SLICE_BYTES
        ? head
        : head.subarray(0, SLICE_BYTES);
      if (slice === head) sub.queue.shift();
      else sub.queue[0] = head.subarray(SLICE_BYTES);
      sub.queued -= slice.byteLength;
      const n = slice.byteLength;
      sub.pending += n;
      sub.res.write(slice, () => {
        sub.pending -= n;
        if (sub.queue.length > 0) this.#pump(sub);
      });
    }
    if (sub.queue.length > 0 && !sub.draining) {
      sub.draining = true;
      sub.res.once("drain", () => {
        sub.draining = false;
        this.#pump(sub);
      });
    }
  }

  /** Bytes written to `sub` and not yet handed to its socket. */
  #backlog(sub: Subscriber): number {
    return sub.queued + Math.max(sub.res.writableLength, sub.pending);
  }

  /** Drop a subscriber that fell behind: its buffers go with it. */
  #drop(sub: Subscriber): void {
    this.#dropped++;
    this.#subs.delete(sub);
    sub.queue = [];
    sub.queued = 0;
    sub.res.destroy();
    if (this.#subs.size === 0) this.#stop();
  }

  #snapshotCalls(): FlowCallRecord[] {
    const calls = this.#src.bus.flowCalls();
    const changed: FlowCallRecord[] = [];
    const next = new Map<string, string>();
    for (const c of calls) {
      const k = callKey(c);
      next.set(k, c.state);
      if (this.#calls.get(k) !== c.state) changed.push(c);
    }
    this.#calls = next;
    return changed;
  }

  #tick(): void {
    const mask = this.#src.mask;
    const { counts, samples, presence } = this.#src.watch.drain();
    const changed = this.#snapshotCalls();
    const shown = changed.slice(-FLOWS_PER_TICK);
    const perSecond = 1000 / this.#tickMs;
    const tick = {
      time: this.#src.bus.clock.now(),
      counts,
      perSecond: Object.fromEntries(
        Object.entries(counts).map(([k, v]) => [k, Math.round(v * perSecond)]),
      ),
      // Masked by the watch, before it cut them.
      samples,
      presence,
      flowCalls: shown.map((c) => ({
        invokeId: c.invokeId,
        from: c.from,
        server: c.server,
        project: c.project,
        flow: c.flow,
        state: c.state,
        params: cut(mask(c.params)),
        result: cut(c.result === undefined ? undefined : mask(c.result)),
        ack: c.ack,
        ret: c.ret,
        startedAt: c.startedAt,
        late: c.late,
      })),
      flowCallsNotShown: changed.length - shown.length,
    };
    // The state is looked at once a second, or at once after a change.
    if (this.#stateDue || ++this.#ticks % 4 === 0 || presence.length > 0) {
      this.#stateDue = false;
      this.#currentState();
    }
    const state = this.#state!.chunk;
    const json = JSON.stringify(tick);
    const shared = encoder.encode(
      `event: tick\ndata: ${json.slice(0, -1)},"missed":0}\n\n`,
    );
    for (const sub of [...this.#subs]) {
      const backlog = this.#backlog(sub);
      if (backlog > SLOW_BYTES) {
        const over = backlog > MAX_BACKLOG_BYTES + state.byteLength ||
          ++sub.behind >= MAX_MISSED_IN_A_ROW;
        if (over) this.#drop(sub);
        else sub.missed++;
        continue;
      }
      sub.behind = 0;
      this.#sendState(sub, state);
      this.#write(
        sub,
        sub.missed === 0 ? shared : encoder.encode(
          `event: tick\ndata: ${json.slice(0, -1)},"missed":${sub.missed}}\n\n`,
        ),
      );
    }
  }
}

/**
 * The live stream behind the inspector (`GET /api/v1/events`, server-sent
 * events). Whatever the bus's message rate, each subscriber gets one
 * `tick` event per interval (4 a second by default) with counts, a few
 * sampled messages, presence events and the flow calls that started or
 * changed (the newest 50), plus a `state` event when the state changed.
 * A subscriber that reads too slowly misses ticks instead of growing a
 * buffer; the number of subscribers is capped.
 *
 * @example
 * ```ts
 * // What the inspector page reads: `state` and `tick` events.
 * const res = await fetch("http://127.0.0.1:9000/api/v1/events");
 * console.log(res.headers.get("content-type")); // text/event-stream
 * ```
 * @module
 */
import type { ServerResponse } from "node:http";
import type { MockBus } from "../mock_bus.ts";
import type { FlowCallRecord } from "../bus/records.ts";
import { ControlHttpError } from "./http.ts";
import type { BusWatch } from "./presence.ts";

/** Interval of `tick` events, ms. */
export const DEFAULT_TICK_MS = 250;
/** Subscribers at most (more get 503). */
export const MAX_SUBSCRIBERS = 16;
/** Flow calls per tick at most (the newest). */
const FLOWS_PER_TICK = 50;
/** Bytes a subscriber may have unread before it misses ticks. */
const BACKLOG_LIMIT = 1 << 20;
const TEXT_LIMIT = 200;

interface Subscriber {
  res: ServerResponse;
  missed: number;
}

const cut = (t: string | undefined): string | undefined =>
  t === undefined || t.length <= TEXT_LIMIT ? t : t.slice(0, TEXT_LIMIT) + "…";

const callKey = (c: FlowCallRecord): string =>
  `${c.from.unitId}/${c.from.clientId}/${c.invokeId}/${c.startedAt}`;

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

/** The stream's subscribers and its ticker (see the module doc). */
export class EventHub {
  #src: EventSources;
  #tickMs: number;
  #subs = new Set<Subscriber>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #calls = new Map<string, string>();
  #lastState = "";
  #stateDue = true;
  #ticks = 0;

  /** A hub over `src`, ticking every `tickMs`. */
  constructor(src: EventSources, tickMs = DEFAULT_TICK_MS) {
    this.#src = src;
    this.#tickMs = tickMs;
  }

  /** Subscribe `res` (the response of an SSE request); 503 past the cap. */
  add(res: ServerResponse): void {
    if (this.#subs.size >= MAX_SUBSCRIBERS) {
      throw new ControlHttpError(
        503,
        "too_many_subscribers",
        `at most ${MAX_SUBSCRIBERS} event streams at once`,
      );
    }
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "connection": "keep-alive",
    });
    const sub: Subscriber = { res, missed: 0 };
    this.#subs.add(sub);
    res.on("close", () => {
      this.#subs.delete(sub);
      if (this.#subs.size === 0) this.#stop();
    });
    const state = JSON.stringify(this.#src.state());
    res.write(`retry: 1000\nevent: state\ndata: ${state}\n\n`);
    if (this.#subs.size === 1) {
      this.#lastState = state;
      this.#snapshotCalls();
      this.#src.watch.drain();
      this.#timer = setInterval(() => this.#tick(), this.#tickMs);
    }
  }

  /** The state changed: send it with the next tick. */
  changed(): void {
    this.#stateDue = true;
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
      samples: samples.map((s) => ({ ...s, text: mask(s.text) })),
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
    let state: string | undefined;
    // The state is compared once a second, or at once after a change.
    if (this.#stateDue || ++this.#ticks % 4 === 0 || presence.length > 0) {
      this.#stateDue = false;
      const s = JSON.stringify(this.#src.state());
      // Compared without its clock reading, which always differs.
      const same = s.replace(/^\{"time":[^,]*,/, "") ===
        this.#lastState.replace(/^\{"time":[^,]*,/, "");
      if (!same) state = this.#lastState = s;
    }
    for (const sub of this.#subs) {
      if (sub.res.writableLength > BACKLOG_LIMIT) {
        sub.missed++;
        continue;
      }
      const body = JSON.stringify({ ...tick, missed: sub.missed });
      sub.res.write(
        (state ? `event: state\ndata: ${state}\n\n` : "") +
          `event: tick\ndata: ${body}\n\n`,
      );
    }
  }
}

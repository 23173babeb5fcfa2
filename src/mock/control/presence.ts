/**
 * Watching a served bus at its edge: {@link tapAttach} wraps the
 * {@link BusAttach} a TCP front logs its clients in through, and tells a
 * {@link BusWatch} of every login, refused login and disconnect (kept in a
 * bounded {@link PresenceLog}) and of every message sent, which it counts
 * and samples for the inspector (a few per tick, never every one).
 *
 * @module
 */
import type {
  AttachRequest,
  AttachResult,
  BusAddress,
  BusAttach,
  BusPort,
  PortSink,
} from "../bus/contract.ts";
import { FLOW_RET_OK } from "../../abi/constants.ts";
import { copyAddress } from "../bus/address.ts";
import { recordText } from "../bus/records.ts";
import { type RecordChange, RecordLog } from "../bus/record_log.ts";
import type { PresenceEvent } from "./journal_types.ts";
import { masker } from "./masking.ts";
import { type ServedClient, ServedClients } from "./served_clients.ts";

/**
 * The newest presence events (10,000 by default), oldest first.
 *
 * @example
 * ```ts
 * import { PresenceLog } from "./presence.ts";
 * const log = new PresenceLog(2);
 * log.push({ time: 0, event: "connect", address: { unitId: 17, clientId: 1, clientType: 4 }, node: 0 });
 * console.log(log.events().length); // 1
 * ```
 */
export class PresenceLog {
  #log: RecordLog<PresenceEvent>;
  /** A log keeping the newest `cap` events. */
  constructor(cap = 10_000) {
    this.#log = new RecordLog(cap);
  }
  /** Keep `e`. */
  push(e: PresenceEvent): void {
    this.#log.push(e);
  }
  /** The kept events themselves, oldest first (read them, never write them). */
  toArray(): PresenceEvent[] {
    return this.#log.toArray();
  }
  /** Call `fn` on each event kept or let go, and on clear; returns the stop function. */
  watch(
    fn: (change: RecordChange, event: PresenceEvent | undefined) => void,
  ): () => void {
    return this.#log.watch(fn);
  }
  /** Copies of the kept events. */
  events(): PresenceEvent[] {
    return this.#log.toArray().map((e) => ({
      ...e,
      address: copyAddress(e.address),
    }));
  }
  /** Forget every event. */
  clear(): void {
    this.#log.clear();
  }
}

/** What a sampled message looks like on the inspector's stream. */
export interface MessageSample {
  /** Bus time sent. */
  time: number;
  /** `data`, `ping`, `flow` (an invocation) or `notify`. */
  kind: "data" | "ping" | "flow" | "notify";
  /** Sender. */
  src: BusAddress;
  /** Addressee (for flows and notifications, the IPSC). */
  dst: BusAddress;
  /** Bytes of data or parameters. */
  size: number;
  /** The start of the data, decoded, passwords masked. */
  text: string;
}

/** Messages kept as samples per tick; the rest are only counted. */
const SAMPLES_PER_TICK = 5;
/** Characters of a sample's text kept. */
const SAMPLE_TEXT = 120;
const cutText = (t: string): string =>
  t.length <= SAMPLE_TEXT ? t : t.slice(0, SAMPLE_TEXT) + "…";

/**
 * Counts, samples and presence of a served bus (fed by {@link tapAttach}).
 * `drain()` hands the counts and samples gathered since the last drain.
 *
 * @example
 * ```ts
 * import { RealClock } from "@smartbus/netclient/mock";
 * import { BusWatch } from "./presence.ts";
 * const watch = new BusWatch(new RealClock());
 * const a = { unitId: 17, clientId: 1, clientType: 4 };
 * watch.message("data", a, { ...a, unitId: 20 }, new TextEncoder().encode("hi"));
 * console.log(watch.drain().counts.data); // 1
 * ```
 */
export class BusWatch {
  /** Presence events, for the journal. */
  readonly presence: PresenceLog;
  /** What each TCP client sent and got, by address. */
  readonly clients: ServedClients;
  #clock: { now(): number };
  #counts = { data: 0, ping: 0, flow: 0, notify: 0 };
  #samples: MessageSample[] = [];
  #fresh: PresenceEvent[] = [];
  #listeners = new Set<() => void>();
  #mask: (text: string) => string;

  /**
   * A watch stamping events with `clock`; `mask` hides passwords in the
   * text it keeps (a login's `addInfo`, a sample's text) before anything
   * is cut or handed out, so no part of one can show.
   */
  constructor(
    clock: { now(): number },
    presence = new PresenceLog(),
    mask: (text: string) => string = (t) => t,
  ) {
    this.#clock = clock;
    this.presence = presence;
    this.clients = new ServedClients(clock);
    this.#mask = mask;
  }

  /** A client logged in, was refused or left. */
  presenceEvent(e: Omit<PresenceEvent, "time">): void {
    const full: PresenceEvent = {
      time: this.#clock.now(),
      ...e,
      ...(e.addInfo === undefined ? {} : { addInfo: this.#mask(e.addInfo) }),
    };
    this.presence.push(full);
    if (this.#fresh.length < 200) this.#fresh.push(full);
    for (const fn of this.#listeners) fn();
  }

  /** A message was sent (counted; sampled while the tick has room). */
  message(
    kind: MessageSample["kind"],
    src: BusAddress,
    dst: BusAddress,
    data: Uint8Array,
  ): void {
    this.#counts[kind]++;
    if (this.#samples.length >= SAMPLES_PER_TICK) return;
    this.#samples.push({
      time: this.#clock.now(),
      kind,
      src: copyAddress(src),
      dst: copyAddress(dst),
      size: data.length,
      // Masked whole, then cut: a password across the cut must not show.
      text: cutText(this.#mask(recordText(data).replace(/\0+$/, ""))),
    });
  }

  /** Counts, samples and presence events since the last call; starts afresh. */
  drain(): {
    counts: { data: number; ping: number; flow: number; notify: number };
    samples: MessageSample[];
    presence: PresenceEvent[];
  } {
    const out = {
      counts: this.#counts,
      samples: this.#samples,
      presence: this.#fresh,
    };
    this.#counts = { data: 0, ping: 0, flow: 0, notify: 0 };
    this.#samples = [];
    this.#fresh = [];
    return out;
  }

  /** Call `fn` on each presence event; returns the unsubscribe function. */
  onPresence(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }
}

/**
 * The watch of a served `bus`: it masks with the passwords the bus has
 * when the text comes (nodes and their users can be added later).
 *
 * @example
 * ```ts
 * import { MockBus } from "@smartbus/netclient/mock";
 * import { watchOf } from "./presence.ts";
 * const watch = watchOf(new MockBus());
 * console.log(watch.drain().samples.length); // 0
 * ```
 */
export function watchOf(bus: {
  clock: { now(): number };
  nodes(): readonly { users?: Readonly<Record<string, string>> }[];
}): BusWatch {
  return new BusWatch(bus.clock, undefined, (t) => masker(bus)(t));
}

const ipscAddress = (unitId: number, processIndex: number): BusAddress => ({
  unitId,
  clientId: processIndex,
  clientType: 2,
});

/**
 * `inner` with every login, refusal, disconnect and sent message told to
 * `watch`. Passwords are never passed on.
 *
 * @example
 * ```ts
 * import { MockBus } from "@smartbus/netclient/mock";
 * import { tapAttach, watchOf } from "./presence.ts";
 * const bus = new MockBus();
 * const watch = watchOf(bus);
 * const attach = tapAttach(bus, watch); // what the TCP front attaches through
 * watch.onPresence(() => console.log(watch.presence.events().at(-1)?.event)); // "connect", …
 * ```
 */
export function tapAttach(inner: BusAttach, watch: BusWatch): BusAttach {
  return {
    attach(
      host: string,
      port: number,
      request: AttachRequest,
      sink: PortSink,
    ): AttachResult {
      const address = copyAddress(request.address);
      const who = {
        address,
        ...(request.user ? { user: request.user } : {}),
        addInfo: recordText(request.addInfo),
      };
      let open = true;
      // Set once the login is taken; nothing reaches the sink before.
      let counts: ServedClient | undefined = undefined;
      const gone = (reason: string, node: number): void => {
        if (!open) return;
        open = false;
        counts?.left(node);
        watch.presenceEvent({ event: "disconnect", ...who, node, reason });
      };
      let nodeId = -1;
      // Delegating members one by one: the sink may be a class with private fields.
      const watched: PortSink = {
        data: (h, d) => {
          counts?.received(h, d.length);
          sink.data(h, d);
        },
        flowAck: (h, id, p, ack, msg) => {
          counts?.acknowledged(id, ack);
          sink.flowAck(h, id, p, ack, msg);
        },
        flowResult: (h, id, p, ret, param) => {
          // Only ret 1 reaches a TCP client: the wire carries no other.
          if (ret === FLOW_RET_OK) counts?.answered(id);
          sink.flowResult(h, id, p, ret, param);
        },
        globalConnect: (e) => sink.globalConnect(e),
        closed: (reason) => {
          gone(reason, nodeId);
          sink.closed(reason);
        },
      };
      if (sink.invokeFlow) {
        watched.invokeFlow = (i) => {
          counts?.served("flow");
          sink.invokeFlow!(i);
        };
      }
      if (sink.notify) {
        watched.notify = (m) => {
          counts?.served("notify");
          sink.notify!(m);
        };
      }
      const res = inner.attach(host, port, request, watched);
      if (!res.ok) {
        watch.presenceEvent({
          event: "refused",
          ...who,
          reason: res.reason,
          code: res.code,
        });
        return res;
      }
      nodeId = res.port.accessUnitId;
      watch.presenceEvent({ event: "connect", ...who, node: nodeId });
      counts = watch.clients.login(address, nodeId);
      return {
        ok: true,
        port: tapPort(res.port, address, watch, counts, gone),
      };
    },
    ...(inner.onNodeState
      ? { onNodeState: inner.onNodeState.bind(inner) }
      : {}),
  };
}

function tapPort(
  port: BusPort,
  me: BusAddress,
  watch: BusWatch,
  counts: ServedClient,
  gone: (reason: string, node: number) => void,
): BusPort {
  return {
    accessUnitId: port.accessUnitId,
    send(cmd, cmdType, dst, data) {
      watch.message("data", me, dst, data);
      const rc = port.send(cmd, cmdType, dst, data);
      counts.sentData(data.length, rc);
      return rc;
    },
    ping(dst, data) {
      watch.message("ping", me, dst, data);
      const rc = port.ping(dst, data);
      counts.sentPing(data.length, rc);
      return rc;
    },
    invokeFlow(unit, index, inv) {
      watch.message("flow", me, ipscAddress(unit, index), inv.params);
      // The bus acknowledges later, never inside the call.
      const rc = port.invokeFlow(unit, index, inv);
      counts.called(inv.invokeId, inv.mode, inv.timeoutMs, rc);
      return rc;
    },
    notify(unit, index, msg) {
      watch.message("notify", me, ipscAddress(unit, index), msg.param);
      const rc = port.notify(unit, index, msg);
      counts.notified(rc);
      return rc;
    },
    flowAck(to, id, p, ack, msg) {
      const rc = port.flowAck(to, id, p, ack, msg);
      counts.sentAnswer("ack", rc);
      return rc;
    },
    flowResult(to, id, p, ret, param) {
      const rc = port.flowResult(to, id, p, ret, param);
      counts.sentAnswer("result", rc);
      return rc;
    },
    detach() {
      gone("left", port.accessUnitId);
      port.detach();
    },
  };
}

/**
 * Flow stubs: canned answers per IPSC, project and flow, laid over the
 * flows registered on a {@link MockIpsc}. The in-memory bus and the served
 * one (control API) use this one table.
 *
 * For each flow that has stubs the table registers one dispatching handler
 * on the IPSC (`ipsc.flow`), remembering the handler that was there; a call
 * no stub takes goes to that handler; when the last stub of a flow goes,
 * the handler is put back.
 *
 * @example
 * ```ts
 * import { FlowStubs, MockBus } from "@smartbus/netclient/mock";
 * const bus = new MockBus();
 * bus.addNode({ unitId: 0, port: 8000 });
 * bus.addIpsc({ unitId: 0, processIndex: 0 });
 * const stubs = new FlowStubs(bus);
 * stubs.add({ project: "ivr", flow: "callout", replies: [{ error: -3 }, { result: ["ok"] }] });
 * console.log(stubs.list().length); // 1
 * ```
 * @module
 */
import type { FlowContext, FlowHandler } from "../ipsc/flow_run.ts";
import { FlowFailure } from "../ipsc/flow_run.ts";
import type { MockIpsc } from "../ipsc/ipsc.ts";
import type { BusAddress } from "../bus/contract.ts";
import { addressMatches } from "../bus/address.ts";
import {
  checkStubSpec,
  InvalidStubError,
  paramRegexes,
  paramTexts,
  type StubInfo,
  type StubMatch,
  type StubReply,
  type StubSpec,
} from "./stub_spec.ts";
import { jsonEqual } from "./json_equal.ts";
import type { StubRegex } from "./stub_regex.ts";
import { checkRoom, type StubCost } from "./stub_limits.ts";
import { utf8Length } from "../../api/c_string.ts";

/**
 * What {@link FlowStubs} needs of a bus: its IPSCs (a `MockBus` has them).
 *
 * @example
 * ```ts
 * import { MockBus, type StubHost } from "@smartbus/netclient/mock";
 * const host: StubHost = new MockBus();
 * console.log(host.ipscs().length); // 0
 * ```
 */
export interface StubHost {
  /** The mock IPSCs, the first being the default target. */
  ipscs(): MockIpsc[];
  /** A line for the bus log (optional). */
  log?(line: string): void;
}

interface Stub {
  info: StubInfo;
  order: number;
  regexes: Map<number, StubRegex>;
  /** `{ $text }` positions of `paramsAt`. */
  texts: Map<number, string>;
  cost: StubCost;
  /** The start of its replies' JSON, for the inspector. */
  preview: string;
}

/** Characters of a stub's replies the inspector shows. */
const PREVIEW_CHARS = 200;

/**
 * A stub as the inspector lists it: what identifies it and the start of
 * its replies, never the replies whole (a stub may hold 64 KiB, the table
 * 8 MiB, and the page's state goes out several times a second).
 */
export interface StubSummary {
  /** Given or assigned. */
  id: string;
  /** Its project id. */
  project: string;
  /** Its flow id. */
  flow: string;
  /** The IPSC it answers for. */
  ipsc: { unitId: number; processIndex: number };
  /** Calls taken since added (or since the last reset). */
  calls: number;
  /** The first 200 characters of `reply` or `replies` as JSON. */
  preview: string;
}

/** One stubbed flow of one IPSC: its dispatcher and the handler it covers. */
interface Slot {
  ipsc: MockIpsc;
  project: string;
  flow: string;
  dispatcher: FlowHandler;
  base: FlowHandler | undefined;
}

const slotKey = (
  i: { unitId: number; processIndex: number },
  project: string,
  flow: string,
): string => `${i.unitId}/${i.processIndex}\0${project}\0${flow}`;

/**
 * A table of flow stubs over the IPSCs of a bus (see the module doc).
 *
 * @example
 * ```ts
 * import { FlowStubs, MockBus } from "@smartbus/netclient/mock";
 * const bus = new MockBus();
 * bus.addNode({ unitId: 0, port: 8000 });
 * bus.addIpsc({ unitId: 0, processIndex: 0 }).flow("ivr", "callout", () => ["real"]);
 * const stubs = new FlowStubs(bus);
 * const s = stubs.add({
 *   project: "ivr",
 *   flow: "callout",
 *   match: { params: ["10086"] },
 *   reply: { notStarted: -1, message: "busy" },
 * }); // other numbers still reach the real flow
 * stubs.remove(s.id);
 * ```
 */
export class FlowStubs {
  #host: StubHost;
  #stubs = new Map<string, Stub>();
  #slots = new Map<string, Slot>();
  #next = 1;
  #order = 0;
  #used: StubCost = { bytes: 0, states: 0 };

  /** Stubs over `host`'s IPSCs (usually a `MockBus`). */
  constructor(host: StubHost) {
    this.#host = host;
  }

  /**
   * Add a stub (see {@link StubSpec}); an existing `id` is replaced.
   * Throws {@link InvalidStubError} on a bad spec or an unknown IPSC, and
   * `StubLimitError` past a cap of the table (`stub_limits.ts`); either
   * way the table is left as it was.
   */
  add(spec: StubSpec): StubInfo {
    const checked = checkStubSpec(spec);
    return this.#put(checked.id ?? this.#newId(), checked);
  }

  /** Replace the stub `id` (or add it under that id); its call count restarts. */
  replace(id: string, spec: StubSpec): StubInfo {
    return this.add({ ...spec, id });
  }

  /** Every stub, in the order they were added. */
  list(): StubInfo[] {
    return [...this.#stubs.values()].map((s) => structuredClone(s.info));
  }

  /**
   * Every stub in a few hundred bytes each (see {@link StubSummary}).
   *
   * @example
   * ```ts
   * import { FlowStubs, MockBus } from "@smartbus/netclient/mock";
   * const bus = new MockBus();
   * bus.addNode({ unitId: 0, port: 8000 });
   * bus.addIpsc({ unitId: 0, processIndex: 0 });
   * const stubs = new FlowStubs(bus);
   * stubs.add({ project: "ivr", flow: "hi", reply: { result: ["x".repeat(9000)] } });
   * console.log(stubs.summaries()[0].preview.length); // 200
   * ```
   */
  summaries(): StubSummary[] {
    return [...this.#stubs.values()].map((s) => ({
      id: s.info.id,
      project: s.info.project,
      flow: s.info.flow,
      ipsc: { ...s.info.ipsc },
      calls: s.info.calls,
      preview: s.preview,
    }));
  }

  /** The stub `id`, or undefined. */
  get(id: string): StubInfo | undefined {
    const s = this.#stubs.get(id);
    return s && structuredClone(s.info);
  }

  /** Remove the stub `id`; false if there was none. */
  remove(id: string): boolean {
    const s = this.#stubs.get(id);
    if (!s) return false;
    this.#stubs.delete(id);
    this.#used = {
      bytes: this.#used.bytes - s.cost.bytes,
      states: this.#used.states - s.cost.states,
    };
    const key = slotKey(s.info.ipsc, s.info.project, s.info.flow);
    if (![...this.#stubs.values()].some((o) => this.#keyOf(o) === key)) {
      this.#release(key);
    }
    return true;
  }

  /** Remove every stub: each stubbed flow gets its own handler back. */
  clear(): void {
    this.#stubs.clear();
    for (const key of [...this.#slots.keys()]) this.#release(key);
    this.#next = 1;
    this.#used = { bytes: 0, states: 0 };
  }

  #newId(): string {
    let id: string;
    do id = `stub-${this.#next++}`; while (this.#stubs.has(id));
    return id;
  }

  #keyOf(s: Stub): string {
    return slotKey(s.info.ipsc, s.info.project, s.info.flow);
  }

  #put(id: string, spec: StubSpec): StubInfo {
    const ipscs = this.#host.ipscs();
    const ipsc = spec.ipsc
      ? ipscs.find((i) =>
        i.unitId === spec.ipsc!.unitId &&
        i.processIndex === spec.ipsc!.processIndex
      )
      : ipscs[0];
    if (!ipsc) {
      throw new InvalidStubError(
        spec.ipsc
          ? `stub: no mock IPSC ${spec.ipsc.unitId}:${spec.ipsc.processIndex} on the bus`
          : "stub: the bus has no mock IPSC",
      );
    }
    const info: StubInfo = {
      ...spec,
      id,
      ipsc: { unitId: ipsc.unitId, processIndex: ipsc.processIndex },
      calls: 0,
    };
    const regexes = paramRegexes(spec.match?.paramsAt);
    const cost: StubCost = {
      bytes: utf8Length(JSON.stringify(info)),
      states: [...regexes.values()].reduce((n, r) => n + r.states, 0),
    };
    const old = this.#stubs.get(id);
    checkRoom(this.#stubs.size, this.#used, cost, old?.cost);
    if (old) this.remove(id);
    const preview = JSON.stringify(spec.replies ?? spec.reply ?? null)
      .slice(0, PREVIEW_CHARS);
    this.#stubs.set(id, {
      info,
      order: ++this.#order,
      regexes,
      texts: paramTexts(spec.match?.paramsAt),
      cost,
      preview,
    });
    this.#used = {
      bytes: this.#used.bytes + cost.bytes,
      states: this.#used.states + cost.states,
    };
    this.#claim(ipsc, spec.project, spec.flow);
    return structuredClone(info);
  }

  /** Make sure the dispatcher is the flow's handler on `ipsc`. */
  #claim(ipsc: MockIpsc, project: string, flow: string): void {
    const key = slotKey(ipsc, project, flow);
    const had = this.#slots.get(key);
    const now = ipsc.handler(project, flow);
    if (had && now === had.dispatcher) return;
    // First stub of this flow, or someone registered a handler over ours:
    // theirs becomes the one calls without a stub reach.
    const slot: Slot = {
      ipsc,
      project,
      flow,
      base: now,
      dispatcher: (params, ctx) => this.#dispatch(slot, key, params, ctx),
    };
    this.#slots.set(key, slot);
    ipsc.flow(project, flow, slot.dispatcher);
  }

  #release(key: string): void {
    const slot = this.#slots.get(key);
    if (!slot) return;
    this.#slots.delete(key);
    const { ipsc, project, flow } = slot;
    if (ipsc.handler(project, flow) !== slot.dispatcher) return;
    if (slot.base) ipsc.flow(project, flow, slot.base);
    else ipsc.removeFlow(project, flow);
  }

  #dispatch(
    slot: Slot,
    key: string,
    params: unknown[],
    ctx: FlowContext,
  ): unknown {
    const from = ctx.from;
    let best: Stub | undefined;
    const misses: string[] = [];
    for (const s of this.#stubs.values()) {
      if (this.#keyOf(s) !== key) continue;
      const miss = mismatch(s, params, from);
      if (miss !== null) {
        if (misses.length < MISSES_SHOWN) misses.push(`${s.info.id}: ${miss}`);
        continue;
      }
      const p = s.info.priority ?? 5;
      const bp = best?.info.priority ?? 5;
      if (!best || p < bp || (p === bp && s.order > best.order)) best = s;
    }
    if (!best) {
      if (slot.base) return slot.base(params, ctx);
      // Why each stub of this flow missed, so that a copied stub whose
      // parameter is "10086" where the caller sends 10086 says so.
      ctx.refuse(
        -1,
        `no stub of ${slot.project}/${slot.flow} matches ${show(params)}${
          misses.length > 0 ? `; ${misses.join("; ")}` : ""
        }`,
      );
    }
    const info = best.info;
    const n = info.calls++;
    const replies = info.replies ?? [info.reply!];
    const reply = replies[
      info.cycle ? n % replies.length : Math.min(n, replies.length - 1)
    ];
    this.#host.log?.(
      `stub ${info.id} answers ${slot.project}/${slot.flow} (call ${n + 1})`,
    );
    return answer(reply, ctx);
  }
}

/** Stubs of a flow whose first difference a refusal names. */
const MISSES_SHOWN = 3;

/** A value in a refusal's message: its JSON, cut to 60 characters. */
function show(v: unknown): string {
  const t = v === undefined ? "nothing" : JSON.stringify(v);
  return t.length <= 60 ? t : `${t.slice(0, 57)}...`;
}

const kind = (v: unknown): string =>
  v === null ? "null" : Array.isArray(v) ? "a list" : `a ${typeof v}`;

/** Said when a value differs only in type from what was wanted. */
function typeHint(want: unknown, got: unknown): string {
  const text = (v: unknown) =>
    typeof v === "string" || typeof v === "number" ? String(v) : undefined;
  if (typeof want === typeof got || text(want) !== text(got)) return "";
  return ` (${kind(want)} against ${kind(got)}: { "$text": ${
    JSON.stringify(text(want))
  } } takes either)`;
}

/** The first field of its match that `s` finds different, or null on a match. */
function mismatch(
  s: Stub,
  params: unknown[],
  from: BusAddress,
): string | null {
  const m: StubMatch | undefined = s.info.match;
  if (!m) return null;
  if (m.params !== undefined && !jsonEqual(m.params, params)) {
    return `params wants ${show(m.params)}`;
  }
  if (m.from !== undefined && !addressMatches(from, m.from)) {
    return `from wants ${show(m.from)}, the caller is ${
      show({ unitId: from.unitId, clientId: from.clientId })
    }`;
  }
  for (const [k, want] of Object.entries(m.paramsAt ?? {})) {
    const i = Number(k);
    const got = params[i];
    const rx = s.regexes.get(i);
    const text = s.texts.get(i);
    if (rx) {
      if (typeof got !== "string" || !rx.test(got)) {
        return `paramsAt.${k} ${show(got)} does not match $regex ${
          show((want as { $regex: string }).$regex)
        }${typeof got === "string" ? "" : " (a $regex tests strings only)"}`;
      }
    } else if (text !== undefined) {
      if (
        (typeof got !== "string" && typeof got !== "number") ||
        String(got) !== text
      ) {
        return `paramsAt.${k} wants the text ${show(text)}, got ${show(got)}`;
      }
    } else if (!jsonEqual(want, got)) {
      return `paramsAt.${k} wants ${show(want)}, got ${show(got)}${
        typeHint(want, got)
      }`;
    }
  }
  return null;
}

/** Play `reply` as a flow handler would. */
function answer(reply: StubReply, ctx: FlowContext): unknown {
  if ("notStarted" in reply) {
    ctx.refuse(reply.notStarted, reply.message ?? "not started (stub)");
  }
  if ("noAck" in reply) ctx.noAnswer();
  // After an await the acknowledge has gone out: acknowledged, never answered.
  if ("noAnswer" in reply) return Promise.resolve().then(() => ctx.noAnswer());
  const delayMs = "delayMs" in reply ? reply.delayMs ?? 0 : 0;
  const settle = (): unknown => {
    if ("error" in reply) throw new FlowFailure(reply.error, "stub error");
    return structuredClone((reply as { result: unknown[] }).result);
  };
  return delayMs > 0 ? ctx.sleep(delayMs).then(settle) : settle();
}

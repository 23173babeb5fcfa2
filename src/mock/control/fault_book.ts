/**
 * Faults driven through the control API, over the bus's public fault
 * switches (`bus.faults`, `stopNode`, IPSC `crash`), remembered so that
 * they can be listed and healed by id.
 *
 * @module
 */
import type { MockBus } from "../mock_bus.ts";
import type { FlowFault, TrafficFilter } from "../bus/fault_policy.ts";
import { ControlHttpError } from "./http.ts";

/**
 * Latency and drop rules and client cuts in force at once, at most: each
 * rule is looked at for every delivery. Links, stopped nodes and IPSC
 * modes need no cap: the bus's nodes and IPSCs bound them.
 */
export const MAX_FAULTS = 256;

/** A client's cuts: off every node (`null`), or off these nodes. */
interface ClientCut {
  unitId: number;
  clientId: number;
  nodes: Set<number> | null;
}

/** The entries a client's cuts are listed as. */
const entries = (c: ClientCut | undefined): number =>
  c === undefined ? 0 : c.nodes === null ? 1 : c.nodes.size;

/**
 * How an IPSC misbehaves: a flow fault, crashed, or `normal`.
 *
 * @example
 * ```ts
 * import type { IpscMode } from "@smartbus/netclient/mock";
 * const modes: IpscMode[] = ["silent", "crashed", "normal"];
 * ```
 */
export type IpscMode = FlowFault | "crashed" | "normal";

/**
 * A latency or drop rule added through the book.
 *
 * @example
 * ```ts
 * import type { FaultRule } from "@smartbus/netclient/mock";
 * const show = (r: FaultRule): string => `${r.id}: ${r.type}`;
 * ```
 */
export interface FaultRule extends TrafficFilter {
  /** Its id (for removal). */
  id: string;
  /** Latency, or a share of drops. */
  type: "latency" | "drops";
  /** Latency: fixed delay, ms. */
  baseMs?: number;
  /** Latency: largest random extra, ms. */
  jitterMs?: number;
  /** Drops: the share dropped (0–1). */
  share?: number;
}

/**
 * The faults in force.
 *
 * @example
 * ```ts
 * import type { FaultState } from "@smartbus/netclient/mock";
 * const calm = (s: FaultState): boolean => !s.active;
 * ```
 */
export interface FaultState {
  /** Whether anything is broken. */
  active: boolean;
  /** Nodes stopped. */
  stoppedNodes: number[];
  /** Node pairs whose link is cut. */
  cutLinks: [number, number][];
  /** Clients cut off (every node, or `node`). */
  cutClients: { unitId: number; clientId: number; node?: number }[];
  /** Latency and drop rules. */
  rules: FaultRule[];
  /** IPSCs not behaving normally. */
  ipscs: {
    unitId: number;
    processIndex: number;
    mode: IpscMode;
    lateByMs?: number;
  }[];
}

/**
 * Faults of one bus as the control API drives them (see the module doc).
 *
 * @example
 * ```ts
 * import { MockBus } from "@smartbus/netclient/mock";
 * import { FaultBook } from "./fault_book.ts";
 * const faults = new FaultBook(new MockBus());
 * const id = faults.latency({ baseMs: 50 });
 * console.log(faults.removeRule(id)); // true
 * ```
 */
export class FaultBook {
  #bus: MockBus;
  #rules = new Map<string, { rule: FaultRule; stop: () => void }>();
  /** By `unitId:clientId`, as the bus keeps them. */
  #clients = new Map<string, ClientCut>();
  #ipsc = new Map<
    string,
    { unitId: number; processIndex: number; mode: IpscMode; lateByMs?: number }
  >();
  #next = 1;

  /** The book of `bus`. */
  constructor(bus: MockBus) {
    this.#bus = bus;
  }

  /** Stop node `unit`. */
  stopNode(unit: number): void {
    this.#bus.stopNode(unit);
  }

  /** Start node `unit`. */
  startNode(unit: number): void {
    this.#bus.startNode(unit);
  }

  /** Cut the link between nodes `a` and `b`. */
  cutLink(a: number, b: number): void {
    this.#bus.faults.cutLink(a, b);
  }

  /** Heal the link between nodes `a` and `b`. */
  healLink(a: number, b: number): void {
    this.#bus.faults.healLink(a, b);
  }

  /**
   * Cut a client off its node (or off `node` only). The same cut again
   * changes nothing; a cut off every node takes in those off one node.
   */
  cutClient(a: { unitId: number; clientId: number; node?: number }): void {
    const key = `${a.unitId}:${a.clientId}`;
    const had = this.#clients.get(key);
    const nodes = a.node === undefined || had?.nodes === null
      ? null
      : new Set([...had?.nodes ?? [], a.node]);
    const next = { unitId: a.unitId, clientId: a.clientId, nodes };
    this.#room(entries(next) - entries(had));
    this.#bus.faults.cutClient(
      a,
      a.node === undefined ? {} : { node: a.node },
    );
    this.#clients.set(key, next);
  }

  /** Let a client reach every node again. */
  healClient(a: { unitId: number; clientId: number }): void {
    this.#bus.faults.healClient(a);
    this.#clients.delete(`${a.unitId}:${a.clientId}`);
  }

  /** Add latency; returns the rule's id. */
  latency(rule: Omit<FaultRule, "id" | "type"> & { baseMs: number }): string {
    this.#room(1);
    const stop = this.#bus.faults.latency(rule);
    return this.#keep({ ...rule, type: "latency" }, stop);
  }

  /** Drop a share of matching deliveries; returns the rule's id. */
  drops(rule: Omit<FaultRule, "id" | "type"> & { share: number }): string {
    this.#room(1);
    const { share, ...filter } = rule;
    const stop = this.#bus.faults.dropShare(share, filter);
    return this.#keep({ ...rule, type: "drops" }, stop);
  }

  /** Remove a latency or drop rule; false if there is none. */
  removeRule(id: string): boolean {
    const r = this.#rules.get(id);
    if (!r) return false;
    r.stop();
    this.#rules.delete(id);
    return true;
  }

  /**
   * Make the IPSC at `unitId`/`processIndex` misbehave (`late`, `silent`,
   * `mute`), crash, or behave again (`normal`, which also restarts it).
   */
  ipsc(
    unitId: number,
    processIndex: number,
    mode: IpscMode,
    lateByMs = 1,
  ): void {
    const ipsc = this.#bus.ipscs().find((i) =>
      i.unitId === unitId && i.processIndex === processIndex
    );
    if (!ipsc) throw new RangeError(`no mock IPSC ${unitId}:${processIndex}`);
    const key = `${unitId}:${processIndex}`;
    const was = this.#ipsc.get(key)?.mode;
    if (mode === "crashed") {
      ipsc.crash();
    } else {
      if (was === "crashed") ipsc.restart();
      this.#bus.faults.flows(ipsc, mode === "normal" ? null : mode, lateByMs);
    }
    if (mode === "normal") this.#ipsc.delete(key);
    else {
      this.#ipsc.set(key, {
        unitId,
        processIndex,
        mode,
        ...(mode === "late" ? { lateByMs } : {}),
      });
    }
  }

  /**
   * Heal everything: every fault switch, every stopped node started, every
   * crashed IPSC restarted.
   */
  healAll(): void {
    this.#bus.faults.healAll();
    for (const n of this.#bus.nodes()) {
      if (!n.running) this.#bus.startNode(n.unitId);
    }
    for (const v of this.#ipsc.values()) {
      if (v.mode !== "crashed") continue;
      this.#bus.ipscs().find((i) =>
        i.unitId === v.unitId && i.processIndex === v.processIndex
      )?.restart();
    }
    this.forget();
  }

  /** Forget what was recorded (the bus was reset, which healed everything). */
  forget(): void {
    this.#rules.clear();
    this.#clients.clear();
    this.#ipsc.clear();
  }

  /** The faults in force. */
  state(): FaultState {
    const nodes = this.#bus.nodes();
    const cutLinks: [number, number][] = [];
    for (let i = 0; i < nodes.length; i++) {
      for (let j = i + 1; j < nodes.length; j++) {
        const [a, b] = [nodes[i].unitId, nodes[j].unitId].sort((x, y) => x - y);
        if (!this.#bus.faults.linked(a, b)) cutLinks.push([a, b]);
      }
    }
    const stoppedNodes = nodes.filter((n) => !n.running).map((n) => n.unitId);
    const ipscs = [...this.#ipsc.values()].map((v) => ({ ...v }));
    return {
      active: this.#bus.faults.active || stoppedNodes.length > 0 ||
        ipscs.length > 0,
      stoppedNodes,
      cutLinks,
      cutClients: [...this.#clients.values()].flatMap((c) =>
        c.nodes === null
          ? [{ unitId: c.unitId, clientId: c.clientId }]
          : [...c.nodes].map((node) => ({
            unitId: c.unitId,
            clientId: c.clientId,
            node,
          }))
      ),
      rules: [...this.#rules.values()].map((r) => structuredClone(r.rule)),
      ipscs,
    };
  }

  /** Refuse `more` faults past {@link MAX_FAULTS} (409 `too_many_faults`). */
  #room(more: number): void {
    let active = this.#rules.size;
    for (const c of this.#clients.values()) active += entries(c);
    if (more > 0 && active + more > MAX_FAULTS) {
      throw new ControlHttpError(
        409,
        "too_many_faults",
        `at most ${MAX_FAULTS} faults at once (latency and drop rules and client cuts together), ${active} in force; heal some first`,
        { max: MAX_FAULTS },
      );
    }
  }

  #keep(rule: Omit<FaultRule, "id">, stop: () => void): string {
    const id = `rule-${this.#next++}`;
    this.#rules.set(id, { rule: { id, ...structuredClone(rule) }, stop });
    return id;
  }
}

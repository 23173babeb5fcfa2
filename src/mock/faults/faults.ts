/**
 * Faults on demand for the mock bus ({@link MockBus.faults}): cut and heal
 * the link between two nodes or between a client and its node, add latency
 * and jitter to links, drop or delay a share of the traffic, and make an
 * IPSC's flows go silent or answer late. Randomness comes from a seeded
 * PRNG and delays run on the bus clock, so a run on a `VirtualClock`
 * replays exactly from its seed.
 *
 * Because the TCP front attaches its connections through the same bus,
 * every fault here applies to TCP clients (the native stand-in) too.
 *
 * @module
 */
import type { BusContext } from "../bus/bus_context.ts";
import type { Conn } from "../bus/connections.ts";
import type { BusAddress } from "../bus/contract.ts";
import type {
  FlowFault,
  LatencyRule,
  TrafficFilter,
  TrafficKind,
  Verdict,
} from "../bus/fault_policy.ts";
import { addressMatches, formatAddress } from "../bus/address.ts";
import { seededRandom } from "./random.ts";

interface ShareRule {
  share: number;
  filter: TrafficFilter;
  delayMs: number;
}

const pairKey = (a: number, b: number): string =>
  a < b ? `${a}-${b}` : `${b}-${a}`;
const clientKey = (a: { unitId: number; clientId: number }): string =>
  `${a.unitId}/${a.clientId}`;

/**
 * The fault switches of one bus; reach them as `bus.faults`.
 *
 * The bus is a full mesh of nodes with no transit routing: when the link
 * between nodes A and B is cut, traffic between a client on A and a client
 * on B is dropped (recorded with reason `"link cut"`, flow calls time out),
 * even if a third node could relay it. Each side then hears status 0 for
 * the other node and every client on it; on heal, status 1 for those still
 * there. Joins and leaves across a cut are not heard until the heal.
 *
 * @example
 * ```ts
 * import { type BusFaults, MockBus, VirtualClock } from "@smartbus/netclient/mock";
 * const bus = new MockBus({ clock: new VirtualClock() });
 * bus.addNode({ unitId: 0, port: 8000 });
 * bus.addNode({ unitId: 1, port: 8001 });
 * const faults: BusFaults = bus.faults;
 * // client 17/1 loses node 0 (its connection breaks); it may fail over to 1
 * faults.cutClient({ unitId: 17, clientId: 1 }, { node: 0 });
 * faults.healClient({ unitId: 17, clientId: 1 });
 * ```
 */
export class BusFaults {
  #ctx: BusContext;
  #random: () => number = seededRandom(1);
  #cutLinks = new Set<string>();
  /** Client key → nodes it cannot reach (`null`: none at all). */
  #cutClients = new Map<string, Set<number> | null>();
  #latency: LatencyRule[] = [];
  #shares: ShareRule[] = [];

  /** The faults of the bus of `ctx` (the bus builds it). */
  constructor(ctx: BusContext) {
    this.#ctx = ctx;
  }

  /** Whether any fault is switched on. */
  get active(): boolean {
    return this.#ctx.faultsActive;
  }

  /** Restart the PRNG at `seed` (default seed: 1). */
  seed(seed: number): void {
    this.#random = seededRandom(seed);
  }

  // ---- node links --------------------------------------------------------

  /** Cut the link between nodes `a` and `b` (see the class doc). Idempotent. */
  cutLink(a: number, b: number): void {
    this.#checkPair(a, b);
    const k = pairKey(a, b);
    if (this.#cutLinks.has(k)) return;
    this.#cutLinks.add(k);
    this.#refresh();
    this.#ctx.log(`link between nodes ${a} and ${b} cut`);
    this.#tellAcross(a, b, 0);
  }

  /** Heal the link between nodes `a` and `b`; each side hears status 1 for the other. */
  healLink(a: number, b: number): void {
    this.#checkPair(a, b);
    if (!this.#cutLinks.delete(pairKey(a, b))) return;
    this.#refresh();
    this.#ctx.log(`link between nodes ${a} and ${b} healed`);
    this.#tellAcross(a, b, 1);
  }

  /** Whether nodes `a` and `b` reach each other (a node always reaches itself). */
  linked(a: number, b: number): boolean {
    return a === b || this.#cutLinks.size === 0 ||
      !this.#cutLinks.has(pairKey(a, b));
  }

  // ---- client links ------------------------------------------------------

  /**
   * Cut the link between the client at `address` and its node (or only
   * `options.node`): its connection breaks now, and its logins to that node
   * fail with `ESTABLI_CONNECT` (-20) until {@link BusFaults.healClient}.
   */
  cutClient(
    address: { unitId: number; clientId: number },
    options: { node?: number } = {},
  ): void {
    const k = clientKey(address);
    if (options.node === undefined) this.#cutClients.set(k, null);
    else {
      const cut = this.#cutClients.get(k);
      if (cut === null) return;
      (cut ?? this.#cutClients.set(k, new Set()).get(k)!).add(options.node);
    }
    this.#refresh();
    for (const c of [...this.#ctx.conns.links()]) {
      if (
        clientKey(c.address) === k && this.clientCut(c.address, c.node.unitId)
      ) {
        this.#ctx.conns.close(c, "link to its node cut");
      }
    }
    this.#ctx.log(
      `client ${k} cut off${
        options.node === undefined ? "" : ` node ${options.node}`
      }`,
    );
  }

  /** Let the client at `address` reach every node again. */
  healClient(address: { unitId: number; clientId: number }): void {
    if (this.#cutClients.delete(clientKey(address))) {
      this.#refresh();
      this.#ctx.log(`client ${clientKey(address)} healed`);
    }
  }

  /** Whether the client at `address` is cut off node `nodeUnitId`. */
  clientCut(
    address: { unitId: number; clientId: number },
    nodeUnitId: number,
  ): boolean {
    const cut = this.#cutClients.get(clientKey(address));
    return cut === null || (cut !== undefined && cut.has(nodeUnitId));
  }

  // ---- latency and shares ------------------------------------------------

  /** Add latency to matching deliveries; returns the function that removes it. */
  latency(rule: LatencyRule): () => void {
    if (!(rule.baseMs >= 0) || !((rule.jitterMs ?? 0) >= 0)) {
      throw new RangeError("latency: baseMs and jitterMs must be >= 0");
    }
    const r = { ...rule };
    this.#latency.push(r);
    this.#refresh();
    return () => {
      this.#latency = this.#latency.filter((x) => x !== r);
      this.#refresh();
    };
  }

  /**
   * Drop a `share` (0–1) of matching deliveries (default: data packets);
   * returns the function that stops it. Dropped data is recorded with
   * reason `"dropped by fault"`.
   */
  dropShare(share: number, filter: TrafficFilter = {}): () => void {
    return this.#share(share, { kinds: ["data"], ...filter }, Infinity);
  }

  /** Delay a `share` (0–1) of matching deliveries by `delayMs` more. */
  delayShare(
    share: number,
    delayMs: number,
    filter: TrafficFilter = {},
  ): () => void {
    if (!(delayMs >= 0)) throw new RangeError("delayShare: delayMs >= 0");
    return this.#share(share, filter, delayMs);
  }

  // ---- IPSC flows --------------------------------------------------------

  /**
   * Make the flows of the IPSC at (`unitId`, `processIndex`) misbehave
   * (`null`: behave again). `late` answers `lateByMs` (default 1) after the
   * caller's timeout.
   */
  flows(
    ipsc: { unitId: number; processIndex: number },
    fault: FlowFault | null,
    lateByMs = 1,
  ): void {
    const member = this.#ctx.ipscAt(ipsc);
    if (!member) {
      throw new Error(`no mock IPSC ${ipsc.unitId}/${ipsc.processIndex}`);
    }
    member.setFlowFault(fault, lateByMs);
  }

  /**
   * End every fault: heal every link and client, drop every latency and
   * share rule, let every IPSC's flows behave. (Stopped nodes and crashed
   * IPSCs stay down: start and restart them.)
   */
  healAll(): void {
    for (const k of [...this.#cutLinks]) {
      const [a, b] = k.split("-").map(Number);
      this.healLink(a, b);
    }
    this.#cutClients.clear();
    this.#latency = [];
    this.#shares = [];
    this.#refresh();
    for (const i of this.#ctx.ipscs) i.setFlowFault(null);
  }

  /** Forget every fault without telling anyone (the bus is being reset). */
  clear(): void {
    this.#cutLinks.clear();
    this.#cutClients.clear();
    this.#latency = [];
    this.#shares = [];
    this.#refresh();
  }

  // ---- used by the bus ---------------------------------------------------

  /**
   * The verdict for one delivery posted now, from the node `srcNode`
   * (undefined when unknown) to `to`. Draws from the PRNG only when a rule
   * matches, so runs without rules draw nothing.
   *
   * @internal
   */
  verdict(
    src: BusAddress,
    srcNode: number | undefined,
    to: Conn,
    kind: TrafficKind,
  ): Verdict {
    let delayMs = 0;
    for (const r of this.#latency) {
      if (!this.#matches(r, src, to.address, kind, true)) continue;
      const jitter = r.jitterMs ?? 0;
      delayMs += r.baseMs + (jitter > 0 ? this.#random() * jitter : 0);
    }
    for (const r of this.#shares) {
      if (!this.#matches(r.filter, src, to.address, kind, false)) continue;
      if (this.#random() >= r.share) continue;
      if (r.delayMs === Infinity) return { delayMs, drop: "dropped by fault" };
      delayMs += r.delayMs;
    }
    const cut = this.cutBetween(srcNode, to);
    return cut ? { delayMs, drop: cut } : { delayMs };
  }

  /**
   * Why a delivery from node `srcNode` to `to` cannot pass now (undefined: it can).
   *
   * @internal
   */
  cutBetween(srcNode: number | undefined, to: Conn): string | undefined {
    if (srcNode === undefined || this.linked(srcNode, to.node.unitId)) {
      return undefined;
    }
    return "link cut";
  }

  // ---- internals ---------------------------------------------------------

  #share(share: number, filter: TrafficFilter, delayMs: number): () => void {
    if (!(share >= 0 && share <= 1)) {
      throw new RangeError(`share must be 0–1, got ${share}`);
    }
    const r: ShareRule = { share, filter: { ...filter }, delayMs };
    this.#shares.push(r);
    this.#refresh();
    return () => {
      this.#shares = this.#shares.filter((x) => x !== r);
      this.#refresh();
    };
  }

  /** Tell the bus whether any rule is on: it reads that per delivery. */
  #refresh(): void {
    this.#ctx.faultsActive = this.#cutLinks.size > 0 ||
      this.#cutClients.size > 0 || this.#latency.length > 0 ||
      this.#shares.length > 0;
  }

  #matches(
    f: TrafficFilter,
    src: BusAddress,
    dst: BusAddress,
    kind: TrafficKind,
    anyKind: boolean,
  ): boolean {
    const kinds = f.kinds ?? (anyKind ? undefined : ["data"]);
    return (kinds === undefined || kinds.includes(kind)) &&
      addressMatches(src, f.from) && addressMatches(dst, f.to);
  }

  #checkPair(a: number, b: number): void {
    const nodes = this.#ctx.nodes;
    if (a === b || !nodes.has(a) || !nodes.has(b)) {
      throw new RangeError(`cannot cut/heal nodes ${a} and ${b}`);
    }
  }

  /** Tell each side of the a–b link about the other side's node and clients. */
  #tellAcross(a: number, b: number, status: 0 | 1): void {
    const conns = [...this.#ctx.conns.values()];
    for (const [here, there] of [[a, b], [b, a]]) {
      const mine = conns.filter((c) => c.node.unitId === here);
      const theirs = conns.filter((c) => c.node.unitId === there);
      for (const to of mine) {
        const node = this.#ctx.nodes.get(there);
        if (node?.running) this.#ctx.conns.tellNode(node, to, status);
        for (const about of theirs) this.#ctx.conns.tellConn(about, to, status);
      }
    }
    this.#ctx.log(
      `${status ? "re" : "un"}announced across ${a}–${b}: ${
        conns.map((c) => formatAddress(c.address)).join(", ") || "nobody"
      }`,
    );
  }
}

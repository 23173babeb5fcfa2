/**
 * What a served mock bus sees of each TCP client, by client address:
 * logins, data and pings sent and received (count and payload bytes),
 * flows called, acknowledged, refused, answered and left unanswered,
 * notifications, and for an IPSC the flows it served. {@link tapAttach}
 * (`presence.ts`) bumps the counters of {@link ServedClient} as traffic
 * passes; `GET /api/v1/clients/stats` and the inspector read them.
 *
 * Bounded: at most {@link MAX_SERVED_CLIENTS} addresses are followed (a
 * new one takes the place of the one that left longest ago), and at most
 * {@link MAX_OPEN_FLOWS} flow calls awaiting a result are followed across
 * clients, one map entry each, to tell answered from unanswered. A message
 * costs a few counter increments and allocates nothing.
 *
 * @module
 */
import {
  CmdType,
  FLOW_ACK_OK,
  InvokeMode,
  SystemCmd,
} from "../../abi/constants.ts";
import { libraryFlowTimeoutMs } from "../../abi/timeouts.ts";
import { copyAddress } from "../bus/address.ts";
import type { BusAddress, HeadFields } from "../bus/contract.ts";

/** Client addresses followed at most; the one that left longest ago makes room. */
export const MAX_SERVED_CLIENTS = 1024;
/** Flow calls awaiting their result followed at most, all clients together. */
export const MAX_OPEN_FLOWS = 65_536;
/**
 * Least bus time between two sweeps for expired calls made because the
 * open-call budget is full (reads sweep every time).
 */
const SWEEP_EVERY_MS = 100;

/** A count of messages and their payload bytes. */
export interface ServedTraffic {
  /** Messages. */
  count: number;
  /** Their payload bytes (data, a ping's token), as the client sent or got them. */
  bytes: number;
}

/**
 * One TCP client as the served bus saw it, at one address (unit, client,
 * type), over every login there. Field by field: `docs/control-api.md`.
 *
 * @example
 * ```ts
 * import type { ServedClientStats } from "@smartbus/netclient/mock";
 * const lost = (c: ServedClientStats) => c.flows.unanswered + c.flows.refused;
 * ```
 */
export interface ServedClientStats {
  /** The client's address. */
  address: BusAddress;
  /** Whether it is logged in now. */
  connected: boolean;
  /** The node its traffic goes through: its first link still open (after it left, its last). */
  node: number;
  /** Logins at this address. */
  connects: number;
  /** Connections at this address that ended (closed, kicked, cut, left). */
  disconnects: number;
  /** Bus time of its first login followed. */
  firstConnectAt: number;
  /** Bus time of its last login. */
  lastConnectAt: number;
  /** Bus time its last connection ended (null while it never ended). */
  lastDisconnectAt: number | null;
  /** Data it sent the bus took, data the bus delivered to it, data the bus refused (a bad destination). */
  data: { sent: ServedTraffic; received: ServedTraffic; errors: number };
  /** Pings it sent the bus took, answers delivered to it, pings the bus refused. */
  pings: { sent: ServedTraffic; received: ServedTraffic; errors: number };
  /**
   * Flows it called: `called` (the bus took the call), `acknowledged` (ack
   * 1), `refused` (an ack other than 1), `answered` (a result within the
   * library's deadline), `unanswered` (a call wanting a result that had
   * none by then, or whose client left first), `open` (awaiting a result
   * now), `untracked` (calls wanting a result past {@link MAX_OPEN_FLOWS},
   * neither answered nor unanswered), `errors` (calls the bus refused).
   */
  flows: {
    called: number;
    acknowledged: number;
    refused: number;
    answered: number;
    unanswered: number;
    open: number;
    untracked: number;
    errors: number;
  };
  /** Notifications it sent the bus took, and those the bus refused. */
  notifications: { sent: number; errors: number };
  /**
   * For an IPSC: flow calls and notifications the bus handed it, and the
   * acknowledges and results it sent back.
   */
  served: {
    flows: number;
    notifications: number;
    acks: number;
    results: number;
  };
}

/**
 * `GET /api/v1/clients/stats`: every client address followed, in the
 * order of their last login.
 *
 * @example
 * ```ts
 * import { MockControl } from "@smartbus/netclient/mock";
 * import type { ServedClientsReport } from "./served_clients.ts";
 * const control = new MockControl("http://127.0.0.1:9000");
 * const report: ServedClientsReport = await control.clientStats();
 * for (const c of report.clients) console.log(c.address, c.flows.unanswered);
 * ```
 */
export interface ServedClientsReport {
  /** Bus time of the reading. */
  time: number;
  /** Addresses followed at most ({@link MAX_SERVED_CLIENTS}). */
  maxClients: number;
  /** Logins not followed: every address followed was connected. */
  untrackedLogins: number;
  /** Flow calls awaiting a result followed now, and at most ({@link MAX_OPEN_FLOWS}). */
  openFlows: { tracked: number; max: number };
  /** One entry per address. */
  clients: ServedClientStats[];
}

const traffic = (): ServedTraffic => ({ count: 0, bytes: 0 });

/** The shared budget and clock of a registry's clients. */
interface Budget {
  readonly clock: { now(): number };
  /** Open calls followed, all clients together. */
  open: number;
  /** Bus time of the last sweep made because the budget was full. */
  sweptAt: number;
  /** Sweep every client's expired calls. */
  sweep(now: number): void;
}

/**
 * The counters of one client address (see {@link ServedClientStats}); the
 * tap calls one method per event.
 *
 * @example
 * ```ts
 * import { type ServedClient, ServedClients } from "./served_clients.ts";
 * const clients = new ServedClients({ now: () => 0 });
 * const c: ServedClient = clients.login({ unitId: 20, clientId: 1, clientType: 4 }, 0);
 * c.sentData(5, 0);
 * console.log(clients.report().clients[0].data.sent); // { count: 1, bytes: 5 }
 * ```
 */
export class ServedClient {
  /** What the API shows (`flows.open` is filled in when read). */
  readonly stats: ServedClientStats;
  #budget: Budget;
  /** Invoke id → the bus time its result is due by, for calls awaiting one. */
  #open = new Map<number, number>();
  /**
   * The nodes of its connections open now, in login order: the vendor's
   * library holds a master and a slave link at once, and the first one
   * still open carries its traffic (a new login may also come before the
   * old one's end).
   */
  #links: number[] = [];

  /** A client at `address`, followed within `budget`. */
  constructor(address: BusAddress, node: number, budget: Budget) {
    this.#budget = budget;
    const now = budget.clock.now();
    this.stats = {
      address: copyAddress(address),
      connected: false,
      node,
      connects: 0,
      disconnects: 0,
      firstConnectAt: now,
      lastConnectAt: now,
      lastDisconnectAt: null,
      data: { sent: traffic(), received: traffic(), errors: 0 },
      pings: { sent: traffic(), received: traffic(), errors: 0 },
      flows: {
        called: 0,
        acknowledged: 0,
        refused: 0,
        answered: 0,
        unanswered: 0,
        open: 0,
        untracked: 0,
        errors: 0,
      },
      notifications: { sent: 0, errors: 0 },
      served: { flows: 0, notifications: 0, acks: 0, results: 0 },
    };
  }

  /** It logged in at `node`. */
  connected(node: number): void {
    const s = this.stats;
    this.#links.push(node);
    s.connected = true;
    s.node = this.#links[0];
    s.lastConnectAt = this.#budget.clock.now();
    if (s.connects++ === 0) s.firstConnectAt = s.lastConnectAt;
  }

  /**
   * Its connection at `node` ended. With none left, calls still awaiting a
   * result are unanswered; with its other link open, that link goes on
   * (the bus hands it the results).
   */
  left(node: number): void {
    const s = this.stats;
    const at = this.#links.indexOf(node);
    if (at < 0) return;
    this.#links.splice(at, 1);
    s.connected = this.#links.length > 0;
    s.node = this.#links[0] ?? node;
    s.disconnects++;
    s.lastDisconnectAt = this.#budget.clock.now();
    if (!s.connected) this.#forgetOpen();
  }

  /** It sent `bytes` of data; the bus answered `rc` (0: taken). */
  sentData(bytes: number, rc: number): void {
    const d = this.stats.data;
    if (rc !== 0) d.errors++;
    else {
      d.sent.count++;
      d.sent.bytes += bytes;
    }
  }

  /** It sent a ping of `bytes`; the bus answered `rc`. */
  sentPing(bytes: number, rc: number): void {
    const p = this.stats.pings;
    if (rc !== 0) p.errors++;
    else {
      p.sent.count++;
      p.sent.bytes += bytes;
    }
  }

  /** The bus delivered data to it: a ping's answer (cmd 8, cmdtype 1) or data. */
  received(head: HeadFields, bytes: number): void {
    const isAnswer = head.cmd === SystemCmd.PING_ANSWER &&
      head.cmdType === CmdType.SYSTEM;
    const t = isAnswer ? this.stats.pings.received : this.stats.data.received;
    t.count++;
    t.bytes += bytes;
  }

  /** It called a flow (`mode`, `timeoutMs` as sent); the bus answered `rc`. */
  called(invokeId: number, mode: number, timeoutMs: number, rc: number): void {
    const f = this.stats.flows;
    if (rc !== 0) {
      f.errors++;
      return;
    }
    f.called++;
    if (mode !== InvokeMode.WANT_RESULT) return;
    const b = this.#budget;
    const now = b.clock.now();
    if (b.open >= MAX_OPEN_FLOWS && now - b.sweptAt >= SWEEP_EVERY_MS) {
      b.sweptAt = now;
      b.sweep(now);
    }
    if (b.open >= MAX_OPEN_FLOWS || this.#open.has(invokeId)) {
      // Past the budget, or an invoke id still open: not followed.
      f.untracked++;
      return;
    }
    this.#open.set(invokeId, now + libraryFlowTimeoutMs(timeoutMs));
    b.open++;
  }

  /** The IPSC acknowledged one of its calls with `ack`. */
  acknowledged(invokeId: number, ack: number): void {
    const f = this.stats.flows;
    if (ack === FLOW_ACK_OK) {
      f.acknowledged++;
      return;
    }
    f.refused++;
    if (this.#open.delete(invokeId)) this.#budget.open--;
  }

  /** A result of one of its calls reached it (the wire carries only ret 1). */
  answered(invokeId: number): void {
    const due = this.#open.get(invokeId);
    if (due === undefined) return; // not followed, or already unanswered
    this.#open.delete(invokeId);
    this.#budget.open--;
    const f = this.stats.flows;
    if (this.#budget.clock.now() < due) f.answered++;
    else f.unanswered++;
  }

  /** It sent a notification; the bus answered `rc`. */
  notified(rc: number): void {
    if (rc !== 0) this.stats.notifications.errors++;
    else this.stats.notifications.sent++;
  }

  /** An IPSC: the bus handed it a flow call (`flow`) or a notification. */
  served(what: "flow" | "notify"): void {
    if (what === "flow") this.stats.served.flows++;
    else this.stats.served.notifications++;
  }

  /** An IPSC sent an acknowledge (`ack`) or a result; the bus answered `rc`. */
  sentAnswer(what: "ack" | "result", rc: number): void {
    if (rc !== 0) return;
    if (what === "ack") this.stats.served.acks++;
    else this.stats.served.results++;
  }

  /** Calls whose deadline passed by `now` become unanswered. */
  sweep(now: number): void {
    for (const [id, due] of this.#open) {
      if (due > now) continue;
      this.#open.delete(id);
      this.#budget.open--;
      this.stats.flows.unanswered++;
    }
  }

  /** A copy of the figures as of `now`. */
  read(now: number): ServedClientStats {
    this.sweep(now);
    const s = this.stats;
    return {
      ...s,
      address: copyAddress(s.address),
      data: {
        sent: { ...s.data.sent },
        received: { ...s.data.received },
        errors: s.data.errors,
      },
      pings: {
        sent: { ...s.pings.sent },
        received: { ...s.pings.received },
        errors: s.pings.errors,
      },
      flows: { ...s.flows, open: this.#open.size },
      notifications: { ...s.notifications },
      served: { ...s.served },
    };
  }

  /** Zero every count (the login state stays). */
  zero(): void {
    this.#forgetOpen(false);
    const s = this.stats;
    const fresh = new ServedClient(s.address, s.node, this.#budget).stats;
    Object.assign(s, {
      ...fresh,
      connected: s.connected,
      connects: this.#links.length,
    });
  }

  #forgetOpen(unanswered = true): void {
    if (unanswered) this.stats.flows.unanswered += this.#open.size;
    this.#budget.open -= this.#open.size;
    this.#open.clear();
  }
}

const key = (a: BusAddress): number =>
  ((a.unitId & 0xffff) * 0x10000 + (a.clientId & 0xffff)) * 0x100 +
  (a.clientType & 0xff);

/**
 * Every client address a served bus followed (see the module doc).
 *
 * @example
 * ```ts
 * import { ServedClients } from "./served_clients.ts";
 * const clients = new ServedClients({ now: () => 0 });
 * clients.login({ unitId: 20, clientId: 1, clientType: 4 }, 0).left(0);
 * console.log(clients.report().clients[0].disconnects); // 1
 * ```
 */
export class ServedClients {
  #byAddress = new Map<number, ServedClient>();
  #untracked = 0;
  #budget: Budget;

  /** Clients stamped with `clock`'s times. */
  constructor(clock: { now(): number }) {
    this.#budget = {
      clock,
      open: 0,
      sweptAt: -Infinity,
      sweep: (now) => {
        for (const c of this.#byAddress.values()) c.sweep(now);
      },
    };
  }

  /**
   * A login at `address` on `node`: its entry, moved last. Past
   * {@link MAX_SERVED_CLIENTS}, the entry that left longest ago goes; when
   * every entry is connected, the login gets an entry nobody reads.
   */
  login(address: BusAddress, node: number): ServedClient {
    const k = key(address);
    let c = this.#byAddress.get(k);
    if (c !== undefined) {
      this.#byAddress.delete(k);
    } else {
      if (this.#byAddress.size >= MAX_SERVED_CLIENTS && !this.#evict()) {
        this.#untracked++;
        const loose = new ServedClient(address, node, this.#budget);
        loose.connected(node);
        return loose;
      }
      c = new ServedClient(address, node, this.#budget);
    }
    this.#byAddress.set(k, c);
    c.connected(node);
    return c;
  }

  /** Drop the entry that left longest ago (entries are in login order). */
  #evict(): boolean {
    let oldest: [number, ServedClient] | undefined;
    for (const e of this.#byAddress) {
      const at = e[1].stats.lastDisconnectAt;
      if (e[1].stats.connected || at === null) continue;
      if (!oldest || at < oldest[1].stats.lastDisconnectAt!) oldest = e;
    }
    if (!oldest) return false;
    this.#byAddress.delete(oldest[0]);
    return true;
  }

  /** The figures of every address followed, as of now. */
  report(): ServedClientsReport {
    const now = this.#budget.clock.now();
    const clients = [...this.#byAddress.values()].map((c) => c.read(now));
    return {
      time: now,
      maxClients: MAX_SERVED_CLIENTS,
      untrackedLogins: this.#untracked,
      openFlows: { tracked: this.#budget.open, max: MAX_OPEN_FLOWS },
      clients,
    };
  }

  /** Back to none: entries that left go, connected ones start from zero. */
  reset(): void {
    for (const [k, c] of this.#byAddress) {
      if (c.stats.connected) c.zero();
      else this.#byAddress.delete(k);
    }
    this.#untracked = 0;
  }
}

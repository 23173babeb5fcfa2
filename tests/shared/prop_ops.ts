/**
 * Operations for the property suites: what fast-check generates (traffic,
 * time, faults) and how each one is applied to a {@link MockWorld}. Each suite
 * picks the kinds it wants with {@link opsArb}.
 */
import fc from "fast-check";
import {
  type FlowName,
  FLOWS,
  type MockWorld,
  RECONNECT_MS,
} from "./prop_world.ts";

export type Op =
  | { op: "invoke"; c: number; flow: FlowName; timeout: number; sleep: number }
  | { op: "send"; from: number; to: number }
  /** `rtt()` to another client, or `connect()` on a started one (`to` absent). */
  | { op: "await"; c: number; to?: number; timeout: number }
  | { op: "advance"; ms: number }
  | { op: "stop"; node: number }
  | { op: "start"; node: number }
  | { op: "kick"; c: number }
  | { op: "cutClient"; c: number; node?: number }
  | { op: "healClient"; c: number }
  | { op: "cutLink" }
  | { op: "healLink" }
  | { op: "latency"; base: number; jitter: number }
  | { op: "noLatency" }
  | { op: "drop"; share: number }
  | { op: "noDrop" }
  | { op: "crash" }
  | { op: "restart" }
  | { op: "ipscFault"; mode: "silent" | "late" | "mute" | null }
  /** Close the last unit for good: its clients leave the bus. */
  | { op: "closeUnit" };

export type OpKind = Op["op"];

/** Longest flow timeout and flow sleep the suites generate, ms. */
export const MAX_TIMEOUT_MS = 3000;
export const MAX_SLEEP_MS = 3000;

/** An arbitrary sequence of the op kinds in `kinds` for `clients` clients. */
export function opsArb(
  clients: number,
  kinds: OpKind[],
  maxLength = 30,
): fc.Arbitrary<Op[]> {
  const c = fc.integer({ min: 0, max: clients - 1 });
  const node = fc.integer({ min: 0, max: 1 });
  const all: Record<OpKind, fc.Arbitrary<Op>> = {
    invoke: fc.record({
      op: fc.constant("invoke" as const),
      c,
      flow: fc.constantFrom(...FLOWS),
      timeout: fc.integer({ min: 100, max: MAX_TIMEOUT_MS }),
      sleep: fc.integer({ min: 0, max: MAX_SLEEP_MS }),
      // Boundaries matter: an answer just before, at or just after the timeout.
      near: fc.option(fc.integer({ min: -2, max: 2 }), { freq: 3 }),
    }).map(({ near, ...o }): Op =>
      near === null ? o : { ...o, sleep: Math.max(0, o.timeout + near) }
    ),
    await: fc.record({
      op: fc.constant("await" as const),
      c,
      to: c,
      timeout: fc.integer({ min: 1, max: MAX_TIMEOUT_MS }),
    }, { requiredKeys: ["op", "c", "timeout"] }).filter((o) => o.c !== o.to),
    send: fc.record({ op: fc.constant("send" as const), from: c, to: c })
      .filter((o) => o.from !== o.to),
    advance: fc.record({
      op: fc.constant("advance" as const),
      // Boundaries matter: a reconnect is due exactly one interval after a break.
      ms: fc.oneof(
        fc.integer({ min: 1, max: 2 * RECONNECT_MS + 500 }),
        fc.constantFrom(1, RECONNECT_MS - 1, RECONNECT_MS),
      ),
    }),
    stop: fc.record({ op: fc.constant("stop" as const), node }),
    start: fc.record({ op: fc.constant("start" as const), node }),
    kick: fc.record({ op: fc.constant("kick" as const), c }),
    cutClient: fc.record(
      { op: fc.constant("cutClient" as const), c, node },
      { requiredKeys: ["op", "c"] },
    ),
    healClient: fc.record({ op: fc.constant("healClient" as const), c }),
    cutLink: fc.constant({ op: "cutLink" as const }),
    healLink: fc.constant({ op: "healLink" as const }),
    latency: fc.record({
      op: fc.constant("latency" as const),
      base: fc.integer({ min: 0, max: 50 }),
      jitter: fc.integer({ min: 0, max: 200 }),
    }),
    noLatency: fc.constant({ op: "noLatency" as const }),
    drop: fc.record({
      op: fc.constant("drop" as const),
      share: fc.double({ min: 0, max: 0.5, noNaN: true }),
    }),
    noDrop: fc.constant({ op: "noDrop" as const }),
    crash: fc.constant({ op: "crash" as const }),
    restart: fc.constant({ op: "restart" as const }),
    closeUnit: fc.constant({ op: "closeUnit" as const }),
    ipscFault: fc.record({
      op: fc.constant("ipscFault" as const),
      mode: fc.constantFrom(
        "silent" as const,
        "late" as const,
        "mute" as const,
        null,
      ),
    }),
  };
  return fc.array(fc.oneof(...kinds.map((k) => all[k])), {
    maxLength,
    size: "max",
  });
}

/** Undo handles of the rules an op added, so `noLatency`/`noDrop` can remove them. */
interface Undo {
  latency: (() => void)[];
  drop: (() => void)[];
}
const undos = new WeakMap<MockWorld, Undo>();

const sameUnit = (w: MockWorld, a: number, b: number): boolean =>
  w.clients[a].unitId === w.clients[b].unitId;

/** Apply one op to `w` (advances settle the virtual clock; others only flush). */
export async function applyOp(w: MockWorld, o: Op): Promise<void> {
  const u = undos.get(w) ?? { latency: [], drop: [] };
  undos.set(w, u);
  const addr = (i: number) => ({
    unitId: w.clients[i].unitId,
    clientId: w.clients[i].id,
  });
  switch (o.op) {
    case "invoke":
      w.invoke(o.c, o.flow, o.timeout, o.sleep);
      break;
    // The library sends nothing to its own unit: such pairs are input
    // errors (tested in the input cases), not traffic to model.
    case "send":
      if (sameUnit(w, o.from, o.to)) return;
      w.send(o.from, o.to);
      break;
    case "await":
      if (o.to !== undefined && sameUnit(w, o.c, o.to)) return;
      w.await(o.c, o.to, o.timeout);
      break;
    case "advance":
      await w.clock.advance(o.ms);
      return;
    case "stop":
      w.bus.stopNode(o.node);
      break;
    case "start":
      w.bus.startNode(o.node);
      break;
    case "kick":
      w.bus.kick(addr(o.c));
      break;
    case "cutClient":
      w.bus.faults.cutClient(
        addr(o.c),
        o.node === undefined ? {} : { node: o.node },
      );
      break;
    case "healClient":
      w.bus.faults.healClient(addr(o.c));
      break;
    case "cutLink":
      w.bus.faults.cutLink(0, 1);
      break;
    case "healLink":
      w.bus.faults.healLink(0, 1);
      break;
    case "latency":
      u.latency.push(
        w.bus.faults.latency({ baseMs: o.base, jitterMs: o.jitter }),
      );
      break;
    case "noLatency":
      for (const f of u.latency.splice(0)) f();
      break;
    case "drop":
      u.drop.push(w.bus.faults.dropShare(o.share));
      break;
    case "noDrop":
      for (const f of u.drop.splice(0)) f();
      break;
    case "crash":
      w.ipsc.crash();
      break;
    case "restart":
      w.ipsc.restart();
      break;
    case "ipscFault":
      w.bus.faults.flows(w.ipsc, o.mode);
      break;
    case "closeUnit":
      w.units[w.units.length - 1].close();
      break;
  }
  await w.clock.flush();
}

/**
 * End every fault (nodes up, links healed, IPSC back and behaving) and let
 * enough bus time pass for every reconnect, flow timeout, grace timer and
 * delayed delivery to run out.
 */
export async function healAndDrain(w: MockWorld): Promise<void> {
  w.bus.faults.healAll();
  w.bus.faults.flows(w.ipsc, null);
  w.bus.startNode(0);
  w.bus.startNode(1);
  if (!w.ipsc.connected) w.ipsc.restart();
  await w.clock.flush();
  // Reconnects (2 rounds) + longest flow timeout + the API's 2 s grace + slowest flow.
  await w.clock.advance(
    2 * RECONNECT_MS + MAX_TIMEOUT_MS + 2000 + MAX_SLEEP_MS + 1000,
  );
}

/** The ops as one line each, for failure messages. */
export function describeOps(ops: Op[]): string {
  return ops.map((o) => JSON.stringify(o)).join("\n");
}

/**
 * The fault routes of the control API (`/api/v1/faults/...`,
 * `/api/v1/nodes/{unit}/stop|start`, `/api/v1/clients/kick`), over a
 * {@link FaultBook}.
 *
 * @module
 */
import type { MockBus } from "../mock_bus.ts";
import type { TrafficKind } from "../bus/fault_policy.ts";
import type { FaultBook, IpscMode } from "./fault_book.ts";
import { checkInt, isObject, refuseWith } from "./body_checks.ts";
import { ControlHttpError, type Route } from "./http.ts";

/** What the fault routes drive. */
export interface FaultParts {
  /** The bus. */
  bus: MockBus;
  /** Its faults. */
  faults: FaultBook;
  /** Something changed that the page shows. */
  changed(): void;
}

const bad: (message: string) => never = refuseWith((message) =>
  new ControlHttpError(400, "invalid_argument", message)
);

function obj(v: unknown): Record<string, unknown> {
  if (v === undefined) return {};
  return isObject(v) ? v : bad("the body must be a JSON object");
}

function int(
  b: Record<string, unknown>,
  k: string,
  lo: number,
  hi: number,
  optional = false,
): number {
  if (b[k] === undefined && optional) return NaN;
  return checkInt(b[k], k, lo, hi, bad);
}

function num(b: Record<string, unknown>, k: string, lo: number, hi: number) {
  const v = b[k];
  if (typeof v !== "number" || !(v >= lo && v <= hi)) {
    bad(`${k} must be a number ${lo}–${hi}, got ${JSON.stringify(v)}`);
  }
  return v as number;
}

function filterOf(b: Record<string, unknown>): {
  from?: Record<string, number>;
  to?: Record<string, number>;
  kinds?: TrafficKind[];
} {
  const out: ReturnType<typeof filterOf> = {};
  for (const side of ["from", "to"] as const) {
    if (b[side] === undefined) continue;
    const a = obj(b[side]);
    for (const k of Object.keys(a)) {
      if (!["unitId", "clientId", "clientType"].includes(k)) {
        bad(`${side}: unknown field ${k}`);
      }
      int(a, k, -1, 255);
    }
    out[side] = a as Record<string, number>;
  }
  if (b.kinds !== undefined) {
    const kinds = b.kinds;
    if (
      !Array.isArray(kinds) ||
      !kinds.every((k) => ["data", "ping", "flow", "event"].includes(k))
    ) bad("kinds must be a list of data, ping, flow, event");
    out.kinds = kinds as TrafficKind[];
  }
  return out;
}

// Decimal digits only: Number() would take " ", "1e0", "0x1" and "-0".
function nodeOf(bus: MockBus, text: string): number {
  if (!/^(?:[0-9]|1[0-5])$/.test(text)) {
    bad(`the node must be a decimal number 0–15, got ${JSON.stringify(text)}`);
  }
  const unit = Number(text);
  if (!bus.nodes().some((n) => n.unitId === unit)) {
    throw new ControlHttpError(404, "not_found", `no node ${unit} on the bus`);
  }
  return unit;
}

/** The fault routes under `prefix`; `done` answers 200 and tells the page. */
export function faultRoutes(
  p: FaultParts,
  done: () => { status: number; body: unknown },
  A = "/api/v1",
): Route[] {
  return [
    {
      method: "GET",
      path: `${A}/faults`,
      run: () => ({ status: 200, body: p.faults.state() }),
    },
    {
      method: "POST",
      path: `${A}/faults/heal-all`,
      run: () => (p.faults.healAll(), done()),
    },
    {
      method: "POST",
      path: `${A}/nodes/:unit/stop`,
      run: (c) => (p.faults.stopNode(nodeOf(p.bus, c.params.unit)), done()),
    },
    {
      method: "POST",
      path: `${A}/nodes/:unit/start`,
      run: (c) => (p.faults.startNode(nodeOf(p.bus, c.params.unit)), done()),
    },
    ...(["cut", "heal"] as const).map((verb) => ({
      method: "POST",
      path: `${A}/faults/links/${verb}`,
      run: async (c: { body(): Promise<unknown> }) => {
        const b = obj(await c.body());
        const [x, y] = [int(b, "a", 0, 15), int(b, "b", 0, 15)];
        if (verb === "cut") p.faults.cutLink(x, y);
        else p.faults.healLink(x, y);
        return done();
      },
    })),
    {
      method: "POST",
      path: `${A}/faults/clients/cut`,
      run: async (c) => {
        const b = obj(await c.body());
        const node = int(b, "node", 0, 15, true);
        p.faults.cutClient({
          unitId: int(b, "unitId", 0, 255),
          clientId: int(b, "clientId", -1, 255),
          ...(Number.isNaN(node) ? {} : { node }),
        });
        return done();
      },
    },
    {
      method: "POST",
      path: `${A}/faults/clients/heal`,
      run: async (c) => {
        const b = obj(await c.body());
        p.faults.healClient({
          unitId: int(b, "unitId", 0, 255),
          clientId: int(b, "clientId", -1, 255),
        });
        return done();
      },
    },
    {
      method: "POST",
      path: `${A}/clients/kick`,
      run: async (c) => {
        const b = obj(await c.body());
        const a = {
          unitId: int(b, "unitId", 0, 255),
          clientId: int(b, "clientId", -1, 255),
        };
        if (!p.bus.kick(a, "kicked by the control API")) {
          throw new ControlHttpError(
            404,
            "not_found",
            `no client ${a.unitId}:${a.clientId}`,
          );
        }
        return done();
      },
    },
    {
      method: "POST",
      path: `${A}/faults/latency`,
      run: async (c) => {
        const b = obj(await c.body());
        const rule = {
          baseMs: num(b, "baseMs", 0, 600_000),
          ...(b.jitterMs === undefined
            ? {}
            : { jitterMs: num(b, "jitterMs", 0, 600_000) }),
          ...filterOf(b),
        };
        const id = p.faults.latency(rule);
        p.changed();
        return { status: 201, body: { id } };
      },
    },
    {
      method: "POST",
      path: `${A}/faults/drops`,
      run: async (c) => {
        const b = obj(await c.body());
        const id = p.faults.drops({
          share: num(b, "share", 0, 1),
          ...filterOf(b),
        });
        p.changed();
        return { status: 201, body: { id } };
      },
    },
    {
      method: "DELETE",
      path: `${A}/faults/rules/:id`,
      run: (c) => {
        if (!p.faults.removeRule(c.params.id)) {
          throw new ControlHttpError(
            404,
            "not_found",
            `no rule ${c.params.id}`,
          );
        }
        p.changed();
        return { status: 204 };
      },
    },
    {
      method: "POST",
      path: `${A}/faults/ipsc`,
      run: async (c) => {
        const b = obj(await c.body());
        const first = p.bus.ipscs()[0];
        const mode = b.mode as IpscMode;
        if (!["late", "silent", "mute", "crashed", "normal"].includes(mode)) {
          bad("mode must be late, silent, mute, crashed or normal");
        }
        const unitId = b.unitId === undefined
          ? first?.unitId
          : int(b, "unitId", 0, 255);
        const proc = b.processIndex === undefined
          ? first?.processIndex
          : int(b, "processIndex", 0, 255);
        if (unitId === undefined || proc === undefined) {
          bad("the bus has no mock IPSC");
        }
        const late = b.lateByMs === undefined
          ? 1
          : int(b, "lateByMs", 0, 3_600_000);
        p.faults.ipsc(unitId!, proc!, mode, late);
        return done();
      },
    },
  ];
}

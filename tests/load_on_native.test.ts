/**
 * Load, smaller and over TCP, in real time: the native stand-in library
 * (16 clients of unit 17, through the runtime's FFI backend) and 7
 * in-memory units × 16 clients share one bus served on loopback, send each
 * other data in rounds and call flows, while node 0 — where everyone sits —
 * stops (everyone fails over, silently, to its slave link at node 1) and starts again. Between rounds
 * the test waits until every message sent is accounted for, so nothing is
 * in flight when the node stops. Asserted: every send that did not throw
 * arrives exactly once, every flow call resolves, no unhandled rejection,
 * and only the IPSC is left on the bus after closing.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import process from "node:process";
import {
  Client,
  ClientType,
  FlowTimeoutError,
  silentLogger,
  SmartBus,
} from "../mod.ts";
import { MockBackend, type RealClock } from "../src/mock/mod.ts";
import { nativeEnv, STANDIN_PATH } from "./shared/native_env.ts";
import { exportStandinEnv } from "./shared/prop_native_world.ts";

const runtime = "Deno" in globalThis
  ? "deno"
  : "Bun" in globalThis
  ? "bun"
  : undefined;
const skip = runtime === undefined
  ? "needs Deno or Bun"
  : !existsSync(STANDIN_PATH)
  ? `no stand-in at ${STANDIN_PATH} (run scripts/build_native.sh)`
  : false;
const MOCK_UNITS = 7;
const PER_UNIT = 16;

interface Member {
  client: Client;
  unitId: number;
  id: number;
  got: Map<string, number>;
}

async function until(
  cond: () => boolean,
  ms: number,
  what: string,
): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("load - over TCP", () => {
  test(
    "load - the stand-in's 16 clients and 7 × 16 in-memory clients through a node restart",
    {
      skip,
      timeout: 60_000,
    },
    async () => {
      const rejections: unknown[] = [];
      const onRejection = (e: unknown) => void rejections.push(e);
      process.on("unhandledRejection", onRejection);
      const env = await nativeEnv(runtime!)();
      await exportStandinEnv();
      env.ipsc.flow("load", "echo", ([v]) => [v]);
      const units: SmartBus[] = [];
      const members: Member[] = [];
      try {
        units.push(new SmartBus({ unitId: 17, ...env.unitOptions() }));
        const clock = env.bus.clock as RealClock;
        for (let u = 0; u < MOCK_UNITS; u++) {
          units.push(
            new SmartBus({
              unitId: 20 + u,
              backend: new MockBackend(env.bus, {
                reconnectIntervalMs: env.reconnectMs,
              }),
              timers: clock,
              logger: silentLogger,
            }),
          );
        }
        // Which clients' libraries have read their master link's close: a
        // failover to the registered slave is silent (no event), and what
        // is sent before that read goes down the closed link.
        const masterBroke = new Set<string>();
        for (const unit of units) {
          unit.on("trace", (line) => {
            const m = /client (\d+): link 0# .*broke/.exec(line);
            if (m) masterBroke.add(`${unit.unitId}/${m[1]}`);
          });
        }
        for (const unit of units) {
          // The stand-in dials the TCP front; in-memory units dial the bus's nodes.
          const [master, slave] = unit.unitId === 17
            ? [env.master, env.slave]
            : env.bus.nodes().slice(0, 2);
          for (let id = 0; id < PER_UNIT; id++) {
            const client = new Client({
              bus: unit,
              localClientId: id,
              localClientType: ClientType.AGENT,
              masterHost: master.host,
              masterPort: master.port,
              slaverHost: slave.host,
              slaverPort: slave.port,
            });
            const m: Member = {
              client,
              unitId: unit.unitId,
              id,
              got: new Map(),
            };
            client.on(
              "receiveText",
              (_i, text) => void m.got.set(text, (m.got.get(text) ?? 0) + 1),
            );
            members.push(m);
          }
        }
        await Promise.all(
          members.map((m) => m.client.connect({ timeout: 5000 })),
        );
        const expected = new Map<Member, string[]>();
        let answered = 0;
        let timedOut = 0;
        let sent = 0;
        const n = members.length;
        const started = Date.now();
        for (let round = 0; round < 8; round++) {
          if (round === 3) {
            env.bus.stopNode(0);
            await until(
              () =>
                members.every((m) =>
                  m.client.state.state === "connected" &&
                  masterBroke.has(`${m.unitId}/${m.id}`)
                ),
              5000,
              "everyone fails over to node 1, silently",
            );
            assert.ok(
              env.bus.clients().every((c) =>
                c.address.unitId === 0 || c.nodeUnitId === 1
              ),
            );
          }
          if (round === 6) env.bus.startNode(0);
          // The IPSC lives on node 0: calls made while it is down must time out.
          const ipscUp = env.ipsc.connected;
          const flows: Promise<unknown>[] = [];
          for (let i = 0; i < n; i++) {
            const from = members[i];
            const to = members[(i * 5 + round * 11 + 1) % n];
            const text =
              `r${round} ${from.unitId}/${from.id}>${to.unitId}/${to.id}`;
            // The library sends nothing to its own unit; cmdtype 0 is the
            // link's own (data needs 1–255).
            if (to.unitId !== from.unitId) {
              from.client.send(1, 3, to.unitId, to.id, ClientType.AGENT, text);
              sent++;
              expected.set(to, [...expected.get(to) ?? [], text]);
            }
            if (i % 8 === round % 8) {
              flows.push(
                from.client.invoke({
                  server: 0,
                  process: 0,
                  project: "load",
                  flow: "echo",
                  params: [text],
                }, {
                  timeout: ipscUp ? 5000 : 300,
                }),
              );
            }
          }
          const all = () =>
            members.every((m) =>
              (expected.get(m) ?? []).every((t) => m.got.has(t))
            );
          await until(all, 5000, `round ${round} delivered`);
          for (const r of await Promise.allSettled(flows)) {
            if (ipscUp) {
              assert.equal(
                r.status,
                "fulfilled",
                `round ${round}: ${(r as PromiseRejectedResult).reason}`,
              );
              answered++;
            } else {
              assert.ok(
                r.status === "rejected" && r.reason instanceof FlowTimeoutError,
                `round ${round}`,
              );
              timedOut++;
            }
          }
        }
        for (const m of members) {
          for (const t of expected.get(m) ?? []) {
            assert.equal(
              m.got.get(t),
              1,
              `"${t}" arrived ${m.got.get(t)} times`,
            );
          }
          assert.equal(
            m.got.size,
            (expected.get(m) ?? []).length,
            `${m.unitId}/${m.id} got nothing else`,
          );
          assert.equal(m.client.pendingFlows, 0);
        }
        console.log(
          `load tcp (${runtime}): ${n} clients, ${sent} sends delivered once, ${answered} flows answered, ${timedOut} timed out (IPSC down), ${
            Date.now() - started
          } ms`,
        );
      } finally {
        for (const u of units) u.close();
        await until(
          () => env.bus.clients().length === 1,
          3000,
          "everyone but the IPSC leaves",
        ).finally(() => env.close());
        process.off("unhandledRejection", onRejection);
      }
      assert.deepEqual(rejections, []);
    },
  );
});

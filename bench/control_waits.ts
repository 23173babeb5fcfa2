/**
 * Long polls on the served mock's journal: a control server whose journal
 * holds 10,000 messages, N waits (`GET /api/v1/journal/messages/wait`, each
 * with its own `text`, none matching) held open on raw sockets, then the
 * server's CPU while they wait, the latency of `GET /api/v1/state`, and the
 * time a 5,000-message flood takes to be delivered. All in this process.
 *
 * ```sh
 * deno run -A bench/control_waits.ts [N=500]
 * ```
 * @module
 */
import { connect } from "node:net";
import process from "node:process";
import { startMockServer } from "../src/mock/server.ts";
import { connectedClient } from "../tests/shared/control_env.ts";

const n = Number(Deno.args[0] ?? 500);
const A = "/api/v1";
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

const server = await startMockServer({
  nodes: [{ unitId: 0, port: 0 }],
  control: { port: 0 },
});
const url = server.control!.url;
const from = await connectedClient(server, 30);
const to = await connectedClient(server, 31);
const say = (text: string) => from.client.send(1, 3, 31, 1, 4, text);
for (let i = 0; i < 10_000; i++) say(`f ${i}`);

const port = Number(new URL(url).port);
const sockets = Array.from({ length: n }, (_, i) => {
  const s = connect(port, "127.0.0.1", () =>
    s.write(
      `GET ${A}/journal/messages/wait?text=n${i}&timeoutMs=30000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
    ));
  s.on("error", () => {});
  s.resume();
  return s;
});
await pause(2000);

const cpu0 = process.cpuUsage();
const t0 = performance.now();
await pause(1000);
const cpu = process.cpuUsage(cpu0);
const busy = (cpu.user + cpu.system) / 1000 / (performance.now() - t0);
console.log(`CPU with ${n} idle waits: ${(busy * 100).toFixed(0)} %`);

const state: string[] = [];
for (let i = 0; i < 5; i++) {
  const t = performance.now();
  await (await fetch(`${url}${A}/state`)).json();
  state.push((performance.now() - t).toFixed(1));
}
console.log(`GET ${A}/state, 5 in a row (ms): ${state.join(" ")}`);

const t1 = performance.now();
for (let i = 0; i < 5000; i++) say(`flood ${i}`);
const flooded = () =>
  server.bus.sent().filter((m) =>
    m.status === "delivered" &&
    new TextDecoder().decode(m.bytes).startsWith("flood")
  ).length;
while (flooded() < 5000) await pause(10);
console.log(
  `5,000 messages delivered in ${(performance.now() - t1).toFixed(0)} ms`,
);

for (const s of sockets) s.destroy();
from[Symbol.dispose]();
to[Symbol.dispose]();
await server.close();

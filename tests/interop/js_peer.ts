/**
 * An echo peer on a native backend (Deno or Bun, whichever runs it), using
 * only the public API: connects as unit UNIT, client 1, answers every text
 * with "echo:<runtime>:<text>", exits 0 after COUNT echoes.
 *
 * usage: deno run -A js_peer.ts HOST PORT UNIT COUNT LIB
 *        bun js_peer.ts HOST PORT UNIT COUNT LIB
 */
import process from "node:process";
import { Client, ClientType, SmartBus } from "../../mod.ts";

const [host, port, unit, count, lib] = process.argv.slice(2);
const runtime = "Bun" in globalThis ? "bun" : "deno";
const bus = new SmartBus({
  unitId: Number(unit),
  libraryPath: lib,
  logger: { debug() {}, info() {}, warn: console.error, error: console.error },
});
const client = new Client({
  bus,
  localClientId: 1,
  localClientType: ClientType.AGENT,
  masterHost: host,
  masterPort: Number(port),
  extInfo: `${runtime}-echo`,
});
let echoed = 0;
const done = Promise.withResolvers<void>();
client.onReceiveText = (info, txt) => {
  client.send(
    info.cmd,
    info.cmdType,
    info.srcUnitId,
    info.srcUnitClientId,
    info.srcUnitClientType,
    `echo:${runtime}:${txt}`,
  );
  if (++echoed === Number(count)) done.resolve();
};
await client.connect({ timeout: 10_000 });
console.log("connected");
const timer = setTimeout(
  () => done.reject(new Error(`timed out after ${echoed} echoes`)),
  20_000,
);
try {
  await done.promise;
  await new Promise((r) => setTimeout(r, 100)); // let the last echo leave
} finally {
  clearTimeout(timer);
  bus.close();
}

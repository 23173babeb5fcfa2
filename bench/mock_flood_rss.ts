/**
 * The served mock bus under a flood: `smartbus mock` in its own process,
 * two wire peers exchanging N messages of 64 KiB through it, and the
 * server's resident memory (RSS, from /proc; Linux) before, right after and
 * a few seconds after. Extra arguments go to `smartbus mock` (for example
 * `--records-budget 0`).
 *
 * ```sh
 * deno run -A bench/mock_flood_rss.ts [N] [-- mock options...]
 * ```
 * @module
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { createInterface } from "node:readline";
import {
  encodeFrame,
  FrameDecoder,
  FrameKind,
  zeroHead,
} from "../src/mock/internal.ts";

const args = Deno.args;
const dash = args.indexOf("--");
const n = Number(args[0] && args[0] !== "--" ? args[0] : 12_000);
const extra = dash < 0 ? [] : args.slice(dash + 1);
const SIZE = 64 * 1024;

const rss = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(
    readFileSync(`/proc/${pid}/status`, "utf8"),
  );
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const main = new URL("../src/cli/main.ts", import.meta.url).pathname;
const child = spawn(
  Deno.execPath(),
  ["run", "-A", main, "mock", "-q", "--node", "0=127.0.0.1:0", ...extra],
  { stdio: ["ignore", "pipe", "inherit"] },
);
const line = await new Promise<string>((resolve) =>
  createInterface({ input: child.stdout! }).once("line", resolve)
);
const port = Number(line.split(":").at(-1));

/** A registered peer counting the DATA frames it gets. */
async function peer(clientId: number) {
  const socket: Socket = connect(port, "127.0.0.1");
  await new Promise((r) => socket.once("connect", r));
  const decoder = new FrameDecoder({ role: "client" });
  let got = 0;
  let registered: (result: number) => void = () => {};
  const ack = new Promise<number>((r) => registered = r);
  let beats = 0;
  socket.on("data", (chunk: Uint8Array) => {
    for (const f of decoder.push(chunk)) {
      if (f.kind === FrameKind.DATA) got++;
      else if (f.kind === FrameKind.REGISTER_ACK) registered(f.result);
    }
  });
  socket.write(encodeFrame(
    {
      kind: FrameKind.REGISTER,
      head: { ...zeroHead(), src: { unitId: 20, clientId, clientType: 4 } },
      connectIndex: 0,
      clientId,
      clientType: 4,
      unitId: 20,
      accessUnitId: -1,
      user: new Uint8Array(),
      password: new Uint8Array(),
      addInfo: new Uint8Array(),
    },
    undefined,
    { tail: true },
  ));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const result = await Promise.race([
    ack,
    new Promise<number>((r) => timer = setTimeout(() => r(NaN), 5_000)),
  ]).finally(() => clearTimeout(timer));
  if (result !== 0) {
    throw new Error(`client ${clientId}: registration ${result}`);
  }
  // As the vendor's library: a heartbeat a second (the mock drops a client
  // silent for three of its intervals; it sends none itself).
  const beat = setInterval(
    () =>
      socket.write(encodeFrame({
        kind: FrameKind.HEARTBEAT,
        count: beats++,
        resendCount: 0,
        timeLaunch: Math.floor(Date.now() / 1000),
        timeReturn: 0,
      })),
    1000,
  );
  socket.on("close", () => clearInterval(beat));
  return { socket, got: () => got, stop: () => clearInterval(beat) };
}

const a = await peer(1);
const b = await peer(2);
await sleep(500);
const before = rss(child.pid!);
const head = {
  ...zeroHead(),
  cmd: 1,
  cmdType: 3,
  dst: { unitId: 20, clientId: 2, clientType: 4 },
};
const frame = encodeFrame({
  kind: FrameKind.DATA,
  head,
  data: new Uint8Array(SIZE - 1).fill(120),
});
const t0 = performance.now();
for (let i = 0; i < n; i++) {
  if (!a.socket.write(frame)) {
    await new Promise((r) => a.socket.once("drain", r));
  }
  while (i - b.got() > 32 && performance.now() - t0 < 120_000) await sleep(1);
}
const took = (performance.now() - t0) / 1000;
while (b.got() < n && performance.now() - t0 < 120_000) await sleep(10);
const after = rss(child.pid!);
await sleep(5_000);
const settled = rss(child.pid!);
console.log(
  `${n} messages of 64 KiB in ${took.toFixed(1)} s ` +
    `(${b.got()} delivered); server RSS: ${before} MB before, ${after} MB right after, ` +
    `${settled} MB 5 s later` +
    (extra.length ? ` (mock ${extra.join(" ")})` : ""),
);
a.stop();
b.stop();
a.socket.destroy();
b.socket.destroy();
child.kill("SIGTERM");

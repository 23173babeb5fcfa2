/**
 * Receive benchmark of the native event queue (`src/ffi/queue/`) against
 * today's per-callback path, at the backend level (no API above it), under
 * Deno, Bun and Node (through `queue_node_entry.ts`). Same protocol and
 * output as `driver.ts recv` (credits every 1,024 messages, then a burst
 * held back until the resume file exists), so `bench/queue.ts` runs it with
 * the same server and flooder.
 *
 * ```sh
 * deno run -A bench/js/queue_recv.ts recv --path queue|today --port P --count N --warm W --peer-unit F --burst B --resume-file F
 * ```
 *
 * `--path today`: the backend's own callbacks (Deno and koffi: the library's
 * thread blocks until JS ran each one). `--path queue`: the queue's
 * callbacks; `--wake thread|direct` picks where the wake is called from
 * (default: thread, direct under Bun); `--capacity` sizes the ring (bytes).
 * While the handler holds the JS thread, the ring fills and then blocks the
 * library's thread (the default policy would block up to 1 s; here as long
 * as needed), so what the burst measures still includes the library's work
 * for all but the first ring-full of messages.
 * @module
 */
import process from "node:process";
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import type { BackendCallbacks } from "../../src/abi/backend.ts";
import type { NativeBackend } from "../../src/ffi/native_backend.ts";
import { createDenoBackend } from "../../src/ffi/deno.ts";
import { createBunBackend } from "../../src/ffi/bun.ts";
import { createNodeBackend } from "../../src/ffi/node.ts";
import { eventQueueFile } from "../../src/ffi/queue/load.ts";
import { createQueueDrain, QueueWake } from "../../src/ffi/queue/drain.ts";
import { openRawQueue } from "../../tests/fixtures/queue_raw.ts";
import { collectGarbage, cpuSeconds, memory, now } from "./measure.ts";

const CREDIT_EVERY = 1024;
const z = (s: string): Uint8Array => new TextEncoder().encode(s + "\0");

function backendFor(lib: string): NativeBackend {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  if (g.Deno) return createDenoBackend({ libraryPath: lib });
  if (g.Bun) return createBunBackend({ libraryPath: lib });
  return createNodeBackend({ libraryPath: lib });
}

/** Runs the benchmark with the command line `argv` ("recv" first). */
export async function main(argv: string[]): Promise<void> {
  const { values: v } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string" },
      unit: { type: "string", default: "17" },
      count: { type: "string", default: "100000" },
      warm: { type: "string", default: "10000" },
      "peer-unit": { type: "string", default: "40" },
      burst: { type: "string", default: "0" },
      "resume-file": { type: "string", default: "" },
      path: { type: "string", default: "queue" },
      wake: { type: "string", default: "" },
      capacity: { type: "string", default: String(4 << 20) },
      lib: {
        type: "string",
        default: fileURLToPath(
          new URL("../../build/libbusnetcli.so", import.meta.url),
        ),
      },
    },
  });
  const count = Number(v.count), warm = Number(v.warm);
  const burst = Number(v.burst), peer = Number(v["peer-unit"]);
  const b = backendFor(v.lib!);
  let received = 0;
  let connected: () => void = () => {};
  const up = new Promise<void>((r) => (connected = r));
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => (done = r));
  const t = { s: 0, e: 0, c0: 0, c1: 0, b0: 0, b1: 0, bc0: 0, bc1: 0 };
  let before = memory(), after = before;
  const credit = z("c");
  const onData = (_id: number, head: Uint8Array, _data: Uint8Array): void => {
    if (head[3] !== 3) return; // USER only (not ping answers)
    const n = ++received;
    if (n === warm) {
      collectGarbage();
      before = memory();
      t.s = now();
      t.c0 = cpuSeconds();
    }
    if (n <= count && n % CREDIT_EVERY === 0) {
      b.sendData(1, 2, 3, peer, 1, 4, credit);
    }
    if (n === count) {
      t.e = now();
      t.c1 = cpuSeconds();
      collectGarbage();
      after = memory();
      if (burst === 0) done();
    }
    if (burst > 0 && n === count + 1) {
      const cell = new Int32Array(new SharedArrayBuffer(4));
      while (!existsSync(v["resume-file"]!)) Atomics.wait(cell, 0, 0, 1);
      t.b0 = now();
      t.bc0 = cpuSeconds();
    }
    if (burst > 0 && n === count + burst) {
      t.b1 = now();
      t.bc1 = cpuSeconds();
      done();
    }
  };
  const nop = (): void => {};
  const cbs: BackendCallbacks = {
    connection: (_id, _u, ack) => ack === 0 && connected(),
    recvData: onData,
    disconnect: nop,
    invokeFlowAck: nop,
    invokeFlowRet: nop,
    globalConnect: nop,
    traceInfo: nop,
    traceError: nop,
  };
  let stats: (() => unknown) | undefined;
  if (v.path === "today") {
    b.setCallbacks(cbs);
  } else {
    const file = eventQueueFile();
    if (!file.ok) throw new Error(file.reason);
    const q = openRawQueue(v.lib!, file.path);
    const isBun = "Bun" in globalThis;
    const wake = v.wake === "direct" || (v.wake === "" && isBun)
      ? QueueWake.direct
      : QueueWake.thread;
    if (q.configure(Number(v.capacity), 28, -1) !== 0) {
      throw new Error("eq_configure failed");
    }
    q.setWake(createQueueDrain(q.drain, 28, () => cbs), wake);
    q.ref(true);
    q.install();
    stats = () => q.stats();
  }
  if (b.init(Number(v.unit)) !== 0) throw new Error("init failed");
  const rc = b.createConnect(
    1,
    4, // AGENT: the library refuses client types 0 and 1
    z(v.host!),
    Number(v.port),
    null,
    0xffff,
    null,
    null,
    z("bench"),
  );
  if (rc !== 0) throw new Error(`createConnect ${rc}`);
  await up;
  console.log("READY");
  const timer = setTimeout(() => {
    console.error(`only ${received} of ${count + burst} after 600 s`);
    process.exit(1);
  }, 600_000);
  await finished;
  clearTimeout(timer);
  const result = {
    path: v.path,
    msgs_per_s: (count - warm) / ((t.e - t.s) / 1000),
    cpu_s: t.c1 - t.c0,
    cpu_us_per_msg: (t.c1 - t.c0) / (count - warm) * 1e6,
    rss_growth_mb: (after.rss - before.rss) / 1e6,
    heap_growth_mb: (after.heap - before.heap) / 1e6,
    burst,
    burst_msgs_per_s: burst > 1 ? (burst - 1) / ((t.b1 - t.b0) / 1000) : 0,
    burst_cpu_us_per_msg: burst > 1 ? (t.bc1 - t.bc0) / (burst - 1) * 1e6 : 0,
    queue: stats?.(),
  };
  b.release();
  console.log(`RESULT ${JSON.stringify(result)}`);
  process.exit(0);
}

if ((import.meta as { main?: boolean }).main) {
  await main(process.argv.slice(2));
}

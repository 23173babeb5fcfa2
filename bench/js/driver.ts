/**
 * The TypeScript driver: what a user of the public API pays, under Deno, Bun
 * and (through a bundle, see `node_entry.ts`) Node. It only uses
 * `SmartBus`, `Client`, `send`, `on("receiveData")`, `rtt` and `invoke`, on
 * the backend the runtime picks, against the stand-in library and the
 * benchmark's TCP mock bus. Same modes and options as the C and Python
 * drivers:
 *
 * ```sh
 * deno run -A bench/js/driver.ts send --port P --count N --batch B
 * bun bench/js/driver.ts recv --port P --count N --warm W --peer-unit F --burst B --resume-file F
 * deno run -A bench/js/driver.ts flow --port P --inflight 1,64,1024 --flows 500,5000,20000
 * deno run -A bench/js/driver.ts send --traced --port P   # one subscriber on every tracing channel
 * ```
 *
 * Prints `READY` (recv) and one line `RESULT {json}` on stdout.
 * @module
 */
import diagnostics_channel from "node:diagnostics_channel";
import process from "node:process";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";
import {
  Client,
  ClientType,
  CmdType,
  ErrorCode,
  FlowTimeoutError,
  LibraryError,
  silentLogger,
  SmartBus,
} from "../../mod.ts";
// Read by name at run time, not imported by name: the runner also runs this
// driver on the package as it was before tracing, which has none.
import * as netclient from "../../mod.ts";
import {
  collectGarbage,
  cpuSeconds,
  memory,
  now,
  percentile,
} from "./measure.ts";

/** The 64-byte text every driver sends (the API adds the NUL). */
export const TEXT =
  "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/";
const IPSC = { unitId: 0, clientId: 0, clientType: ClientType.IPSC };
const CREDIT_EVERY = 1024;

/** Options shared by every mode. */
interface Options {
  host: string;
  port: number;
  unit: number;
  count: number;
  batch: number;
  warm: number;
  peerUnit: number;
  burst: number;
  resumeFile: string;
  inflight: number[];
  /** A flow call's timeout, ms: one that gets no answer counts as an error. */
  flowTimeoutMs: number;
  flows: number[];
  lib: string;
  /** One subscriber of {@link EMPTY_HOOKS} on every tracing channel. */
  traced: boolean;
}

/** Hooks that do nothing: the least a tracing subscriber costs. */
export const EMPTY_HOOKS = {
  start() {},
  end() {},
  asyncStart() {},
  asyncEnd() {},
  error() {},
};

function parse(argv: string[]): { mode: string; o: Options } {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string" },
      unit: { type: "string", default: "17" },
      count: { type: "string", default: "100000" },
      batch: { type: "string", default: "10000" },
      warm: { type: "string", default: "10000" },
      "peer-unit": { type: "string", default: "40" },
      burst: { type: "string", default: "0" },
      "resume-file": { type: "string", default: "" },
      inflight: { type: "string", default: "1,64,1024" },
      flows: { type: "string", default: "500,5000,20000" },
      "flow-timeout": { type: "string", default: "5000" },
      traced: { type: "boolean", default: false },
      lib: {
        type: "string",
        default: process.env.SMARTBUS_NETCLI_LIB ??
          fileURLToPath(
            new URL("../../build/libbusnetcli.so", import.meta.url),
          ),
      },
    },
  });
  const list = (s: string) => s.split(",").map(Number);
  return {
    mode: positionals[0] ?? "",
    o: {
      host: values.host!,
      port: Number(values.port),
      unit: Number(values.unit),
      count: Number(values.count),
      batch: Number(values.batch),
      warm: Number(values.warm),
      peerUnit: Number(values["peer-unit"]),
      burst: Number(values.burst),
      resumeFile: values["resume-file"]!,
      inflight: list(values.inflight!),
      flows: list(values.flows!),
      flowTimeoutMs: Number(values["flow-timeout"]),
      lib: values.lib!,
      traced: values.traced!,
    },
  };
}

async function connect(o: Options): Promise<{ bus: SmartBus; client: Client }> {
  const bus = new SmartBus({
    unitId: o.unit,
    libraryPath: o.lib,
    logger: silentLogger,
  });
  const client = new Client({
    bus,
    localClientId: 1,
    masterHost: o.host,
    masterPort: o.port,
  });
  await client.connect({ timeout: 10_000 });
  return { bus, client };
}

/** Send `n` texts; returns the ms spent in the calls and counts BUFF_FULL retries. */
function sendBatch(client: Client, n: number, full: { n: number }): number {
  const t0 = now();
  for (let i = 0; i < n; i++) {
    try {
      client.send(1, CmdType.USER, 0, 0, ClientType.IPSC, TEXT);
    } catch (e) {
      if (!(e instanceof LibraryError) || e.code !== ErrorCode.BUFF_FULL) {
        throw e;
      }
      full.n++;
      i--;
    }
  }
  return now() - t0;
}

async function runSend(o: Options): Promise<Record<string, unknown>> {
  const { bus, client } = await connect(o);
  const full = { n: 0 };
  sendBatch(client, o.batch, full); // warm-up
  // The bus answers the ping after it took every frame sent before it.
  await client.rtt(IPSC, { timeout: 30_000 });
  let busy = 0;
  let done = 0;
  while (done < o.count) {
    const n = Math.min(o.batch, o.count - done);
    busy += sendBatch(client, n, full);
    done += n;
    await client.rtt(IPSC, { timeout: 30_000 });
  }
  bus.close();
  return {
    calls_per_s: done / (busy / 1000),
    count: done,
    batch: o.batch,
    buff_full: full.n,
  };
}

/** Block this thread (and, under Deno, the library's) until `path` exists. */
function holdUntil(path: string): void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  while (!existsSync(path)) Atomics.wait(cell, 0, 0, 1);
}

/**
 * Streaming phase (messages 1..count, with credits), then a burst held back
 * (the handler blocks) until the resume file exists, timed from there.
 */
async function runRecv(o: Options): Promise<Record<string, unknown>> {
  const { bus, client } = await connect(o);
  let received = 0;
  const t = {
    start: 0,
    end: 0,
    cpuStart: 0,
    cpuEnd: 0,
    b0: 0,
    b1: 0,
    bCpu0: 0,
    bCpu1: 0,
  };
  let before = memory();
  let after = before;
  // Not Promise.withResolvers: Node 20 lacks it.
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  client.on("receiveData", (info) => {
    if (info.cmdType !== CmdType.USER) return;
    const n = ++received;
    if (n === o.warm) {
      collectGarbage();
      before = memory();
      t.start = now();
      t.cpuStart = cpuSeconds();
    }
    if (n <= o.count && n % CREDIT_EVERY === 0) {
      client.send(2, CmdType.USER, o.peerUnit, 1, ClientType.AGENT, "c");
    }
    if (n === o.count) {
      t.end = now();
      t.cpuEnd = cpuSeconds();
      collectGarbage();
      after = memory();
      if (o.burst === 0) resolve();
    }
    if (o.burst > 0 && n === o.count + 1) {
      holdUntil(o.resumeFile);
      t.b0 = now();
      t.bCpu0 = cpuSeconds();
    }
    if (o.burst > 0 && n === o.count + o.burst) {
      t.b1 = now();
      t.bCpu1 = cpuSeconds();
      resolve();
    }
  });
  console.log("READY");
  const timer = setTimeout(() => {
    console.error(`recv: only ${received} of ${o.count + o.burst} after 600 s`);
    process.exit(1);
  }, 600_000);
  await promise;
  clearTimeout(timer);
  bus.close();
  return {
    msgs_per_s: (o.count - o.warm) / ((t.end - t.start) / 1000),
    count: o.count,
    warm: o.warm,
    cpu_s: t.cpuEnd - t.cpuStart,
    rss_before: before.rss,
    rss_after: after.rss,
    heap_before: before.heap,
    heap_after: after.heap,
    burst: o.burst,
    burst_msgs_per_s: o.burst > 1 ? (o.burst - 1) / ((t.b1 - t.b0) / 1000) : 0,
    burst_cpu_s: t.bCpu1 - t.bCpu0,
  };
}

/**
 * `total` calls, `k` in flight. A call with no answer within `timeoutMs`
 * is counted in `errors.count`, not timed (the vendor's library drops an
 * answer that beats its own record of the call: see bench/README.md).
 */
async function flowRound(
  client: Client,
  k: number,
  total: number,
  lat: number[],
  timeoutMs: number,
  errors = { count: 0 },
): Promise<number> {
  let issued = 0;
  const call = {
    server: 0,
    process: 0,
    project: "bench",
    flow: "echo",
    params: [1, 2],
  };
  const worker = async (): Promise<void> => {
    while (issued < total) {
      issued++;
      const t0 = now();
      try {
        await client.invoke(call, { timeout: timeoutMs });
        lat.push(now() - t0);
      } catch (e) {
        if (!(e instanceof FlowTimeoutError)) throw e;
        errors.count++;
      }
    }
  };
  const t0 = now();
  await Promise.all(Array.from({ length: Math.min(k, total) }, worker));
  return now() - t0;
}

async function runFlow(o: Options): Promise<Record<string, unknown>> {
  const { bus, client } = await connect(o);
  const flows = [];
  for (let i = 0; i < o.inflight.length; i++) {
    const k = o.inflight[i];
    const n = o.flows[i];
    await flowRound(client, k, Math.max(o.warm, k), [], o.flowTimeoutMs);
    const lat: number[] = [];
    const errors = { count: 0 };
    const cpu0 = cpuSeconds();
    const ms = await flowRound(client, k, n, lat, o.flowTimeoutMs, errors);
    const cpu = cpuSeconds() - cpu0;
    lat.sort((a, b) => a - b);
    flows.push({
      inflight: k,
      count: n,
      per_s: n / (ms / 1000),
      p50_ms: percentile(lat, 0.5),
      p99_ms: percentile(lat, 0.99),
      cpu_s: cpu,
      errors: errors.count,
    });
  }
  bus.close();
  return { flows };
}

/** Runs the driver with the command line `argv` (mode first). */
export async function main(argv: string[]): Promise<void> {
  const { mode, o } = parse(argv);
  if (o.traced) {
    const channels: Record<string, string> | undefined = Reflect.get(
      netclient,
      "TRACING_CHANNELS",
    );
    if (!channels) {
      console.error("--traced: this package has no tracing channels");
      process.exit(2);
    }
    for (const name of Object.values(channels)) {
      diagnostics_channel.tracingChannel(name).subscribe(EMPTY_HOOKS);
    }
  }
  const run = { send: runSend, recv: runRecv, flow: runFlow }[mode];
  if (!run) {
    console.error("usage: driver.ts send|recv|flow --port P ...");
    process.exit(2);
  }
  const result = await run(o);
  console.log(`RESULT ${JSON.stringify(result)}`);
  process.exit(0);
}

if (import.meta.main) await main(process.argv.slice(2));

/**
 * What the tracing channels cost a call (an analysis aid, not part of the
 * table): `client.send(..., text)` and one `client.invoke` round trip
 * through the API alone (the stub backend of `layers.ts`: calls return at
 * once, the flow's acknowledge and result are fed straight into the
 * callbacks, 64 in flight), ns per call,
 *
 * - `none`: nobody subscribes to the `smartbus:*` tracing channels;
 * - `subscribed`: one subscriber with empty `start`, `end`, `asyncStart`,
 *   `asyncEnd` and `error` hooks on the call's channel (what a tracer
 *   pays at least: the context object, the events, the promise chain);
 * - `before` (with `--before DIR`): the package as it was before
 *   statistics and tracing, loaded from `DIR/mod.ts` (a tree of commit
 *   c430c5d, say), over the same stub backend.
 *
 * Each measurement is a process of its own, running one mode (the median
 * of 15 rounds after one for warm-up, each round the best of 20 × `--n`
 * sends or of 5 × `--n` flows). At a few ns apart, modes sharing one
 * process measured the JIT's state more than the code: the same code
 * loaded twice in one process read 5 ns apart, and a "nobody subscribed"
 * round after a subscribed one pays for the channels' changed shape. The
 * modes' processes take turns (`--runs` turns, the first of each turn
 * rotating); the median and range over the processes are printed, then
 * `RESULT {json}`.
 *
 * ```sh
 * mkdir -p /tmp/before && git archive c430c5d mod.ts src | tar -x -C /tmp/before
 * deno run -A bench/js/tracing_cost.ts [--n 10000] [--runs 7] [--before /tmp/before]
 * bun bench/js/tracing_cost.ts [--n 10000] [--runs 7] [--before /tmp/before]
 * ```
 * @module
 */
import { spawnSync } from "node:child_process";
import diagnostics_channel from "node:diagnostics_channel";
import { resolve } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { EMPTY_HOOKS, TEXT } from "./driver.ts";
import { flowApi, nsPerCall, stubBackend } from "./layers.ts";
import { percentile } from "./measure.ts";

/** The modes, each measured in a process of its own. */
const MODES = [
  "send_none",
  "send_subscribed",
  "send_before",
  "invoke_none",
  "invoke_subscribed",
  "invoke_before",
] as const;
type Mode = typeof MODES[number];
const ROUNDS = 16;

/** Median, low and high of `xs`, rounded to the ns. */
function spread(xs: number[]): { median: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return {
    median: Math.round(percentile(s, 0.5)),
    min: Math.round(s[0]),
    max: Math.round(s[s.length - 1]),
  };
}

/** In a child: time `mode` and print its median ns per call. */
async function child(mode: Mode, n: number, before: string): Promise<void> {
  const [op, variant] = mode.split("_");
  const dir = variant === "before"
    ? before
    : fileURLToPath(new URL("../..", import.meta.url));
  const pkg = await import(pathToFileURL(resolve(dir, "mod.ts")).href);
  if (variant === "subscribed") {
    const channels = pkg.TRACING_CHANNELS as Record<string, string>;
    diagnostics_channel.tracingChannel(channels[op]).subscribe(EMPTY_HOOKS);
  }
  const backend = stubBackend();
  const bus = new pkg.SmartBus({
    unitId: 18,
    backend,
    logger: pkg.silentLogger,
  });
  const client = new pkg.Client({
    bus,
    localClientId: 1,
    masterHost: "127.0.0.1",
    masterPort: 1,
  });
  await client.connect();
  const cbs = backend.cbs();
  const idle = () => Promise.resolve();
  const round = op === "send"
    ? () => nsPerCall(() => client.send(1, 1, 0, 0, 2, TEXT), n, 20, idle)
    : () => flowApi(client, backend, cbs, n, 5);
  const times: number[] = [];
  for (let r = 0; r < ROUNDS; r++) times.push(await round());
  times.shift(); // the warm-up round
  client.close();
  bus.close();
  console.log(`NS ${spread(times).median}`);
}

/** This script's command line under the running runtime. */
function self(): string[] {
  const script = fileURLToPath(import.meta.url);
  return "Deno" in globalThis
    ? [process.execPath, "run", "-A", script]
    : [process.execPath, script];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      n: { type: "string", default: "10000" },
      runs: { type: "string", default: "7" },
      before: { type: "string" },
      child: { type: "string" },
    },
  });
  const n = Number(values.n);
  if (values.child) {
    return await child(values.child as Mode, n, values.before ?? "");
  }
  const names = MODES.filter((m) =>
    values.before !== undefined || !m.endsWith("_before")
  );
  const times: Record<string, number[]> = Object.fromEntries(
    names.map((k) => [k, []]),
  );
  const [cmd, ...args] = self();
  for (let r = 0; r < Number(values.runs); r++) {
    // A different one first each turn, so none always follows another.
    for (let i = 0; i < names.length; i++) {
      const mode = names[(i + r) % names.length];
      const before = values.before ? ["--before", values.before] : [];
      const out = spawnSync(cmd, [
        ...args,
        "--child",
        mode,
        "--n",
        String(n),
        ...before,
      ], { encoding: "utf-8", timeout: 300_000 });
      const line = out.stdout?.split("\n").find((l) => l.startsWith("NS "));
      if (!line) {
        throw new Error(`${mode}: no result (${out.stderr || out.error})`);
      }
      times[mode].push(Number(line.slice(3)));
    }
  }
  const out = Object.fromEntries(
    Object.entries(times).map(([k, v]) => [k, spread(v)]),
  );
  for (const [k, v] of Object.entries(out)) {
    console.log(
      `${k.padEnd(18)} ${
        String(v.median).padStart(6)
      } ns/call (${v.min}–${v.max}, ${times[k].length} processes)`,
    );
  }
  console.log(`RESULT ${JSON.stringify(out)}`);
}

if (import.meta.main) await main();

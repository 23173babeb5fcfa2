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
 * They are timed in turns in one process (`--runs` turns, each the best
 * of 20 rounds of `--n` sends, or of 5 rounds of `--n` flows) so that the
 * machine's drift falls on all; the median and range of each are printed,
 * then `RESULT {json}`.
 *
 * ```sh
 * mkdir -p /tmp/before && git archive c430c5d mod.ts src | tar -x -C /tmp/before
 * deno run -A bench/js/tracing_cost.ts [--n 10000] [--runs 9] [--before /tmp/before]
 * bun bench/js/tracing_cost.ts [--n 10000] [--runs 9] [--before /tmp/before]
 * ```
 * @module
 */
import diagnostics_channel from "node:diagnostics_channel";
import { resolve } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import * as current from "../../mod.ts";
import { EMPTY_HOOKS, TEXT } from "./driver.ts";
import { flowApi, nsPerCall, stubBackend } from "./layers.ts";
import { percentile } from "./measure.ts";

/** Run `fn` with one subscriber of empty hooks on tracing channel `name`. */
async function subscribed<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const channel = diagnostics_channel.tracingChannel(name);
  channel.subscribe(EMPTY_HOOKS);
  try {
    return await fn();
  } finally {
    channel.unsubscribe(EMPTY_HOOKS);
  }
}

const { CmdType, TRACING_CHANNELS } = current;
type Package = Pick<typeof current, "Client" | "SmartBus" | "silentLogger">;

/** `send()` and `invoke()` timers of a package's client over a stub backend. */
async function stubClient(pkg: Package, n: number): Promise<{
  send(): Promise<number>;
  invoke(): Promise<number>;
  close(): void;
}> {
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
  return {
    send: () =>
      nsPerCall(
        () => client.send(1, CmdType.USER, 0, 0, 2, TEXT),
        n,
        20,
        idle,
      ),
    invoke: () => flowApi(client, backend, cbs, n, 5),
    close() {
      client.close();
      bus.close();
    },
  };
}

/** Median, low and high of `xs`, rounded to the ns. */
function spread(xs: number[]): { median: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return {
    median: Math.round(percentile(s, 0.5)),
    min: Math.round(s[0]),
    max: Math.round(s[s.length - 1]),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      n: { type: "string", default: "10000" },
      runs: { type: "string", default: "9" },
      before: { type: "string" },
    },
  });
  const n = Number(values.n);
  const runs = Number(values.runs);
  const now = await stubClient(current, n);
  const before = values.before === undefined ? undefined : await stubClient(
    await import(pathToFileURL(resolve(values.before, "mod.ts")).href),
    n,
  );
  const modes: Record<string, () => Promise<number>> = {
    send_none: now.send,
    send_subscribed: () => subscribed(TRACING_CHANNELS.send, now.send),
    invoke_none: now.invoke,
    invoke_subscribed: () => subscribed(TRACING_CHANNELS.invoke, now.invoke),
  };
  if (before) {
    modes.send_before = before.send;
    modes.invoke_before = before.invoke;
  }
  const names = Object.keys(modes);
  const times: Record<string, number[]> = Object.fromEntries(
    names.map((k) => [k, []]),
  );
  // Warm-up: every path compiled before anything counts.
  for (const k of names) await modes[k]();
  for (let r = 0; r < runs; r++) {
    // A different one first each turn, so none always follows another.
    for (let i = 0; i < names.length; i++) {
      const k = names[(i + r) % names.length];
      times[k].push(await modes[k]());
    }
  }
  now.close();
  before?.close();
  const out = Object.fromEntries(
    Object.entries(times).map(([k, v]) => [k, spread(v)]),
  );
  for (const [k, v] of Object.entries(out)) {
    console.log(
      `${k.padEnd(18)} ${
        String(v.median).padStart(6)
      } ns/call (${v.min}–${v.max}, ${runs} runs)`,
    );
  }
  console.log(`RESULT ${JSON.stringify(out)}`);
}

if (import.meta.main) await main();

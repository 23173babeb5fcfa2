/**
 * The benchmark runner (`bash bench/run.sh` builds what it needs, then runs
 * this under Deno). For each driver (Deno, Bun, Node, Python ctypes, C) and
 * each TCP benchmark (send, receive, flow round trips) it starts a fresh
 * mock bus server process (`bench/server.ts`), runs the driver against it
 * (plus the C flooder for the receive benchmark), then runs the in-memory
 * bus benchmark under Deno and Bun (`send` runs 5 times and `flow` 3 times
 * in a full run, interleaved, and the median run counts). The JS drivers'
 * send and flow runs also run with one subscriber on every tracing channel
 * (`--lib …,traced`) and on the package before statistics and tracing
 * (`--lib …,before`), taking turns with their plain runs, for what tracing
 * costs. Prints the tables, writes `bench/results/latest.json`
 * (`quick.json` with `--quick`, `partial.json` with `--only` / `--bench` /
 * `--lib`) and, on a complete full run or with `--update-readme`, the table
 * sections of `bench/README.md`.
 *
 * Exit code 1 only when something crashed (a driver failed to produce its
 * result); missed targets and drivers that cannot run are reported, not fatal.
 *
 * ```sh
 * deno run -A bench/run.ts [--quick] [--update-readme] [--only deno,c] [--bench send,recv,flow,membus] [--lib standin,vendor,traced,before]
 * ```
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { Proc } from "./runner/proc.ts";
import { isResultLine, resultOf, runTcp } from "./runner/tcp.ts";
import {
  BEFORE_TRACING,
  beforeDrivers,
  type Counts,
  countsFor,
  type Driver,
  type DriverName,
  DRIVERS,
  drivers,
  type Library,
  machine,
  onLibrary,
  output,
  paths,
  vendorLibrary,
} from "./runner/plan.ts";
import {
  type Outcome,
  type Results,
  table,
  tracedTable,
} from "./runner/report.ts";
import { median, medianFlows } from "./runner/medians.ts";
import { updateReadme } from "./runner/readme.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
const P = paths(ROOT);
// bench/server.ts gives the vendor's runs the mock's default guard.
const VENDOR_FLOW_GUARD =
  "for the mock's default flowAnswerMinMs after its call arrived (the library drops an answer that comes back before it has recorded the call), and the flow latencies include that hold";
/** The drivers that run the package's API, and so its tracing channels. */
const JS_DRIVERS: readonly DriverName[] = ["deno", "bun", "node"];
function log(msg: string): void {
  console.error(`[bench] ${msg}`);
}

async function runMembus(
  runtime: "deno" | "bun",
  c: Counts,
  timeoutMs: number,
): Promise<Outcome> {
  const cmd = runtime === "deno"
    ? [P.deno, "run", "-A", "--v8-flags=--expose-gc", P.membus]
    : [P.bun, P.membus];
  const p = Proc.start([
    ...cmd,
    "--messages",
    String(c.membus.messages),
    "--flows",
    String(c.membus.flows),
    "--pending",
    String(c.membus.pending),
  ], { name: `${runtime} membus` });
  try {
    const line = await p.line(isResultLine, timeoutMs);
    await p.wait(10_000);
    return { ok: true, value: resultOf(line) };
  } catch (e) {
    p.kill();
    return { ok: false, error: (e as Error).message, crashed: true };
  }
}

/** No results yet. */
function noResults(): Results {
  return { send: {}, recv: {}, flow: {}, membus: {} };
}

/** Drivers to run, and which TCP benchmarks each runs. */
interface DriverSet {
  drivers: Driver[];
  benches: string[];
  /** How its runs are named in the log ("traced"), if not plain. */
  label?: string;
}

/**
 * Every TCP benchmark of each set's `benches` for its drivers, all on
 * `library`; one `Results` per set. The sets take turns driver by driver
 * (deno, traced deno, bun, …), so that two sets compared row by row share
 * the machine's drift.
 */
async function runTcpAll(
  sets: DriverSet[],
  library: Library,
  counts: Counts,
  timeoutMs: number,
): Promise<Results[]> {
  const all = sets.map(noResults);
  const names = [...new Set(sets.flatMap((s) => s.drivers.map((d) => d.name)))];
  for (const mode of ["send", "recv", "flow"] as const) {
    // send and flow are short and noisy on a small machine: several runs,
    // interleaved across drivers, and the median one is kept.
    const runs = mode === "send"
      ? counts.send.runs
      : mode === "flow"
      ? counts.flow.runs
      : 1;
    const got = sets.map(() => new Map<DriverName, Outcome[]>());
    for (let r = 0; r < runs; r++) {
      for (const name of names) {
        for (const [i, set] of sets.entries()) {
          const d = set.drivers.find((x) => x.name === name);
          if (!d || !set.benches.includes(mode)) continue;
          const run = runs > 1 ? ` (run ${r + 1} of ${runs})` : "";
          const what = `${mode} on the ${library}: ${d.name}${
            set.label ? `, ${set.label}` : ""
          }`;
          log(`${what}${run}`);
          const o = await runTcp(mode, d, counts, timeoutMs, library);
          if (!o.ok) log(`${what} FAILED: ${o.error}`);
          got[i].set(d.name, [...(got[i].get(d.name) ?? []), o]);
        }
      }
    }
    for (const [i, byDriver] of got.entries()) {
      for (const [name, list] of byDriver) {
        all[i][mode][name] = mode === "flow"
          ? medianFlows(list)
          : median(list, "calls_per_s");
      }
    }
  }
  return all;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      quick: { type: "boolean", default: false },
      "update-readme": { type: "boolean", default: false },
      only: { type: "string" },
      bench: { type: "string", default: "send,recv,flow,membus" },
      lib: { type: "string", default: "standin,vendor,traced,before" },
    },
  });
  const quick = values.quick!;
  const counts = countsFor(quick);
  const timeoutMs = quick ? 30_000 : 600_000;
  const only = values.only?.split(",");
  const benches = values.bench!.split(",");
  const libs = values.lib!.split(",");
  const all = await drivers(ROOT);
  const na: Partial<Record<DriverName, string>> = {};
  for (const d of all) if (!d.cmd) na[d.name] = d.why;
  const chosen = all.filter((d) => d.cmd && (!only || only.includes(d.name)));
  // The JS drivers' send and flow runs again, each in turn with its plain
  // run: with one subscriber of empty hooks on every tracing channel (what
  // tracing costs; the other drivers have no tracing channels), and on the
  // package as it was before statistics and tracing (what they cost with
  // nobody subscribed).
  const standin = chosen.map((d) => onLibrary(d, P.lib));
  const isJs = (d: Driver) => JS_DRIVERS.includes(d.name);
  const jsBenches = benches.filter((b) => b === "send" || b === "flow");
  const tracedSet: DriverSet = {
    drivers: libs.includes("traced")
      ? standin.filter(isJs).map((d) => ({
        ...d,
        cmd: [...d.cmd!, "--traced"],
      }))
      : [],
    benches: jsBenches,
    label: "traced",
  };
  const before = libs.includes("before") ? await beforeDrivers(ROOT) : [];
  const beforeNa: Partial<Record<DriverName, string>> = {};
  for (const d of before) if (!d.cmd) beforeNa[d.name] = d.why;
  const beforeSet: DriverSet = {
    drivers: before.filter((d) =>
      d.cmd && chosen.some((c) => c.name === d.name)
    ).map((d) => onLibrary(d, P.lib)),
    benches: jsBenches,
    label: `before (${BEFORE_TRACING})`,
  };
  const [results, tracedResults, beforeResults] = await runTcpAll(
    [{ drivers: standin, benches }, tracedSet, beforeSet],
    "standin",
    counts,
    timeoutMs,
  );
  // The same drivers on the vendor's library, when it is here: its own
  // table, every ratio against Python and C on the vendor's library too.
  const vendorLib = libs.includes("vendor") ? vendorLibrary(ROOT) : null;
  const vendorNa: Partial<Record<DriverName, string>> = { ...na };
  if (!vendorLib) {
    for (const d of DRIVERS) {
      vendorNa[d] ??= libs.includes("vendor")
        ? "n/a (no vendor library: set SMARTBUS_VENDOR_LIB)"
        : "not run (--lib)";
    }
  }
  const vendorResults = vendorLib
    ? (await runTcpAll(
      [{ drivers: chosen.map((d) => onLibrary(d, vendorLib)), benches }],
      "vendor",
      counts,
      timeoutMs,
    ))[0]
    : noResults();
  if (benches.includes("membus")) {
    for (const rt of ["deno", "bun"] as const) {
      if (!chosen.some((d) => d.name === rt)) continue;
      log(`membus: ${rt}`);
      const o = await runMembus(rt, counts, timeoutMs);
      if (!o.ok) log(`membus: ${rt} FAILED: ${o.error}`);
      results.membus[rt] = o;
    }
  }
  const m = await machine(ROOT);
  const { markdown, verdicts } = table(results, na);
  const header =
    `${
      quick ? "Quick run (tiny counts, not figures to quote)" : "Full run"
    }: ${m.date}, ` +
    `${m.nproc} × ${m.cpu}, ${m.os}; ${m.deno}, bun ${m.bun}, node ${m.node}, ${m.python}, ${m.cc}`;
  const vendor = table(vendorResults, vendorNa, { targets: false });
  const vendorHeader = vendorLib
    ? `The same drivers on the vendor's library (${
      vendorLib.replace(/^.*\/shared\//, "../shared/")
    }); the mock holds each flow answer ${VENDOR_FLOW_GUARD}`
    : "The vendor's library was not run";
  const traced = tracedTable(results, tracedResults, beforeResults, beforeNa);
  const tracedHeader = `The JS drivers' send and flow rows on the stand-in: ${
    libs.includes("before")
      ? `the package before statistics and tracing (${BEFORE_TRACING}) → `
      : ""
  }nobody subscribed → ${
    libs.includes("traced")
      ? "one subscriber of empty hooks on every tracing channel (`driver.ts --traced`)"
      : "(traced runs not run: --lib)"
  }, in the same run`;
  console.log(
    `\n${header}\n\n${markdown}\n\n${vendorHeader}\n\n${vendor.markdown}\n\n${tracedHeader}\n\n${traced}\n`,
  );
  const missed = verdicts.filter((v) => !v.met);
  console.log(
    `targets: ${verdicts.length - missed.length} met, ${missed.length} missed`,
  );
  for (const v of missed) {
    console.log(`  missed: ${v.driver}: ${v.row}: ${v.detail}`);
  }
  await Deno.mkdir(`${ROOT}/bench/results`, { recursive: true });
  // Only a complete full run replaces latest.json and the README's table.
  const complete = !quick && !only &&
    ["send", "recv", "flow", "membus"].every((b) => benches.includes(b)) &&
    ["standin", "vendor", "traced", "before"].every((l) => libs.includes(l));
  const name = quick ? "quick" : complete ? "latest" : "partial";
  const file = `${ROOT}/bench/results/${name}.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify(
      {
        machine: m,
        quick,
        counts,
        notAvailable: na,
        results,
        verdicts,
        vendor: {
          library: vendorLib,
          notAvailable: vendorNa,
          results: vendorResults,
        },
        traced: tracedResults,
        before: { commit: BEFORE_TRACING, results: beforeResults },
      },
      null,
      2,
    ) + "\n",
  );
  log(`wrote ${file}`);
  if (complete || values["update-readme"]) {
    await updateReadme(
      `${ROOT}/bench/README.md`,
      "table",
      header,
      markdown,
      counts,
    );
    await updateReadme(
      `${ROOT}/bench/README.md`,
      "vendor",
      vendorHeader,
      vendor.markdown,
      counts,
    );
    await updateReadme(
      `${ROOT}/bench/README.md`,
      "traced",
      tracedHeader,
      traced,
      counts,
    );
    // The tables come out unaligned; the check stage wants them formatted.
    await output([P.deno, "fmt", `${ROOT}/bench/README.md`]);
    log("updated bench/README.md");
  }
  const crashed = [
    ...Object.values(results),
    ...Object.values(vendorResults),
    ...Object.values(tracedResults),
    ...Object.values(beforeResults),
  ].some((r) =>
    Object.values(r as Record<string, Outcome>).some((o) => !o.ok && o.crashed)
  );
  return crashed ? 1 : 0;
}

process.exit(await main());

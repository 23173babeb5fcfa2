/**
 * What the benchmark runs: the drivers (with the reason when one cannot
 * run), the counts of a full and a quick run, and the machine description.
 *
 * ```ts
 * import { countsFor } from "./plan.ts";
 * console.log(countsFor(true).send.count);
 * ```
 * @module
 */
import { existsSync } from "node:fs";

/** A driver of the TCP benchmarks. */
export type DriverName =
  | "deno"
  | "bun"
  | "node"
  | "python"
  | "original"
  | "c";
/** Column order of the tables. */
export const DRIVERS: readonly DriverName[] = [
  "deno",
  "bun",
  "node",
  "python",
  "original",
  "c",
];

/** A driver's command line (before the mode), or why it cannot run. */
export interface Driver {
  /** Which driver. */
  name: DriverName;
  /** The command, or null when it cannot run here. */
  cmd: string[] | null;
  /** Why it cannot run (shown in its column). */
  why?: string;
  /** Variables added to its environment (the library it loads). */
  env?: Record<string, string>;
}

/** Which `libbusnetcli.so` the drivers load. */
export type Library = "standin" | "vendor";

/**
 * The vendor's `libbusnetcli.so` (x86-64 only): `SMARTBUS_VENDOR_LIB`, else
 * the shared reference copy beside the checkout (or beside its worktree
 * folder); null when there is none. Read in place, never copied.
 */
export function vendorLibrary(root: string): string | null {
  if (Deno.build.arch !== "x86_64") return null;
  const rel =
    "shared/reference/smartbus-client-sdk/lib/linux-x64/libbusnetcli.so";
  return [
    Deno.env.get("SMARTBUS_VENDOR_LIB"),
    `${root}/../${rel}`,
    `${root}/../../${rel}`,
  ].find((f) => f && existsSync(f)) ?? null;
}

/**
 * `d` loading the library file `lib`: the C driver through the loader's
 * search path (it links `-lbusnetcli`), the others through
 * `SMARTBUS_NETCLI_LIB`, as users pick a library.
 */
export function onLibrary(d: Driver, lib: string): Driver {
  const env: Record<string, string> = d.name === "c"
    ? { LD_LIBRARY_PATH: lib.slice(0, lib.lastIndexOf("/")) }
    : { SMARTBUS_NETCLI_LIB: lib };
  return { ...d, env: { ...d.env, ...env } };
}

/** How much each benchmark does. */
export interface Counts {
  /** `runs`: repeated (interleaved across drivers); the median run is reported. */
  send: { count: number; batch: number; runs: number };
  /** `burst`: messages held back then drained at once (≤ ~80,000: the bus drops a reader 8 MiB behind). */
  recv: { count: number; warm: number; burst: number };
  /**
   * Calls in flight, and the calls timed, per round; `warm` untimed calls
   * first; a call with no answer within `timeoutMs` counts as an error.
   * `runs`: repeated like send's; each round reports its median run.
   */
  flow: {
    inflight: number[];
    flows: number[];
    warm: number;
    timeoutMs: number;
    runs: number;
  };
  /** The in-memory bus: messages routed, flow calls, pending flow calls. */
  membus: { messages: number; flows: number; pending: number };
}

/** Counts of a full run, or of `--quick` (CI: the whole run well under 60 s). */
export function countsFor(quick: boolean): Counts {
  return quick
    ? {
      send: { count: 20_000, batch: 5_000, runs: 1 },
      recv: { count: 20_480, warm: 2_048, burst: 8_192 },
      flow: {
        inflight: [1, 64, 1024],
        flows: [50, 640, 2048],
        warm: 64,
        timeoutMs: 2000,
        runs: 1,
      },
      membus: { messages: 50_000, flows: 5_000, pending: 10_000 },
    }
    : {
      send: { count: 500_000, batch: 10_000, runs: 5 },
      // A multiple of 1024: the receiver sends a credit every 1024 messages.
      recv: { count: 1_000_448, warm: 50_176, burst: 49_152 },
      flow: {
        inflight: [1, 64, 1024],
        flows: [2_000, 20_000, 40_960],
        warm: 1_024,
        timeoutMs: 5_000,
        // One run of a flow row moved up to ±30 % against the next: too
        // much to tell a traced or older package's rows from the plain.
        runs: 3,
      },
      membus: { messages: 1_000_000, flows: 100_000, pending: 100_000 },
    };
}

/** Paths the runner uses, from the repository root. */
export function paths(root: string): Record<string, string> {
  return {
    deno: `${root}/node_modules/.bin/deno`,
    bun: `${root}/node_modules/.bin/bun`,
    lib: `${root}/build/libbusnetcli.so`,
    cDriver: `${root}/build/bench/driver`,
    flood: `${root}/build/bench/flood`,
    nodeBundle: `${root}/build/bench/node_driver.mjs`,
    server: `${root}/bench/server.ts`,
    membus: `${root}/bench/js/membus.ts`,
    python: `${root}/bench/python/driver.py`,
  };
}

/** Runs `cmd` and returns its trimmed stdout, or null when it cannot run or fails. */
export async function output(
  cmd: string[],
  cwd?: string,
): Promise<string | null> {
  try {
    const r = await new Deno.Command(cmd[0], {
      args: cmd.slice(1),
      cwd,
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    return r.success ? new TextDecoder().decode(r.stdout).trim() : null;
  } catch {
    return null;
  }
}

/**
 * The Node driver: the API of the package at `tree` bundled for Node into
 * `bundle` by Bun's bundler (Node 20 cannot run the TypeScript), on the
 * koffi backend the package picks under Node. Picked up as soon as
 * `src/ffi/node.ts` exists and koffi resolves; otherwise the reason is
 * returned.
 */
async function nodeDriver(
  root: string,
  tree: string,
  bundle: string,
): Promise<Driver> {
  const p = paths(root);
  const none = (why: string): Driver => ({ name: "node", cmd: null, why });
  if (!existsSync(`${tree}/src/ffi/node.ts`)) {
    return none("n/a (no node backend yet)");
  }
  if ((await output(["node", "--version"])) === null) {
    return none("n/a (node not on PATH)");
  }
  if (
    (await output(["node", "-e", "require.resolve('koffi')"], root)) === null
  ) {
    return none("n/a (koffi not installed: npm install)");
  }
  const built = await output([
    p.bun,
    "build",
    `${tree}/bench/js/node_entry.ts`,
    "--target=node",
    "--external",
    "koffi",
    "--outfile",
    bundle,
  ]);
  if (built === null) return none("n/a (bundling the API for node failed)");
  return { name: "node", cmd: ["node", "--expose-gc", bundle] };
}

/** The Deno, Bun and Node drivers of the package at `tree`. */
async function jsDrivers(
  root: string,
  tree: string,
  bundle: string,
): Promise<Driver[]> {
  const p = paths(root);
  const driver = `${tree}/bench/js/driver.ts`;
  return [
    existsSync(p.deno)
      ? {
        name: "deno",
        cmd: [p.deno, "run", "-A", "--v8-flags=--expose-gc", driver],
      }
      : { name: "deno", cmd: null, why: "n/a (deno not installed)" },
    existsSync(p.bun)
      ? { name: "bun", cmd: [p.bun, driver] }
      : { name: "bun", cmd: null, why: "n/a (bun not installed)" },
    await nodeDriver(root, tree, bundle),
  ];
}

/**
 * The package as it was before statistics and tracing (issue 20): the
 * commit its "before" runs load.
 */
export const BEFORE_TRACING = "c430c5d";

/**
 * The JS drivers on the package at {@link BEFORE_TRACING}: that commit's
 * `mod.ts` and `src/` with today's driver files beside them, in
 * `build/bench/before/` (so that only the package differs). Each cannot
 * run, with the reason, when the clone lacks the commit.
 */
export async function beforeDrivers(root: string): Promise<Driver[]> {
  const tree = `${root}/build/bench/before`;
  const none = (why: string): Driver[] =>
    (["deno", "bun", "node"] as const).map((name) => ({
      name,
      cmd: null,
      why,
    }));
  const rev = BEFORE_TRACING;
  if (
    (await output(["git", "-C", root, "cat-file", "-e", `${rev}^{commit}`])) ===
      null
  ) {
    return none(`n/a (commit ${rev} not in this clone)`);
  }
  await Deno.remove(tree, { recursive: true }).catch(() => {});
  await Deno.mkdir(`${tree}/bench/js`, { recursive: true });
  const unpacked = await output([
    "sh",
    "-c",
    `git -C "$1" archive "$2" mod.ts src | tar -x -C "$3"`,
    "sh",
    root,
    rev,
    tree,
  ]);
  if (unpacked === null) return none(`n/a (git archive ${rev} failed)`);
  for (const f of ["driver.ts", "measure.ts", "node_entry.ts"]) {
    await Deno.copyFile(`${root}/bench/js/${f}`, `${tree}/bench/js/${f}`);
  }
  return await jsDrivers(
    root,
    tree,
    `${root}/build/bench/node_driver_before.mjs`,
  );
}

/**
 * The original Python package, unmodified, run by the Python driver with
 * `--original`: from `SMARTBUS_ORIGINAL_PY`, else the project's shared
 * reference copy (`../shared/reference/smartbus-client-python` beside the
 * checkout or beside its worktree folder).
 */
function originalDriver(
  root: string,
  script: string,
  hasPython: boolean,
): Driver {
  const none = (why: string): Driver => ({ name: "original", cmd: null, why });
  if (!hasPython) return none("n/a (python3 not on PATH)");
  const rel = "shared/reference/smartbus-client-python";
  const dir = [
    Deno.env.get("SMARTBUS_ORIGINAL_PY"),
    `${root}/../${rel}`,
    `${root}/../../${rel}`,
  ].find((d) => d && existsSync(`${d}/smartbus/netclient/client.py`));
  if (!dir) {
    return none("n/a (original package not found: set SMARTBUS_ORIGINAL_PY)");
  }
  return { name: "original", cmd: ["python3", script, "--original", dir] };
}

/** Every driver, each with its command or the reason it cannot run. */
export async function drivers(root: string): Promise<Driver[]> {
  const p = paths(root);
  const out: Driver[] = await jsDrivers(root, root, p.nodeBundle);
  const hasPython = (await output(["python3", "--version"])) !== null;
  out.push(
    hasPython
      ? { name: "python", cmd: ["python3", p.python] }
      : { name: "python", cmd: null, why: "n/a (python3 not on PATH)" },
  );
  out.push(originalDriver(root, p.python, hasPython));
  out.push(
    existsSync(p.cDriver)
      ? { name: "c", cmd: [p.cDriver] }
      : { name: "c", cmd: null, why: "n/a (C driver not built)" },
  );
  return out;
}

/** The machine and runtime versions, for the report. */
export async function machine(root: string): Promise<Record<string, string>> {
  const p = paths(root);
  const cpu = (await Deno.readTextFile("/proc/cpuinfo").catch(() => ""))
    .split("\n").find((l) => l.startsWith("model name"))?.split(":")[1]
    ?.trim() ?? "unknown";
  const first = (s: string | null) => s?.split("\n")[0] ?? "n/a";
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    nproc: (await output(["nproc"])) ?? "?",
    cpu,
    os: first(await output(["uname", "-sr"])),
    deno: first(await output([p.deno, "--version"])),
    bun: first(await output([p.bun, "--version"])),
    node: first(await output(["node", "--version"])),
    python: first(await output(["python3", "--version"])),
    cc: first(await output(["cc", "--version"])),
  };
}

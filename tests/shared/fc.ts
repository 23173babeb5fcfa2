/**
 * fast-check parameters for the property suites, from the environment, so
 * a failure replays and a long run needs no code change:
 *
 * - `FC_SEED=<n>`: replay from this seed (printed by a failing run);
 * - `FC_PATH=<path>`: with `FC_SEED`, jump straight to the shrunk case;
 * - `FC_RUNS=<n>`: runs per property (each suite picks a modest default).
 *
 * ```sh
 * FC_RUNS=2000 deno test -A tests/prop_flows_on_mock.test.ts
 * FC_SEED=-1234 FC_PATH="12:3:0" bun test tests/prop_flows_on_mock.test.ts
 * ```
 */
import process from "node:process";
import fc from "fast-check";

function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) {
    throw new Error(`${name} must be an integer, got ${raw}`);
  }
  return n;
}

/** How many runs: `FC_RUNS` when set, else `defaultRuns` (scaled by `share` for slow suites). */
export function fcRuns(defaultRuns: number, share = 1): number {
  const runs = envInt("FC_RUNS");
  return runs === undefined
    ? defaultRuns
    : Math.max(1, Math.round(runs * share));
}

/** `fc.assert` parameters: seed/path replay from the environment, runs as {@link fcRuns}. */
export function fcParams<T>(defaultRuns: number, share = 1): fc.Parameters<T> {
  const seed = envInt("FC_SEED");
  const path = process.env.FC_PATH || undefined;
  return {
    numRuns: fcRuns(defaultRuns, share),
    ...(seed === undefined ? {} : { seed }),
    ...(seed !== undefined && path ? { path } : {}),
    // The default report (shrunk case, seed, path) is enough; verbose lists every failure met.
    verbose: 0,
  };
}

/**
 * `fc.assert` that, on failure, prepends the replay command line to the
 * error (fast-check prints the seed and path; this says which env to set).
 * `extra` adds parameters (a real-time suite passes `endOnFailure`: its
 * failing runs last seconds each, so shrinking would outlast its timeout).
 */
export async function checkProperty<T>(
  property: fc.IAsyncProperty<T>,
  defaultRuns: number,
  share = 1,
  extra: fc.Parameters<T> = {},
): Promise<void> {
  try {
    await fc.assert(property, { ...fcParams<T>(defaultRuns, share), ...extra });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const seed = /seed: (-?\d+)/.exec(msg)?.[1];
    const path = /path: "([^"]*)"/.exec(msg)?.[1];
    const replay = seed === undefined
      ? ""
      : `replay: FC_SEED=${seed}${
        path ? ` FC_PATH=${path}` : ""
      } <test command>\n`;
    if (e instanceof Error) e.message = replay + msg;
    throw e;
  }
}

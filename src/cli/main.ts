/**
 * The `smartbus` command: `deno run -A src/cli/main.ts COMMAND ...`,
 * `bun src/cli/main.ts COMMAND ...`, or `smartbus` from the npm package.
 * See `smartbus --help` and docs/cli.md.
 *
 * Ctrl-C and SIGTERM abort the running command, which cleans up and
 * returns; a second one ends the process at once. The process then ends by
 * itself (exit code set, nothing left running), so piped stdout is flushed.
 *
 * @module
 */
import process from "node:process";
import { setTimeout } from "node:timers";
import { processIo, readerGone } from "./io.ts";
import { runCli } from "./run.ts";

const SIGNALS = ["SIGINT", "SIGTERM"] as const;
/** How long a finished program may linger (a stuck native thread, say) before it is ended. */
const EXIT_GRACE_MS = 3000;

async function main(): Promise<void> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (): void => {
    if (++interrupts > 1) process.exit(130);
    controller.abort();
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  process.stdout.on("error", readerGone);
  let code: number;
  try {
    code = await runCli(process.argv.slice(2), processIo(), controller.signal);
  } finally {
    for (const s of SIGNALS) process.off(s, onSignal);
  }
  process.exitCode = code;
  // Unref'd: it never keeps the process alive, it only ends one that
  // something else (a library thread, a stray handle) still holds.
  const guard = setTimeout(() => {
    process.stderr.write(
      `warning: still running ${EXIT_GRACE_MS} ms after finishing; exiting\n`,
    );
    process.exit(code);
  }, EXIT_GRACE_MS);
  guard.unref();
}

await main();

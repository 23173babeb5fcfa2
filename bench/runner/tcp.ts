/**
 * One TCP benchmark of one driver on a fresh mock bus server process (plus
 * the C flooder for the receive benchmark): shared by `run.ts` and
 * `queue.ts`.
 *
 * ```ts
 * import { runTcp } from "./tcp.ts";
 * ```
 * @module
 */
import { fileURLToPath } from "node:url";
import { Proc } from "./proc.ts";
import { type Counts, type Driver, type Library, paths } from "./plan.ts";
import type { Outcome } from "./report.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url)).replace(
  /\/$/,
  "",
);
const P = paths(ROOT);
const DRIVER_UNIT = 17;
const FLOOD_UNIT = 40;

async function startServer(
  library: Library,
): Promise<{ proc: Proc; port: number }> {
  const proc = Proc.start([P.deno, "run", "-A", P.server, library], {
    keepStdin: true,
    name: "server",
  });
  const line = await proc.line((l) => l.startsWith("{"), 30_000);
  return { proc, port: JSON.parse(line).port };
}

async function stopServer(s: { proc: Proc }): Promise<void> {
  await s.proc.closeStdin();
  await s.proc.wait(10_000).catch(() => s.proc.kill());
}

// The vendor's library writes its trace on stdout through its own buffer
// (unless the app takes it), so a driver's line may follow a part of one.
const RESULT = "RESULT {";

/** Whether `line` carries a driver's `RESULT {json}`. */
export const isResultLine = (line: string): boolean => line.includes(RESULT);

/** The JSON of a driver's `RESULT {json}` line. */
export const resultOf = (line: string): Record<string, unknown> =>
  JSON.parse(line.slice(line.indexOf(RESULT) + RESULT.length - 1));

function modeArgs(
  mode: "send" | "recv" | "flow",
  c: Counts,
  port: number,
  resumeFile: string,
): string[] {
  const common = [
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--unit",
    String(DRIVER_UNIT),
  ];
  if (mode === "send") {
    return [
      mode,
      ...common,
      "--count",
      String(c.send.count),
      "--batch",
      String(c.send.batch),
    ];
  }
  if (mode === "recv") {
    return [
      mode,
      ...common,
      "--count",
      String(c.recv.count),
      "--warm",
      String(c.recv.warm),
      "--peer-unit",
      String(FLOOD_UNIT),
      "--burst",
      String(c.recv.burst),
      "--resume-file",
      resumeFile,
    ];
  }
  return [
    mode,
    ...common,
    "--inflight",
    c.flow.inflight.join(","),
    "--flows",
    c.flow.flows.join(","),
    "--warm",
    String(c.flow.warm),
    "--flow-timeout",
    String(c.flow.timeoutMs),
  ];
}

/** One driver, one TCP benchmark, on a fresh server set up for `library`. */
export async function runTcp(
  mode: "send" | "recv" | "flow",
  d: Pick<Driver, "name" | "cmd" | "env">,
  c: Counts,
  timeoutMs: number,
  library: Library = "standin",
): Promise<Outcome> {
  const server = await startServer(library);
  const procs: Proc[] = [];
  // Created once the flood's burst is all in the bus: the receiver then drains it.
  const resumeFile = `${
    Deno.makeTempDirSync({ prefix: "smartbus-bench-" })
  }/resume`;
  try {
    const args = modeArgs(mode, c, server.port, resumeFile);
    const drv = Proc.start([...d.cmd!, ...args], {
      name: `${d.name} ${mode}`,
      env: d.env,
    });
    procs.push(drv);
    if (mode === "recv") {
      await drv.line((l) => l.endsWith("READY"), 30_000);
      const flood = Proc.start([
        P.flood,
        "--port",
        String(server.port),
        "--unit",
        String(FLOOD_UNIT),
        "--to-unit",
        String(DRIVER_UNIT),
        "--count",
        String(c.recv.count),
        "--burst",
        String(c.recv.burst),
      ], { name: "flood" });
      procs.push(flood);
      const code = await flood.wait(timeoutMs);
      if (code !== 0) {
        throw new Error(`flood exited with ${code}\n${flood.stderrTail}`);
      }
      await Deno.writeTextFile(resumeFile, "go\n");
    }
    const line = await drv.line(isResultLine, timeoutMs);
    for (const p of procs) {
      const code = await p.wait(30_000);
      if (code !== 0) {
        throw new Error(`${p.name} exited with ${code}\n${p.stderrTail}`);
      }
    }
    return { ok: true, value: resultOf(line) };
  } catch (e) {
    return { ok: false, error: (e as Error).message, crashed: true };
  } finally {
    for (const p of procs) p.kill();
    await stopServer(server);
    await Deno.remove(resumeFile.replace(/\/resume$/, ""), { recursive: true })
      .catch(() => {});
  }
}

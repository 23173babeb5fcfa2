/**
 * The `smartbus` command as a child process of the running runtime (`deno
 * run -A` under Deno, `bun` under Bun), its output collected: shared by
 * `tests/cli.test.ts` and the served mock's siege test.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MAIN = join(ROOT, "src/cli/main.ts");
const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;

/** How a run ended. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function command(args: string[]): [string, string[]] {
  return deno
    ? [deno.execPath(), ["run", "-A", "--quiet", MAIN, ...args]]
    : [process.execPath, [MAIN, ...args]];
}

export function childEnv(
  extra: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith("SMARTBUS_")) env[k] = v;
  }
  return {
    ...env,
    NO_COLOR: "1",
    DENO_NO_UPDATE_CHECK: "1",
    SMARTBUS_STANDIN_RECONNECT_MS: "100",
    ...extra,
  };
}

/** A running CLI process with its output collected. */
export class Cli {
  readonly child: ChildProcess;
  stdout = "";
  stderr = "";
  readonly done: Promise<Run>;
  #waiters = new Set<() => void>();

  constructor(
    args: string[],
    env: Record<string, string> = {},
    input?: string,
  ) {
    const [exe, argv] = command(args);
    this.child = spawn(exe, argv, {
      cwd: ROOT,
      env: childEnv(env),
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child.stdout!.setEncoding("utf8");
    this.child.stderr!.setEncoding("utf8");
    this.child.stdout!.on("data", (s: string) => this.#add("stdout", s));
    this.child.stderr!.on("data", (s: string) => this.#add("stderr", s));
    this.child.stdin!.end(input ?? "");
    this.done = new Promise((resolve, reject) => {
      this.child.once("error", reject);
      this.child.once(
        "close",
        (code) => resolve({ code, stdout: this.stdout, stderr: this.stderr }),
      );
    });
  }

  #add(which: "stdout" | "stderr", s: string): void {
    this[which] += s;
    for (const w of [...this.#waiters]) w();
  }

  /** Resolves once `stream` matches `re`; rejects after `ms`. */
  waitFor(
    stream: "stdout" | "stderr",
    re: RegExp,
    ms = 10_000,
  ): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const m = this[stream].match(re);
        if (!m) return;
        this.#waiters.delete(check);
        clearTimeout(timer);
        resolve(m);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(
          new Error(
            `${re} not seen on ${stream} within ${ms} ms:\n${
              this[stream]
            }\n${this.stderr}`,
          ),
        );
      }, ms);
      this.#waiters.add(check);
      check();
    });
  }

  /**
   * Send `sig` through `process.kill`: Deno's `ChildProcess.kill` reports
   * the child as killed by the signal even when it handled it and exited 0.
   */
  signal(sig: "SIGTERM" | "SIGINT"): void {
    if (this.child.pid !== undefined && this.child.exitCode === null) {
      process.kill(this.child.pid, sig);
    }
  }

  /** The exit, or a kill and a rejection after `ms`. */
  finish(ms = 15_000): Promise<Run> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill("SIGKILL");
        reject(
          new Error(
            `CLI did not exit within ${ms} ms; stderr:\n${this.stderr}`,
          ),
        );
      }, ms);
    });
    return Promise.race([this.done, late]).finally(() => clearTimeout(timer));
  }
}

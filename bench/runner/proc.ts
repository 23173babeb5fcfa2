/**
 * Child processes for the benchmark runner: start one, read its stdout line
 * by line with a deadline, wait for its exit with a deadline (killing it
 * past that), keep the tail of its stderr for error reports.
 *
 * ```ts
 * import { Proc } from "./proc.ts";
 * const p = Proc.start(["echo", "RESULT {}"]);
 * console.log(await p.line((l) => l.startsWith("RESULT"), 1000));
 * ```
 * @module
 */

/** A running child process. */
export class Proc {
  /** Its name in error messages. */
  readonly name: string;
  #child: Deno.ChildProcess;
  #lines: string[] = [];
  #waiters: Array<() => void> = [];
  #stdoutDone = false;
  #stderr = "";
  #status: Promise<Deno.CommandStatus>;
  #exited: Deno.CommandStatus | null = null;
  #stdin: WritableStreamDefaultWriter<Uint8Array> | null = null;

  private constructor(
    name: string,
    child: Deno.ChildProcess,
    keepStdin: boolean,
  ) {
    this.name = name;
    this.#child = child;
    if (keepStdin) this.#stdin = child.stdin.getWriter();
    this.#status = child.status.then((s) => (this.#exited = s));
    this.#pump();
    this.#pumpErr();
  }

  /** Start `cmd`; `keepStdin` holds a pipe open (closed by `closeStdin`). */
  static start(
    cmd: readonly string[],
    options: {
      cwd?: string;
      env?: Record<string, string>;
      keepStdin?: boolean;
      name?: string;
    } = {},
  ): Proc {
    const child = new Deno.Command(cmd[0], {
      args: cmd.slice(1),
      cwd: options.cwd,
      env: options.env,
      stdin: options.keepStdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    return new Proc(
      options.name ?? cmd.join(" "),
      child,
      options.keepStdin ?? false,
    );
  }

  async #pump(): Promise<void> {
    let buf = "";
    const dec = new TextDecoder();
    for await (const chunk of this.#child.stdout) {
      buf += dec.decode(chunk, { stream: true });
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        this.#lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
      this.#wake();
    }
    if (buf) this.#lines.push(buf);
    this.#stdoutDone = true;
    this.#wake();
  }

  async #pumpErr(): Promise<void> {
    const dec = new TextDecoder();
    for await (const chunk of this.#child.stderr) {
      this.#stderr = (this.#stderr + dec.decode(chunk, { stream: true })).slice(
        -4000,
      );
    }
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** The last 4000 characters written to stderr. */
  get stderrTail(): string {
    return this.#stderr;
  }

  /** The exit code, once exited; null before. */
  get exitCode(): number | null {
    return this.#exited?.code ?? null;
  }

  /**
   * The first unread stdout line that matches (earlier lines are consumed);
   * throws when the process ends first or after `timeoutMs`.
   */
  async line(
    match: (line: string) => boolean,
    timeoutMs: number,
  ): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.#lines.length > 0) {
        const l = this.#lines.shift()!;
        if (match(l)) return l;
      }
      if (this.#stdoutDone) {
        await this.#status;
        throw new Error(
          `${this.name}: exited (code ${this.exitCode}) before the expected line\n${this.#stderr}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `${this.name}: no expected line within ${timeoutMs} ms\n${this.#stderr}`,
        );
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        timer = setTimeout(r, Math.min(left, 1000));
      });
      clearTimeout(timer);
    }
  }

  /** Exit code; kills (SIGKILL) and throws past `timeoutMs`. */
  async wait(timeoutMs: number): Promise<number> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<null>((
      r,
    ) => (timer = setTimeout(() => r(null), timeoutMs)));
    const s = await Promise.race([this.#status, late]);
    clearTimeout(timer);
    if (s === null) {
      this.kill();
      throw new Error(
        `${this.name}: still running after ${timeoutMs} ms, killed\n${this.#stderr}`,
      );
    }
    return s.code;
  }

  /** Close the stdin pipe (the benchmark server exits on it). */
  async closeStdin(): Promise<void> {
    const w = this.#stdin;
    this.#stdin = null;
    await w?.close().catch(() => {});
  }

  /** SIGKILL, if still running. */
  kill(): void {
    if (this.#exited) return;
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
}

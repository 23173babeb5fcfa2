/**
 * docs/control-api.md runs as written: every fenced block is run (`sh`,
 * `bash`, `ts`, `python`), parsed (`json`) or is an output sample
 * (`text`) that a test here reproduces; a block of any other kind fails.
 * Under Deno and Bun (the CLI and the examples run on the runtime under
 * test), against the stand-in `libbusnetcli.so` over loopback.
 *
 * What the test changes, and nothing else: the addresses the doc uses,
 * `127.0.0.1:8000` (the bus) and `127.0.0.1:9000` (the control API), become
 * free ports, and the CLI's `SMARTBUS_MASTER` names the bus; `smartbus` on
 * `PATH` runs `src/cli/main.ts`; `SMARTBUS_NETCLI_LIB` names the stand-in;
 * `@smartbus/netclient` imports name this checkout's files. A shell block
 * that starts background jobs has them ended when it ends; a block that is
 * one `smartbus mock` in the foreground runs until it printed the `text`
 * block that follows it, then gets SIGTERM (Ctrl-C) and must exit 0.
 *
 * Expected output, where the doc states it: a `# JSON` comment after a shell
 * or Python command, and a `// JSON` comment after a `console.log(...)`, is
 * what that line prints (checked in order).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startMockServer } from "../src/mock/server.ts";
import { childEnv, command } from "./shared/cli_child.ts";
import { connectedClient, controlEnv, invoke } from "./shared/control_env.ts";
import { TEST_LIBRARY } from "./shared/native_env.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DOC = readFileSync(join(ROOT, "docs/control-api.md"), "utf8");
const BUS_ADDRESS = "127.0.0.1:8000";
const CONTROL_ADDRESS = "127.0.0.1:9000";
/** The longest one block may run. */
const BLOCK_MS = 60_000;

interface Block {
  lang: string;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
}

function fencedBlocks(md: string): Block[] {
  const out: Block[] = [];
  const re = /^```([^\n`]*)\n([\s\S]*?)^```[ \t]*$/gm;
  for (const m of md.matchAll(re)) {
    out.push({
      lang: m[1].trim(),
      code: m[2],
      line: md.slice(0, m.index).split("\n").length,
    });
  }
  return out;
}

const BLOCKS = fencedBlocks(DOC);
const where = (b: Block) => `docs/control-api.md:${b.line} (${b.lang})`;
const commandLines = (b: Block) =>
  b.code.split("\n").map((l) => l.trim()).filter((l) =>
    l !== "" && !l.startsWith("#")
  );
/** One `smartbus mock` in the foreground: a server the reader stops. */
const isServer = (b: Block) => {
  const lines = commandLines(b);
  return lines.length === 1 && /^smartbus mock\b/.test(lines[0]) &&
    !lines[0].endsWith("&");
};
const RUN = new Set(["sh", "bash", "ts", "python"]);
const byLang = (...langs: string[]) =>
  BLOCKS.filter((b) => langs.includes(b.lang));

/** The `text` blocks a test below reproduces, each with what it holds. */
const serverOutputs = BLOCKS.flatMap((b, i) =>
  (b.lang === "sh" || b.lang === "bash") && isServer(b) &&
    BLOCKS[i + 1]?.lang === "text"
    ? [{ server: b, output: BLOCKS[i + 1] }]
    : []
);
const refusals = BLOCKS.filter((b) =>
  b.lang === "text" && /^no (stub of|such flow) /.test(b.code)
);

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Ports for the doc's addresses, `smartbus` on PATH, the env to run in. */
async function docWorld() {
  const bus = await freePort();
  const control = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "docs-examples-"));
  const [exe, argv] = command([]);
  const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  writeFileSync(
    join(dir, "smartbus"),
    `#!/bin/sh\nexec ${[exe, ...argv].map(quote).join(" ")} "$@"\n`,
    { mode: 0o755 },
  );
  const env = childEnv({
    PATH: `${dir}:${process.env.PATH ?? ""}`,
    SMARTBUS_MASTER: `127.0.0.1:${bus}`,
    SMARTBUS_NETCLI_LIB: TEST_LIBRARY,
  });
  const local = (code: string) =>
    code.replaceAll(BUS_ADDRESS, `127.0.0.1:${bus}`)
      .replaceAll(CONTROL_ADDRESS, `127.0.0.1:${control}`)
      .replaceAll(
        /(["'])@smartbus\/netclient(\/mock)?\1/g,
        (_, q, mock) =>
          q + pathToFileURL(join(ROOT, mock ? "src/mock/mod.ts" : "mod.ts")) +
          q,
      );
  return {
    bus,
    control,
    dir,
    env,
    local,
    [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }),
  };
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run `exe args`; `until`, when given, resolves once the output is far
 * enough, and the process then gets SIGTERM. Killed past `BLOCK_MS`.
 */
function run(
  exe: string,
  args: string[],
  env: Record<string, string>,
  until?: (stdout: string) => boolean,
): Promise<Ran> {
  const child = spawn(exe, args, { cwd: ROOT, env, stdio: "pipe" });
  child.stdin.end();
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stdout.on("data", (s: string) => {
    stdout += s;
    // process.kill: Deno's child.kill reports a handled SIGTERM as a kill.
    if (until?.(stdout) && child.exitCode === null) {
      process.kill(child.pid!, "SIGTERM");
    }
  });
  child.stderr.on("data", (s: string) => (stderr += s));
  const timer = setTimeout(() => child.kill("SIGKILL"), BLOCK_MS);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `# JSON` / `// JSON` comments: what the commented lines print, in order. */
function statedOutputs(code: string, comment: RegExp): unknown[] {
  const out: unknown[] = [];
  for (const line of code.split("\n")) {
    const m = comment.exec(line);
    if (!m) continue;
    try {
      out.push(JSON.parse(m[1]));
    } catch { /* prose, not an output */ }
  }
  return out;
}

const parsedOr = (t: string): unknown => {
  try {
    return JSON.parse(t);
  } catch {
    return t;
  }
};

const shown = (r: Ran) => `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

describe("docs/control-api.md - its examples run as written", () => {
  test("docs - every block runs, parses as JSON, or is an output sample a test reproduces", () => {
    const known = new Set([...RUN, "json", "text"]);
    for (const b of BLOCKS) {
      assert.ok(
        known.has(b.lang),
        `${where(b)}: mark a block that does not run as \`\`\`text`,
      );
      if (b.lang === "json") JSON.parse(b.code);
    }
    const reproduced = new Set([
      ...serverOutputs.map((s) => s.output),
      ...refusals,
    ]);
    for (const b of byLang("text")) {
      assert.ok(reproduced.has(b), `${where(b)}: no test reproduces it`);
    }
    assert.ok(byLang("sh", "bash").length >= 2 && byLang("ts").length >= 2);
  });

  for (const b of byLang("sh", "bash")) {
    test(`docs - the shell block at line ${b.line} runs`, async () => {
      using w = await docWorld();
      const code = w.local(b.code);
      if (isServer(b)) {
        const sample = serverOutputs.find((s) => s.server === b)?.output;
        assert.ok(sample, `${where(b)}: show what the server prints`);
        const want = w.local(sample.code);
        const r = await run(
          "bash",
          ["-c", `exec ${commandLines({ ...b, code })[0]}`],
          w.env,
          (out) => out.includes(want),
        );
        assert.ok(r.stdout.startsWith(want), shown(r));
        assert.equal(r.code, 0, shown(r));
        return;
      }
      const r = await run("bash", [
        "-c",
        // Background jobs end with the block; a kill ends them too.
        `trap 'kill $(jobs -p) 2>/dev/null; wait' EXIT\ntrap 'exit 143' TERM\n${code}`,
      ], w.env);
      assert.equal(r.code, 0, shown(r));
      let from = 0;
      for (const want of statedOutputs(code, /\s#\s+(\S.*)$/)) {
        const at = r.stdout.indexOf(JSON.stringify(want), from);
        assert.ok(at >= 0, `${JSON.stringify(want)} printed\n${shown(r)}`);
        from = at + 1;
      }
    });
  }

  for (const b of byLang("ts")) {
    test(`docs - the TypeScript block at line ${b.line} runs`, async () => {
      using w = await docWorld();
      const file = join(w.dir, `example-${b.line}.ts`);
      writeFileSync(file, w.local(b.code));
      const [exe, argv] = command([]);
      // The CLI's entry point gives way to the example.
      const r = await run(exe, [...argv.slice(0, -1), file], w.env);
      assert.equal(r.code, 0, shown(r));
      const lines = r.stdout.split("\n").map(parsedOr);
      let from = 0;
      for (
        const want of statedOutputs(b.code, /console\.log\(.*\/\/\s*(.+)$/)
      ) {
        const at = lines.findIndex((l, i) =>
          i >= from && JSON.stringify(l) === JSON.stringify(want)
        );
        assert.ok(at >= 0, `${JSON.stringify(want)} printed\n${shown(r)}`);
        from = at + 1;
      }
    });
  }

  const python = spawn("python3", ["--version"]);
  const hasPython = new Promise<boolean>((resolve) => {
    python.once("error", () => resolve(false));
    python.once("close", (code) => resolve(code === 0));
  });
  for (const b of byLang("python")) {
    test(`docs - the Python block at line ${b.line} runs against a served mock`, async (t) => {
      if (!await hasPython) return t.skip("python3 is not installed");
      using w = await docWorld();
      await using _server = await startMockServer({
        nodes: [{ unitId: 0, host: "127.0.0.1", port: w.bus }],
        control: { port: w.control },
        log: () => {},
      });
      const r = await run("python3", ["-c", w.local(b.code)], w.env);
      assert.equal(r.code, 0, shown(r));
    });
  }

  test("docs - the refusal reasons it quotes are the server's", async () => {
    assert.equal(refusals.length, 2, "a reason for each case");
    const [noMatch, noFlow] = refusals.map((b) => b.code.trim());
    await using env = await controlEnv();
    using c = await connectedClient(env.server, 30);
    const reason = async () => {
      await env.control.journal.clear();
      await assert.rejects(invoke(c.client, "callout", [10086]));
      const [call] = await env.control.journal.find("flowCalls");
      return call.ackMessage;
    };
    await env.control.stubs.add({
      id: "as-text",
      project: "ivr",
      flow: "callout",
      match: { paramsAt: { "0": "10086" } },
      reply: { result: [] },
    });
    assert.equal(await reason(), noMatch);
    await env.control.stubs.clear();
    assert.equal(await reason(), noFlow);
  });
});

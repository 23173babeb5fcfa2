/**
 * What users of CLIs like `nats` and `redis-cli` expect of `smartbus`:
 * `--version`, `--json` on every command, connection settings from the
 * environment (flags win), a live rate on a terminal; the `./cli` export
 * under Deno from a local JSR layout; TypeScript flows refused in one line
 * where Node cannot load them.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { VERSION } from "../src/cli/version.ts";
import { checkFlowsFile, nodeRunsTypeScript } from "../src/cli/flows_file.ts";
import { progressLine, summary } from "../src/cli/stats.ts";
import { UsageError } from "../src/cli/exit.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const MAIN = join(ROOT, "src/cli/main.ts");
const LIB = join(ROOT, "build/libbusnetcli.so");
const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;
const RUNTIME = deno ? "deno" : "bun";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function env(extra: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith("SMARTBUS_")) out[k] = v;
  }
  return { ...out, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", ...extra };
}

function run(
  exe: string,
  args: string[],
  extra: Record<string, string> = {},
  cwd = ROOT,
): Run {
  const r = spawnSync(exe, args, {
    cwd,
    env: env(extra),
    encoding: "utf8",
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function smartbus(args: string[], extra: Record<string, string> = {}): Run {
  return deno
    ? run(deno.execPath(), ["run", "-A", "--quiet", MAIN, ...args], extra)
    : run(process.execPath, [MAIN, ...args], extra);
}

const jsonLines = (text: string): Record<string, unknown>[] =>
  text.trimEnd().split("\n").map((l) => JSON.parse(l));

let dir = "";
function flowsFile(): string {
  dir ||= mkdtempSync(join(tmpdir(), "smartbus-tools-"));
  const file = join(dir, "answers.json");
  writeFileSync(file, JSON.stringify({ "ivr/hello": ["hi", 42] }));
  return file;
}

describe("cli tools - version", () => {
  test("cli tools - VERSION is deno.json's version", () => {
    const config = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8"));
    assert.equal(VERSION, config.version);
  });

  test("cli tools - --version names the version, runtime, backend and the library found", () => {
    const text = smartbus(["--version", "--lib", LIB]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^smartbus ${VERSION} `));
    assert.match(text.stdout, new RegExp(`^runtime: ${RUNTIME} \\d`, "m"));
    assert.match(text.stdout, new RegExp(`^backend: ${RUNTIME}$`, "m"));
    assert.match(text.stdout, new RegExp(`^library: ${LIB}$`, "m"));
    const viaEnv = smartbus(["--version", "--json"], {
      SMARTBUS_NETCLI_LIB: LIB,
    });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    const [r] = jsonLines(viaEnv.stdout);
    assert.equal(r.version, VERSION);
    assert.equal(r.backend, RUNTIME);
    assert.equal(r.library, LIB);
  });

  test("cli tools - --version without a library says where it looked, and exits 0", () => {
    const missing = join(tmpdir(), "no-such-dir", "libbusnetcli.so");
    const r = smartbus(["--version", "--json"], {
      SMARTBUS_NETCLI_LIB: missing,
    });
    assert.equal(r.code, 0, r.stderr);
    const [report] = jsonLines(r.stdout);
    assert.equal(report.library, null);
    assert.deepEqual(report.tried, [missing]);
    const text = smartbus(["-V"], { SMARTBUS_NETCLI_LIB: missing });
    assert.match(
      text.stdout,
      /^library: not found \(looked at: .*no-such-dir/m,
    );
  });
});

describe("cli tools - json and environment", () => {
  test("cli tools - --json prints one object per result line on every command", () => {
    const mock = ["--backend", "mock", "--flows", flowsFile(), "--json"];
    const invoke = smartbus(["invoke", ...mock, "ivr", "hello"]);
    assert.equal(invoke.code, 0, invoke.stderr);
    const [one] = jsonLines(invoke.stdout);
    assert.deepEqual(one.result, ["hi", 42]);
    assert.equal(typeof one.ms, "number");

    const repeat = smartbus([
      "invoke",
      ...mock,
      "--repeat",
      "3",
      "ivr",
      "hello",
    ]);
    assert.equal(repeat.code, 0, repeat.stderr);
    const lines = jsonLines(repeat.stdout);
    assert.equal(lines.length, 4);
    const s = lines[3].summary as Record<string, unknown>;
    assert.equal(s.calls, 3);
    assert.equal(s.failed, 0);
    assert.equal(repeat.stderr, "", "the summary went to stdout as JSON");

    const ping = smartbus(["ping", ...mock, "0", "0", "ipsc"]);
    assert.equal(ping.code, 0, ping.stderr);
    const [p] = jsonLines(ping.stdout);
    assert.equal(p.seq, 1);
    assert.equal(p.clientType, 2);
    assert.equal(typeof p.rttMs, "number");

    const notify = smartbus(["notify", ...mock, "ivr", "title", "p"]);
    assert.equal(notify.code, 0, notify.stderr);
    assert.equal(typeof jsonLines(notify.stdout)[0].invokeId, "number");

    const send = smartbus(["send", ...mock, "0", "0", "ipsc", "hey"]);
    assert.equal(send.code, 0, send.stderr);
    assert.deepEqual(jsonLines(send.stdout)[0], {
      sent: true,
      unitId: 0,
      clientId: 0,
      clientType: 2,
      cmd: 0,
      cmdType: 3,
      length: 3,
    });
  });

  test("cli tools - SMARTBUS_UNIT/MASTER are read, named in their errors, and flags win", () => {
    const mock = ["--backend", "mock", "--flows", flowsFile()];
    const bad = smartbus(["invoke", ...mock, "ivr", "hello"], {
      SMARTBUS_UNIT: "99",
    });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^SMARTBUS_UNIT must be an integer from 16 to 47/);
    const flagWins = smartbus([
      "invoke",
      ...mock,
      "--unit",
      "20",
      "ivr",
      "hello",
    ], {
      SMARTBUS_UNIT: "99",
      SMARTBUS_MASTER: "nowhere",
    });
    assert.equal(flagWins.code, 2, "the master from the env is still checked");
    assert.match(flagWins.stderr, /SMARTBUS_MASTER/);
    const ok = smartbus([
      "invoke",
      ...mock,
      "--master",
      "127.0.0.1:8123",
      "ivr",
      "hello",
    ], { SMARTBUS_MASTER: "nowhere", SMARTBUS_UNIT: "20" });
    assert.equal(ok.code, 0, ok.stderr);
    const help = smartbus(["ping", "--help"]);
    for (const name of ["SMARTBUS_MASTER", "SMARTBUS_SLAVE", "SMARTBUS_UNIT"]) {
      assert.match(help.stdout, new RegExp(name));
    }
  });

  test("cli tools - the live line shows rate and time left; the summary has a JSON form", () => {
    assert.equal(
      progressLine(50, 100, 2, 2000),
      "[###############---------------] 50/100 (2 failed) 25.0 calls/s, 2.0 s left",
    );
    assert.equal(
      progressLine(0, 10, 0, 0),
      "[------------------------------] 0/10 0.0 calls/s",
    );
    assert.deepEqual(summary([2, 1, 3], 1, 2000), {
      calls: 4,
      failed: 1,
      seconds: 2,
      rate: 2,
      p50Ms: 2,
      p99Ms: 3,
    });
    assert.equal(summary([], 2, 10).p50Ms, null);
  });
});

describe("cli tools - runtimes", () => {
  test("cli tools - a .ts --flows file is refused in one line where Node cannot strip types", () => {
    const node20 = { version: "20.20.2", typescript: undefined, flags: "" };
    assert.equal(nodeRunsTypeScript(node20), false);
    assert.equal(
      nodeRunsTypeScript({
        ...node20,
        version: "22.6.0",
        flags: "--experimental-strip-types",
      }),
      true,
    );
    assert.equal(
      nodeRunsTypeScript({
        version: "22.18.0",
        typescript: "strip",
        flags: "",
      }),
      true,
    );
    assert.equal(
      nodeRunsTypeScript({ version: "23.1.0", typescript: false, flags: "" }),
      false,
    );
    assert.throws(() => checkFlowsFile("flows.ts", node20), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.doesNotMatch(e.message, /\n/);
      assert.match(e.message, /compile it to \.js.*Deno or Bun/);
      return true;
    });
    checkFlowsFile("flows.mjs", node20);
    checkFlowsFile("flows.ts"); // Deno and Bun load TypeScript themselves
  });

  test(
    "cli tools - the ./cli export runs as jsr:@smartbus/netclient/cli from a local JSR layout, and deno install installs it",
    { skip: !deno },
    () => {
      const project = mkdtempSync(join(tmpdir(), "smartbus-jsr-"));
      try {
        // `links` resolves jsr:@smartbus/netclient to this checkout through
        // its deno.json exports, as a published copy would; --cached-only
        // keeps it off the network.
        writeFileSync(
          join(project, "deno.json"),
          JSON.stringify({ links: [ROOT] }),
        );
        const exe = deno!.execPath();
        const direct = run(
          exe,
          [
            "run",
            "-A",
            "--cached-only",
            "jsr:@smartbus/netclient/cli",
            "--version",
          ],
          {},
          project,
        );
        assert.equal(direct.code, 0, direct.stderr);
        assert.match(direct.stdout, new RegExp(`^smartbus ${VERSION} `));
        writeFileSync(
          join(project, "smartbus.ts"),
          'import "jsr:@smartbus/netclient/cli";\n',
        );
        const root = join(project, "root");
        const install = run(
          exe,
          [
            "install",
            "-g",
            "-A",
            "--cached-only",
            "--root",
            root,
            "--config",
            join(project, "deno.json"),
            "-n",
            "smartbus",
            "./smartbus.ts",
          ],
          {},
          project,
        );
        assert.equal(install.code, 0, install.stderr);
        const installed = run(join(root, "bin", "smartbus"), ["--version"], {
          PATH: `${join(exe, "..")}:${process.env.PATH}`,
        }, tmpdir());
        assert.equal(installed.code, 0, installed.stderr);
        assert.match(installed.stdout, /^runtime: deno /m);
      } finally {
        rmSync(project, { recursive: true, force: true });
      }
    },
  );
});

process.on("exit", () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// Smoke test of the installed npm package's `smartbus` bin: --help and
// --version the way each runtime's users run it (`npx smartbus` on Node,
// `bunx smartbus` and `bun x smartbus` on Bun's own backend, no koffi), then
// `smartbus mock` serving a bus and `smartbus invoke` / `smartbus ping
// --json` (native backend on the stand-in, SMARTBUS_STANDIN) answered by it.
// The build runs this file under Node and Bun (SMARTBUS_BUN names Bun).
import { spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { describe, test } from "node:test";
import assert from "node:assert/strict";

const BIN = "node_modules/.bin/smartbus";
const STANDIN = process.env.SMARTBUS_STANDIN;
const isNode = !("Bun" in globalThis);
const BUN = process.env.SMARTBUS_BUN ?? "bun";

function run(exe, args, env = {}) {
  return spawnSync(exe, args, {
    encoding: "utf8",
    timeout: 20_000,
    env: { ...process.env, ...env },
  });
}

function version(r) {
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function smartbus(args) {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    timeout: 20_000,
  });
}

describe("npm package - smartbus bin", () => {
  test("npm - smartbus --help lists the commands", () => {
    const r = smartbus(["--help"]);
    assert.equal(r.status, 0, r.stderr);
    for (const cmd of ["invoke", "mock", "ping", "watch"]) {
      assert.match(r.stdout + r.stderr, new RegExp(cmd));
    }
  });

  // npx takes seconds to resolve the bin: one call covers it.
  test("npm - npx smartbus --version runs on Node with the koffi backend", {
    skip: !isNode,
  }, () => {
    const r = version(
      run("npx", ["--offline", "smartbus", "--version", "--json"]),
    );
    assert.match(r.runtime, /^node /);
    assert.equal(r.backend, "node");
    assert.match(r.version, /^\d+\.\d+\.\d+/);
  });

  test("npm - bunx smartbus and bun x smartbus run on Bun's own backend", {
    skip: !isNode,
  }, () => {
    for (const args of [["x", "smartbus"], ["x", "--bun", "smartbus"]]) {
      const r = version(
        run(BUN, [...args, "--version", "--json", "--lib", STANDIN]),
      );
      assert.match(r.runtime, /^bun /, args.join(" "));
      assert.equal(r.backend, "bun");
      assert.equal(r.library, STANDIN);
    }
    const bunx = join(dirname(BUN), "bunx");
    const r = version(run(bunx, ["smartbus", "--version", "--json"]));
    assert.match(r.runtime, /^bun /);
  });

  test(
    "npm - a .ts --flows file on a Node without type stripping fails in one line",
    {
      skip: !isNode || process.features.typescript,
    },
    () => {
      writeFileSync("flows.ts", "export default {};\n");
      const r = smartbus([
        "mock",
        "--node",
        "0=127.0.0.1:0",
        "--flows",
        "flows.ts",
      ]);
      assert.equal(r.status, 2);
      assert.equal(r.stdout, "");
      assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
      assert.match(r.stderr, /compile it to \.js.*Deno or Bun/);
    },
  );

  test("npm - smartbus mock + smartbus invoke return a flow result", async () => {
    assert.ok(STANDIN, "SMARTBUS_STANDIN names the stand-in library");
    writeFileSync("answers.json", JSON.stringify({ "ivr/hello": ["hi", 42] }));
    const mock = spawn(process.execPath, [
      BIN,
      "mock",
      "--node",
      "0=127.0.0.1:0",
      "--flows",
      "answers.json",
      "-q",
    ], { stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise((resolve) => mock.on("exit", resolve));
    try {
      const port = await new Promise((resolve, reject) => {
        let out = "";
        const timer = setTimeout(
          () => reject(new Error(`no listening line: ${out}`)),
          15_000,
        );
        mock.stdout.on("data", (chunk) => {
          out += chunk;
          const m = /listening node=0 127\.0\.0\.1:(\d+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(Number(m[1]));
          }
        });
        mock.on("exit", (code) => reject(new Error(`mock exited ${code}`)));
      });
      const r = smartbus([
        "invoke",
        "--master",
        `127.0.0.1:${port}`,
        "--lib",
        STANDIN,
        "--timeout",
        "10s",
        "ivr",
        "hello",
      ]);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), ["hi", 42]);
      const ping = smartbus([
        "ping",
        "--json",
        "--master",
        `127.0.0.1:${port}`,
        "--lib",
        STANDIN,
        "--timeout",
        "10s",
        "0",
        "0",
        "ipsc",
      ]);
      assert.equal(ping.status, 0, ping.stderr);
      const answer = JSON.parse(ping.stdout);
      assert.equal(answer.seq, 1);
      assert.equal(typeof answer.rttMs, "number");
    } finally {
      mock.kill("SIGTERM");
    }
    assert.equal(await exited, 0);
  });
});

// Smoke test of the installed npm package's `smartbus` bin: --help, then
// `smartbus mock` serving a bus and `smartbus invoke` (native backend on the
// stand-in, SMARTBUS_STANDIN) getting a flow result from it. The bin runs
// under the runtime running this file (`npx` for --help under Node); the
// build runs this file under Node and Bun only (the bin's shebang is node).
import { spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import process from "node:process";
import { describe, test } from "node:test";
import assert from "node:assert/strict";

const BIN = "node_modules/.bin/smartbus";
const STANDIN = process.env.SMARTBUS_STANDIN;
const isNode = !("Bun" in globalThis);

function smartbus(args) {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    timeout: 20_000,
  });
}

describe("npm package - smartbus bin", () => {
  test("npm - smartbus --help lists the commands", () => {
    const r = isNode
      ? spawnSync("npx", ["--offline", "smartbus", "--help"], {
        encoding: "utf8",
        timeout: 20_000,
      })
      : smartbus(["--help"]);
    assert.equal(r.status, 0, r.stderr);
    for (const cmd of ["invoke", "mock", "ping", "watch"]) {
      assert.match(r.stdout + r.stderr, new RegExp(cmd));
    }
  });

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
    } finally {
      mock.kill("SIGTERM");
    }
    assert.equal(await exited, 0);
  });
});

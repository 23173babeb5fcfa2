/**
 * Process lifetime with the running runtime's native backend, each case in a
 * child process on the cbprobe fixture: when a program exits by itself, when
 * the backend holds it open, and releasing without deadlock when the
 * library's Release waits for its own thread.
 */
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { cbprobeOrSkip, removeBuild, runtime } from "./fixtures/ffi_harness.ts";

const { lib: LIB, skip } = cbprobeOrSkip();

/**
 * Run `body` in a child process; it sees `backend` (a fresh native backend on
 * the fixture, callbacks installed as no-ops), `cstr` and `unref`.
 */
function runChild(
  name: string,
  body: string,
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): { code: number | null; out: string; timedOut: boolean } {
  const factory = runtime === "deno" ? "createDenoBackend" : "createBunBackend";
  const mod = new URL(`../src/ffi/${runtime}.ts`, import.meta.url).href;
  const script = join(dirname(LIB), `${name}.ts`);
  writeFileSync(
    script,
    `import { ${factory} } from ${JSON.stringify(mod)};\n` +
      `const backend = ${factory}({ libraryPath: ${JSON.stringify(LIB)} });\n` +
      `const nop = () => {};\n` +
      `const callbacks = { connection: nop, recvData: nop, disconnect: nop, invokeFlowAck: nop,` +
      ` invokeFlowRet: nop, globalConnect: nop, traceInfo: nop, traceError: nop };\n` +
      `backend.setCallbacks(callbacks);\n` +
      `const unref = (t: unknown) => typeof t === "number" ? Deno.unrefTimer(t) : (t as { unref(): void }).unref();\n` +
      `const cstr = (s: string) => new TextEncoder().encode(s + "\\0");\n` +
      body,
  );
  const args = runtime === "deno" ? ["run", "-A", script] : [script];
  const r = spawnSync(process.execPath, args, {
    encoding: "utf8",
    timeout: options.timeoutMs ?? 20_000,
    env: { ...process.env, ...options.env },
  });
  return {
    code: r.status,
    out: `${r.stdout}${r.stderr}`,
    timedOut: (r.error as { code?: string } | undefined)?.code === "ETIMEDOUT",
  };
}

// Waits for the first message in a callback, then runs `then` in the
// continuation, while the library's thread may still be inside that callback.
const AFTER_FIRST_MESSAGE = (then: string): string =>
  `let first!: () => void;\n` +
  `const got = new Promise<void>((r) => first = r);\n` +
  `backend.setCallbacks({ ...callbacks, recvData: () => first() });\n` +
  `backend.init(17);\n` +
  `for (let i = 0; i < 50; i++) backend.sendData(1, 1, 3, 0, 0, 0, new Uint8Array(8));\n` +
  `await got;\n` + then;

describe(`ffi lifecycle (${runtime})`, { skip }, () => {
  after(() => removeBuild(LIB));
  test("ffi lifecycle - a program that never connected exits by itself", () => {
    const r = runChild("idle", `backend.init(17);\nconsole.log("done");\n`);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /done/);
  });

  for (const joins of ["0", "1"]) {
    const how = joins === "1"
      ? "a Release that joins its thread"
      : "a Release that does not wait";
    test(`ffi lifecycle - a program that ends while callbacks are in flight exits cleanly (${how})`, () => {
      const r = runChild(
        `busy${joins}`,
        `backend.init(17);\n` +
          `for (let i = 0; i < 5000; i++) backend.sendData(1, 1, 3, 0, 0, 0, new Uint8Array(64));\n` +
          `console.log("done");\n`,
        { env: { CBPROBE_RELEASE_JOINS: joins }, timeoutMs: 10_000 },
      );
      assert.equal(r.code, 0, r.out);
      assert.match(r.out, /done/);
    });
  }

  test("ffi lifecycle - a created connection holds the process until release", () => {
    const r = runChild(
      "held",
      `backend.init(17);\n` +
        `backend.createConnect(1, 3, cstr("127.0.0.1"), 8000, null, 0xffff, null, null, null);\n` +
        // An unref'd timer only fires if something else holds the process.
        `unref(setTimeout(() => { console.log("still alive"); backend.release(); backend.close(); }, 200));\n`,
    );
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /still alive/);
  });

  test("ffi lifecycle - after release and close the program exits by itself", () => {
    const r = runChild(
      "closed",
      `backend.init(17);\n` +
        `backend.createConnect(1, 3, cstr("127.0.0.1"), 8000, null, 0xffff, null, null, null);\n` +
        `backend.release();\nbackend.close();\n` +
        `unref(setTimeout(() => console.log("held too long"), 5000));\n`,
    );
    assert.equal(r.code, 0, r.out);
    assert.doesNotMatch(r.out, /held too long/);
  });

  test("ffi lifecycle - releaseAsync does not deadlock on a Release that joins its thread", () => {
    const r = runChild(
      "joins_async",
      AFTER_FIRST_MESSAGE(
        `await backend.releaseAsync();\nconsole.log("released");\n` +
          `backend.close();\nawait backend.settled();\nconsole.log("closed");\n`,
      ),
      { env: { CBPROBE_RELEASE_JOINS: "1" } },
    );
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /released\nclosed/);
  });

  test("ffi lifecycle - init while releaseAsync is pending throws; once it resolves, init works", () => {
    const r = runChild(
      "reinit",
      AFTER_FIRST_MESSAGE(
        `const p = backend.releaseAsync();\n` +
          `try { backend.init(17); console.log("no error"); } catch (e) { console.log(e.message); }\n` +
          `await p;\nconsole.log("init", backend.init(18));\n` +
          `await backend.releaseAsync();\nbackend.close();\n`,
      ),
      { env: { CBPROBE_RELEASE_JOINS: "1" } },
    );
    assert.equal(r.code, 0, r.out);
    if (runtime === "deno") {
      assert.match(r.out, /still being released[^]*init 0/);
    } else {
      // Bun's Release never waits on JS: releaseAsync released at once, so
      // the first init worked and the second finds the library initialized.
      assert.match(r.out, /no error\ninit -10/);
    }
  });

  test("ffi lifecycle - through the event queue, a sync release from a callback's continuation does not deadlock on a joining Release", () => {
    const r = runChild(
      "joins_sync_queue",
      AFTER_FIRST_MESSAGE(
        `backend.release();\nconsole.log("released");\nbackend.close();\n`,
      ),
      { env: { CBPROBE_RELEASE_JOINS: "1" }, timeoutMs: 10_000 },
    );
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /released/);
  });

  test(
    "ffi lifecycle - on the per-callback path, a sync release from a callback's continuation deadlocks on a joining Release (why releaseAsync exists)",
    {
      skip: runtime === "deno"
        ? false
        : "only Deno's callbacks hold the library's thread",
    },
    () => {
      const r = runChild(
        "joins_sync",
        AFTER_FIRST_MESSAGE(`backend.release();\nconsole.log("released");\n`),
        {
          env: { CBPROBE_RELEASE_JOINS: "1", SMARTBUS_EVENT_QUEUE: "off" },
          timeoutMs: 3000,
        },
      );
      assert.ok(r.timedOut, `expected a hang, got exit ${r.code}: ${r.out}`);
      assert.doesNotMatch(r.out, /released/);
    },
  );

  test(
    "ffi lifecycle - Bun without a writable temp folder says so instead of crashing",
    {
      skip: runtime === "bun"
        ? false
        : "only the Bun backend compiles a trampoline",
    },
    () => {
      // The trampoline is the fallback where the event queue cannot load.
      const r = runChild("notmp", `console.log("unreachable");\n`, {
        env: {
          TMPDIR: "/nonexistent/smartbus-tmp",
          SMARTBUS_EVENT_QUEUE: "off",
        },
      });
      assert.notEqual(r.code, 0);
      assert.match(
        r.out,
        /SmartBusError: the bun backend needs a writable temporary folder/,
      );
      assert.match(r.out, /TMPDIR/);
      assert.doesNotMatch(r.out, /unreachable/);
    },
  );
});

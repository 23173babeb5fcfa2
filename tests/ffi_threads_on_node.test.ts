/**
 * Facts the Node backend (koffi) is built on, and its lifecycle. Runs under
 * `node --test` on the npm build (scripts/build_npm.ts); skipped elsewhere.
 *
 * - A `koffi.register` callback raised on a foreign thread blocks that thread
 *   until the JS thread has run it: measured with a tiny C library compiled
 *   here, whose thread calls back while the JS thread is busy, then poisons
 *   and frees the buffer it passed.
 * - A missing library is a `LibraryLoadError` naming the path.
 * - A program that connected and closed exits by itself (no handle left);
 *   one that left the library initialized has it released when it ends.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { LibraryLoadError } from "../mod.ts";
import { createNodeBackend, type KoffiLike } from "../src/ffi/node.ts";

const isNode = !("Deno" in globalThis) && !("Bun" in globalThis);
const STANDIN = process.env.SMARTBUS_NODE_STANDIN;

// One foreign thread calls `cb(buf)` 50 ms after start(), records how long
// the call took, then overwrites and frees `buf`.
const PROBE_C = `
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
typedef void (*cb_t)(const char *);
static cb_t g_cb;
static volatile double g_blocked = -1;
static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}
static void *run(void *arg) {
  (void)arg;
  usleep(50000);
  char *buf = malloc(32);
  strcpy(buf, "intact until return");
  double t0 = now();
  g_cb(buf);
  g_blocked = now() - t0;
  memset(buf, 0xEE, 31);
  free(buf);
  return 0;
}
void probe_start(cb_t cb) {
  pthread_t t;
  g_cb = cb;
  g_blocked = -1;
  pthread_create(&t, 0, run, 0);
  pthread_detach(t);
}
double probe_blocked_ms(void) { return g_blocked; }
`;

function compileProbe(): string {
  const dir = mkdtempSync(join(tmpdir(), "koffi-probe-"));
  writeFileSync(join(dir, "probe.c"), PROBE_C);
  const lib = join(dir, "libprobe.so");
  execFileSync("cc", [
    "-shared",
    "-fPIC",
    "-O2",
    "-pthread",
    "-o",
    lib,
    join(dir, "probe.c"),
  ]);
  return lib;
}

function waitFor(cond: () => boolean, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const tick = (): void => {
      if (cond()) resolve();
      else if (Date.now() - start > ms) {
        reject(new Error(`not within ${ms} ms`));
      } else setTimeout(tick, 5);
    };
    tick();
  });
}

/** Run a Node ES module in a child process; ends it after 15 s. */
async function runChild(
  source: string,
): Promise<{ code: number | null; out: string; err: string }> {
  const dir = mkdtempSync(join(tmpdir(), "node-exit-"));
  const script = join(dir, "main.mjs");
  writeFileSync(script, source);
  try {
    const child = spawn(process.execPath, [script], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, SMARTBUS_STANDIN_RECONNECT_MS: "100" },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (err += c));
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`still running after 15 s: ${out} ${err}`));
      }, 15_000);
      child.on("exit", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    return { code, out, err };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isNode) {
  describe("node backend (koffi)", () => {
    test("node ffi - a foreign-thread callback blocks its thread until JS ran it", async () => {
      const path = compileProbe();
      const koffi = createRequire(import.meta.url)("koffi") as KoffiLike;
      const lib = koffi.load(path);
      try {
        const start = lib.func("probe_start", "void", ["void *"]);
        const blocked = lib.func("probe_blocked_ms", "double", []);
        let seen = "";
        let blockedWhileInJs = 0;
        const handle = koffi.register(
          (p: bigint) => {
            seen = new TextDecoder().decode(koffi.decode(p, "uint8_t", -1));
            blockedWhileInJs = blocked();
          },
          koffi.pointer(koffi.proto("void", ["void *"])),
        );
        try {
          start(handle);
          const busyMs = 300;
          const until = Date.now() + busyMs;
          while (Date.now() < until) { /* the JS thread is busy */ }
          await waitFor(() => blocked() >= 0, 5000);
          // The thread called back ~50 ms into the busy loop: it waited for
          // the JS thread for the rest of it.
          assert.ok(
            blocked() >= busyMs - 100,
            `the C thread was held ${blocked()} ms`,
          );
          assert.equal(blockedWhileInJs, -1, "still inside the C call");
          assert.equal(seen, "intact until return");
        } finally {
          koffi.unregister(handle);
        }
      } finally {
        lib.unload();
        rmSync(join(path, ".."), { recursive: true, force: true });
      }
    });

    test("node backend - a missing library is a LibraryLoadError naming the path", () => {
      const missing = join(tmpdir(), "no-such-dir", "libbusnetcli.so");
      assert.throws(
        () => createNodeBackend({ libraryPath: missing }),
        (e: unknown) =>
          e instanceof LibraryLoadError && e.message.includes(missing),
      );
    });

    const needsStandin = {
      skip: STANDIN ? false : "SMARTBUS_NODE_STANDIN not set",
    };
    const built = (p: string): string =>
      JSON.stringify(new URL(p, import.meta.url).href);

    test(
      "node backend - a program that connected and closed exits by itself",
      needsStandin,
      async () => {
        const r = await runChild(`
import { Client, SmartBus } from ${built("../mod.js")};
import { startMockServer } from ${built("../src/mock/mod.js")};
const server = await startMockServer({ nodes: [{ unitId: 0, port: 0 }], flows: { "p/f": [7] } });
const bus = new SmartBus({ unitId: 23, libraryPath: ${
          JSON.stringify(STANDIN)
        } });
const { host, port } = server.addresses[0];
const client = new Client({ bus, localClientId: 1, masterHost: host, masterPort: port });
await client.connect({ timeout: 10000 });
const r = await client.invoke({ server: 0, process: 0, project: "p", flow: "f" }, { timeout: 10000 });
console.log(bus.backend.kind, JSON.stringify(r));
bus.close();
await server.close();
`);
        assert.equal(r.code, 0, r.err);
        // (the stand-in prints its own trace lines on stdout first)
        assert.equal(r.out.trim().split("\n").at(-1), "node [7]");
      },
    );

    test(
      "node backend - a library left initialized is released off-thread when the program ends",
      needsStandin,
      async () => {
        // Nothing connected: nothing holds the loop, and beforeExit releases
        // the library with koffi's worker-thread call, then unloads it.
        const r = await runChild(`
import { SmartBus } from ${built("../mod.js")};
const bus = new SmartBus({ unitId: 24, libraryPath: ${
          JSON.stringify(STANDIN)
        } });
process.on("exit", () => console.log("exit", bus.backend.kind));
`);
        assert.equal(r.code, 0, r.err);
        assert.equal(r.out.trim().split("\n").at(-1), "exit node");
      },
    );
  });
} else {
  describe.skip("node backend (koffi) - runs under node --test on the npm build only", () => {});
}

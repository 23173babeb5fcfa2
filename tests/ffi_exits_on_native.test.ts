/**
 * The cases that need no bus, on the running runtime (Deno, Bun; Node runs
 * this file on the npm build, `scripts/build_npm.ts`), against both
 * libraries: our stand-in and the vendor's own `libbusnetcli.so` from
 * `../shared/reference/smartbus-client-sdk/` (never copied into this
 * repository; one printed line when it is absent). Each case is a child
 * process, because how a program ends (its exit code, a crash) is the point:
 * load, init, a refused connect, bad arguments, a second unit, finalize, a
 * program that keeps running after finalize, one that never finalizes its
 * unit, one that dies of an uncaught error, and (the vendor's library only, until the
 * mock bus speaks its protocol) a login the node refuses.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { EXT, runtime, STANDIN } from "./shared/child_runtime.ts";
import { vendorPeer } from "./shared/vendor_peer.ts";

const MOD = new URL(`../mod${EXT}`, import.meta.url).href;
/** The vendor's build this package is tested with (SDK commit ce9d0c0). */
const VENDOR = process.env.SMARTBUS_VENDOR_LIB ??
  fileURLToPath(
    new URL(
      "../../shared/reference/smartbus-client-sdk/lib/linux-x64/libbusnetcli.so",
      import.meta.url,
    ),
  );

const libraries: { name: string; path: string; vendor: boolean }[] = [];
if (existsSync(STANDIN)) {
  libraries.push({ name: "stand-in", path: STANDIN, vendor: false });
}
if (
  process.platform === "linux" && process.arch === "x64" && existsSync(VENDOR)
) {
  libraries.push({ name: "vendor", path: VENDOR, vendor: true });
} else {
  console.log(
    `ffi vendor (${runtime}): the vendor's library is not at ${VENDOR} ` +
      `(or this is not Linux x86-64): its cases are not run here`,
  );
}

/** Run `body` (an ES module) in a child of this runtime, without blocking this one. */
function child(
  body: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; signal: string | null; out: string }> {
  const dir = mkdtempSync(join(tmpdir(), "smartbus-vendor-"));
  const script = join(dir, "child.mjs");
  writeFileSync(script, body);
  const args = runtime === "deno" ? ["run", "-A", script] : [script];
  return new Promise((resolve) => {
    const p = spawn(process.execPath, args, {
      env: { ...process.env, SMARTBUS_STANDIN_RECONNECT_MS: "100", ...env },
    });
    let out = "";
    p.stdout.on("data", (b) => out += b);
    p.stderr.on("data", (b) => out += b);
    const timer = setTimeout(() => p.kill("SIGKILL"), 30_000);
    p.on("close", (code, signal) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, signal, out });
    });
  });
}

/** A loopback port nobody listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a ? a.port : 1;
      s.close(() => resolve(port));
    });
  });
}

const HEAD = (lib: string) => `
import { Client, ClientType, finalize, initialize, SmartBus } from ${
  JSON.stringify(MOD)
};
const lib = ${JSON.stringify(lib)};
const say = (...a) => console.log(...a);
const attempt = (what, fn) => {
  try { fn(); say(what, "accepted"); }
  catch (e) { say(what, "refused:", e.name, e.code, e.argument ?? ""); }
};
`;

// Unit 17 and its client 1 (`c`), set to log in to a scripted node.
const PEER_CLIENT = (lib: string, peer: { host: string; port: number }) =>
  `${HEAD(lib)}
initialize({ unitId: 17, libraryPath: lib });
const c = new Client({ localClientId: 1, localClientType: ClientType.AGENT, masterHost: ${
    JSON.stringify(peer.host)
  }, masterPort: ${peer.port} });`;

// Init, a second unit, a connect to a closed port, bad arguments, finalize;
// then \`after\` (the program's last act).
const LIFE = (lib: string, port: number, after: string) =>
  `${HEAD(lib)}
initialize({ unitId: 17, libraryPath: lib });
attempt("second unit", () => new SmartBus({ unitId: 18, libraryPath: lib }));
attempt("client type 0", () => new Client({ localClientId: 2, localClientType: 0, masterHost: "127.0.0.1", masterPort: ${port} }));
const c = new Client({ localClientId: 1, localClientType: ClientType.AGENT, masterHost: "127.0.0.1", masterPort: ${port} });
const fails = [];
c.on("connectFail", (_u, code) => fails.push(code));
try { await c.connect({ timeout: 2500 }); say("connected"); }
catch (e) { say("connect:", e.name, e.code); }
say("connectFail", fails[0]);
attempt("40-byte project", () => c.invokeFlow(0, 0, "p".repeat(40), "f", []));
attempt("long title", () => c.sendNotify(0, 0, "p", "t".repeat(102), 0, 1, "x"));
say("pending", c.pendingFlows);
${after}
`;

for (const lib of libraries) {
  describe(`ffi vendor (${runtime}, ${lib.name})`, () => {
    test(`ffi vendor - init, a refused connect, bad arguments, a second unit, finalize, and the program exits 0 by itself (${lib.name})`, async () => {
      const port = await closedPort();
      const r = await child(
        LIFE(lib.path, port, `finalize(); say("finalized");`),
      );
      assert.equal(r.code, 0, `exit ${r.code} ${r.signal}\n${r.out}`);
      assert.match(r.out, /second unit refused: AlreadyInitializedError 0/);
      assert.match(
        r.out,
        /client type 0 refused: InvalidArgumentError -17 localClientType/,
      );
      assert.match(r.out, /connect: ConnectError -20\n/);
      assert.match(r.out, /connectFail -20\n/);
      assert.match(
        r.out,
        /40-byte project refused: InvalidArgumentError -1 project/,
      );
      assert.match(r.out, /long title refused: InvalidArgumentError -1 title/);
      assert.match(r.out, /pending 0\n/);
      assert.match(r.out, /finalized\n/);
    });

    test(`ffi vendor - a program that keeps running after finalize is not crashed by the library (${lib.name})`, async () => {
      // The vendor's Release freed its clients under its own thread: SIGSEGV
      // about 2 s later. Three seconds of life after finalize(), then a
      // second unit, refused for the vendor's library (it is still held).
      const port = await closedPort();
      const r = await child(LIFE(
        lib.path,
        port,
        `finalize();
await new Promise((r) => setTimeout(r, 3000));
say("alive");
attempt("unit after finalize", () => initialize({ unitId: 19, libraryPath: lib }));
finalize();`,
      ));
      assert.equal(r.code, 0, `exit ${r.code} ${r.signal}\n${r.out}`);
      assert.match(r.out, /alive\n/);
      assert.match(
        r.out,
        lib.vendor
          ? /unit after finalize refused: SmartBusError 0/
          : /unit after finalize accepted/,
      );
    });

    test(`ffi vendor - a program that initializes and never calls finalize exits 0 by itself (${lib.name})`, async () => {
      // No client: nothing holds the process (a created client does, until
      // finalize(), by design), and the library is released as it ends.
      const r = await child(`${HEAD(lib.path)}
initialize({ unitId: 17, libraryPath: lib });
say("done");
`);
      assert.equal(r.code, 0, `exit ${r.code} ${r.signal}\n${r.out}`);
      assert.match(r.out, /done\n/);
    });

    for (
      const [what, how] of [
        ["an uncaught exception", 'throw new Error("the app\'s own bug")'],
        [
          "an unhandled rejection",
          'Promise.reject(new Error("the app\'s own bug"))',
        ],
      ]
    ) {
      test(`ffi vendor - a program with 48 clients that dies of ${what} exits 1 with it (${lib.name})`, async () => {
        // The vendor's exit-time destructor freed 48 clients under its own
        // thread: SIGSEGV at exit (3 of 3 runs under Deno).
        const port = await closedPort();
        const r = await child(LIFE(
          lib.path,
          port,
          `for (let id = 2; id < 49; id++) {
  const more = new Client({ localClientId: id, localClientType: ClientType.AGENT, masterHost: "127.0.0.1", masterPort: ${port} });
  try { await more.connect({ timeout: 1 }); } catch {}
}
${how};`,
        ));
        assert.equal(r.code, 1, `exit ${r.code} ${r.signal}\n${r.out}`);
        assert.match(r.out, /the app's own bug/);
      });
    }

    if (lib.vendor) {
      test("ffi vendor - a login the node refuses is a ConnectError with its code; finalize and exit 0 (vendor)", async () => {
        // The library's Release, or its exit-time destructor, aborted the
        // process after this (libuv's assertion, exit 134).
        const peer = await vendorPeer(-4);
        try {
          const r = await child(`${PEER_CLIENT(lib.path, peer)}
try { await c.connect({ timeout: 5000 }); say("connected"); }
catch (e) { say("connect:", e.name, e.code); }
finalize();
say("finalized");
`);
          assert.equal(r.code, 0, `exit ${r.code} ${r.signal}\n${r.out}`);
          assert.match(r.out, /connect: ConnectError -4\n/);
          assert.match(r.out, /finalized\n/);
          assert.equal(peer.registrations, 1, "the library never retries");
        } finally {
          await peer.close();
        }
      });

      test("ffi vendor - a 49th client id is refused with CLI_TOOMANY before the library (vendor)", async () => {
        // The binary has 48 client slots and wrote a 49th before its table.
        const port = await closedPort();
        const r = await child(`${HEAD(lib.path)}
initialize({ unitId: 17, libraryPath: lib });
const codes = [];
for (let id = 0; id < 49; id++) {
  const c = new Client({ localClientId: id, localClientType: ClientType.AGENT, masterHost: "127.0.0.1", masterPort: ${port} });
  try { await c.connect({ timeout: 1 }); codes.push("connected"); }
  catch (e) { codes.push(e.name + " " + e.code); }
}
say("first", codes[0]);
say("48th", codes[47]);
say("49th", codes[48]);
finalize();
`);
        assert.equal(r.code, 0, `exit ${r.code} ${r.signal}\n${r.out}`);
        // Within 1 ms: the refused TCP connect (-20) or the deadline (-25).
        assert.match(r.out, /first ConnectError -2[05]\n/);
        assert.match(r.out, /48th ConnectError -2[05]\n/);
        assert.match(r.out, /49th LibraryError -21\n/);
      });

      test("ffi vendor - data from the node arrives whole, its head read as the binary's 20 bytes (vendor)", async () => {
        // With the SDK header's 28-byte layout, dataLen read 0 and
        // packetSize garbage.
        const text = new TextEncoder().encode("hello from the node\0");
        const peer = await vendorPeer(0, 0, text);
        try {
          const r = await child(`${PEER_CLIENT(lib.path, peer)}
const got = new Promise((resolve) => c.on("receiveText", (info, t) => resolve([info, t])));
say("connect:", await c.connect({ timeout: 5000 }));
let timer;
const [info, t] = await Promise.race([got, new Promise((r) => timer = setTimeout(() => r([{}, "none"]), 5000))]);
clearTimeout(timer);
say("text", JSON.stringify(t), "dataLen", info.dataLen, "packetSize", info.packetSize, "from", info.srcUnitId, info.srcUnitClientId, "cmdType", info.cmdType);
finalize();
`);
          assert.equal(r.code, 0, `exit ${r.code} ${r.signal}\n${r.out}`);
          assert.match(r.out, /connect: 0\n/);
          assert.match(
            r.out,
            /text "hello from the node" dataLen 20 packetSize 40 from 0 -1 cmdType 3\n/,
          );
        } finally {
          await peer.close();
        }
      });
    }
  });
}

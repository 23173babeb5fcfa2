/**
 * One native unit per process, and the event queue's one warning, each in a
 * child process of the running runtime (Deno, Bun; Node runs this file on the
 * npm build, `scripts/build_npm.ts`): the library's callbacks are
 * process-wide, so a second `SmartBus` or `initialize()` while a native unit
 * is open must be refused with a typed error naming that unit before the
 * library is touched, and the first unit must keep receiving messages and
 * finishing flows afterwards.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { EXT, runtime, STANDIN } from "./shared/child_runtime.ts";

const MOD = new URL(`../mod${EXT}`, import.meta.url).href;
const MOCK = new URL(`../src/mock/mod${EXT}`, import.meta.url).href;
const QUEUE = new URL(`../src/ffi/queue/process${EXT}`, import.meta.url).href;
const skip = existsSync(STANDIN)
  ? false
  : `no stand-in at ${STANDIN} (scripts/build_native.sh)`;

/** Run `body` (an ES module) in a child of this runtime; its output and exit code. */
function child(
  body: string,
  env: Record<string, string> = {},
): { code: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), "smartbus-units-"));
  const script = join(dir, "child.mjs");
  writeFileSync(script, body);
  try {
    const args = runtime === "deno" ? ["run", "-A", script] : [script];
    const r = spawnSync(process.execPath, args, {
      encoding: "utf8",
      timeout: 30_000,
      env: { ...process.env, SMARTBUS_STANDIN_RECONNECT_MS: "100", ...env },
    });
    return { code: r.status, out: `${r.stdout}${r.stderr}${r.error ?? ""}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// An echoing peer: unit 30 on the mock backend, attached in process to the
// same bus, whose client 2 sends every text it gets to client 2 of `unit`.
// The native library sends nothing to its own unit (-11, as the vendor's),
// so client 1's messages reach client 2 through the peer.
const ECHO_PEER = (unit: number): string => `
const peerUnit = new SmartBus({ unitId: 30, backend: new MockBackend(bus, { reconnectIntervalMs: 100 }) });
const peer = new Client({ bus: peerUnit, localClientId: 2, localClientType: ClientType.AGENT, masterHost: "127.0.0.1", masterPort: 8100 });
await peer.connect({ timeout: 10000 });
peer.on("receiveText", (_info, text) => peer.send(1, CmdType.USER, ${unit}, 2, ClientType.AGENT, text));
`;

// Unit 20 with two clients on a mock bus over TCP; after the refused second
// unit, client 1 sends 40 messages to client 2 (through the echoing peer)
// and runs 5 flows.
const SECOND_UNIT = `
import { Client, ClientType, CmdType, initialize, SmartBus } from ${
  JSON.stringify(MOD)
};
import { MockBackend, MockBus, serveTcp } from ${JSON.stringify(MOCK)};
const lib = ${JSON.stringify(STANDIN)};
const bus = new MockBus({ logger: () => {} });
bus.addNode({ unitId: 0, port: 8100 });
bus.addIpsc({ unitId: 0, processIndex: 0, node: 0 }).flow("p", "echo", (x) => x);
${ECHO_PEER(20)}
const front = await serveTcp(bus, [{ unitId: 0, host: "127.0.0.1", port: 8100, listenPort: 0 }],
  { logger: { warn() {}, info() {} } });
const { host, port } = front.addresses[0];
const first = new SmartBus({ unitId: 20, libraryPath: lib });
const a = new Client({ bus: first, localClientId: 1, localClientType: ClientType.AGENT, masterHost: host, masterPort: port });
const b = new Client({ bus: first, localClientId: 2, localClientType: ClientType.AGENT, masterHost: host, masterPort: port });
await a.connect({ timeout: 10000 });
await b.connect({ timeout: 10000 });
const refuse = (what, make) => {
  try { make(); console.log(what, "accepted"); }
  catch (e) { console.log(what, "refused:", e.name, e.code, e.message); }
};
refuse("SmartBus", () => new SmartBus({ unitId: 21, libraryPath: lib }));
refuse("initialize", () => initialize({ unitId: 22, libraryPath: lib }));
let got = 0;
const all = new Promise((resolve) => b.on("receiveText", () => { if (++got === 40) resolve(); }));
for (let i = 0; i < 40; i++) a.send(1, CmdType.USER, 30, 2, ClientType.AGENT, "m" + i);
let timer;
await Promise.race([all, new Promise((r) => timer = setTimeout(r, 10000))]);
clearTimeout(timer);
console.log("received", got);
let flows = 0;
for (let i = 0; i < 5; i++) {
  const r = await a.invoke({ server: 0, process: 0, project: "p", flow: "echo", params: [i] }, { timeout: 5000 });
  if (r[0] === i) flows++;
}
console.log("flows", flows);
await first.closeAsync();
const again = new SmartBus({ unitId: 21, libraryPath: lib });
console.log("after close", again.unitId);
again.close();
peerUnit.close();
await front.close();
`;

// A unit whose client keeps failing to connect (a trace line and an event
// every 5 ms from the library's thread), then the program dies of \`how\`.
const DIES = (how: string): string => `
import { Client, SmartBus } from ${JSON.stringify(MOD)};
const bus = new SmartBus({ unitId: 23, libraryPath: ${
  JSON.stringify(STANDIN)
} });
const c = new Client({ bus, localClientId: 1, masterHost: "127.0.0.1", masterPort: 1 });
c.connect({ timeout: 100 }).catch(() => {});
setTimeout(() => { ${how}; }, 150);
`;

// Two clients of one unit on a mock bus over TCP: how the event queue wakes
// JS, 200 messages from one to the other (through the echoing peer), and
// what the temp dir holds.
const WAKE = `
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { Client, ClientType, CmdType, SmartBus } from ${JSON.stringify(MOD)};
import { MockBackend, MockBus, serveTcp } from ${JSON.stringify(MOCK)};
import { openedEventQueue } from ${JSON.stringify(QUEUE)};
const bus = new MockBus({ logger: () => {} });
bus.addNode({ unitId: 0, port: 8100 });
${ECHO_PEER(24)}
const front = await serveTcp(bus, [{ unitId: 0, host: "127.0.0.1", port: 8100, listenPort: 0 }],
  { logger: { warn() {}, info() {} } });
const { host, port } = front.addresses[0];
const unit = new SmartBus({ unitId: 24, libraryPath: ${
  JSON.stringify(STANDIN)
} });
const make = (id) => new Client({ bus: unit, localClientId: id, localClientType: ClientType.AGENT, masterHost: host, masterPort: port });
const a = make(1), b = make(2);
await a.connect({ timeout: 10000 });
await b.connect({ timeout: 10000 });
const q = openedEventQueue();
console.log("socket wake", await q.socketReady, q.wakeMode());
let got = 0;
const all = new Promise((resolve) => b.on("receiveText", () => { if (++got === 200) resolve(); }));
for (let i = 0; i < 200; i++) a.send(1, CmdType.USER, 30, 2, ClientType.AGENT, "m" + i);
let timer;
await Promise.race([all, new Promise((r) => timer = setTimeout(r, 10000))]);
clearTimeout(timer);
console.log("received", got);
let files = "none";
try { files = readdirSync(tmpdir()).filter((n) => n.startsWith("smartbus-eq-")).length; } catch {}
console.log("socket files", files);
await unit.closeAsync();
peerUnit.close();
await front.close();
`;

describe(`ffi units (${runtime})`, { skip }, () => {
  test("ffi units - a second native unit is refused with a typed error naming the open one; the first keeps working", () => {
    const r = child(SECOND_UNIT);
    assert.equal(r.code, 0, r.out);
    assert.match(
      r.out,
      /SmartBus refused: AlreadyInitializedError 0 .*unit id 20/,
    );
    assert.match(
      r.out,
      /initialize refused: AlreadyInitializedError 0 .*unit id 20/,
    );
    assert.match(r.out, /received 40\n/);
    assert.match(r.out, /flows 5\n/);
    assert.match(r.out, /after close 21\n/);
  });

  test("ffi units - an event queue that cannot load is one warning per process, and events still arrive", () => {
    // Two units one after the other: two backends, one warning.
    const r = child(SECOND_UNIT, {
      SMARTBUS_EVENT_QUEUE_LIB: "/nonexistent/event_queue.so",
    });
    assert.equal(r.code, 0, r.out);
    const warnings = r.out.match(/native event queue is not used/g) ?? [];
    assert.equal(warnings.length, 1, r.out);
    assert.match(r.out, /\/nonexistent\/event_queue\.so cannot be loaded/);
    assert.match(r.out, /received 40\n/);
    assert.match(r.out, /flows 5\n/);
  });

  test("ffi units - SMARTBUS_EVENT_QUEUE=off takes the per-callback path without a warning", () => {
    const r = child(SECOND_UNIT, { SMARTBUS_EVENT_QUEUE: "off" });
    assert.equal(r.code, 0, r.out);
    assert.doesNotMatch(r.out, /native event queue/);
    assert.match(r.out, /received 40\n/);
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
    test(`ffi units - a program that dies of ${what} with a unit open exits 1 with its error, not a crash`, () => {
      // Deno drops FFI libraries and callbacks before it prints the error
      // and exits; the library's threads ran on into them (SIGSEGV, the
      // error unprinted, 10 of 10 runs). Three runs: it was a race.
      for (let i = 0; i < 3; i++) {
        const r = child(DIES(how), { SMARTBUS_STANDIN_RECONNECT_MS: "5" });
        assert.equal(r.code, 1, `run ${i}: exit ${r.code}\n${r.out}`);
        assert.match(r.out, /the app's own bug/);
      }
    });
  }

  test("ffi units - Node wakes JS through a Unix socket (Deno and Bun through their callbacks), leaving no file behind", () => {
    const tmp = mkdtempSync(join(tmpdir(), "smartbus-wake-"));
    try {
      const r = child(WAKE, { TMPDIR: tmp });
      assert.equal(r.code, 0, r.out);
      const expected = runtime === "node" ? "true socket" : "false callback";
      assert.match(r.out, new RegExp(`socket wake ${expected}\n`), r.out);
      assert.match(r.out, /received 200\n/);
      assert.match(r.out, /socket files 0\n/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  test("ffi units - where the socket cannot be made the callback wake takes over and events still arrive", () => {
    const r = child(WAKE, { TMPDIR: "/nonexistent/smartbus-wake" });
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /socket wake false callback\n/);
    assert.match(r.out, /received 200\n/);
  });
});

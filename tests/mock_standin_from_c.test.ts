/**
 * The native stand-in library from C (`build/test_standin`, normal and
 * ASan+UBSan builds) against a mock bus served on loopback: every call,
 * callback and return code, and its link behaviour. Runs under whichever
 * runtime runs this file (the runtime only starts the processes).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import {
  encodeFrame,
  FrameDecoder,
  FrameKind,
  MockBus,
  serveTcp,
  type TcpFront,
} from "../src/mock/internal.ts";
import { echoPeer } from "./fixtures/echo_peer.ts";
import { deadPort } from "./shared/loopback.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const NODE_UNIT = 3;
const NODE_PORT = 8000;
/** The echoing peer unit test_standin.c sends its data to (its PEER_UNIT, PEER_CLIENT). */
const PEER_UNIT = 30;
const PEER_CLIENT = 2;
const AGENT = 4;

/** Runs the idempotent build script (it skips up-to-date outputs). */
function build(): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      "bash",
      [`${root}scripts/build_native.sh`],
      { timeout: 180_000 },
      (err, _out, stderr) => {
        if (err) {
          reject(
            new Error(`build_native.sh failed: ${err.message}\n${stderr}`),
          );
        } else resolve();
      },
    );
  });
}

interface Bus {
  bus: MockBus;
  front: TcpFront;
  port: number;
  [Symbol.asyncDispose](): Promise<void>;
}

async function startBus(users?: Record<string, string>): Promise<Bus> {
  const bus = new MockBus({ strict: true, logger: () => {} });
  bus.addNode({ unitId: NODE_UNIT, port: NODE_PORT, users });
  const ipsc = bus.addIpsc({ unitId: NODE_UNIT, processIndex: 0 });
  ipsc.flow("proj", "echo", (params: unknown) => params);
  ipsc.flow("proj", "never", () => new Promise<never>(() => {}));
  // The stand-in, as the vendor's library, sends nothing to its own unit
  // (-11): test_standin.c sends its data to this peer, which sends it back.
  const [user, password] = Object.entries(users ?? {})[0] ?? [];
  const peer = echoPeer(bus, {
    unitId: PEER_UNIT,
    clientId: PEER_CLIENT,
    clientType: AGENT,
    node: { host: "127.0.0.1", port: NODE_PORT },
    user,
    password,
  });
  await peer.ready();
  // heartbeatMs >= 1000: the library heartbeats every second (as the
  // vendor's), and the bus drops a client silent for 3 x heartbeatMs.
  const front = await serveTcp(
    bus,
    [{ unitId: NODE_UNIT, host: "127.0.0.1", port: NODE_PORT, listenPort: 0 }],
    { heartbeatMs: 1000, logger: { warn: () => {} } },
  );
  return {
    bus,
    front,
    port: front.addresses[0].port,
    [Symbol.asyncDispose]: async () => {
      peer.close();
      await front.close();
    },
  };
}

/**
 * A raw peer, not the mock bus, speaking the vendor's wire protocol: answers
 * every REGISTER (1/0) with a REGISTER_ACK (2/0, result 0) from unit 5, then
 * says nothing more on the 1st connection (the library's link timeout, 1 s
 * in test_standin's faults mode, breaks it), sends 20 bytes of 0xab on the
 * 2nd (a bad head flag breaks it), and answers heartbeats (5/0) with 6/0
 * from the 3rd on.
 */
async function faultyPeer(): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer();
  const sockets = new Set<Socket>();
  let n = 0;
  const nodeHead = (
    dst: { unitId: number; clientId: number; clientType: number },
  ) => ({
    cmd: 0,
    cmdType: 0,
    src: { unitId: 5, clientId: -1, clientType: 1 },
    dst,
  });
  server.on("connection", (socket) => {
    const k = n++;
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    const decoder = new FrameDecoder({ role: "bus" });
    let client = { unitId: 0, clientId: 0, clientType: 0 };
    socket.on("data", (chunk: Uint8Array) => {
      let frames;
      try {
        frames = decoder.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const f of frames) {
        if (f.kind === FrameKind.REGISTER) {
          client = {
            unitId: f.unitId,
            clientId: f.clientId,
            clientType: f.clientType,
          };
          socket.write(
            encodeFrame({
              kind: FrameKind.REGISTER_ACK,
              head: nodeHead(client),
              result: 0,
            }),
          );
          if (k === 1) socket.write(new Uint8Array(20).fill(0xab));
        } else if (f.kind === FrameKind.HEARTBEAT && k >= 2) {
          socket.write(
            encodeFrame({
              kind: FrameKind.HEARTBEAT_ACK,
              head: nodeHead(client),
              count: f.count,
              resendCount: f.resendCount,
              timeLaunch: f.timeLaunch,
              timeReturn: Math.floor(Date.now() / 1000),
            }),
          );
        }
      }
    });
  });
  await new Promise<void>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve())
  );
  const a = server.address();
  return {
    port: typeof a === "object" && a ? a.port : 0,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** Spawns the C test program; `onLine` sees each stdout line. */
function runProgram(
  exe: string,
  args: string[],
  timeoutMs: number,
  onLine: (line: string) => void = () => {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(exe, args, {
      env: {
        ...process.env,
        SMARTBUS_STANDIN_RECONNECT_MS: "100",
        ASAN_OPTIONS: "detect_leaks=1:abort_on_error=0:halt_on_error=1",
        UBSAN_OPTIONS: "halt_on_error=1:print_stacktrace=1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "", err = "", pending = "";
    child.stdout?.on("data", (b: Uint8Array) => {
      const s = new TextDecoder().decode(b);
      out += s;
      pending += s;
      let nl;
      while ((nl = pending.indexOf("\n")) >= 0) {
        onLine(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    });
    child.stderr?.on(
      "data",
      (b: Uint8Array) => err += new TextDecoder().decode(b),
    );
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `${exe} did not finish within ${timeoutMs} ms\n${out}\n${err}`,
        ),
      );
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

/** Where test_standin runs: its command line but for host and IPSC process 0. */
interface ChecksAt {
  port: number;
  nodeUnit: number;
  ipscUnit: number;
  /** A port nobody listens on. */
  deadPort: number;
  /** `main` (the default), `reconnect`, `auth` or `faults`. */
  mode?: string;
}

/**
 * Runs test_standin `exe` (`host port node_unit ipsc_unit ipsc_index
 * dead_port [mode]`) on loopback and asserts that it exits 0 printing
 * `passed`; `onLine` sees each stdout line.
 */
async function assertChecksPass(
  exe: string,
  at: ChecksAt,
  passed: RegExp,
  onLine?: (line: string) => void,
): Promise<void> {
  const args = [
    "127.0.0.1",
    String(at.port),
    String(at.nodeUnit),
    String(at.ipscUnit),
    "0",
    String(at.deadPort),
    ...(at.mode ? [at.mode] : []),
  ];
  const run = await runProgram(exe, args, 60_000, onLine);
  assert.equal(run.code, 0, `exit ${run.code}\n${run.out}\n${run.err}`);
  assert.match(run.out, passed);
}

const variants = [
  { name: "normal build", exe: `${root}build/test_standin` },
  { name: "ASan+UBSan build", exe: `${root}build/asan/test_standin` },
];

describe("native c", () => {
  test("native c - the build script produces the library and test program", async () => {
    await build();
    for (const v of variants) assert.ok(existsSync(v.exe), `${v.exe} missing`);
    assert.ok(existsSync(`${root}build/libbusnetcli.so`));
    assert.ok(existsSync(`${root}build/asan/libbusnetcli.so`));
  });

  for (const v of variants) {
    test(`native c - ${v.name}: every call, callback and return code against the TCP bus`, async () => {
      await build();
      await using b = await startBus();
      await assertChecksPass(v.exe, {
        port: b.port,
        nodeUnit: NODE_UNIT,
        ipscUnit: NODE_UNIT,
        deadPort: await deadPort(),
      }, /all checks passed/);
      assert.ok(
        b.bus.notifications().length >= 1,
        "the notification reached the bus",
      );
    });

    test(`native c - ${v.name}: a node stop raises disconnect, a restart reconnects`, async () => {
      await build();
      await using b = await startBus();
      await assertChecksPass(
        v.exe,
        {
          port: b.port,
          nodeUnit: NODE_UNIT,
          ipscUnit: NODE_UNIT,
          deadPort: 1,
          mode: "reconnect",
        },
        /reconnect checks passed/,
        (line) => {
          if (line === "CONNECTED") b.bus.stopNode(NODE_UNIT);
          if (line === "DISCONNECTED") b.bus.startNode(NODE_UNIT);
        },
      );
    });

    test(`native c - ${v.name}: refused logins report the code and are not retried`, async () => {
      await build();
      await using b = await startBus({ admin: "secret" });
      await assertChecksPass(v.exe, {
        port: b.port,
        nodeUnit: NODE_UNIT,
        ipscUnit: NODE_UNIT,
        deadPort: 1,
        mode: "auth",
      }, /auth checks passed/);
    });

    test(`native c - ${v.name}: a silent or garbling peer breaks the link and the library reconnects`, async () => {
      await build();
      const peer = await faultyPeer();
      try {
        await assertChecksPass(v.exe, {
          port: peer.port,
          nodeUnit: 5,
          ipscUnit: 0,
          deadPort: 1,
          mode: "faults",
        }, /fault checks passed/);
      } finally {
        await peer.close();
      }
    });
  }
});

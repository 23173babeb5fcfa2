/**
 * One TCP mock bus, three programs: a C program on the stand-in's C ABI, a
 * peer on the other JS runtime's backend (Bun under `deno test`, Deno under
 * `bun test`), and this runtime's backend. Everyone talks to everyone.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Client, ClientType, silentLogger, SmartBus } from "../mod.ts";
import { MockBus, serveTcp } from "../src/mock/mod.ts";
import { STANDIN_PATH } from "./shared/native_env.ts";
import { nextEvent } from "./shared/env.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const here = "Bun" in globalThis
  ? "bun"
  : "Deno" in globalThis
  ? "deno"
  : "other";
const other = here === "bun" ? "deno" : "bun";
const N = 50;

function waitLine(
  child: ChildProcess,
  line: string,
  ms: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(
      () => reject(new Error(`no "${line}" within ${ms} ms: ${out}`)),
      ms,
    );
    child.stdout!.on("data", (d) => {
      out += String(d);
      if (out.includes(line)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (!out.includes(line)) {
        reject(new Error(`exited ${code} before "${line}"`));
      }
    });
  });
}

function exitCode(child: ChildProcess, ms: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(
      () => reject(new Error(`still running after ${ms} ms`)),
      ms,
    );
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe("interop", { skip: here === "other" }, () => {
  test("interop - a C program, a Deno and a Bun client exchange data on one TCP mock bus", async () => {
    execFileSync("bash", [`${root}scripts/build_native.sh`, "--no-asan"], {
      stdio: "ignore",
    });
    const peerBin = `${root}build/echo_peer`;
    execFileSync("cc", [
      "-std=c11",
      "-Wall",
      "-Wextra",
      "-Werror",
      "-pthread",
      "-o",
      peerBin,
      `${root}tests/interop/echo_peer.c`,
      `-L${root}build`,
      "-lbusnetcli",
      `-Wl,-rpath,${root}build`,
    ]);
    const bus = new MockBus({ logger: () => {} });
    bus.addNode({ unitId: 0, port: 8000 });
    const front = await serveTcp(bus, [{
      unitId: 0,
      host: "127.0.0.1",
      port: 8000,
      listenPort: 0,
    }], { logger: { info() {}, warn() {} } });
    const { host, port } = front.addresses[0];
    const children: ChildProcess[] = [];
    const unit = new SmartBus({
      unitId: 22,
      libraryPath: STANDIN_PATH,
      logger: silentLogger,
    });
    try {
      const cPeer = spawn(peerBin, [host, String(port), "20", String(N)], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      const otherExe = `${root}node_modules/.bin/${other}`;
      const jsArgs = other === "deno"
        ? ["run", "-A", `${root}tests/interop/js_peer.ts`]
        : [`${root}tests/interop/js_peer.ts`];
      const jsPeer = spawn(otherExe, [
        ...jsArgs,
        host,
        String(port),
        "21",
        String(N),
        STANDIN_PATH,
      ], { stdio: ["ignore", "pipe", "inherit"] });
      children.push(cPeer, jsPeer);
      await Promise.all([
        waitLine(cPeer, "connected", 20_000),
        waitLine(jsPeer, "connected", 30_000),
      ]);
      const me = new Client({
        bus: unit,
        localClientId: 1,
        localClientType: ClientType.AGENT,
        masterHost: host,
        masterPort: port,
      });
      await me.connect({ timeout: 10_000 });
      const got = new Map<number, string[]>([[20, []], [21, []]]);
      me.on(
        "receiveText",
        (info, txt) => void got.get(info.srcUnitId)?.push(txt),
      );
      const all = nextEvent(
        (l) => me.on("receiveText", l),
        20_000,
        () => got.get(20)!.length === N && got.get(21)!.length === N,
      );
      for (let i = 0; i < N; i++) {
        me.send(1, 3, 20, 1, ClientType.AGENT, `to C ${i}`);
        me.send(1, 3, 21, 1, ClientType.AGENT, `to ${other} ${i}`);
      }
      await all;
      assert.deepEqual(
        got.get(20),
        Array.from({ length: N }, (_, i) => `echo:to C ${i}`),
      );
      assert.deepEqual(
        got.get(21),
        Array.from({ length: N }, (_, i) => `echo:${other}:to ${other} ${i}`),
      );
      assert.equal(await exitCode(cPeer, 10_000), 0);
      assert.equal(await exitCode(jsPeer, 10_000), 0);
    } finally {
      for (const c of children) if (c.exitCode === null) c.kill();
      unit.close();
      await front.close();
    }
  });
});

/**
 * The native env: the stand-in `libbusnetcli.so` (built by
 * `scripts/build_native.sh`), or the library `SMARTBUS_TEST_LIBRARY` names,
 * driven by a real backend, attached over TCP to a mock bus served in this
 * process. Real time; the stand-in reconnects every 100 ms, the vendor's
 * library every 2 s (its own interval: nothing sets it).
 */
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  type BackendChoice,
  silentLogger,
  SmartBus,
  type SmartBusOptions,
} from "../../mod.ts";
import { MockBackend, MockBus, serveTcp } from "../../src/mock/mod.ts";
import type { EnvFactory, TestEnv } from "./env.ts";

/** The stand-in's reconnect interval in these envs (`SMARTBUS_STANDIN_RECONNECT_MS`). */
const STANDIN_RECONNECT_MS = 100;
/** The vendor's library retries a refused connect or login every 2 s (docs/wire-protocol.md). */
const VENDOR_RECONNECT_MS = 2000;
/** Where the build script puts the stand-in. */
export const STANDIN_PATH: string = fileURLToPath(
  new URL("../../build/libbusnetcli.so", import.meta.url),
);

/**
 * Under Bun, `process.env` writes do not reach the C `getenv` (Deno's do),
 * so the stand-in would keep its 1000 ms reconnect interval although
 * `nativeEnv` set `SMARTBUS_STANDIN_RECONNECT_MS`. Copy the variables the
 * stand-in reads into the C environment with libc's `setenv`.
 */
export async function exportStandinEnv(): Promise<void> {
  if (!("Bun" in globalThis)) return;
  const specifier = "bun:ffi"; // not a literal: Deno must not resolve it
  const ffi = await import(specifier);
  const libc = ffi.dlopen("libc.so.6", {
    setenv: { args: ["ptr", "ptr", "i32"], returns: "i32" },
  });
  const z = (s: string) => new TextEncoder().encode(s + "\0");
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith("SMARTBUS_STANDIN_") && v !== undefined) {
      libc.symbols.setenv(z(k), z(v), 1);
    }
  }
  libc.close();
}

/**
 * The library the native envs load: the stand-in, or the one named by
 * `SMARTBUS_TEST_LIBRARY` (the vendor's, when `tests/api_on_vendor.test.ts`
 * runs a case in a child process).
 */
export const TEST_LIBRARY: string = process.env.SMARTBUS_TEST_LIBRARY ||
  STANDIN_PATH;

/** How long the reconnect attempts of the library at `libraryPath` are apart, ms. */
export function reconnectMsOf(libraryPath: string): number {
  const standins = [STANDIN_PATH, process.env.SMARTBUS_NODE_STANDIN];
  return standins.includes(libraryPath)
    ? STANDIN_RECONNECT_MS
    : VENDOR_RECONNECT_MS;
}

export function nativeEnv(
  backend: Exclude<BackendChoice, object>,
  libraryPath = TEST_LIBRARY,
): EnvFactory {
  return async () => {
    process.env.SMARTBUS_STANDIN_RECONNECT_MS = String(STANDIN_RECONNECT_MS);
    await exportStandinEnv();
    const bus = new MockBus({ strict: true, logger: () => {} });
    const known = [8000, 8001, 8002];
    bus.addNode({ unitId: 0, port: known[0] });
    bus.addNode({ unitId: 1, port: known[1] });
    bus.addNode({ unitId: 2, port: known[2], users: { alice: "s3cret" } });
    const ipsc = bus.addIpsc({ unitId: 0, processIndex: 0, node: 0 });
    const front = await serveTcp(
      bus,
      known.map((port, unitId) => ({
        unitId,
        host: "127.0.0.1",
        port,
        listenPort: 0,
      })),
      { logger: { warn() {}, info() {} }, heartbeatMs: 1000 },
    );
    const [master, slave, secured] = front.addresses.map((a) => ({
      host: a.host,
      port: a.port,
    }));
    const units: SmartBus[] = [];
    const unitOptions = (): Partial<SmartBusOptions> => ({
      backend,
      libraryPath,
      logger: silentLogger,
    });
    const env: TestEnv = {
      name: String(backend),
      virtualTime: false,
      multiUnit: false,
      bus,
      ipsc,
      master,
      slave,
      secured,
      reconnectMs: reconnectMsOf(libraryPath),
      unitOptions,
      unit(unitId, options) {
        const u = new SmartBus({ unitId, ...unitOptions(), ...options });
        units.push(u);
        return u;
      },
      peer(unitId, options) {
        const u = new SmartBus({
          unitId,
          backend: new MockBackend(bus, {
            reconnectIntervalMs: STANDIN_RECONNECT_MS,
          }),
          logger: silentLogger,
          ...options,
        });
        units.push(u);
        return u;
      },
      peerMaster: { host: "127.0.0.1", port: known[0] },
      pass: (ms) => new Promise((r) => setTimeout(r, ms)),
      async close() {
        for (const u of units) u.close();
        await front.close();
        bus.reset();
      },
    };
    return env;
  };
}

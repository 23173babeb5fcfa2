/**
 * Where a `send` spends its time, layer by layer (an analysis aid, not part
 * of the table: it reaches below the public API). Against the benchmark's
 * TCP mock bus (`--port`), nanoseconds per call of:
 *
 * - `api_text`: `client.send(..., text)`, what users call (the table's figure);
 * - `api_bytes`: `client.send(..., bytes)`, the same without text encoding;
 * - `backend`: `bus.backend.sendData(...)`, the FFI call into the library;
 * - `api_stub`: `client.send(..., text)` over a backend whose `sendData`
 *   returns 0 at once: the API layer alone (validation, encoding, copy);
 * - `encode`: encoding the text and appending the NUL as the API does;
 * - `recv_api`: one received message through the API (head → `PackInfo`,
 *   NULs stripped, text decoded, `onReceiveText` and a `receiveData`
 *   listener), fed straight into the callbacks a backend would call;
 * - `flow_api`: one `client.invoke` through the API alone, its acknowledge
 *   and result fed into the callbacks at once (encode, JSON, pending-call
 *   bookkeeping, timer, promise), 64 in flight.
 *
 * ```sh
 * deno run -A bench/js/layers.ts --port P
 * ```
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import {
  Client,
  ClientType,
  CmdType,
  silentLogger,
  SmartBus,
} from "../../mod.ts";
import type { Backend, BackendCallbacks } from "../../src/abi/backend.ts";
import { encodeText } from "../../src/api/text.ts";
import { now } from "./measure.ts";
import { TEXT } from "./driver.ts";

const IPSC = { unitId: 0, clientId: 0, clientType: ClientType.IPSC };

/**
 * A backend that accepts everything at once: the API layer measured alone.
 *
 * @example
 * ```ts
 * import { Client, SmartBus } from "../../mod.ts";
 * import { stubBackend } from "./layers.ts";
 * const bus = new SmartBus({ unitId: 18, backend: stubBackend() });
 * const client = new Client({ bus, localClientId: 1, masterHost: "127.0.0.1", masterPort: 1 });
 * await client.connect(); // connected at once
 * ```
 */
export function stubBackend(): Backend & {
  cbs(): BackendCallbacks;
  lastInvokeId(): number;
} {
  let cbs: BackendCallbacks | undefined;
  let invokeIds = 0;
  return {
    cbs: () => cbs!,
    lastInvokeId: () => invokeIds,
    kind: "mock",
    longSize: 4,
    init: () => 0,
    release() {},
    setCallbacks(c) {
      cbs = c;
    },
    createConnect(id) {
      queueMicrotask(() => cbs?.connection(id, 0, 0));
      return 0;
    },
    sendData: () => 0,
    sendPing: () => 0,
    remoteInvokeFlow: () => ++invokeIds,
    sendNotify: () => 1,
    close() {},
  };
}

/**
 * ns per call of `fn` over `n` calls, best of `rounds`, with `between`
 * awaited after each round.
 *
 * @example
 * ```ts
 * import { nsPerCall } from "./layers.ts";
 * console.log(await nsPerCall(() => Math.sqrt(2), 1e6, 5, () => Promise.resolve()));
 * ```
 */
export async function nsPerCall(
  fn: () => void,
  n: number,
  rounds: number,
  between: () => Promise<unknown>,
): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = now();
    for (let i = 0; i < n; i++) fn();
    best = Math.min(best, (now() - t0) * 1e6 / n);
    await between();
  }
  return best;
}

/**
 * ns per `invoke` round trip through the API alone, 64 in flight, best of
 * `rounds`: `c` on a {@link stubBackend}, whose callbacks are `cbs`.
 *
 * @example
 * ```ts
 * import { Client, SmartBus } from "../../mod.ts";
 * import { flowApi, stubBackend } from "./layers.ts";
 * const backend = stubBackend();
 * const bus = new SmartBus({ unitId: 18, backend });
 * const client = new Client({ bus, localClientId: 1, masterHost: "127.0.0.1", masterPort: 1 });
 * await client.connect();
 * console.log(await flowApi(client, backend, backend.cbs(), 1000, 3), "ns per flow");
 * ```
 */
export async function flowApi(
  c: Client,
  backend: { lastInvokeId(): number },
  cbs: BackendCallbacks,
  n: number,
  rounds = 10,
): Promise<number> {
  const project = encodeText("bench", "utf-8");
  const result = encodeText('[1,"bench"]', "utf-8");
  const call = {
    server: 0,
    process: 0,
    project: "bench",
    flow: "echo",
    params: [1, 2],
  };
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    let issued = 0;
    const worker = async () => {
      while (issued < n) {
        issued++;
        const p = c.invoke(call);
        const id = backend.lastInvokeId();
        cbs.invokeFlowAck(1, null, project, id, 1, new Uint8Array(0));
        cbs.invokeFlowRet(1, null, project, id, 1, result);
        await p;
      }
    };
    const t0 = now();
    await Promise.all(Array.from({ length: 64 }, worker));
    best = Math.min(best, (now() - t0) * 1e6 / n);
  }
  return best;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      port: { type: "string" },
      n: { type: "string", default: "10000" },
    },
  });
  const n = Number(values.n);
  const lib = fileURLToPath(
    new URL("../../build/libbusnetcli.so", import.meta.url),
  );
  const bus = new SmartBus({
    unitId: 17,
    libraryPath: lib,
    logger: silentLogger,
  });
  const client = new Client({
    bus,
    localClientId: 1,
    masterHost: "127.0.0.1",
    masterPort: Number(values.port),
  });
  await client.connect({ timeout: 10_000 });
  const drain = () => client.rtt(IPSC, { timeout: 30_000 });
  const bytes = encodeText(TEXT + "\0", "utf-8");
  const out: Record<string, number> = {};
  out.api_text = await nsPerCall(
    () => client.send(1, CmdType.USER, 0, 0, 2, TEXT),
    n,
    20,
    drain,
  );
  out.api_bytes = await nsPerCall(
    () => client.send(1, CmdType.USER, 0, 0, 2, bytes),
    n,
    20,
    drain,
  );
  out.backend = await nsPerCall(
    () => bus.backend.sendData(1, 1, CmdType.USER, 0, 0, 2, bytes),
    n,
    20,
    drain,
  );
  bus.close();
  const backend = stubBackend();
  const stub = new SmartBus({ unitId: 18, backend, logger: silentLogger });
  const sc = new Client({
    bus: stub,
    localClientId: 1,
    masterHost: "127.0.0.1",
    masterPort: 1,
  });
  await sc.connect();
  const idle = () => Promise.resolve();
  out.api_stub = await nsPerCall(
    () => sc.send(1, CmdType.USER, 0, 0, 2, TEXT),
    n,
    20,
    idle,
  );
  let sink = 0;
  out.encode = await nsPerCall(
    () => {
      const t = encodeText(TEXT, "utf-8");
      const b = new Uint8Array(t.length + 1);
      b.set(t);
      sink += b.length;
    },
    n,
    20,
    idle,
  );
  // A packet head as the library lays it out (int sizes: 20 bytes), then the text + NUL.
  const head = new Uint8Array(20);
  const dv = new DataView(head.buffer);
  dv.setUint16(0, 0x5b15, true);
  head[2] = 1;
  head[3] = CmdType.USER;
  dv.setInt32(12, 20 + bytes.length, true);
  dv.setInt32(16, bytes.length, true);
  let got = 0;
  sc.on("receiveData", () => got++);
  const cbs = backend.cbs();
  out.recv_api = await nsPerCall(
    () => cbs.recvData(1, head, bytes),
    n,
    20,
    idle,
  );
  out.flow_api = await flowApi(sc, backend, cbs, n);
  stub.close();
  console.log(`RESULT ${JSON.stringify(out)}${sink + got < 0 ? " " : ""}`);
  process.exit(0);
}

if (import.meta.main) await main();

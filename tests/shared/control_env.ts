/**
 * A served mock bus with its control API for the control tests, and an
 * in-process client on it (through `MockBackend`, so no native library).
 */
import assert from "node:assert/strict";
import { Client, silentLogger, SmartBus } from "../../mod.ts";
import { MockBackend, MockControl } from "../../src/mock/mod.ts";
import { FrameKind } from "../../src/mock/internal.ts";
import { RawClient } from "./raw_client.ts";
import {
  type MockServer,
  type MockServerOptions,
  startMockServer,
} from "../../src/mock/server.ts";

export interface ControlEnv {
  server: MockServer;
  control: MockControl;
  url: string;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function controlEnv(
  options: MockServerOptions = {},
): Promise<ControlEnv> {
  const server = await startMockServer({
    nodes: [{ unitId: 0, port: 0 }, { unitId: 1, port: 0 }],
    flows: { "ivr/base": ["from the flow file"] },
    control: { port: 0 },
    ...options,
  });
  const url = server.control!.url;
  return {
    server,
    url,
    control: new MockControl(url, { token: options.control?.token }),
    [Symbol.asyncDispose]: () => server.close(),
  };
}

/** An in-process client of unit `unitId` on the server's node 0, not connected. */
export function serverClient(
  server: MockServer,
  unitId: number,
  options: { user?: string; password?: string } = {},
): { bus: SmartBus; client: Client } {
  const bus = new SmartBus({
    unitId,
    backend: new MockBackend(server.bus),
    logger: silentLogger,
  });
  const { host, port } = server.addresses[0];
  const client = new Client({
    bus,
    localClientId: 1,
    masterHost: host,
    masterPort: port,
    authorUsr: options.user ?? null,
    authorPwd: options.password ?? null,
  });
  return { bus, client };
}

/** A connected in-process client of unit `unitId` on the server's node 0. */
export async function connectedClient(
  server: MockServer,
  unitId: number,
  options: { user?: string; password?: string } = {},
): Promise<{ client: Client; [Symbol.dispose](): void }> {
  const { bus, client } = serverClient(server, unitId, options);
  await client.connect({ timeout: 5000 });
  return {
    client,
    [Symbol.dispose]: () => {
      client.close();
      bus.close();
    },
  };
}

/**
 * A raw TCP session at `port` for presence records: a login as alice with
 * a wrong password (refused, -6), then unit 20 client 2 logged in as alice
 * with `password`, sending `text` to itself (dropped: the library never
 * sends to its own unit); closed at once. Returns the node's unit it
 * registered at.
 */
export async function rawPresenceSession(
  port: number,
  password: string,
  text: string,
): Promise<number | undefined> {
  const bad = await RawClient.open(port);
  assert.equal(await bad.login(1, "alice", "wrong"), -6);
  bad.socket.destroy();
  const ok = await RawClient.open(port);
  assert.equal(await ok.login(2, "alice", password), 0);
  const self = { unitId: 20, clientId: 2, clientType: 4 };
  ok.send({
    kind: FrameKind.DATA,
    head: { cmd: 1, cmdType: 3, src: self, dst: self },
    data: new TextEncoder().encode(text),
  });
  ok.socket.destroy();
  return ok.accessUnitId;
}

export const invoke = (
  client: Client,
  flow: string,
  params: unknown[] = [],
  timeout = 3000,
): Promise<unknown[]> =>
  client.invoke({ server: 0, process: 0, project: "ivr", flow, params }, {
    timeout,
  });

/** `fetch` a control path; the status and parsed body. */
export async function call(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  // deno-lint-ignore no-explicit-any
): Promise<{ status: number; body: any }> {
  const res = await fetch(url + path, {
    method,
    headers: body === undefined
      ? headers
      : { "content-type": "application/json", ...headers },
    body: body === undefined
      ? undefined
      : typeof body === "string"
      ? body
      : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

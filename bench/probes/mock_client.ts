/**
 * The probes' client: unit 17 on a `MockBackend`, client 1 connected to
 * node 0, all imported from the checkout at `root` (so that one probe can
 * measure any checkout).
 *
 * ```ts
 * import { connectedMockClient } from "./mock_client.ts";
 * const { bus, client, backend } = await connectedMockClient(".");
 * ```
 * @module
 */
// deno-lint-ignore-file no-explicit-any

/** Unit 17 and its client 1, connected on a fresh mock bus of the checkout at `root`. */
export async function connectedMockClient(
  root: string,
): Promise<{ bus: any; client: any; backend: any }> {
  const { Client, SmartBus } = await import(`${root}/mod.ts`);
  const { MockBackend, MockBus } = await import(`${root}/src/mock/mod.ts`);
  const mock = new MockBus();
  mock.addNode({ unitId: 0, port: 8000 });
  const backend = new MockBackend(mock);
  const bus = new SmartBus({ unitId: 17, backend });
  const client = new Client({
    bus,
    localClientId: 1,
    localClientType: 4,
    masterHost: "127.0.0.1",
    masterPort: 8000,
  });
  await client.connect({ timeout: 1000 });
  return { bus, client, backend };
}

/**
 * The API layer of `client.send` alone, under Deno: a `MockBackend` whose
 * `sendData` returns at once, 2,000,000 calls of a 64-character text, three
 * rounds. Compare checkouts: `deno run -A bench/probes/api_send_stub.ts <checkout root>`.
 *
 * @module
 */
const root = Deno.args[0] ?? new URL("../..", import.meta.url).pathname;
const { Client, SmartBus } = await import(`${root}/mod.ts`);
const { MockBackend, MockBus } = await import(`${root}/src/mock/mod.ts`);
const mock = new MockBus();
mock.addNode({ unitId: 0, port: 8000 });
const backend = new MockBackend(mock);
const bus = new SmartBus({ unitId: 17, backend });
const c = new Client({
  bus,
  localClientId: 1,
  localClientType: 4,
  masterHost: "127.0.0.1",
  masterPort: 8000,
});
await c.connect({ timeout: 1000 });
(backend as unknown as { sendData: () => number }).sendData = () => 0;
const text = "x".repeat(64);
for (let r = 0; r < 3; r++) {
  const n = 2_000_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) c.send(1, 3, 17, 2, 4, text);
  const dt = performance.now() - t0;
  console.log(`api_stub: ${(dt * 1e6 / n).toFixed(0)} ns/call`);
}
await bus.closeAsync();

/**
 * The API layer of `client.send` alone, under Deno: a `MockBackend` whose
 * `sendData` returns at once, 2,000,000 calls of a 64-character text, three
 * rounds. Compare checkouts: `deno run -A bench/probes/api_send_stub.ts <checkout root>`.
 *
 * @module
 */
import { connectedMockClient } from "./mock_client.ts";

const root = Deno.args[0] ?? new URL("../..", import.meta.url).pathname;
const { bus, client: c, backend } = await connectedMockClient(root);
backend.sendData = () => 0; // the API layer alone
const text = "x".repeat(64);
for (let r = 0; r < 3; r++) {
  const n = 2_000_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) c.send(1, 3, 17, 2, 4, text);
  const dt = performance.now() - t0;
  console.log(`api_stub: ${(dt * 1e6 / n).toFixed(0)} ns/call`);
}
await bus.closeAsync();

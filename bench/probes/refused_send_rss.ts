/**
 * What a refused oversized send costs in memory: a mock client sends a
 * 64 MiB string (refused), then RSS is read after GC. Compare checkouts:
 * `deno run -A --v8-flags=--expose-gc bench/probes/refused_send_rss.ts <checkout root>`.
 *
 * @module
 */
import { connectedMockClient } from "./mock_client.ts";

const root = Deno.args[0] ?? new URL("../..", import.meta.url).pathname;
const { bus, client: c } = await connectedMockClient(root);
const mb = () => (Deno.memoryUsage().rss / 1e6).toFixed(0);
const before = mb();
let big: string | null = "x".repeat(64 * 1024 * 1024);
let err = "";
try {
  c.send(1, 3, 17, 2, 4, big);
} catch (e) {
  err = `${(e as Error).name} code ${(e as { code?: number }).code}`;
}
big = null;
for (let i = 0; i < 5; i++) {
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((r) => setTimeout(r, 50));
}
console.log(`RSS ${before} -> ${mb()} MB; refused with ${err}`);
await bus.closeAsync();

/**
 * Loopback ports for tests that need an address nobody answers on.
 */
import { createServer } from "node:net";

/** A loopback port nobody listens on (bound, then released). */
export function deadPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

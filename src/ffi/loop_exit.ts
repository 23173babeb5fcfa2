/**
 * Noticing that a program is about to exit because its event loop ran dry,
 * in Deno, Bun and Node alike (used by `native_backend.ts` to release the library
 * before the runtime tears down under the library's thread).
 *
 * @module
 */

/**
 * Run `fn` when the event loop has nothing left to do and the program would
 * exit (Deno's `beforeunload`, cancelled so that the work `fn` schedules
 * runs; Bun's and Node's `beforeExit`); returns the way to stop watching.
 */
export function onLoopDrained(fn: () => void): () => void {
  const g = globalThis as {
    Deno?: unknown;
    addEventListener?: (type: string, fn: (e: Event) => void) => void;
    removeEventListener?: (type: string, fn: (e: Event) => void) => void;
    process?: {
      on?(type: string, fn: () => void): void;
      off?(type: string, fn: () => void): void;
    };
  };
  if (g.Deno !== undefined && g.addEventListener && g.removeEventListener) {
    const add = g.addEventListener, remove = g.removeEventListener;
    // Deno only keeps running for the work `fn` schedules (Release, the
    // grace timer) when the event is cancelled.
    const listener = (e: Event): void => {
      e.preventDefault();
      fn();
    };
    add("beforeunload", listener);
    return () => remove("beforeunload", listener);
  }
  const p = g.process;
  if (p?.on && p.off) {
    p.on("beforeExit", fn);
    return () => p.off?.("beforeExit", fn);
  }
  return () => {};
}

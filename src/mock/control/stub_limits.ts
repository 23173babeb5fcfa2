/**
 * The caps on the stub table, and the error past them. Without them 600
 * stubs of 64 KiB took the served mock from 55 to 184 MB and `/state` to
 * 39 MB; a flood of stubs now stops at a fixed size. Every stub's patterns
 * also count against a budget of compiled states, which bounds both their
 * memory and the time a call spends matching them.
 *
 * @example
 * ```ts
 * import { FlowStubs, MockBus, StubLimitError } from "@smartbus/netclient/mock";
 * const bus = new MockBus();
 * bus.addNode({ unitId: 0, port: 8000 });
 * bus.addIpsc({ unitId: 0, processIndex: 0 });
 * const stubs = new FlowStubs(bus);
 * try {
 *   for (let i = 0; ; i++) stubs.add({ project: "p", flow: `f${i}`, reply: { result: [] } });
 * } catch (e) {
 *   console.log(e instanceof StubLimitError && e.code); // "too_many_stubs"
 * }
 * ```
 * @module
 */
/**
 * The most stubs a table holds.
 *
 * @example
 * ```ts
 * import { checkRoom, MAX_STUBS } from "./stub_limits.ts";
 * const cost = { bytes: 100, states: 0 };
 * checkRoom(MAX_STUBS, cost, cost, undefined); // throws StubLimitError: too_many_stubs, limit 1000
 * ```
 */
export const MAX_STUBS = 1000;

/**
 * The most bytes the stubs of a table take in all, each counted as its
 * JSON in UTF-8 (8 MiB).
 *
 * @example
 * ```ts
 * import { checkRoom, MAX_STUB_BYTES } from "./stub_limits.ts";
 * const none = { bytes: 0, states: 0 };
 * checkRoom(0, none, { bytes: MAX_STUB_BYTES + 1, states: 0 }, undefined); // throws StubLimitError: stubs_too_large
 * ```
 */
export const MAX_STUB_BYTES = 8 * 1024 * 1024;

/**
 * The most compiled states the `$regex` patterns of all stubs take in all
 * (each pattern at most `MAX_REGEX_STATES`): a call is matched against
 * every pattern of its flow, at a cost of states × characters.
 *
 * @example
 * ```ts
 * import { checkRoom, MAX_STUB_REGEX_STATES } from "./stub_limits.ts";
 * const taken = { bytes: 0, states: MAX_STUB_REGEX_STATES };
 * checkRoom(1, taken, { bytes: 100, states: 1 }, undefined); // throws StubLimitError: stubs_too_large
 * ```
 */
export const MAX_STUB_REGEX_STATES = 20_000;

/**
 * A stub the table cannot take without passing one of its caps: the cap's
 * `limit`, and `code` `too_many_stubs` ({@link MAX_STUBS}) or
 * `stubs_too_large` (bytes, {@link MAX_STUB_BYTES}, or compiled pattern
 * states, {@link MAX_STUB_REGEX_STATES}). Over HTTP it is a 413 with that
 * code and `limit`. Nothing changes in the table.
 *
 * @example
 * ```ts
 * import { StubLimitError } from "@smartbus/netclient/mock";
 * const e = new StubLimitError("too_many_stubs", 1000, "stub: the table holds at most 1000 stubs");
 * console.log(e.code, e.limit); // too_many_stubs 1000
 * ```
 */
export class StubLimitError extends Error {
  /** `"StubLimitError"`. */
  override name = "StubLimitError";
  /** Which cap: `too_many_stubs` or `stubs_too_large`. */
  readonly code: "too_many_stubs" | "stubs_too_large";
  /** The cap's value (stubs, bytes or states). */
  readonly limit: number;
  /** The error for the cap `code` of value `limit`. */
  constructor(
    code: "too_many_stubs" | "stubs_too_large",
    limit: number,
    message: string,
  ) {
    super(message);
    this.code = code;
    this.limit = limit;
  }
}

/**
 * What one stub takes from the caps.
 *
 * @example
 * ```ts
 * import { checkRoom, type StubCost } from "./stub_limits.ts";
 * const small: StubCost = { bytes: 70, states: 3 }; // a stub with one short $regex
 * checkRoom(0, { bytes: 0, states: 0 }, small, undefined); // room enough
 * ```
 */
export interface StubCost {
  /** Its JSON in UTF-8. */
  bytes: number;
  /** Compiled states of its patterns. */
  states: number;
}

/**
 * Throw {@link StubLimitError} unless a table holding `count` stubs that
 * cost `used` can take one more costing `add`, `freed` being what it gives
 * back (the stub it replaces, if any).
 *
 * @example
 * ```ts
 * import { checkRoom, MAX_STUBS } from "./stub_limits.ts";
 * const cost = { bytes: 100, states: 0 };
 * checkRoom(MAX_STUBS, cost, cost, cost); // a full table takes a stub that replaces one
 * ```
 */
export function checkRoom(
  count: number,
  used: StubCost,
  add: StubCost,
  freed: StubCost | undefined,
): void {
  if (!freed && count + 1 > MAX_STUBS) {
    throw new StubLimitError(
      "too_many_stubs",
      MAX_STUBS,
      `stub: the table holds at most ${MAX_STUBS} stubs (MAX_STUBS); ` +
        "remove some first",
    );
  }
  // What the table keeps of what it holds.
  const bytes = used.bytes - (freed?.bytes ?? 0);
  const states = used.states - (freed?.states ?? 0);
  if (bytes + add.bytes > MAX_STUB_BYTES) {
    throw new StubLimitError(
      "stubs_too_large",
      MAX_STUB_BYTES,
      `stub: stubs take at most ${MAX_STUB_BYTES} bytes of JSON in all ` +
        `(MAX_STUB_BYTES, ${MAX_STUB_BYTES / 2 ** 20} MiB); this one is ` +
        `${add.bytes} and ${bytes} are taken`,
    );
  }
  if (states + add.states > MAX_STUB_REGEX_STATES) {
    throw new StubLimitError(
      "stubs_too_large",
      MAX_STUB_REGEX_STATES,
      "stub: the $regex patterns of all stubs compile to at most " +
        `${MAX_STUB_REGEX_STATES} states (MAX_STUB_REGEX_STATES); this ` +
        `one's take ${add.states} and ${states} are taken`,
    );
  }
}

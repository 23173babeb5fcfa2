/**
 * Bus addresses as the mock bus handles them: a number key per (unit id,
 * client id) for lookups, filters, copies and the log form. Internal to the
 * mock (tests reach it through `src/mock/internal.ts`).
 *
 * @module
 */
import type { BusAddress } from "./contract.ts";

/**
 * One number per (unit id, client id): both fit in 16 bits (client ids
 * ≥ -1), so the key is exact and costs no string.
 *
 * @example
 * ```ts
 * import { addressKey } from "./address.ts";
 * console.log(addressKey({ unitId: 17, clientId: -1 })); // 1114112: 17 × 65536 + 0
 * ```
 */
export const addressKey = (a: { unitId: number; clientId: number }): number =>
  (a.unitId & 0xffff) * 0x10000 + ((a.clientId + 1) & 0xffff);

/**
 * Does `address` match every field `filter` gives?
 *
 * @example
 * ```ts
 * import { addressMatches } from "./address.ts";
 * const a = { unitId: 17, clientId: 1, clientType: 4 };
 * console.log(addressMatches(a, { unitId: 17 }), addressMatches(a, { clientId: 2 })); // true false
 * ```
 */
export function addressMatches(
  address: BusAddress,
  filter: Partial<BusAddress> | undefined,
): boolean {
  if (filter === undefined) return true;
  return (filter.unitId === undefined || filter.unitId === address.unitId) &&
    (filter.clientId === undefined || filter.clientId === address.clientId) &&
    (filter.clientType === undefined ||
      filter.clientType === address.clientType);
}

/**
 * `"<unitId> <clientId> <clientType>"`, the form the API's `addrExpr` uses.
 *
 * @example
 * ```ts
 * import { formatAddress } from "./address.ts";
 * console.log(formatAddress({ unitId: 17, clientId: 1, clientType: 4 })); // "17 1 4"
 * ```
 */
export function formatAddress(a: BusAddress): string {
  return `${a.unitId} ${a.clientId} ${a.clientType}`;
}

/**
 * A copy of an address, so records never alias live objects.
 *
 * @example
 * ```ts
 * import { copyAddress } from "./address.ts";
 * const live = { unitId: 17, clientId: 1, clientType: 4 };
 * const kept = copyAddress(live);
 * live.clientId = 2;
 * console.log(kept.clientId); // 1
 * ```
 */
export function copyAddress(a: BusAddress): BusAddress {
  return { unitId: a.unitId, clientId: a.clientId, clientType: a.clientType };
}

/**
 * How the mock backend reads its arguments: C strings without their NUL,
 * the checks of `CreateConnect` with the library's codes (in the order the
 * native stand-in applies them). Internal to `MockBackend`.
 *
 * @example
 * ```ts
 * import { MockBackend, MockBus } from "@smartbus/netclient/mock";
 * const backend = new MockBackend(new MockBus());
 * backend.init(17);
 * const host = new TextEncoder().encode("127.0.0.1\0");
 * // client type 9 does not exist: CLIENTTYPE_INVALID
 * console.log(backend.createConnect(0, 9, host, 8000, null, 0xffff, null, null, null)); // -13
 * ```
 * @module
 */
import {
  ClientType,
  ErrorCode,
  MAX_IP_ADDR_LEN,
  NO_SLAVE_PORT,
} from "../../abi/constants.ts";
import { decodeText, stripNuls } from "../../api/text.ts";
import type { MockClientConfig } from "./client.ts";

/**
 * C string argument → its bytes without the NUL, copied (to keep).
 *
 * @example
 * ```ts
 * import { MockBackend, MockBus } from "@smartbus/netclient/mock";
 * const backend = new MockBackend(new MockBus());
 * backend.init(17);
 * const host = new TextEncoder().encode("127.0.0.1\0");
 * // client type 9 does not exist: CLIENTTYPE_INVALID
 * console.log(backend.createConnect(0, 9, host, 8000, null, 0xffff, null, null, null)); // -13
 * ```
 */
export const arg = (bytes: Uint8Array | null): Uint8Array | null =>
  bytes === null ? null : stripNuls(bytes).slice();

/**
 * Whether `x` is an integer in `lo`–`hi`.
 *
 * @example
 * ```ts
 * import { MockBackend, MockBus } from "@smartbus/netclient/mock";
 * const backend = new MockBackend(new MockBus());
 * backend.init(17);
 * const host = new TextEncoder().encode("127.0.0.1\0");
 * // client type 9 does not exist: CLIENTTYPE_INVALID
 * console.log(backend.createConnect(0, 9, host, 8000, null, 0xffff, null, null, null)); // -13
 * ```
 */
export function isInt(x: number, lo: number, hi: number): boolean {
  return Number.isInteger(x) && x >= lo && x <= hi;
}

const str = (bytes: Uint8Array): string => decodeText(bytes, "utf-8");

function validHost(h: string): boolean {
  return h.length > 0 && h.length <= MAX_IP_ADDR_LEN;
}

/**
 * `CreateConnect`'s arguments as a client config, or the code that refuses
 * them: `CLIENTID_INVALID`, `CLIENTTYPE_INVALID`, `ARGUMENT` (bad host or
 * port). A slave counts when its host is not empty and its port is neither
 * `NO_SLAVE_PORT` nor 0.
 *
 * @example
 * ```ts
 * import { MockBackend, MockBus } from "@smartbus/netclient/mock";
 * const backend = new MockBackend(new MockBus());
 * backend.init(17);
 * const host = new TextEncoder().encode("127.0.0.1\0");
 * // client type 9 does not exist: CLIENTTYPE_INVALID
 * console.log(backend.createConnect(0, 9, host, 8000, null, 0xffff, null, null, null)); // -13
 * ```
 */
export function connectConfig(
  localClientId: number,
  localClientType: number,
  masterIp: Uint8Array,
  masterPort: number,
  slaveIp: Uint8Array | null,
  slavePort: number,
  user: Uint8Array | null,
  password: Uint8Array | null,
  addInfo: Uint8Array | null,
): MockClientConfig | number {
  if (!isInt(localClientId, 0, 255)) return ErrorCode.CLIENTID_INVALID;
  if (!isInt(localClientType, ClientType.NULL, ClientType.DB)) {
    return ErrorCode.CLIENTTYPE_INVALID;
  }
  const master = str(arg(masterIp)!);
  if (!validHost(master) || !isInt(masterPort, 1, 65535)) {
    return ErrorCode.ARGUMENT;
  }
  const slaveHost = slaveIp === null ? "" : str(arg(slaveIp)!);
  const hasSlave = slaveHost !== "" && slavePort !== NO_SLAVE_PORT &&
    slavePort !== 0;
  if (hasSlave && (!validHost(slaveHost) || !isInt(slavePort, 1, 65535))) {
    return ErrorCode.ARGUMENT;
  }
  return {
    id: localClientId,
    type: localClientType,
    targets: hasSlave
      ? [{ host: master, port: masterPort }, {
        host: slaveHost,
        port: slavePort,
      }]
      : [{ host: master, port: masterPort }],
    user: arg(user),
    password: arg(password),
    addInfo: arg(addInfo) ?? new Uint8Array(),
  };
}

/**
 * How the mock backend reads its arguments: C strings without their NUL,
 * the checks of `CreateConnect` with the library's codes (in the order the
 * native stand-in applies them). Internal to `MockBackend`.
 *
 * @module
 */
import {
  ClientType,
  ErrorCode,
  MAX_IP_ADDR_LEN,
  NO_SLAVE_PORT,
} from "../../abi/constants.ts";
import { ConnectError } from "../../abi/errors.ts";
import { decodeText, stripNuls } from "../../api/text.ts";
import { normHost } from "../bus/attach.ts";
import type { MockBus } from "../mock_bus.ts";
import type { MockClientConfig } from "./mock_client.ts";

/**
 * C string argument → its bytes without the NUL, copied (to keep).
 *
 * @example
 * ```ts
 * import { arg } from "./backend_args.ts";
 * console.log(arg(new TextEncoder().encode("alice\0"))); // Uint8Array(5) [97, 108, 105, 99, 101]
 * ```
 */
export const arg = (bytes: Uint8Array | null): Uint8Array | null =>
  bytes === null ? null : stripNuls(bytes).slice();

/**
 * Whether `x` is an integer in `lo`–`hi`.
 *
 * @example
 * ```ts
 * import { isInt } from "./backend_args.ts";
 * console.log(isInt(8000, 1, 65535), isInt(1.5, 1, 65535)); // true false
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
 * import { connectConfig } from "./backend_args.ts";
 * const host = new TextEncoder().encode("127.0.0.1\0");
 * // client type 9 does not exist: CLIENTTYPE_INVALID
 * console.log(connectConfig(0, 9, host, 8000, null, 0xffff, null, null, null)); // -17
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

/**
 * On a strict bus, the error for a client whose master or slave address no
 * node listens on (a typo in a test): raised by `createConnect` at once,
 * naming the address and the nodes there are, instead of a connect that
 * waits on a clock nobody may advance. Undefined when every address has a
 * node (stopped or not), or the bus is not strict.
 *
 * @example
 * ```ts
 * import { MockBus } from "@smartbus/netclient/mock";
 * import { strictTargetError } from "./backend_args.ts";
 * const bus = new MockBus({ strict: true });
 * bus.addNode({ unitId: 0, port: 8000 });
 * const config = {
 *   id: 1, type: 4, targets: [{ host: "127.0.0.1", port: 8009 }],
 *   user: null, password: null, addInfo: new Uint8Array(),
 * };
 * console.log(strictTargetError(bus, config)?.message); // strict mock bus: no node listens on 127.0.0.1:8009 …
 * ```
 */
export function strictTargetError(
  bus: Pick<MockBus, "strict" | "nodes">,
  config: MockClientConfig,
): ConnectError | undefined {
  if (!bus.strict) return undefined;
  const nodes = bus.nodes();
  const roles = ["master", "slave"];
  for (const [i, t] of config.targets.entries()) {
    const host = normHost(t.host);
    if (nodes.some((n) => n.host === host && n.port === t.port)) continue;
    const there = nodes.map((n) => `node ${n.unitId} at ${n.host}:${n.port}`);
    return new ConnectError(
      `strict mock bus: no node listens on ${t.host}:${t.port} (client ${config.id}'s ${
        roles[i]
      }); the bus has ${there.length ? there.join(", ") : "no node"}`,
      ErrorCode.ESTABLI_CONNECT,
    );
  }
  return undefined;
}

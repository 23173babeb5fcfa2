/**
 * Who may log in to a mock bus node, and what the bus tells everyone about
 * who is there: the login checks with the library's error codes, and the
 * global connect events of clients and nodes. Internal to the bus.
 *
 * @module
 */
import {
  ClientType,
  ErrorCode,
  MAX_CLIENTS_PER_NODE,
} from "../../abi/constants.ts";
import type { MockNode } from "./options.ts";
import type { Conn } from "./connections.ts";
import type {
  AttachRequest,
  BusAddress,
  GlobalConnectEvent,
} from "./contract.ts";

/** Why a login is refused: an `ErrorCode` and a reason for the log. */
export interface Refusal {
  /** The library's error code. */
  code: number;
  /** A line for the log. */
  reason: string;
}

/**
 * Why `request` may not log in to `node` (undefined: it may), given the
 * open connections `conns` of the whole bus. The order of the checks is the
 * order a real login meets them: node up, credentials, duplicate, room.
 * Room is counted per unit: a unit may attach at most
 * `MAX_CLIENTS_PER_NODE` (16) of its local clients to one node, whatever
 * other units have there (so 32 units × 16 clients fit on a bus).
 *
 * @example
 * ```ts
 * import { MockBus } from "@smartbus/netclient/mock";
 * import { loginRefusal } from "./login.ts";
 * const node = new MockBus().addNode({ unitId: 0, port: 8000, users: { alice: "s3cret" } });
 * const address = { unitId: 17, clientId: 1, clientType: 4 };
 * const request = { address, user: "alice", password: "nope", addInfo: new Uint8Array() };
 * console.log(loginRefusal(node, request, [])); // { code: -6, reason: "wrong password" }
 * ```
 */
export function loginRefusal(
  node: MockNode,
  request: AttachRequest,
  conns: Iterable<Conn>,
): Refusal | undefined {
  const refuse = (code: number, reason: string): Refusal => ({ code, reason });
  if (!node.running) {
    return refuse(ErrorCode.ESTABLI_CONNECT, `node ${node.unitId} is down`);
  }
  if (node.users !== undefined) {
    const { user, password } = request;
    if (user === null || password === null) {
      return refuse(ErrorCode.AUTHOR, "credentials required");
    }
    if (!Object.hasOwn(node.users, user)) {
      return refuse(ErrorCode.USER, `unknown user ${user}`);
    }
    if (node.users[user] !== password) {
      return refuse(ErrorCode.PWD, "wrong password");
    }
  }
  const a = request.address;
  let onNode = 0;
  let links = 0;
  for (const c of conns) {
    if (c.address.unitId === a.unitId && c.address.clientId === a.clientId) {
      // -10, as the vendor's library expects of a node that still has the
      // client registered: it retries in 2 s (any other refusal is final).
      // Its other link, on another node, is welcome (see ConnTable).
      if (
        c.node.unitId === node.unitId || ++links > 1 ||
        c.address.clientType !== a.clientType
      ) {
        return refuse(
          ErrorCode.CONNECTED,
          `${a.unitId}/${a.clientId} is already connected` +
            (c.node.unitId === node.unitId ? "" : ` at node ${c.node.unitId}`),
        );
      }
    }
    if (c.node.unitId === node.unitId && c.address.unitId === a.unitId) {
      onNode++;
    }
  }
  if (onNode >= MAX_CLIENTS_PER_NODE) {
    return refuse(
      ErrorCode.CLI_TOOMANY,
      `unit ${a.unitId} already has ${MAX_CLIENTS_PER_NODE} clients on node ${node.unitId}`,
    );
  }
  return undefined;
}

/**
 * The global connect event about connection `c` (a fresh copy each time).
 *
 * @example
 * ```ts
 * import { MockBus } from "@smartbus/netclient/mock";
 * import type { Conn } from "./connections.ts";
 * import { connEvent } from "./login.ts";
 * const node = new MockBus().addNode({ unitId: 0, port: 8000 });
 * const address = { unitId: 17, clientId: 1, clientType: 4 };
 * const conn = { address, node, addInfo: new Uint8Array() } as Conn;
 * console.log(connEvent(conn, 1).accessUnitId); // 0: the node it came through
 * ```
 */
export function connEvent(c: Conn, status: number): GlobalConnectEvent {
  return {
    unitId: c.address.unitId,
    clientId: c.address.clientId,
    clientType: c.address.clientType,
    accessUnitId: c.node.unitId,
    status,
    addInfo: c.addInfo.slice(),
  };
}

/**
 * The global connect event about node `n` (client id -1, type NODE) and
 * the address it comes from.
 *
 * @example
 * ```ts
 * import { MockBus } from "@smartbus/netclient/mock";
 * import { nodeEvent } from "./login.ts";
 * const node = new MockBus().addNode({ unitId: 3, port: 8003 });
 * console.log(nodeEvent(node, 0).src); // { unitId: 3, clientId: -1, clientType: 1 }
 * ```
 */
export function nodeEvent(
  n: MockNode,
  status: number,
): { src: BusAddress; event: GlobalConnectEvent } {
  const src = { unitId: n.unitId, clientId: -1, clientType: ClientType.NODE };
  const event = {
    ...src,
    accessUnitId: n.unitId,
    status,
    addInfo: new Uint8Array(),
  };
  return { src, event };
}

/**
 * The typed events of a `Client`, for `client.on(event, listener)`. Each
 * mirrors one of the seed's overridable `on*` methods (same arguments), plus
 * `receiveData` with the raw bytes.
 *
 * @example
 * ```ts
 * import type { ClientEvents } from "@smartbus/netclient";
 * type TextArgs = ClientEvents["receiveText"]; // [packInfo, txt]
 * ```
 * @module
 */
import type { PackInfo } from "./packinfo.ts";

/** Event name → listener arguments. */
export type ClientEvents = {
  /** `onConnectSuccess(unitId)`. */
  connectSuccess: [unitId: number];
  /** `onConnectFail(unitId, errno)`. */
  connectFail: [unitId: number, errno: number];
  /** `onDisconnect()`. */
  disconnect: [];
  /** `onReceiveText(packInfo, txt)`. */
  receiveText: [packInfo: PackInfo, txt: string];
  /** The same data as raw bytes, before decoding (NULs included). */
  receiveData: [packInfo: PackInfo, data: Uint8Array];
  /** `onInvokeFlowAcknowledge(packInfo, project, invokeId, ack, msg)`. */
  invokeFlowAcknowledge: [
    packInfo: PackInfo | null,
    project: string,
    invokeId: number,
    ack: number,
    msg: string,
  ];
  /** `onInvokeFlowRespond(packInfo, project, invokeId, result)`. */
  invokeFlowRespond: [
    packInfo: PackInfo | null,
    project: string,
    invokeId: number,
    result: unknown[] | null,
  ];
  /** `onInvokeFlowTimeout(packInfo, project, invokeId)`. */
  invokeFlowTimeout: [
    packInfo: PackInfo | null,
    project: string,
    invokeId: number,
  ];
  /** `onInvokeFlowError(packInfo, project, invokeId, errno)`. */
  invokeFlowError: [
    packInfo: PackInfo | null,
    project: string,
    invokeId: number,
    errno: number,
  ];
};

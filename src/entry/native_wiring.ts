/**
 * The edge where backends are wired in (as nats.js wires its transports):
 * {@link SmartBus}, {@link initialize} and {@link Client} bound to
 * `resolveBackend`, which loads the running runtime's native backend (Deno,
 * Bun or Node) or the one named. The API below (`src/api/`) never imports a
 * backend; `mod.ts` re-exports these.
 *
 * @example
 * ```ts
 * import { initialize } from "@smartbus/netclient";
 * const bus = initialize(17); // the runtime's backend, libbusnetcli from the search path
 * bus.close();
 * ```
 * @module
 */
import { Client as ClientCore } from "../api/client.ts";
import { type Initialize, initializer } from "../api/facade.ts";
import {
  SmartBus as SmartBusCore,
  type SmartBusOptions,
} from "../api/smartbus.ts";
import { resolveBackend } from "../ffi/select.ts";

export { ClientCore, SmartBusCore };

/**
 * One unit id's library instance on the runtime's native backend (Deno's
 * `Deno.dlopen`, Bun's `bun:ffi`, Node's koffi), or on the backend you pass
 * (`backend: "deno" | "bun" | "node"`, or an instance such as a
 * `MockBackend`). Loads the library (`libraryPath`, else
 * `SMARTBUS_NETCLI_LIB`, else the search path) and initialises it for
 * `unitId`; `close()` (also `using`) releases it. Its members are those of
 * {@link SmartBusCore}.
 *
 * @example
 * ```ts
 * import { Client, SmartBus } from "@smartbus/netclient";
 * await using bus = new SmartBus({ unitId: 17, libraryPath: "/opt/smartbus/libbusnetcli.so" });
 * bus.on("globalConnect", (info) => console.log("on the bus:", info.unitId, info.status));
 * const client = new Client({ bus, localClientId: 1, masterHost: "10.0.0.1", masterPort: 8000 });
 * await client.connect();
 * console.log(await client.invoke({ server: 0, process: 0, project: "p", flow: "f", params: [1] }));
 * ```
 */
export class SmartBus extends SmartBusCore {
  /** Load (for native backends) and initialise the library for `options.unitId`. */
  constructor(options: SmartBusOptions) {
    super(options, resolveBackend);
  }
}

/**
 * Initialise the process-wide unit: the original Python package's
 * `initialize(unitid, onglobalconnect, libraryfile, logging_option)`, or one
 * options object; the backend is the runtime's unless `backend` says
 * otherwise. Throws `AlreadyInitializedError` when called twice without
 * `finalize()`.
 *
 * @example
 * ```ts
 * import { initialize } from "@smartbus/netclient";
 * const bus = initialize(17, undefined, "/opt/smartbus/libbusnetcli.so");
 * ```
 */
export const initialize: Initialize = initializer((options) =>
  new SmartBus(options)
);

/**
 * A SmartBus network client (one local client id); see {@link ClientCore}
 * for its members. Its static `initialize` is {@link initialize}, bound to
 * the runtime's native backends like {@link SmartBus}.
 *
 * @example
 * ```ts
 * import { Client } from "@smartbus/netclient";
 * Client.initialize(17);
 * const client = new Client(1, 0, "10.0.0.1", 8000);
 * await client.connect();
 * Client.finalize();
 * ```
 */
export class Client extends ClientCore {
  /** The original Python package's classmethod `initialize`: see {@link initialize}. */
  static override initialize: Initialize = initialize;
}

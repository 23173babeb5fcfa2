/**
 * The original Python package's process-wide facade: `initialize`, `finalize`, `getUnitId`,
 * `isInitialized` (also reachable as static methods of `Client`). Under it
 * sits one {@link SmartBus} instance; code that needs several units in one
 * process uses `SmartBus` directly.
 *
 * @example
 * ```ts
 * import { finalize, initialize, isInitialized } from "@smartbus/netclient";
 * import { MockBackend, MockBus } from "@smartbus/netclient/mock";
 * initialize({ unitId: 17, backend: new MockBackend(new MockBus()) });
 * console.log(isInitialized()); // true
 * finalize();
 * ```
 * @module
 */
import {
  AlreadyInitializedError,
  InvalidArgumentError,
  NotInitializedError,
} from "../abi/errors.ts";
import type { LoggingOption } from "./log.ts";
import {
  type GlobalConnectHandler,
  SmartBus,
  type SmartBusOptions,
} from "./smartbus.ts";

let current: SmartBus | undefined;

/**
 * The original Python package's `initialize(unitid, onglobalconnect, libraryfile,
 * logging_option)`, or one options object: initialise the process-wide unit.
 * Throws `AlreadyInitializedError` when called twice without `finalize()`.
 *
 * @example
 * ```ts
 * import { type Initialize, initialize } from "@smartbus/netclient";
 * const init: Initialize = initialize;
 * init({ unitId: 17, libraryPath: "/opt/smartbus/libbusnetcli.so" });
 * ```
 */
export interface Initialize {
  /** The original Python package's positional form. */
  (
    unitid: number,
    onglobalconnect?: GlobalConnectHandler | null,
    libraryfile?: string | null,
    logging_option?: LoggingOption,
  ): SmartBus;
  /** Options form. */
  (options: SmartBusOptions): SmartBus;
}

/**
 * An {@link Initialize} that creates its unit with `create`: the package's
 * entry point passes one that binds the runtime's native backends.
 *
 * @example
 * ```ts
 * import { SmartBusCore } from "@smartbus/netclient";
 * import { initializer } from "@smartbus/netclient/internal";
 * const initMockOnly = initializer((options) => new SmartBusCore(options));
 * ```
 */
export function initializer(
  create: (options: SmartBusOptions) => SmartBus,
): Initialize {
  return function initialize(
    unitidOrOptions: number | SmartBusOptions,
    onglobalconnect?: GlobalConnectHandler | null,
    libraryfile?: string | null,
    logging_option?: LoggingOption,
  ): SmartBus {
    if (current && !current.closed) {
      throw new AlreadyInitializedError(current.unitId);
    }
    let options: SmartBusOptions;
    if (typeof unitidOrOptions === "object" && unitidOrOptions !== null) {
      options = unitidOrOptions;
    } else {
      if (
        onglobalconnect != null && typeof onglobalconnect !== "function"
      ) {
        throw new InvalidArgumentError(
          "onglobalconnect",
          "must be a function or null",
        );
      }
      options = {
        unitId: unitidOrOptions,
        onGlobalConnect: onglobalconnect ?? undefined,
        libraryPath: libraryfile ?? undefined,
        logging: logging_option,
      };
    }
    current = create(options);
    return current;
  };
}

/**
 * {@link Initialize} without native backends (backend instances only); the
 * package's entry point exports the one bound to the runtime's backends.
 * `ClientCore.initialize` is this one.
 *
 * @example
 * ```ts
 * import { ClientCore, finalize } from "@smartbus/netclient";
 * import { MockBackend, MockBus } from "@smartbus/netclient/mock";
 * ClientCore.initialize({ unitId: 17, backend: new MockBackend(new MockBus()) });
 * finalize();
 * ```
 */
export const initialize: Initialize = initializer((options) =>
  new SmartBus(options)
);

/**
 * Close every client of the process-wide unit and release the library; the
 * process may `initialize()` again afterwards. A no-op when not initialised.
 *
 * @example
 * ```ts
 * import { finalize } from "@smartbus/netclient";
 * finalize();
 * ```
 */
export function finalize(): void {
  const bus = current;
  current = undefined;
  bus?.close();
}

/**
 * Whether the process-wide unit is initialised.
 *
 * @example
 * ```ts
 * import { isInitialized } from "@smartbus/netclient";
 * if (!isInitialized()) console.log("call initialize() first");
 * ```
 */
export function isInitialized(): boolean {
  return current !== undefined && !current.closed;
}

/**
 * The process-wide unit id; throws `NotInitializedError` before `initialize()`.
 *
 * @example
 * ```ts
 * import { getUnitId, isInitialized } from "@smartbus/netclient";
 * if (isInitialized()) console.log(getUnitId());
 * ```
 */
export function getUnitId(): number {
  return defaultBus().unitId;
}

/**
 * The process-wide {@link SmartBus}; throws `NotInitializedError` before
 * `initialize()` or after `finalize()`.
 *
 * @example
 * ```ts
 * import { defaultBus, isInitialized } from "@smartbus/netclient";
 * if (isInitialized()) console.log(defaultBus().unitId);
 * ```
 */
export function defaultBus(): SmartBus {
  if (!current || current.closed) throw new NotInitializedError();
  return current;
}

/**
 * The mock bus's TCP front: puts bus nodes on TCP ports so that the
 * vendor's `libbusnetcli.so`, our stand-in, or any peer speaking the
 * vendor's protocol (`docs/wire-protocol.md`) can attach to a mock bus.
 * Works in Deno, Bun and Node (`node:net`).
 *
 * @example
 * ```ts
 * import { MockBus, serveTcp } from "@smartbus/netclient/mock";
 * const bus = new MockBus();
 * bus.addNode({ unitId: 0, port: 8000 });
 * await using front = await serveTcp(bus, [
 *   { unitId: 0, host: "127.0.0.1", port: 8000, listenPort: 0 },
 * ]);
 * console.log(front.addresses[0].port); // the port picked
 * ```
 * @module
 */

import { createServer, type Server, type Socket } from "node:net";
import { clearInterval, setInterval } from "node:timers";
import type { MockBus } from "../mock_bus.ts";
import {
  type ConnSettings,
  TcpConnection,
  type TcpLogger,
} from "./connection.ts";
import { DEFAULT_FRAME_LIMIT } from "./wire.ts";

/** The smallest frame limit a node can work with: a REGISTER's body. */
const MIN_FRAME_LIMIT = 6005;
import { escapeControl } from "../bus/log_capture.ts";

export type { TcpLogger } from "./connection.ts";

/**
 * A bus node to serve: `host`/`port` is where to listen and how `bus.attach` finds the node.
 *
 * @example
 * ```ts
 * import type { TcpNode } from "@smartbus/netclient/mock";
 * const node: TcpNode = { unitId: 0, host: "node-a", port: 8000, listenHost: "127.0.0.1" };
 * ```
 */
export interface TcpNode {
  /** The node's unit id (for logs and {@link TcpFront.addresses}). */
  unitId: number;
  /** The host the node is known by on the bus, and where to listen unless `listenHost` says otherwise. */
  host: string;
  /** The port the node is known by on the bus; 0 listens on a free port (see `attachPort`). */
  port: number;
  /** Listen here instead of `host` (e.g. "127.0.0.1" for a node known as "node-a"). */
  listenHost?: string;
  /** Listen here instead of `port`. */
  listenPort?: number;
}

/**
 * Options of {@link serveTcp}.
 *
 * @example
 * ```ts
 * import type { TcpFrontOptions } from "@smartbus/netclient/mock";
 * const options: TcpFrontOptions = { heartbeatMs: 200, logger: { warn: console.error } };
 * ```
 */
export interface TcpFrontOptions {
  /** Log lines (a bad frame, a dropped connection). Default: warnings to `console.warn`. */
  logger?: Partial<TcpLogger>;
  /**
   * A client from which nothing came for 3 of these is dropped (the
   * library sends a heartbeat every second). Default 5000.
   */
  heartbeatMs?: number;
  /** Largest body accepted or sent, at least 6005 (a registration). Default 65536. */
  frameLimit?: number;
  /** Unsent bytes per connection before it is dropped as a slow reader. Default 8 MiB. */
  maxQueuedBytes?: number;
  /**
   * A connection that has not logged in this long after it opened is
   * closed, whatever it keeps sending (a login trickled a byte at a time
   * holds nothing open). Default 5000 ms.
   */
  loginTimeoutMs?: number;
  /**
   * No flow acknowledge or result goes to a client sooner than this after
   * its call arrived (later frames to it wait behind, in order): the
   * vendor's library records a call only after sending it and drops an
   * answer that beats that. Default 5 ms; 0 answers at once.
   */
  flowAnswerMinMs?: number;
}

/** Default of {@link TcpFrontOptions.loginTimeoutMs}. */
const DEFAULT_LOGIN_TIMEOUT_MS = 5000;

/**
 * A served node: where it really listens.
 *
 * @example
 * ```ts
 * import type { TcpAddress } from "@smartbus/netclient/mock";
 * const where = (a: TcpAddress): string => `${a.host}:${a.port}`;
 * ```
 */
export interface TcpAddress {
  /** The node's unit id. */
  unitId: number;
  /** The host listened on. */
  host: string;
  /** The real port listened on (the one picked when 0 was asked). */
  port: number;
}

/**
 * A running TCP front.
 *
 * @example
 * ```ts
 * import type { TcpFront } from "@smartbus/netclient/mock";
 * const busy = (front: TcpFront): boolean => front.connectionCount > 0;
 * ```
 */
export interface TcpFront {
  /** One entry per node, in the order given. */
  readonly addresses: readonly TcpAddress[];
  /** How many client connections are open right now. */
  readonly connectionCount: number;
  /** Closes every connection (detaching it from the bus) and every server. Idempotent. */
  close(): Promise<void>;
  /** Same as {@link TcpFront.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      const a = server.address();
      resolve(typeof a === "object" && a !== null ? a.port : port);
    });
  });
}

/**
 * A stopped node refuses connections, as a node whose process is down
 * does: its listener closes, and opens again on the same port when the node
 * starts. (Accepting and closing at once instead made the vendor's library
 * reconnect about 1,000 times a second, and with its other link
 * registered it died of SIGSEGV in a libuv timer of its own within seconds;
 * refused connects it retries every 2 s, and survives.)
 */
function listening(
  server: Server,
  host: string,
  port: number,
  on: boolean,
  logger: TcpLogger,
  unitId: number,
): void {
  if (!on) {
    if (server.listening) server.close();
    return;
  }
  if (server.listening) return;
  listen(server, host, port).catch((e: Error) =>
    logger.warn(
      `tcp front: node ${unitId} cannot listen again on ${host}:${port}: ${e.message}`,
    )
  );
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Serves `nodes` of `bus` on TCP. Each accepted connection must REGISTER first;
 * it is then attached with `bus.attach(node.host, node.port, ...)`, so a
 * node's `host`/`port` must be the address the bus knows it by. When `port`
 * is 0, the node is attached with the port actually picked.
 *
 * @example
 * ```ts
 * import { MockBus, serveTcp } from "@smartbus/netclient/mock";
 * const bus = new MockBus();
 * bus.addNode({ unitId: 1, port: 8001 });
 * const front = await serveTcp(bus, [
 *   { unitId: 1, host: "127.0.0.1", port: 8001, listenPort: 0 },
 * ], { heartbeatMs: 200 });
 * await front.close();
 * ```
 */
export async function serveTcp(
  bus: Pick<MockBus, "attach"> & Partial<Pick<MockBus, "onNodeState">>,
  nodes: readonly TcpNode[],
  options: TcpFrontOptions = {},
): Promise<TcpFront> {
  // Lines name what peers sent (user names, add_info): escaped once here.
  const info = options.logger?.info?.bind(options.logger);
  const warn = options.logger?.warn?.bind(options.logger) ??
    ((m: string) => console.warn(m));
  const logger: TcpLogger = {
    info: info ? (m) => info(escapeControl(m)) : () => {},
    warn: (m) => warn(escapeControl(m)),
  };
  const heartbeatMs = options.heartbeatMs ?? 5000;
  const frameLimit = options.frameLimit ?? DEFAULT_FRAME_LIMIT;
  if (!Number.isInteger(frameLimit) || frameLimit < MIN_FRAME_LIMIT) {
    // Every client's first frame (REGISTER) is 6005 bytes.
    throw new RangeError(
      `frameLimit must be an integer of at least ${MIN_FRAME_LIMIT} (the registration's size), got ${frameLimit}`,
    );
  }
  const maxQueuedBytes = options.maxQueuedBytes ?? 8 * 1024 * 1024;
  const loginTimeoutMs = options.loginTimeoutMs ?? DEFAULT_LOGIN_TIMEOUT_MS;
  const flowAnswerMinMs = options.flowAnswerMinMs ?? 5;
  const conns = new Set<TcpConnection>();
  // Every socket until it closes: a closed connection lingers (it reads no
  // more, so it may not see the peer's FIN) and must not hold `close()` up.
  const sockets = new Set<Socket>();
  const servers: Server[] = [];
  const addresses: TcpAddress[] = [];
  let closing: Promise<void> | null = null;

  const unwatch: Array<() => void> = [];
  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearInterval(timer);
      for (const off of unwatch) off();
      for (const c of [...conns]) c.destroy();
      conns.clear();
      for (const socket of sockets) socket.destroy();
      await Promise.all(servers.map(closeServer));
    })();
    return closing;
  };

  const timer = setInterval(() => {
    const now = Date.now();
    for (const c of [...conns]) c.tick(now);
  }, heartbeatMs);
  timer.unref();

  try {
    for (const node of nodes) {
      const server = createServer();
      servers.push(server);
      const listenHost = node.listenHost ?? node.host;
      // A failure to listen is the caller's to report (thrown), not logged.
      const port = await listen(
        server,
        listenHost,
        node.listenPort ?? node.port,
      );
      server.on(
        "error",
        (e: Error) =>
          logger.warn(
            `tcp front: node ${node.unitId} server error: ${e.message}`,
          ),
      );
      addresses.push({ unitId: node.unitId, host: listenHost, port });
      const settings: ConnSettings = {
        bus,
        node: {
          unitId: node.unitId,
          host: node.host,
          port: node.port === 0 ? port : node.port,
        },
        logger,
        heartbeatMs,
        frameLimit,
        maxQueuedBytes,
        loginTimeoutMs,
        flowAnswerMinMs,
      };
      server.on("connection", (socket: Socket) => {
        if (closing) {
          socket.destroy();
          return;
        }
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
        conns.add(new TcpConnection(settings, socket, (c) => conns.delete(c)));
      });
      if (bus.onNodeState) {
        unwatch.push(bus.onNodeState((unitId, running) => {
          if (unitId !== node.unitId || closing) return;
          listening(server, listenHost, port, running, logger, node.unitId);
        }));
      }
    }
  } catch (e) {
    await close();
    throw e;
  }

  return {
    addresses,
    get connectionCount(): number {
      return conns.size;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * The library's links, by local client id. `CreateConnect` makes a link
 * that lasts until the unit is released: the C ABI has no per-client
 * disconnect, so closing a `Client` leaves its link behind (still logged in,
 * still retrying). A new client with the same id takes that link over
 * instead of asking the library for a second one (which it refuses with -22,
 * `CLI_EXIST`); it must name the same targets, since the link cannot be
 * re-pointed.
 *
 * @module
 */
import { AlreadyExistsError } from "../abi/errors.ts";
import type { ClientFields } from "./client_args.ts";

/**
 * The settings a link was made with: those of the client that called
 * `CreateConnect`, its id aside (the encoding too, since it shaped the
 * credentials' bytes).
 */
const LINK_FIELDS = [
  "localClientType",
  "masterHost",
  "masterPort",
  "slaverHost",
  "slaverPort",
  "authorUsr",
  "authorPwd",
  "extInfo",
  "encoding",
] as const satisfies readonly Exclude<keyof ClientFields, "localClientId">[];

/** What a link was made with. */
export type LinkTargets = Pick<ClientFields, typeof LINK_FIELDS[number]>;

/** The link settings of `client`. */
export function linkTargets(client: Readonly<ClientFields>): LinkTargets {
  // A literal, not a loop of keyed copies: with the loop, `client.send`
  // measured 137 ns a call under Deno instead of 88 (API layer alone), most
  // likely V8 deoptimising the client's field reads everywhere.
  const t: { [K in typeof LINK_FIELDS[number]]: LinkTargets[K] } = {
    localClientType: client.localClientType,
    masterHost: client.masterHost,
    masterPort: client.masterPort,
    slaverHost: client.slaverHost,
    slaverPort: client.slaverPort,
    authorUsr: client.authorUsr,
    authorPwd: client.authorPwd,
    extInfo: client.extInfo,
    encoding: client.encoding,
  };
  return t;
}

/**
 * One library link as `SmartBus.links()` shows it.
 *
 * @example
 * ```ts
 * import type { LinkInfo } from "@smartbus/netclient";
 * const show = (l: LinkInfo) => `${l.localClientId} → ${l.master} ${l.inUse ? "" : "(left over)"}`;
 * ```
 */
export interface LinkInfo {
  /** The local client id it belongs to. */
  localClientId: number;
  /** Its master, `host:port`. */
  master: string;
  /** Its slave, `host:port`, or null. */
  slave: string | null;
  /** The node it is logged in to, or null while it is not. */
  accessUnitId: number | null;
  /** Whether a live `Client` uses it (false: left by a closed client). */
  inUse: boolean;
}

interface Link {
  targets: LinkTargets;
  accessUnitId: number | null;
  inUse: boolean;
}

/** The links of one unit. @internal */
export class LinkBook {
  #links = new Map<number, Link>();

  /**
   * Before `CreateConnect` for `id`: `null` when there is no link yet (make
   * one, then {@link made}), else the link's node (or null while it is not
   * logged in), now taken by the caller. Throws `AlreadyExistsError` when
   * the link was made with other targets.
   */
  claim(
    id: number,
    targets: LinkTargets,
  ): { accessUnitId: number | null } | null {
    const link = this.#links.get(id);
    if (!link) return null;
    const differs = LINK_FIELDS.filter((k) => link.targets[k] !== targets[k]);
    if (differs.length > 0) {
      throw new AlreadyExistsError(id, {
        reason:
          `the library still holds the link of a closed client with id ${id} (to ${
            hostPort(link.targets.masterHost, link.targets.masterPort)
          }) and keeps it until the unit is released (the C library has no per-client disconnect); ` +
          `a new client with this id takes that link over, so it must use the same settings, but ${
            differs.join(", ")
          } differ${
            differs.length === 1 ? "s" : ""
          }: use another local client id, or close the unit first`,
      });
    }
    link.inUse = true;
    return { accessUnitId: link.accessUnitId };
  }

  /** `CreateConnect` for `id` succeeded. */
  made(id: number, targets: LinkTargets): void {
    this.#links.set(id, {
      targets: { ...targets },
      accessUnitId: null,
      inUse: true,
    });
  }

  /** The client using `id`'s link closed; the link stays. */
  left(id: number): void {
    const link = this.#links.get(id);
    if (link) link.inUse = false;
  }

  /** A connection event for `id`'s link. */
  connected(id: number, accessUnitId: number | null): void {
    const link = this.#links.get(id);
    if (link) link.accessUnitId = accessUnitId;
  }

  /** Every link, for `SmartBus.links()`. */
  list(): LinkInfo[] {
    return [...this.#links].map(([localClientId, l]) => ({
      localClientId,
      master: hostPort(l.targets.masterHost, l.targets.masterPort),
      slave: l.targets.slaverHost === null
        ? null
        : hostPort(l.targets.slaverHost, l.targets.slaverPort),
      accessUnitId: l.accessUnitId,
      inUse: l.inUse,
    }));
  }

  /** The unit was released: no link is left. */
  clear(): void {
    this.#links.clear();
  }
}

function hostPort(host: string, port: number): string {
  return `${host}:${port}`;
}

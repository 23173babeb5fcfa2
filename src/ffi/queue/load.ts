/**
 * Where the native event queue (`event_queue.c`, built for Linux x86-64 and
 * embedded in `event_queue_linux_x64.ts`) can be loaded from: writes the
 * embedded bytes once to a cache file and returns its path, or says why it
 * cannot (another platform, no writable place), so that a backend can fall
 * back to its per-callback path with one warning. Nothing happens at import
 * time, and nothing is ever downloaded.
 *
 * The file is named by its sha256 and written atomically (a private
 * temporary file, then `rename`), so concurrent processes and package
 * upgrades never see a half-written or stale file. The bytes are checked
 * against the embedded hash after decoding and again on disk before the path
 * is returned. Places tried, in order: `SMARTBUS_EVENT_QUEUE_DIR`,
 * `$XDG_CACHE_HOME/smartbus-netclient`, `~/.cache/smartbus-netclient`, then
 * `<os tmpdir>/smartbus-netclient-<uid>`; a place is used only when it is a
 * real directory owned by this user and not writable by others (the shared
 * tmpdir must not let another user swap the file). `SMARTBUS_EVENT_QUEUE=off`
 * disables the queue; `SMARTBUS_EVENT_QUEUE_LIB` names a queue built by hand
 * (used as it is, for other platforms).
 *
 * @example
 * ```ts
 * import { eventQueueFile } from "./load.ts";
 * const where = eventQueueFile();
 * if (where.ok) console.log("queue at", where.path);
 * else console.warn(`per-callback path: ${where.reason}`);
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { Buffer } from "node:buffer";
import { EVENT_QUEUE_LINUX_X64 } from "./event_queue_linux_x64.ts";

/** A loadable queue file, or the reason there is none. */
export type EventQueueFile =
  | { readonly ok: true; readonly path: string }
  | { readonly ok: false; readonly reason: string };

/** What {@link eventQueueFile} reads from the process (tests override it). */
export interface EventQueueEnv {
  /** `process.platform`. */
  platform: string;
  /** `process.arch`. */
  arch: string;
  /** Environment variables. */
  env: Record<string, string | undefined>;
  /** The embedded build (tests pass a corrupted one). */
  build: { sha256: string; base64: string };
}

let cached: EventQueueFile | undefined;

/**
 * The queue's file for this process (computed once, then remembered).
 *
 * @example
 * ```ts
 * import { eventQueueFile } from "./load.ts";
 * const q = eventQueueFile();
 * console.log(q.ok ? q.path : q.reason);
 * ```
 */
export function eventQueueFile(): EventQueueFile {
  cached ??= locateEventQueue({
    platform: process.platform,
    arch: process.arch,
    env: process.env,
    build: EVENT_QUEUE_LINUX_X64,
  });
  return cached;
}

/**
 * {@link eventQueueFile} without the memo, for a given environment.
 *
 * @example
 * ```ts
 * import { locateEventQueue } from "./load.ts";
 * const r = locateEventQueue({ platform: "win32", arch: "x64", env: {}, build: { sha256: "", base64: "" } });
 * console.log(r.ok); // false
 * ```
 */
export function locateEventQueue(e: EventQueueEnv): EventQueueFile {
  if (/^(0|off|false|no)$/i.test(e.env.SMARTBUS_EVENT_QUEUE ?? "")) {
    return { ok: false, reason: "disabled by SMARTBUS_EVENT_QUEUE" };
  }
  const own = e.env.SMARTBUS_EVENT_QUEUE_LIB;
  if (own) return { ok: true, path: own };
  if (e.platform !== "linux" || e.arch !== "x64") {
    return {
      ok: false,
      reason: `no event queue is built for ${e.platform}-${e.arch} ` +
        `(only linux-x64 ships; build src/ffi/queue/event_queue.c and set SMARTBUS_EVENT_QUEUE_LIB)`,
    };
  }
  const bytes = new Uint8Array(Buffer.from(e.build.base64, "base64"));
  if (sha256(bytes) !== e.build.sha256) {
    return { ok: false, reason: "the embedded event queue is corrupt" };
  }
  const name = `event_queue-${e.build.sha256.slice(0, 16)}.so`;
  const tried: string[] = [];
  for (const dir of places(e.env)) {
    try {
      return { ok: true, path: install(dir, name, bytes, e.build.sha256) };
    } catch (err) {
      tried.push(`${dir}: ${(err as Error).message}`);
    }
  }
  return {
    ok: false,
    reason: `no writable place for the event queue (${tried.join("; ")})`,
  };
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function places(env: Record<string, string | undefined>): string[] {
  const out: string[] = [];
  if (env.SMARTBUS_EVENT_QUEUE_DIR) out.push(env.SMARTBUS_EVENT_QUEUE_DIR);
  const app = "smartbus-netclient";
  if (env.XDG_CACHE_HOME) out.push(join(env.XDG_CACHE_HOME, app));
  try {
    const home = env.HOME || homedir();
    if (home) out.push(join(home, ".cache", app));
  } catch {
    // no home directory: the tmpdir below still works
  }
  const uid = typeof process.getuid === "function" ? process.getuid() : "u";
  out.push(join(tmpdir(), `${app}-${uid}`));
  return out;
}

/** A directory only this user can change (else throws why). */
function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new Error("not a directory");
  const uid = typeof process.getuid === "function" ? process.getuid() : -1;
  if (uid >= 0 && st.uid !== uid) throw new Error("owned by another user");
  if ((st.mode & 0o022) !== 0) throw new Error("writable by others");
}

/** The verified file `dir/name`, written atomically when missing or wrong. */
function install(
  dir: string,
  name: string,
  bytes: Uint8Array,
  hash: string,
): string {
  privateDir(dir);
  const path = join(dir, name);
  if (matches(path, hash)) return path;
  const tmp = join(dir, `.${name}.${process.pid}.${randomTag()}.tmp`);
  try {
    const fd = openSync(tmp, "wx", 0o600);
    try {
      let at = 0;
      while (at < bytes.length) at += writeSync(fd, bytes, at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
  if (!matches(path, hash)) throw new Error("written file does not verify");
  return path;
}

function matches(path: string, hash: string): boolean {
  try {
    const st = lstatSync(path);
    return st.isFile() && sha256(readFileSync(path)) === hash;
  } catch {
    return false;
  }
}

function randomTag(): string {
  return Math.floor(Math.random() * 0x100000000).toString(16);
}

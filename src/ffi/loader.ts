/**
 * Where the native library is looked for, and trying each place in turn.
 * Nothing here runs on import: the search happens when a backend is created.
 *
 * Order (`docs/abi.md`): an explicit path wins; else the environment variable
 * `SMARTBUS_NETCLI_LIB`; else the original package's search order: the
 * system loader path (the bare file name), `../cdll/<system>/<machine>/`
 * beside the package, the working directory, the package's own folder.
 * @module
 */
import { LibraryLoadError, UnsafeLibraryError } from "../abi/errors.ts";

/** The environment variable naming the library file. */
export const LIBRARY_ENV_VAR = "SMARTBUS_NETCLI_LIB";

/** What the search needs to know about the host; injectable for tests. */
export interface HostInfo {
  /** `"linux"`, `"windows"`, `"darwin"`, … (Deno's `build.os` spelling). */
  os: string;
  /** `"x86_64"`, `"aarch64"`, … (Deno's `build.arch` spelling). */
  arch: string;
  /** Reads an environment variable; throws when the runtime forbids it. */
  env(name: string): string | undefined;
  /** The working directory; throws when the runtime forbids it. */
  cwd(): string;
  /** The package's root folder on disk, or `undefined` when not on disk. */
  packageDir: string | undefined;
}

/** The places to try, in order, and why some places were not tried. */
export interface LibraryCandidates {
  /** Paths (or bare names for the system loader), in the order to try. */
  paths: string[];
  /** Explanations that belong in an error's "tried" list, e.g. no env permission. */
  notes: string[];
}

interface DenoLike {
  build: { os: string; arch: string };
  env: { get(name: string): string | undefined };
  cwd(): string;
}
interface ProcessLike {
  platform: string;
  arch: string;
  env: Record<string, string | undefined>;
  cwd(): string;
}

/**
 * The default library file name for an operating system.
 */
export function defaultLibraryName(os: string): string {
  return os === "windows" ? "smartbus_net_cli.dll" : "libbusnetcli.so";
}

/**
 * Host facts of the running runtime (Deno, or anything with a Node-style
 * `process`: Bun, Node).
 */
export function currentHost(): HostInfo {
  const g = globalThis as { Deno?: DenoLike; process?: ProcessLike };
  const packageDir = fileDir(new URL("../../", import.meta.url));
  if (g.Deno?.build) {
    const d = g.Deno;
    return {
      os: d.build.os,
      arch: d.build.arch,
      env: (name) => d.env.get(name),
      cwd: () => d.cwd(),
      packageDir,
    };
  }
  const p = g.process;
  return {
    os: p?.platform === "win32" ? "windows" : (p?.platform ?? "unknown"),
    arch: p?.arch === "x64"
      ? "x86_64"
      : p?.arch === "arm64"
      ? "aarch64"
      : (p?.arch ?? "unknown"),
    env: (name) => p?.env[name],
    cwd: () => {
      if (!p) throw new Error("no working directory in this runtime");
      return p.cwd();
    },
    packageDir,
  };
}

/**
 * The ordered list of places to load the library from.
 */
export function libraryCandidates(
  options: { libraryPath?: string } = {},
  host: HostInfo = currentHost(),
): LibraryCandidates {
  if (options.libraryPath) return { paths: [options.libraryPath], notes: [] };
  const notes: string[] = [];
  let fromEnv: string | undefined;
  try {
    fromEnv = host.env(LIBRARY_ENV_VAR);
  } catch (e) {
    notes.push(`${LIBRARY_ENV_VAR}: not readable (${messageOf(e)})`);
  }
  if (fromEnv) return { paths: [fromEnv], notes };
  if (notes.length === 0) notes.push(`${LIBRARY_ENV_VAR}: not set`);

  const name = defaultLibraryName(host.os);
  const sep = host.os === "windows" ? "\\" : "/";
  const join = (dir: string, ...parts: string[]): string =>
    [dir.replace(/[\\/]+$/, ""), ...parts].join(sep);
  const paths = [name];
  if (host.packageDir) {
    paths.push(
      join(
        host.packageDir,
        "..",
        "cdll",
        systemName(host.os),
        machineName(host),
        name,
      ),
    );
  }
  try {
    paths.push(join(host.cwd(), name));
  } catch (e) {
    notes.push(`working directory: not readable (${messageOf(e)})`);
  }
  if (host.packageDir) paths.push(join(host.packageDir, name));
  return { paths: [...new Set(paths)], notes };
}

/**
 * Tries every candidate with `open` (the runtime's dlopen) and returns the
 * first that loads; when none does, throws a `LibraryLoadError` listing every
 * path tried (and the notes), with the last loader message. A file that
 * was found but refused (`UnsafeLibraryError`) ends the search: a user who
 * put it there meant that one.
 */
export function loadFirst<T>(
  candidates: LibraryCandidates,
  open: (path: string) => T,
): { value: T; path: string } {
  let last = "";
  for (const path of candidates.paths) {
    try {
      return { value: open(path), path };
    } catch (e) {
      if (e instanceof UnsafeLibraryError) throw e;
      last = messageOf(e);
    }
  }
  throw new LibraryLoadError([...candidates.paths, ...candidates.notes], last);
}

/** Python's `platform.system()` spelling, as the original package used. */
function systemName(os: string): string {
  const known: Record<string, string> = {
    linux: "Linux",
    windows: "Windows",
    darwin: "Darwin",
  };
  return known[os] ?? os;
}

/** Python's `platform.machine()` spelling. */
function machineName(host: HostInfo): string {
  if (host.os === "windows") {
    return host.arch === "x86_64"
      ? "AMD64"
      : host.arch === "aarch64"
      ? "ARM64"
      : host.arch;
  }
  if (host.os === "darwin" && host.arch === "aarch64") return "arm64";
  return host.arch;
}

function fileDir(url: URL): string | undefined {
  if (url.protocol !== "file:") return undefined;
  let path = decodeURIComponent(url.pathname);
  if (/^\/[A-Za-z]:/.test(path)) path = path.slice(1).replaceAll("/", "\\");
  return path.replace(/[\\/]+$/, "");
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * `smartbus --version`: the package version, the runtime, the backend the
 * bus commands would use, and where the native library was found (or every
 * place it was looked for), as text or one JSON object.
 *
 * @example
 * ```ts
 * import { versionReport, versionLines } from "./version.ts";
 * console.log(versionLines(versionReport({})).join("\n"));
 * ```
 * @module
 */
import { LibraryLoadError } from "../abi/errors.ts";
import { detectRuntime, resolveBackend } from "../ffi/select.ts";
import { currentHost, libraryCandidates, loadFirst } from "../ffi/loader.ts";

/**
 * The package version; `tests/cli_version.test.ts` and the npm build check
 * that it equals deno.json's (a JSON import would need import attributes,
 * which Node 20 still flags as experimental on every run).
 */
export const VERSION = "0.1.0";

/** What `--version` reports. */
export interface VersionReport {
  /** The package version. */
  version: string;
  /** The runtime and its version, e.g. `deno 2.9.6`. */
  runtime: string;
  /** `linux x86_64`. */
  platform: string;
  /** The native backend the bus commands use: `deno`, `bun`, `node`. */
  backend: string;
  /** The library path that loaded, or null. */
  library: string | null;
  /** When not found: every place looked at (and why some were skipped). */
  tried: string[];
  /** When not found: the last loader message. */
  error?: string;
}

function runtimeVersion(): string {
  const g = globalThis as unknown as {
    Deno?: { version: { deno: string } };
    Bun?: { version: string };
    process?: { versions?: { node?: string } };
  };
  const name = detectRuntime();
  const v = g.Deno?.version.deno ?? g.Bun?.version ??
    g.process?.versions?.node ?? "?";
  return `${name} ${v}`;
}

const firstLine = (e: unknown): string => {
  const text = e instanceof Error ? e.message : String(e);
  // A load error nests the loader's message after "last error: ".
  const last = [...text.matchAll(/last error: (.*)$/gm)].at(-1);
  return (last ? last[1] : text.split("\n")[0]).trim();
};

/**
 * Probe the runtime and the library (each candidate is loaded through the
 * real backend and closed again: "found" means it loads, not that a file
 * exists).
 *
 * @example
 * ```ts
 * import { versionReport } from "./version.ts";
 * const r = versionReport({ libraryPath: "./build/libbusnetcli.so" });
 * console.log(r.library ?? `not found, tried ${r.tried.join(", ")}`);
 * ```
 */
export function versionReport(
  options: { backend?: "deno" | "bun" | "node"; libraryPath?: string },
): VersionReport {
  const host = currentHost();
  const backend = options.backend ?? detectRuntime();
  const report: VersionReport = {
    version: VERSION,
    runtime: runtimeVersion(),
    platform: `${host.os} ${host.arch}`,
    backend,
    library: null,
    tried: [],
  };
  const candidates = libraryCandidates(options, host);
  try {
    const { path } = loadFirst(candidates, (path) => {
      const b = resolveBackend(backend as "deno" | "bun" | "node", {
        libraryPath: path,
      });
      b.close();
      return path;
    });
    report.library = path;
  } catch (e) {
    report.tried = e instanceof LibraryLoadError
      ? [...e.tried]
      : [...candidates.paths, ...candidates.notes];
    report.error = firstLine(e);
  }
  return report;
}

/**
 * The report as text lines.
 *
 * @example
 * ```ts
 * import { versionLines, versionReport } from "./version.ts";
 * for (const line of versionLines(versionReport({}))) console.log(line);
 * ```
 */
export function versionLines(r: VersionReport): string[] {
  return [
    `smartbus ${r.version} (@smartbus/netclient)`,
    `runtime: ${r.runtime} (${r.platform})`,
    `backend: ${r.backend}`,
    r.library !== null
      ? `library: ${r.library}`
      : `library: not found (looked at: ${r.tried.join(", ")}${
        r.error ? `; last error: ${r.error}` : ""
      })`,
  ];
}

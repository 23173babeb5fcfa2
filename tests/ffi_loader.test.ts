/**
 * Where the native library is looked for (`src/ffi/loader.ts`): an
 * explicit path, `SMARTBUS_NETCLI_LIB`, then the original package's search
 * order. Loads nothing: the opener is faked.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  currentHost,
  defaultLibraryName,
  type HostInfo,
  LIBRARY_ENV_VAR,
  libraryCandidates,
  loadFirst,
} from "../src/ffi/loader.ts";
import { LibraryLoadError } from "../src/abi/errors.ts";

function host(over: Partial<HostInfo> = {}): HostInfo {
  return {
    os: "linux",
    arch: "x86_64",
    env: () => undefined,
    cwd: () => "/work/app",
    packageDir: "/opt/pkg/netclient",
    ...over,
  };
}

describe("ffi loader", () => {
  test("ffi loader - an explicit path wins over the environment and the search", () => {
    const c = libraryCandidates(
      { libraryPath: "/x/libbusnetcli.so" },
      host({ env: () => "/env/lib.so" }),
    );
    assert.deepEqual(c.paths, ["/x/libbusnetcli.so"]);
  });

  test("ffi loader - SMARTBUS_NETCLI_LIB wins over the search", () => {
    const c = libraryCandidates(
      {},
      host({ env: (n) => n === LIBRARY_ENV_VAR ? "/env/lib.so" : undefined }),
    );
    assert.deepEqual(c.paths, ["/env/lib.so"]);
  });

  test("ffi loader - the search follows the original package's order", () => {
    const c = libraryCandidates({}, host());
    assert.deepEqual(c.paths, [
      "libbusnetcli.so",
      "/opt/pkg/netclient/../cdll/Linux/x86_64/libbusnetcli.so",
      "/work/app/libbusnetcli.so",
      "/opt/pkg/netclient/libbusnetcli.so",
    ]);
    assert.deepEqual(c.notes, [`${LIBRARY_ENV_VAR}: not set`]);
  });

  test("ffi loader - Windows looks for smartbus_net_cli.dll in AMD64 folders", () => {
    const c = libraryCandidates(
      {},
      host({ os: "windows", cwd: () => "C:\\app", packageDir: "C:\\pkg" }),
    );
    assert.equal(defaultLibraryName("windows"), "smartbus_net_cli.dll");
    assert.deepEqual(c.paths, [
      "smartbus_net_cli.dll",
      "C:\\pkg\\..\\cdll\\Windows\\AMD64\\smartbus_net_cli.dll",
      "C:\\app\\smartbus_net_cli.dll",
      "C:\\pkg\\smartbus_net_cli.dll",
    ]);
  });

  test("ffi loader - an unreadable environment or working directory is noted, not fatal", () => {
    const denied = (): never => {
      throw new Error("Requires env access");
    };
    const c = libraryCandidates(
      {},
      host({
        env: denied,
        cwd: () => {
          throw new Error("Requires read access");
        },
        packageDir: undefined,
      }),
    );
    assert.deepEqual(c.paths, ["libbusnetcli.so"]);
    assert.equal(c.notes.length, 2);
    assert.match(
      c.notes[0],
      /SMARTBUS_NETCLI_LIB: not readable \(Requires env access\)/,
    );
    assert.match(c.notes[1], /working directory: not readable/);
  });

  test("ffi loader - loadFirst returns the first candidate that opens", () => {
    const seen: string[] = [];
    const got = loadFirst({ paths: ["a", "b", "c"], notes: [] }, (p) => {
      seen.push(p);
      if (p === "a") throw new Error("no a");
      return p.toUpperCase();
    });
    assert.deepEqual(got, { value: "B", path: "b" });
    assert.deepEqual(seen, ["a", "b"]);
  });

  test("ffi loader - when nothing opens, LibraryLoadError lists every path and names the variable", () => {
    let caught: unknown;
    try {
      loadFirst({
        paths: ["a.so", "/b/a.so"],
        notes: ["SMARTBUS_NETCLI_LIB: not set"],
      }, (p) => {
        throw new Error(`cannot open ${p}`);
      });
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof LibraryLoadError);
    assert.deepEqual(caught.tried, [
      "a.so",
      "/b/a.so",
      "SMARTBUS_NETCLI_LIB: not set",
    ]);
    assert.match(caught.message, /SMARTBUS_NETCLI_LIB/);
    assert.match(caught.message, /\/b\/a\.so/);
    assert.match(caught.message, /last error: cannot open \/b\/a\.so/);
  });

  test("ffi loader - the running host is described without loading anything", () => {
    const h = currentHost();
    assert.ok(["linux", "windows", "darwin"].includes(h.os), h.os);
    assert.ok(h.packageDir === undefined || !h.packageDir.endsWith("/"));
    assert.ok(libraryCandidates({}, h).paths.length >= 1);
  });
});

/**
 * Choosing and loading a native backend: a missing library, Deno without env
 * permission, the names that are not native backends, instances as given.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { nativeFactory, runtime } from "./fixtures/ffi_harness.ts";
import type { NativeBackend } from "../src/ffi/native_backend.ts";
import { detectRuntime, resolveBackend } from "../src/ffi/select.ts";
import { LibraryLoadError } from "../src/abi/errors.ts";
import type { BackendChoice } from "../src/abi/backend.ts";
import { SmartBusCore } from "../mod.ts";

describe(`ffi select (${runtime})`, () => {
  test("ffi select - the runtime is recognised", () => {
    const want = "Deno" in globalThis
      ? "deno"
      : "Bun" in globalThis
      ? "bun"
      : "node";
    assert.equal(detectRuntime(), want);
  });

  test(
    "ffi select - a missing library throws LibraryLoadError listing the path",
    {
      skip: typeof nativeFactory === "string" ? nativeFactory : false,
    },
    () => {
      const missing = "/nonexistent/dir/libbusnetcli.so";
      let caught: unknown;
      try {
        resolveBackend(undefined, { libraryPath: missing });
      } catch (e) {
        caught = e;
      }
      assert.ok(caught instanceof LibraryLoadError, String(caught));
      assert.deepEqual(caught.tried, [missing]);
      assert.match(caught.message, /SMARTBUS_NETCLI_LIB/);
    },
  );

  test(
    "ffi select - without env permission, Deno still reports every path tried",
    {
      skip: runtime === "deno"
        ? false
        : "Deno permissions only exist under Deno",
    },
    () => {
      const mod = new URL("../src/ffi/deno.ts", import.meta.url).href;
      const code =
        `import { createDenoBackend } from ${JSON.stringify(mod)};\n` +
        `try { createDenoBackend(); } catch (e) { console.log(e.name); console.log(JSON.stringify(e.tried)); }\n`;
      const dir = mkdtempSync(join(tmpdir(), "noperm-"));
      const script = join(dir, "noperm.ts");
      writeFileSync(script, code);
      // Reading only the script and the module graph; no env access at all.
      const graph = fileURLToPath(new URL("../src/", import.meta.url));
      // Deno.Command, not node:child_process: Deno gives a deno child spawned
      // through node:child_process every permission.
      const r = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--no-config",
          "--no-prompt",
          "--allow-ffi",
          `--allow-read=${script},${graph}`,
          script,
        ],
      }).outputSync();
      rmSync(dir, { recursive: true, force: true });
      assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
      const [name, tried] = new TextDecoder().decode(r.stdout).trim().split(
        "\n",
      );
      assert.equal(name, "LibraryLoadError");
      const paths = JSON.parse(tried) as string[];
      assert.equal(paths[0], "libbusnetcli.so");
      assert.ok(
        paths.some((p) => /^SMARTBUS_NETCLI_LIB: not readable/.test(p)),
        tried,
      );
    },
  );

  test("ffi select - mock needs an instance; node needs Node", () => {
    assert.throws(
      () => resolveBackend("mock" as BackendChoice, {}),
      /MockBackend/,
    );
    // In a fresh process, as a user would meet it: the node backend names
    // what it needs instead of failing somewhere inside koffi.
    const dir = mkdtempSync(join(tmpdir(), "select-"));
    const script = join(dir, "node_missing.ts");
    const mod = new URL("../mod.ts", import.meta.url).href;
    writeFileSync(
      script,
      `import { SmartBus } from ${JSON.stringify(mod)};\n` +
        `try { new SmartBus({ unitId: 17, backend: "node" }); } catch (e) { console.log(e.name, e.message); }\n`,
    );
    const args = runtime === "deno" ? ["run", "-A", script] : [script];
    const r = spawnSync(process.execPath, args, {
      encoding: "utf8",
      timeout: 20_000,
    });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /SmartBusError the node backend needs Node\.js/);
  });

  test("ffi select - SmartBusCore without a resolver takes instances only", () => {
    assert.throws(
      () => new SmartBusCore({ unitId: 17, backend: "deno" }),
      /has no native backends/,
    );
  });

  test("ffi select - a backend instance is used as given", () => {
    const fake = { kind: "mock" } as unknown as NativeBackend;
    assert.equal(resolveBackend(fake, {}), fake);
  });
});

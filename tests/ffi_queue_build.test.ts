/**
 * The shipped event queue: the embedded bytes are what the C source builds
 * (rebuilt here with the pinned compiler), and the loader writes them to a
 * private cache file, verified, or says why it cannot.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { EVENT_QUEUE_LINUX_X64 } from "../src/ffi/queue/event_queue_linux_x64.ts";
import { locateEventQueue } from "../src/ffi/queue/load.ts";

const SCRIPT = fileURLToPath(
  new URL("../scripts/build_queue.sh", import.meta.url),
);

function gccMissing(): string | false {
  try {
    execFileSync("gcc", ["--version"], { stdio: "pipe" });
    return false;
  } catch {
    return "gcc is not installed: cannot rebuild the event queue to compare it with the embedded bytes";
  }
}

describe("ffi event queue build", () => {
  test("ffi queue build - the embedded bytes are what event_queue.c builds", {
    skip: gccMissing(),
  }, () => {
    const r = spawnSync("bash", [SCRIPT, "--check"], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
  });
});

describe("ffi event queue loader", () => {
  const linux = (env: Record<string, string>, build = EVENT_QUEUE_LINUX_X64) =>
    locateEventQueue({ platform: "linux", arch: "x64", env, build });

  test("ffi queue loader - another platform gets a reason, not a file", () => {
    const r = locateEventQueue({
      platform: "win32",
      arch: "x64",
      env: {},
      build: EVENT_QUEUE_LINUX_X64,
    });
    assert.equal(r.ok, false);
    assert.match((r as { reason: string }).reason, /win32-x64/);
  });

  test("ffi queue loader - SMARTBUS_EVENT_QUEUE=off disables it", () => {
    assert.equal(linux({ SMARTBUS_EVENT_QUEUE: "off" }).ok, false);
  });

  test("ffi queue loader - corrupt embedded bytes are refused", () => {
    const r = linux({}, {
      ...EVENT_QUEUE_LINUX_X64,
      base64: "AAAA" + EVENT_QUEUE_LINUX_X64.base64.slice(4),
    });
    assert.deepEqual(r, {
      ok: false,
      reason: "the embedded event queue is corrupt",
    });
  });

  test("ffi queue loader - writes a verified private file, and rewrites a tampered one", () => {
    const dir = mkdtempSync(join(tmpdir(), "eq-load-"));
    try {
      const where = join(dir, "cache");
      const r = linux({ SMARTBUS_EVENT_QUEUE_DIR: where });
      assert.ok(r.ok);
      assert.ok(r.path.startsWith(where));
      assert.equal(readFileSync(r.path).length, EVENT_QUEUE_LINUX_X64.size);
      writeFileSync(r.path, "not a library");
      const again = linux({ SMARTBUS_EVENT_QUEUE_DIR: where });
      assert.ok(again.ok);
      assert.equal(readFileSync(again.path).length, EVENT_QUEUE_LINUX_X64.size);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("ffi queue loader - a folder others can write is skipped", () => {
    const dir = mkdtempSync(join(tmpdir(), "eq-load-"));
    try {
      chmodSync(dir, 0o777);
      const r = linux({
        SMARTBUS_EVENT_QUEUE_DIR: dir,
        XDG_CACHE_HOME: join(dir, "nope\0"),
      });
      assert.ok(r.ok);
      assert.ok(!r.path.startsWith(dir), r.path);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

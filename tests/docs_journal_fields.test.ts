/**
 * docs/control-api.md documents the journal's records field by field: each
 * kind's table (under "#### `kind`", the kind as its URL spells it) names
 * every field a real record of that kind carries, and no field none of
 * them carries. The records are made over HTTP on a served mock: flow
 * calls answered and refused, messages delivered and dropped, a
 * notification, presence of a raw TCP client (refused, connect,
 * disconnect). Under Deno and Bun, loopback only.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { JOURNAL_PATHS } from "../src/mock/control/journal_types.ts";
import {
  connectedClient,
  controlEnv,
  invoke,
  rawPresenceSession,
} from "./shared/control_env.ts";

const DOC = readFileSync(
  new URL("../docs/control-api.md", import.meta.url),
  "utf8",
);

/** The fields the table under "#### `path`" names. */
function documented(path: string): Set<string> {
  const lines = DOC.split("\n");
  const at = lines.indexOf(`#### \`${path}\``);
  assert.ok(at >= 0, `docs/control-api.md has a "#### \`${path}\`" table`);
  const fields = new Set<string>();
  let inTable = false;
  for (const line of lines.slice(at + 1)) {
    if (line.startsWith("#")) break;
    const m = /^\| `([A-Za-z][A-Za-z0-9]*)` /.exec(line);
    if (m) fields.add(m[1]);
    if (line.startsWith("|")) inTable = true;
    else if (inTable) break;
  }
  return fields;
}

describe("docs - the journal's record fields", () => {
  test("docs - each kind's table names exactly the fields its records carry", async () => {
    await using env = await controlEnv({ users: { alice: "pa55word" } });
    const login = { user: "alice", password: "pa55word" };
    using c30 = await connectedClient(env.server, 30, login);
    using _c31 = await connectedClient(env.server, 31, login);
    await invoke(c30.client, "base", ["a"]);
    await assert.rejects(invoke(c30.client, "nope"));
    c30.client.send(1, 3, 31, 1, 4, "delivered");
    c30.client.send(1, 3, 40, 1, 4, "dropped");
    c30.client.sendNotify(0, 0, "ivr", "hello", 0, 10, "p");
    const port = env.server.addresses[0].port;
    await rawPresenceSession(port, "pa55word", "to myself");
    const j = env.control.journal;
    await j.waitFor("presence", { event: "disconnect" });
    await j.waitFor("messages", { status: "delivered" });
    await j.waitFor("messages", { status: "dropped" });
    await j.waitFor("flowCalls", { state: "responded" });
    await j.waitFor("notifications", {});
    const kinds = Object.keys(JOURNAL_PATHS) as (keyof typeof JOURNAL_PATHS)[];
    for (const kind of kinds) {
      const path = JOURNAL_PATHS[kind];
      // Over HTTP, as a user reads them.
      const res = await fetch(`${env.url}/api/v1/journal/${path}`);
      const { records } = await res.json() as {
        records: Record<string, unknown>[];
      };
      assert.ok(records.length > 0, path);
      const carried = new Set(records.flatMap((r) => Object.keys(r)));
      const doc = documented(path);
      assert.deepEqual(
        [...carried].filter((f) => !doc.has(f)),
        [],
        `${path}: fields its records carry that the doc does not name`,
      );
      assert.deepEqual(
        [...doc].filter((f) => !carried.has(f)),
        [],
        `${path}: fields the doc names that no record carried`,
      );
    }
  });
});

/**
 * `startMockServer`, in process: a served bus that in-process clients
 * (`MockBackend` on `server.bus`) reach at the same address as TCP clients,
 * accounts, flows from a table, a function or a JSON file, and its log.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConnectError, FlowNotStartedError } from "../mod.ts";
import { startMockServer } from "../src/mock/mod.ts";
import { serverClient } from "./shared/control_env.ts";

describe("mock server - startMockServer", () => {
  test("mock server - port 0 nodes are known by the picked port; function flows and notifications are logged", async () => {
    const lines: string[] = [];
    await using server = await startMockServer({
      nodes: [{ unitId: 0, port: 0 }, { unitId: 1, port: 0 }],
      users: { alice: "s3cret" },
      flows: (ipsc) => ipsc.flow("a", "b", (params) => ["fn", ...params]),
      log: (line) => lines.push(line),
    });
    assert.equal(server.addresses.length, 2);
    assert.deepEqual(
      server.bus.nodes().map((n) => n.port),
      server.addresses.map((a) => a.port),
    );
    const { bus, client } = serverClient(server, 20, {
      user: "alice",
      password: "s3cret",
    });
    try {
      await client.connect({ timeout: 5000 });
      assert.deepEqual(
        await client.invoke({
          server: 0,
          process: 0,
          project: "a",
          flow: "b",
          params: [1],
        }, { timeout: 5000 }),
        ["fn", 1],
      );
      client.sendNotify(0, 0, "a", "title", 0, 10, "x");
      await assert.rejects(
        client.invoke({ server: 0, process: 0, project: "a", flow: "zz" }, {
          timeout: 5000,
        }),
        FlowNotStartedError,
      );
    } finally {
      bus.close();
    }
    assert.ok(
      lines.some((l) =>
        /flow call a\/b from 20 1 \d+ \(invoke id \d+, timeout 5000 ms\): \[1\]/
          .test(l)
      ),
      lines.join("\n"),
    );
    assert.ok(
      lines.some((l) =>
        /notify to IPSC 0:0 from 20 1 \d+: a "title" "x"/.test(l)
      ),
      lines.join("\n"),
    );
    assert.ok(
      lines.some((l) => /unhandled flow call a\/zz/.test(l)),
      lines.join("\n"),
    );
  });

  test("mock server - accounts are required; JSON answers; close ends TCP peers", async () => {
    const dir = mkdtempSync(join(tmpdir(), "smartbus-mock-"));
    try {
      const file = join(dir, "answers.json");
      writeFileSync(
        file,
        JSON.stringify({ "ivr/hello": ["hi"], "ivr/one": 7 }),
      );
      const server = await startMockServer({
        nodes: [{ unitId: 3, port: 0 }],
        users: { alice: "s3cret" },
        flows: file,
      });
      const wrong = serverClient(server, 21, {
        user: "alice",
        password: "nope",
      });
      const right = serverClient(server, 22, {
        user: "alice",
        password: "s3cret",
      });
      try {
        await assert.rejects(
          wrong.client.connect({ timeout: 5000 }),
          (e: unknown) => e instanceof ConnectError && e.codeName === "PWD",
        );
        assert.equal(await right.client.connect({ timeout: 5000 }), 3);
        const call = { server: 0, process: 0, project: "ivr" };
        assert.deepEqual(
          await right.client.invoke({ ...call, flow: "hello" }, {
            timeout: 5000,
          }),
          ["hi"],
        );
        assert.deepEqual(
          await right.client.invoke({ ...call, flow: "one" }, {
            timeout: 5000,
          }),
          [7],
        );
      } finally {
        wrong.bus.close();
        right.bus.close();
      }
      const peer = connect(server.addresses[0].port, "127.0.0.1");
      peer.on("error", () => {});
      await new Promise<void>((resolve, reject) => {
        peer.once("connect", resolve);
        peer.once("error", reject);
      });
      const closed = new Promise<void>((resolve) =>
        peer.once("close", () => resolve())
      );
      await server.close();
      await closed;
      await server.close(); // idempotent
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("mock server - a bad flow file or table fails and leaves nothing listening", async () => {
    await assert.rejects(
      startMockServer({
        nodes: [{ unitId: 0, port: 0 }],
        flows: "/nonexistent/flows.json",
      }),
      /ENOENT/,
    );
    await assert.rejects(
      startMockServer({
        nodes: [{ unitId: 0, port: 0 }],
        flows: { "no-slash": ["x"] },
      }),
      /must read "project\/flow"/,
    );
  });
});

/**
 * Passwords never leave the served mock (mock bus, in process, raw TCP
 * clients speaking the vendor's protocol): not in the event stream the
 * inspector reads (presence `addInfo`, sampled message text cut after
 * masking), not in the journal, not in the server's log.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { get } from "node:http";
import { MockControl, startMockServer } from "../src/mock/mod.ts";
import { FrameKind } from "../src/mock/internal.ts";
import { bounded, RawClient, registerFrame } from "./shared/raw_client.ts";

const PASSWORD = "pa55word-XYZ";
/** Any 4 characters of it in a row would show part of it. */
const PARTS = Array.from(
  { length: PASSWORD.length - 3 },
  (_, i) => PASSWORD.slice(i, i + 4),
);
const te = new TextEncoder();

/** The control API's event stream, read as text; `until` resolves it once `pred` holds. */
function openEvents(url: string): {
  until(pred: (text: string) => boolean): Promise<string>;
  close(): void;
} {
  let text = "";
  const waiters = new Set<() => void>();
  const req = get(`${url}/api/v1/events`, (res) => {
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      text += chunk;
      for (const w of waiters) w();
    });
  });
  req.on("error", () => {});
  return {
    until: (pred) =>
      new Promise((resolve) => {
        const check = (): void => {
          if (!pred(text)) return;
          waiters.delete(check);
          resolve(text);
        };
        waiters.add(check);
        check();
      }),
    close: () => req.destroy(),
  };
}

describe("mock control - password masking", () => {
  test("mock control masking - no part of a password in events, journal or log", async () => {
    const lines: string[] = [];
    await using server = await startMockServer({
      nodes: [{ unitId: 0, port: 0 }],
      users: { alice: PASSWORD },
      flows: { "ivr/echo": ["ok"] },
      control: { port: 0 },
      log: (line) => lines.push(line),
    });
    const control = server.control!;
    // The text of this message crosses the inspector's 120-character cut.
    const message = `${"x".repeat(115)}${PASSWORD} and more`;
    const events = openEvents(control.url);
    // Subscribed first: samples and presence go only to a reader's stream.
    await bounded(
      events.until((t) => t.includes("event: state")),
      5000,
      "the first state",
    );
    const c = await RawClient.open(server.addresses[0].port);
    try {
      const login = registerFrame(2, "alice", PASSWORD);
      assert.ok(login.kind === FrameKind.REGISTER);
      c.send({ ...login, addInfo: te.encode(`desk of alice, ${PASSWORD}`) });
      await c.next((f) => f.kind === FrameKind.REGISTER_ACK);
      const me = { unitId: 20, clientId: 2, clientType: 4 };
      // Wait for the stream's first state before the message: samples are
      // taken only while someone reads the stream.
      await bounded(
        control.journal.waitFor("presence", { event: "connect" }),
        5000,
        "the login in the journal",
      );
      c.send({
        kind: FrameKind.DATA,
        head: { cmd: 1, cmdType: 3, src: me, dst: me },
        data: te.encode(message),
      });
      c.invokeFlow({
        invokeId: 7,
        project: "ivr",
        flow: "echo",
        params: JSON.stringify([PASSWORD]),
      });
      await c.next((f) => f.kind === FrameKind.FLOW_RESULT);
      const stream = await bounded(
        events.until((t) =>
          t.includes('"event":"connect"') && t.includes("xxxxxxxxxx")
        ),
        10_000,
        "the login and the message on the event stream",
      );
      const journal = JSON.stringify([
        await control.journal.find("presence"),
        await control.journal.find("messages"),
        await control.journal.find("flowCalls"),
        await new MockControl(control.url).state(),
      ]);
      assert.ok(lines.some((l) => l.includes("flow call ivr/echo")), "logged");
      for (
        const [where, text] of [
          ["event stream", stream],
          ["journal", journal],
          ["log", lines.join("\n")],
        ]
      ) {
        const shown = PARTS.find((p) => text.includes(p));
        assert.equal(shown, undefined, `${where} shows "${shown}":\n${text}`);
      }
      assert.match(stream, /desk of alice, \*\*\*/);
    } finally {
      events.close();
      c.socket.destroy();
    }
  });
});

/**
 * The checks the property suites share, on the records of a {@link World}
 * (mock or native): flow outcomes, data accounting, presence.
 */
import assert from "node:assert/strict";
import {
  ConnectError,
  LibraryError,
  NotInitializedError,
  TimeoutError,
} from "../../mod.ts";
import type { MessageRecord } from "../../src/mock/mod.ts";
import {
  type CallTrace,
  errorKind,
  type FlowTrace,
  type World,
} from "./prop_world.ts";

/**
 * An `rtt()` or `connect()` call settled once, by its deadline: resolved
 * in time (an rtt equal to the time it took; a connect with the node of a
 * connect event seen by then), or rejected exactly at the deadline with
 * `TimeoutError`/`ConnectError`, or at once with `LibraryError` -2 (an rtt
 * while down).
 */
export function checkCall(w: World, t: CallTrace, slackMs = 0): void {
  const what =
    `${t.kind} of client ${t.client} at ${t.at} (timeout ${t.timeoutMs})`;
  assert.ok(t.promise, `${what}: never settled`);
  const deadline = t.at + t.timeoutMs;
  const { at, ok, value } = t.promise;
  if (ok) {
    assert.ok(
      at <= deadline + slackMs,
      `${what}: resolved at ${at}, after the deadline`,
    );
    if (t.kind === "rtt") assert.equal(value, at - t.at, `${what}: rtt`);
    else {
      const seen = w.clients[t.client].connects.filter((c) => c.at <= at);
      assert.ok(
        seen.some((c) => c.unit === value),
        `${what}: resolved with ${value}, no such connect`,
      );
    }
    return;
  }
  if (value instanceof LibraryError) {
    assert.equal(t.kind, "rtt", `${what}: ${value}`);
    assert.equal(value.code, -2, `${what}: ${value}`);
    assert.ok(at - t.at <= slackMs, `${what}: refused late`);
    return;
  }
  const expected = t.kind === "rtt" ? TimeoutError : ConnectError;
  assert.ok(value instanceof expected, `${what}: rejected with ${value}`);
  assert.ok(
    at >= deadline && at <= deadline + slackMs,
    `${what}: rejected at ${at}, deadline ${deadline}`,
  );
}

/**
 * One flow call's trace is sound (see `tests/prop_flows_on_mock.test.ts` for what
 * "one outcome" means). `slackMs` is the clock step allowed past the
 * deadline and between an event and its promise: 0 on the virtual clock,
 * some ms in real time.
 */
export function checkFlow(w: World, t: FlowTrace, slackMs = 0): void {
  const what =
    `${t.flow} call of client ${t.client} at ${t.at} (timeout ${t.timeoutMs})`;
  assert.ok(t.promise, `${what}: the promise never settled`);
  if (t.invokeId === undefined) {
    assert.equal(
      errorKind(t.threw),
      "LibraryError(-2)",
      `${what}: refused at once`,
    );
    assert.equal(t.outcomes.length, 0, `${what}: events without an invoke id`);
    return;
  }
  assert.equal(
    t.outcomes.length,
    1,
    `${what} (invoke id ${t.invokeId}): ${t.outcomes.length} outcomes: ${
      JSON.stringify(t.outcomes)
    }`,
  );
  const [out] = t.outcomes;
  const deadline = t.at + t.timeoutMs;
  assert.ok(
    out.at <= deadline + slackMs,
    `${what}: outcome at ${out.at} after the deadline ${deadline}`,
  );
  assert.ok(
    t.promise.at <= out.at + slackMs,
    `${what}: promise settled at ${t.promise.at}, after the outcome`,
  );
  const refused = t.acks.find((a) => a.ack !== 1 && !a.timer);
  if (refused && refused.at <= out.at) {
    assert.equal(errorKind(t.promise.value), "FlowNotStartedError", what);
    assert.ok(
      Math.abs(t.promise.at - refused.at) <= slackMs,
      `${what}: rejected at the ack`,
    );
  } else if (out.kind === "respond") {
    assert.ok(
      t.promise.ok,
      `${what}: responded but rejected with ${errorKind(t.promise.value)}`,
    );
    assert.deepEqual(t.promise.value, out.value ?? []);
  } else if (out.kind === "timeout") {
    assert.equal(errorKind(t.promise.value), "FlowTimeoutError", what);
    // In real time the library's timer (its monotonic clock, whole ms) and
    // these stamps (Date.now(), whole ms) truncate at different instants:
    // one is 1 ms early by the other now and then (seen: 199 ms of 200).
    const tick = slackMs > 0 ? 1 : 0;
    assert.ok(
      out.at >= deadline - tick,
      `${what}: the library's timer fired early, at ${out.at}`,
    );
    assert.ok(
      t.promise.at >= deadline - tick && t.promise.at <= deadline + slackMs,
      `${what}: invoke() rejected at ${t.promise.at}, not at the deadline`,
    );
  } else {
    assert.equal(errorKind(t.promise.value), `FlowError(${out.value})`, what);
  }
  // Flows that answer after the deadline (or never) must not get a result through.
  if (t.flow === "late" || t.flow === "silent" || t.flow === "refuse") {
    assert.notEqual(
      out.kind,
      "respond",
      `${what}: a late or missing answer was delivered`,
    );
  }
  const rec = w.bus.flowCalls().find((c) =>
    c.invokeId === t.invokeId && c.from.unitId === w.clients[t.client].unitId &&
    c.from.clientId === w.clients[t.client].id
  );
  if (rec?.late) {
    assert.notEqual(
      out.kind,
      "respond",
      `${what}: the bus answered late, yet it responded`,
    );
  }
}

/** Why the bus may drop a data packet. */
const REASONS = new Set([
  "no such destination",
  "receiver left",
  "link cut",
  "dropped by fault",
]);

/**
 * Whether every send can be judged yet: each one that did not throw has a
 * bus record or its sender saw a disconnect since, no record is still
 * queued, and what the bus delivered has reached its receiver. In real time a frame the library accepted may still be on its
 * way (the library's thread, the socket, the bus's reader); "no record
 * queued" alone holds vacuously then, so wait for this before
 * {@link checkData}.
 */
export function sendsSettled(w: World): boolean {
  const records = dataRecords(w);
  for (const m of records.values()) if (m.status === "queued") return false;
  return w.sends.every((s) => {
    const rec = records.get(s.text);
    if (rec?.status === "delivered") {
      // Delivered is the bus's word: in real time the receiver's library
      // still has to read it off its socket and call back (a loaded CI
      // machine once checked too soon).
      return w.clients[s.to].received.some((r) => r.text === s.text);
    }
    return s.threw !== undefined || rec !== undefined ||
      w.clients[s.from].disconnects.some((t) => t >= s.at);
  });
}

/** The bus's data records by their text (the world sends unique texts). */
function dataRecords(w: World): Map<string, MessageRecord> {
  return new Map(
    w.bus.sent().filter((m) => m.kind === "data").map((m) => [
      new TextDecoder().decode(m.bytes).replace(/\0$/, ""),
      m,
    ]),
  );
}

/** How long after the bus closed a link a native library may still send on it. */
const READ_CLOSE_MS = 1000;

/**
 * Check every send against the bus records and what each receiver got.
 * Every send is accounted for. `lossless`: no lossy fault ran, so only a
 * receiver that was away may miss data. `lostOnBreak`: a native library
 * queues sends and may lose what it queued when its link breaks — allowed
 * only if the sender saw that disconnect, or the bus closed one of its
 * links since (a failover to its other link is silent).
 */
export function checkData(
  w: World,
  lossless: boolean,
  lostOnBreak = false,
): void {
  const records = dataRecords(w);
  for (const s of w.sends) {
    const sender = w.clients[s.from];
    const receiver = w.clients[s.to];
    const got = receiver.received.filter((r) => r.text === s.text);
    if (s.threw !== undefined) {
      const closed = sender.client.closed &&
        s.threw instanceof NotInitializedError;
      const down = s.threw instanceof LibraryError && s.threw.code === -2;
      assert.ok(closed || down, `send "${s.text}" threw ${s.threw}`);
      assert.equal(got.length, 0, `"${s.text}" threw yet arrived`);
      continue;
    }
    const rec = records.get(s.text);
    if (!rec && lostOnBreak) {
      assert.equal(got.length, 0, `"${s.text}" arrived without a bus record`);
      assert.ok(
        sender.disconnects.some((t) => t >= s.at) ||
          // Until the library reads the close, it sends down the closed link.
          sender.linkBreaks.some((t) => t >= s.at - READ_CLOSE_MS),
        `"${s.text}" never reached the bus, the sender saw no disconnect and lost no link`,
      );
      continue;
    }
    assert.ok(
      rec,
      `"${s.text}" was sent without error but the bus has no record of it`,
    );
    if (rec.status === "delivered") {
      assert.equal(got.length, 1, `"${s.text}" delivered ${got.length} times`);
      assert.equal(
        got[0].from,
        `${sender.unitId}/${sender.id}`,
        `"${s.text}" sender`,
      );
      continue;
    }
    assert.equal(
      rec.status,
      "dropped",
      `"${s.text}" still ${rec.status} after draining`,
    );
    assert.equal(got.length, 0, `"${s.text}" dropped by the bus yet arrived`);
    assert.ok(
      REASONS.has(rec.reason ?? ""),
      `"${s.text}" dropped for ${rec.reason}`,
    );
    if (lossless) {
      assert.ok(
        rec.reason === "no such destination" || rec.reason === "receiver left",
        `"${s.text}" lost to ${rec.reason} with no lossy fault`,
      );
      if (rec.reason === "receiver left") {
        assert.ok(
          receiver.disconnects.some((t) => t >= s.at),
          `"${s.text}": receiver left without a disconnect`,
        );
      }
    }
  }
  // Nothing arrives that was not sent, and per sender the order is kept.
  const sentAt = new Map(w.sends.map((s, i) => [s.text, i]));
  for (const r of w.clients) {
    const last = new Map<string, number>();
    for (const m of r.received) {
      const i = sentAt.get(m.text);
      assert.ok(
        i !== undefined,
        `client ${r.index} received "${m.text}" that nobody sent`,
      );
      assert.ok(
        i > (last.get(m.from) ?? -1),
        `client ${r.index}: "${m.text}" from ${m.from} out of order`,
      );
      last.set(m.from, i);
    }
  }
}

/**
 * Every open unit's presence equals the bus: every connection and every
 * running node. Not `exact`: only that nobody present is missing (ghosts of
 * those who left while the unit was cut off entirely are tolerated).
 */
export function checkPresence(w: World, exact: boolean): void {
  const truth = [
    ...w.bus.clients().map((c) =>
      `${c.address.unitId}/${c.address.clientId}/${c.address.clientType}`
    ),
    ...w.bus.nodes().filter((n) => n.running).map((n) => `${n.unitId}/-1/1`),
  ].sort();
  for (const u of w.units.filter((u) => !u.closed)) {
    const seen = u.presence().map((p) =>
      `${p.unitId}/${p.clientId}/${p.clientType}`
    ).sort();
    if (exact) {
      assert.deepEqual(
        seen,
        truth,
        `unit ${u.unitId}: presence() differs from the bus`,
      );
    } else {
      const missing = truth.filter((t) => !seen.includes(t));
      assert.deepEqual(
        missing,
        [],
        `unit ${u.unitId}: presence() misses clients that are there`,
      );
    }
  }
}

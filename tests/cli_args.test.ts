/**
 * The command line's value parsers and figures, in process: durations,
 * addresses, client types, parameters, percentiles, and the mapping of
 * errors to exit codes.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  jsonOrText,
  parseClientType,
  parseCommand,
  parseDuration,
  parseHostPort,
  parseInteger,
  parsePair,
} from "../src/cli/cli_args.ts";
import { describeFailure, ExitCode, UsageError } from "../src/cli/exit.ts";
import {
  formatMs,
  percentile,
  progressBar,
  summarize,
} from "../src/cli/stats.ts";
import { statsLines } from "../src/cli/stats_report.ts";
import { ClientCounters, countCode } from "../internal.ts";
import {
  ConnectError,
  FlowError,
  FlowNotStartedError,
  FlowTimeoutError,
  InvalidArgumentError,
  LibraryError,
  LibraryLoadError,
  TimeoutError,
} from "../mod.ts";

describe("cli args - values", () => {
  test("cli args - durations take ms or a unit and refuse the rest", () => {
    assert.equal(parseDuration("250", "--t"), 250);
    assert.equal(parseDuration("250ms", "--t"), 250);
    assert.equal(parseDuration("1.5s", "--t"), 1500);
    assert.equal(parseDuration("2m", "--t"), 120_000);
    assert.equal(parseDuration("1h", "--t"), 3_600_000);
    for (const bad of ["", "0", "-5", "5x", "s", "1e3", "soon"]) {
      assert.throws(() => parseDuration(bad, "--t"), UsageError, bad);
    }
    fc.assert(fc.property(fc.integer({ min: 1, max: 10_000_000 }), (n) => {
      assert.equal(parseDuration(`${n}s`, "--t"), n * 1000);
      assert.equal(parseDuration(String(n), "--t"), n);
    }));
  });

  test("cli args - host:port, a bare port, and ranges", () => {
    assert.deepEqual(parseHostPort("10.0.0.1:8000", "--m"), {
      host: "10.0.0.1",
      port: 8000,
    });
    assert.deepEqual(parseHostPort("8001", "--m"), {
      host: "127.0.0.1",
      port: 8001,
    });
    assert.deepEqual(parseHostPort("h:0", "--n", true), { host: "h", port: 0 });
    for (const bad of ["h:0", "h:65536", ":80", "h:x", "h:"]) {
      assert.throws(() => parseHostPort(bad, "--m"), UsageError, bad);
    }
    fc.assert(fc.property(fc.integer({ min: 1, max: 65535 }), (port) => {
      assert.equal(parseHostPort(`node-a:${port}`, "--m").port, port);
    }));
  });

  test("cli args - integers, pairs, client types and parameters", () => {
    assert.equal(parseInteger("47", "--unit", 16, 47), 47);
    assert.throws(
      () => parseInteger("48", "--unit", 16, 47),
      /from 16 to 47, got "48"/,
    );
    assert.throws(() => parseInteger("1.5", "--unit", 0, 47), UsageError);
    assert.deepEqual(parsePair("3:7", "--ipsc"), [3, 7]);
    assert.throws(() => parsePair("3", "--ipsc"), /UNIT:PROCESS/);
    assert.equal(parseClientType("IPSC", "--type"), 2);
    assert.equal(parseClientType("agent", "--type"), 4);
    assert.equal(parseClientType("200", "--type"), 200);
    assert.throws(
      () => parseClientType("robot", "--type"),
      /one of null, node, ipsc/,
    );
    assert.deepEqual([
      jsonOrText("42"),
      jsonOrText("bob"),
      jsonOrText('"42"'),
      jsonOrText("[1]"),
    ], [42, "bob", "42", [1]]);
  });

  test("cli args - parse errors are one line that points at the help", () => {
    assert.throws(
      () => parseCommand("invoke", ["--nope"], {}),
      (e: unknown) =>
        e instanceof UsageError &&
        /^Unknown option '--nope'; see smartbus invoke --help$/.test(e.message),
    );
    assert.throws(
      () => parseCommand("invoke", ["--timeout"], {}),
      (e: unknown) => e instanceof UsageError && !e.message.includes("\n"),
    );
  });
});

describe("cli args - figures", () => {
  test("cli args - percentiles are members of the data, ordered, nearest rank", () => {
    assert.equal(percentile([], 50), NaN);
    assert.equal(percentile([1, 2, 3, 4], 50), 2);
    assert.equal(percentile([1, 2, 3, 4], 99), 4);
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), {
          minLength: 1,
        }),
        (xs) => {
          const s = [...xs].sort((a, b) => a - b);
          const p50 = percentile(s, 50);
          const p99 = percentile(s, 99);
          assert.ok(s.includes(p50) && s.includes(p99));
          assert.ok(p50 <= p99);
          assert.ok(s.filter((x) => x <= p50).length >= s.length / 2);
        },
      ),
    );
  });

  test("cli args - summary and progress bar read as documented", () => {
    assert.equal(
      summarize([1, 3], 1, 500),
      "3 calls in 0.50 s: 6.0 calls/s, p50 1.00 ms, p99 3.00 ms, 1 failed",
    );
    assert.equal(progressBar(5, 10, 0, 10), "[#####-----] 5/10");
    assert.equal(progressBar(10, 10, 2, 4), "[####] 10/10 (2 failed)");
  });
});

describe("cli args - statistics", () => {
  test("cli args - the client's statistics read as documented: codes, sizes, plurals, both windows, the queue", () => {
    const c = new ClientCounters();
    c.flowsStarted = 7;
    c.flowsAcknowledged = 4;
    c.flowsAnswered = 3;
    countCode(c.flowsFailed, -99);
    countCode(c.flowsNotStarted, -3);
    countCode(c.flowsNotStarted, -3);
    countCode(c.flowsNotStarted, -1);
    c.flowsTimedOut = 1;
    c.dataSent = 2;
    c.dataSentBytes = 2048;
    c.dataReceived = 1;
    c.dataReceivedBytes = 3 * 1024 * 1024;
    c.connects = 1;
    c.disconnects = 2;
    countCode(c.connectFailures, -20);
    for (const ms of [1, 2, 3, 40]) c.flowAck.record(ms, 0);
    c.flowResult.record(5, 0);
    // 70 s later: the result's sample left the recent window, the acks'
    // did not (recorded again then).
    for (const ms of [7, 8]) c.flowAck.record(ms, 70_000);
    const stats = {
      ...c.totals(70_000, { flows: 0, pings: 1 }),
      localClientId: 1,
      state: "connected" as const,
      eventQueue: { dropped: 3 },
    };
    assert.deepEqual(statsLines(stats), [
      "flows: 7 started, 4 acknowledged, 3 answered, 1 failed (-99 ×1), 3 not started (-3 ×2, -1 ×1), 1 timed out, 0 aborted, 0 in flight, 0 refused by the library",
      "latency flow ack: 6, p50 3.00 ms, p90 40.0 ms, p99 40.0 ms, max 40.0 ms; last minute 2, p99 8.00 ms",
      "latency flow result: 1, p50 5.00 ms, p90 5.00 ms, p99 5.00 ms, max 5.00 ms; none in the last minute",
      "latency ping rtt: no samples",
      "data: 2 sent (2.0 KiB), 1 received (3.0 MiB), 0 refused",
      "pings: 0 sent (0 B), 0 answers (0 B), 0 refused, 1 awaiting an answer",
      "notifications: 0 sent, 0 refused",
      "link: connected, 1 connect, 2 disconnects, 1 failed attempt (-20 ×1)",
      "event queue: 3 dropped",
    ]);
    assert.equal(statsLines({ ...stats, eventQueue: null }).length, 8);
    assert.deepEqual(
      [formatMs(null), formatMs(NaN), formatMs(0.5), formatMs(12.34)],
      ["-", "-", "0.50 ms", "12.3 ms"],
    );
  });
});

describe("cli args - exit codes", () => {
  test("cli args - each error kind maps to its documented code", () => {
    const info = { invokeId: 1, project: "p" };
    const cases: [unknown, number][] = [
      [new UsageError("x"), ExitCode.USAGE],
      [new InvalidArgumentError("unitId", "bad"), ExitCode.USAGE],
      [new ConnectError("refused", -6), ExitCode.CONNECT],
      [new LibraryError("SmartBusNetCli_SendData", -2), ExitCode.CONNECT],
      [new FlowTimeoutError(info, 100), ExitCode.TIMEOUT],
      [new TimeoutError("ping", 100), ExitCode.TIMEOUT],
      [new FlowNotStartedError(info, -1, "no"), ExitCode.FLOW],
      [new FlowError("failed", -3, info), ExitCode.FLOW],
      [new LibraryLoadError(["/a.so", "/b.so"]), ExitCode.LIBRARY],
      [new LibraryError("SmartBusNetCli_Init", -99), ExitCode.OTHER],
      [new Error("boom\nsecond line"), ExitCode.OTHER],
    ];
    for (const [e, code] of cases) {
      const d = describeFailure(e);
      assert.equal(d.code, code, String(e));
      assert.ok(!d.message.includes("\n"), d.message);
    }
    assert.match(
      describeFailure(new LibraryLoadError(["/a.so", "/b.so"])).message,
      /tried: \/a\.so, \/b\.so\)$/,
    );
  });

  test("cli args - a refusal's text from the bus stays one inert line", () => {
    // Any peer writes the message of a refused flow: a line break or an ESC
    // sequence in it must neither split the line nor reach the terminal.
    const info = { invokeId: 1, project: "ivr" };
    const hostile = "busy\r\nFAKE: ok\x1b[2J\x1b]0;owned\x07\x9b1m\x00";
    for (
      const e of [
        new FlowNotStartedError(info, -1, hostile),
        new FlowError(hostile, -3, info),
        new ConnectError(hostile, -6),
        new Error(hostile),
      ]
    ) {
      const { message } = describeFailure(e);
      // deno-lint-ignore no-control-regex
      assert.doesNotMatch(message, /[\x00-\x08\x0a-\x1f\x7f-\x9f]/, message);
      assert.match(message, /busy; FAKE: ok\\x1b\[2J\\x1b\]0;owned\\x07/);
    }
  });
});

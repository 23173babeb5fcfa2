/**
 * The `smartbus` command, driven as a subprocess of the running runtime
 * (`deno run -A` under Deno, `bun` under Bun): help, usage errors, exit
 * codes, the in-process mock backend, the native backend (the stand-in
 * library) against a mock bus served on loopback, and `smartbus mock`.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { LatencySummary } from "../mod.ts";
import { type MockServer, startMockServer } from "../src/mock/mod.ts";
import { Cli, type Run } from "./shared/cli_child.ts";
import { deadPort } from "./shared/loopback.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const LIB = join(ROOT, "build/libbusnetcli.so");
const PASSWORD = "pw-Zq8-never-shown";
const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;
const NATIVE = deno !== undefined || "Bun" in globalThis;

function cli(
  args: string[],
  env: Record<string, string> = {},
  input?: string,
): Promise<Run> {
  return new Cli(args, env, input).finish();
}

/** One stderr line and nothing on stdout: how every failure must look. */
function assertFailure(r: Run, code: number, re: RegExp): void {
  assert.equal(r.code, code, `exit code; stderr: ${r.stderr}`);
  assert.equal(r.stdout, "");
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `one stderr line, got:\n${r.stderr}`);
  assert.match(lines[0], re);
}

function buildNative(): Promise<void> {
  if (existsSync(LIB)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    execFile("bash", [join(ROOT, "scripts/build_native.sh")], {
      timeout: 180_000,
    }, (err, _o, stderr) => {
      if (err) {
        reject(new Error(`build_native.sh failed: ${err.message}\n${stderr}`));
      } else resolve();
    });
  });
}

const FLOWS_TS = `let calls = 0;
export default {
  "t/echo": (params) => params,
  "t/silent": (_params, ctx) => ctx.noAnswer(),
  "t/fail": (_params, ctx) => ctx.fail(-3),
  // Every other call is refused: a known mix for the statistics.
  "t/alt": (params, ctx) => ++calls % 2 === 0 ? ctx.refuse(-3, "even") : params,
};
`;

/** The numbers of a latency line (`latency flow ack: 50, p50 1.20 ms, ...`). */
function latencyFigures(line: string): number[] {
  const m = line.match(
    /^latency [a-z ]+: (\d+), p50 ([\d.]+) ms, p90 ([\d.]+) ms, p99 ([\d.]+) ms, max ([\d.]+) ms; /,
  );
  assert.ok(m, line);
  return m.slice(1).map(Number);
}

/** A latency summary that holds `count` samples, each at most `wallMs`. */
function assertConsistent(
  s: LatencySummary,
  count: number,
  wallMs: number,
): void {
  assert.equal(s.count, count);
  if (count === 0) {
    assert.deepEqual([s.sum, s.p50, s.p90, s.p99, s.max], [
      0,
      null,
      null,
      null,
      null,
    ]);
    return;
  }
  // With samples every figure is a number.
  const [p50, p90, p99, max] = [s.p50, s.p90, s.p99, s.max] as number[];
  assert.ok(
    0 <= p50 && p50 <= p90 && p90 <= p99 && p99 <= max,
    JSON.stringify(s),
  );
  assert.ok(max <= s.sum && s.sum <= count * max + 1e-9, JSON.stringify(s));
  assert.ok(max <= wallMs, `max ${max} ms within the run's ${wallMs} ms`);
}

let dir = "";
let flowsTs = "";
let answersJson = "";
const MOCK = (): string[] => ["--backend", "mock", "--flows", flowsTs];

before(() => {
  dir = mkdtempSync(join(tmpdir(), "smartbus-cli-"));
  flowsTs = join(dir, "flows.mjs");
  answersJson = join(dir, "answers.json");
  writeFileSync(flowsTs, FLOWS_TS);
  writeFileSync(
    answersJson,
    JSON.stringify({ "ivr/hello": ["hi", 42], "ivr/one": "x" }),
  );
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("cli - help and usage", () => {
  test("cli - --help works on the top level and on every command", async () => {
    const names = ["mock", "invoke", "ping", "send", "notify", "watch"];
    const runs = await Promise.all([
      cli(["--help"]),
      cli(["help", "invoke"]),
      ...names.map((n) => cli([n, "--help"])),
    ]);
    for (const r of runs) {
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Usage: smartbus/);
      assert.match(
        r.stdout,
        /Exit codes:[\s\S]*6 +the library could not be loaded/,
      );
      assert.equal(r.stderr, "");
    }
    for (const n of names) {
      assert.match(runs[0].stdout, new RegExp(`\\n  ${n} `));
    }
  });

  test("cli - usage errors exit 2 with one line", async () => {
    const [none, unknown, option, timeout, missing, flows, backend] =
      await Promise.all([
        cli([]),
        cli(["frobnicate"]),
        cli(["invoke", "--bogus", "p", "f"]),
        cli(["invoke", ...MOCK(), "--timeout", "soon", "p", "f"]),
        cli(["ping", ...MOCK(), "0"]),
        cli(["invoke", "--flows", flowsTs, "p", "f"]),
        cli(["invoke", "--backend", "java", "p", "f"]),
      ]);
    assertFailure(none, 2, /missing command; see smartbus --help/);
    assertFailure(unknown, 2, /unknown command "frobnicate"/);
    assertFailure(
      option,
      2,
      /Unknown option '--bogus'; see smartbus invoke --help/,
    );
    assertFailure(timeout, 2, /--timeout must be a positive duration/);
    assertFailure(missing, 2, /missing arguments; usage: smartbus ping/);
    assertFailure(flows, 2, /--flows needs --backend mock/);
    assertFailure(backend, 2, /--backend must be one of deno, bun, node, mock/);
  });

  test("cli - arguments the API refuses exit 2 at once, before any library or bus", async () => {
    const port = await deadPort();
    // No bus at `port`: a check left until after connecting would wait
    // out the 10 s connect timeout and exit 3 (or 6 without a library).
    const at = ["--lib", LIB, "--master", `127.0.0.1:${port}`];
    const long = JSON.stringify(["x".repeat(40_000)]);
    const t0 = Date.now();
    const [params, project, title, data, host] = await Promise.all([
      cli(["invoke", ...at, "--params", long, "ivr", "echo"]),
      cli(["invoke", ...at, "\u{1F600}", "echo"]),
      cli(["notify", ...at, "p", "\u{1F600}", "x"]),
      cli([
        "send",
        ...at,
        "--encoding",
        "gbk",
        "17",
        "0",
        "agent",
        "\u{1F600}",
      ]),
      // 30 characters, 90 bytes: past the library's 64-byte host field.
      cli([
        "ping",
        "--lib",
        LIB,
        "--master",
        `${"€".repeat(30)}:1`,
        "0",
        "0",
        "ipsc",
      ]),
    ]);
    assert.ok(Date.now() - t0 < 8_000, `took ${Date.now() - t0} ms`);
    assertFailure(params, 2, /invalid parameters: encode to .* at most 16001/);
    assertFailure(project, 2, /invalid project: cannot be encoded as GBK/);
    assertFailure(title, 2, /invalid title: cannot be encoded as GBK/);
    assertFailure(data, 2, /invalid data: cannot be encoded as GBK/);
    assertFailure(
      host,
      2,
      /invalid --master: must be an IPv4 address such as 10\.0\.0\.1 \(the library resolves no host names\)/,
    );
  });

  test("cli - mock on a port in use exits 1 with one stderr line", async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, "127.0.0.1", () => r()));
    const a = busy.address();
    const port = typeof a === "object" && a ? a.port : 0;
    try {
      const r = await cli(["mock", "--node", `0=127.0.0.1:${port}`]);
      assertFailure(
        r,
        1,
        /cannot listen: .*EADDRINUSE.*pick another --node port/,
      );
    } finally {
      await new Promise<void>((r) => busy.close(() => r()));
    }
  });

  test("cli - a library that cannot load exits 6 listing the paths tried", async () => {
    const [flag, env] = await Promise.all([
      cli(["invoke", "--lib", "/nonexistent/libbusnetcli.so", "p", "f"]),
      cli(["ping", "0", "0", "ipsc"], {
        SMARTBUS_NETCLI_LIB: "/nowhere/libx.so",
      }),
    ]);
    assertFailure(
      flag,
      6,
      /cannot load libbusnetcli: set --lib or SMARTBUS_NETCLI_LIB \(tried: .*\/nonexistent\/libbusnetcli\.so/,
    );
    assertFailure(env, 6, /tried: .*\/nowhere\/libx\.so/);
  });
});

describe("cli - in-process mock backend", () => {
  test("cli - invoke prints the flow result as JSON and exits 0", async () => {
    const [echo, canned] = await Promise.all([
      cli(["invoke", ...MOCK(), "t", "echo", "1", "two", '"3"', '{"a":[1]}']),
      cli([
        "invoke",
        "--backend",
        "mock",
        "--flows",
        answersJson,
        "ivr",
        "hello",
      ]),
    ]);
    assert.equal(echo.code, 0, echo.stderr);
    assert.equal(echo.stdout, '[1,"two","3",{"a":[1]}]\n');
    assert.equal(echo.stderr, "");
    assert.equal(canned.code, 0, canned.stderr);
    assert.deepEqual(JSON.parse(canned.stdout), ["hi", 42]);
  });

  test("cli - flow timeout exits 4, unknown and failing flows exit 5", async () => {
    const [silent, unknown, failing] = await Promise.all([
      cli(["invoke", ...MOCK(), "--timeout", "300ms", "t", "silent"]),
      cli(["invoke", ...MOCK(), "t", "nope"]),
      cli(["invoke", ...MOCK(), "t", "fail"]),
    ]);
    assertFailure(
      silent,
      4,
      /flow t\/silent on IPSC 0:0 gave no result within 300 ms: raise --timeout/,
    );
    assertFailure(
      unknown,
      5,
      /flow t\/nope on IPSC 0:0 did not start \(ack -1: .*no such flow.*\): check the project and flow names, --ipsc, and the match of any stub$/,
    );
    // The vendor's protocol has no failed result: a flow that fails before
    // its first await is refused in its acknowledge (with the code), which
    // the CLI reports as not started; still exit 5.
    assertFailure(
      failing,
      5,
      /flow t\/fail on IPSC 0:0 did not start \(ack -3: .*-3/,
    );
    // A flow (or stub) refusing on purpose gets no hint at the names: its
    // reason says why, and the names were right.
    assert.doesNotMatch(failing.stderr, /check the project/);
    assert.doesNotMatch(failing.stderr, /CONNECT_BREAK/);
  });

  test("cli - --repeat prints each result and ends with throughput, p50/p99 and the client's statistics on stderr", async () => {
    const r = await cli([
      "invoke",
      ...MOCK(),
      "--repeat",
      "50",
      "--concurrency",
      "5",
      "t",
      "echo",
      "7",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trimEnd().split("\n"), Array(50).fill("[7]"));
    const [summary, ...stats] = r.stderr.trimEnd().split("\n");
    const m = summary.match(
      /^50 calls in ([\d.]+) s: [\d.]+ calls\/s, p50 [\d.]+ ms, p99 [\d.]+ ms, 0 failed$/,
    );
    assert.ok(m, summary);
    assert.deepEqual(stats.map((l) => l.split(":")[0]), [
      "flows",
      "latency flow ack",
      "latency flow result",
      "latency ping rtt",
      "data",
      "pings",
      "notifications",
      "link",
    ], "the mock backend has no event queue: no line for it");
    assert.equal(
      stats[0],
      "flows: 50 started, 50 acknowledged, 50 answered, 0 failed, 0 not started, 0 timed out, 0 aborted, 0 in flight, 0 refused by the library",
    );
    // Wall time is printed to 10 ms, bus times to 1 ms: some slack.
    const wallMs = Number(m[1]) * 1000 + 12;
    for (const line of [stats[1], stats[2]]) {
      const [count, p50, p90, p99, max] = latencyFigures(line);
      assert.equal(count, 50, line);
      assert.ok(p50 <= p90 && p90 <= p99 && p99 <= max && max <= wallMs, line);
      assert.match(line, /; last minute 50, p99 [\d.]+ ms$/);
    }
    assert.equal(stats[3], "latency ping rtt: no samples");
    assert.equal(stats[4], "data: 0 sent (0 B), 0 received (0 B), 0 refused");
    assert.equal(
      stats[5],
      "pings: 0 sent (0 B), 0 answers (0 B), 0 refused, 0 awaiting an answer",
    );
    assert.equal(stats[6], "notifications: 0 sent, 0 refused");
    assert.equal(
      stats[7],
      "link: connected, 1 connect, 0 disconnects, 0 failed attempts",
    );
  });

  test("cli - --repeat --json ends with one object: the run's summary and the client's statistics, every outcome counted", async () => {
    const [mixed, silent, human] = await Promise.all([
      cli([
        "invoke",
        ...MOCK(),
        "--json",
        "-q",
        "--repeat",
        "10",
        "t",
        "alt",
        "1",
      ]),
      cli([
        "invoke",
        ...MOCK(),
        "--json",
        "-q",
        "--repeat",
        "2",
        "--timeout",
        "300ms",
        "t",
        "silent",
      ]),
      cli(["invoke", ...MOCK(), "-q", "--repeat", "4", "t", "alt"]),
    ]);
    // The first failure decides the exit code; the figures come first.
    assert.equal(mixed.code, 5, mixed.stderr);
    assert.match(
      mixed.stderr,
      /^first failure: flow t\/alt .* did not start \(ack -3/,
    );
    const lines = mixed.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 1, "-q: the summary object alone");
    const { summary, stats } = JSON.parse(lines[0]);
    assert.deepEqual([summary.calls, summary.failed], [10, 5]);
    assert.equal(stats.localClientId, 1);
    assert.equal(stats.state, "connected");
    assert.equal(stats.eventQueue, null);
    assert.deepEqual(stats.flows, {
      started: 10,
      acknowledged: 5,
      answered: 5,
      failed: 0,
      failedByCode: {},
      notStarted: 5,
      notStartedByCode: { "-3": 5 },
      timedOut: 0,
      aborted: 0,
      inFlight: 0,
      errors: 0,
    });
    assert.deepEqual(stats.connection, {
      connects: 1,
      disconnects: 0,
      failures: 0,
      failuresByCode: {},
    });
    // Bus times are whole ms of the real clock: 2 ms of slack.
    const wallMs = summary.seconds * 1000 + 2;
    assertConsistent(stats.latency.flowAck.lifetime, 5, wallMs);
    assertConsistent(stats.latency.flowResult.lifetime, 5, wallMs);
    assertConsistent(stats.latency.flowResult.recent, 5, wallMs);
    assertConsistent(stats.latency.pingRtt.lifetime, 0, wallMs);
    assert.ok(
      stats.latency.flowResult.lifetime.p50 >=
        stats.latency.flowAck.lifetime.p50,
      "a result comes after its acknowledge",
    );
    assert.equal(typeof stats.at, "number");

    assert.equal(silent.code, 4, silent.stderr);
    const s = JSON.parse(silent.stdout).stats;
    assert.deepEqual(
      [
        s.flows.started,
        s.flows.acknowledged,
        s.flows.timedOut,
        s.flows.inFlight,
      ],
      [2, 0, 2, 0],
    );
    assertConsistent(s.latency.flowResult.lifetime, 0, 0);

    assert.equal(human.code, 5, human.stderr);
    const text = human.stderr.split("\n");
    assert.match(text[0], /^4 calls in .* 2 failed$/);
    assert.equal(
      text[1],
      "flows: 4 started, 2 acknowledged, 2 answered, 0 failed, 2 not started (-3 ×2), 0 timed out, 0 aborted, 0 in flight, 0 refused by the library",
    );
  });

  test("cli - notify prints an invoke id; watch prints connect events as JSON lines", async () => {
    const [notify, watch] = await Promise.all([
      cli(["notify", ...MOCK(), "t", "hello", "param"]),
      cli(["watch", ...MOCK(), "--json", "--count", "2"]),
    ]);
    assert.equal(notify.code, 0, notify.stderr);
    assert.match(notify.stdout, /^[1-9]\d*\n$/);
    assert.equal(watch.code, 0, watch.stderr);
    const events = watch.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.equal(events.length, 2);
    for (const e of events) assert.equal(e.event, "connect");
    assert.ok(
      events.some((e) =>
        e.unitId === 0 && e.clientId === 0 && e.clientType === 2 &&
        e.status === "present"
      ),
    );
  });
});

describe("cli - watch --stats on the mock backend", () => {
  test("cli - watch --stats --json prints the statistics every interval and once at exit", async () => {
    const r = await cli([
      "watch",
      ...MOCK(),
      "--json",
      "--stats-interval",
      "200ms",
      "--duration",
      "1100ms",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    const events = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
    const stats = events.filter((e) => e.event === "stats");
    assert.ok(stats.length >= 2, r.stdout);
    const last = events.at(-1);
    assert.equal(last.event, "stats");
    assert.equal(last.final, true, "the last line is the report at exit");
    assert.ok(stats.slice(0, -1).every((e) => e.final === false));
    stats.forEach((e, i) => {
      assert.ok(i === 0 || e.seconds > stats[i - 1].seconds, "in time order");
      assert.ok(i === stats.length - 1 || e.seconds >= 0.2 * (i + 1) - 0.01);
      const s = e.stats;
      assert.equal(s.state, "connected");
      assert.deepEqual(s.connection, {
        connects: 1,
        disconnects: 0,
        failures: 0,
        failuresByCode: {},
      });
      assert.deepEqual(s.data.received, { count: 0, bytes: 0 });
      assert.equal(s.flows.started, 0);
      assert.equal(s.latency.flowAck.lifetime.p99, null);
      assert.equal(s.eventQueue, null);
    });
    const connects = events.filter((e) => e.event === "connect");
    assert.ok(connects.length >= 1, "events still come between the reports");
  });

  test("cli - watch --stats prints readable stats lines at exit; a bad interval exits 2", async () => {
    const [r, tooShort] = await Promise.all([
      cli(["watch", ...MOCK(), "--stats", "--count", "1"]),
      cli(["watch", ...MOCK(), "--stats-interval", "10ms"]),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.match(lines[0], /^connect /);
    assert.match(lines[1], /^stats at exit after \d+\.\d s$/);
    assert.deepEqual(lines.slice(2).map((l) => l.split(":")[0]), [
      "stats flows",
      "stats latency flow ack",
      "stats latency flow result",
      "stats latency ping rtt",
      "stats data",
      "stats pings",
      "stats notifications",
      "stats link",
    ]);
    assert.equal(
      lines.at(-1),
      "stats link: connected, 1 connect, 0 disconnects, 0 failed attempts",
    );
    assertFailure(
      tooShort,
      2,
      /^--stats-interval must be from 100ms to 24h, got "10ms"/,
    );
  });
});

describe("cli - signals and timeouts on the mock backend", () => {
  test("cli - a ping nobody answers exits 4", async () => {
    const r = await cli([
      "ping",
      ...MOCK(),
      "--timeout",
      "300ms",
      "40",
      "0",
      "agent",
    ]);
    assertFailure(r, 4, /no answer from 40 0 agent within 300 ms/);
  });

  test("cli - Ctrl-C ends watch with exit 0 and a pending invoke with exit 1", async () => {
    const watch = new Cli(["watch", ...MOCK()]);
    const invoke = new Cli(["invoke", ...MOCK(), "-v", "t", "silent"]);
    try {
      await Promise.all([
        watch.waitFor("stdout", /connect present unit=0 client=0 type=ipsc/),
        invoke.waitFor("stderr", /flow call t\/silent/),
      ]);
      watch.signal("SIGINT");
      invoke.signal("SIGINT");
      const [w, i] = await Promise.all([
        watch.finish(10_000),
        invoke.finish(10_000),
      ]);
      assert.equal(w.code, 0, w.stderr);
      assert.equal(w.stderr, "");
      assert.equal(i.code, 1, i.stderr);
      assert.equal(i.stdout, "");
      assert.match(i.stderr, /\ninterrupted\n$/);
    } finally {
      watch.child.kill("SIGKILL");
      invoke.child.kill("SIGKILL");
    }
  });
});

/**
 * The vendor's own library, read from `../shared/reference/` (never
 * copied): the same CLI cases run on it when it is there.
 */
const VENDOR_LIB = process.env.SMARTBUS_VENDOR_LIB ??
  join(
    ROOT,
    "../shared/reference/smartbus-client-sdk/lib/linux-x64/libbusnetcli.so",
  );
const LIBRARIES: [string, string, boolean][] = [
  ["stand-in", LIB, !NATIVE],
  [
    "vendor",
    VENDOR_LIB,
    !NATIVE || !existsSync(VENDOR_LIB) || process.arch !== "x64",
  ],
];

for (const [libName, libPath, skip] of LIBRARIES) {
  describe(
    `cli - native backend (${libName}) against a served mock bus`,
    { skip },
    () => {
      let server: MockServer;
      let master = "";

      before(async () => {
        await buildNative();
        server = await startMockServer({
          nodes: [{ unitId: 0, port: 0 }],
          users: { alice: PASSWORD },
          flows: {
            "t/echo": (params: unknown[]) => params,
            "t/silent": (_p, ctx) => ctx.noAnswer(),
          },
        });
        master = `127.0.0.1:${server.addresses[0].port}`;
      });

      after(async () => {
        await server?.close();
      });

      const common = (): string[] => [
        "--lib",
        libPath,
        "--master",
        master,
        "--user",
        "alice",
      ];

      test("cli - invoke, ping and a flow timeout through the library; the password is never shown", async () => {
        const [ok, env, ping, late] = await Promise.all([
          cli([
            "invoke",
            ...common(),
            "--password",
            PASSWORD,
            "--unit",
            "20",
            "-v",
            "t",
            "echo",
            "x",
          ]),
          cli(["invoke", ...common(), "--unit", "21", "t", "echo", "y"], {
            SMARTBUS_PASSWORD: PASSWORD,
          }),
          cli([
            "ping",
            ...common(),
            "--password",
            PASSWORD,
            "--unit",
            "22",
            "0",
            "0",
            "ipsc",
          ]),
          cli([
            "invoke",
            ...common(),
            "--password",
            PASSWORD,
            "--unit",
            "23",
            "--timeout",
            "300ms",
            "t",
            "silent",
          ]),
        ]);
        assert.equal(ok.code, 0, ok.stderr);
        assert.equal(ok.stdout, '["x"]\n');
        assert.equal(env.code, 0, env.stderr);
        assert.equal(env.stdout, '["y"]\n');
        assert.equal(ping.code, 0, ping.stderr);
        assert.match(ping.stdout, /^\d+\.\d{3}\n$/);
        assertFailure(
          late,
          4,
          /flow t\/silent .* gave no result within 300 ms/,
        );
        for (const r of [ok, env, ping, late]) {
          assert.ok(
            !(r.stdout + r.stderr).includes(PASSWORD),
            "password leaked",
          );
        }
      });

      test("cli - wrong password and an unreachable bus exit 3", async () => {
        const port = await deadPort();
        const [wrong, dead] = await Promise.all([
          cli([
            "invoke",
            ...common(),
            "--password",
            "not-it",
            "--unit",
            "24",
            "t",
            "echo",
          ]),
          cli([
            "invoke",
            "--lib",
            libPath,
            "--master",
            `127.0.0.1:${port}`,
            "--connect-timeout",
            "500ms",
            "--unit",
            "25",
            "t",
            "echo",
          ]),
        ]);
        assertFailure(
          wrong,
          3,
          /authentication refused.*PWD.*check --user and --password/,
        );
        assertFailure(
          dead,
          3,
          new RegExp(
            `cannot connect to 127\\.0\\.0\\.1:${port} .*not connected within 500 ms`,
          ),
        );
      });

      test("cli - watch shows data another CLI sends, counts it in its statistics, and stops on SIGTERM with exit 0", async () => {
        const watch = new Cli(
          [
            "watch",
            ...common(),
            "--unit",
            "26",
            "--json",
            "--stats-interval",
            "1h",
          ],
          {
            SMARTBUS_PASSWORD: PASSWORD,
          },
        );
        try {
          await watch.waitFor("stdout", /"clientType":2/);
          const send = await cli(
            ["send", ...common(), "--unit", "27", "26", "1", "agent"],
            { SMARTBUS_PASSWORD: PASSWORD },
            "hello from stdin",
          );
          assert.equal(send.code, 0, send.stderr);
          await watch.waitFor("stdout", /"event":"data"/);
          watch.signal("SIGTERM");
          const r = await watch.finish(10_000);
          assert.equal(r.code, 0, r.stderr);
          const data = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l))
            .find((e) => e.event === "data");
          assert.deepEqual(data.from, {
            unitId: 27,
            clientId: 1,
            clientType: 4,
          });
          assert.equal(data.text, "hello from stdin");
          const last = JSON.parse(r.stdout.trimEnd().split("\n").at(-1)!);
          assert.equal(last.event, "stats");
          assert.equal(last.final, true);
          assert.deepEqual(last.stats.data.received, {
            count: 1,
            bytes: "hello from stdin".length + 1,
          });
          assert.deepEqual(last.stats.eventQueue, { dropped: 0 });
          assert.equal(last.stats.connection.connects, 1);
        } finally {
          watch.child.kill("SIGKILL");
        }
      });
    },
  );
}

describe("cli - smartbus mock", () => {
  test("cli - mock serves flows from a file, logs calls, and stops on SIGTERM with exit 0", async () => {
    if (NATIVE) await buildNative();
    const mock = new Cli([
      "mock",
      "--node",
      "0=127.0.0.1:0",
      "--flows",
      answersJson,
    ]);
    try {
      const [, port] = await mock.waitFor(
        "stdout",
        /listening node=0 127\.0\.0\.1:(\d+)\n/,
      );
      const peer = connect(Number(port), "127.0.0.1");
      const peerClosed = new Promise<void>((resolve) =>
        peer.once("close", () => resolve())
      );
      peer.on("error", () => {});
      await new Promise<void>((resolve, reject) => {
        peer.once("connect", resolve);
        peer.once("error", reject);
      });
      if (NATIVE) {
        const r = await cli([
          "invoke",
          "--lib",
          LIB,
          "--master",
          `127.0.0.1:${port}`,
          "ivr",
          "one",
        ]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, '["x"]\n');
        await mock.waitFor("stderr", /flow call ivr\/one from 30 1 4/);
        await mock.waitFor("stderr", /30 1 4 left/);
      }
      mock.signal("SIGTERM");
      const r = await mock.finish(10_000);
      assert.equal(r.code, 0, r.stderr);
      await peerClosed;
    } finally {
      mock.child.kill("SIGKILL");
    }
  });
});

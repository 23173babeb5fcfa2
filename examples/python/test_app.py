"""Testing an app written in another language against `smartbus mock --control`.

Standard library only. The "app under test" is the `smartbus` command line
(`invoke`, `send`) linking the SmartBus library; any program linking
libbusnetcli is tested the same way:

1. start `smartbus mock --control 127.0.0.1:0` (port 0: free ports; it prints
   `listening node=0 HOST:PORT` and `control URL`);
2. register flow stubs over HTTP (POST /api/v1/stubs);
3. run the app;
4. verify in the journal what it sent and called (GET /api/v1/journal/...),
   waiting with /wait instead of sleeping.

Run from the repository root:  python3 examples/python/test_app.py
Environment: SMARTBUS_CLI (default "deno run -A src/cli/main.ts") and
SMARTBUS_NETCLI_LIB (default build/libbusnetcli.so, the native stand-in).
"""

import json
import os
import shlex
import subprocess
import unittest
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLI = shlex.split(os.environ.get("SMARTBUS_CLI", "deno run -A src/cli/main.ts"))
LIB = os.environ.get("SMARTBUS_NETCLI_LIB", os.path.join(ROOT, "build", "libbusnetcli.so"))
PASSWORD = "app-secret-7"


class MockBus:
    """A `smartbus mock --control` process and a tiny client of its API."""

    def __init__(self):
        self.proc = subprocess.Popen(
            CLI + ["mock", "--node", "0=127.0.0.1:0", "--control", "127.0.0.1:0",
                   "--user", "app:" + PASSWORD],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.node = self.url = None
        for line in self.proc.stdout:  # ends if the process dies
            words = line.split()
            if words[:1] == ["listening"]:
                self.node = words[2]
            elif words[:1] == ["control"]:
                self.url = words[1]
                break
        if not (self.node and self.url):
            self.close()
            raise RuntimeError("smartbus mock did not start")

    def api(self, method, path, body=None, query=None):
        url = self.url + "/api/v1" + path
        if query:
            url += "?" + urllib.parse.urlencode(
                {k: v if isinstance(v, str) else json.dumps(v) for k, v in query.items()})
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=40) as res:
                text = res.read().decode()
        except urllib.error.HTTPError as e:
            raise AssertionError("%s %s: %s" % (method, path, e.read().decode())) from None
        return json.loads(text) if text else None

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()


def app(*args):
    """Run the app under test (the smartbus CLI) against the mock's node."""
    env = dict(os.environ, SMARTBUS_PASSWORD=PASSWORD, SMARTBUS_NETCLI_LIB=LIB)
    return subprocess.run(
        CLI + [args[0], "--master", BUS.node, "--user", "app", "--timeout", "5s",
               "--connect-timeout", "5s"] + list(args[1:]),
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


BUS = None


def setUpModule():
    global BUS
    BUS = MockBus()


def tearDownModule():
    BUS.close()


class AppTest(unittest.TestCase):
    def setUp(self):
        BUS.api("POST", "/reset")  # no stubs, empty journal, no faults

    def test_invoke_gets_the_stubbed_answer_and_calls_once(self):
        BUS.api("POST", "/stubs", {
            "project": "ivr", "flow": "callout",
            "match": {"params": [10086]},  # the CLI reads 10086 as JSON
            "reply": {"result": ["connected", 42]},
        })
        run = app("invoke", "ivr", "callout", "10086")
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(json.loads(run.stdout), ["connected", 42])
        count = BUS.api("GET", "/journal/flow-calls/count",
                        query={"project": "ivr", "flow": "callout", "params": [10086]})
        self.assertEqual(count["count"], 1)
        call = BUS.api("GET", "/journal/flow-calls", query={"flow": "callout"})["records"][0]
        self.assertEqual(call["state"], "responded")
        self.assertEqual(call["from"]["unitId"], 30)

    def test_a_refused_flow_makes_the_app_fail_with_its_exit_code(self):
        BUS.api("POST", "/stubs", {
            "project": "ivr", "flow": "callout",
            "replies": [{"notStarted": -1, "message": "line busy"}, {"result": ["ok"]}],
        })
        first = app("invoke", "ivr", "callout", "1")
        self.assertEqual(first.returncode, 5, first.stderr)  # flow not started
        second = app("invoke", "ivr", "callout", "1")
        self.assertEqual(json.loads(second.stdout), ["ok"])
        states = [c["state"] for c in
                  BUS.api("GET", "/journal/flow-calls", query={"flow": "callout"})["records"]]
        self.assertEqual(states, ["errored", "responded"])

    def test_send_is_in_the_journal_and_the_password_is_not(self):
        run = app("send", "--unit", "31", "20", "5", "agent", "hello from python")
        self.assertEqual(run.returncode, 0, run.stderr)
        sent = BUS.api("GET", "/journal/messages/wait",
                       query={"fromUnit": 31, "text": "hello from python", "timeoutMs": 5000})
        self.assertEqual(sent["records"][0]["dst"]["unitId"], 20)
        presence = BUS.api("GET", "/journal/presence/wait",
                           query={"unit": 31, "event": "disconnect", "timeoutMs": 5000})
        self.assertEqual(presence["count"], 1)
        everything = json.dumps([BUS.api("GET", "/journal/presence"), BUS.api("GET", "/state")])
        self.assertNotIn(PASSWORD, everything)

    def test_a_silent_ipsc_makes_the_app_time_out(self):
        BUS.api("POST", "/faults/ipsc", {"mode": "silent"})
        run = app("invoke", "--timeout", "300ms", "ivr", "anything")
        self.assertEqual(run.returncode, 4, run.stderr)  # timeout
        calls = BUS.api("GET", "/journal/flow-calls/wait",
                        query={"flow": "anything", "timeoutMs": 5000})
        self.assertEqual(calls["records"][0]["ack"], 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)

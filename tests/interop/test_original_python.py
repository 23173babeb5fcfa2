"""The original Python package, unmodified, against `smartbus mock --control`.

`../shared/reference/smartbus-client-python/` (smartbus.netclient 1.7, as
published) drives the vendor's libbusnetcli.so, and our stand-in, over TCP to
the served mock bus: a stub posted over HTTP answers the flow the app starts,
and the journal shows the app, its call and its data. Each app is its own
Python process, as a user's would be, because the vendor's library keeps its
unit until the process ends (its Release is unsafe once a client exists).

Run from the repository root:  python3 tests/interop/test_original_python.py
Environment: SMARTBUS_CLI (default "deno run -A src/cli/main.ts"),
SMARTBUS_VENDOR_LIB (default ../shared/reference/.../libbusnetcli.so; its
cases are skipped, with one line, when it is absent).
"""

import json
import os
import platform
import subprocess
import sys
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "examples", "python"))
# The example's served bus (an account "app" is required) and API client.
from test_app import PASSWORD, MockBus  # noqa: E402
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "reference")
ORIGINAL = os.path.join(SHARED, "smartbus-client-python")
LIBRARIES = {
    "stand-in": os.path.join(ROOT, "build", "libbusnetcli.so"),
    "vendor": os.environ.get("SMARTBUS_VENDOR_LIB", os.path.join(
        SHARED, "smartbus-client-sdk", "lib", "linux-x64", "libbusnetcli.so")),
}

# The app under test: the original package's Client, its on* events, one
# flow call and one message, then a result line. It ends with os._exit: the
# original's finalize() calls Release, which crashes the vendor's library
# once a client exists (the same with or without our package).
APP = r"""
import json, os, sys, threading
sys.path.insert(0, sys.argv[1])
from smartbus.netclient import Client

lib, host, port, password = sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
out = {"fails": []}
connected, answered = threading.Event(), threading.Event()

class App(Client):
    def onConnectSuccess(self, unitId):
        out["connected"] = unitId
        connected.set()
    def onConnectFail(self, unitId, errno):
        out["fails"].append(errno)
    def onInvokeFlowAcknowledge(self, packInfo, project, invokeId, ack, msg):
        out["ack"] = ack
    def onInvokeFlowRespond(self, packInfo, project, invokeId, result):
        out["result"] = result
        answered.set()
    def onInvokeFlowTimeout(self, packInfo, project, invokeId):
        out["timeout"] = invokeId
        answered.set()
    def onInvokeFlowError(self, packInfo, project, invokeId, errno):
        out["error"] = errno
        answered.set()

Client.initialize(30, libraryfile=lib, logging_option=(False, 0, 0))
app = App(1, 4, host, port, authorUsr="app", authorPwd=password,
          extInfo="python original")
app.connect()
if connected.wait(10):
    # Sent first: one link keeps the order, so once the flow has answered,
    # the message is out too (both libraries send from their own thread).
    app.send(1, 3, 20, 5, 4, "hello from the original")
    out["invokeId"] = app.invokeFlow(0, 0, "ivr", "callout", [10086], True, 5)
    answered.wait(10)
print("RESULT " + json.dumps(out), flush=True)
os._exit(0)
"""


BUS = None


def setUpModule():
    global BUS
    BUS = MockBus()


def tearDownModule():
    BUS.close()


class OriginalPackageTest(unittest.TestCase):
    def run_app(self, library):
        host, port = BUS.node.rsplit(":", 1)
        run = subprocess.run(
            [sys.executable, "-c", APP, ORIGINAL, library, host, port, PASSWORD],
            capture_output=True, text=True, timeout=60)
        lines = [l for l in run.stdout.splitlines() if l.startswith("RESULT ")]
        self.assertEqual(run.returncode, 0, run.stderr[-2000:])
        self.assertEqual(len(lines), 1, run.stdout[-2000:] + run.stderr[-2000:])
        return json.loads(lines[0][len("RESULT "):])

    def check_library(self, name):
        library = LIBRARIES[name]
        if name == "vendor" and not (
                os.path.exists(library) and sys.platform == "linux"
                and platform.machine() == "x86_64"):
            self.skipTest("the vendor's library is not at %s" % library)
        BUS.api("POST", "/reset")
        BUS.api("POST", "/stubs", {
            "project": "ivr", "flow": "callout",
            "match": {"params": [10086]},
            "reply": {"result": ["connected", 42]},
        })
        out = self.run_app(library)
        self.assertEqual(out.get("connected"), 0, out)
        self.assertEqual(out["fails"], [])
        self.assertEqual(out.get("ack"), 1, out)
        self.assertEqual(out.get("result"), ["connected", 42], out)
        # The journal shows the app: its login, its call and its message.
        joined = BUS.api("GET", "/journal/presence/wait",
                         query={"unit": 30, "event": "connect", "timeoutMs": 5000})
        self.assertEqual(joined["records"][0]["addInfo"], "python original")
        call = BUS.api("GET", "/journal/flow-calls/wait",
                       query={"flow": "callout", "timeoutMs": 5000})["records"][0]
        self.assertEqual((call["state"], call["from"]["unitId"], call["invokeId"]),
                         ("responded", 30, out["invokeId"]))
        sent = BUS.api("GET", "/journal/messages/wait",
                       query={"fromUnit": 30, "text": "hello from the original",
                              "timeoutMs": 5000})
        self.assertEqual(sent["records"][0]["dst"]["unitId"], 20)

    def test_on_the_stand_in(self):
        self.check_library("stand-in")

    def test_on_the_vendors_library(self):
        self.check_library("vendor")


if __name__ == "__main__":
    unittest.main(verbosity=2)

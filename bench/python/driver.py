"""The Python driver against the stand-in library and the benchmark's TCP
mock bus, on one of two clients with the same API:

- `netclient.py` (default): the original package's calls rebuilt on ctypes
  with declared `argtypes` and without its per-call `create_string_buffer`,
  `c_byte` objects and `byref` (about 1.4x faster than the original on send);
  flow parameters are sent as JSON, which the original did not do;
- `--original DIR`: the original package itself, unmodified (`DIR` holds its
  `smartbus/`), which sends flow parameters as Python's `str(list)`: the flow
  benchmark's parameters are numbers, so that `str()` gives valid JSON.

Same modes and options as the C and JS drivers:

    python3 bench/python/driver.py send --port P --count N --batch B
    python3 bench/python/driver.py recv --port P --count N --warm W --peer-unit F --burst B --resume-file F
    python3 bench/python/driver.py flow --port P --inflight 1,64,1024 --flows 500,5000,20000

Prints READY (recv) and one line `RESULT {json}` on stdout. Events run on the
library's thread, as they did in the original package.
"""

import argparse
import gc
import json
import os
import sys
import threading
import time

Client = None  # the chosen package's Client and SmartBusError, see use_package()
SmartBusError = None

TEXT = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/"
IPSC = (0, 0, 2)
USER = 3
# A ping's answer: cmd 8 with cmdtype 1 (SYSTEM), as the vendor's library sends it.
PING_ANSWER = (8, 1)
BUFF_FULL = -7
CREDIT_EVERY = 1024
# Numbers: the original sends str(params), which is JSON only for such values.
FLOW_PARAMS = [1, 2]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def use_package(original):
    """Import the rebuilt client, or the original package from `original`."""
    global Client, SmartBusError
    if original:
        sys.path.insert(0, original)
        from smartbus.netclient.client import Client as C
        from smartbus.errors import SmartBusError as E
    else:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from netclient import Client as C, SmartBusError as E
    Client, SmartBusError = C, E
    return C


def bench_client_class(base):
    """The benchmark's client: events of either package, as its users handled them."""

    class BenchClient(base):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            self.connected = threading.Event()
            self.pong = threading.Event()
            self.on_text = None
            self.on_result = None

        def onConnectSuccess(self, unitId):
            self.connected.set()

        def onReceiveText(self, packInfo, txt):
            if (packInfo.cmd, packInfo.cmdType) == PING_ANSWER:
                self.pong.set()
            elif self.on_text is not None:
                self.on_text(packInfo, txt)

        def onInvokeFlowRespond(self, packInfo, project, invokeId, result):
            self.on_result(invokeId, True)

        def onInvokeFlowTimeout(self, packInfo, project, invokeId):
            self.on_result(invokeId, False)

        def onInvokeFlowError(self, packInfo, project, invokeId, errno):
            self.on_result(invokeId, False)

    return BenchClient


def connect(o):
    if o.original:
        # The original: (unitid, onglobalconnect, libraryfile); it logs the
        # library's trace lines through `logging`, as its users had it.
        Client.initialize(o.unit, None, o.lib)
    else:
        Client.initialize(o.unit, o.lib)
    c = bench_client_class(Client)(1, 4, o.host, o.port)  # AGENT: the library refuses types 0 and 1
    c.connect()
    if not c.connected.wait(10):
        raise SystemExit("python driver: not connected within 10 s")
    return c


def barrier(c):
    """Ping the IPSC: the bus answers after it took every frame sent before."""
    c.pong.clear()
    c.ping(*IPSC, "b")
    if not c.pong.wait(30):
        raise SystemExit("python driver: barrier ping unanswered")


def send_batch(c, n, full):
    t0 = time.perf_counter()
    i = 0
    while i < n:
        try:
            c.send(1, USER, 0, 0, 2, TEXT)
            i += 1
        except SmartBusError as e:
            if e.code != BUFF_FULL:
                raise
            full[0] += 1
    return time.perf_counter() - t0


def run_send(o):
    c = connect(o)
    full = [0]
    send_batch(c, o.batch, full)
    barrier(c)
    busy = 0.0
    done = 0
    while done < o.count:
        n = min(o.batch, o.count - done)
        busy += send_batch(c, n, full)
        done += n
        barrier(c)
    return {"calls_per_s": done / busy, "count": done, "batch": o.batch, "buff_full": full[0]}


def run_recv(o):
    """Streaming phase (messages 1..count, with credits), then a burst held
    back until the resume file exists and timed from there."""
    c = connect(o)
    st = {"n": 0, "t0": 0.0, "t1": 0.0, "cpu0": 0.0, "cpu1": 0.0, "rss0": 0, "rss1": 0,
          "b0": 0.0, "b1": 0.0, "bcpu0": 0.0, "bcpu1": 0.0}
    finished = threading.Event()

    def on_text(info, txt):
        if info.cmdType != USER:
            return
        st["n"] += 1
        n = st["n"]
        if n == o.warm:
            gc.collect()
            st["rss0"] = rss_bytes()
            st["t0"] = time.perf_counter()
            st["cpu0"] = time.process_time()
        if n <= o.count and n % CREDIT_EVERY == 0:
            c.send(2, USER, o.peer_unit, 1, 4, "c")
        if n == o.count:
            st["t1"] = time.perf_counter()
            st["cpu1"] = time.process_time()
            gc.collect()
            st["rss1"] = rss_bytes()
            if o.burst == 0:
                finished.set()
        if o.burst > 0 and n == o.count + 1:
            while not os.path.exists(o.resume_file):
                time.sleep(0.001)
            st["b0"] = time.perf_counter()
            st["bcpu0"] = time.process_time()
        if o.burst > 0 and n == o.count + o.burst:
            st["b1"] = time.perf_counter()
            st["bcpu1"] = time.process_time()
            finished.set()

    c.on_text = on_text
    print("READY", flush=True)
    if not finished.wait(600):
        raise SystemExit("python driver: only %d received" % st["n"])
    return {
        "msgs_per_s": (o.count - o.warm) / (st["t1"] - st["t0"]),
        "count": o.count, "warm": o.warm, "cpu_s": st["cpu1"] - st["cpu0"],
        "rss_before": st["rss0"], "rss_after": st["rss1"],
        "burst": o.burst,
        "burst_msgs_per_s": (o.burst - 1) / (st["b1"] - st["b0"]) if o.burst > 1 else 0,
        "burst_cpu_s": st["bcpu1"] - st["bcpu0"],
    }


# The flow call's timeout, in seconds as the original package takes it.
FLOW_TIMEOUT_S = [5]


def flow_round(c, k, total, lat):
    lock = threading.Lock()
    starts = {}
    st = {"issued": 0, "finished": 0, "errors": 0}
    finished = threading.Event()

    def issue():  # with lock held
        t0 = time.perf_counter()
        invoke_id = c.invokeFlow(0, 0, "bench", "echo", FLOW_PARAMS, True,
                                 FLOW_TIMEOUT_S[0])
        starts[invoke_id] = t0
        st["issued"] += 1

    def on_result(invoke_id, ok):
        t = time.perf_counter()
        with lock:
            lat.append(t - starts.pop(invoke_id))
            if not ok:
                st["errors"] += 1
            st["finished"] += 1
            if st["issued"] < total:
                issue()
            if st["finished"] == total:
                finished.set()

    c.on_result = on_result
    t0 = time.perf_counter()
    with lock:
        for _ in range(min(k, total)):
            issue()
    if not finished.wait(600):
        raise SystemExit("python driver: flow round stuck at %d" % st["finished"])
    return time.perf_counter() - t0, st["errors"]


def run_flow(o):
    c = connect(o)
    ks = [int(x) for x in o.inflight.split(",")]
    ns = [int(x) for x in o.flows.split(",")]
    out = []
    for k, n in zip(ks, ns):
        flow_round(c, k, max(o.warm, k), [])
        lat = []
        cpu0 = time.process_time()
        dt, errors = flow_round(c, k, n, lat)
        cpu = time.process_time() - cpu0
        lat.sort()
        out.append({
            "inflight": k, "count": n, "per_s": n / dt,
            "p50_ms": lat[n // 2] * 1e3, "p99_ms": lat[min(n - 1, int(n * 0.99))] * 1e3,
            "cpu_s": cpu, "errors": errors,
        })
    return {"flows": out}


def main(argv):
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["send", "recv", "flow"])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--unit", type=int, default=17)
    p.add_argument("--count", type=int, default=100000)
    p.add_argument("--batch", type=int, default=10000)
    p.add_argument("--warm", type=int, default=10000)
    p.add_argument("--peer-unit", type=int, default=40)
    p.add_argument("--burst", type=int, default=0)
    p.add_argument("--resume-file", default="")
    p.add_argument("--inflight", default="1,64,1024")
    p.add_argument("--flows", default="500,5000,20000")
    p.add_argument("--flow-timeout", type=int, default=5000,
                   help="a flow call's timeout, ms: one with no answer counts as an error")
    p.add_argument("--lib", default=os.environ.get(
        "SMARTBUS_NETCLI_LIB", os.path.join(ROOT, "build", "libbusnetcli.so")))
    p.add_argument("--original", default="",
                   help="folder holding the original package's smartbus/ (default: the rebuilt netclient.py)")
    o = p.parse_args(argv)
    FLOW_TIMEOUT_S[0] = max(1, o.flow_timeout // 1000)
    use_package(o.original)
    result = {"send": run_send, "recv": run_recv, "flow": run_flow}[o.mode](o)
    print("RESULT " + json.dumps(result), flush=True)
    # No finalize(): on the vendor's library Release crashes once a client
    # exists (SIGSEGV about 2 s later, or at exit; docs/abi.md), which the
    # original package's users meet too. The result is out; end at once.
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])

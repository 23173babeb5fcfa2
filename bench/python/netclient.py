"""The original package's way, rebuilt for the benchmark: Python 3 `ctypes`
driving libbusnetcli the way `smartbus.netclient` did (see the seed and
`behaviour.md`): `CFUNCTYPE` callbacks raised on the library's thread, a
`Client` class with overridable `on*` events, a `PackInfo` read from the
packet head, text sent with a trailing NUL, received text stripped of NULs
and decoded (GBK with a UTF-8 fallback for IPSC peers, else the client's
encoding), flow results parsed as JSON (GBK). One deliberate difference:
flow parameters are sent as JSON (`json.dumps`), where the original sent
Python's `str(list)` (JSON only for numbers and the like; `['a']` is not).

Honest, not crippled: `argtypes`/`restype` are declared once (no per-call
type guessing), callbacks are created once and kept alive, clients are found
in a dict. Only what the benchmarks use is here (no notify, no trace).
"""

import ctypes
import json
from ctypes import (
    CFUNCTYPE, POINTER, Structure, c_byte, c_char_p, c_int, c_ubyte,
    c_ushort, c_void_p,
)

IPSC = 2


class PacketHead(Structure):
    _pack_ = 1
    _fields_ = [
        ("head_flag", c_ushort),
        ("cmd", c_ubyte),
        ("cmdtype", c_ubyte),
        ("src_unit_client_type", c_byte),
        ("src_unit_id", c_byte),
        ("src_unit_client_id", c_byte),
        ("dest_unit_client_type", c_byte),
        ("dest_unit_id", c_byte),
        ("dest_unit_client_id", c_byte),
        ("reserved", c_byte * 2),
        ("packet_size", c_int),  # int in the vendor binary: a 20-byte head
        ("datalen", c_int),
    ]


class PackInfo:
    """smartbus.PackInfo: the head's fields, copied out of the C struct."""

    __slots__ = ("cmd", "cmdType", "srcUnitId", "srcUnitClientId",
                 "srcUnitClientType", "dstUnitId", "dstUnitClientId",
                 "dstUnitClientType", "packetSize", "dataLen")

    def __init__(self, head):
        h = head.contents
        self.cmd = h.cmd
        self.cmdType = h.cmdtype
        self.srcUnitId = h.src_unit_id
        self.srcUnitClientId = h.src_unit_client_id
        self.srcUnitClientType = h.src_unit_client_type
        self.dstUnitId = h.dest_unit_id
        self.dstUnitClientId = h.dest_unit_client_id
        self.dstUnitClientType = h.dest_unit_client_type
        self.packetSize = h.packet_size
        self.dataLen = h.datalen


CONNECTION_CB = CFUNCTYPE(None, c_void_p, c_ubyte, c_int, c_int)
RECVDATA_CB = CFUNCTYPE(None, c_void_p, c_ubyte, POINTER(PacketHead), c_void_p, c_int)
DISCONNECT_CB = CFUNCTYPE(None, c_void_p, c_ubyte)
FLOW_CB = CFUNCTYPE(None, c_void_p, c_ubyte, POINTER(PacketHead), c_char_p, c_int, c_int, c_char_p)
GLOBAL_CONNECT_CB = CFUNCTYPE(None, c_void_p, c_byte, c_byte, c_byte, c_byte, c_byte, c_char_p)


class SmartBusError(Exception):
    def __init__(self, what, code):
        super().__init__("%s failed with %d" % (what, code))
        self.code = code


def _decode_ipsc(raw):
    try:
        return raw.decode("gbk")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace")


class Client:
    """smartbus.netclient.Client, the parts the benchmarks drive."""

    _lib = None
    _clients = {}
    _callbacks = None
    _unitid = None

    @classmethod
    def initialize(cls, unitid, libraryfile):
        if cls._lib is not None:
            raise SmartBusError("initialize (already initialized)", -24)
        lib = ctypes.CDLL(libraryfile)
        lib.SmartBusNetCli_Init.argtypes = [c_ubyte]
        lib.SmartBusNetCli_Init.restype = c_int
        lib.SmartBusNetCli_Release.argtypes = []
        lib.SmartBusNetCli_Release.restype = None
        lib.SmartBusNetCli_SetCallBackFn.argtypes = [
            CONNECTION_CB, RECVDATA_CB, DISCONNECT_CB, FLOW_CB, GLOBAL_CONNECT_CB, c_void_p]
        lib.SmartBusNetCli_SetCallBackFn.restype = None
        lib.SmartBusNetCli_SetCallBackFnEx.argtypes = [c_char_p, c_void_p]
        lib.SmartBusNetCli_SetCallBackFnEx.restype = None
        lib.SmartBusNetCli_CreateConnect.argtypes = [
            c_ubyte, c_int, c_char_p, c_ushort, c_char_p, c_ushort, c_char_p, c_char_p, c_char_p]
        lib.SmartBusNetCli_CreateConnect.restype = c_int
        lib.SmartBusNetCli_SendData.argtypes = [
            c_ubyte, c_ubyte, c_ubyte, c_int, c_int, c_int, c_void_p, c_int]
        lib.SmartBusNetCli_SendData.restype = c_int
        lib.SmartBusNetCli_SendPing.argtypes = [c_ubyte, c_int, c_int, c_int, c_void_p, c_int]
        lib.SmartBusNetCli_SendPing.restype = c_int
        lib.SmartBusNetCli_RemoteInvokeFlow.argtypes = [
            c_ubyte, c_int, c_int, c_char_p, c_char_p, c_int, c_int, c_char_p]
        lib.SmartBusNetCli_RemoteInvokeFlow.restype = c_int
        rc = lib.SmartBusNetCli_Init(unitid)
        if rc < 0:
            raise SmartBusError("SmartBusNetCli_Init", rc)
        cbs = (
            CONNECTION_CB(cls._on_connection),
            RECVDATA_CB(cls._on_recvdata),
            DISCONNECT_CB(cls._on_disconnect),
            FLOW_CB(cls._on_flow_ret),
            GLOBAL_CONNECT_CB(lambda *a: None),
            FLOW_CB(cls._on_flow_ack),
        )
        cls._callbacks = cbs  # keep them alive as long as the library may call them
        lib.SmartBusNetCli_SetCallBackFn(cbs[0], cbs[1], cbs[2], cbs[3], cbs[4], None)
        lib.SmartBusNetCli_SetCallBackFnEx(b"smartbus_invokeflow_ack_cb",
                                           ctypes.cast(cbs[5], c_void_p))
        cls._lib = lib
        cls._unitid = unitid

    @classmethod
    def finalize(cls):
        if cls._lib is not None:
            cls._clients.clear()
            cls._lib.SmartBusNetCli_Release()
            cls._lib = None

    def __init__(self, localClientId, localClientType, masterHost, masterPort,
                 slaverHost=None, slaverPort=0xFFFF, authorUsr=None,
                 authorPwd=None, extInfo=None, encoding="utf-8"):
        if localClientId in Client._clients:
            raise SmartBusError("Client (already exists)", -22)
        self.localClientId = localClientId
        self.localClientType = localClientType
        self.masterHost = masterHost
        self.masterPort = masterPort
        self.slaverHost = slaverHost
        self.slaverPort = slaverPort
        self.authorUsr = authorUsr
        self.authorPwd = authorPwd
        self.extInfo = extInfo
        self.encoding = encoding
        self.unitid = None
        Client._clients[localClientId] = self

    def connect(self):
        enc = lambda s: None if s is None else s.encode(self.encoding)
        rc = Client._lib.SmartBusNetCli_CreateConnect(
            self.localClientId, self.localClientType, self.masterHost.encode(),
            self.masterPort, enc(self.slaverHost), self.slaverPort,
            enc(self.authorUsr), enc(self.authorPwd),
            (self.extInfo or "").encode("gbk"))
        if rc < 0:
            raise SmartBusError("SmartBusNetCli_CreateConnect", rc)

    def _bytes(self, data, encoding):
        if isinstance(data, str):
            return data.encode(encoding or self.encoding) + b"\0"
        return bytes(data)

    def send(self, cmd, cmdType, dstUnitId, dstClientId, dstClientType, data, encoding=None):
        buf = self._bytes(data, encoding)
        rc = Client._lib.SmartBusNetCli_SendData(
            self.localClientId, cmd, cmdType, dstUnitId, dstClientId, dstClientType, buf, len(buf))
        if rc < 0:
            raise SmartBusError("SmartBusNetCli_SendData", rc)

    def ping(self, dstUnitId, dstClientId, dstClientType, data, encoding=None):
        buf = self._bytes(data, encoding)
        rc = Client._lib.SmartBusNetCli_SendPing(
            self.localClientId, dstUnitId, dstClientId, dstClientType, buf, len(buf))
        if rc < 0:
            raise SmartBusError("SmartBusNetCli_SendPing", rc)

    def invokeFlow(self, server, process, project, flow, parameters=None,
                   isNeedReturn=True, timeout=30):
        if parameters is None:
            parameters = []
        elif not isinstance(parameters, (list, tuple)):
            parameters = [parameters]
        txt = json.dumps(list(parameters)).encode("gbk")
        rc = Client._lib.SmartBusNetCli_RemoteInvokeFlow(
            self.localClientId, server, process, project.encode("gbk"),
            flow.encode("gbk"), 0 if isNeedReturn else 1, int(timeout * 1000), txt)
        if rc <= 0:
            raise SmartBusError("SmartBusNetCli_RemoteInvokeFlow", rc or -99)
        return rc

    # The seed's events, to override.
    def onConnectSuccess(self, unitId): pass
    def onConnectFail(self, unitId, errno): pass
    def onDisconnect(self): pass
    def onReceiveText(self, packInfo, txt): pass
    def onInvokeFlowAcknowledge(self, packInfo, project, invokeId, ack, msg): pass
    def onInvokeFlowRespond(self, packInfo, project, invokeId, result): pass
    def onInvokeFlowTimeout(self, packInfo, project, invokeId): pass
    def onInvokeFlowError(self, packInfo, project, invokeId, errno): pass

    # ctypes trampolines, on the library's thread.
    @staticmethod
    def _on_connection(arg, local_clientid, accesspoint_unitid, ack):
        inst = Client._clients.get(local_clientid)
        if inst is None:
            return
        if ack == 0:
            inst.unitid = accesspoint_unitid
            inst.onConnectSuccess(accesspoint_unitid)
        else:
            inst.onConnectFail(accesspoint_unitid, ack)

    @staticmethod
    def _on_disconnect(arg, local_clientid):
        inst = Client._clients.get(local_clientid)
        if inst is not None:
            inst.onDisconnect()

    @staticmethod
    def _on_recvdata(arg, local_clientid, head, data, size):
        inst = Client._clients.get(local_clientid)
        if inst is None:
            return
        info = PackInfo(head)
        raw = ctypes.string_at(data, size).strip(b"\0")
        if info.srcUnitClientType == IPSC:
            txt = _decode_ipsc(raw)
        else:
            txt = raw.decode(inst.encoding)
        inst.onReceiveText(info, txt)

    @staticmethod
    def _on_flow_ack(arg, local_clientid, head, projectid, invoke_id, ack, msg):
        inst = Client._clients.get(local_clientid)
        if inst is None:
            return
        info = PackInfo(head) if head else None
        inst.onInvokeFlowAcknowledge(info, _decode_ipsc(projectid or b""), invoke_id, ack,
                                     _decode_ipsc((msg or b"").strip(b"\0")))

    @staticmethod
    def _on_flow_ret(arg, local_clientid, head, projectid, invoke_id, ret, param):
        inst = Client._clients.get(local_clientid)
        if inst is None:
            return
        info = PackInfo(head) if head else None
        project = _decode_ipsc(projectid or b"")
        if ret == 1:
            txt = _decode_ipsc(param or b"")
            inst.onInvokeFlowRespond(info, project, invoke_id, json.loads(txt) if txt else None)
        elif ret == -25:
            inst.onInvokeFlowTimeout(info, project, invoke_id)
        else:
            inst.onInvokeFlowError(info, project, invoke_id, ret)

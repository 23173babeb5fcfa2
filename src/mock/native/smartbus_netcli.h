/*
 * smartbus_netcli.h: the SmartBus network-client C ABI (libbusnetcli), as
 * implemented by the project's stand-in library. Same names, types, packing
 * and return codes as the vendor's (see docs/abi.md of the project).
 */
#ifndef SMARTBUS_NETCLI_H
#define SMARTBUS_NETCLI_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define SMARTBUS_API __declspec(dllexport)
#define SMARTBUS_CALLBACK __stdcall
#else
#define SMARTBUS_API __attribute__((visibility("default")))
#define SMARTBUS_CALLBACK
#endif

#define SMARTBUS_PACKET_HEAD_FLAG 0x5b15
#define MIN_SMARTBUS_NETCLI_UNITID 16
#define SMARTBUS_NETCLI_UNITID_NUM 32
#define MAX_SMARTBUS_NODE_UNITID 15
#define SMARTBUS_MAX_IP_ADDR_LEN 64
/* Largest SendData/SendPing payload of the stand-in. */
#define SMARTBUS_MAX_DATA_SIZE 65536
/* Largest RemoteInvokeFlow in_valuelist, in bytes (without the NUL), as the vendor. */
#define SMARTBUS_MAX_FLOW_PARAMS 16001

#define SMARTBUS_CLIENT_TYPE_NULL 0
#define SMARTBUS_CLIENT_TYPE_NODE 1
#define SMARTBUS_CLIENT_TYPE_IPSC 2
#define SMARTBUS_CLIENT_TYPE_MONITOR 3
#define SMARTBUS_CLIENT_TYPE_AGENT 4
#define SMARTBUS_CLIENT_TYPE_DB 5

#define SMARTBUS_CMDTYPE_INTERNAL 0
#define SMARTBUS_CMDTYPE_SYSTEM 1
#define SMARTBUS_CMDTYPE_FILE 2
#define SMARTBUS_CMDTYPE_USER 3
#define SMARTBUS_CMDTYPE_GUARD_CMD 4
#define SMARTBUS_CMDTYPE_GUARD_FILE 5
#define SMARTBUS_CMDTYPE_PING_ACK 8

#define SMARTBUS_ERR_OK 0
#define SMARTBUS_ERR_ARGUMENT -1
#define SMARTBUS_ERR_CONN_NOT_ESTAB -2
#define SMARTBUS_ERR_CONNECT_BREAK -3
#define SMARTBUS_ERR_AUTHOR -4
#define SMARTBUS_ERR_USER -5
#define SMARTBUS_ERR_PWD -6
#define SMARTBUS_ERR_BUFF_FULL -7
#define SMARTBUS_ERR_NODE_NOTEXIST -8
#define SMARTBUS_ERR_CLI_NOTEXIST -9
#define SMARTBUS_ERR_CONNECTED -10
#define SMARTBUS_ERR_SEND_OWN -11
#define SMARTBUS_ERR_UNITID_INVALID -12
#define SMARTBUS_ERR_CLIENTID_INVALID -13
#define SMARTBUS_ERR_NON_INIT -14
#define SMARTBUS_ERR_MAX_DATASIZE -15
#define SMARTBUS_ERR_CMDTYPE_INVALID -16
#define SMARTBUS_ERR_CLIENTTYPE_INVALID -17
#define SMARTBUS_ERR_SEND_DATA -18
#define SMARTBUS_ERR_MEM_ALLOC -19
#define SMARTBUS_ERR_ESTABLI_CONNECT -20
#define SMARTBUS_ERR_CLI_TOOMANY -21
#define SMARTBUS_ERR_CLI_EXIST -22
#define SMARTBUS_ERR_DEST_NONEXIST -23
#define SMARTBUS_ERR_REGISTERED_REPEAT -24
#define SMARTBUS_ERR_TIMEOUT -25
#define SMARTBUS_ERR_OTHER -99

#pragma pack(push, 1)
typedef struct {
  unsigned short head_flag;
  unsigned char cmd;
  unsigned char cmdtype;
  char src_unit_client_type;
  char src_unit_id;
  char src_unit_client_id;
  char dest_unit_client_type;
  char dest_unit_id;
  char dest_unit_client_id;
  char reserved[2];
  /* int, not the SDK header's long: the vendor's binary was built with int
     (its DWARF), so its head is 20 bytes on every platform. */
  int packet_size;
  int datalen;
} SMARTBUS_PACKET_HEAD;
#pragma pack(pop)

typedef void(SMARTBUS_CALLBACK *smartbus_cli_connection_cb)(void *arg, unsigned char local_clientid,
                                                            int accesspoint_unitid, int ack);
typedef void(SMARTBUS_CALLBACK *smartbus_cli_recvdata_cb)(void *arg, unsigned char local_clientid,
                                                          SMARTBUS_PACKET_HEAD *head, void *data, int size);
typedef void(SMARTBUS_CALLBACK *smartbus_cli_disconnect_cb)(void *arg, unsigned char local_clientid);
typedef void(SMARTBUS_CALLBACK *smartbus_cli_invokeflow_ret_cb)(void *arg, unsigned char local_clientid,
                                                                SMARTBUS_PACKET_HEAD *head, const char *projectid,
                                                                int invoke_id, int ret, const char *param);
typedef void(SMARTBUS_CALLBACK *smartbus_cli_invokeflow_ack_cb)(void *arg, unsigned char local_clientid,
                                                                SMARTBUS_PACKET_HEAD *head, const char *projectid,
                                                                int invoke_id, int ack, const char *msg);
typedef void(SMARTBUS_CALLBACK *smartbus_cli_global_connect_cb)(void *arg, char unitid, char clientid,
                                                                char clienttype, char accesspoint_unitid,
                                                                char status, const char *add_info);
typedef void(SMARTBUS_CALLBACK *smartbus_cli_trace_str_cb)(const char *msg);
typedef void(SMARTBUS_CALLBACK *smartbus_cli_trace_cb)(const char *fmt, ...);

/* The SetCallBackFnEx name of the flow-acknowledge callback. */
#define SMARTBUS_INVOKEFLOW_ACK_CB_NAME "smartbus_invokeflow_ack_cb"

SMARTBUS_API int SmartBusNetCli_Init(unsigned char unitid);
SMARTBUS_API void SmartBusNetCli_Release(void);
SMARTBUS_API void SmartBusNetCli_SetCallBackFn(smartbus_cli_connection_cb connection_cb,
                                               smartbus_cli_recvdata_cb recvdata_cb,
                                               smartbus_cli_disconnect_cb disconnect_cb,
                                               smartbus_cli_invokeflow_ret_cb invokeflow_ret_cb,
                                               smartbus_cli_global_connect_cb global_connect_cb, void *arg);
SMARTBUS_API void SmartBusNetCli_SetCallBackFnArg(void *arg);
SMARTBUS_API void SmartBusNetCli_SetCallBackFnEx(const char *callback_name, void *fn);
SMARTBUS_API void SmartBusNetCli_SetTraceStr(smartbus_cli_trace_str_cb info, smartbus_cli_trace_str_cb error);
SMARTBUS_API void SmartBusNetCli_SetTrace(smartbus_cli_trace_cb info, smartbus_cli_trace_cb error);
SMARTBUS_API int SmartBusNetCli_CreateConnect(unsigned char local_clientid, int local_clienttype,
                                              const char *masterip, unsigned short masterport,
                                              const char *slaverip, unsigned short slaverport, const char *user,
                                              const char *pwd, const char *add_info);
SMARTBUS_API int SmartBusNetCli_SendData(unsigned char local_clientid, unsigned char cmd, unsigned char cmdtype,
                                         int dst_unitid, int dst_clientid, int dst_clienttype, const void *data,
                                         int size);
SMARTBUS_API int SmartBusNetCli_SendPing(unsigned char local_clientid, int dst_unitid, int dst_clientid,
                                         int dst_clienttype, const void *data, int size);
SMARTBUS_API int SmartBusNetCli_RemoteInvokeFlow(unsigned char local_clientid, int server_unitid, int ipscindex,
                                                 const char *projectid, const char *flowid, int mode,
                                                 int timeout_ms, const char *in_valuelist);
SMARTBUS_API int SmartBusNetCli_SendNotify(unsigned char local_clientid, int server_unitid, int processindex,
                                           const char *projectid, const char *title, int mode, int expires_ms,
                                           const char *param);

#ifdef __cplusplus
}
#endif
#endif

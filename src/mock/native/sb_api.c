/* The exported functions of the stand-in libbusnetcli (see docs/abi.md). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "standin.h"

pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
sb_lib *g_lib = NULL;
sb_callbacks g_cb;

static int env_int(const char *name, int dflt, int min) {
  const char *s = getenv(name);
  if (!s || !*s) return dflt;
  char *end;
  long v = strtol(s, &end, 10);
  return (*end || v < min || v > 3600000) ? dflt : (int)v;
}

SMARTBUS_API int SmartBusNetCli_Init(unsigned char unitid) {
  if (unitid < MIN_SMARTBUS_NETCLI_UNITID || unitid >= MIN_SMARTBUS_NETCLI_UNITID + SMARTBUS_NETCLI_UNITID_NUM)
    return SMARTBUS_ERR_UNITID_INVALID;
  pthread_mutex_lock(&g_mu);
  if (g_lib) {
    pthread_mutex_unlock(&g_mu);
    return SMARTBUS_ERR_REGISTERED_REPEAT;
  }
  sb_lib *lib = calloc(1, sizeof *lib);
  if (!lib || pipe2(lib->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
    free(lib);
    pthread_mutex_unlock(&g_mu);
    return SMARTBUS_ERR_MEM_ALLOC;
  }
  lib->unit_id = unitid;
  lib->next_invoke = 1;
  lib->reconnect_ms = env_int("SMARTBUS_STANDIN_RECONNECT_MS", 1000, 1);
  if (pthread_create(&lib->thread, NULL, sb_net_main, lib) != 0) {
    close(lib->wake[0]);
    close(lib->wake[1]);
    free(lib);
    pthread_mutex_unlock(&g_mu);
    return SMARTBUS_ERR_OTHER;
  }
  g_lib = lib;
  sb_trace(lib, 0, "stand-in libbusnetcli initialised, unit id %u", unitid);
  pthread_mutex_unlock(&g_mu);
  return SMARTBUS_ERR_OK;
}


SMARTBUS_API void SmartBusNetCli_Release(void) {
  pthread_mutex_lock(&g_mu);
  sb_lib *lib = g_lib;
  if (!lib) {
    pthread_mutex_unlock(&g_mu);
    return;
  }
  g_lib = NULL;
  lib->stopping = 1;
  sb_wake(lib);
  /* A callback in flight may be waiting for this very thread (Deno's
     blocking thread-safe callbacks) or be the caller: never join then; the
     network thread frees everything itself once the callback returns. */
  int detach = lib->in_dispatch || pthread_equal(pthread_self(), lib->thread);
  if (detach) {
    lib->thread_owns = 1;
    pthread_detach(lib->thread);
  }
  pthread_mutex_unlock(&g_mu);
  if (!detach) {
    pthread_join(lib->thread, NULL);
    sb_lib_free(lib);
  }
}

SMARTBUS_API void SmartBusNetCli_SetCallBackFn(smartbus_cli_connection_cb connection_cb,
                                               smartbus_cli_recvdata_cb recvdata_cb,
                                               smartbus_cli_disconnect_cb disconnect_cb,
                                               smartbus_cli_invokeflow_ret_cb invokeflow_ret_cb,
                                               smartbus_cli_global_connect_cb global_connect_cb, void *arg) {
  pthread_mutex_lock(&g_mu);
  g_cb.connection = connection_cb;
  g_cb.recvdata = recvdata_cb;
  g_cb.disconnect = disconnect_cb;
  g_cb.ret = invokeflow_ret_cb;
  g_cb.global = global_connect_cb;
  g_cb.arg = arg;
  pthread_mutex_unlock(&g_mu);
}

SMARTBUS_API void SmartBusNetCli_SetCallBackFnArg(void *arg) {
  pthread_mutex_lock(&g_mu);
  g_cb.arg = arg;
  pthread_mutex_unlock(&g_mu);
}

SMARTBUS_API void SmartBusNetCli_SetCallBackFnEx(const char *callback_name, void *fn) {
  pthread_mutex_lock(&g_mu);
  if (callback_name && strcmp(callback_name, SMARTBUS_INVOKEFLOW_ACK_CB_NAME) == 0) {
    /* memcpy: ISO C has no cast from a data pointer to a function pointer. */
    memcpy(&g_cb.ack, &fn, sizeof g_cb.ack);
  } else {
    sb_trace(g_lib, 1, "SetCallBackFnEx: unknown callback name \"%s\"", callback_name ? callback_name : "(null)");
  }
  pthread_mutex_unlock(&g_mu);
}

SMARTBUS_API void SmartBusNetCli_SetTraceStr(smartbus_cli_trace_str_cb info, smartbus_cli_trace_str_cb error) {
  pthread_mutex_lock(&g_mu);
  g_cb.trace_info = info;
  g_cb.trace_error = error;
  pthread_mutex_unlock(&g_mu);
}

SMARTBUS_API void SmartBusNetCli_SetTrace(smartbus_cli_trace_cb info, smartbus_cli_trace_cb error) {
  pthread_mutex_lock(&g_mu);
  g_cb.vtrace_info = info;
  g_cb.vtrace_error = error;
  pthread_mutex_unlock(&g_mu);
}

/* The first checks of every call, in the vendor's order: initialised, then
   a known local client (when `need_client`). */
static int precheck(unsigned char id, int need_client) {
  pthread_mutex_lock(&g_mu);
  int rc = !g_lib ? SMARTBUS_ERR_NON_INIT
           : (need_client && !g_lib->clients[id]) ? SMARTBUS_ERR_CLIENTID_INVALID
                                                   : 0;
  pthread_mutex_unlock(&g_mu);
  return rc;
}

/* As the vendor's build, which parses it with inet_addr: an IPv4 address, no host name. */
static int valid_host(const char *s) {
  struct in_addr a;
  return s && *s && strlen(s) <= SMARTBUS_MAX_IP_ADDR_LEN && inet_pton(AF_INET, s, &a) == 1;
}

static char *dup_opt(const char *s) { return s ? sb_strdup_n(s, strlen(s)) : NULL; }

SMARTBUS_API int SmartBusNetCli_CreateConnect(unsigned char local_clientid, int local_clienttype,
                                              const char *masterip, unsigned short masterport,
                                              const char *slaverip, unsigned short slaverport, const char *user,
                                              const char *pwd, const char *add_info) {
  int pre = precheck(local_clientid, 0);
  if (pre) return pre;
  /* As the vendor's build: 0 (NULL) and 1 (NODE) are refused, any type from 2 up is taken. */
  if (local_clienttype < SMARTBUS_CLIENT_TYPE_IPSC || local_clienttype > 255)
    return SMARTBUS_ERR_CLIENTTYPE_INVALID;
  if (!valid_host(masterip) || masterport == 0) return SMARTBUS_ERR_ARGUMENT;
  int has_slave = slaverip && *slaverip && slaverport != 0xFFFF && slaverport != 0;
  if (has_slave && !valid_host(slaverip)) return SMARTBUS_ERR_ARGUMENT;
  if ((user && strlen(user) > SB_MAX_STR) || (pwd && strlen(pwd) > SB_MAX_STR) ||
      (add_info && strlen(add_info) > SB_MAX_STR))
    return SMARTBUS_ERR_ARGUMENT;
  pthread_mutex_lock(&g_mu);
  sb_lib *lib = g_lib;
  int rc = SMARTBUS_ERR_OK;
  sb_client *c = NULL;
  if (!lib) {
    rc = SMARTBUS_ERR_NON_INIT;
    goto out;
  }
  if (lib->clients[local_clientid]) {
    rc = SMARTBUS_ERR_CLI_EXIST;
    goto out;
  }
  c = calloc(1, sizeof *c);
  if (!c) {
    rc = SMARTBUS_ERR_MEM_ALLOC;
    goto out;
  }
  c->id = local_clientid;
  c->type = local_clienttype;
  c->fd = -1;
  c->nhosts = has_slave ? 2 : 1;
  strcpy(c->host[0], masterip);
  c->port[0] = masterport;
  if (has_slave) {
    strcpy(c->host[1], slaverip);
    c->port[1] = slaverport;
  }
  c->user = dup_opt(user);
  c->pwd = dup_opt(pwd);
  c->add_info = dup_opt(add_info ? add_info : "");
  if ((user && !c->user) || (pwd && !c->pwd) || !c->add_info) {
    sb_client_free(c);
    rc = SMARTBUS_ERR_MEM_ALLOC;
    goto out;
  }
  c->state = CS_WAIT;
  c->next_attempt_ms = 0;
  lib->clients[local_clientid] = c;
  sb_wake(lib); /* connect now, not at the thread's next timer */
  sb_trace(lib, 0, "client %u: created (type %d, master %s:%u%s)", local_clientid, local_clienttype, masterip,
           masterport, has_slave ? ", with slave" : "");
out:
  pthread_mutex_unlock(&g_mu);
  return rc;
}

/* Looks up a ready client; returns an error code when there is none. */
static int ready_client(unsigned char id, sb_client **out) {
  if (!g_lib) return SMARTBUS_ERR_NON_INIT;
  sb_client *c = g_lib->clients[id];
  if (!c) return SMARTBUS_ERR_CLIENTID_INVALID;
  if (c->state != CS_READY) return SMARTBUS_ERR_CONN_NOT_ESTAB;
  *out = c;
  return 0;
}

static void own_head(sb_addr_head *h, const sb_client *c, int unit, int dunit, int dclient, int dtype) {
  memset(h, 0, sizeof *h);
  h->src_type = (signed char)c->type;
  h->src_unit = (signed char)unit;
  h->src_client = (signed char)c->id;
  h->dst_type = (signed char)dtype;
  h->dst_unit = (signed char)dunit;
  h->dst_client = (signed char)dclient;
}

static int send_bytes(unsigned char id, int kind, unsigned char cmd, unsigned char cmdtype, int dunit, int dclient,
                      int dtype, const void *data, int size) {
  int pre = precheck(id, 1);
  if (pre) return pre;
  if (size < 0 || (size > 0 && !data)) return SMARTBUS_ERR_ARGUMENT;
  if (size > SMARTBUS_MAX_DATA_SIZE) return SMARTBUS_ERR_MAX_DATASIZE;
  pthread_mutex_lock(&g_mu);
  sb_client *c = NULL;
  int rc = ready_client(id, &c);
  if (rc == 0) {
    sb_addr_head h;
    own_head(&h, c, g_lib->unit_id, dunit, dclient, dtype);
    h.cmd = cmd;
    h.cmdtype = cmdtype;
    sb_buf p = {(unsigned char *)(uintptr_t)data, (size_t)size, (size_t)size}; /* read-only view */
    rc = sb_client_send(g_lib, c, kind, &h, &p);
  }
  pthread_mutex_unlock(&g_mu);
  return rc;
}

SMARTBUS_API int SmartBusNetCli_SendData(unsigned char local_clientid, unsigned char cmd, unsigned char cmdtype,
                                         int dst_unitid, int dst_clientid, int dst_clienttype, const void *data,
                                         int size) {
  return send_bytes(local_clientid, K_DATA, cmd, cmdtype, dst_unitid, dst_clientid, dst_clienttype, data, size);
}

SMARTBUS_API int SmartBusNetCli_SendPing(unsigned char local_clientid, int dst_unitid, int dst_clientid,
                                         int dst_clienttype, const void *data, int size) {
  return send_bytes(local_clientid, K_PING, 0, 0, dst_unitid, dst_clientid, dst_clienttype, data, size);
}

/* Builds and queues a FLOW_INVOKE or NOTIFY; returns the invoke id or an error. */
static int send_invocation(unsigned char id, int kind, int server, int index, const char *project, const char *name,
                           int mode, int ms, const char *param) {
  int pre = precheck(id, 1);
  if (pre) return pre;
  if (!project || !name) return SMARTBUS_ERR_ARGUMENT;
  if (!param) param = "";
  if (kind == K_FLOW_INVOKE && mode != 0 && mode != 1) return SMARTBUS_ERR_ARGUMENT;
  size_t lp = strlen(project), ln = strlen(name), la = strlen(param);
  if (lp > SB_MAX_STR || ln > SB_MAX_STR) return SMARTBUS_ERR_ARGUMENT;
  if ((kind == K_FLOW_INVOKE && la > SMARTBUS_MAX_FLOW_PARAMS) || la > SB_MAX_STR ||
      20 + 6 + lp + ln + la > SB_FRAME_LIMIT)
    return SMARTBUS_ERR_MAX_DATASIZE;
  pthread_mutex_lock(&g_mu);
  sb_client *c = NULL;
  int rc = ready_client(id, &c);
  if (rc) goto out;
  sb_lib *lib = g_lib;
  int invoke_id = lib->next_invoke;
  lib->next_invoke = invoke_id == 0x7fffffff ? 1 : invoke_id + 1;
  sb_buf p = {0};
  int bad = sb_buf_i32(&p, invoke_id) || sb_buf_i32(&p, server) || sb_buf_i32(&p, index) || sb_buf_i32(&p, mode) ||
            sb_buf_i32(&p, ms) || sb_buf_str(&p, project, 0) || sb_buf_str(&p, name, 0) || sb_buf_str(&p, param, 0);
  sb_pending *pend = NULL;
  if (!bad && kind == K_FLOW_INVOKE && mode == 0) {
    pend = calloc(1, sizeof *pend);
    if (pend) pend->project = sb_strdup_n(project, lp);
    bad = !pend || !pend->project;
  }
  if (bad) {
    rc = SMARTBUS_ERR_MEM_ALLOC;
  } else {
    sb_addr_head h;
    own_head(&h, c, lib->unit_id, server, index, SMARTBUS_CLIENT_TYPE_IPSC);
    rc = sb_client_send(lib, c, kind, &h, &p);
  }
  sb_buf_free(&p);
  if (rc == 0 && pend) {
    pend->client = id;
    pend->invoke_id = invoke_id;
    pend->deadline_ms = sb_now_ms() + (ms > 0 ? ms : SB_DEFAULT_FLOW_TIMEOUT_MS);
    pend->next = lib->pending;
    lib->pending = pend;
    sb_wake(lib); /* the thread must take the new deadline into account */
  } else if (pend) {
    free(pend->project);
    free(pend);
  }
  if (rc == 0) rc = invoke_id;
out:
  pthread_mutex_unlock(&g_mu);
  return rc;
}

SMARTBUS_API int SmartBusNetCli_RemoteInvokeFlow(unsigned char local_clientid, int server_unitid, int ipscindex,
                                                 const char *projectid, const char *flowid, int mode,
                                                 int timeout_ms, const char *in_valuelist) {
  return send_invocation(local_clientid, K_FLOW_INVOKE, server_unitid, ipscindex, projectid, flowid, mode, timeout_ms,
                         in_valuelist);
}

SMARTBUS_API int SmartBusNetCli_SendNotify(unsigned char local_clientid, int server_unitid, int processindex,
                                           const char *projectid, const char *title, int mode, int expires_ms,
                                           const char *param) {
  return send_invocation(local_clientid, K_NOTIFY, server_unitid, processindex, projectid, title, mode, expires_ms,
                         param);
}

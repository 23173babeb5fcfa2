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
  lib->next_notify = 1;
  lib->reconnect_ms = env_int("SMARTBUS_STANDIN_RECONNECT_MS", SB_DEFAULT_RECONNECT_MS, 1);
  lib->link_timeout_ms = env_int("SMARTBUS_STANDIN_LINK_TIMEOUT_MS", SB_DEFAULT_LINK_TIMEOUT_MS, 1);
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
           : (need_client && !g_lib->clients[id]) ? SMARTBUS_ERR_CLI_NOTEXIST
                                                   : 0;
  pthread_mutex_unlock(&g_mu);
  return rc;
}

/* As the vendor's build, which parses it with inet_addr: an IPv4 address, no host name. */
static int valid_host(const char *s) {
  struct in_addr a;
  return s && *s && strlen(s) <= SMARTBUS_MAX_IP_ADDR_LEN && inet_pton(AF_INET, s, &a) == 1;
}

SMARTBUS_API int SmartBusNetCli_CreateConnect(unsigned char local_clientid, int local_clienttype,
                                              const char *masterip, unsigned short masterport,
                                              const char *slaverip, unsigned short slaverport, const char *user,
                                              const char *pwd, const char *add_info) {
  int pre = precheck(local_clientid, 0);
  if (pre) return pre;
  /* As the vendor's build: 0 (NULL) and 1 (NODE) are refused, any type from 2 up is taken. */
  if (local_clienttype < SMARTBUS_CLIENT_TYPE_IPSC || local_clienttype > 255)
    return SMARTBUS_ERR_CLIENTTYPE_INVALID;
  if (!valid_host(masterip) || masterport == 0 || masterport == 0xFFFF) return SMARTBUS_ERR_ARGUMENT;
  int has_slave = slaverip && *slaverip && slaverport != 0xFFFF && slaverport != 0;
  if (has_slave && !valid_host(slaverip)) return SMARTBUS_ERR_ARGUMENT;
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
  c->nhosts = has_slave ? 2 : 1;
  strcpy(c->host[0], masterip);
  c->port[0] = masterport;
  if (has_slave) {
    strcpy(c->host[1], slaverip);
    c->port[1] = slaverport;
  }
  /* As the vendor's strnzcpy: cut to the wire fields, NULL is "". */
  sb_put_str((unsigned char *)c->user, sizeof c->user, user);
  sb_put_str((unsigned char *)c->pwd, sizeof c->pwd, pwd);
  sb_put_str((unsigned char *)c->add_info, sizeof c->add_info, add_info);
  c->active = -1;
  c->access_unit = -1;
  /* Both links start at once, as in the vendor's build. */
  for (int k = 0; k < 2; k++) {
    c->link[k].fd = -1;
    c->link[k].state = k < c->nhosts ? CS_WAIT : CS_REFUSED;
  }
  lib->clients[local_clientid] = c;
  sb_wake(lib); /* connect now, not at the thread's next timer */
  sb_trace(lib, 0, "client %u: created (type %d, master %s:%u%s)", local_clientid, local_clienttype, masterip,
           masterport, has_slave ? ", with slave" : "");
out:
  pthread_mutex_unlock(&g_mu);
  return rc;
}

/* Looks up a client with a registered link; returns an error code when there is none. */
static int ready_client(unsigned char id, sb_client **out) {
  if (!g_lib) return SMARTBUS_ERR_NON_INIT;
  sb_client *c = g_lib->clients[id];
  if (!c) return SMARTBUS_ERR_CLI_NOTEXIST;
  if (c->active < 0 || c->link[c->active].state != CS_READY) return SMARTBUS_ERR_CONN_NOT_ESTAB;
  *out = c;
  return 0;
}

/* Queues a frame on the client's active link (the vendor's net_senddata); g_mu held. */
static int send_frame_locked(unsigned char id, unsigned char cmd, unsigned char cmdtype, int dunit, int dclient,
                             int dtype, const void *body, size_t len) {
  sb_client *c = NULL;
  int rc = ready_client(id, &c);
  if (rc) return rc;
  sb_addr_head h;
  sb_own_head(&h, g_lib, c, cmd, cmdtype, dunit, dclient, dtype);
  return sb_link_send(g_lib, c, c->active, &h, body, len);
}

static int send_frame(unsigned char id, unsigned char cmd, unsigned char cmdtype, int dunit, int dclient, int dtype,
                      const void *body, size_t len) {
  pthread_mutex_lock(&g_mu);
  int rc = send_frame_locked(id, cmd, cmdtype, dunit, dclient, dtype, body, len);
  pthread_mutex_unlock(&g_mu);
  return rc;
}

/* SendData and SendPing, with the vendor's checks in its order (checked
   against its build): initialised, `dst_unitid` > 47, `cmdtype` 0, the own
   unit, the local client, logged in, and only then the size. */
static int send_bytes(unsigned char id, unsigned char cmd, unsigned char cmdtype, int dunit, int dclient, int dtype,
                      const void *data, int size) {
  pthread_mutex_lock(&g_mu);
  int init = g_lib != NULL, own_unit = g_lib ? g_lib->unit_id : -1;
  pthread_mutex_unlock(&g_mu);
  if (!init) return SMARTBUS_ERR_NON_INIT;
  if (dunit > MIN_SMARTBUS_NETCLI_UNITID + SMARTBUS_NETCLI_UNITID_NUM - 1) return SMARTBUS_ERR_UNITID_INVALID;
  if (cmdtype == 0) return SMARTBUS_ERR_CMDTYPE_INVALID;
  /* As the vendor's: nothing is sent to the process's own unit, not even to
     another local client (-11). */
  if (dunit == own_unit) return SMARTBUS_ERR_SEND_OWN;
  pthread_mutex_lock(&g_mu);
  sb_client *c = NULL;
  int rc = ready_client(id, &c);
  if (!rc && (size < 0 || (size > 0 && !data))) rc = SMARTBUS_ERR_ARGUMENT; /* the vendor: 0, or a crash */
  if (!rc && size > SMARTBUS_MAX_DATA_SIZE) rc = SMARTBUS_ERR_MAX_DATASIZE;
  if (!rc) rc = send_frame_locked(id, cmd, cmdtype, dunit, dclient, dtype, data, (size_t)size);
  pthread_mutex_unlock(&g_mu);
  return rc;
}

SMARTBUS_API int SmartBusNetCli_SendData(unsigned char local_clientid, unsigned char cmd, unsigned char cmdtype,
                                         int dst_unitid, int dst_clientid, int dst_clienttype, const void *data,
                                         int size) {
  return send_bytes(local_clientid, cmd, cmdtype, dst_unitid, dst_clientid, dst_clienttype, data, size);
}

SMARTBUS_API int SmartBusNetCli_SendPing(unsigned char local_clientid, int dst_unitid, int dst_clientid,
                                         int dst_clienttype, const void *data, int size) {
  return send_bytes(local_clientid, CMD_PING, SMARTBUS_CMDTYPE_SYSTEM, dst_unitid, dst_clientid, dst_clienttype, data,
                    size);
}

static sb_pending *new_wait(unsigned char id, int is_ack, int invoke_id, const char *project, int64_t deadline) {
  sb_pending *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->project = sb_get_str((const unsigned char *)project, 31); /* as stored: cut like the wire field */
  if (!p->project) {
    free(p);
    return NULL;
  }
  p->client = id;
  p->is_ack = is_ack;
  p->invoke_id = invoke_id;
  p->deadline_ms = deadline;
  return p;
}

/* Registers the waits the vendor keeps for a call: the result (modes 0 and
   2, when a ret callback is set; timeout <= 0 ends it at once) and the ack
   (any mode, when an ack callback is set; clamped to 1..5 s). */
static int add_waits(sb_lib *lib, unsigned char id, int invoke_id, const char *project, int mode, int ms) {
  int64_t now = sb_now_ms();
  sb_pending *w[2] = {NULL, NULL};
  int n = 0;
  if ((mode == 0 || mode == 2) && g_cb.ret) {
    if (!(w[n++] = new_wait(id, 0, invoke_id, project, now + (ms > 0 ? ms : 0)))) goto fail;
  }
  if (g_cb.ack) {
    int ack_ms = ms < 1000 ? 1000 : ms > 5000 ? 5000 : ms;
    if (!(w[n++] = new_wait(id, 1, invoke_id, project, now + ack_ms))) goto fail;
  }
  sb_pending **tail = &lib->pending; /* in call order: timeouts are raised so */
  while (*tail) tail = &(*tail)->next;
  for (int i = 0; i < n; i++) {
    *tail = w[i];
    tail = &w[i]->next;
  }
  if (n) sb_wake(lib); /* the thread must take the new deadlines into account */
  return 0;
fail:
  for (int i = 0; i < n; i++) {
    if (w[i]) free(w[i]->project);
    free(w[i]);
  }
  return SMARTBUS_ERR_MEM_ALLOC;
}

/* Takes the next id of the flow (`notify` 0) or notification (1) counter:
   1, 2, ... wrapping to 1; -14 when not initialised. `lib` gets the library
   it came from. */
static int take_id(int notify, sb_lib **lib) {
  pthread_mutex_lock(&g_mu);
  int id = SMARTBUS_ERR_NON_INIT;
  if (g_lib) {
    int *next = notify ? &g_lib->next_notify : &g_lib->next_invoke;
    id = *next;
    *next = id == 0x7fffffff ? 1 : id + 1;
  }
  if (lib) *lib = g_lib;
  pthread_mutex_unlock(&g_mu);
  return id;
}

/* The vendor's order: unit, text size, then the id is taken (even when the
   send then fails), then the send's own checks. */
SMARTBUS_API int SmartBusNetCli_RemoteInvokeFlow(unsigned char local_clientid, int server_unitid, int ipscindex,
                                                 const char *projectid, const char *flowid, int mode,
                                                 int timeout_ms, const char *in_valuelist) {
  if (server_unitid > MAX_SMARTBUS_NODE_UNITID) return SMARTBUS_ERR_UNITID_INVALID;
  if (!projectid || !flowid || !in_valuelist) return SMARTBUS_ERR_ARGUMENT; /* the vendor crashes */
  size_t la = strlen(in_valuelist);
  if (la > SB_MAX_FLOW_TEXT) return SMARTBUS_ERR_MAX_DATASIZE;
  sb_lib *lib;
  int invoke_id = take_id(0, &lib);
  if (invoke_id < 0) return invoke_id;
  size_t len = SB_CALL_FLOW_BODY + la; /* text at 112, its NUL, one more zero */
  unsigned char *b = calloc(1, len);
  if (!b) return SMARTBUS_ERR_MEM_ALLOC;
  b[0] = CMD_CALL_FLOW;
  sb_put_str(b + 1, 32, projectid);
  sb_put_str(b + 33, 32, flowid);
  b[65] = (unsigned char)mode;
  sb_put_i32(b + 66, -1); /* event_ch */
  sb_put_i32(b + 70, invoke_id);
  sb_put_i32(b + 74, (int32_t)la);
  memcpy(b + 112, in_valuelist, la);
  /* One locked section: the answer cannot be read before its wait exists. */
  pthread_mutex_lock(&g_mu);
  int rc = g_lib != lib ? SMARTBUS_ERR_NON_INIT
                        : send_frame_locked(local_clientid, CMD_CALL_FLOW, SMARTBUS_CMDTYPE_SYSTEM, server_unitid,
                                            ipscindex, SMARTBUS_CLIENT_TYPE_IPSC, b, len);
  if (rc == 0) {
    rc = add_waits(lib, local_clientid, invoke_id, projectid, mode, timeout_ms);
    sb_trace(lib, 0, "client %u: call flow %s/%s, invoke id %d, mode %d, timeout %d", local_clientid, projectid,
             flowid, invoke_id, mode, timeout_ms);
  }
  pthread_mutex_unlock(&g_mu);
  free(b);
  return rc ? rc : invoke_id;
}

SMARTBUS_API int SmartBusNetCli_SendNotify(unsigned char local_clientid, int server_unitid, int processindex,
                                           const char *projectid, const char *title, int mode, int expires_ms,
                                           const char *param) {
  if (server_unitid > MAX_SMARTBUS_NODE_UNITID) return SMARTBUS_ERR_UNITID_INVALID;
  if (!title || !*title || !param || !*param) return SMARTBUS_ERR_ARGUMENT;
  size_t la = strlen(param);
  if (la > SB_MAX_NOTIFY_TEXT) return SMARTBUS_ERR_MAX_DATASIZE;
  int notify_id = take_id(1, NULL); /* a counter of its own, as in the vendor */
  if (notify_id < 0) return notify_id;
  size_t len = SB_NOTIFY_BODY + la; /* text at 148, its NUL, one more zero */
  unsigned char *b = calloc(1, len);
  if (!b) return SMARTBUS_ERR_MEM_ALLOC;
  b[0] = CMD_NOTIFY;
  sb_put_str(b + 1, 32, projectid);
  b[33] = (unsigned char)mode;
  sb_put_i32(b + 34, notify_id);
  sb_put_i32(b + 38, expires_ms);
  sb_put_str(b + 42, 102, title);
  sb_put_i32(b + 144, (int32_t)la);
  memcpy(b + 148, param, la);
  int rc = send_frame(local_clientid, CMD_NOTIFY, SMARTBUS_CMDTYPE_SYSTEM, server_unitid, processindex,
                      SMARTBUS_CLIENT_TYPE_IPSC, b, len);
  free(b);
  return rc ? rc : notify_id;
}

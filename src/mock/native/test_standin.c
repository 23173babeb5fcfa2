/*
 * End-to-end test of the stand-in libbusnetcli against a mock bus on TCP.
 * Run by tests/mock_standin_from_c.test.ts, which serves the bus and an IPSC:
 *
 *   test_standin <host> <port> <node_unit> <ipsc_unit> <ipsc_index> <dead_port> [mode]
 *
 * The IPSC has project "proj" with flow "echo" (returns its parameters) and
 * flow "never" (never answers). The bus also has a peer unit, PEER_UNIT
 * (client PEER_CLIENT, an agent, in the JS process), that sends every data
 * packet it gets back to its sender: as the vendor's library, this one sends
 * nothing to its own unit (-11), not even to another local client, so data
 * goes out to the peer and comes back. Modes:
 *   main (default)  every call, return code and callback against the bus;
 *   reconnect       prints "CONNECTED" once logged in, and the JS side stops
 *                   the node; expects disconnect_cb and prints "DISCONNECTED",
 *                   and the JS side restarts the node; expects a new
 *                   connection_cb(ack 0);
 *   auth            the node wants credentials: expects one failed attempt
 *                   with -4 and no retry (as the vendor's build: only -10 is
 *                   retried), then Release;
 *   faults          against a raw peer (not the mock bus) that answers
 *                   REGISTER (1/0) with a REGISTER_ACK (2/0, ack_result 0)
 *                   from unit 5, then says nothing more (1st connection),
 *                   sends 20 bytes of 0xab (2nd), or answers heartbeats
 *                   (5/0) with 6/0 (3rd): expects connected, disconnect,
 *                   connected, disconnect, connected.
 *                   It sets SMARTBUS_STANDIN_LINK_TIMEOUT_MS to 1000 (unless
 *                   set): the vendor's 14 s silence rule would be too slow.
 *
 * The library heartbeats every 1000 ms, as the vendor's: the bus must not
 * drop a client that is silent for less than that (3 x heartbeatMs > 1 s).
 * Exits 0 when every check passed; otherwise prints the failed check and
 * exits 1.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "smartbus_netcli.h"

#define MAX_EV 4096
/* The echoing peer unit on the bus (see the top of this file). */
#define PEER_UNIT 30
#define PEER_CLIENT 2

typedef struct {
  int type; /* 'C' connect, 'D' disconnect, 'R' recv, 'A' ack, 'T' ret, 'G' global */
  int client, i1, i2, has_head;
  SMARTBUS_PACKET_HEAD head;
  char data[256];
  int size;
  char s1[64];
} event;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static event evs[MAX_EV];
static int nev, ntrace, nvtrace;
static int arg_token = 42;

#define CHECK(cond)                                                                                                    \
  do {                                                                                                                 \
    if (!(cond)) {                                                                                                     \
      fprintf(stderr, "test_standin: FAILED at line %d: %s\n", __LINE__, #cond);                                     \
      exit(1);                                                                                                         \
    }                                                                                                                  \
  } while (0)
#define EXPECT_RC(call, want)                                                                                          \
  do {                                                                                                                 \
    int rc_ = (call);                                                                                                  \
    if (rc_ != (want)) {                                                                                               \
      fprintf(stderr, "test_standin: FAILED at line %d: %s returned %d, expected %d\n", __LINE__, #call, rc_,        \
              (want));                                                                                                 \
      exit(1);                                                                                                         \
    }                                                                                                                  \
  } while (0)

static event *push(int type, void *arg) {
  if (arg != &arg_token) {
    fprintf(stderr, "test_standin: callback got a wrong arg\n");
    exit(1);
  }
  if (nev >= MAX_EV) return NULL;
  event *e = &evs[nev++];
  memset(e, 0, sizeof *e);
  e->type = type;
  return e;
}

static void done(void) {
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
}

static void on_connect(void *arg, unsigned char id, int unit, int ack) {
  pthread_mutex_lock(&mu);
  event *e = push('C', arg);
  if (e) e->client = id, e->i1 = unit, e->i2 = ack;
  done();
}

static void on_disconnect(void *arg, unsigned char id) {
  pthread_mutex_lock(&mu);
  event *e = push('D', arg);
  if (e) e->client = id;
  done();
}

static void on_recv(void *arg, unsigned char id, SMARTBUS_PACKET_HEAD *head, void *data, int size) {
  pthread_mutex_lock(&mu);
  event *e = push('R', arg);
  if (e) {
    e->client = id;
    e->head = *head;
    e->has_head = 1;
    e->size = size;
    memcpy(e->data, data, size < (int)sizeof e->data ? (size_t)size : sizeof e->data);
  }
  done();
}

static void on_flow(int type, void *arg, unsigned char id, SMARTBUS_PACKET_HEAD *head, const char *project,
                    int invoke_id, int code, const char *text) {
  pthread_mutex_lock(&mu);
  event *e = push(type, arg);
  if (e) {
    e->client = id;
    e->has_head = head != NULL;
    if (head) e->head = *head;
    e->i1 = invoke_id;
    e->i2 = code;
    snprintf(e->s1, sizeof e->s1, "%s", project);
    snprintf(e->data, sizeof e->data, "%s", text);
  }
  done();
}

static void on_ack(void *arg, unsigned char id, SMARTBUS_PACKET_HEAD *head, const char *project, int invoke_id,
                   int ack, const char *msg) {
  on_flow('A', arg, id, head, project, invoke_id, ack, msg);
}

static void on_ret(void *arg, unsigned char id, SMARTBUS_PACKET_HEAD *head, const char *project, int invoke_id,
                   int ret, const char *param) {
  on_flow('T', arg, id, head, project, invoke_id, ret, param);
}

static void on_global(void *arg, char unit, char client, char type, char access, char status, const char *info) {
  pthread_mutex_lock(&mu);
  event *e = push('G', arg);
  if (e) {
    e->i1 = unit;
    e->client = client;
    e->i2 = status;
    e->size = type + 100 * access;
    snprintf(e->s1, sizeof e->s1, "%s", info);
  }
  done();
}

static void on_trace(const char *msg) {
  pthread_mutex_lock(&mu);
  ntrace += msg && *msg ? 1 : 0;
  if (getenv("TEST_STANDIN_VERBOSE")) fprintf(stderr, "trace: %s\n", msg);
  pthread_mutex_unlock(&mu);
}

static void on_vtrace(const char *fmt, ...) {
  pthread_mutex_lock(&mu);
  nvtrace += strcmp(fmt, "%s") == 0;
  pthread_mutex_unlock(&mu);
}

typedef int (*match_fn)(const event *e, const void *want);

/* Waits (bounded) for an event matching `m`; returns a copy or exits. */
static event wait_for(match_fn m, const void *want, int timeout_ms, const char *what) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += timeout_ms / 1000;
  until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
  pthread_mutex_lock(&mu);
  for (;;) {
    for (int i = 0; i < nev; i++) {
      if (evs[i].type && m(&evs[i], want)) {
        event copy = evs[i];
        evs[i].type = 0; /* consumed */
        pthread_mutex_unlock(&mu);
        return copy;
      }
    }
    if (pthread_cond_timedwait(&cv, &mu, &until) != 0) {
      pthread_mutex_unlock(&mu);
      fprintf(stderr, "test_standin: FAILED: timed out after %d ms waiting for %s\n", timeout_ms, what);
      exit(1);
    }
  }
}

static int count_events(match_fn m, const void *want) {
  pthread_mutex_lock(&mu);
  int n = 0;
  for (int i = 0; i < nev; i++) n += evs[i].type && m(&evs[i], want);
  pthread_mutex_unlock(&mu);
  return n;
}

typedef struct {
  int type, client, i1;
} key;

static int by_type_client(const event *e, const void *w) {
  const key *k = w;
  return e->type == k->type && e->client == k->client;
}
static int by_type_id(const event *e, const void *w) {
  const key *k = w;
  return e->type == k->type && e->i1 == k->i1;
}
static int connected_ok(const event *e, const void *w) {
  const key *k = w;
  return e->type == 'C' && e->client == k->client && e->i2 == 0;
}
static int connect_failed(const event *e, const void *w) {
  const key *k = w;
  return e->type == 'C' && e->client == k->client && e->i2 < 0;
}
static int any_global(const event *e, const void *w) {
  (void)w;
  return e->type == 'G';
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static void install_callbacks(void) {
  SmartBusNetCli_SetTraceStr(on_trace, on_trace);
  SmartBusNetCli_SetTrace(on_vtrace, on_vtrace);
  SmartBusNetCli_SetCallBackFn(on_connect, on_recv, on_disconnect, on_ret, on_global, NULL);
  SmartBusNetCli_SetCallBackFnArg(&arg_token);
  void *fn;
  smartbus_cli_invokeflow_ack_cb ack = on_ack;
  memcpy(&fn, &ack, sizeof fn);
  SmartBusNetCli_SetCallBackFnEx(SMARTBUS_INVOKEFLOW_ACK_CB_NAME, fn);
}

static int run_reconnect(const char *host, unsigned short port, int node) {
  install_callbacks();
  EXPECT_RC(SmartBusNetCli_Init(22), 0);
  EXPECT_RC(SmartBusNetCli_CreateConnect(1, SMARTBUS_CLIENT_TYPE_AGENT, host, port, NULL, 0xFFFF, NULL, NULL, ""), 0);
  key k = {'C', 1, 0}, dk = {'D', 1, 0};
  CHECK(wait_for(connected_ok, &k, 5000, "first connection").i1 == node);
  printf("CONNECTED\n");
  fflush(stdout);
  wait_for(by_type_client, &dk, 10000, "disconnect_cb after the node stopped");
  /* Before the line that makes the JS side restart the node: after it, the
     library may have reconnected already. */
  EXPECT_RC(SmartBusNetCli_SendData(1, 1, 3, PEER_UNIT, PEER_CLIENT, 4, "x", 1), -2);
  printf("DISCONNECTED\n");
  fflush(stdout);
  CHECK(wait_for(connected_ok, &k, 10000, "reconnection after the node restarted").i1 == node);
  SmartBusNetCli_Release();
  printf("test_standin: reconnect checks passed\n");
  return 0;
}

static int run_auth(const char *host, unsigned short port) {
  install_callbacks();
  EXPECT_RC(SmartBusNetCli_Init(23), 0);
  EXPECT_RC(SmartBusNetCli_CreateConnect(1, SMARTBUS_CLIENT_TYPE_AGENT, host, port, NULL, 0xFFFF, NULL, NULL, ""), 0);
  EXPECT_RC(SmartBusNetCli_CreateConnect(2, SMARTBUS_CLIENT_TYPE_AGENT, host, port, NULL, 0xFFFF, "admin", "nope", ""),
            0);
  EXPECT_RC(SmartBusNetCli_CreateConnect(3, SMARTBUS_CLIENT_TYPE_AGENT, host, port, NULL, 0xFFFF, "admin", "secret",
                                         ""),
            0);
  key k1 = {'C', 1, 0}, k2 = {'C', 2, 0}, k3 = {'C', 3, 0};
  CHECK(wait_for(connect_failed, &k1, 5000, "refused attempt").i2 == SMARTBUS_ERR_AUTHOR);
  CHECK(wait_for(connect_failed, &k2, 5000, "wrong password").i2 == SMARTBUS_ERR_PWD);
  wait_for(connected_ok, &k3, 5000, "right password");
  /* Several reconnect intervals (100 ms here): a refused client stays closed
     (wait_for took each first refusal). */
  sleep_ms(600);
  CHECK(count_events(connect_failed, &k1) == 0);
  CHECK(count_events(connect_failed, &k2) == 0);
  SmartBusNetCli_Release();
  printf("test_standin: auth checks passed\n");
  return 0;
}

static int run_faults(const char *host, unsigned short port) {
  setenv("SMARTBUS_STANDIN_LINK_TIMEOUT_MS", "1000", 0); /* read by Init */
  install_callbacks();
  EXPECT_RC(SmartBusNetCli_Init(24), 0);
  EXPECT_RC(SmartBusNetCli_CreateConnect(1, SMARTBUS_CLIENT_TYPE_AGENT, host, port, NULL, 0xFFFF, NULL, NULL, ""), 0);
  key k = {'C', 1, 0}, dk = {'D', 1, 0};
  CHECK(wait_for(connected_ok, &k, 5000, "connection to the silent peer").i1 == 5);
  wait_for(by_type_client, &dk, 3000, "disconnect after missed heartbeats");
  CHECK(wait_for(connected_ok, &k, 5000, "connection to the garbage peer").i1 == 5);
  wait_for(by_type_client, &dk, 3000, "disconnect after a malformed frame");
  CHECK(wait_for(connected_ok, &k, 5000, "third connection").i1 == 5);
  SmartBusNetCli_Release();
  printf("test_standin: fault checks passed\n");
  return 0;
}

typedef struct {
  int unit, n;
} blast_arg;

/* Sends from its own thread: the library must take calls from any thread. */
static void *blast(void *p) {
  const blast_arg *a = p;
  for (int i = 0; i < a->n; i++) {
    if (SmartBusNetCli_SendData(1, 9, SMARTBUS_CMDTYPE_USER, a->unit, PEER_CLIENT, SMARTBUS_CLIENT_TYPE_AGENT, "mt",
                                3) != 0) {
      fprintf(stderr, "test_standin: FAILED: SendData from a thread\n");
      exit(1);
    }
  }
  return NULL;
}

/* Data (or a ping answer) on client 1 with this cmd: the peer's echoes. */
static int data_cmd(const event *e, const void *w) {
  return e->type == 'R' && e->client == 1 && e->head.cmd == *(const int *)w;
}

int main(int argc, char **argv) {
  if (argc != 7 && argc != 8) {
    fprintf(stderr, "usage: %s host port node_unit ipsc_unit ipsc_index dead_port [main|reconnect|auth]\n", argv[0]);
    return 2;
  }
  const char *mode = argc == 8 ? argv[7] : "main";
  const char *host = argv[1];
  unsigned short port = (unsigned short)atoi(argv[2]), dead = (unsigned short)atoi(argv[6]);
  int node = atoi(argv[3]), ipsc_unit = atoi(argv[4]), ipsc_index = atoi(argv[5]);
  const int UNIT = 20, AGENT = SMARTBUS_CLIENT_TYPE_AGENT;
  if (strcmp(mode, "reconnect") == 0) return run_reconnect(host, port, node);
  if (strcmp(mode, "auth") == 0) return run_auth(host, port);
  if (strcmp(mode, "faults") == 0) return run_faults(host, port);

  CHECK(sizeof(SMARTBUS_PACKET_HEAD) == 20);

  /* Before Init. */
  EXPECT_RC(SmartBusNetCli_CreateConnect(1, AGENT, host, port, NULL, 0xFFFF, NULL, NULL, ""), -14);
  EXPECT_RC(SmartBusNetCli_SendData(1, 1, 3, UNIT, 2, AGENT, "x", 1), -14);
  EXPECT_RC(SmartBusNetCli_SendPing(1, UNIT, 2, AGENT, "x", 1), -14);
  EXPECT_RC(SmartBusNetCli_RemoteInvokeFlow(1, ipsc_unit, ipsc_index, "proj", "echo", 0, 1000, "[]"), -14);
  EXPECT_RC(SmartBusNetCli_SendNotify(1, ipsc_unit, ipsc_index, "proj", "t", 0, 1000, "x"), -14);
  SmartBusNetCli_Release(); /* harmless when not initialised */
  EXPECT_RC(SmartBusNetCli_Init(5), -12);
  EXPECT_RC(SmartBusNetCli_Init(48), -12);

  SmartBusNetCli_SetCallBackFnEx("no_such_callback", NULL); /* ignored, traced */
  install_callbacks();
  EXPECT_RC(SmartBusNetCli_Init((unsigned char)UNIT), 0);
  EXPECT_RC(SmartBusNetCli_Init((unsigned char)UNIT), -24);

  /* Client arguments. */
  EXPECT_RC(SmartBusNetCli_SendData(1, 1, 3, UNIT + 1, 2, AGENT, "x", 1), -9);
  EXPECT_RC(SmartBusNetCli_CreateConnect(1, 0, host, port, NULL, 0xFFFF, NULL, NULL, ""), -17);
  EXPECT_RC(SmartBusNetCli_CreateConnect(1, 1, host, port, NULL, 0xFFFF, NULL, NULL, ""), -17);
  EXPECT_RC(SmartBusNetCli_CreateConnect(1, 256, host, port, NULL, 0xFFFF, NULL, NULL, ""), -17);
  EXPECT_RC(SmartBusNetCli_CreateConnect(1, AGENT, NULL, port, NULL, 0xFFFF, NULL, NULL, ""), -1);
  EXPECT_RC(SmartBusNetCli_CreateConnect(1, AGENT, "", port, NULL, 0xFFFF, NULL, NULL, ""), -1);
  EXPECT_RC(SmartBusNetCli_CreateConnect(1, AGENT, "localhost", port, NULL, 0xFFFF, NULL, NULL, ""), -1);
  EXPECT_RC(SmartBusNetCli_CreateConnect(1, AGENT, host, port, NULL, 0xFFFF, NULL, NULL, "one"), 0);
  /* "Not yet connected" is checked on a link that can never log in (its only
     target is the dead port): client 1's link may already be up by now,
     depending on how the library's thread was scheduled. */
  EXPECT_RC(SmartBusNetCli_CreateConnect(5, AGENT, "127.0.0.1", dead, NULL, 0xFFFF, NULL, NULL, "dead"), 0);
  EXPECT_RC(SmartBusNetCli_SendData(5, 1, 3, PEER_UNIT, PEER_CLIENT, AGENT, "x", 1), -2);
  EXPECT_RC(SmartBusNetCli_CreateConnect(1, AGENT, host, port, NULL, 0xFFFF, NULL, NULL, "one"), -22);
  EXPECT_RC(SmartBusNetCli_CreateConnect(2, AGENT, host, port, "", 0xFFFF, NULL, NULL, "two"), 0);
  /* Master is a dead port: both links start at once (as the vendor's); the
     slave (the bus) logs in, the master's failure is reported at most once. */
  EXPECT_RC(SmartBusNetCli_CreateConnect(3, AGENT, "127.0.0.1", dead, host, port, NULL, NULL, NULL), 0);

  key k1 = {'C', 1, 0}, k2 = {'C', 2, 0}, k3 = {'C', 3, 0};
  event c1 = wait_for(connected_ok, &k1, 5000, "client 1 connected");
  CHECK(c1.i1 == node);
  event c2 = wait_for(connected_ok, &k2, 5000, "client 2 connected");
  CHECK(c2.i1 == node);
  event c3 = wait_for(connected_ok, &k3, 5000, "client 3 connected through the slave");
  CHECK(c3.i1 == node);
  CHECK(count_events(connect_failed, &k3) <= 1);
  if (count_events(connect_failed, &k3) == 1)
    CHECK(wait_for(connect_failed, &k3, 10, "client 3 master failure").i2 == SMARTBUS_ERR_ESTABLI_CONNECT);
  wait_for(any_global, NULL, 5000, "a global connect event");

  /* The own unit is refused (-11, as the vendor's), even for another local
     client, and before the local client and the size are checked. */
  static char big[SMARTBUS_MAX_DATA_SIZE + 1];
  EXPECT_RC(SmartBusNetCli_SendData(1, 7, SMARTBUS_CMDTYPE_USER, UNIT, 2, AGENT, "hello", 6), -11);
  EXPECT_RC(SmartBusNetCli_SendPing(1, UNIT, 2, AGENT, "ping!", 6), -11);
  EXPECT_RC(SmartBusNetCli_SendData(9, 7, 3, UNIT, 2, AGENT, "x", 1), -11);
  EXPECT_RC(SmartBusNetCli_SendData(1, 7, 3, UNIT, 2, AGENT, big, SMARTBUS_MAX_DATA_SIZE + 1), -11);
  EXPECT_RC(SmartBusNetCli_SendData(1, 7, 0, UNIT, 2, AGENT, "x", 1), -16);

  /* Data to the peer unit, which sends it back to client 1. */
  EXPECT_RC(SmartBusNetCli_SendData(1, 7, SMARTBUS_CMDTYPE_USER, PEER_UNIT, PEER_CLIENT, AGENT, "hello", 6), 0);
  int cmd7 = 7;
  event d = wait_for(data_cmd, &cmd7, 5000, "data back from the peer");
  CHECK(d.size == 6 && memcmp(d.data, "hello", 6) == 0);
  CHECK(d.head.head_flag == SMARTBUS_PACKET_HEAD_FLAG && d.head.cmd == 7 && d.head.cmdtype == SMARTBUS_CMDTYPE_USER);
  CHECK(d.head.src_unit_id == PEER_UNIT && d.head.src_unit_client_id == PEER_CLIENT &&
        d.head.src_unit_client_type == AGENT);
  CHECK(d.head.dest_unit_id == UNIT && d.head.dest_unit_client_id == 1);
  CHECK(d.head.datalen == 6 && d.head.packet_size == (int)sizeof(SMARTBUS_PACKET_HEAD) + 6);
  EXPECT_RC(SmartBusNetCli_SendData(1, 7, 3, PEER_UNIT, PEER_CLIENT, AGENT, "", 0), 0);
  event d0 = wait_for(data_cmd, &cmd7, 5000, "empty data back from the peer");
  CHECK(d0.size == 0);

  /* Data argument checks, in the vendor's order (the size comes last). */
  EXPECT_RC(SmartBusNetCli_SendData(1, 1, 3, PEER_UNIT, 2, AGENT, big, SMARTBUS_MAX_DATA_SIZE + 1), -15);
  EXPECT_RC(SmartBusNetCli_SendData(1, 1, 3, PEER_UNIT, 2, AGENT, "x", -1), -1);
  EXPECT_RC(SmartBusNetCli_SendData(1, 1, 3, PEER_UNIT, 2, AGENT, NULL, 3), -1);
  EXPECT_RC(SmartBusNetCli_SendData(9, 1, 3, PEER_UNIT, 2, AGENT, "x", 1), -9);
  EXPECT_RC(SmartBusNetCli_SendData(9, 1, 3, PEER_UNIT, 2, AGENT, big, SMARTBUS_MAX_DATA_SIZE + 1), -9);
  EXPECT_RC(SmartBusNetCli_SendData(5, 1, 3, PEER_UNIT, 2, AGENT, big, SMARTBUS_MAX_DATA_SIZE + 1), -2);
  EXPECT_RC(SmartBusNetCli_SendData(1, 1, 0, PEER_UNIT, 2, AGENT, "x", 1), -16);
  EXPECT_RC(SmartBusNetCli_SendData(1, 1, 3, 48, 2, AGENT, "x", 1), -12);
  EXPECT_RC(SmartBusNetCli_SendData(1, 5, 3, PEER_UNIT, PEER_CLIENT, AGENT, big, SMARTBUS_MAX_DATA_SIZE), 0);
  int cmd5 = 5;
  event dbig = wait_for(data_cmd, &cmd5, 5000, "64 KiB data back from the peer");
  CHECK(dbig.size == SMARTBUS_MAX_DATA_SIZE);

  /* Ping (7/1): the answer comes back as data, cmd 8 with cmdtype 1. */
  EXPECT_RC(SmartBusNetCli_SendPing(1, PEER_UNIT, PEER_CLIENT, AGENT, "ping!", 6), 0);
  int cmd8 = 8;
  event p = wait_for(data_cmd, &cmd8, 5000, "ping answer on client 1");
  CHECK(p.head.cmd == 8 && p.head.cmdtype == SMARTBUS_CMDTYPE_SYSTEM && p.size == 6 && memcmp(p.data, "ping!", 6) == 0);

  /* A flow that returns. */
  int id1 = SmartBusNetCli_RemoteInvokeFlow(1, ipsc_unit, ipsc_index, "proj", "echo", 0, 5000, "[1,\"a\"]");
  CHECK(id1 > 0);
  key a1 = {'A', 0, id1}, t1 = {'T', 0, id1};
  event ack = wait_for(by_type_id, &a1, 5000, "ack of echo");
  CHECK(ack.i2 == 1 && strcmp(ack.s1, "proj") == 0 && ack.has_head && ack.client == 1);
  event ret = wait_for(by_type_id, &t1, 5000, "result of echo");
  CHECK(ret.i2 == 1 && ret.has_head && strstr(ret.data, "\"a\"") != NULL && strcmp(ret.s1, "proj") == 0);
  CHECK(ret.head.src_unit_id == ipsc_unit && ret.head.src_unit_client_type == SMARTBUS_CLIENT_TYPE_IPSC);

  /* A flow that never answers: the library's own timer. */
  int id2 = SmartBusNetCli_RemoteInvokeFlow(1, ipsc_unit, ipsc_index, "proj", "never", 0, 300, "[]");
  CHECK(id2 > id1);
  key t2 = {'T', 0, id2};
  event to = wait_for(by_type_id, &t2, 3000, "timeout of never");
  CHECK(to.i2 == SMARTBUS_ERR_TIMEOUT && !to.has_head && strcmp(to.s1, "proj") == 0 && to.data[0] == 0);
  sleep_ms(400);
  CHECK(count_events(by_type_id, &t2) == 0); /* exactly one outcome */

  /* A flow on a server that does not exist: the (strict) bus refuses it in
     the acknowledge, and the library's timer still ends the call. */
  int id3 = SmartBusNetCli_RemoteInvokeFlow(1, 14, 99, "proj", "echo", 0, 300, "[]");
  CHECK(id3 > id2);
  key a3 = {'A', 0, id3}, t3 = {'T', 0, id3};
  CHECK(wait_for(by_type_id, &a3, 3000, "refusal of a flow on a missing IPSC").i2 < 1);
  CHECK(wait_for(by_type_id, &t3, 3000, "timeout of a flow on a missing IPSC").i2 == SMARTBUS_ERR_TIMEOUT);

  /* Flow argument checks. */
  static char params[SMARTBUS_MAX_FLOW_PARAMS + 2];
  memset(params, ' ', SMARTBUS_MAX_FLOW_PARAMS + 1);
  EXPECT_RC(SmartBusNetCli_RemoteInvokeFlow(1, ipsc_unit, ipsc_index, "proj", "echo", 0, 1000, params), -15);
  EXPECT_RC(SmartBusNetCli_RemoteInvokeFlow(1, 16, ipsc_index, "proj", "echo", 0, 1000, "[]"), -12);
  EXPECT_RC(SmartBusNetCli_RemoteInvokeFlow(1, ipsc_unit, ipsc_index, NULL, "echo", 0, 1000, "[]"), -1);
  EXPECT_RC(SmartBusNetCli_RemoteInvokeFlow(7, ipsc_unit, ipsc_index, "proj", "echo", 0, 1000, "[]"), -9);
  EXPECT_RC(SmartBusNetCli_SendNotify(1, ipsc_unit, ipsc_index, "proj", "", 0, 1000, "x"), -1);
  EXPECT_RC(SmartBusNetCli_SendNotify(1, 16, ipsc_index, "proj", "t", 0, 1000, "x"), -12);
  int id4 = SmartBusNetCli_RemoteInvokeFlow(1, ipsc_unit, ipsc_index, "proj", "echo", 1, 1000, "[]");
  CHECK(id4 > id3);
  /* SendNotify has a counter of its own (from 1), as the vendor's. */
  int id5 = SmartBusNetCli_SendNotify(1, ipsc_unit, ipsc_index, "proj", "title", 0, 1000, "x");
  CHECK(id5 == 1);
  CHECK(SmartBusNetCli_SendNotify(1, ipsc_unit, ipsc_index, "proj", "title", 0, 1000, "x") == 2);

  /* Four threads send at once; every packet arrives. */
  {
    pthread_t th[4];
    blast_arg ba = {PEER_UNIT, 100};
    for (int i = 0; i < 4; i++) CHECK(pthread_create(&th[i], NULL, blast, &ba) == 0);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    int cmd9 = 9;
    for (int i = 0; i < 400; i++) wait_for(data_cmd, &cmd9, 5000, "data sent from four threads, back from the peer");
  }

  /* Idle for over two of the library's heartbeat periods (1 s, as the
     vendor's): its heartbeats keep the link up. */
  sleep_ms(2500);
  key dk = {'D', 1, 0};
  CHECK(count_events(by_type_client, &dk) == 0);
  EXPECT_RC(SmartBusNetCli_SendData(1, 7, 3, PEER_UNIT, PEER_CLIENT, AGENT, "after idle", 11), 0);
  wait_for(data_cmd, &cmd7, 5000, "data after an idle second, back from the peer");

  pthread_mutex_lock(&mu);
  int traces = ntrace, vtraces = nvtrace;
  pthread_mutex_unlock(&mu);
  CHECK(traces > 0 && vtraces > 0);

  /* Release, then the library is usable again. */
  SmartBusNetCli_Release();
  EXPECT_RC(SmartBusNetCli_SendData(1, 1, 3, UNIT, 2, AGENT, "x", 1), -14);
  EXPECT_RC(SmartBusNetCli_Init(21), 0);
  EXPECT_RC(SmartBusNetCli_CreateConnect(1, AGENT, host, port, NULL, 0xFFFF, NULL, NULL, "again"), 0);
  wait_for(connected_ok, &k1, 5000, "client 1 connected after a new Init");
  SmartBusNetCli_Release();
  SmartBusNetCli_Release();
  printf("test_standin: all checks passed\n");
  return 0;
}

/*
 * The C driver: the limit, what a C program pays to drive libbusnetcli.
 * Same modes and options as the Python and JS drivers (see bench/README.md):
 *
 *   driver send --host H --port P --unit U --count N --batch B
 *   driver recv --host H --port P --unit U --count N --warm W --peer-unit F --burst B --resume-file PATH
 *   driver flow --host H --port P --unit U --inflight 1,64,1024 --flows 500,5000,20000 --warm W
 *
 * Prints progress on stderr and one line `RESULT {json}` on stdout.
 */
#include "common.h"

#define CREDIT_EVERY 1024
#define MAX_INFLIGHT 4096

static struct {
  const char *host;
  int port, unit, count, batch, warm, peer_unit, burst;
  char inflight[128], flows[128];
  const char *resume_file;
  int flow_timeout; /* ms; a call with no answer by then counts as an error */
} opt = {"127.0.0.1", 0, 17, 100000, 10000, 10000, 40, 0, "1,64,1024", "500,5000,20000", "", 5000};

static void parse(int argc, char **argv) {
  for (int i = 2; i + 1 < argc; i += 2) {
    const char *k = argv[i], *v = argv[i + 1];
    if (!strcmp(k, "--host")) opt.host = v;
    else if (!strcmp(k, "--port")) opt.port = atoi(v);
    else if (!strcmp(k, "--unit")) opt.unit = atoi(v);
    else if (!strcmp(k, "--count")) opt.count = atoi(v);
    else if (!strcmp(k, "--batch")) opt.batch = atoi(v);
    else if (!strcmp(k, "--warm")) opt.warm = atoi(v);
    else if (!strcmp(k, "--peer-unit")) opt.peer_unit = atoi(v);
    else if (!strcmp(k, "--burst")) opt.burst = atoi(v);
    else if (!strcmp(k, "--resume-file")) opt.resume_file = v;
    else if (!strcmp(k, "--inflight")) snprintf(opt.inflight, sizeof opt.inflight, "%s", v);
    else if (!strcmp(k, "--flows")) snprintf(opt.flows, sizeof opt.flows, "%s", v);
    else if (!strcmp(k, "--flow-timeout")) opt.flow_timeout = atoi(v);
    else {
      fprintf(stderr, "driver: unknown option %s\n", k);
      exit(2);
    }
  }
}

/* ---- send ---------------------------------------------------------------- */

static volatile int g_pong;

static void send_recv_cb(void *arg, unsigned char id, SMARTBUS_PACKET_HEAD *head, void *data, int size) {
  (void)arg, (void)id, (void)data, (void)size;
  if (head->cmd != SB_PING_ANSWER || head->cmdtype != SMARTBUS_CMDTYPE_SYSTEM) return;
  pthread_mutex_lock(&g_mu);
  g_pong = 1;
  pthread_cond_broadcast(&g_cv);
  pthread_mutex_unlock(&g_mu);
}

/* Ping the IPSC and wait for the answer: the bus has taken every frame sent before. */
static void barrier(void) {
  pthread_mutex_lock(&g_mu);
  g_pong = 0;
  pthread_mutex_unlock(&g_mu);
  int rc = SmartBusNetCli_SendPing(1, 0, 0, SMARTBUS_CLIENT_TYPE_IPSC, "b", 2);
  if (rc < 0) die("SendPing", rc);
  pthread_mutex_lock(&g_mu);
  int ok = wait_flag_locked(&g_pong, 30);
  pthread_mutex_unlock(&g_mu);
  if (!ok) die("barrier ping", -25);
}

static double send_batch(int n, long *full) {
  double t0 = now_s();
  for (int i = 0; i < n; i++) {
    int rc = SmartBusNetCli_SendData(1, 1, SMARTBUS_CMDTYPE_USER, 0, 0, SMARTBUS_CLIENT_TYPE_IPSC, BENCH_TEXT,
                                     BENCH_TEXT_SIZE);
    if (rc == SMARTBUS_ERR_BUFF_FULL) {
      (*full)++;
      i--;
      continue;
    }
    if (rc < 0) die("SendData", rc);
  }
  return now_s() - t0;
}

static void run_send(void) {
  connect_client(opt.unit, opt.host, opt.port, send_recv_cb, NULL, NULL);
  long full = 0;
  send_batch(opt.batch, &full); /* warm-up */
  barrier();
  double busy = 0;
  int done = 0;
  while (done < opt.count) {
    int n = opt.count - done < opt.batch ? opt.count - done : opt.batch;
    busy += send_batch(n, &full);
    done += n;
    barrier();
  }
  printf("RESULT {\"calls_per_s\":%.1f,\"count\":%d,\"batch\":%d,\"buff_full\":%ld}\n", done / busy, done,
         opt.batch, full);
}

/* ---- recv ---------------------------------------------------------------- */

static volatile int g_recv_done;
static long g_received;
static double g_t_start, g_t_end, g_cpu_start, g_cpu_end;
static double g_b_start, g_b_end, g_b_cpu_start, g_b_cpu_end;
static long g_rss_before, g_rss_after;

static void recv_done(void) {
  pthread_mutex_lock(&g_mu);
  g_recv_done = 1;
  pthread_cond_broadcast(&g_cv);
  pthread_mutex_unlock(&g_mu);
}

/* Streaming phase: messages 1..count with credits; burst phase: count+1..count+burst, timed from the resume. */
static void recv_cb(void *arg, unsigned char id, SMARTBUS_PACKET_HEAD *head, void *data, int size) {
  (void)arg, (void)id, (void)data, (void)size;
  if (head->cmdtype != SMARTBUS_CMDTYPE_USER) return;
  long n = ++g_received;
  if (n == opt.warm) {
    g_rss_before = rss_bytes();
    g_t_start = now_s();
    g_cpu_start = cpu_s();
  }
  if (n <= opt.count && n % CREDIT_EVERY == 0)
    SmartBusNetCli_SendData(1, 2, SMARTBUS_CMDTYPE_USER, opt.peer_unit, 1, SMARTBUS_CLIENT_TYPE_AGENT, "c", 2);
  if (n == opt.count) {
    g_t_end = now_s();
    g_cpu_end = cpu_s();
    g_rss_after = rss_bytes();
    if (opt.burst == 0) recv_done();
  }
  if (opt.burst > 0 && n == opt.count + 1) {
    /* Hold the library's thread until the whole burst waits in the socket and the bus. */
    while (access(opt.resume_file, F_OK) != 0) usleep(1000);
    g_b_start = now_s();
    g_b_cpu_start = cpu_s();
  }
  if (opt.burst > 0 && n == opt.count + opt.burst) {
    g_b_end = now_s();
    g_b_cpu_end = cpu_s();
    recv_done();
  }
}

static void run_recv(void) {
  connect_client(opt.unit, opt.host, opt.port, recv_cb, NULL, NULL);
  printf("READY\n");
  fflush(stdout);
  pthread_mutex_lock(&g_mu);
  int ok = wait_flag_locked(&g_recv_done, 600);
  pthread_mutex_unlock(&g_mu);
  if (!ok) die("receiving", (int)g_received);
  printf("RESULT {\"msgs_per_s\":%.1f,\"count\":%d,\"warm\":%d,\"cpu_s\":%.6f,\"rss_before\":%ld,"
         "\"rss_after\":%ld,\"burst\":%d,\"burst_msgs_per_s\":%.1f,\"burst_cpu_s\":%.6f}\n",
         (opt.count - opt.warm) / (g_t_end - g_t_start), opt.count, opt.warm, g_cpu_end - g_cpu_start, g_rss_before,
         g_rss_after, opt.burst, opt.burst > 1 ? (opt.burst - 1) / (g_b_end - g_b_start) : 0.0,
         g_b_cpu_end - g_b_cpu_start);
}

/* ---- flow ---------------------------------------------------------------- */

static const char *FLOW_PARAMS = "[1,2]";
static double g_start[MAX_INFLIGHT * 4];
static double *g_lat;
static int g_issued, g_finished, g_target, g_errors;
static volatile int g_flow_done;

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Issues one flow call; caller holds g_mu (the library releases its own lock in callbacks). */
static void issue_locked(void) {
  double t0 = now_s();
  int id = SmartBusNetCli_RemoteInvokeFlow(1, 0, 0, "bench", "echo", 0, opt.flow_timeout, FLOW_PARAMS);
  if (id <= 0) die("RemoteInvokeFlow", id);
  g_start[id % (MAX_INFLIGHT * 4)] = t0;
  g_issued++;
}

static void flow_ret_cb(void *arg, unsigned char id, SMARTBUS_PACKET_HEAD *head, const char *project, int invoke_id,
                        int ret, const char *param) {
  (void)arg, (void)id, (void)head, (void)project, (void)param;
  double t = now_s();
  pthread_mutex_lock(&g_mu);
  if (ret != 1) g_errors++;
  g_lat[g_finished++] = t - g_start[invoke_id % (MAX_INFLIGHT * 4)];
  if (g_issued < g_target) issue_locked();
  if (g_finished == g_target) {
    g_flow_done = 1;
    pthread_cond_broadcast(&g_cv);
  }
  pthread_mutex_unlock(&g_mu);
}

static void flow_ack_cb(void *arg, unsigned char id, SMARTBUS_PACKET_HEAD *head, const char *project, int invoke_id,
                        int ack, const char *msg) {
  (void)arg, (void)id, (void)head, (void)project, (void)invoke_id, (void)msg;
  if (ack != 1) g_errors++;
}

/* Runs `total` calls with `k` in flight; returns the elapsed seconds. */
static double flow_round(int k, int total) {
  pthread_mutex_lock(&g_mu);
  g_issued = g_finished = 0;
  g_target = total;
  g_flow_done = 0;
  double t0 = now_s();
  for (int i = 0; i < k && i < total; i++) issue_locked();
  int ok = wait_flag_locked(&g_flow_done, 600);
  double dt = now_s() - t0;
  pthread_mutex_unlock(&g_mu);
  if (!ok) die("flow round", g_finished);
  return dt;
}

static void run_flow(void) {
  connect_client(opt.unit, opt.host, opt.port, NULL, flow_ret_cb, flow_ack_cb);
  int ks[8], ns[8], nk = 0, nn = 0;
  for (char *s = strtok(opt.inflight, ","); s && nk < 8; s = strtok(NULL, ",")) ks[nk++] = atoi(s);
  for (char *s = strtok(opt.flows, ","); s && nn < 8; s = strtok(NULL, ",")) ns[nn++] = atoi(s);
  if (nk != nn) die("--inflight and --flows lengths", nk - nn);
  int most = 0;
  for (int i = 0; i < nn; i++) most = ns[i] > most ? ns[i] : most;
  g_lat = calloc((size_t)(most > opt.warm ? most : opt.warm) + 1, sizeof *g_lat);
  /* One write of the whole line, so that nothing the library prints can
   * land inside it. */
  char line[4096];
  int at = snprintf(line, sizeof line, "RESULT {\"flows\":[");
  for (int i = 0; i < nk; i++) {
    if (ks[i] > MAX_INFLIGHT) die("--inflight above 4096", ks[i]);
    flow_round(ks[i], opt.warm < ks[i] ? ks[i] : opt.warm); /* warm-up */
    double cpu0 = cpu_s();
    double dt = flow_round(ks[i], ns[i]);
    double cpu = cpu_s() - cpu0;
    qsort(g_lat, (size_t)ns[i], sizeof *g_lat, cmp_double);
    at += snprintf(line + at, sizeof line - (size_t)at,
                   "%s{\"inflight\":%d,\"count\":%d,\"per_s\":%.1f,\"p50_ms\":%.4f,\"p99_ms\":%.4f,\"cpu_s\":%.6f,"
                   "\"errors\":%d}",
                   i ? "," : "", ks[i], ns[i], ns[i] / dt, g_lat[ns[i] / 2] * 1e3, g_lat[(int)(ns[i] * 0.99)] * 1e3,
                   cpu, g_errors);
  }
  printf("%s]}\n", line);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: driver send|recv|flow --host H --port P ...\n");
    return 2;
  }
  parse(argc, argv);
  if (!strcmp(argv[1], "send")) run_send();
  else if (!strcmp(argv[1], "recv")) run_recv();
  else if (!strcmp(argv[1], "flow")) run_flow();
  else die("unknown mode", 2);
  /* No Release, and no exit-time destructors: the vendor's library crashes
   * in either once a client exists (docs/abi.md). The result is out. */
  fflush(stdout);
  _exit(0);
}

/*
 * The receive benchmark's sender: floods a receiving client with the 64-byte
 * text through libbusnetcli and the TCP mock bus, keeping at most `window`
 * messages unacknowledged. The receiver sends one credit message back every
 * 1024 messages it handled, so a slow receiver slows the flood instead of
 * overflowing the bus's per-connection queue (which would drop it).
 *
 *   flood --host H --port P --unit U --to-unit R --count N [--window W] [--burst B]
 *
 * Sends to client 1 (type 4, AGENT) of unit R. With --burst, once all N are
 * credited (the receiver handled them), sends B more at once without
 * waiting for credits (the receiver holds its handler meanwhile, so the
 * burst piles up in the sockets and the bus; keep B * 85 bytes well under
 * the bus's 8 MiB per-connection cap). Exits 0 once every message is taken
 * by the bus (a ping answered; N is rounded up to a multiple of 1024), 1
 * after 600 s.
 */
#include "common.h"

#define CREDIT_EVERY 1024

static volatile int g_credits_changed;
static long g_credits;

static volatile int g_pong;

static void credit_cb(void *arg, unsigned char id, SMARTBUS_PACKET_HEAD *head, void *data, int size) {
  (void)arg, (void)id, (void)head, (void)data, (void)size;
  pthread_mutex_lock(&g_mu);
  if (head->cmd == SB_PING_ANSWER && head->cmdtype == SMARTBUS_CMDTYPE_SYSTEM) g_pong = 1;
  else if (head->cmd == 2) g_credits++;
  g_credits_changed = 1;
  pthread_cond_broadcast(&g_cv);
  pthread_mutex_unlock(&g_mu);
}

int main(int argc, char **argv) {
  const char *host = "127.0.0.1";
  int port = 0, unit = 40, to_unit = 17;
  long count = 100000, window = 16384, burst = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *k = argv[i], *v = argv[i + 1];
    if (!strcmp(k, "--host")) host = v;
    else if (!strcmp(k, "--port")) port = atoi(v);
    else if (!strcmp(k, "--unit")) unit = atoi(v);
    else if (!strcmp(k, "--to-unit")) to_unit = atoi(v);
    else if (!strcmp(k, "--count")) count = atol(v);
    else if (!strcmp(k, "--window")) window = atol(v);
    else if (!strcmp(k, "--burst")) burst = atol(v);
    else die("unknown option", 2);
  }
  count = (count + CREDIT_EVERY - 1) / CREDIT_EVERY * CREDIT_EVERY;
  connect_client(unit, host, port, credit_cb, NULL, NULL);
  double deadline = now_s() + 600;
  long sent = 0, full = 0;
  while (sent < count) {
    pthread_mutex_lock(&g_mu);
    while (sent - g_credits * CREDIT_EVERY >= window) {
      g_credits_changed = 0;
      if (!wait_flag_locked(&g_credits_changed, 1) && now_s() > deadline) die("waiting for credits", (int)sent);
    }
    pthread_mutex_unlock(&g_mu);
    int rc = SmartBusNetCli_SendData(1, 1, SMARTBUS_CMDTYPE_USER, to_unit, 1, 4, BENCH_TEXT, BENCH_TEXT_SIZE);
    if (rc == SMARTBUS_ERR_BUFF_FULL) {
      full++;
      usleep(100);
      continue;
    }
    if (rc < 0) die("SendData", rc);
    sent++;
  }
  if (burst > 0) {
    pthread_mutex_lock(&g_mu);
    while (g_credits * CREDIT_EVERY < count) {
      g_credits_changed = 0;
      if (!wait_flag_locked(&g_credits_changed, 1) && now_s() > deadline) die("final credits", (int)g_credits);
    }
    pthread_mutex_unlock(&g_mu);
    for (long i = 0; i < burst;) {
      int rc = SmartBusNetCli_SendData(1, 1, SMARTBUS_CMDTYPE_USER, to_unit, 1, 4, BENCH_TEXT, BENCH_TEXT_SIZE);
      if (rc == SMARTBUS_ERR_BUFF_FULL) {
        full++;
        usleep(100);
        continue;
      }
      if (rc < 0) die("SendData (burst)", rc);
      i++;
    }
  }
  /* The bus answers a ping once it has taken every frame sent before it: then Release loses nothing. */
  int rc = SmartBusNetCli_SendPing(1, to_unit, 1, 4, "f", 2);
  if (rc < 0) die("SendPing", rc);
  pthread_mutex_lock(&g_mu);
  int ok = wait_flag_locked(&g_pong, 600);
  pthread_mutex_unlock(&g_mu);
  if (!ok) die("final ping", (int)g_credits);
  fprintf(stderr, "flood: %ld sent, %ld buffer-full retries\n", sent, full);
  SmartBusNetCli_Release();
  return 0;
}

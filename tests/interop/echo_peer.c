/*
 * An echo peer written against the C ABI only: connects to a bus node as
 * unit UNIT, client 1, type AGENT (4), answers every data packet by sending
 * "echo:<text>" back to its sender, and exits 0 after COUNT echoes (or 1 on
 * a timeout). Used by tests/interop.test.ts to show that a C program and the
 * Deno and Bun backends talk through one TCP mock bus.
 *
 * usage: echo_peer HOST PORT UNIT COUNT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include "../../src/mock/native/smartbus_netcli.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int echoed = 0;
static int connected = 0;

static void on_connect(void *arg, unsigned char id, int unit, int ack) {
  (void)arg; (void)id; (void)unit;
  if (ack == 0) {
    pthread_mutex_lock(&lock);
    connected = 1;
    pthread_mutex_unlock(&lock);
    printf("connected\n");
    fflush(stdout);
  }
}

static void on_data(void *arg, unsigned char id, SMARTBUS_PACKET_HEAD *head, void *data, int size) {
  (void)arg;
  char reply[512];
  int n = snprintf(reply, sizeof reply, "echo:%.*s", size > 400 ? 400 : size, (const char *)data);
  /* The text arrives with its NUL; the reply is a C string too. */
  int rc = SmartBusNetCli_SendData(id, head->cmd, head->cmdtype, head->src_unit_id, head->src_unit_client_id,
                                   head->src_unit_client_type, reply, (int)strlen(reply) + 1);
  (void)n;
  if (rc == 0) {
    pthread_mutex_lock(&lock);
    echoed++;
    pthread_mutex_unlock(&lock);
  }
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: echo_peer HOST PORT UNIT COUNT\n");
    return 2;
  }
  int unit = atoi(argv[3]), count = atoi(argv[4]);
  SmartBusNetCli_SetCallBackFn(on_connect, on_data, NULL, NULL, NULL, NULL);
  if (SmartBusNetCli_Init((unsigned char)unit) != 0) return 1;
  if (SmartBusNetCli_CreateConnect(1, 4, argv[1], (unsigned short)atoi(argv[2]), NULL, 0xFFFF, NULL, NULL, "c-echo") != 0)
    return 1;
  for (int i = 0; i < 2000; i++) { /* at most 20 s */
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
    pthread_mutex_lock(&lock);
    int done = echoed >= count;
    pthread_mutex_unlock(&lock);
    if (done) {
      /* let the last echo leave before Release closes the socket */
      struct timespec t2 = {0, 100 * 1000 * 1000};
      nanosleep(&t2, NULL);
      SmartBusNetCli_Release();
      return 0;
    }
  }
  fprintf(stderr, "echo_peer: timed out after %d echoes\n", echoed);
  SmartBusNetCli_Release();
  return 1;
}

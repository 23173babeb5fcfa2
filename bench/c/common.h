/*
 * Shared by the C benchmark programs (driver.c, flood.c): connecting one
 * local client to the mock bus through libbusnetcli and waiting for events.
 * Header-only on purpose: each program is one translation unit.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "smartbus_netcli.h"

/* The 64-byte text every benchmark sends (plus the trailing NUL, as the API does). */
static const char BENCH_TEXT[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/";
#define BENCH_TEXT_SIZE ((int)sizeof BENCH_TEXT) /* 65: 64 characters + NUL */
/* A ping's answer is cmd 8 with cmdtype 1 (SYSTEM), as the vendor's library sends it. */
#define SB_PING_ANSWER 8

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static int g_connected; /* 1 ok, < 0 last failure code */

static inline double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of the whole process (every thread), seconds. */
static inline double cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Resident set size in bytes, from /proc/self/statm. */
static inline long rss_bytes(void) {
  long pages = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f) return -1;
  if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = -1;
  fclose(f);
  return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE);
}

static void die(const char *what, int code) {
  fprintf(stderr, "bench C: %s failed (%d)\n", what, code);
  exit(1);
}

static void on_connection(void *arg, unsigned char id, int unit, int ack) {
  (void)arg, (void)id, (void)unit;
  pthread_mutex_lock(&g_mu);
  g_connected = ack == 0 ? 1 : ack;
  pthread_cond_broadcast(&g_cv);
  pthread_mutex_unlock(&g_mu);
}

/* The vendor's library prints every call and event on stdout unless the app
 * takes its trace lines (apps route them to their own log); the driver drops
 * them, so that its stdout carries only READY and RESULT. */
static void trace_quiet(const char *msg) { (void)msg; }

static void on_disconnect(void *arg, unsigned char id) {
  (void)arg;
  fprintf(stderr, "bench C: client %u disconnected\n", id);
}

/* Init, install callbacks, connect local client 1 (type 4, AGENT) and wait up to 10 s. */
static void connect_client(int unit, const char *host, int port, smartbus_cli_recvdata_cb recv,
                           smartbus_cli_invokeflow_ret_cb ret, smartbus_cli_invokeflow_ack_cb ack) {
  int rc = SmartBusNetCli_Init((unsigned char)unit);
  if (rc < 0) die("Init", rc);
  SmartBusNetCli_SetTraceStr(trace_quiet, trace_quiet);
  SmartBusNetCli_SetCallBackFn(on_connection, recv, on_disconnect, ret, NULL, NULL);
  if (ack) SmartBusNetCli_SetCallBackFnEx(SMARTBUS_INVOKEFLOW_ACK_CB_NAME, (void *)ack);
  rc = SmartBusNetCli_CreateConnect(1, 4, host, (unsigned short)port, NULL, 0xFFFF, NULL, NULL, "");
  if (rc < 0) die("CreateConnect", rc);
  double deadline = now_s() + 10;
  pthread_mutex_lock(&g_mu);
  while (g_connected != 1 && now_s() < deadline) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 50 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
    pthread_cond_timedwait(&g_cv, &g_mu, &ts);
  }
  int ok = g_connected == 1;
  pthread_mutex_unlock(&g_mu);
  if (!ok) die("connect", g_connected);
}

/* Wait on g_cv until *flag is set or `seconds` pass; returns the flag. Caller holds g_mu. */
static inline int wait_flag_locked(volatile int *flag, double seconds) {
  double deadline = now_s() + seconds;
  while (!*flag && now_s() < deadline) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 20 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
    pthread_cond_timedwait(&g_cv, &g_mu, &ts);
  }
  return *flag;
}

#endif

/* The callback queue: events are built under g_mu by the network thread or
   an API call, and raised by the network thread with g_mu released. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "standin.h"

sb_event *sb_event_new(sb_lib *lib, int type, unsigned char client) {
  sb_event *e = calloc(1, sizeof *e);
  if (!e) return NULL;
  e->type = type;
  e->client = client;
  if (lib->ev_tail)
    lib->ev_tail->next = e;
  else
    lib->ev_head = e;
  lib->ev_tail = e;
  return e;
}

void sb_trace(sb_lib *lib, int error, const char *fmt, ...) {
  if (!lib) return;
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  sb_event *e = sb_event_new(lib, error ? EV_TRACE_ERROR : EV_TRACE_INFO, 0);
  if (!e) return;
  e->s1 = sb_strdup_n(line, strlen(line));
  if (!pthread_equal(pthread_self(), lib->thread)) sb_wake(lib);
}

static void free_str(char *s, size_t len) {
  if (s) sb_poison_free(s, (len ? len : strlen(s)) + 1);
}

void sb_event_free(sb_event *e) {
  sb_poison_free(e->head, sizeof(SMARTBUS_PACKET_HEAD));
  sb_poison_free(e->data, e->data_len ? e->data_len : 1);
  free_str(e->s1, e->s1_len);
  free_str(e->s2, e->s2_len);
  free(e);
}

/* An empty string handed to a callback is still its own heap block. */
static const char *nz(char **s) {
  if (!*s) *s = sb_strdup_n("", 0);
  return *s ? *s : "";
}

static void raise_one(sb_event *e, const sb_callbacks *cb) {
  switch (e->type) {
  case EV_CONNECT:
    if (cb->connection) cb->connection(cb->arg, e->client, e->i1, e->i2);
    break;
  case EV_DISCONNECT:
    if (cb->disconnect) cb->disconnect(cb->arg, e->client);
    break;
  case EV_RECV:
    if (cb->recvdata) cb->recvdata(cb->arg, e->client, e->head, e->data, (int)e->data_len);
    break;
  case EV_ACK:
    if (cb->ack) cb->ack(cb->arg, e->client, e->head, nz(&e->s1), e->i1, e->i2, nz(&e->s2));
    break;
  case EV_RET:
    if (cb->ret) cb->ret(cb->arg, e->client, e->head, nz(&e->s1), e->i1, e->i2, nz(&e->s2));
    break;
  case EV_GLOBAL:
    if (cb->global) cb->global(cb->arg, e->g[0], e->g[1], e->g[2], e->g[3], e->g[4], nz(&e->s1));
    break;
  case EV_TRACE_INFO:
  case EV_TRACE_ERROR: {
    int err = e->type == EV_TRACE_ERROR;
    smartbus_cli_trace_str_cb s = err ? cb->trace_error : cb->trace_info;
    smartbus_cli_trace_cb v = err ? cb->vtrace_error : cb->vtrace_info;
    if (s) s(nz(&e->s1));
    if (v) v("%s", nz(&e->s1));
    break;
  }
  }
}

void sb_dispatch(sb_lib *lib) {
  while (lib->ev_head && !lib->stopping) {
    sb_event *e = lib->ev_head;
    lib->ev_head = e->next;
    if (!lib->ev_head) lib->ev_tail = NULL;
    sb_callbacks cb = g_cb;
    lib->in_dispatch = 1;
    pthread_mutex_unlock(&g_mu);
    raise_one(e, &cb);
    sb_event_free(e);
    pthread_mutex_lock(&g_mu);
    lib->in_dispatch = 0;
  }
}

/* Frames from the bus: validate, then turn into callback events. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "standin.h"


static SMARTBUS_PACKET_HEAD *packet_head(const sb_addr_head *h, int32_t len) {
  SMARTBUS_PACKET_HEAD *p = malloc(sizeof *p);
  if (p) sb_head_to_packet(h, len, p);
  return p;
}

static sb_pending *take_pending(sb_lib *lib, unsigned char client, int invoke_id) {
  for (sb_pending **pp = &lib->pending; *pp; pp = &(*pp)->next) {
    sb_pending *p = *pp;
    if (p->client == client && p->invoke_id == invoke_id) {
      *pp = p->next;
      return p;
    }
  }
  return NULL;
}

static void on_login_answer(sb_lib *lib, sb_client *c, sb_reader *r, int64_t now) {
  int32_t result = sb_rd_i32(r), hb = sb_rd_i32(r);
  char *reason = sb_rd_str(r, NULL);
  if (r->bad || r->at != r->len) {
    free(reason);
    sb_link_broken(lib, c, "malformed LOGIN_ANSWER", now);
    return;
  }
  if (result < 0) {
    /* As the vendor's build: a refusal closes this host for good, except
       -10 (the unit is still registered there: retried) and the link-level
       -20 and -3 (the mock's answers of a node that is down). */
    if (result != SMARTBUS_ERR_CONNECTED && result != SMARTBUS_ERR_ESTABLI_CONNECT &&
        result != SMARTBUS_ERR_CONNECT_BREAK)
      c->refused |= 1 << c->which;
    sb_attempt_failed(lib, c, result, reason ? reason : "login refused", now);
    free(reason);
    return;
  }
  free(reason);
  c->state = CS_READY;
  c->access_unit = result;
  c->hb_ms = hb > 0 ? hb : SB_DEFAULT_HEARTBEAT_MS;
  c->last_rx_ms = c->last_tx_ms = now;
  sb_trace(lib, 0, "client %u: connected to unit %d (%s:%u)", c->id, result, c->host[c->which],
           c->port[c->which]);
  sb_event *e = sb_event_new(lib, EV_CONNECT, c->id);
  if (e) {
    e->i1 = result;
    e->i2 = 0;
  }
}

/* One complete frame; returns -1 when it broke the link. */
static int on_frame(sb_lib *lib, sb_client *c, int kind, const sb_addr_head *h, const unsigned char *p,
                    int32_t len, int64_t now) {
  sb_reader r = {p, (size_t)len, 0, 0};
  if (c->state == CS_LOGIN) {
    if (kind == K_LOGIN_ANSWER) {
      on_login_answer(lib, c, &r, now);
      return c->fd < 0 ? -1 : 0;
    }
    if (kind != K_CLOSE) {
      sb_link_broken(lib, c, "frame before LOGIN_ANSWER", now);
      return -1;
    }
  }
  sb_event *e = NULL;
  switch (kind) {
  case K_DATA:
  case K_PING_ANSWER:
    e = sb_event_new(lib, EV_RECV, c->id);
    if (!e) return 0;
    e->head = packet_head(h, len);
    e->data = malloc(len ? (size_t)len : 1);
    e->data_len = (size_t)len;
    if (e->data && len) memcpy(e->data, p, (size_t)len);
    return 0;
  case K_FLOW_ACK:
  case K_FLOW_RESULT: {
    int32_t id = sb_rd_i32(&r), code = sb_rd_i32(&r);
    size_t np = 0, nt = 0;
    char *project = sb_rd_str(&r, &np), *text = sb_rd_str(&r, &nt);
    if (r.bad || r.at != r.len) {
      free(project);
      free(text);
      sb_link_broken(lib, c, "malformed flow answer", now);
      return -1;
    }
    if (kind == K_FLOW_RESULT) {
      sb_pending *pend = take_pending(lib, c->id, id);
      if (!pend) {
        sb_trace(lib, 0, "client %u: dropped a late or unknown flow result, invoke id %d", c->id, id);
        free(project);
        free(text);
        return 0;
      }
      free(pend->project);
      free(pend);
    }
    e = sb_event_new(lib, kind == K_FLOW_ACK ? EV_ACK : EV_RET, c->id);
    if (!e) {
      free(project);
      free(text);
      return 0;
    }
    e->head = packet_head(h, len);
    e->i1 = id;
    e->i2 = code;
    e->s1 = project;
    e->s2 = text;
    e->s1_len = np;
    e->s2_len = nt;
    return 0;
  }
  case K_GLOBAL_CONNECT: {
    char g[5];
    for (int i = 0; i < 4; i++) g[i] = (char)sb_rd_i8(&r);
    g[4] = (char)sb_rd_i8(&r);
    size_t ni = 0;
    char *info = sb_rd_str(&r, &ni);
    if (r.bad || r.at != r.len) {
      free(info);
      sb_link_broken(lib, c, "malformed GLOBAL_CONNECT", now);
      return -1;
    }
    e = sb_event_new(lib, EV_GLOBAL, c->id);
    if (!e) {
      free(info);
      return 0;
    }
    memcpy(e->g, g, 5);
    e->s1 = info;
    e->s1_len = ni;
    return 0;
  }
  case K_HEARTBEAT:
    return 0;
  case K_FLOW_INVOKE:
  case K_NOTIFY:
    sb_trace(lib, 1, "client %u: ignored an IPSC request (kind %d): the stand-in serves no flows", c->id, kind);
    return 0;
  case K_CLOSE: {
    int32_t code = sb_rd_i32(&r);
    char *reason = sb_rd_str(&r, NULL);
    char why[300];
    snprintf(why, sizeof why, "closed by the bus (%d): %s", (int)code, reason ? reason : "");
    free(reason);
    sb_link_broken(lib, c, why, now);
    return -1;
  }
  default:
    sb_link_broken(lib, c, "frame kind not allowed from the bus", now);
    return -1;
  }
}

void sb_frames_process(sb_lib *lib, sb_client *c, int64_t now) {
  size_t at = 0;
  while (c->in_len - at >= SB_WIRE_HEAD) {
    const unsigned char *p = c->in + at;
    int kind;
    int32_t len;
    const char *why;
    if (sb_head_check(p, &kind, &len, &why)) {
      sb_link_broken(lib, c, why, now);
      return;
    }
    if (c->in_len - at < SB_WIRE_HEAD + (size_t)len) break;
    sb_addr_head h;
    sb_head_read(p, &h);
    if (on_frame(lib, c, kind, &h, p + SB_WIRE_HEAD, len, now)) return;
    at += SB_WIRE_HEAD + (size_t)len;
  }
  if (at) {
    memmove(c->in, c->in + at, c->in_len - at);
    c->in_len -= at;
  }
}

/* Frames from the bus: reassemble by packet_size, then dispatch as the
   vendor's on_clientread does (docs/wire-protocol.md). */
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

static sb_pending *take_pending(sb_lib *lib, unsigned char client, int is_ack, int invoke_id) {
  for (sb_pending **pp = &lib->pending; *pp; pp = &(*pp)->next) {
    sb_pending *p = *pp;
    if (p->client == client && p->is_ack == is_ack && p->invoke_id == invoke_id) {
      *pp = p->next;
      return p;
    }
  }
  return NULL;
}

static void raise_recv(sb_lib *lib, sb_client *c, const sb_addr_head *h, const unsigned char *p, int32_t len) {
  sb_event *e = sb_event_new(lib, EV_RECV, c->id);
  if (!e) return;
  e->head = packet_head(h, len);
  e->data = malloc(len ? (size_t)len : 1);
  e->data_len = (size_t)len;
  if (e->data && len) memcpy(e->data, p, (size_t)len);
}

static void on_register_ack(sb_lib *lib, sb_client *c, int k, const sb_addr_head *h, const unsigned char *p,
                            int32_t len, int64_t now) {
  if (c->link[k].state != CS_LOGIN) {
    sb_trace(lib, 1, "client %u: ignored a REGISTER_ACK on the registered link %d#", c->id, k);
    return;
  }
  if (len < 4) {
    sb_link_broken(lib, c, k, "REGISTER_ACK shorter than 4 bytes", now);
    return;
  }
  int32_t result = sb_get_i32(p);
  /* As the vendor: the answering node is the access unit, whatever the result. */
  c->access_unit = h->src_unit;
  if (result == 0)
    sb_link_ready(lib, c, k, now);
  else
    sb_link_refused(lib, c, k, result, h->src_unit, now);
}

/* Link-level frames (cmdtype 0): the vendor handles 2 and 6 and drops the rest. */
static void on_link_frame(sb_lib *lib, sb_client *c, int k, const sb_addr_head *h, const unsigned char *p,
                          int32_t len, int64_t now) {
  if (h->cmd == CMD_REGISTER_ACK) on_register_ack(lib, c, k, h, p, len, now);
  /* HEARTBEAT_ACK: only its count means something, and the arrival itself
     (any byte) already kept the link alive. */
}

/* GLOBAL_CONNECT (9) or its reply (10): a whole struct with its own head. */
static void on_global(sb_lib *lib, sb_client *c, int k, const sb_addr_head *h, const unsigned char *p, int32_t len) {
  if (len != SB_GLOBAL_BODY) {
    sb_trace(lib, 1, "client %u: global_connect data is error (%d bytes)", c->id, (int)len);
    return;
  }
  if (!g_cb.global) return; /* as the vendor: no callback, no reply */
  sb_event *e = sb_event_new(lib, EV_GLOBAL, c->id);
  if (e) {
    memcpy(e->g, p + 20, 5); /* unitid, clientid, clienttype, accesspoint, status */
    e->s1 = sb_get_str(p + 25, 256);
  }
  if (h->cmd != CMD_GLOBAL_CONNECT || p[24] != 1) return;
  /* A client joined: tell it we are here (status 2), as the vendor does. */
  unsigned char b[SB_GLOBAL_BODY] = {0};
  sb_addr_head r;
  sb_own_head(&r, lib, c, CMD_GLOBAL_CONNECT_REPLY, SMARTBUS_CMDTYPE_SYSTEM, (signed char)p[20], (signed char)p[21],
              (signed char)p[22]);
  sb_head_write(b, &r, SB_GLOBAL_BODY, SB_GLOBAL_BODY - SB_WIRE_HEAD);
  b[20] = (unsigned char)lib->unit_id;
  b[21] = c->id;
  b[22] = (unsigned char)c->type;
  b[23] = (unsigned char)c->access_unit;
  b[24] = 2;
  sb_put_str(b + 25, 256, c->add_info);
  sb_link_send(lib, c, k, &r, b, sizeof b);
}

/* FLOW_RESULT (12) or FLOW_ACK (13) for a call we wait for. */
static void on_flow_answer(sb_lib *lib, sb_client *c, const sb_addr_head *h, const unsigned char *p, int32_t len) {
  int is_ack = h->cmd == CMD_FLOW_ACK;
  size_t min = is_ack ? SB_FLOW_ACK_MIN : SB_FLOW_RESULT_MIN, text_at = is_ack ? 49 : 45;
  if ((size_t)len < min) {
    sb_trace(lib, 1, "client %u: dropped a flow %s of %d bytes", c->id, is_ack ? "ack" : "result", (int)len);
    return;
  }
  int32_t id = sb_get_i32(p + 33);
  sb_pending *pend = take_pending(lib, c->id, is_ack, id);
  if (!pend) {
    sb_trace(lib, 0, "client %u: dropped a late or unknown flow %s, invoke id %d", c->id, is_ack ? "ack" : "result",
             (int)id);
    return;
  }
  sb_event *e = sb_event_new(lib, is_ack ? EV_ACK : EV_RET, c->id);
  if (!e) {
    free(pend->project);
    free(pend);
    return;
  }
  e->head = packet_head(h, len);
  e->i1 = id;
  e->i2 = is_ack ? sb_get_i32(p + 41) : 1; /* a result carries no code: the vendor says 1 */
  e->s1 = pend->project;                   /* the project id stored at the call */
  e->s2 = sb_get_str(p + text_at, (size_t)len - text_at);
  free(pend);
}

static void on_ping(sb_lib *lib, sb_client *c, int k, const sb_addr_head *h, const unsigned char *p, int32_t len) {
  sb_addr_head r;
  sb_own_head(&r, lib, c, CMD_PING_ANSWER, SMARTBUS_CMDTYPE_SYSTEM, h->src_unit, h->src_client, h->src_type);
  sb_link_send(lib, c, k, &r, p, (size_t)len);
  raise_recv(lib, c, h, p, len);
}

/* Data frames (cmdtype != 0). As the vendor, only cmdtype 1 (SYSTEM) makes
   7, 9, 10, 12 and 13 special (seen: 7/3, 9/3, 13/3 went to recvdata_cb). */
static void on_data_frame(sb_lib *lib, sb_client *c, int k, const sb_addr_head *h, const unsigned char *p,
                          int32_t len) {
  if (c->link[k].state != CS_READY) {
    sb_trace(lib, 1, "client %u: dropped a frame %u/%u before REGISTER_ACK", c->id, h->cmd, h->cmdtype);
    return;
  }
  if (h->dst_client < 0 && h->dst_type != (signed char)c->type) return; /* a broadcast for another type */
  int sys = h->cmdtype == SMARTBUS_CMDTYPE_SYSTEM;
  if (sys && h->cmd == CMD_PING) {
    on_ping(lib, c, k, h, p, len);
  } else if (sys && (h->cmd == CMD_GLOBAL_CONNECT || h->cmd == CMD_GLOBAL_CONNECT_REPLY)) {
    on_global(lib, c, k, h, p, len);
  } else if (sys && h->cmd == CMD_FLOW_ACK && g_cb.ack) {
    on_flow_answer(lib, c, h, p, len);
  } else if (sys && h->cmd == CMD_FLOW_RESULT && g_cb.ret) {
    on_flow_answer(lib, c, h, p, len);
  } else {
    raise_recv(lib, c, h, p, len); /* with no ack/ret callback, 13/12 land here too */
  }
}

void sb_frames_process(sb_lib *lib, sb_client *c, int k, int64_t now) {
  sb_link *l = &c->link[k];
  size_t at = 0;
  while (l->fd >= 0 && l->in_len - at >= SB_WIRE_HEAD) {
    const unsigned char *p = l->in + at;
    int32_t len, size;
    const char *why;
    if (sb_head_check(p, &len, &size, &why)) {
      sb_link_broken(lib, c, k, why, now);
      return;
    }
    if (l->in_len - at < (size_t)size) break;
    sb_addr_head h;
    sb_head_read(p, &h);
    at += (size_t)size;
    if (h.cmdtype == 0)
      on_link_frame(lib, c, k, &h, p + SB_WIRE_HEAD, len, now);
    else
      on_data_frame(lib, c, k, &h, p + SB_WIRE_HEAD, len);
  }
  if (l->fd < 0) return; /* the link was closed (and its buffer emptied) */
  if (at) {
    memmove(l->in, l->in + at, l->in_len - at);
    l->in_len -= at;
  }
}

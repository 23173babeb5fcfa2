/*
 * Internal state of the stand-in libbusnetcli. One global mutex (g_mu)
 * guards everything here; callbacks are always called with it released so
 * that a callback may call back into the library.
 */
#ifndef SMARTBUS_STANDIN_H
#define SMARTBUS_STANDIN_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "smartbus_netcli.h"

#define SB_WIRE_HEAD 20
#define SB_FRAME_LIMIT 65536
#define SB_MAX_STR 0xfffe
#define SB_OUT_CAP (8u * 1024u * 1024u) /* unsent bytes per client before -7 */
#define SB_CONNECT_TIMEOUT_MS 3000
#define SB_LOGIN_TIMEOUT_MS 5000
#define SB_DEFAULT_HEARTBEAT_MS 5000
#define SB_HEARTBEAT_MISSES 3
#define SB_DEFAULT_FLOW_TIMEOUT_MS 30000
#define SB_POISON 0xDD

enum sb_kind {
  K_LOGIN = 1,
  K_LOGIN_ANSWER,
  K_DATA,
  K_PING,
  K_PING_ANSWER,
  K_FLOW_INVOKE,
  K_FLOW_ACK,
  K_FLOW_RESULT,
  K_NOTIFY,
  K_GLOBAL_CONNECT,
  K_HEARTBEAT,
  K_CLOSE
};

/* A growable byte buffer. */
typedef struct {
  unsigned char *p;
  size_t len, cap;
} sb_buf;

/* The addressing part of a wire head. */
typedef struct {
  unsigned char cmd, cmdtype;
  signed char src_type, src_unit, src_client, dst_type, dst_unit, dst_client;
} sb_addr_head;

/* CS_REFUSED: every host refused a login for good; the client is never retried. */
enum sb_state { CS_WAIT, CS_CONNECTING, CS_LOGIN, CS_READY, CS_REFUSED };

typedef struct {
  unsigned char id;
  int type;
  char host[2][SMARTBUS_MAX_IP_ADDR_LEN + 1];
  unsigned short port[2];
  int nhosts; /* 1: master only, 2: master and slave */
  char *user, *pwd, *add_info; /* user/pwd NULL when none */
  int state, fd, which;
  int refused; /* bit h: host h refused a login for good (any code but -10) */
  int64_t next_attempt_ms, deadline_ms, last_rx_ms, last_tx_ms;
  int hb_ms, access_unit;
  sb_buf out;
  size_t out_off;
  unsigned char *in;
  size_t in_len;
} sb_client;

typedef struct sb_pending {
  struct sb_pending *next;
  unsigned char client;
  int invoke_id;
  char *project;
  int64_t deadline_ms;
} sb_pending;

enum sb_event_type { EV_CONNECT, EV_DISCONNECT, EV_RECV, EV_ACK, EV_RET, EV_GLOBAL, EV_TRACE_INFO, EV_TRACE_ERROR };

/* A callback to raise; every pointer is its own heap block, poisoned and
   freed right after the callback returns. */
typedef struct sb_event {
  struct sb_event *next;
  int type;
  unsigned char client;
  int i1, i2;
  SMARTBUS_PACKET_HEAD *head;
  void *data;
  size_t data_len;
  char *s1, *s2;
  size_t s1_len, s2_len; /* string lengths when they may hold NULs (0: use strlen) */
  char g[5];
} sb_event;

typedef struct {
  int unit_id;
  int stopping, in_dispatch, thread_owns;
  pthread_t thread;
  int wake[2];
  sb_client *clients[256];
  sb_pending *pending;
  sb_event *ev_head, *ev_tail;
  int next_invoke;
  int reconnect_ms;
} sb_lib;

typedef struct {
  smartbus_cli_connection_cb connection;
  smartbus_cli_recvdata_cb recvdata;
  smartbus_cli_disconnect_cb disconnect;
  smartbus_cli_invokeflow_ret_cb ret;
  smartbus_cli_invokeflow_ack_cb ack;
  smartbus_cli_global_connect_cb global;
  smartbus_cli_trace_str_cb trace_info, trace_error;
  smartbus_cli_trace_cb vtrace_info, vtrace_error;
  void *arg;
} sb_callbacks;

extern pthread_mutex_t g_mu;
extern sb_lib *g_lib;
extern sb_callbacks g_cb;

/* sb_util.c */
int64_t sb_now_ms(void);
int sb_buf_reserve(sb_buf *b, size_t extra);
int sb_buf_put(sb_buf *b, const void *p, size_t n);
int sb_buf_u8(sb_buf *b, unsigned v);
int sb_buf_i32(sb_buf *b, int32_t v);
int sb_buf_str(sb_buf *b, const char *s, int nullable); /* s may be NULL only when nullable */
void sb_buf_free(sb_buf *b);
char *sb_strdup_n(const void *p, size_t n);
void sb_poison_free(void *p, size_t n);
void sb_wake(sb_lib *lib);

/* sb_wire.c: frames */
int sb_frame_append(sb_buf *out, int kind, const sb_addr_head *h, const sb_buf *payload);
/* Returns 0 when complete head is valid, -1 with *why set when not. */
int sb_head_check(const unsigned char *p, int *kind, int32_t *len, const char **why);
void sb_head_read(const unsigned char *p, sb_addr_head *h);
void sb_head_to_packet(const sb_addr_head *h, int32_t datalen, SMARTBUS_PACKET_HEAD *out);

/* Payload reading cursor. */
typedef struct {
  const unsigned char *p;
  size_t len, at;
  int bad;
} sb_reader;
int32_t sb_rd_i32(sb_reader *r);
int sb_rd_i8(sb_reader *r);
/* A string field as a fresh NUL-terminated heap block (NULL when absent or bad). */
char *sb_rd_str(sb_reader *r, size_t *n);

/* sb_events.c (call with g_mu held unless noted) */
sb_event *sb_event_new(sb_lib *lib, int type, unsigned char client);
void sb_trace(sb_lib *lib, int error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void sb_event_free(sb_event *e);
/* Raises every queued event; drops g_mu around each callback. */
void sb_dispatch(sb_lib *lib);

/* sb_net.c */
void *sb_net_main(void *arg);
void sb_client_free(sb_client *c);
int sb_client_send(sb_lib *lib, sb_client *c, int kind, const sb_addr_head *h, const sb_buf *payload);
/* A connect attempt failed: report `code`, then try the slave or wait. */
void sb_attempt_failed(sb_lib *lib, sb_client *c, int code, const char *why, int64_t now);
/* An established link broke (or, before READY, the attempt failed). */
void sb_link_broken(sb_lib *lib, sb_client *c, const char *why, int64_t now);
void sb_lib_free(sb_lib *lib);

/* sb_recv.c: parse whatever complete frames c->in holds. */
void sb_frames_process(sb_lib *lib, sb_client *c, int64_t now);

#endif

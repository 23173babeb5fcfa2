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
#define SB_FRAME_LIMIT 65536 /* largest datalen accepted from the bus */
#define SB_OUT_CAP (8u * 1024u * 1024u) /* unsent bytes per link before -7 */
#define SB_CONNECT_TIMEOUT_MS 3000
#define SB_LOGIN_TIMEOUT_MS 5000
#define SB_HEARTBEAT_MS 1000          /* the vendor's heartbeat period */
#define SB_DEFAULT_LINK_TIMEOUT_MS 14000 /* the vendor: nothing received for 14 s */
#define SB_DEFAULT_RECONNECT_MS 2000  /* the vendor's retry period */
#define SB_POISON 0xDD
/* Receive buffer: a whole frame of the largest datalen and its extra bytes. */
#define SB_IN_CAP (SB_WIRE_HEAD + SB_FRAME_LIMIT + 3)

/* Commands (head.cmd). Link level ones travel with cmdtype 0, the rest with
   cmdtype 1 (SYSTEM); see docs/wire-protocol.md. */
enum sb_cmd {
  CMD_REGISTER = 1,
  CMD_REGISTER_ACK = 2,
  CMD_HEARTBEAT = 5,
  CMD_HEARTBEAT_ACK = 6,
  CMD_PING = 7,
  CMD_PING_ANSWER = 8,
  CMD_GLOBAL_CONNECT = 9,
  CMD_GLOBAL_CONNECT_REPLY = 10,
  CMD_CALL_FLOW = 11,
  CMD_FLOW_RESULT = 12,
  CMD_FLOW_ACK = 13,
  CMD_NOTIFY = 15
};

/* Body sizes and offsets of the vendor's packed structs (its DWARF). */
#define SB_REGISTER_BODY 6005
#define SB_REG_NODE 449                 /* SMARTBUS_NODE node */
#define SB_REG_CLI0 (SB_REG_NODE + 148) /* node.cli[0] */
#define SB_GLOBAL_BODY 281              /* SMARTBUS_GLOBAL_CONNECT, inner head included */
#define SB_CALL_FLOW_BODY 114           /* SMARTBUS_CALL_FLOW, text at 112 */
#define SB_NOTIFY_BODY 150              /* SMARTBUS_NOTIFY, text at 148 */
#define SB_FLOW_RESULT_MIN 47
#define SB_FLOW_ACK_MIN 51
#define SB_HEARTBEAT_BODY 32
#define SB_MAX_FLOW_TEXT 16001   /* RemoteInvokeFlow: strlen(in_valuelist) */
#define SB_MAX_NOTIFY_TEXT 15999 /* SendNotify: strlen(param) */

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

/* Per link. CS_REFUSED: the host refused a login for good (any code but
   -10); the vendor never tries it again. */
enum sb_state { CS_WAIT, CS_CONNECTING, CS_LOGIN, CS_READY, CS_REFUSED };

/* One TCP link: index 0 to the master, 1 to the slave. */
typedef struct {
  int state, fd;
  int failing; /* the last attempt failed: the next failures are not traced */
  int64_t next_attempt_ms, deadline_ms, last_rx_ms, next_hb_ms;
  int64_t hb_count;
  sb_buf out;
  size_t out_off;
  unsigned char *in;
  size_t in_len;
} sb_link;

typedef struct {
  unsigned char id;
  int type;
  char host[2][SMARTBUS_MAX_IP_ADDR_LEN + 1];
  unsigned short port[2];
  int nhosts; /* 1: master only, 2: master and slave (both links run at once) */
  char user[64], pwd[128], add_info[256]; /* cut like the vendor's strnzcpy */
  sb_link link[2];
  int active;      /* the link data goes over: the first one registered, -1 none */
  int access_unit; /* src unit of the last REGISTER_ACK on either link, -1 before */
  int fail_reported; /* a connect failure was reported since the last login */
} sb_client;

/* A wait for a flow's result (ret) or its acknowledgement (ack). */
typedef struct sb_pending {
  struct sb_pending *next;
  unsigned char client;
  int is_ack;
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
  int next_invoke, next_notify;
  int reconnect_ms, link_timeout_ms;
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
void sb_buf_free(sb_buf *b);
char *sb_strdup_n(const void *p, size_t n);
void sb_poison_free(void *p, size_t n);
void sb_wake(sb_lib *lib);
void sb_put_i32(unsigned char *p, int32_t v);
void sb_put_i64(unsigned char *p, int64_t v);
int32_t sb_get_i32(const unsigned char *p);
/* Copies s into a zeroed field of `size` bytes, cut to size-1 (NULL: ""). */
void sb_put_str(unsigned char *field, size_t size, const char *s);
/* A NUL-terminated copy of at most `max` bytes of p, stopping at a NUL. */
char *sb_get_str(const unsigned char *p, size_t max);

/* Frames. */
void sb_head_write(unsigned char *p, const sb_addr_head *h, int32_t packet_size, int32_t datalen);
/* A head from client `c` of `lib` (its own address as the source) to
   <dunit.dclient:dtype>. */
void sb_own_head(sb_addr_head *h, const sb_lib *lib, const sb_client *c, unsigned char cmd, unsigned char cmdtype,
                 int dunit, int dclient, int dtype);
/* Appends head + body + (len % 4) zero bytes, the vendor's packet_size. */
int sb_frame_append(sb_buf *out, const sb_addr_head *h, const void *body, size_t len);
/* Checks a head; returns 0 and the whole frame's size, or -1 with *why. */
int sb_head_check(const unsigned char *p, int32_t *datalen, int32_t *packet_size, const char **why);
void sb_head_read(const unsigned char *p, sb_addr_head *h);
void sb_head_to_packet(const sb_addr_head *h, int32_t datalen, SMARTBUS_PACKET_HEAD *out);

/* sb_events.c (call with g_mu held unless noted) */
sb_event *sb_event_new(sb_lib *lib, int type, unsigned char client);
void sb_trace(sb_lib *lib, int error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void sb_event_free(sb_event *e);
/* Raises every queued event; drops g_mu around each callback. */
void sb_dispatch(sb_lib *lib);

/* sb_net.c */
void *sb_net_main(void *arg);
void sb_client_free(sb_client *c);
/* Queues a frame on link k of c. */
int sb_link_send(sb_lib *lib, sb_client *c, int k, const sb_addr_head *h, const void *body, size_t len);
/* Link k registered (REGISTER_ACK 0). */
void sb_link_ready(sb_lib *lib, sb_client *c, int k, int64_t now);
/* Link k was refused with `code` by the node of unit `unit`. */
void sb_link_refused(sb_lib *lib, sb_client *c, int k, int code, int unit, int64_t now);
/* Link k broke, or its attempt failed; the next attempt is scheduled. */
void sb_link_broken(sb_lib *lib, sb_client *c, int k, const char *why, int64_t now);
void sb_lib_free(sb_lib *lib);

/* sb_recv.c: parse whatever complete frames link k of c holds. */
void sb_frames_process(sb_lib *lib, sb_client *c, int k, int64_t now);

#endif

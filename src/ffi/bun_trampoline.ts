/**
 * C source of the Bun backend's copy trampoline, compiled at load time by
 * `bun:ffi`'s `cc` (TinyCC). Kept as a string so that it ships inside the
 * TypeScript package.
 *
 * Why: Bun's thread-safe `JSCallback` returns to the library's thread before
 * JS runs, and the library frees `head`, `data` and strings as soon as the
 * callback returns. The trampoline's functions are the callbacks given to the
 * library: each copies every argument into ONE heap block (fixed header of
 * `int`s, then the byte fields) before returning, appends it to a native
 * queue, and wakes JS through a thread-safe `JSCallback` only when the queue
 * was idle. JS pops blocks with `tramp_pop`, copies them out and frees each
 * with `tramp_free` exactly once.
 *
 * Block layout (host byte order): `next` pointer at 0, `int total` at 8,
 * `int kind` at 12, `int v[6]` at 16, `int len[3]` at 40 (-1 = NULL pointer),
 * then the three byte fields back to back from `tramp_header_size()`.
 * @module
 */

/** Block kinds, in the order of {@link TRAMPOLINE_SOURCE}'s enum. */
export const BlockKind = {
  connection: 0,
  recvData: 1,
  disconnect: 2,
  invokeFlowAck: 3,
  invokeFlowRet: 4,
  globalConnect: 5,
  traceInfo: 6,
  traceError: 7,
} as const;

/** Byte offsets of a block's header fields. */
export const BlockLayout = {
  total: 8,
  kind: 12,
  values: 16,
  lengths: 40,
} as const;

/**
 * `tramp_fn(which)` returns the callback for `which` (these indexes).
 */
export const TrampolineFn = {
  connection: 0,
  recvdata: 1,
  disconnect: 2,
  invokeflowAck: 3,
  invokeflowRet: 4,
  globalConnect: 5,
  traceInfo: 6,
  traceError: 7,
} as const;

/** The trampoline's C11 source (TinyCC; libc and pthreads only). */
export const TRAMPOLINE_SOURCE: string = String.raw`
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef void (*wake_fn)(void);

typedef struct blk {
  struct blk *next;
  int total;
  int kind;
  int v[6];
  int len[3];
} blk;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static blk *q_head, *q_tail;
static wake_fn g_wake;
static int g_wake_pending;
static int g_head_size = 28;
static long g_live, g_dropped;

static int slen(const char *s) { return s ? (int)strlen(s) : -1; }

/* Copy now: every pointer dies when the calling callback returns. */
static void put(int kind, const int *v, int nv, const void *b0, int l0,
                const void *b1, int l1, const void *b2, int l2) {
  const void *bufs[3] = {b0, b1, b2};
  int lens[3] = {b0 ? l0 : -1, b1 ? l1 : -1, b2 ? l2 : -1};
  size_t total = sizeof(blk);
  for (int i = 0; i < 3; i++) {
    if (lens[i] < 0) lens[i] = -1;
    if (lens[i] > 0) total += (size_t)lens[i];
  }
  blk *b = (blk *)malloc(total);
  if (!b) {
    pthread_mutex_lock(&mu);
    g_dropped++;
    pthread_mutex_unlock(&mu);
    return;
  }
  memset(b, 0, sizeof(blk));
  b->total = (int)total;
  b->kind = kind;
  for (int i = 0; i < nv; i++) b->v[i] = v[i];
  char *at = (char *)b + sizeof(blk);
  for (int i = 0; i < 3; i++) {
    b->len[i] = lens[i];
    if (lens[i] > 0) {
      memcpy(at, bufs[i], (size_t)lens[i]);
      at += lens[i];
    }
  }
  wake_fn w = 0;
  pthread_mutex_lock(&mu);
  if (q_tail) q_tail->next = b; else q_head = b;
  q_tail = b;
  g_live++;
  if (!g_wake_pending && g_wake) {
    g_wake_pending = 1;
    w = g_wake;
  }
  pthread_mutex_unlock(&mu);
  if (w) w();
}

static void cb_connection(void *arg, unsigned char id, int unit, int ack) {
  (void)arg;
  int v[3] = {id, unit, ack};
  put(0, v, 3, 0, 0, 0, 0, 0, 0);
}
static void cb_recvdata(void *arg, unsigned char id, const void *head,
                        const void *data, int size) {
  (void)arg;
  int v[2] = {id, size};
  put(1, v, 2, head, g_head_size, data, size > 0 ? size : 0, 0, 0);
}
static void cb_disconnect(void *arg, unsigned char id) {
  (void)arg;
  int v[1] = {id};
  put(2, v, 1, 0, 0, 0, 0, 0, 0);
}
static void cb_flow(int kind, unsigned char id, const void *head,
                    const char *project, int invoke_id, int code,
                    const char *text) {
  int v[3] = {id, invoke_id, code};
  put(kind, v, 3, head, g_head_size, project, slen(project), text, slen(text));
}
static void cb_invokeflow_ack(void *arg, unsigned char id, const void *head,
                              const char *project, int invoke_id, int ack,
                              const char *msg) {
  (void)arg;
  cb_flow(3, id, head, project, invoke_id, ack, msg);
}
static void cb_invokeflow_ret(void *arg, unsigned char id, const void *head,
                              const char *project, int invoke_id, int ret,
                              const char *param) {
  (void)arg;
  cb_flow(4, id, head, project, invoke_id, ret, param);
}
static void cb_global_connect(void *arg, signed char unit, signed char client,
                              signed char type, signed char access,
                              signed char status, const char *add_info) {
  (void)arg;
  int v[5] = {unit, client, type, access, status};
  put(5, v, 5, add_info, slen(add_info), 0, 0, 0, 0);
}
static void cb_trace_info(const char *msg) { put(6, 0, 0, msg, slen(msg), 0, 0, 0, 0); }
static void cb_trace_error(const char *msg) { put(7, 0, 0, msg, slen(msg), 0, 0, 0, 0); }

void *tramp_fn(int which) {
  switch (which) {
  case 0: return (void *)cb_connection;
  case 1: return (void *)cb_recvdata;
  case 2: return (void *)cb_disconnect;
  case 3: return (void *)cb_invokeflow_ack;
  case 4: return (void *)cb_invokeflow_ret;
  case 5: return (void *)cb_global_connect;
  case 6: return (void *)cb_trace_info;
  case 7: return (void *)cb_trace_error;
  }
  return 0;
}

/* wake may be NULL: blocks then wait in the queue until a wake is set. */
void tramp_set_wake(void *wake, int head_size) {
  pthread_mutex_lock(&mu);
  g_wake = (wake_fn)wake;
  g_head_size = head_size;
  g_wake_pending = 0;
  pthread_mutex_unlock(&mu);
}

/* The oldest block, or NULL (and the next block will wake JS again). */
void *tramp_pop(void) {
  pthread_mutex_lock(&mu);
  blk *b = q_head;
  if (b) {
    q_head = b->next;
    if (!q_head) q_tail = 0;
    b->next = 0;
  } else {
    g_wake_pending = 0;
  }
  pthread_mutex_unlock(&mu);
  return b;
}

/* Poisoned before it is freed, so that a late read shows up in tests. */
void tramp_free(void *b) {
  if (!b) return;
  memset(b, 0xEE, (size_t)((blk *)b)->total);
  free(b);
  pthread_mutex_lock(&mu);
  g_live--;
  pthread_mutex_unlock(&mu);
}

int tramp_header_size(void) { return (int)sizeof(blk); }

/* Blocks allocated and not yet freed (queued or being read). */
int tramp_live(void) {
  pthread_mutex_lock(&mu);
  int n = (int)g_live;
  pthread_mutex_unlock(&mu);
  return n;
}

/* Events lost because malloc failed. */
int tramp_dropped(void) {
  pthread_mutex_lock(&mu);
  int n = (int)g_dropped;
  pthread_mutex_unlock(&mu);
  return n;
}
`;

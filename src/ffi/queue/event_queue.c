/*
 * event_queue.c: see event_queue.h for the contract. C11 + pthreads, no other
 * dependency, so one build serves Deno, Bun and Node (koffi) alike.
 *
 * Why a ring and not a list of heap blocks (the Bun trampoline's first
 * design): one malloc'd region, no malloc/free per event, bounded memory, and
 * a drain is one memcpy of many records into the caller's buffer.
 *
 * Locking: one mutex `mu` guards the ring's indexes and counters. Producers
 * (the library's threads) copy under it (records are small and the copy is
 * what makes the pointers safe to drop). The consumer (the JS thread) only
 * reads the span it owns outside `mu`, serialised by `drain_mu`: producers
 * never write into bytes still counted in `used`.
 */
#define _GNU_SOURCE
#include "event_queue.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define EQ_KIND_WRAP (-1)
#define DEFAULT_CAPACITY (4 << 20)
#define MIN_CAPACITY (64 << 10)
#define MAX_CAPACITY (1 << 30)

typedef void (*wake_fn)(void);

typedef struct {
  int32_t total;
  int32_t kind;
  int32_t v[5];
  int32_t len[3];
} rec_head;

_Static_assert(sizeof(rec_head) == EQ_HEADER_SIZE, "record header is 40 bytes");

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t drain_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv_space = PTHREAD_COND_INITIALIZER;
static pthread_cond_t cv_wake = PTHREAD_COND_INITIALIZER;

static unsigned char *ring;
static size_t cap = DEFAULT_CAPACITY, rd, wr, used, records;
static int head_size = 28;
static int block_ms = 1000;
static int waiting; /* producers waiting for room */

static double n_pushed, n_dropped, n_drained, n_wakes, high_water;

static wake_fn g_wake;
static int g_mode;
static int armed;
static int wake_req;
static int waker_started;
/* EQ_WAKE_SOCKET: the connection JS reads, and while it is being set up the
   listening socket and its path. Never closed once accepted: the library's
   thread may be writing to it at any time. */
static int wake_fd = -1, listen_fd = -1;
static char listen_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

/* Called with `mu` held. */
static int wake_enabled(void) { return g_mode == EQ_WAKE_SOCKET ? wake_fd >= 0 : g_wake != 0; }

/* Called with `mu` held, `armed` just cleared: how to wake JS. The socket's
   byte and a direct call are made once `mu` is released. */
static void wake_locked(wake_fn *call, int *fd) {
  n_wakes++;
  if (g_mode == EQ_WAKE_SOCKET) {
    *fd = wake_fd;
  } else if (g_mode == EQ_WAKE_THREAD) {
    wake_req = 1;
    pthread_cond_signal(&cv_wake);
  } else {
    *call = g_wake;
  }
}

/* One byte per batch; a full socket already holds a wake, and a closed one
   has no reader left: both are fine to ignore. */
static void wake_unlocked(wake_fn call, int fd) {
  if (fd >= 0) {
    char b = 1;
    (void)!send(fd, &b, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
  } else if (call) {
    call();
  }
}


static size_t align8(size_t n) { return (n + 7) & ~(size_t)7; }

/* Offset of `need` contiguous bytes now reserved, or -1 when they do not fit. */
static long reserve(size_t need) {
  if (used == 0) rd = wr = 0;
  if (used == cap) return -1;
  if (wr >= rd) {
    if (cap - wr >= need) {
      long at = (long)wr;
      wr += need;
      if (wr == cap) wr = 0;
      used += need;
      return at;
    }
    if (rd < need) return -1;
    /* Not enough room at the end: a marker there, the record at 0. */
    rec_head *mark = (rec_head *)(ring + wr);
    mark->total = (int32_t)(cap - wr);
    mark->kind = EQ_KIND_WRAP;
    used += cap - wr;
    wr = need;
    used += need;
    return 0;
  }
  if (rd - wr < need) return -1;
  long at = (long)wr;
  wr += need;
  used += need;
  return at;
}

static int ensure_ring(void) {
  if (ring) return 0;
  ring = malloc(cap);
  return ring ? 0 : -1;
}

/* Wait for room until `deadline` (or forever); 0 when the wait ended by time or policy. */
static int wait_room(const struct timespec *deadline) {
  if (block_ms == 0) return 0;
  waiting++;
  int rc = deadline ? pthread_cond_timedwait(&cv_space, &mu, deadline) : pthread_cond_wait(&cv_space, &mu);
  waiting--;
  return rc != ETIMEDOUT && block_ms != 0;
}

/* Copy now: every pointer dies when the calling callback returns. */
static void put(int kind, const int32_t *v, int nv, const void *b0, int l0, const void *b1, int l1, const void *b2,
                int l2) {
  const void *bufs[3] = {b0, b1, b2};
  int32_t lens[3] = {b0 ? l0 : -1, b1 ? l1 : -1, b2 ? l2 : -1};
  size_t body = 0;
  for (int i = 0; i < 3; i++) {
    if (lens[i] < -1) lens[i] = 0;
    if (lens[i] > 0) body += (size_t)lens[i];
  }
  size_t need = align8(sizeof(rec_head) + body);
  wake_fn call = 0;
  int fd = -1;
  pthread_mutex_lock(&mu);
  long at = -1;
  if (ensure_ring() == 0 && need <= cap) {
    struct timespec deadline, *dl = 0;
    int timed = 0;
    while ((at = reserve(need)) < 0) {
      if (block_ms > 0 && !timed) {
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += block_ms / 1000;
        deadline.tv_nsec += (long)(block_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) deadline.tv_sec++, deadline.tv_nsec -= 1000000000L;
        dl = &deadline;
        timed = 1;
      }
      if (!wait_room(block_ms < 0 ? 0 : dl)) {
        at = reserve(need);
        break;
      }
    }
  }
  if (at < 0) {
    n_dropped++;
    pthread_mutex_unlock(&mu);
    return;
  }
  rec_head *h = (rec_head *)(ring + at);
  memset(h, 0, sizeof *h);
  h->total = (int32_t)need;
  h->kind = kind;
  for (int i = 0; i < nv; i++) h->v[i] = v[i];
  unsigned char *p = ring + at + sizeof(rec_head);
  for (int i = 0; i < 3; i++) {
    h->len[i] = lens[i];
    if (lens[i] > 0) {
      memcpy(p, bufs[i], (size_t)lens[i]);
      p += lens[i];
    }
  }
  records++;
  n_pushed++;
  if ((double)used > high_water) high_water = (double)used;
  if (armed && wake_enabled()) {
    armed = 0;
    wake_locked(&call, &fd);
  }
  pthread_mutex_unlock(&mu);
  wake_unlocked(call, fd);
}

static int32_t slen(const char *s) { return s ? (int32_t)strlen(s) : -1; }

void eq_cb_connection(void *arg, unsigned char id, int unit, int ack) {
  (void)arg;
  int32_t v[3] = {id, unit, ack};
  put(EQ_KIND_CONNECTION, v, 3, 0, 0, 0, 0, 0, 0);
}

void eq_cb_recvdata(void *arg, unsigned char id, const void *head, const void *data, int size) {
  (void)arg;
  int32_t v[2] = {id, size};
  /* size < 0 never comes from the library; stored as an empty field. */
  put(EQ_KIND_RECVDATA, v, 2, head, head_size, data ? data : "", data && size > 0 ? size : 0, 0, 0);
}

void eq_cb_disconnect(void *arg, unsigned char id) {
  (void)arg;
  int32_t v[1] = {id};
  put(EQ_KIND_DISCONNECT, v, 1, 0, 0, 0, 0, 0, 0);
}

static void flow(int kind, unsigned char id, const void *head, const char *project, int invoke_id, int code,
                 const char *text) {
  int32_t v[3] = {id, invoke_id, code};
  put(kind, v, 3, head, head_size, project, slen(project), text, slen(text));
}

void eq_cb_invokeflow_ack(void *arg, unsigned char id, const void *head, const char *project, int invoke_id, int ack,
                          const char *msg) {
  (void)arg;
  flow(EQ_KIND_INVOKEFLOW_ACK, id, head, project, invoke_id, ack, msg);
}

void eq_cb_invokeflow_ret(void *arg, unsigned char id, const void *head, const char *project, int invoke_id, int ret,
                          const char *param) {
  (void)arg;
  flow(EQ_KIND_INVOKEFLOW_RET, id, head, project, invoke_id, ret, param);
}

void eq_cb_global_connect(void *arg, signed char unit, signed char client, signed char type, signed char access,
                          signed char status, const char *add_info) {
  (void)arg;
  int32_t v[5] = {unit, client, type, access, status};
  put(EQ_KIND_GLOBAL_CONNECT, v, 5, add_info, slen(add_info), 0, 0, 0, 0);
}

void eq_cb_trace_info(const char *msg) { put(EQ_KIND_TRACE_INFO, 0, 0, msg, slen(msg), 0, 0, 0, 0); }

void eq_cb_trace_error(const char *msg) { put(EQ_KIND_TRACE_ERROR, 0, 0, msg, slen(msg), 0, 0, 0, 0); }

void *eq_fn(int kind) {
  switch (kind) {
  case EQ_KIND_CONNECTION: return (void *)eq_cb_connection;
  case EQ_KIND_RECVDATA: return (void *)eq_cb_recvdata;
  case EQ_KIND_DISCONNECT: return (void *)eq_cb_disconnect;
  case EQ_KIND_INVOKEFLOW_ACK: return (void *)eq_cb_invokeflow_ack;
  case EQ_KIND_INVOKEFLOW_RET: return (void *)eq_cb_invokeflow_ret;
  case EQ_KIND_GLOBAL_CONNECT: return (void *)eq_cb_global_connect;
  case EQ_KIND_TRACE_INFO: return (void *)eq_cb_trace_info;
  case EQ_KIND_TRACE_ERROR: return (void *)eq_cb_trace_error;
  }
  return 0;
}

int eq_configure(int capacity, int head, int block) {
  if (capacity != 0 && (capacity < MIN_CAPACITY || capacity > MAX_CAPACITY)) return -1;
  if (head != 0 && head != 20 && head != 28) return -1;
  int rc = 0;
  pthread_mutex_lock(&mu);
  size_t want = capacity ? (size_t)capacity & ~(size_t)7 : cap;
  if (want != cap) {
    if (used != 0 || pthread_mutex_trylock(&drain_mu) != 0) {
      rc = -2;
    } else {
      unsigned char *bigger = malloc(want);
      if (!bigger) {
        rc = -3;
      } else {
        free(ring);
        ring = bigger;
        cap = want;
        rd = wr = 0;
      }
      pthread_mutex_unlock(&drain_mu);
    }
  }
  if (rc == 0) {
    if (head) head_size = head;
    block_ms = block;
    pthread_cond_broadcast(&cv_space);
  }
  pthread_mutex_unlock(&mu);
  return rc;
}

void eq_set_block(int block) {
  pthread_mutex_lock(&mu);
  block_ms = block;
  pthread_cond_broadcast(&cv_space);
  pthread_mutex_unlock(&mu);
}

/* The queue's own thread: calls the wake for runtimes whose thread-safe callbacks block their caller. */
static void *waker(void *unused) {
  (void)unused;
  pthread_mutex_lock(&mu);
  for (;;) {
    while (!wake_req) pthread_cond_wait(&cv_wake, &mu);
    wake_req = 0;
    wake_fn fn = g_wake;
    pthread_mutex_unlock(&mu);
    if (fn) fn();
    pthread_mutex_lock(&mu);
  }
  return 0;
}

/* Called with `mu` held. Lives as long as the process: a runtime callback may be running on it. */
static int start_waker(void) {
  if (waker_started) return 0;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old); /* signals stay with the runtime's threads */
  pthread_t t;
  int rc = pthread_create(&t, &attr, waker, 0);
  pthread_sigmask(SIG_SETMASK, &old, 0);
  pthread_attr_destroy(&attr);
  if (rc == 0) waker_started = 1;
  return rc == 0 ? 0 : -1;
}

void eq_set_wake(void *wake, int mode) {
  wake_fn call = 0;
  int fd = -1;
  pthread_mutex_lock(&mu);
  g_wake = (wake_fn)wake;
  if (mode == EQ_WAKE_SOCKET && wake_fd >= 0 && wake) {
    g_mode = EQ_WAKE_SOCKET;
  } else {
    int thread = (mode == EQ_WAKE_THREAD || mode == EQ_WAKE_SOCKET) && start_waker() == 0;
    g_mode = thread ? EQ_WAKE_THREAD : EQ_WAKE_DIRECT;
  }
  armed = wake_enabled();
  if (armed && records > 0) {
    armed = 0;
    wake_locked(&call, &fd);
  }
  pthread_mutex_unlock(&mu);
  wake_unlocked(call, fd);
}

int eq_wake_listen(const char *path) {
  struct sockaddr_un a;
  if (!path || strlen(path) >= sizeof a.sun_path) return -EINVAL;
  pthread_mutex_lock(&mu);
  int rc = 0;
  if (wake_fd >= 0) {
    rc = -EALREADY;
  } else {
    if (listen_fd >= 0) {
      close(listen_fd);
      unlink(listen_path);
    }
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    strcpy(a.sun_path, path);
    listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listen_fd < 0) {
      rc = -errno;
    } else if (bind(listen_fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(listen_fd, 1) < 0) {
      rc = -errno;
      close(listen_fd);
      listen_fd = -1;
    } else {
      strcpy(listen_path, path);
    }
  }
  pthread_mutex_unlock(&mu);
  return rc;
}

int eq_wake_accept(void) {
  pthread_mutex_lock(&mu);
  int rc = 0;
  if (wake_fd >= 0) {
    rc = -EALREADY;
  } else if (listen_fd < 0) {
    rc = -EBADF;
  } else {
    int fd = accept4(listen_fd, 0, 0, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) rc = -errno;
    else wake_fd = fd;
    /* One attempt: the runtime calls this once its connect has completed. */
    close(listen_fd);
    listen_fd = -1;
    unlink(listen_path);
  }
  pthread_mutex_unlock(&mu);
  return rc;
}

int eq_drain(void *out, int out_cap) {
  if (!out || out_cap < 0) return -1;
  pthread_mutex_lock(&drain_mu);
  pthread_mutex_lock(&mu);
  size_t room = (size_t)out_cap, span = 0, from, count = 0;
  int result = 0;
  if (used > 0 && ((rec_head *)(ring + rd))->kind == EQ_KIND_WRAP) {
    used -= cap - rd;
    rd = 0;
  }
  from = rd;
  /* The contiguous run of whole records from rd that fits (stops at a wrap marker). */
  while (span < used) {
    rec_head *h = (rec_head *)(ring + from + span);
    if (from + span >= cap || h->kind == EQ_KIND_WRAP) break;
    if ((size_t)h->total > room - span) {
      if (span == 0) result = -h->total;
      break;
    }
    span += (size_t)h->total;
    count++;
    if (from + span == cap) break;
  }
  pthread_mutex_unlock(&mu);
  /* Producers do not touch [from, from + span): it is still counted in `used`. */
  if (span) memcpy(out, ring + from, span);
  pthread_mutex_lock(&mu);
  if (span) {
    rd = from + span;
    if (rd == cap) rd = 0;
    used -= span;
    records -= count;
    n_drained += (double)count;
    result = (int)span;
    if (waiting) pthread_cond_broadcast(&cv_space);
  }
  if (used == 0) {
    rd = wr = 0;
    if (wake_enabled()) armed = 1;
  }
  pthread_mutex_unlock(&mu);
  pthread_mutex_unlock(&drain_mu);
  return result;
}

void eq_stats(double *out) {
  if (!out) return;
  pthread_mutex_lock(&mu);
  out[0] = n_pushed;
  out[1] = n_dropped;
  out[2] = n_drained;
  out[3] = n_wakes;
  out[4] = (double)used;
  out[5] = high_water;
  out[6] = (double)cap;
  out[7] = (double)records;
  pthread_mutex_unlock(&mu);
}

/* The network thread: one poll() loop over every link (master and slave of
   every client, both run at once as in the vendor's build), REGISTER,
   reconnect, heartbeats, flow timeouts. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "standin.h"


static void link_close_fd(sb_link *l) {
  if (l->fd >= 0) close(l->fd);
  l->fd = -1;
  l->out.len = 0;
  l->out_off = 0;
  l->in_len = 0;
}

void sb_client_free(sb_client *c) {
  if (!c) return;
  for (int k = 0; k < 2; k++) {
    link_close_fd(&c->link[k]);
    sb_buf_free(&c->link[k].out);
    free(c->link[k].in);
  }
  free(c);
}

int sb_link_send(sb_lib *lib, sb_client *c, int k, const sb_addr_head *h, const void *body, size_t len) {
  sb_link *l = &c->link[k];
  size_t pending = l->out.len - l->out_off;
  if (pending + SB_WIRE_HEAD + len + 3 > SB_OUT_CAP) return SMARTBUS_ERR_BUFF_FULL;
  if (sb_frame_append(&l->out, h, body, len)) return SMARTBUS_ERR_MEM_ALLOC;
  if (pending == 0 && !pthread_equal(pthread_self(), lib->thread)) sb_wake(lib);
  return 0;
}

/* As the vendor's build, a callback about one link is skipped while the
   other link (master/slave) is registered: the client is still logged in. */
static int other_ready(const sb_client *c, int k) {
  return c->nhosts > 1 && c->link[k ^ 1].state == CS_READY;
}

static void raise_connection(sb_lib *lib, sb_client *c, int unit, int code) {
  sb_event *e = sb_event_new(lib, EV_CONNECT, c->id);
  if (e) {
    e->i1 = unit;
    e->i2 = code;
  }
}

/* A connect attempt of link k failed before any login answer. */
static void attempt_failed(sb_lib *lib, sb_client *c, int k, int code, const char *why, int64_t now) {
  sb_link *l = &c->link[k];
  if (!l->failing) /* one line per outage, not one per retry */
    sb_trace(lib, 1, "client %u: link %d# to %s:%u failed (%d): %s", c->id, k, c->host[k], c->port[k], code, why);
  l->failing = 1;
  link_close_fd(l);
  /* As the vendor's build: reported once until the next login, and not at
     all while the other link is logged in; the 3rd argument is the last
     access unit (-1 before any). */
  if (!c->fail_reported && !other_ready(c, k)) {
    raise_connection(lib, c, c->access_unit, code);
    c->fail_reported = 1;
  }
  l->state = CS_WAIT;
  l->next_attempt_ms = now + lib->reconnect_ms;
}

void sb_link_broken(sb_lib *lib, sb_client *c, int k, const char *why, int64_t now) {
  sb_link *l = &c->link[k];
  if (l->state == CS_CONNECTING) {
    attempt_failed(lib, c, k, SMARTBUS_ERR_ESTABLI_CONNECT, why, now);
    return;
  }
  if (l->state != CS_READY) {
    /* The node took the connection, then dropped or ignored the login (the
       mock does so for a stopped node). The vendor reports nothing and
       reconnects at once, in a tight loop; we report nothing either but wait
       the reconnect period, not to flood the node. */
    sb_trace(lib, 1, "client %u: link %d# to %s:%u closed before the login answer: %s", c->id, k, c->host[k],
             c->port[k], why);
    link_close_fd(l);
    l->state = CS_WAIT;
    l->next_attempt_ms = now + lib->reconnect_ms;
    return;
  }
  sb_trace(lib, 1, "client %u: link %d# to unit %d broke: %s", c->id, k, c->access_unit, why);
  link_close_fd(l);
  l->state = CS_WAIT;
  l->next_attempt_ms = now; /* as the vendor: at once */
  if (c->active == k) c->active = other_ready(c, k) ? (k ^ 1) : -1;
  if (!other_ready(c, k)) sb_event_new(lib, EV_DISCONNECT, c->id);
}

void sb_link_ready(sb_lib *lib, sb_client *c, int k, int64_t now) {
  sb_link *l = &c->link[k];
  l->state = CS_READY;
  l->last_rx_ms = now;
  l->next_hb_ms = now + SB_HEARTBEAT_MS;
  l->hb_count = 0;
  c->fail_reported = 0;
  sb_trace(lib, 0, "client %u: registered on link %d# (%s:%u), access unit %d", c->id, k, c->host[k], c->port[k],
           c->access_unit);
  /* The first link registered carries the data until it breaks. */
  if (c->active < 0 || c->link[c->active].state != CS_READY) c->active = k;
  if (!other_ready(c, k)) raise_connection(lib, c, c->access_unit, 0);
}

void sb_link_refused(sb_lib *lib, sb_client *c, int k, int code, int unit, int64_t now) {
  sb_link *l = &c->link[k];
  sb_trace(lib, 1, "client %u: link %d# refused by unit %d (%d)", c->id, k, unit, code);
  link_close_fd(l);
  if (!other_ready(c, k)) raise_connection(lib, c, unit, code);
  if (code == SMARTBUS_ERR_CONNECTED) {
    /* The unit is still registered there: the vendor retries every 2 s. */
    l->state = CS_WAIT;
    l->next_attempt_ms = now + lib->reconnect_ms;
  } else {
    l->state = CS_REFUSED; /* as the vendor: never again on this link */
  }
}

/* The 6 005-byte SMARTBUS_CMD_REGISTION (offsets in docs/wire-protocol.md). */
static void build_register(const sb_lib *lib, const sb_client *c, int k, unsigned char *b) {
  memset(b, 0, SB_REGISTER_BODY);
  b[0] = (unsigned char)k; /* connect_index: 0 master, 1 slave */
  sb_put_str(b + 1, 64, c->user);
  sb_put_str(b + 65, 128, c->pwd);
  sb_put_str(b + 193, 256, c->add_info);
  unsigned char *node = b + SB_REG_NODE;
  node[0] = node[1] = 1; /* used, connected */
  sb_put_i32(node + 2, lib->unit_id);
  sb_put_i32(node + 6, c->access_unit);
  node[10] = 1;  /* is_netcli */
  node[147] = 1; /* cli_count */
  unsigned char *cli = b + SB_REG_CLI0;
  cli[0] = cli[1] = 1;
  sb_put_i32(cli + 2, c->id);
  sb_put_i32(cli + 6, c->type);
  sb_put_str(cli + 10, 256, c->add_info);
  /* cli[0].owner_node (a pointer in the vendor's frames) stays zero. */
}

static void send_register(sb_lib *lib, sb_client *c, int k, int64_t now) {
  c->link[k].failing = 0; /* the TCP connect worked */
  unsigned char *b = malloc(SB_REGISTER_BODY);
  sb_addr_head h;
  sb_own_head(&h, lib, c, CMD_REGISTER, SMARTBUS_CMDTYPE_INTERNAL, 0, 0, 0);
  if (!b) {
    attempt_failed(lib, c, k, SMARTBUS_ERR_MEM_ALLOC, "no memory", now);
    return;
  }
  build_register(lib, c, k, b);
  /* Not sb_link_send: the vendor's REGISTER has packet_size = 20 + datalen
     exactly (6 025), unlike every other frame it builds. */
  sb_buf *out = &c->link[k].out;
  int rc = sb_buf_reserve(out, SB_WIRE_HEAD + SB_REGISTER_BODY) ? SMARTBUS_ERR_MEM_ALLOC : 0;
  if (rc == 0) {
    sb_head_write(out->p + out->len, &h, SB_WIRE_HEAD + SB_REGISTER_BODY, SB_REGISTER_BODY);
    memcpy(out->p + out->len + SB_WIRE_HEAD, b, SB_REGISTER_BODY);
    out->len += SB_WIRE_HEAD + SB_REGISTER_BODY;
  }
  free(b);
  if (rc) {
    attempt_failed(lib, c, k, rc, "cannot queue REGISTER", now);
    return;
  }
  sb_trace(lib, 0, "client %u: REGISTER on link %d#, access unit %d", c->id, k, c->access_unit);
  c->link[k].state = CS_LOGIN;
  c->link[k].deadline_ms = now + SB_LOGIN_TIMEOUT_MS;
}

static void send_heartbeat(sb_lib *lib, sb_client *c, int k) {
  sb_link *l = &c->link[k];
  unsigned char b[SB_HEARTBEAT_BODY] = {0};
  sb_put_i64(b, l->hb_count++);
  sb_put_i64(b + 16, (int64_t)time(NULL));
  sb_addr_head h;
  sb_own_head(&h, lib, c, CMD_HEARTBEAT, SMARTBUS_CMDTYPE_INTERNAL, c->access_unit, -1, SMARTBUS_CLIENT_TYPE_NODE);
  sb_link_send(lib, c, k, &h, b, sizeof b);
}

static void start_attempt(sb_lib *lib, sb_client *c, int k, int64_t now) {
  sb_link *l = &c->link[k];
  char port[8];
  snprintf(port, sizeof port, "%u", c->port[k]);
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  int gai = getaddrinfo(c->host[k], port, &hints, &res);
  if (gai != 0 || !res) {
    attempt_failed(lib, c, k, SMARTBUS_ERR_ESTABLI_CONNECT, gai_strerror(gai), now);
    return;
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    freeaddrinfo(res);
    attempt_failed(lib, c, k, SMARTBUS_ERR_ESTABLI_CONNECT, strerror(errno), now);
    return;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int r = connect(fd, res->ai_addr, res->ai_addrlen);
  int err = errno;
  freeaddrinfo(res);
  l->fd = fd;
  l->in_len = 0;
  if (!l->in && !(l->in = malloc(SB_IN_CAP))) {
    attempt_failed(lib, c, k, SMARTBUS_ERR_MEM_ALLOC, "no memory", now);
    return;
  }
  sb_trace(lib, 0, "client %u: link %d# connecting to %s:%u", c->id, k, c->host[k], c->port[k]);
  if (r == 0) {
    send_register(lib, c, k, now);
  } else if (err == EINPROGRESS) {
    l->state = CS_CONNECTING;
    l->deadline_ms = now + SB_CONNECT_TIMEOUT_MS;
  } else {
    attempt_failed(lib, c, k, SMARTBUS_ERR_ESTABLI_CONNECT, strerror(err), now);
  }
}

static void on_connect_ready(sb_lib *lib, sb_client *c, int k, int64_t now) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(c->link[k].fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
  if (err) {
    attempt_failed(lib, c, k, SMARTBUS_ERR_ESTABLI_CONNECT, strerror(err), now);
    return;
  }
  send_register(lib, c, k, now);
}

static void do_write(sb_lib *lib, sb_client *c, int k, int64_t now) {
  sb_link *l = &c->link[k];
  while (l->out_off < l->out.len) {
    ssize_t n = send(l->fd, l->out.p + l->out_off, l->out.len - l->out_off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      sb_link_broken(lib, c, k, strerror(errno), now);
      return;
    }
    l->out_off += (size_t)n;
  }
  l->out.len = 0;
  l->out_off = 0;
}

static void do_read(sb_lib *lib, sb_client *c, int k, int64_t now) {
  sb_link *l = &c->link[k];
  for (;;) {
    size_t room = SB_IN_CAP - l->in_len;
    if (room == 0) return; /* cannot happen: a full buffer holds a whole frame */
    ssize_t n = recv(l->fd, l->in + l->in_len, room, 0);
    if (n == 0) {
      sb_link_broken(lib, c, k, "closed by the bus", now);
      return;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) sb_link_broken(lib, c, k, strerror(errno), now);
      return;
    }
    l->in_len += (size_t)n;
    l->last_rx_ms = now; /* any byte keeps the link alive, as in the vendor */
    sb_frames_process(lib, c, k, now);
    if (l->fd < 0 || (size_t)n < room) return;
  }
}

static void link_timers(sb_lib *lib, sb_client *c, int k, int64_t now) {
  sb_link *l = &c->link[k];
  if (l->state == CS_WAIT && now >= l->next_attempt_ms) {
    start_attempt(lib, c, k, now);
  } else if (l->state == CS_CONNECTING && now >= l->deadline_ms) {
    attempt_failed(lib, c, k, SMARTBUS_ERR_ESTABLI_CONNECT, "connect timed out", now);
  } else if (l->state == CS_LOGIN && now >= l->deadline_ms) {
    sb_link_broken(lib, c, k, "no REGISTER_ACK in time", now);
  } else if (l->state == CS_READY) {
    if (now - l->last_rx_ms >= lib->link_timeout_ms) {
      sb_link_broken(lib, c, k, "nothing received in time", now);
    } else if (now >= l->next_hb_ms) {
      send_heartbeat(lib, c, k);
      l->next_hb_ms = now + SB_HEARTBEAT_MS;
    }
  }
}

/* Expired waits of one kind, in call order. */
static void expire_waits(sb_lib *lib, int is_ack, int64_t now) {
  sb_pending **pp = &lib->pending;
  while (*pp) {
    sb_pending *p = *pp;
    if (p->is_ack != is_ack || now < p->deadline_ms) {
      pp = &p->next;
      continue;
    }
    *pp = p->next;
    /* As the vendor: head NULL, code -25, empty text. */
    sb_event *e = sb_event_new(lib, p->is_ack ? EV_ACK : EV_RET, p->client);
    if (e) {
      e->s1 = p->project;
      e->i1 = p->invoke_id;
      e->i2 = SMARTBUS_ERR_TIMEOUT;
    } else {
      free(p->project);
    }
    free(p);
  }
}

/* As the vendor's timer: the ack timeouts of a round before its result timeouts. */
static void pending_timers(sb_lib *lib, int64_t now) {
  expire_waits(lib, 1, now);
  expire_waits(lib, 0, now);
}

static void run_timers(sb_lib *lib, int64_t now) {
  for (int i = 0; i < 256; i++) {
    sb_client *c = lib->clients[i];
    for (int k = 0; c && k < c->nhosts; k++) link_timers(lib, c, k, now);
  }
  pending_timers(lib, now);
}

static int64_t next_wake(sb_lib *lib, int64_t now) {
  int64_t t = now + 1000;
#define SOONER(x)                                                                                                      \
  do {                                                                                                                 \
    if ((x) < t) t = (x);                                                                                              \
  } while (0)
  for (int i = 0; i < 256; i++) {
    sb_client *c = lib->clients[i];
    for (int k = 0; c && k < c->nhosts; k++) {
      sb_link *l = &c->link[k];
      if (l->state == CS_WAIT) SOONER(l->next_attempt_ms);
      if (l->state == CS_CONNECTING || l->state == CS_LOGIN) SOONER(l->deadline_ms);
      if (l->state == CS_READY) {
        SOONER(l->next_hb_ms);
        SOONER(l->last_rx_ms + lib->link_timeout_ms);
      }
    }
  }
  for (sb_pending *p = lib->pending; p; p = p->next) SOONER(p->deadline_ms);
#undef SOONER
  return t;
}

void sb_lib_free(sb_lib *lib) {
  for (int i = 0; i < 256; i++) sb_client_free(lib->clients[i]);
  while (lib->pending) {
    sb_pending *p = lib->pending;
    lib->pending = p->next;
    free(p->project);
    free(p);
  }
  while (lib->ev_head) {
    sb_event *e = lib->ev_head;
    lib->ev_head = e->next;
    sb_event_free(e);
  }
  close(lib->wake[0]);
  close(lib->wake[1]);
  free(lib);
}


/* Release: what the application sent just before goes out, and each link
   closes gracefully (our FIN, then the peer's): closing a socket that still
   has unread input sends a RST, and a peer that has not yet read our last
   frames loses them (seen: a `send` right before Release never arrived).
   Bounded: RELEASE_FLUSH_MS in all; no callback is raised. */
#define RELEASE_FLUSH_MS 250
#define SB_MAX_FDS 512
static void flush_and_close(sb_lib *lib) {
  unsigned char shut[256][2];
  memset(shut, 0, sizeof shut);
  int64_t deadline = sb_now_ms() + RELEASE_FLUSH_MS;
  for (;;) {
    struct pollfd fds[SB_MAX_FDS];
    int idx[SB_MAX_FDS], n = 0;
    for (int i = 0; i < 256; i++) {
      sb_client *c = lib->clients[i];
      for (int k = 0; c && k < 2; k++) {
        sb_link *l = &c->link[k];
        if (l->fd < 0) continue;
        if (l->state != CS_READY) {
          link_close_fd(l);
          continue;
        }
        short events = POLLIN;
        if (l->out.len > l->out_off) {
          events |= POLLOUT;
        } else if (!shut[i][k]) {
          shutdown(l->fd, SHUT_WR);
          shut[i][k] = 1;
        }
        fds[n].fd = l->fd;
        fds[n].events = events;
        fds[n].revents = 0;
        idx[n++] = i * 2 + k;
      }
    }
    int64_t now = sb_now_ms();
    if (n == 0 || now >= deadline) break;
    if (poll(fds, (nfds_t)n, (int)(deadline - now)) <= 0) continue;
    for (int j = 0; j < n; j++) {
      sb_link *l = &lib->clients[idx[j] / 2]->link[idx[j] % 2];
      short ev = fds[j].revents;
      if (ev & POLLOUT) {
        ssize_t w = send(l->fd, l->out.p + l->out_off, l->out.len - l->out_off, MSG_NOSIGNAL);
        if (w > 0) l->out_off += (size_t)w;
        else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          link_close_fd(l);
          continue;
        }
      }
      if (ev & (POLLIN | POLLHUP | POLLERR)) {
        char sink[4096];
        ssize_t r = recv(l->fd, sink, sizeof sink, 0);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) link_close_fd(l);
      }
    }
  }
  for (int i = 0; i < 256; i++) {
    sb_client *c = lib->clients[i];
    for (int k = 0; c && k < 2; k++) link_close_fd(&c->link[k]);
  }
}

/* Frames queued by this round (REGISTER, heartbeats, answers) go out at once. */
static void write_queued(sb_lib *lib, int64_t now) {
  for (int i = 0; i < 256; i++) {
    sb_client *c = lib->clients[i];
    for (int k = 0; c && k < c->nhosts; k++) {
      sb_link *l = &c->link[k];
      if (l->fd >= 0 && l->state != CS_CONNECTING && l->out.len > l->out_off) do_write(lib, c, k, now);
    }
  }
}

void *sb_net_main(void *arg) {
  sb_lib *lib = arg;
  struct pollfd fds[SB_MAX_FDS + 1];
  int ids[SB_MAX_FDS + 1];
  pthread_mutex_lock(&g_mu);
  while (!lib->stopping) {
    int64_t now = sb_now_ms();
    run_timers(lib, now);
    write_queued(lib, now);
    sb_dispatch(lib);
    if (lib->stopping) break;
    now = sb_now_ms();
    int64_t wake_at = next_wake(lib, now);
    int n = 0;
    fds[n].fd = lib->wake[0];
    fds[n++].events = POLLIN;
    for (int i = 0; i < 256; i++) {
      sb_client *c = lib->clients[i];
      for (int k = 0; c && k < c->nhosts; k++) {
        sb_link *l = &c->link[k];
        if (l->fd < 0) continue;
        ids[n] = i * 2 + k;
        fds[n].fd = l->fd;
        fds[n].events =
            l->state == CS_CONNECTING ? POLLOUT : (short)(POLLIN | (l->out.len > l->out_off ? POLLOUT : 0));
        fds[n++].revents = 0;
      }
    }
    int timeout = wake_at > now ? (int)(wake_at - now) : 0;
    pthread_mutex_unlock(&g_mu);
    int r = poll(fds, (nfds_t)n, timeout);
    pthread_mutex_lock(&g_mu);
    if (lib->stopping || r <= 0) continue;
    now = sb_now_ms();
    /* Deadlines first: a result read below for a flow whose deadline has
       already passed (the thread was held up) must be dropped as late. */
    run_timers(lib, now);
    if (fds[0].revents) {
      char drain[64];
      while (read(lib->wake[0], drain, sizeof drain) > 0) {
      }
    }
    for (int j = 1; j < n; j++) {
      sb_client *c = lib->clients[ids[j] / 2];
      int k = ids[j] % 2;
      short ev = fds[j].revents;
      if (!ev || !c || c->link[k].fd != fds[j].fd) continue;
      if (c->link[k].state == CS_CONNECTING) {
        on_connect_ready(lib, c, k, now);
        continue;
      }
      if (ev & (POLLIN | POLLHUP | POLLERR)) do_read(lib, c, k, now);
      if (c->link[k].fd >= 0 && (ev & POLLOUT)) do_write(lib, c, k, now);
    }
    write_queued(lib, now);
  }
  int owns = lib->thread_owns;
  /* Nothing else reaches this lib any more (g_lib no longer points at it). */
  pthread_mutex_unlock(&g_mu);
  flush_and_close(lib);
  pthread_mutex_lock(&g_mu);
  pthread_mutex_unlock(&g_mu);
  if (owns) sb_lib_free(lib);
  return NULL;
}

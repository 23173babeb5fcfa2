/* The network thread: one poll() loop over every client socket, connect with
   master/slave fallback, login, reconnect, heartbeats, flow timeouts. */
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
#include <unistd.h>

#include "standin.h"


static void client_close_fd(sb_client *c) {
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
  c->out.len = 0;
  c->out_off = 0;
  c->in_len = 0;
}

void sb_client_free(sb_client *c) {
  if (!c) return;
  client_close_fd(c);
  sb_buf_free(&c->out);
  free(c->in);
  free(c->user);
  free(c->pwd);
  free(c->add_info);
  free(c);
}

int sb_client_send(sb_lib *lib, sb_client *c, int kind, const sb_addr_head *h, const sb_buf *payload) {
  size_t pending = c->out.len - c->out_off;
  if (pending + SB_WIRE_HEAD + (payload ? payload->len : 0) > SB_OUT_CAP) return SMARTBUS_ERR_BUFF_FULL;
  if (sb_frame_append(&c->out, kind, h, payload)) return SMARTBUS_ERR_MEM_ALLOC;
  if (pending == 0 && !pthread_equal(pthread_self(), lib->thread)) sb_wake(lib);
  return 0;
}

/* A connect attempt failed: report it, try the slave next or wait. */
void sb_attempt_failed(sb_lib *lib, sb_client *c, int code, const char *why, int64_t now) {
  sb_trace(lib, 1, "client %u: connect to %s:%u failed (%d): %s", c->id, c->host[c->which], c->port[c->which],
           code, why);
  client_close_fd(c);
  sb_event *e = sb_event_new(lib, EV_CONNECT, c->id);
  if (e) {
    e->i1 = -1;
    e->i2 = code;
  }
  c->state = CS_WAIT;
  if (c->which == 0 && c->nhosts > 1) {
    c->which = 1;
    c->next_attempt_ms = now;
  } else {
    c->which = 0;
    c->next_attempt_ms = now + lib->reconnect_ms;
  }
  /* As the vendor's build: a host that refused a login for good is never
     tried again; with none left the client stays closed. */
  if ((c->refused >> c->which) & 1 && c->nhosts > 1) c->which ^= 1;
  if ((c->refused >> c->which) & 1) c->state = CS_REFUSED;
}

/* An established link broke: report it, reconnect to the master later. */
void sb_link_broken(sb_lib *lib, sb_client *c, const char *why, int64_t now) {
  if (c->state != CS_READY) {
    sb_attempt_failed(lib, c, SMARTBUS_ERR_CONNECT_BREAK, why, now);
    return;
  }
  sb_trace(lib, 1, "client %u: connection to unit %d broke: %s", c->id, c->access_unit, why);
  client_close_fd(c);
  sb_event_new(lib, EV_DISCONNECT, c->id);
  c->state = CS_WAIT;
  c->which = 0;
  c->next_attempt_ms = now + lib->reconnect_ms;
}

static void send_login(sb_lib *lib, sb_client *c, int64_t now) {
  sb_buf p = {0};
  sb_addr_head h;
  memset(&h, 0, sizeof h);
  h.src_type = (signed char)c->type;
  h.src_unit = (signed char)lib->unit_id;
  h.src_client = (signed char)c->id;
  int bad = sb_buf_u8(&p, c->id) || sb_buf_i32(&p, c->type) || sb_buf_i32(&p, lib->unit_id) ||
            sb_buf_str(&p, c->user, 1) || sb_buf_str(&p, c->pwd, 1) || sb_buf_str(&p, c->add_info, 0);
  if (bad || sb_client_send(lib, c, K_LOGIN, &h, &p)) {
    sb_buf_free(&p);
    sb_attempt_failed(lib, c, SMARTBUS_ERR_MEM_ALLOC, "cannot build the login", now);
    return;
  }
  sb_buf_free(&p);
  c->state = CS_LOGIN;
  c->deadline_ms = now + SB_LOGIN_TIMEOUT_MS;
}

static void start_attempt(sb_lib *lib, sb_client *c, int64_t now) {
  char port[8];
  snprintf(port, sizeof port, "%u", c->port[c->which]);
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  int gai = getaddrinfo(c->host[c->which], port, &hints, &res);
  if (gai != 0 || !res) {
    sb_attempt_failed(lib, c, SMARTBUS_ERR_ESTABLI_CONNECT, gai_strerror(gai), now);
    return;
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    freeaddrinfo(res);
    sb_attempt_failed(lib, c, SMARTBUS_ERR_ESTABLI_CONNECT, strerror(errno), now);
    return;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int r = connect(fd, res->ai_addr, res->ai_addrlen);
  int err = errno;
  freeaddrinfo(res);
  c->fd = fd;
  c->in_len = 0;
  if (!c->in && !(c->in = malloc(SB_WIRE_HEAD + SB_FRAME_LIMIT))) {
    sb_attempt_failed(lib, c, SMARTBUS_ERR_MEM_ALLOC, "no memory", now);
    return;
  }
  sb_trace(lib, 0, "client %u: connecting to %s:%u", c->id, c->host[c->which], c->port[c->which]);
  if (r == 0) {
    send_login(lib, c, now);
  } else if (err == EINPROGRESS) {
    c->state = CS_CONNECTING;
    c->deadline_ms = now + SB_CONNECT_TIMEOUT_MS;
  } else {
    sb_attempt_failed(lib, c, SMARTBUS_ERR_ESTABLI_CONNECT, strerror(err), now);
  }
}

static void on_connect_ready(sb_lib *lib, sb_client *c, int64_t now) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
  if (err) {
    sb_attempt_failed(lib, c, SMARTBUS_ERR_ESTABLI_CONNECT, strerror(err), now);
    return;
  }
  send_login(lib, c, now);
}

static void do_write(sb_lib *lib, sb_client *c, int64_t now) {
  while (c->out_off < c->out.len) {
    ssize_t n = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
      sb_link_broken(lib, c, strerror(errno), now);
      return;
    }
    c->out_off += (size_t)n;
  }
  c->out.len = 0;
  c->out_off = 0;
}

static void do_read(sb_lib *lib, sb_client *c, int64_t now) {
  for (;;) {
    size_t room = SB_WIRE_HEAD + SB_FRAME_LIMIT - c->in_len;
    if (room == 0) return; /* cannot happen: a full buffer holds a whole frame */
    ssize_t n = recv(c->fd, c->in + c->in_len, room, 0);
    if (n == 0) {
      sb_link_broken(lib, c, "closed by the bus", now);
      return;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) sb_link_broken(lib, c, strerror(errno), now);
      return;
    }
    c->in_len += (size_t)n;
    c->last_rx_ms = now;
    sb_frames_process(lib, c, now);
    if (c->fd < 0 || (size_t)n < room) return;
  }
}

static void run_timers(sb_lib *lib, int64_t now) {
  for (int i = 0; i < 256; i++) {
    sb_client *c = lib->clients[i];
    if (!c) continue;
    if (c->state == CS_WAIT && now >= c->next_attempt_ms) {
      start_attempt(lib, c, now);
    } else if ((c->state == CS_CONNECTING || c->state == CS_LOGIN) && now >= c->deadline_ms) {
      sb_attempt_failed(lib, c, SMARTBUS_ERR_TIMEOUT, "no answer in time", now);
    } else if (c->state == CS_READY) {
      if (now - c->last_rx_ms >= (int64_t)c->hb_ms * SB_HEARTBEAT_MISSES) {
        sb_link_broken(lib, c, "heartbeats missed", now);
      } else if (now - c->last_tx_ms >= c->hb_ms) {
        sb_client_send(lib, c, K_HEARTBEAT, NULL, NULL);
        c->last_tx_ms = now;
      }
    }
  }
  sb_pending **pp = &lib->pending;
  while (*pp) {
    sb_pending *p = *pp;
    if (now < p->deadline_ms) {
      pp = &p->next;
      continue;
    }
    *pp = p->next;
    sb_event *e = sb_event_new(lib, EV_RET, p->client);
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

static int64_t next_wake(sb_lib *lib, int64_t now) {
  int64_t t = now + 1000;
#define SOONER(x)                                                                                                      \
  do {                                                                                                                 \
    if ((x) < t) t = (x);                                                                                              \
  } while (0)
  for (int i = 0; i < 256; i++) {
    sb_client *c = lib->clients[i];
    if (!c) continue;
    if (c->state == CS_WAIT) SOONER(c->next_attempt_ms);
    if (c->state == CS_CONNECTING || c->state == CS_LOGIN) SOONER(c->deadline_ms);
    if (c->state == CS_READY) {
      SOONER(c->last_tx_ms + c->hb_ms);
      SOONER(c->last_rx_ms + (int64_t)c->hb_ms * SB_HEARTBEAT_MISSES);
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
static void flush_and_close(sb_lib *lib) {
  unsigned char shut[256] = {0};
  int64_t deadline = sb_now_ms() + RELEASE_FLUSH_MS;
  for (;;) {
    struct pollfd fds[256];
    int idx[256], n = 0;
    for (int i = 0; i < 256; i++) {
      sb_client *c = lib->clients[i];
      if (!c || c->fd < 0) continue;
      if (c->state != CS_READY) {
        client_close_fd(c);
        continue;
      }
      short events = POLLIN;
      if (c->out.len > c->out_off) {
        events |= POLLOUT;
      } else if (!shut[i]) {
        shutdown(c->fd, SHUT_WR);
        shut[i] = 1;
      }
      fds[n].fd = c->fd;
      fds[n].events = events;
      fds[n].revents = 0;
      idx[n++] = i;
    }
    int64_t now = sb_now_ms();
    if (n == 0 || now >= deadline) break;
    if (poll(fds, (nfds_t)n, (int)(deadline - now)) <= 0) continue;
    for (int k = 0; k < n; k++) {
      sb_client *c = lib->clients[idx[k]];
      short ev = fds[k].revents;
      if (ev & POLLOUT) {
        ssize_t w = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
        if (w > 0) c->out_off += (size_t)w;
        else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          client_close_fd(c);
          continue;
        }
      }
      if (ev & (POLLIN | POLLHUP | POLLERR)) {
        char sink[4096];
        ssize_t r = recv(c->fd, sink, sizeof sink, 0);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) client_close_fd(c);
      }
    }
  }
  for (int i = 0; i < 256; i++) {
    if (lib->clients[i]) client_close_fd(lib->clients[i]);
  }
}

void *sb_net_main(void *arg) {
  sb_lib *lib = arg;
  struct pollfd fds[257];
  unsigned char ids[257];
  pthread_mutex_lock(&g_mu);
  while (!lib->stopping) {
    int64_t now = sb_now_ms();
    run_timers(lib, now);
    sb_dispatch(lib);
    if (lib->stopping) break;
    now = sb_now_ms();
    int64_t wake_at = next_wake(lib, now);
    int n = 0;
    fds[n].fd = lib->wake[0];
    fds[n++].events = POLLIN;
    for (int i = 0; i < 256; i++) {
      sb_client *c = lib->clients[i];
      if (!c || c->fd < 0) continue;
      ids[n] = (unsigned char)i;
      fds[n].fd = c->fd;
      fds[n].events = c->state == CS_CONNECTING ? POLLOUT : (short)(POLLIN | (c->out.len > c->out_off ? POLLOUT : 0));
      fds[n++].revents = 0;
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
    for (int k = 1; k < n; k++) {
      sb_client *c = lib->clients[ids[k]];
      short ev = fds[k].revents;
      if (!ev || c->fd != fds[k].fd) continue;
      if (c->state == CS_CONNECTING) {
        on_connect_ready(lib, c, now);
        continue;
      }
      if (ev & (POLLIN | POLLHUP | POLLERR)) do_read(lib, c, now);
      if (c->fd >= 0 && (ev & POLLOUT)) do_write(lib, c, now);
    }
    /* Frames queued by this round (login, heartbeats) go out at once. */
    for (int i = 0; i < 256; i++) {
      sb_client *c = lib->clients[i];
      if (c && c->fd >= 0 && c->state != CS_CONNECTING && c->out.len > c->out_off) do_write(lib, c, now);
    }
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

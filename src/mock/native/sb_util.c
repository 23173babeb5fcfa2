/* Small helpers: time, growable buffers, poisoned frees, wire frames. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "standin.h"

int64_t sb_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sb_buf_reserve(sb_buf *b, size_t extra) {
  if (b->len + extra <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + extra) cap *= 2;
  unsigned char *p = realloc(b->p, cap);
  if (!p) return -1;
  b->p = p;
  b->cap = cap;
  return 0;
}

int sb_buf_put(sb_buf *b, const void *p, size_t n) {
  if (sb_buf_reserve(b, n)) return -1;
  if (n) memcpy(b->p + b->len, p, n);
  b->len += n;
  return 0;
}

int sb_buf_u8(sb_buf *b, unsigned v) {
  unsigned char c = (unsigned char)(v & 0xff);
  return sb_buf_put(b, &c, 1);
}

int sb_buf_i32(sb_buf *b, int32_t v) {
  uint32_t u = (uint32_t)v;
  unsigned char c[4] = {(unsigned char)u, (unsigned char)(u >> 8), (unsigned char)(u >> 16),
                        (unsigned char)(u >> 24)};
  return sb_buf_put(b, c, 4);
}

int sb_buf_str(sb_buf *b, const char *s, int nullable) {
  if (!s) {
    if (!nullable) return -1;
    unsigned char c[2] = {0xff, 0xff};
    return sb_buf_put(b, c, 2);
  }
  size_t n = strlen(s);
  if (n > SB_MAX_STR) return -1;
  unsigned char c[2] = {(unsigned char)(n & 0xff), (unsigned char)(n >> 8)};
  if (sb_buf_put(b, c, 2)) return -1;
  return sb_buf_put(b, s, n);
}

void sb_buf_free(sb_buf *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}

char *sb_strdup_n(const void *p, size_t n) {
  char *s = malloc(n + 1);
  if (!s) return NULL;
  if (n) memcpy(s, p, n);
  s[n] = 0;
  return s;
}

void sb_poison_free(void *p, size_t n) {
  if (!p) return;
  memset(p, SB_POISON, n);
  free(p);
}

void sb_wake(sb_lib *lib) {
  char c = 1;
  ssize_t r = write(lib->wake[1], &c, 1);
  (void)r; /* a full pipe already means "wake up" */
}

int sb_frame_append(sb_buf *out, int kind, const sb_addr_head *h, const sb_buf *payload) {
  size_t n = payload ? payload->len : 0;
  if (n > SB_FRAME_LIMIT) return -1;
  if (sb_buf_reserve(out, SB_WIRE_HEAD + n)) return -1;
  unsigned char *p = out->p + out->len;
  sb_addr_head zero;
  memset(&zero, 0, sizeof zero);
  if (!h) h = &zero;
  p[0] = 0x15;
  p[1] = 0x5b;
  p[2] = h->cmd;
  p[3] = h->cmdtype;
  p[4] = (unsigned char)h->src_type;
  p[5] = (unsigned char)h->src_unit;
  p[6] = (unsigned char)h->src_client;
  p[7] = (unsigned char)h->dst_type;
  p[8] = (unsigned char)h->dst_unit;
  p[9] = (unsigned char)h->dst_client;
  p[10] = (unsigned char)kind;
  p[11] = 1;
  uint32_t size = (uint32_t)(SB_WIRE_HEAD + n), len = (uint32_t)n;
  for (int i = 0; i < 4; i++) {
    p[12 + i] = (unsigned char)(size >> (8 * i));
    p[16 + i] = (unsigned char)(len >> (8 * i));
  }
  if (n) memcpy(p + SB_WIRE_HEAD, payload->p, n);
  out->len += SB_WIRE_HEAD + n;
  return 0;
}

static int32_t rd32(const unsigned char *p) {
  return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

int sb_head_check(const unsigned char *p, int *kind, int32_t *len, const char **why) {
  if (p[0] != 0x15 || p[1] != 0x5b) return *why = "bad head flag", -1;
  if (p[11] != 1) return *why = "bad protocol version", -1;
  if (p[10] < K_LOGIN || p[10] > K_CLOSE) return *why = "unknown frame kind", -1;
  int32_t size = rd32(p + 12), n = rd32(p + 16);
  if (n < 0 || n > SB_FRAME_LIMIT) return *why = "data_len out of range", -1;
  if (size != SB_WIRE_HEAD + n) return *why = "packet_size is not 20 + data_len", -1;
  *kind = p[10];
  *len = n;
  return 0;
}

void sb_head_read(const unsigned char *p, sb_addr_head *h) {
  h->cmd = p[2];
  h->cmdtype = p[3];
  h->src_type = (signed char)p[4];
  h->src_unit = (signed char)p[5];
  h->src_client = (signed char)p[6];
  h->dst_type = (signed char)p[7];
  h->dst_unit = (signed char)p[8];
  h->dst_client = (signed char)p[9];
}

void sb_head_to_packet(const sb_addr_head *h, int32_t datalen, SMARTBUS_PACKET_HEAD *out) {
  memset(out, 0, sizeof *out);
  out->head_flag = SMARTBUS_PACKET_HEAD_FLAG;
  out->cmd = h->cmd;
  out->cmdtype = h->cmdtype;
  out->src_unit_client_type = (char)h->src_type;
  out->src_unit_id = (char)h->src_unit;
  out->src_unit_client_id = (char)h->src_client;
  out->dest_unit_client_type = (char)h->dst_type;
  out->dest_unit_id = (char)h->dst_unit;
  out->dest_unit_client_id = (char)h->dst_client;
  out->datalen = datalen;
  out->packet_size = (int)sizeof(SMARTBUS_PACKET_HEAD) + datalen;
}

int32_t sb_rd_i32(sb_reader *r) {
  if (r->bad || r->len - r->at < 4) return r->bad = 1, 0;
  int32_t v = rd32(r->p + r->at);
  r->at += 4;
  return v;
}

int sb_rd_i8(sb_reader *r) {
  if (r->bad || r->len - r->at < 1) return r->bad = 1, 0;
  return (signed char)r->p[r->at++];
}

char *sb_rd_str(sb_reader *r, size_t *n) {
  if (r->bad || r->len - r->at < 2) return r->bad = 1, NULL;
  size_t k = (size_t)r->p[r->at] | (size_t)r->p[r->at + 1] << 8;
  r->at += 2;
  if (k == 0xffff || r->len - r->at < k) return r->bad = 1, NULL;
  char *s = sb_strdup_n(r->p + r->at, k);
  if (!s) return r->bad = 1, NULL;
  r->at += k;
  if (n) *n = k;
  return s;
}

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

void sb_put_i32(unsigned char *p, int32_t v) {
  uint32_t u = (uint32_t)v;
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(u >> (8 * i));
}

void sb_put_i64(unsigned char *p, int64_t v) {
  uint64_t u = (uint64_t)v;
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(u >> (8 * i));
}

int32_t sb_get_i32(const unsigned char *p) {
  return (int32_t)((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
}

void sb_put_str(unsigned char *field, size_t size, const char *s) {
  memset(field, 0, size);
  if (!s) return;
  size_t n = strlen(s);
  memcpy(field, s, n < size ? n : size - 1);
}

char *sb_get_str(const unsigned char *p, size_t max) {
  const unsigned char *nul = memchr(p, 0, max);
  return sb_strdup_n(p, nul ? (size_t)(nul - p) : max);
}

/* reserved[2] stays zero: the vendor leaves garbage there, a receiver ignores it. */
void sb_head_write(unsigned char *p, const sb_addr_head *h, int32_t packet_size, int32_t datalen) {
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
  p[10] = p[11] = 0;
  sb_put_i32(p + 12, packet_size);
  sb_put_i32(p + 16, datalen);
}

/* The vendor writes packet_size = 20 + datalen + datalen % 4 (not a 4-byte
   padding: datalen 17 gives 38); we do the same with zeroed extra bytes so
   that a receiver's tolerance of the extra bytes is exercised. */
int sb_frame_append(sb_buf *out, const sb_addr_head *h, const void *body, size_t len) {
  size_t extra = len % 4, total = SB_WIRE_HEAD + len + extra;
  if (len > 0x0fffffff || sb_buf_reserve(out, total)) return -1;
  unsigned char *p = out->p + out->len;
  sb_head_write(p, h, (int32_t)total, (int32_t)len);
  if (len) memcpy(p + SB_WIRE_HEAD, body, len);
  memset(p + SB_WIRE_HEAD + len, 0, extra);
  out->len += total;
  return 0;
}

int sb_head_check(const unsigned char *p, int32_t *datalen, int32_t *packet_size, const char **why) {
  if (p[0] != 0x15 || p[1] != 0x5b) return *why = "bad head flag", -1;
  int32_t size = sb_get_i32(p + 12), n = sb_get_i32(p + 16);
  if (n < 0 || n > SB_FRAME_LIMIT) return *why = "datalen out of range", -1;
  /* As the mock: the vendor's sender adds up to 3 bytes after the body. */
  if (size < SB_WIRE_HEAD + n || size > SB_WIRE_HEAD + n + 3) return *why = "packet_size out of range", -1;
  *datalen = n;
  *packet_size = size;
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

/* The head a callback sees: reserved zeroed, packet_size without the extra
   bytes (the vendor passes the received head as it is). */
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

void sb_own_head(sb_addr_head *h, const sb_lib *lib, const sb_client *c, unsigned char cmd, unsigned char cmdtype,
                 int dunit, int dclient, int dtype) {
  memset(h, 0, sizeof *h);
  h->cmd = cmd;
  h->cmdtype = cmdtype;
  h->src_type = (signed char)c->type;
  h->src_unit = (signed char)lib->unit_id;
  h->src_client = (signed char)c->id;
  h->dst_type = (signed char)dtype;
  h->dst_unit = (signed char)dunit;
  h->dst_client = (signed char)dclient;
}

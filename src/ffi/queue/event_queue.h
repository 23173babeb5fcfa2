/*
 * event_queue.h: a native event queue between libbusnetcli's network thread
 * and a JavaScript runtime (Deno, Bun, Node + koffi). One process-wide queue.
 *
 * The library calls the eq_cb_* functions (the library's exact callback
 * signatures, see the project's abi.md). Each copies every argument into one
 * record of a bounded ring before it returns (the library frees its buffers
 * right after), so no pointer is ever read late. JS is woken once per batch:
 * only when a record arrives while the queue is "armed" (JS found it empty).
 * JS then calls eq_drain() until it returns 0, one FFI call per batch.
 *
 * Buffer ownership:
 *  - Arguments of eq_cb_*: owned by the library, read only during the call.
 *  - The ring: owned by this library (malloc'd once, never freed: the
 *    library's thread may be inside eq_cb_* at any time).
 *  - eq_drain's `out`: owned by the caller (JS); written only during the call.
 *    Records there stay valid until the caller reuses its buffer, so the
 *    caller copies each field it hands on (slice, not view).
 *
 * Record layout (host byte order; every record starts 8-byte aligned and its
 * `total` is a multiple of 8):
 *   int32 total        bytes of this record, header and padding included
 *   int32 kind         EQ_KIND_*
 *   int32 v[5]         the callback's integer arguments (see EQ_KIND_*)
 *   int32 len[3]       byte lengths of the fields; -1 = a NULL pointer
 *   bytes              the fields back to back, from offset EQ_HEADER_SIZE
 * C strings are stored without their NUL.
 */
#ifndef SMARTBUS_EVENT_QUEUE_H
#define SMARTBUS_EVENT_QUEUE_H

#ifdef __cplusplus
extern "C" {
#endif

#define EQ_API __attribute__((visibility("default")))
#define EQ_HEADER_SIZE 40

/* Kinds, with v[] and fields:                     v[]                               fields */
#define EQ_KIND_CONNECTION 0     /* id, accesspoint_unitid, ack                  -                      */
#define EQ_KIND_RECVDATA 1       /* id, size                                     head, data             */
#define EQ_KIND_DISCONNECT 2     /* id                                           -                      */
#define EQ_KIND_INVOKEFLOW_ACK 3 /* id, invoke_id, ack                           head, projectid, msg   */
#define EQ_KIND_INVOKEFLOW_RET 4 /* id, invoke_id, ret                           head, projectid, param */
#define EQ_KIND_GLOBAL_CONNECT 5 /* unitid, clientid, type, accesspoint, status  add_info               */
#define EQ_KIND_TRACE_INFO 6     /* -                                            msg                    */
#define EQ_KIND_TRACE_ERROR 7    /* -                                            msg                    */

/* Wake modes of eq_set_wake. */
#define EQ_WAKE_DIRECT 0 /* call wake on the library's thread (Bun: queues and returns) */
#define EQ_WAKE_THREAD 1 /* call wake from the queue's own thread (Deno, koffi: they block the caller) */
#define EQ_WAKE_SOCKET 2 /* write one byte to the socket of eq_wake_accept (JS reads it on its event loop) */

/* The library's callbacks. */
EQ_API void eq_cb_connection(void *arg, unsigned char id, int unit, int ack);
EQ_API void eq_cb_recvdata(void *arg, unsigned char id, const void *head, const void *data, int size);
EQ_API void eq_cb_disconnect(void *arg, unsigned char id);
EQ_API void eq_cb_invokeflow_ack(void *arg, unsigned char id, const void *head, const char *project, int invoke_id,
                                 int ack, const char *msg);
EQ_API void eq_cb_invokeflow_ret(void *arg, unsigned char id, const void *head, const char *project, int invoke_id,
                                 int ret, const char *param);
EQ_API void eq_cb_global_connect(void *arg, signed char unit, signed char client, signed char type,
                                 signed char access, signed char status, const char *add_info);
EQ_API void eq_cb_trace_info(const char *msg);
EQ_API void eq_cb_trace_error(const char *msg);

/* The callback of kind `kind` (EQ_KIND_*), as a pointer for runtimes without dlsym. */
EQ_API void *eq_fn(int kind);

/*
 * Ring capacity (bytes, >= 64 KiB; 0 keeps it), packet-head size (20 or 28;
 * 0 keeps it) and how long a callback may wait for room when the ring is full
 * (ms; 0: drop at once and count it; < 0: wait as long as it takes). Capacity
 * changes only while the ring is empty. Returns 0, or -1 for bad arguments,
 * -2 when the capacity cannot change now, -3 when out of memory.
 * Defaults: 4 MiB, 28, 1000 ms.
 */
EQ_API int eq_configure(int capacity, int head_size, int block_ms);

/* Only the blocking time (see eq_configure); 0 also releases waiting callbacks at once. */
EQ_API void eq_set_block(int block_ms);

/*
 * `wake` (a `void (*)(void)`, or NULL for none) is called once each time a
 * record arrives while the queue is armed; the queue is armed again when a
 * drain leaves it empty. Setting a wake arms the queue (and wakes at once
 * when records are waiting).
 */
EQ_API void eq_set_wake(void *wake, int mode);

/*
 * The socket wake (EQ_WAKE_SOCKET): the library's thread writes one byte per
 * batch to a Unix socket that the runtime reads on its own event loop, so
 * waking JS costs one thread switch and no call into the runtime from a
 * foreign thread. Set up in steps: eq_wake_listen(path) listens at `path` (a
 * fresh file name); the runtime connects to it; eq_wake_accept() takes that
 * connection (and closes the listening socket and removes its file); then
 * eq_set_wake(wake, EQ_WAKE_SOCKET) switches to it (without an accepted
 * socket that mode means EQ_WAKE_THREAD, with `wake`). The accepted socket
 * is never closed. Both return 0 or -errno; eq_wake_accept makes one
 * attempt (-EAGAIN: nobody had connected) and removes the listening socket
 * either way.
 */
EQ_API int eq_wake_listen(const char *path);
EQ_API int eq_wake_accept(void);

/*
 * Copy whole records, oldest first, into `out` (`cap` bytes). Returns the
 * bytes written (0: the queue is empty, and now armed), or -n when the oldest
 * record alone needs n bytes (> cap): call again with a larger buffer.
 */
EQ_API int eq_drain(void *out, int cap);

/*
 * Counters into out[0..7] (doubles): pushed, dropped, drained, wakes, bytes
 * queued now, most bytes ever queued, capacity, records queued now.
 */
EQ_API void eq_stats(double *out);

#ifdef __cplusplus
}
#endif
#endif

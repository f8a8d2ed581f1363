/* ringo — streams and servers, asyncio's StreamReader/StreamWriter,
 * open_connection and start_server (included by <ringo.h>).
 *
 * A stream is one fd read and written through a buffer. On a socket it
 * receives with a multishot recv into the loop's provided buffer ring
 * (IORING_OP_RECV with IORING_RECV_MULTISHOT and IOSQE_BUFFER_SELECT, 6.0+;
 * a single-shot recv elsewhere), so an idle connection holds no receive
 * buffer; -ENOBUFS from an exhausted buffer ring is answered by re-arming,
 * and no byte is lost or reordered. Reading pauses (the recv is cancelled)
 * while more than `limit` * 2 bytes wait unread, which lets TCP's flow
 * control push back on the peer. On a pipe or file it reads with
 * IORING_OP_READ. Writes are buffered and sent in the background by one
 * send in flight at a time; drain() waits for the buffer to go down.
 *
 * Deadlines: ringo_stream_set_deadline() applies to every later call on the
 * stream that may suspend. A read that times out returns -ETIMEDOUT and
 * consumes nothing: bytes that arrived before the deadline stay in the
 * stream's buffer, in order, for the next read (a readexactly or readline
 * that timed out half way loses nothing).
 */
#ifndef RINGO_STREAM_H
#define RINGO_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ringo_stream ringo_stream;
typedef struct ringo_server ringo_server;

typedef struct ringo_stream_opts {
	size_t limit;       /* readline/readuntil line limit; 0: 65536 */
	size_t write_high;  /* drain waits while more is buffered; 0: 65536 */
} ringo_stream_opts;

/* Wraps fd (a connected socket, a pipe, a file; the stream now owns it and
 * closes it). Does not suspend. Returns 0 and *out (release with
 * ringo_stream_destroy), or -EPERM outside a loop, -EINVAL, -ENOMEM. */
int ringo_stream_open(int fd, const ringo_stream_opts *opts, ringo_stream **out);
/* asyncio.open_connection: connects to host:port (as ringo_addr_parse;
 * with ringo_executor, host names too) and wraps the socket. May suspend.
 * Returns 0 and *out, or a negative errno (-ECONNREFUSED, -ETIMEDOUT...). */
int ringo_open_connection(const char *host, uint16_t port, const ringo_stream_opts *opts,
			  int64_t deadline, ringo_stream **out);

/* The stream's fd (still the stream's), or -EINVAL for NULL. */
int ringo_stream_fd(const ringo_stream *s);
/* Every later call on s that may suspend ends with -ETIMEDOUT at deadline
 * (CLOCK_MONOTONIC ns; RINGO_NO_DEADLINE, 0, for none). */
void ringo_stream_set_deadline(ringo_stream *s, int64_t deadline);

/* ---- reading. All may suspend. ---- */

/* Up to n bytes: what is buffered, or else waits for some. Returns the
 * count, 0 at end of stream, or a negative errno (-ECONNRESET...). */
ssize_t ringo_stream_read(ringo_stream *s, void *buf, size_t n);
/* Exactly n bytes. Returns n; or, when the stream ends first, -ENODATA
 * with what arrived copied to buf and its length in *got (asyncio's
 * IncompleteReadError); got may be NULL. */
ssize_t ringo_stream_readexactly(ringo_stream *s, void *buf, size_t n, size_t *got);
/* Up to and including the next '\n' (or what is left at end of stream),
 * copied into buf (cap bytes), NUL-terminated when it fits. Returns the
 * line's length (0 at end of stream). A line longer than the stream's
 * limit or than cap returns -EMSGSIZE, and the data stays buffered. */
ssize_t ringo_stream_readline(ringo_stream *s, char *buf, size_t cap);
/* Up to and including separator sep (seplen bytes), into buf. Returns the
 * length; -ENODATA at end of stream before the separator (what arrived
 * stays buffered); -EMSGSIZE over the limit or cap (the data stays). */
ssize_t ringo_stream_readuntil(ringo_stream *s, const void *sep, size_t seplen, void *buf,
			       size_t cap);
/* Zero-copy reading: points *data at the buffered bytes and returns their
 * count (0 if none); does not suspend. */
size_t ringo_stream_peek(const ringo_stream *s, const void **data);
/* Waits until more bytes than are buffered now have arrived. Returns how
 * many more (> 0), 0 at end of stream, or a negative errno. */
ssize_t ringo_stream_fill(ringo_stream *s);
/* Drops the first n buffered bytes (at most what is buffered). */
void ringo_stream_consume(ringo_stream *s, size_t n);
/* Whether the peer has ended the stream and everything was read. */
bool ringo_stream_at_eof(const ringo_stream *s);

/* ---- writing ---- */

/* Buffers n bytes and starts sending them; does not suspend. Returns 0, or
 * -EPIPE after close or a write error (the error is also returned by
 * drain), -ENOMEM. */
int ringo_stream_write(ringo_stream *s, const void *buf, size_t n);
/* Waits until at most write_high bytes are buffered (flow control). Returns
 * 0 or the write error (-EPIPE, -ECONNRESET...). May suspend. */
int ringo_stream_drain(ringo_stream *s);
/* Sends everything buffered, then shuts down the write side. May suspend.
 * Returns 0 or a negative errno. */
int ringo_stream_write_eof(ringo_stream *s);
/* Starts closing: buffered data is still sent, then the fd is closed.
 * Does not suspend; returns 0 (or -EINVAL for NULL). */
int ringo_stream_close(ringo_stream *s);
/* Waits until the stream is closed (calls ringo_stream_close first if
 * needed). Returns 0 or the write error that ended it. May suspend. */
int ringo_stream_wait_closed(ringo_stream *s);
/* Frees s. If it is not closed yet it is aborted: buffered output is
 * dropped and the fd closed. Does not suspend. Accepts NULL. */
void ringo_stream_destroy(ringo_stream *s);

/* ------------------------------------------------------------------------
 * Servers: asyncio.start_server
 * ------------------------------------------------------------------------ */

/* A connection's handler, run as a task of its own. The server closes and
 * frees the stream when the handler returns. */
typedef intptr_t (*ringo_conn_fn)(ringo_stream *s, void *arg);

typedef struct ringo_server_opts {
	int backlog;                    /* <= 0: SOMAXCONN */
	const ringo_stream_opts *stream; /* for every connection; NULL: defaults */
} ringo_server_opts;

/* Listens on host:port (as ringo_listen_on; port 0 picks one) and serves
 * each connection with handler(stream, arg) on a task of its own. May
 * suspend. Returns 0 and *out (release with ringo_server_close), or a
 * negative errno (-EADDRINUSE...). */
int ringo_start_server(const char *host, uint16_t port, ringo_conn_fn handler, void *arg,
		       const ringo_server_opts *opts, ringo_server **out);
/* The port the server listens on. */
uint16_t ringo_server_port(const ringo_server *srv);
/* Waits until the server is closed by someone else (serve_forever).
 * Returns 0, or -ECANCELED. May suspend. */
int ringo_server_wait_closed(ringo_server *srv);
/* Stops accepting and closes the listening socket; with cancel_handlers,
 * cancels every running handler; then waits for all handlers to end and
 * frees srv. Returns 0 or -EPERM outside its loop. May suspend. */
int ringo_server_close(ringo_server *srv, bool cancel_handlers);

#ifdef __cplusplus
}
#endif

#endif

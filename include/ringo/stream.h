/* SPDX-License-Identifier: MIT */
/* ringo — streams and servers, asyncio's StreamReader/StreamWriter,
 * open_connection and start_server (included by <ringo.h>).
 *
 * A stream is one fd read and written through a buffer. On a socket it
 * receives with a multishot recv into the loop's provided buffer ring
 * (IORING_OP_RECV with IORING_RECV_MULTISHOT and IOSQE_BUFFER_SELECT, 6.0+;
 * a single-shot recv, while a reader waits, elsewhere): it reads ahead from
 * the moment it is opened, as asyncio's transports do, and each arrival is
 * copied into the stream's buffer and its ring buffer given back at once,
 * so an idle connection holds no ring buffer. -ENOBUFS from an exhausted
 * buffer ring is answered by re-arming, and no byte is lost or reordered.
 * Reading pauses (the recv is cancelled) while more than `limit` * 2 bytes
 * wait unread, which lets TCP's flow control push back on the peer, and
 * resumes when a reader brings that down to `limit` or waits for more. On
 * a pipe or file it reads with IORING_OP_READ while a reader waits. Writes
 * are buffered and sent in the background by one send in flight at a time
 * (MSG_NOSIGNAL: a vanished peer is -EPIPE, never SIGPIPE); drain() waits
 * for the buffer to go down.
 *
 * One task at a time may wait to read (asyncio raises RuntimeError; here a
 * second reader gets -EBUSY). A read error (-ECONNRESET...) is returned once
 * the bytes that arrived before it have been read. A task waiting on a
 * stream that is destroyed meanwhile gets -ESHUTDOWN.
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
	/* issue 13, <ringo/tls.h>: open_connection and start_server run the
	 * TLS handshake with this context before handing the stream over. */
	struct ringo_tls_context *tls;
	const char *server_hostname; /* open_connection: SNI and the name the
				      * certificate must carry; NULL: host */
	/* Idle timeout in ns (0: none): when no byte has gone in or out of
	 * the stream for this long, every task waiting on it (read, drain,
	 * write_eof, wait_closed, ringo_copy) gets -ETIMEDOUT. A wait that
	 * starts counts as activity, so each wait gets at least this long.
	 * Negative: -EINVAL. */
	int64_t idle_timeout;
} ringo_stream_opts;

/* Wraps fd (a connected socket, a pipe, a file; the stream now owns it and
 * closes it). O_NONBLOCK is cleared (the stream's ops wait in the kernel;
 * on a nonblocking pipe they would fail with -EAGAIN), and TCP sockets get
 * TCP_NODELAY, as asyncio's transports. Does not suspend. Returns 0 and
 * *out (release with ringo_stream_destroy), or -EPERM outside a loop,
 * -EINVAL, -EBADF, -ENOMEM. */
int ringo_stream_open(int fd, const ringo_stream_opts *opts, ringo_stream **out);
/* asyncio.open_connection: connects to host:port (as ringo_resolve:
 * numeric addresses, "localhost" and Unix paths at once, other names
 * through getaddrinfo on the executor) and wraps the socket. deadline
 * bounds the lookup and the connect. May suspend. Returns 0 and *out, or a
 * negative errno (-ECONNREFUSED, -ETIMEDOUT, -ENOENT for an unknown
 * name...). */
int ringo_open_connection(const char *host, uint16_t port, const ringo_stream_opts *opts,
			  ringo_deadline deadline, ringo_stream **out);

/* The stream's fd (still the stream's), or -EINVAL for NULL. */
int ringo_stream_fd(const ringo_stream *s);
/* Every later call on s that may suspend ends with -ETIMEDOUT at deadline
 * (ringo_deadline_in/_at; RINGO_NO_DEADLINE: none). Does not suspend. */
void ringo_stream_set_deadline(ringo_stream *s, ringo_deadline deadline);

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
/* Zero-copy reading: points *data (if not NULL) at the buffered bytes and
 * returns their count (0 if none); does not suspend. The bytes stay valid
 * until the next consume or read, or until the task next suspends (arrivals
 * may move the buffer). They are not NUL-terminated, and what follows them
 * may be stale bytes up to the end of a mapping (a buffer of the loop's
 * buffer ring): no strlen, sscanf or strtol on them without a copy. The
 * stream counts them as seen by its reader (see ringo_stream_fill). */
size_t ringo_stream_peek(ringo_stream *s, const void **data);
/* Waits until bytes past those the reader has seen are buffered: the call
 * for a parser that looked at what ringo_stream_peek returned without
 * finding a whole request. Returns at once if such bytes are buffered
 * already, as when they came while the task waited on a drain or a sleep.
 * Returns how many are buffered past the seen ones (> 0), 0 at end of
 * stream with none past them, or a negative errno (-ECANCELED,
 * -ETIMEDOUT at the stream's deadline or idle timeout, -EBUSY if another
 * task reads). May suspend.
 *
 * Seen bytes: the stream counts how many of its buffered bytes the reader
 * has seen. ringo_stream_peek sets the count to what it returns, fill and
 * fill_past to what is buffered when they return > 0. consume, the reads
 * (read, readexactly, readline, readuntil) and ringo_copy take seen bytes
 * first: the count goes down by what they take, to 0 at least (a line
 * read past the seen bytes leaves none seen; so do bytes an interrupted
 * copy puts back). Until the reader first calls peek or fill_past, fill
 * counts every byte buffered when it is called as seen: it waits for new
 * ones. So peek, parse, consume, drain, fill loses no wake-up
 * (docs/pipelining.md). */
ssize_t ringo_stream_fill(ringo_stream *s);
/* ringo_stream_fill with the count of seen bytes given: waits until more
 * than seen bytes are buffered (returns at once if they are). Returns the
 * number buffered (> seen), 0 at end of stream with no more than seen
 * buffered, or a negative errno, as fill. Sets the stream's count of seen
 * bytes to seen, then to what it returns. May suspend. */
ssize_t ringo_stream_fill_past(ringo_stream *s, size_t seen);
/* Drops the first n buffered bytes (at most what is buffered). */
void ringo_stream_consume(ringo_stream *s, size_t n);
/* Whether the peer has ended the stream and everything was read. */
bool ringo_stream_at_eof(const ringo_stream *s);

/* ---- writing ---- */

/* Buffers n bytes and starts sending them; does not suspend. Returns 0, or
 * -EPIPE after close, write_eof or a write error (the error is also
 * returned by drain), -ENOMEM; -EPERM outside a loop, -EXDEV on another
 * loop's thread (a stream is not thread-safe: the reads, writes, drain,
 * write_eof and wait_closed of another loop's stream all return -EXDEV). */
int ringo_stream_write(ringo_stream *s, const void *buf, size_t n);
/* Waits until at most write_high bytes are buffered (flow control). Returns
 * 0 or the write error (-EPIPE, -ECONNRESET...). May suspend. */
int ringo_stream_drain(ringo_stream *s);
/* Sends everything buffered, then shuts down the write side (later writes
 * are -EPIPE; reading goes on). On a pipe, whose write side is the whole
 * fd, the stream is closed instead (close + wait_closed), as asyncio does.
 * May suspend. Returns 0 or a negative errno. */
int ringo_stream_write_eof(ringo_stream *s);
/* Starts closing: reading stops at once (a waiting reader finds the end
 * of the stream; what was buffered can still be read), buffered output is
 * still sent, then the fd is closed. Does not suspend; returns 0 (or
 * -EINVAL for NULL). */
int ringo_stream_close(ringo_stream *s);
/* Waits until the stream is closed (calls ringo_stream_close first if
 * needed). Returns 0 or the write error that ended it. May suspend. */
int ringo_stream_wait_closed(ringo_stream *s);
/* Frees s. If it is not closed yet it is aborted: buffered output is
 * dropped; tasks waiting on it get -ESHUTDOWN. A socket is shut down
 * (SHUT_RDWR) before this returns, so the peer sees the end at once, even
 * if the caller blocks next. Ops still in flight are cancelled; the fd is
 * closed, and their memory freed, when their last CQE comes (the loop's
 * next turns). Does not suspend. Accepts NULL; after its loop has ended too
 * (a stream the loop's end found open had its ops stopped then). */
void ringo_stream_destroy(ringo_stream *s);

/* ------------------------------------------------------------------------
 * Copying: io.Copy, or a proxy's two directions
 * ------------------------------------------------------------------------ */

/* One end of a copy: a stream (fd ignored), or a plain fd (stream NULL):
 * a socket, a pipe, a file (read and written at its current position). */
typedef struct ringo_copy_end {
	ringo_stream *stream;
	int fd;
} ringo_copy_end;

static inline ringo_copy_end ringo_copy_stream(ringo_stream *s)
{
	ringo_copy_end e = { s, -1 };
	return e;
}
static inline ringo_copy_end ringo_copy_fd(int fd)
{
	ringo_copy_end e = { 0, fd };
	return e;
}

/* Moves bytes from src to dst until src ends, limit bytes have moved (0:
 * no limit) or the deadline passes; src and dst may be the same stream (an
 * echo). A source stream's buffered bytes go first; while the copy runs
 * nobody else may read src (-EBUSY) or write dst (writes get -EBUSY), and
 * bytes written to dst before it are sent first. A stream end's idle
 * timeout applies (a byte in either direction of the stream counts). The
 * bytes go through a pipe with IORING_OP_SPLICE, or through one buffer
 * with recv and send (docs/copy.md says which). Does not shut down or
 * close either end. May suspend.
 *
 * Returns the count moved (src's end or the limit), or a negative errno:
 * a read error of src (after moving what came before it), a write error of
 * dst, -ETIMEDOUT (deadline or idle timeout), -ECANCELED, -EBUSY, -EBADF,
 * -EPERM outside a loop. *moved (may be NULL) is always the count moved,
 * also on error. No byte read is lost: bytes read but not written when the
 * copy is interrupted are queued on a dst stream (sent in the background,
 * counted as moved), else put back in front of a src stream's input; only
 * a copy between two plain fds may drop them (not counted). */
ssize_t ringo_copy(ringo_copy_end src, ringo_copy_end dst, uint64_t limit,
		   ringo_deadline deadline, uint64_t *moved);
/* ringo_copy between two streams (-EINVAL for NULL). */
ssize_t ringo_stream_copy(ringo_stream *src, ringo_stream *dst, uint64_t limit,
			  ringo_deadline deadline, uint64_t *moved);

/* ------------------------------------------------------------------------
 * Servers: asyncio.start_server
 * ------------------------------------------------------------------------ */

/* A connection's handler, run as a task of its own. When it returns, the
 * server closes the stream, waits for its output to be sent
 * (wait_closed, under the stream's deadline if the handler set one), and
 * frees it; a handler that was cancelled has its stream aborted instead.
 * The handler must not destroy the stream. Its result is dropped, as
 * asyncio drops the client_connected_cb's. */
typedef intptr_t (*ringo_conn_fn)(ringo_stream *s, void *arg);

typedef struct ringo_server_opts {
	int backlog;                    /* <= 0: SOMAXCONN */
	const ringo_stream_opts *stream; /* for every connection; NULL: defaults */
	bool reuse_port;                /* SO_REUSEPORT: every loop of
					   ringo_run_threads may listen on the
					   same port, the kernel spreads the
					   connections (TCP only) */
	/* issue 13: TLS on every connection (a server context): the handshake
	 * runs, under handshake_timeout (0: 10 s), before the handler; a
	 * connection whose handshake fails is closed without it. */
	struct ringo_tls_context *tls;
	int64_t handshake_timeout;
} ringo_server_opts;

/* Listens on host:port (as ringo_listen_on; port 0 picks one) and serves
 * each connection with handler(stream, arg) on a task of its own. May
 * suspend. Returns 0 and *out (release with ringo_server_close), or a
 * negative errno (-EADDRINUSE...; -EPERM outside a task). A Unix socket's
 * file is removed when the server closes (asyncio 3.13's cleanup_socket). */
int ringo_start_server(const char *host, uint16_t port, ringo_conn_fn handler, void *arg,
		       const ringo_server_opts *opts, ringo_server **out);
/* ringo_start_server on a socket the caller made (one inherited from
 * systemd, say): a SOCK_STREAM socket, bound; it is put to listen with
 * opts->backlog (as asyncio's start_server(sock=)). On success the server
 * owns fd and closes it with the server; on failure fd stays the
 * caller's. opts->reuse_port is ignored (the socket is bound already).
 * May suspend. Returns 0 and *out, or -EINVAL (fd < 0, not a stream
 * socket, NULL handler or out), -ENOTSOCK, -EBADF, the error of listen(2),
 * -EPERM outside a task. */
int ringo_start_server_fd(int fd, ringo_conn_fn handler, void *arg,
			  const ringo_server_opts *opts, ringo_server **out);
/* The port the server listens on (0 for a Unix socket or NULL). */
uint16_t ringo_server_port(const ringo_server *srv);
/* Waits until the server is closed by someone else (serve_forever).
 * Returns 0, or -ECANCELED. May suspend. */
int ringo_server_wait_closed(ringo_server *srv);
/* Stops accepting and closes the listening socket; wakes wait_closed;
 * with cancel_handlers, cancels every running handler; then waits for all
 * handlers to end and frees srv. Cancelling the task that closes cancels
 * the handlers too, and close still waits for them (srv is never freed
 * under them): it returns 0 and the cancellation is delivered at the next
 * await. Returns 0, -EPERM outside a task of its loop (-EXDEV in another
 * loop's), -EBUSY if another
 * task is closing srv already, -EINVAL for NULL. May suspend. */
int ringo_server_close(ringo_server *srv, bool cancel_handlers);

#ifdef __cplusplus
}
#endif

#endif

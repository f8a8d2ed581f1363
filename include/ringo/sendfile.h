/* SPDX-License-Identifier: MIT */
/* ringo — sendfile: asyncio's loop.sendfile (included by <ringo.h>).
 *
 * A file's bytes go to a socket inside the kernel: IORING_OP_SPLICE from
 * the file into a pipe and from the pipe into the socket, each step an SQE
 * whose CQE resumes the task; the file's pages are never copied to user
 * space. Where the kernel cannot splice (no IORING_OP_SPLICE, or fds it
 * does not splice) the same call reads and sends through a buffer
 * (IORING_OP_READ and IORING_OP_SEND), as asyncio falls back.
 *
 * Partial progress is never lost: *sent receives the bytes that reached the
 * socket, also when the call fails, times out or is cancelled, so a caller
 * can resume at offset + *sent. Bytes read from the file but not yet sent
 * when the call stopped are not counted, and are not sent.
 */
#ifndef RINGO_SENDFILE_H
#define RINGO_SENDFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ringo_stream;

/* Sends count bytes (0: up to the end of the file) of file_fd from offset
 * (-1: its current position, which then advances) to out_fd (a connected
 * socket, a pipe, or a file at its position). Returns the bytes sent (less
 * than count only when the file ended first) or a negative errno
 * (-EPIPE/-ECONNRESET: the peer went away, never SIGPIPE; -ETIMEDOUT;
 * -ECANCELED; -EINVAL for a negative offset other than -1). *sent (if not
 * NULL) always receives the bytes sent. May suspend. */
ssize_t ringo_sendfile(int out_fd, int file_fd, int64_t offset, size_t count, size_t *sent,
		       ringo_deadline deadline);
/* The same to a stream: what the stream has buffered is sent first, then
 * the file's bytes straight to its socket (through the stream's TLS
 * session if it has one, as ordinary writes), under the stream's deadline.
 * Do not write to s from another task meanwhile. Returns as
 * ringo_sendfile; -EPIPE after write_eof or close. May suspend. */
ssize_t ringo_stream_sendfile(struct ringo_stream *s, int file_fd, int64_t offset, size_t count,
			      size_t *sent);

#ifdef __cplusplus
}
#endif

#endif

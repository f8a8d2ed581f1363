/* SPDX-License-Identifier: MIT */
/* Internal: moving bytes between two fds inside the kernel with
 * IORING_OP_SPLICE, through a pipe when neither end is one (zero-copy: the
 * file's pages are referenced, not copied). Shared by ringo_sendfile and
 * the stream copy. Never installed. */
#ifndef RINGO__SPLICE_H
#define RINGO__SPLICE_H

#include "io.h"

/* Moves up to count bytes (0: until end of input) from in, at *in_off
 * (advanced; NULL: in's own position), to out, which must take everything
 * (a socket, a pipe, a file at its position). Each step is one SPLICE SQE
 * whose CQE resumes the task. Returns the bytes that reached out (less than
 * count only at end of input), or a negative errno: -EINVAL when the kernel
 * cannot splice these fds (nothing was moved: the caller falls back to
 * read + write), -EOPNOTSUPP without IORING_OP_SPLICE, -ETIMEDOUT,
 * -ECANCELED, a write error. *done (if not NULL) always receives the bytes
 * that reached out, also on error and cancellation; bytes read into the
 * pipe but not yet out are dropped with the pipe. May suspend. */
ssize_t ringo__splice(int in, int64_t *in_off, int out, size_t count, size_t *done,
		      ringo_deadline deadline);

#endif

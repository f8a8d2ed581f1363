/* SPDX-License-Identifier: MIT */
/* ringo — files and sockets (included by <ringo.h>).
 *
 * Each call that may suspend is one io_uring SQE whose CQE resumes the
 * calling task (with a deadline: the SQE linked to an
 * IORING_OP_LINK_TIMEOUT, and the task resumes after both CQEs). They are
 * the io_uring counterparts of the system calls they are named after and
 * take the same arguments, plus a deadline.
 *
 * Deadlines: every operation takes `deadline`, a ringo_deadline (<ringo.h>):
 * an absolute CLOCK_MONOTONIC time made with ringo_deadline_in(delay_ns) or
 * ringo_deadline_at(when_ns), or RINGO_NO_DEADLINE. It is a struct, not an
 * integer, so passing a duration (RINGO_SEC(2)) or 0 by mistake is a
 * compile error rather than a deadline long past. An operation still
 * pending at its deadline is cancelled by the kernel and returns
 * -ETIMEDOUT; one that completed first returns its result; one whose
 * deadline has already passed is still submitted, and times out at once
 * unless it completes immediately. One deadline can be passed to every step
 * of a request, as Go's SetDeadline.
 *
 * Cancellation: cancelling the task sends IORING_OP_ASYNC_CANCEL and the
 * call returns only after the operation's own CQE, so the kernel no longer
 * touches the caller's buffer once a call has returned, whatever it
 * returned. An operation that completed despite the cancel returns its real
 * result (bytes moved, an accepted or opened fd, now the caller's), and the
 * cancellation is delivered by the next await, as -ECANCELED.
 *
 * Errors: the negative errno of the CQE, as the system call would set it;
 * -EOPNOTSUPP when the running kernel lacks the io_uring opcode (probed once
 * per loop); -EPERM outside a task; -EINVAL for bad arguments (a NULL
 * buffer with a nonzero length, say), with nothing submitted.
 */
#ifndef RINGO_IO_H
#define RINGO_IO_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

struct statx;
struct open_how;

/* ------------------------------------------------------------------------
 * Files. offset: a file position, or -1 for the current position (which
 * the call then advances, as read(2) does). All may suspend.
 * ------------------------------------------------------------------------ */

/* openat(2) relative to the working directory / dirfd. Returns the new fd
 * (the caller's, to close) or a negative errno. */
int ringo_open(const char *path, int flags, mode_t mode, ringo_deadline deadline);
int ringo_openat(int dirfd, const char *path, int flags, mode_t mode, ringo_deadline deadline);
/* openat2(2) (IORING_OP_OPENAT2, 5.6+; <linux/openat2.h>): how->resolve
 * RESOLVE_BENEATH confines the lookup to dirfd's tree (an escape by "..",
 * an absolute path or a symlink is -EXDEV). Returns the new fd (the
 * caller's) or a negative errno. */
int ringo_openat2(int dirfd, const char *path, struct open_how *how, ringo_deadline deadline);
/* pread/pwrite (offset >= 0) or read/write (offset -1). Return the bytes
 * moved (0 from read: end of file) or a negative errno. A write to a pipe
 * whose reader is gone returns -EPIPE without raising SIGPIPE on kernels
 * with RWF_NOSIGNAL (6.18+); older kernels raise it, as write(2) does. */
ssize_t ringo_read(int fd, void *buf, size_t n, int64_t offset, ringo_deadline deadline);
ssize_t ringo_write(int fd, const void *buf, size_t n, int64_t offset, ringo_deadline deadline);
ssize_t ringo_readv(int fd, const struct iovec *iov, int iovcnt, int64_t offset,
		    ringo_deadline deadline);
ssize_t ringo_writev(int fd, const struct iovec *iov, int iovcnt, int64_t offset,
		     ringo_deadline deadline);
/* Read until n bytes or end of file / write all n bytes, resubmitting after
 * short transfers (offset, if not -1, advances with them). Return the total
 * (less than n only at end of file), or a negative errno; *done (if not
 * NULL) always receives the bytes moved, also on error or cancellation. */
ssize_t ringo_read_all(int fd, void *buf, size_t n, int64_t offset, size_t *done,
		       ringo_deadline deadline);
ssize_t ringo_write_all(int fd, const void *buf, size_t n, int64_t offset, size_t *done,
			ringo_deadline deadline);
/* fsync(2) / fdatasync(2). Return 0 or a negative errno. */
int ringo_fsync(int fd, ringo_deadline deadline);
int ringo_fdatasync(int fd, ringo_deadline deadline);
/* statx(2) into *out. Returns 0 or a negative errno. */
int ringo_statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *out,
		ringo_deadline deadline);
/* close(2). Returns 0 or a negative errno; the fd is gone either way. */
int ringo_close(int fd, ringo_deadline deadline);
/* unlinkat(AT_FDCWD, path, flags): flags 0, or AT_REMOVEDIR for a
 * directory. renameat(2) and mkdirat(2) relative to the working directory.
 * Return 0 or a negative errno. */
int ringo_unlink(const char *path, int flags, ringo_deadline deadline);
int ringo_rename(const char *from, const char *to, ringo_deadline deadline);
int ringo_mkdir(const char *path, mode_t mode, ringo_deadline deadline);

/* ------------------------------------------------------------------------
 * Sockets: IPv4, IPv6 and Unix. All may suspend except bind and listen.
 * ------------------------------------------------------------------------ */

/* socket(2). Returns the fd (the caller's) or a negative errno. */
int ringo_socket(int domain, int type, int protocol, ringo_deadline deadline);
/* bind(2) and listen(2): they never block, so they are plain calls that do
 * not suspend. Return 0 or a negative errno. */
int ringo_bind(int fd, const struct sockaddr *addr, socklen_t len);
int ringo_listen(int fd, int backlog);
/* accept4(2): flags SOCK_CLOEXEC, SOCK_NONBLOCK. addr/len may be NULL.
 * Returns the connected fd (the caller's) or a negative errno. For a
 * listening socket served by many tasks, see ringo_acceptor. */
int ringo_accept(int fd, struct sockaddr *addr, socklen_t *len, int flags, ringo_deadline deadline);
/* connect(2). Returns 0 or a negative errno. */
int ringo_connect(int fd, const struct sockaddr *addr, socklen_t len, ringo_deadline deadline);
/* recv(2), send(2), recvmsg(2), sendmsg(2). Return bytes moved (0 from recv:
 * the peer shut down) or a negative errno. send never raises SIGPIPE
 * (MSG_NOSIGNAL is added): a vanished peer is -EPIPE. */
ssize_t ringo_recv(int fd, void *buf, size_t n, int flags, ringo_deadline deadline);
ssize_t ringo_send(int fd, const void *buf, size_t n, int flags, ringo_deadline deadline);
ssize_t ringo_recvmsg(int fd, struct msghdr *msg, int flags, ringo_deadline deadline);
ssize_t ringo_sendmsg(int fd, const struct msghdr *msg, int flags, ringo_deadline deadline);
/* send until all n bytes are sent, as ringo_write_all. */
ssize_t ringo_send_all(int fd, const void *buf, size_t n, int flags, size_t *done,
		       ringo_deadline deadline);
/* shutdown(2). Returns 0 or a negative errno. */
int ringo_shutdown(int fd, int how, ringo_deadline deadline);

/* Fills addr and len for host and port. host is a numeric IPv4 or IPv6
 * address ("127.0.0.1", "::1"), "localhost" (127.0.0.1), NULL or "" (any
 * IPv4 address), or a Unix socket path: one starting with '/' or "./", or
 * "unix:PATH" (port is then ignored). Does not suspend; -EINVAL for
 * anything else (names need DNS). */
int ringo_addr_parse(const char *host, uint16_t port, struct sockaddr_storage *addr,
		     socklen_t *len);
/* A listening socket for host/port (as ringo_addr_parse; port 0 picks a
 * free one), SOCK_CLOEXEC, with SO_REUSEADDR for TCP. backlog <= 0 means
 * SOMAXCONN. Returns the fd (the caller's) or a negative errno. May suspend. */
int ringo_listen_on(const char *host, uint16_t port, int backlog);
/* The local port of a bound socket, or a negative errno. Does not suspend. */
int ringo_local_port(int fd);

/* ------------------------------------------------------------------------
 * Acceptor: a listening socket served by a multishot accept
 * (IORING_OP_ACCEPT with IORING_ACCEPT_MULTISHOT, 5.19+; a single-shot
 * accept re-armed after each connection elsewhere), re-armed whenever its
 * CQE ends without IORING_CQE_F_MORE, so no connection is lost. Connections
 * that arrive while no task waits are queued. When accept fails for want of
 * descriptors (EMFILE, ENFILE, ENOBUFS, ENOMEM), the acceptor backs off
 * (10 ms doubling to 1 s) instead of spinning; the pending connections stay
 * in the kernel's backlog and are accepted once fds are free again.
 * ------------------------------------------------------------------------ */

typedef struct ringo_acceptor ringo_acceptor;

/* Starts accepting on listen_fd (a listening socket, still the caller's;
 * keep it open until the acceptor is closed). Does not suspend. Returns 0
 * and *out (release with ringo_acceptor_close), or -EPERM outside a loop,
 * -EINVAL (listen_fd is not a listening socket), -EBADF, -ENOMEM. */
int ringo_acceptor_open(int listen_fd, ringo_acceptor **out);
/* Waits for the next connection. Returns its fd (SOCK_CLOEXEC; the
 * caller's), -ETIMEDOUT at the deadline, -ECANCELED, or -ESHUTDOWN once the
 * acceptor is closing. Several tasks may wait; they are served FIFO. A
 * connection already queued is returned without suspending. A task
 * cancelled or timed out while waiting takes no connection (it stays for
 * the next taker); one cancelled after a connection was handed to it keeps
 * it (returned), and -ECANCELED comes at its next await. If the socket
 * itself fails (-EBADF, -EINVAL: closed or no longer listening), accepting
 * stops and waiting and later calls return that error. May suspend;
 * -EPERM outside a task of the acceptor's loop. */
int ringo_acceptor_accept(ringo_acceptor *a, ringo_deadline deadline);
/* Stops accepting: cancels the accept, wakes waiting tasks with -ESHUTDOWN,
 * waits for the op's last CQE, closes connections accepted but not taken,
 * and frees a. Does not close listen_fd. May suspend (called from a
 * callback, it returns at once and a is freed when the last CQE comes);
 * a cancellation meanwhile does not interrupt it and is delivered at the
 * next await. Returns 0; -EBUSY if another task is closing a already;
 * -EPERM outside the acceptor's loop (a is then freed, without waiting, if
 * its loop has ended: the loop's shutdown stopped its accept). Accepts
 * NULL. */
int ringo_acceptor_close(ringo_acceptor *a);

#ifdef __cplusplus
}
#endif

#endif

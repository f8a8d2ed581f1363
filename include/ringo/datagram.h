/* SPDX-License-Identifier: MIT */
/* ringo — datagram endpoints: asyncio's create_datagram_endpoint
 * (included by <ringo.h>).
 *
 * An endpoint is one datagram socket (UDP over IPv4 or IPv6, or a Unix
 * datagram socket), bound and/or connected. Every wait is an SQE resumed by
 * its CQE:
 *  - Receiving. Where the kernel has them (6.0+), one multishot
 *    IORING_OP_RECVMSG picks buffers from the loop's provided buffer ring
 *    and reads ahead: each datagram is copied out with its sender's address
 *    into the endpoint's queue and the ring buffer is given back at once.
 *    Above `queue` datagrams waiting unread the receive is cancelled until
 *    a reader takes some (the kernel's socket buffer then holds, and past
 *    it drops, what comes, as for any UDP socket). Elsewhere, or when
 *    `max_size` is larger than a ring buffer holds, each recvfrom is one
 *    IORING_OP_RECVMSG straight into the caller's buffer.
 *  - Sending. ringo_datagram_sendto queues one IORING_OP_SENDMSG and
 *    returns without waiting, as asyncio's transport.sendto: the sends
 *    queued before a task next suspends reach the kernel together, in one
 *    io_uring_enter (batched). ringo_datagram_drain waits for them and
 *    reports their first error. ringo_datagram_send is the awaited form.
 *
 * Deadlines and cancellation: as every I/O call (<ringo/io.h>). A
 * recvfrom that times out or is cancelled takes no datagram: one already
 * queued stays for the next reader. One task at a time may wait in
 * recvfrom (a second gets -EBUSY).
 *
 * Errors the network reports for earlier datagrams (-ECONNREFUSED on a
 * connected UDP socket after an ICMP port unreachable: asyncio's
 * error_received) are returned once by the next recvfrom; the endpoint
 * keeps receiving.
 */
#ifndef RINGO_DATAGRAM_H
#define RINGO_DATAGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ringo_datagram ringo_datagram;

typedef struct ringo_datagram_opts {
	size_t queue;      /* datagrams received ahead of readers; 0: 1024 */
	size_t max_size;   /* largest datagram received whole; 0: what one ring
			    * buffer holds (about 16 KiB). Larger datagrams are
			    * truncated, as recvfrom(2) truncates them. */
	bool reuse_port;   /* SO_REUSEPORT on the local address */
} ringo_datagram_opts;

/* asyncio.create_datagram_endpoint: a datagram socket bound to
 * local_host:local_port (if local_host is not NULL) and connected to
 * remote_host:remote_port (if remote_host is not NULL); at least one of the
 * two. Addresses as ringo_addr_parse: numeric IPv4/IPv6, "localhost", or a
 * Unix socket path (a stale socket file at a local path is replaced, and
 * the file is removed when the endpoint is closed). Port 0 binds a free
 * port. A socket only connected is bound by the kernel on its first send.
 * May suspend. Returns 0 and *out (release with ringo_datagram_close), or
 * a negative errno (-EINVAL for a bad address or none, -EADDRINUSE,
 * -EPERM outside a task...). */
int ringo_datagram_endpoint(const char *local_host, uint16_t local_port, const char *remote_host,
			    uint16_t remote_port, const ringo_datagram_opts *opts,
			    ringo_datagram **out);
/* Wraps fd, a datagram socket (the endpoint owns and closes it). Does not
 * suspend. Returns 0 and *out, or -EPERM outside a loop, -EINVAL (not a
 * datagram socket), -ENOMEM. */
int ringo_datagram_open(int fd, const ringo_datagram_opts *opts, ringo_datagram **out);

/* The socket (still the endpoint's), or -EINVAL for NULL. */
int ringo_datagram_fd(const ringo_datagram *ep);
/* The local port (0 for a Unix socket), or a negative errno. */
int ringo_datagram_port(const ringo_datagram *ep);

/* Receives one datagram: up to n bytes of it into buf (the rest of a
 * longer one is dropped), and, if from is not NULL, its sender's address
 * into *from and its length into *fromlen (which must then be given).
 * Returns the bytes copied (0 for an empty datagram), -ETIMEDOUT,
 * -ECANCELED, -EBUSY (another task is receiving), -ESHUTDOWN (closed
 * meanwhile), or an error the network reported. May suspend. */
ssize_t ringo_datagram_recvfrom(ringo_datagram *ep, void *buf, size_t n,
				struct sockaddr_storage *from, socklen_t *fromlen, ringo_deadline deadline);

/* Queues one datagram of n bytes to `to` (tolen bytes; NULL for a
 * connected endpoint's peer). The bytes are copied; the SENDMSG goes to the
 * kernel with the next submission. Does not suspend. Returns 0, -ENOMEM,
 * -EINVAL, -EPIPE once closed; -EPERM outside the endpoint's loop. */
int ringo_datagram_sendto(ringo_datagram *ep, const void *buf, size_t n,
			  const struct sockaddr *to, socklen_t tolen);
/* One datagram of a batch (ringo_datagram_sendmmsg): len bytes at buf, to
 * `to` (tolen bytes; NULL for a connected endpoint's peer). */
typedef struct ringo_datagram_msg {
	const void *buf;
	size_t len;
	const struct sockaddr *to;
	socklen_t tolen;
} ringo_datagram_msg;

/* sendmmsg(2)'s role: sends n datagrams as one batch, n IORING_OP_SENDMSGs
 * submitted together in one io_uring_enter, and waits once for all of them
 * (and for datagrams sendto queued before). The bytes are copied, so msgs
 * may go as soon as the call returns, whatever it returns. Returns the
 * number of datagrams sent (n when all were; fewer when some failed, in
 * which case which ones is not said), the first one's error when none was
 * sent (-EMSGSIZE, -ECONNREFUSED, -ENETUNREACH...), 0 for n == 0,
 * -ETIMEDOUT or -ECANCELED (the datagrams already submitted may still go
 * out), -ENOMEM, -EINVAL (a bad message), -EPIPE once closed. May
 * suspend. */
ssize_t ringo_datagram_sendmmsg(ringo_datagram *ep, const ringo_datagram_msg *msgs, size_t n,
				ringo_deadline deadline);
/* Waits until every queued datagram has been sent. Returns 0, or the first
 * send error since the last drain (-ECONNREFUSED, -EMSGSIZE, -ENETUNREACH,
 * ...), -ETIMEDOUT, -ECANCELED. May suspend. */
int ringo_datagram_drain(ringo_datagram *ep, ringo_deadline deadline);
/* Sends one datagram and waits for it: one IORING_OP_SENDMSG. Returns the
 * bytes sent or a negative errno. May suspend. */
ssize_t ringo_datagram_send(ringo_datagram *ep, const void *buf, size_t n,
			    const struct sockaddr *to, socklen_t tolen, ringo_deadline deadline);

/* Closes the endpoint and frees it: a waiting reader or drainer gets
 * -ESHUTDOWN, queued datagrams are dropped, ops in flight are cancelled
 * and the memory they use is freed by their last CQE, and the socket is
 * closed. Does not suspend. Accepts NULL; also after the loop has ended. */
void ringo_datagram_close(ringo_datagram *ep);

#ifdef __cplusplus
}
#endif

#endif

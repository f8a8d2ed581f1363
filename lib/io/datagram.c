/* SPDX-License-Identifier: MIT */
/* Datagram endpoints: asyncio's DatagramTransport over one socket.
 *
 * Receiving. Where the kernel has multishot receives, one
 * IORING_OP_RECVMSG with IORING_RECVMSG_MULTISHOT picks buffers from the
 * loop's buffer ring (lib/io/bufring.c); each CQE holds one datagram with its
 * sender's address (struct io_uring_recvmsg_out, the name, the payload),
 * which is copied into the endpoint's queue, and the buffer goes back at
 * once. The receive stays armed (re-armed whenever a CQE ends it) unless
 * `queue` datagrams wait unread. Elsewhere each recvfrom is one RECVMSG
 * into the caller's buffer (lib/io/io.c).
 *
 * Sending. sendto copies the datagram into a record of its own holding the
 * msghdr, iovec and address the kernel reads, and queues its SENDMSG at
 * once; its CQE frees it. drain waits until none is in flight.
 *
 * Lifetime. An endpoint closed with ops in flight cancels them and is
 * freed by the last CQE. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "io/bufring.h"
#include "io/io.h"

enum { DEFAULT_QUEUE = 1024 };

/* A received datagram waiting for a reader. */
struct dgram {
	struct dgram *next;
	size_t len;
	socklen_t alen;
	struct sockaddr_storage addr;
	char data[];
};

/* A sendmmsg batch's count, shared by its datagrams' CQEs and the task
 * waiting for them; freed by whichever is last. */
struct dbatch {
	size_t pending, sent;
	int err;          /* the first datagram's error */
	bool gone;        /* the task stopped waiting (deadline, cancel) */
};

/* A datagram being sent: what the kernel reads until its CQE. */
struct dsend {
	struct ringo__op op;
	ringo_datagram *ep;
	struct dbatch *batch;         /* sendmmsg's, or NULL */
	struct msghdr msg;
	struct iovec iov;
	struct sockaddr_storage addr;
	char data[];
};

struct ringo_datagram {
	struct ringo_loop *loop;
	uint64_t loop_id;
	int fd;
	bool multishot;
	size_t qmax, max_size;
	char *unix_path;             /* a bound Unix path, removed at close */

	/* receiving (multishot) */
	struct ringo__op rop;
	struct msghdr rmsg;          /* the multishot's layout: name length */
	bool rop_cancelled;
	struct dgram *qhead, **qtail;
	size_t qlen;
	struct dwait *reader;
	struct ringo__io *direct;    /* a reader's single-shot RECVMSG */
	int rerr;                    /* reported once, to the next reader */

	/* sending */
	size_t sending;              /* SENDMSGs in flight */
	int serr;                    /* first send error since the last drain */
	struct ringo__list drainers;

	bool closed;                 /* freed by the last CQE */
	bool shut;                   /* the loop is ending: start nothing */
	struct ringo__resource res;
};

/* A task waiting on an endpoint: its reader, or in drainers. */
struct dwait {
	struct ringo__wait w;
	ringo_datagram *ep;
};

/* ---- lifetime ---- */

static void drop_queue(ringo_datagram *ep)
{
	while (ep->qhead) {
		struct dgram *d = ep->qhead;
		ep->qhead = d->next;
		free(d);
	}
	ep->qtail = &ep->qhead;
	ep->qlen = 0;
}

static void free_endpoint(ringo_datagram *ep)
{
	drop_queue(ep);
	free(ep->unix_path);
	free(ep);
}

/* After a CQE of a closed endpoint: closes and frees it once its last op
 * is back. Returns true if it did (the caller must not touch ep). */
static bool reap_closed(ringo_datagram *ep)
{
	if (!ep->closed || ep->rop.armed || ep->sending || ep->direct)
		return false;
	if (ep->fd >= 0) {
		struct ringo__ring *ring = ep->loop->ring;
		if (ringo__ring_supports(ring, IORING_OP_CLOSE)) {
			struct io_uring_sqe *sqe = ringo__ring_sqe(ring);
			io_uring_prep_close(sqe, ep->fd);
			io_uring_sqe_set_data64(sqe, 0);
		} else {
			close(ep->fd);
		}
	}
	free_endpoint(ep);
	return true;
}

/* ---- waiting ---- */

static void dwait_detach(struct dwait *dw)
{
	if (dw->ep->reader == dw)
		dw->ep->reader = NULL;
	else
		ringo__list_remove(&dw->w.waiter.node);
}

static bool dwait_cancel(struct ringo__wait *w)
{
	if (w->state != RINGO__WAIT_NOTIFY)
		return false;
	dwait_detach(ringo__container_of(w, struct dwait, w));
	ringo__wait_wake(w, -ECANCELED);
	return true;
}

static void dwait_timer(void *arg)
{
	struct dwait *dw = arg;
	if (dw->w.state != RINGO__WAIT_NOTIFY)
		return;
	dwait_detach(dw);
	ringo__wait_wake(&dw->w, -ETIMEDOUT);
}

static void recv_update(ringo_datagram *ep);

/* Suspends the current task t as ep's reader (drain false) or a drainer,
 * until woken, the deadline or a cancellation. Returns the value it was
 * woken with (0, -ETIMEDOUT, -ECANCELED, -ESHUTDOWN: ep is gone). */
static int dwait(ringo_datagram *ep, ringo_task *t, bool drain, ringo_deadline deadline)
{
	struct dwait dw = { .ep = ep };
	ringo_handle *timer = NULL;
	if (!ringo_deadline_none(deadline)) {
		if (deadline.ns <= ringo_time())
			return -ETIMEDOUT;
		int ret = ringo_call_at(deadline.ns, dwait_timer, &dw, &timer);
		if (ret < 0)
			return ret;
	}
	ringo__wait_init_notify(&dw.w, t, dwait_cancel, ep);
	if (drain) {
		ringo__list_push_back(&ep->drainers, &dw.w.waiter.node);
	} else {
		ep->reader = &dw;
		recv_update(ep);
	}
	intptr_t r = ringo__wait_suspend(&dw.w);
	if (timer) {
		ringo_handle_cancel(timer);
		ringo_handle_unref(timer);
	}
	return (int)r;
}

/* ---- receiving ---- */

static void recv_done(struct ringo__op *op, int res, uint32_t flags);

static bool receiving(const ringo_datagram *ep)
{
	return ep->multishot && !ep->closed && !ep->shut && ep->fd >= 0;
}

/* Arms the multishot receive unless the queue is full (and no reader
 * waits), cancels it when it is. */
static void recv_update(ringo_datagram *ep)
{
	bool want = receiving(ep) && (ep->qlen < ep->qmax || ep->reader);
	if (want && !ep->rop.armed) {
		struct ringo__bufring *b = ep->loop->bufring;
		struct io_uring_sqe *sqe = ringo__ring_sqe(ep->loop->ring);
		io_uring_prep_recvmsg_multishot(sqe, ep->fd, &ep->rmsg, 0);
		sqe->flags |= IOSQE_BUFFER_SELECT;
		sqe->buf_group = b->group;
		ep->rop_cancelled = false;
		ringo__op_arm(ep->loop, &ep->rop, recv_done);
		ringo__ring_arm(sqe, &ep->rop);
	} else if (!want && ep->rop.armed && !ep->rop_cancelled) {
		ringo__ring_cancel(ep->loop->ring, &ep->rop);
		ep->rop_cancelled = true;
	}
}

/* Queues the datagram a multishot CQE names (res bytes of buffer bid). */
static void enqueue(ringo_datagram *ep, unsigned bid, int res)
{
	struct ringo__bufring *b = ep->loop->bufring;
	struct io_uring_recvmsg_out *o =
		io_uring_recvmsg_validate((void *)ringo__bufring_data(b, bid), res, &ep->rmsg);
	if (!o)
		return;
	size_t len = io_uring_recvmsg_payload_length(o, res, &ep->rmsg);
	struct dgram *d = malloc(sizeof(*d) + len);
	if (!d) {
		ep->rerr = -ENOMEM;
		return;
	}
	d->next = NULL;
	d->len = len;
	d->alen = o->namelen < sizeof(d->addr) ? o->namelen : sizeof(d->addr);
	memcpy(&d->addr, io_uring_recvmsg_name(o), d->alen);
	memcpy(d->data, io_uring_recvmsg_payload(o, &ep->rmsg), len);
	*ep->qtail = d;
	ep->qtail = &d->next;
	ep->qlen++;
}

static void recv_done(struct ringo__op *op, int res, uint32_t flags)
{
	ringo_datagram *ep = ringo__container_of(op, ringo_datagram, rop);
	if (flags & IORING_CQE_F_BUFFER) {
		unsigned bid = flags >> IORING_CQE_BUFFER_SHIFT;
		if (res >= 0 && !ep->closed)
			enqueue(ep, bid, res);
		ringo__bufring_recycle(ep->loop->bufring, bid);
	} else if (res < 0 && res != -ENOBUFS && res != -ECANCELED && !ep->closed) {
		/* -ENOBUFS: the ring ran dry; the datagrams wait in the socket
		 * and the receive is re-armed below. */
		ep->rerr = res;
	}
	if (!op->armed)
		ep->rop_cancelled = false;
	if (reap_closed(ep))
		return;
	recv_update(ep);
	struct dwait *dw = ep->reader;
	if (dw && (ep->qhead || ep->rerr)) {
		ep->reader = NULL;
		/* The last thing: the reader may close ep. */
		ringo__wait_resume(&dw->w, 0);
	}
}

static int check(const ringo_datagram *ep)
{
	if (!ep)
		return -EINVAL;
	if (!ringo__loop_owning(ep->loop_id))
		return -EPERM;
	if (ep->closed)
		return -ESHUTDOWN;
	return 0;
}

/* One RECVMSG into the caller's buffer (no multishot). Closing ep cancels
 * it, and ep is freed once it is back. */
static ssize_t recv_direct(ringo_datagram *ep, void *buf, size_t n,
			   struct sockaddr_storage *from, socklen_t *fromlen, ringo_deadline deadline)
{
	struct iovec iov = { .iov_base = buf, .iov_len = n };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (from) {
		msg.msg_name = from;
		msg.msg_namelen = *fromlen;
	}
	struct ringo__io io;
	int ret = ringo__io_begin(&io, IORING_OP_RECVMSG, deadline);
	if (ret < 0)
		return ret;
	io_uring_prep_recvmsg(io.sqe, ep->fd, &msg, 0);
	ep->direct = &io;
	ssize_t r = ringo__io_await(&io);
	ep->direct = NULL;
	if (r >= 0 && from)
		*fromlen = msg.msg_namelen;
	if (ep->closed) {
		if (r == -ECANCELED)
			r = -ESHUTDOWN;
		reap_closed(ep);
	}
	return r;
}

ssize_t ringo_datagram_recvfrom(ringo_datagram *ep, void *buf, size_t n,
				struct sockaddr_storage *from, socklen_t *fromlen, ringo_deadline deadline)
{
	if ((!buf && n) || (from && !fromlen))
		return -EINVAL;
	int ret = check(ep);
	if (ret < 0)
		return ret;
	if (ep->reader || ep->direct)
		return -EBUSY;
	if (!ep->multishot)
		return recv_direct(ep, buf, n, from, fromlen, deadline);
	while (!ep->qhead) {
		if (ep->rerr) {
			ret = ep->rerr;
			ep->rerr = 0;
			recv_update(ep);
			return ret;
		}
		ringo_task *t = ringo__await_begin(&ret);
		if (!t)
			return ret;
		ret = dwait(ep, t, false, deadline);
		if (ret < 0)
			return ret;
	}
	struct dgram *d = ep->qhead;
	ep->qhead = d->next;
	if (!ep->qhead)
		ep->qtail = &ep->qhead;
	ep->qlen--;
	size_t m = d->len < n ? d->len : n;
	if (m)
		memcpy(buf, d->data, m);
	if (from) {
		socklen_t a = d->alen < *fromlen ? d->alen : *fromlen;
		memcpy(from, &d->addr, a);
		*fromlen = d->alen;
	}
	free(d);
	if (!ep->rop.armed)
		recv_update(ep);
	return (ssize_t)m;
}

/* ---- sending ---- */

static void wake_drainers(ringo_datagram *ep, int value)
{
	while (!ringo__list_empty(&ep->drainers)) {
		struct ringo__wait *w =
			ringo__container_of(ep->drainers.next, struct ringo__wait, waiter.node);
		ringo__list_remove(&w->waiter.node);
		ringo__wait_wake(w, value);
	}
}

static void send_done(struct ringo__op *op, int res, uint32_t flags)
{
	(void)flags;
	struct dsend *ds = ringo__container_of(op, struct dsend, op);
	ringo_datagram *ep = ds->ep;
	struct dbatch *b = ds->batch;
	free(ds);
	ep->sending--;
	if (b) {
		/* Reported by sendmmsg, not by the next drain. */
		if (res >= 0)
			b->sent++;
		else if (!b->err)
			b->err = res;
		if (--b->pending == 0 && b->gone)
			free(b);
	} else if (res < 0 && !ep->serr && !ep->closed && !ep->shut) {
		ep->serr = res;
	}
	if (reap_closed(ep))
		return;
	if (ep->sending == 0 && !ringo__list_empty(&ep->drainers)) {
		int err = ep->serr;
		ep->serr = 0;
		wake_drainers(ep, err);
	}
}

/* Copies one datagram and queues its SENDMSG. */
static int queue_send(ringo_datagram *ep, const void *buf, size_t n, const struct sockaddr *to,
		      socklen_t tolen, struct dbatch *batch)
{
	struct dsend *ds = malloc(sizeof(*ds) + n);
	if (!ds)
		return -ENOMEM;
	ds->ep = ep;
	ds->batch = batch;
	if (n)
		memcpy(ds->data, buf, n);
	ds->iov.iov_base = ds->data;
	ds->iov.iov_len = n;
	memset(&ds->msg, 0, sizeof(ds->msg));
	ds->msg.msg_iov = &ds->iov;
	ds->msg.msg_iovlen = 1;
	if (to) {
		memcpy(&ds->addr, to, tolen);
		ds->msg.msg_name = &ds->addr;
		ds->msg.msg_namelen = tolen;
	}
	struct io_uring_sqe *sqe = ringo__ring_sqe(ep->loop->ring);
	io_uring_prep_sendmsg(sqe, ep->fd, &ds->msg, MSG_NOSIGNAL);
	ringo__op_arm(ep->loop, &ds->op, send_done);
	ringo__ring_arm(sqe, &ds->op);
	ep->sending++;
	if (batch)
		batch->pending++;
	return 0;
}

static bool bad_address(const struct sockaddr *to, socklen_t tolen)
{
	return to && (tolen == 0 || tolen > sizeof(struct sockaddr_storage));
}

int ringo_datagram_sendto(ringo_datagram *ep, const void *buf, size_t n,
			  const struct sockaddr *to, socklen_t tolen)
{
	if ((!buf && n) || bad_address(to, tolen))
		return -EINVAL;
	if (!ep)
		return -EINVAL;
	if (!ringo__loop_owning(ep->loop_id))
		return -EPERM;
	if (ep->closed || ep->shut)
		return -EPIPE;
	return queue_send(ep, buf, n, to, tolen, NULL);
}

ssize_t ringo_datagram_sendmmsg(ringo_datagram *ep, const ringo_datagram_msg *msgs, size_t n,
				ringo_deadline deadline)
{
	if (!msgs && n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if ((!msgs[i].buf && msgs[i].len) || bad_address(msgs[i].to, msgs[i].tolen))
			return -EINVAL;
	int ret = check(ep);
	if (ret < 0)
		return ret;
	if (ep->closed || ep->shut)
		return -EPIPE;
	if (n == 0)
		return 0;
	ringo_task *t = ringo__await_begin(&ret);
	if (!t)
		return ret;
	struct dbatch *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < n && ret == 0; i++)
		ret = queue_send(ep, msgs[i].buf, msgs[i].len, msgs[i].to, msgs[i].tolen, b);
	if (b->pending == 0) {
		free(b);
		return ret;
	}
	/* One wait for them all (and for what sendto queued before). */
	int w = dwait(ep, t, true, deadline);
	if (b->pending) {
		/* Timed out, cancelled or closed first: the CQEs to come
		 * free the batch. */
		b->gone = true;
		return w < 0 ? w : -EIO;
	}
	if (w > 0 || (w < 0 && w != -ESHUTDOWN && w != -ETIMEDOUT && w != -ECANCELED))
		ep->serr = w; /* a sendto's error, kept for the next drain */
	ssize_t r = b->sent ? (ssize_t)b->sent : b->err ? b->err : ret;
	free(b);
	return r;
}

int ringo_datagram_drain(ringo_datagram *ep, ringo_deadline deadline)
{
	int ret = check(ep);
	if (ret < 0)
		return ret;
	if (ep->sending) {
		ringo_task *t = ringo__await_begin(&ret);
		if (!t)
			return ret;
		return dwait(ep, t, true, deadline);
	}
	ret = ep->serr;
	ep->serr = 0;
	return ret;
}

ssize_t ringo_datagram_send(ringo_datagram *ep, const void *buf, size_t n,
			    const struct sockaddr *to, socklen_t tolen, ringo_deadline deadline)
{
	if ((!buf && n) || (to && (tolen == 0 || tolen > sizeof(struct sockaddr_storage))))
		return -EINVAL;
	int ret = check(ep);
	if (ret < 0)
		return ret;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = n };
	struct msghdr msg = { .msg_name = (void *)to, .msg_namelen = to ? tolen : 0,
			      .msg_iov = &iov, .msg_iovlen = 1 };
	return ringo_sendmsg(ep->fd, &msg, 0, deadline);
}

/* ---- closing ---- */

void ringo_datagram_close(ringo_datagram *ep)
{
	if (!ep)
		return;
	if (ep->unix_path) {
		unlink(ep->unix_path);
		free(ep->unix_path);
		ep->unix_path = NULL;
	}
	struct ringo_loop *loop = ringo__loop_owning(ep->loop_id);
	if (!loop) {
		/* Its loop has ended and drained: nothing is in flight. */
		if (ep->fd >= 0)
			close(ep->fd);
		free_endpoint(ep);
		return;
	}
	if (ep->closed)
		return;
	ringo__resource_remove(&ep->res);
	ep->closed = true;
	drop_queue(ep);
	if (ep->reader) {
		struct dwait *dw = ep->reader;
		ep->reader = NULL;
		ringo__wait_wake(&dw->w, -ESHUTDOWN);
	}
	wake_drainers(ep, -ESHUTDOWN);
	if (ep->rop.armed && !ep->rop_cancelled) {
		ringo__ring_cancel(loop->ring, &ep->rop);
		ep->rop_cancelled = true;
	}
	if (ep->direct && ep->direct->w.op.armed)
		ringo__ring_cancel(loop->ring, &ep->direct->w.op);
	/* Sends in flight finish on their own (a datagram socket does not
	 * wait for its peer); their CQEs free them, and the last one ep. */
	reap_closed(ep);
}

/* Loop shutdown with the endpoint still open: stop the receive so the
 * ring drains. */
static void endpoint_shutdown(struct ringo__resource *res)
{
	ringo_datagram *ep = ringo__container_of(res, ringo_datagram, res);
	ep->shut = true;
	if (ep->rop.armed && !ep->rop_cancelled) {
		ringo__ring_cancel(ep->loop->ring, &ep->rop);
		ep->rop_cancelled = true;
	}
}

/* ---- opening ---- */

int ringo_datagram_open(int fd, const ringo_datagram_opts *opts, ringo_datagram **out)
{
	struct ringo_loop *loop = ringo__loop_get();
	if (!loop)
		return -EPERM;
	if (fd < 0 || !out)
		return -EINVAL;
	int type;
	socklen_t tlen = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0)
		return errno == ENOTSOCK ? -EINVAL : -errno;
	if (type != SOCK_DGRAM)
		return -EINVAL;
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -errno;
	if ((fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		return -errno;
	ringo_datagram *ep = calloc(1, sizeof(*ep));
	if (!ep)
		return -ENOMEM;
	ep->loop = loop;
	ep->loop_id = loop->id;
	ep->fd = fd;
	ep->qmax = opts && opts->queue ? opts->queue : DEFAULT_QUEUE;
	ep->qtail = &ep->qhead;
	ringo__list_init(&ep->drainers);
	ep->rmsg.msg_namelen = sizeof(struct sockaddr_storage);
	/* Multishot RECVMSG came with 6.0, as did SEND_ZC, which the probe
	 * sees. A datagram must fit a ring buffer with the header and name. */
	struct ringo__bufring *b = NULL;
	if (ringo__ring_supports(loop->ring, IORING_OP_SEND_ZC))
		b = ringo__bufring_get(loop);
	size_t room = b ? b->size - sizeof(struct io_uring_recvmsg_out) - ep->rmsg.msg_namelen : 0;
	ep->max_size = opts && opts->max_size ? opts->max_size : room;
	ep->multishot = b && ep->max_size <= room;
	ep->res.shutdown = endpoint_shutdown;
	ringo__resource_add(loop, &ep->res);
	recv_update(ep);
	*out = ep;
	return 0;
}

int ringo_datagram_endpoint(const char *local_host, uint16_t local_port, const char *remote_host,
			    uint16_t remote_port, const ringo_datagram_opts *opts,
			    ringo_datagram **out)
{
	if (!out || (!local_host && !remote_host))
		return -EINVAL;
	struct sockaddr_storage local, remote;
	socklen_t llen = 0, rlen = 0;
	int ret;
	if (local_host && (ret = ringo_addr_parse(local_host, local_port, &local, &llen)) < 0)
		return ret;
	if (remote_host && (ret = ringo_addr_parse(remote_host, remote_port, &remote, &rlen)) < 0)
		return ret;
	int family = local_host ? local.ss_family : remote.ss_family;
	if (local_host && remote_host && local.ss_family != remote.ss_family)
		return -EINVAL;
	int fd = ringo_socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0, RINGO_NO_DEADLINE);
	if (fd == -EOPNOTSUPP) {
		/* Before 5.19 the ring has no IORING_OP_SOCKET; socket(2)
		 * never blocks. */
		fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			fd = -errno;
	}
	if (fd < 0)
		return fd;
	char *path = NULL;
	if (local_host) {
		if (opts && opts->reuse_port) {
			int one = 1;
			if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
				ret = -errno;
				goto err_close;
			}
		}
		if (family == AF_UNIX) {
			const struct sockaddr_un *un = (const struct sockaddr_un *)&local;
			struct stat st;
			if (lstat(un->sun_path, &st) == 0 && S_ISSOCK(st.st_mode))
				unlink(un->sun_path);
			path = strdup(un->sun_path);
			if (!path) {
				ret = -ENOMEM;
				goto err_close;
			}
		}
		ret = ringo_bind(fd, (const struct sockaddr *)&local, llen);
		if (ret < 0) {
			free(path);
			path = NULL;
			goto err_close;
		}
	}
	if (remote_host) {
		ret = ringo_connect(fd, (const struct sockaddr *)&remote, rlen, RINGO_NO_DEADLINE);
		if (ret < 0)
			goto err_unlink;
	}
	ret = ringo_datagram_open(fd, opts, out);
	if (ret < 0)
		goto err_unlink;
	(*out)->unix_path = path;
	return 0;

err_unlink:
	if (path) {
		unlink(path);
		free(path);
	}
err_close:
	close(fd);
	return ret;
}

int ringo_datagram_fd(const ringo_datagram *ep)
{
	return ep ? ep->fd : -EINVAL;
}

int ringo_datagram_port(const ringo_datagram *ep)
{
	if (!ep)
		return -EINVAL;
	int ret = ringo_local_port(ep->fd);
	return ret == -EAFNOSUPPORT ? 0 : ret;
}

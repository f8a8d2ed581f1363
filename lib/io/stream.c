/* SPDX-License-Identifier: MIT */
/* Streams: asyncio's StreamReader and StreamWriter over one fd.
 *
 * Reading. On a socket, a multishot recv picks buffers from the loop's
 * buffer ring (lib/io/bufring.c). A CQE that finds the stream's input empty
 * lends its ring buffer to the stream, which reads from it in place and
 * gives it back once it is consumed (no copy); otherwise its bytes are
 * appended to the stream's own input buffer and the ring buffer goes back
 * at once. The recv stays armed, re-armed whenever a CQE ends it (-ENOBUFS
 * included), and is cancelled while more than limit * 2 bytes wait unread
 * (paused) until a reader brings that down to limit or waits for more.
 * Elsewhere (pipes, files, kernels without multishot recv) one read at a
 * time lands straight in the input buffer's free tail, while a reader
 * waits; the input buffer then does not move until its CQE has come.
 *
 * Writing. write() appends to the output buffer; one send (or write) at a
 * time carries a second buffer, which the kernel reads and nothing else
 * touches, and the two swap when it has gone. (A large write with nothing
 * queued could be offered to the socket at once, as asyncio's transports
 * do; but a writer whose peer keeps up would then never suspend and
 * starve the loop, so bulk writers use ringo_copy, which sends from its
 * own buffer without a copy.)
 *
 * Buffers. A stream keeps up to KEEP bytes of buffer memory when it is
 * empty; larger buffers go back to the loop's pool (lib/io/bufring.c) and are
 * taken from there again, so bulk transfers neither call malloc nor fault
 * fresh pages once warm.
 *
 * Idle timeout. One IORING_OP_TIMEOUT per stream, armed while a task waits
 * on it, for the time of the last byte in or out plus the idle timeout.
 * Bytes that move do not touch it: when it fires, it compares the time of
 * the last byte with now and re-arms itself for the rest (lazy re-arm), or
 * ends the waits with -ETIMEDOUT.
 *
 * TLS (lib/io/tls.c): the bytes of every arrival are ciphertext, read in
 * place by the session, whose plaintext is appended to the input buffer.
 * Writes queue plaintext in the output buffer as on a plain stream; when
 * the send slot is free, what is queued (up to SEAL_MAX) is encrypted at
 * once into records of up to 16 KiB, which the session appends to a
 * ciphertext buffer (with its handshake messages, tickets and alerts) that
 * the next send carries. So many small writes make few full records, not
 * one record each; a write of a full record or more finding no plaintext
 * queued is encrypted straight from the caller's buffer.
 *
 * Layers (lib/io/stream_internal.h): a layer sees the raw bytes of every
 * arrival and delivers decoded ones to the input buffer; writes go through
 * it to the output buffer.
 *
 * Lifetime. The kernel may write into the input buffer and read the
 * sending buffer until the ops' CQEs: a stream destroyed with ops in
 * flight cancels them and is freed by the last CQE. */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/tls.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/bufring.h"
#include "io/io.h"
#include "io/tls.h"
#include "io/stream_internal.h"

enum {
	DEFAULT_LIMIT = 64 * 1024,
	DEFAULT_WRITE_HIGH = 64 * 1024,
	MIN_ALLOC = 4 * 1024,       /* smallest buffer allocated */
	KEEP = 16 * 1024,           /* an emptied buffer above this goes to the pool */
	READ_MIN = 16 * 1024,       /* free tail a single-shot read asks for */
	READ_MAX = 256 * 1024,      /* most a single-shot read asks for */
	TLS_RECORD = 16 * 1024,     /* most plaintext in a TLS record */
	TLS_OVERHEAD = 22,          /* a TLS 1.3 AEAD record's header, type, tag */
	SEAL_MAX = 256 * 1024,      /* most plaintext encrypted for one send */
};

enum { R_MULTISHOT, R_RECV, R_READ };

/* Bytes data[head .. head + len), cap allocated. */
struct sbuf {
	char *data;
	size_t head, len, cap;
};

struct ringo_stream {
	struct ringo_loop *loop;
	uint64_t loop_id;
	int fd;
	bool is_socket;
	uint8_t rmode;                /* R_* */
	size_t limit, write_high;
	ringo_deadline deadline;

	/* reading */
	struct sbuf in;
	int lent;                     /* the ring buffer in.data points into, or -1 */
	char *own;                    /* while lent: in's own memory, own_cap bytes */
	size_t own_cap;
	struct ringo__op rop;
	struct ringo__wait *reader;   /* the one task waiting for bytes */
	size_t want;                  /* it resumes once in.len >= want, */
	bool want_stop;               /* or once no read is in flight (hold_read), */
	bool want_input;              /* or once inputs moves on (wait_input) */
	uint64_t inputs;              /* arrivals handed to the layer */
	uint64_t inputs_at;           /* inputs when want_input was set */
	uint64_t rpos;                /* bytes consumed since the start */
	/* The reader's count of seen bytes (ringo_stream_fill): the buffered
	 * bytes before stream position seen_to, once peeked is set. */
	uint64_t seen_to;
	bool peeked;                  /* peek or fill_past was called */
	int rerr;                     /* read error, after the buffered bytes */
	bool eof;
	bool paused;                  /* over limit * 2: not reading */
	bool rop_cancelled;           /* a cancel is aimed at rop */
	bool rop_raw;                 /* the single-shot read lands in raw */
	bool held_read;               /* a copy reads the fd itself */
	bool used;                    /* a byte was read or written */

	/* writing */
	struct sbuf out;              /* written, not yet handed to the kernel */
	struct sbuf sending;          /* what the send in flight reads */
	struct sbuf tout;             /* TLS: ciphertext for the next send */
	struct ringo__op wop;
	struct ringo__list writers;   /* struct swait: drain, write_eof */
	int werr;                     /* the write error; no more writes */
	bool wclosed;                 /* write_eof or close called */
	bool eof_sent;                /* shutdown(SHUT_WR) done */
	bool held_write;              /* a copy sends on the fd itself */

	/* layer (stream_internal.h) */
	const struct ringo__stream_layer *layer;
	void *layer_ctx;
	char *raw;                    /* single-shot reads land here with a layer */
	size_t raw_cap;

	/* idle timeout */
	int64_t idle;                 /* ns; 0: none */
	int64_t activity;             /* ringo_time() of the last byte in or out */
	struct ringo__op top;         /* its IORING_OP_TIMEOUT */

	/* closing */
	struct ringo__op cop;         /* the IORING_OP_CLOSE */
	struct ringo__list closers;   /* struct swait: wait_closed */
	bool closing, closed;
	bool aborted;                 /* destroyed: freed by the last CQE */
	bool shut;                    /* the loop is ending: start nothing */
	struct ringo__resource res;

	/* TLS (lib/io/tls.c): arrivals are ciphertext fed to the session, and
	 * in holds its plaintext; writes are encrypted into out. */
	struct ringo__tls *tls;
	bool tls_handshaking;         /* the reader waits for the handshake */
	/* kTLS (send side): the kernel encrypts; out is sent as it is, and
	 * close_notify goes as a control record (alert) once out is sent. */
	bool ktls_tx;
	bool knotify;                 /* close_notify owed */
	bool wop_alert;               /* wop carries it */
	struct kalert *kalert;
};

/* A kTLS control record: close_notify, as sendmsg(2) with TLS_SET_RECORD_TYPE. */
struct kalert {
	struct msghdr msg;
	struct iovec iov;
	unsigned char alert[2];
	_Alignas(struct cmsghdr) char cbuf[CMSG_SPACE(1)];
};

/* A task waiting on a stream: as its reader, in writers, or in closers. */
struct swait {
	struct ringo__wait w;
	ringo_stream *s;
	size_t level;  /* writers: resume once at most level bytes are buffered */
};

/* ---- buffers ---- */

/* The pool buffers come from and go back to: the stream's loop while it
 * runs, else none (plain malloc/free). */
static struct ringo_loop *pool_of(const ringo_stream *s)
{
	return ringo__loop_owning(s->loop_id);
}

/* The loop's statistics: buffer capacity grown from was to now bytes. */
static void count_bytes(struct ringo_loop *loop, size_t now, size_t was)
{
	if (loop)
		loop->stream_bytes += now - was;
}

/* Gives b's memory back (to the pool). */
static void sbuf_release(ringo_stream *s, struct sbuf *b)
{
	struct ringo_loop *loop = pool_of(s);
	if (b->data)
		count_bytes(loop, 0, b->cap);
	ringo__bufpool_give(loop, b->data, b->cap);
	b->data = NULL;
	b->head = b->len = b->cap = 0;
}

/* Makes room for n more bytes after the buffered ones. */
static int sbuf_reserve(ringo_stream *s, struct sbuf *b, size_t n)
{
	if (b->cap - b->head - b->len >= n)
		return 0;
	if (b->len + n <= b->cap && b->head >= b->len) {
		/* Moving what is there costs less than what the head wastes. */
		memmove(b->data, b->data + b->head, b->len);
		b->head = 0;
		return 0;
	}
	if (n > SIZE_MAX / 4 - b->len)
		return -ENOMEM;
	size_t cap = b->len + n;
	if (cap < 2 * b->cap)
		cap = 2 * b->cap;
	if (cap < MIN_ALLOC)
		cap = MIN_ALLOC;
	char *data = ringo__bufpool_take(pool_of(s), &cap);
	if (!data)
		return -ENOMEM;
	count_bytes(pool_of(s), cap, 0);
	if (b->len)
		memcpy(data, b->data + b->head, b->len);
	size_t len = b->len;
	sbuf_release(s, b);
	b->data = data;
	b->head = 0;
	b->len = len;
	b->cap = cap;
	return 0;
}

static int sbuf_append(ringo_stream *s, struct sbuf *b, const void *p, size_t n)
{
	int ret = sbuf_reserve(s, b, n);
	if (ret < 0)
		return ret;
	memcpy(b->data + b->head + b->len, p, n);
	b->len += n;
	return 0;
}

/* Drops the first n bytes; an emptied buffer starts over at its front, and
 * a large one goes back to the pool (an idle stream keeps little). */
static void sbuf_drop(ringo_stream *s, struct sbuf *b, size_t n)
{
	b->head += n;
	b->len -= n;
	if (b->len == 0) {
		b->head = 0;
		if (b->cap > KEEP)
			sbuf_release(s, b);
	}
}

static size_t buffered_out(const ringo_stream *s)
{
	/* kTLS: a close_notify owed or in flight counts as its 2 bytes, so
	 * that drains, write_eof's shutdown and close wait for it. */
	size_t alert = s->knotify || s->wop_alert ? 2 : 0;
	return s->out.len + s->tout.len + s->sending.len + alert;
}

/* The input's ring buffer goes back to the ring and the input to its own
 * memory, holding what was left of the ring buffer's bytes (none if
 * emptied) with room for extra more. Returns 0 or -ENOMEM (the ring buffer
 * is still lent then). */
static int unlend(ringo_stream *s, size_t extra)
{
	struct sbuf own = { s->own, 0, 0, s->own_cap };
	if (s->in.len) {
		int ret = sbuf_append(s, &own, s->in.data + s->in.head, s->in.len);
		if (ret < 0)
			return ret;
	}
	if (extra) {
		int ret = sbuf_reserve(s, &own, extra);
		if (ret < 0) {
			s->own = own.data;
			s->own_cap = own.cap;
			return ret;
		}
	}
	struct ringo_loop *loop = pool_of(s);
	if (loop && loop->bufring) {
		ringo__bufring_recycle(loop->bufring, (unsigned)s->lent);
		loop->bufring->lent--;
	}
	s->lent = -1;
	s->own = NULL;
	s->own_cap = 0;
	s->in = own;
	return 0;
}

/* ---- the end of a stream's life ---- */

static void free_stream(ringo_stream *s)
{
	ringo__tls_free(s->tls);
	if (s->lent >= 0) {
		s->in.len = 0;
		if (unlend(s, 0) < 0)
			abort(); /* cannot fail with nothing to copy */
	}
	if (s->layer && s->layer->release)
		s->layer->release(s->layer_ctx);
	sbuf_release(s, &s->in);
	sbuf_release(s, &s->out);
	sbuf_release(s, &s->sending);
	sbuf_release(s, &s->tout);
	free(s->kalert);
	free(s->raw);
	free(s);
}

/* Closes fd without waiting: an IORING_OP_CLOSE whose CQE nobody needs
 * (user_data 0), or close(2) where the ring lacks it. */
static void close_detached(struct ringo_loop *loop, int fd)
{
	if (!ringo__ring_supports(loop->ring, IORING_OP_CLOSE)) {
		close(fd);
		return;
	}
	struct io_uring_sqe *sqe = ringo__ring_sqe(loop->ring);
	io_uring_prep_close(sqe, fd);
	io_uring_sqe_set_data64(sqe, 0);
}

/* After a CQE of a destroyed stream: frees it once its last op is back.
 * Returns true if it did (the caller must not touch s). */
static bool reap_aborted(ringo_stream *s)
{
	if (!s->aborted || s->rop.armed || s->wop.armed || s->cop.armed || s->top.armed)
		return false;
	if (s->fd >= 0)
		close_detached(s->loop, s->fd);
	free_stream(s);
	return true;
}

/* ---- waiting ---- */

static void swait_detach(struct swait *sw)
{
	if (sw->s->reader == &sw->w)
		sw->s->reader = NULL;
	ringo__list_remove(&sw->w.waiter.node);
}

static bool swait_cancel(struct ringo__wait *w)
{
	if (w->state != RINGO__WAIT_NOTIFY)
		return false;
	swait_detach(ringo__container_of(w, struct swait, w));
	ringo__wait_wake(w, -ECANCELED);
	return true;
}

static void swait_timer(void *arg)
{
	struct swait *sw = arg;
	if (sw->w.state != RINGO__WAIT_NOTIFY)
		return;
	swait_detach(sw);
	ringo__wait_wake(&sw->w, -ETIMEDOUT);
}

static void read_update(ringo_stream *s);
static bool readable(const ringo_stream *s);
static void idle_arm(ringo_stream *s);
static void wake_all(struct ringo__list *list, int value);
static void close_update(ringo_stream *s);

/* "stream read fd 7 (127.0.0.1:51234)", "stream drain ...", "stream close ...". */
static ringo_task *describe_swait(const struct ringo__wait *w, char *buf, size_t cap,
				  int64_t now)
{
	const struct swait *sw = ringo__container_of(w, const struct swait, w);
	const ringo_stream *s = sw->s;
	char peer[256];
	ringo__dump_fd(s->fd, peer, sizeof(peer));
	size_t len = 0;
	ringo__dump_add(buf, cap, &len, "stream %s fd %d",
			s->reader == w ? "read" : s->closing ? "close" : "drain", s->fd);
	if (peer[0])
		ringo__dump_add(buf, cap, &len, " (%s)", peer);
	if (!ringo_deadline_none(s->deadline)) {
		char rel[32];
		ringo__dump_add(buf, cap, &len, ", deadline %s",
				ringo__dump_rel(rel, s->deadline.ns, now));
	}
	return NULL;
}

/* Suspends the current task t on s: as its reader (list NULL) or in list,
 * until a waker unlinks and wakes it, s's deadline passes, its idle timeout
 * passes or t is cancelled. Returns the value it was woken with: 0, a
 * stream error, -ETIMEDOUT, -ECANCELED, or -ESHUTDOWN when s was destroyed
 * meanwhile (s is then gone). */
static int swait(ringo_stream *s, ringo_task *t, struct swait *sw, struct ringo__list *list)
{
	ringo_handle *timer = NULL;
	if (!ringo_deadline_none(s->deadline)) {
		if (s->deadline.ns <= ringo_time())
			return -ETIMEDOUT;
		int ret = ringo_call_at(s->deadline.ns, swait_timer, sw, &timer);
		if (ret < 0)
			return ret;
	}
	sw->s = s;
	ringo__wait_init_notify(&sw->w, t, swait_cancel, s);
	sw->w.describe = describe_swait;
	intptr_t r = 0;
	if (list) {
		ringo__list_push_back(list, &sw->w.waiter.node);
	} else {
		s->reader = &sw->w;
		read_update(s);
		if (!readable(s) && !(s->want_stop && s->rop.armed)) {
			/* Starting the read failed (out of memory): s->rerr. */
			s->reader = NULL;
			goto out;
		}
	}
	if (s->idle) {
		/* A wait that starts counts as activity: it gets the whole
		 * idle timeout. */
		s->activity = ringo_time();
		idle_arm(s);
	}
	r = ringo__wait_suspend(&sw->w);
out:
	if (timer) {
		ringo_handle_cancel(timer);
		ringo_handle_unref(timer);
	}
	return (int)r;
}

/* Wakes every task in list with value (from a CQE handler or a call that
 * does not suspend: through NOPs). */
static void wake_all(struct ringo__list *list, int value)
{
	while (!ringo__list_empty(list)) {
		struct ringo__wait *w = ringo__container_of(list->next, struct ringo__wait, waiter.node);
		ringo__list_remove(&w->waiter.node);
		ringo__wait_wake(w, value);
	}
}

/* Wakes the writers whose level is reached (all of them on an error). */
static void wake_writers(ringo_stream *s)
{
	size_t buffered = buffered_out(s);
	struct ringo__list *n = s->writers.next;
	while (n != &s->writers) {
		struct ringo__list *next = n->next;
		struct swait *sw = ringo__container_of(n, struct swait, w.waiter.node);
		if (s->werr || buffered <= sw->level) {
			ringo__list_remove(n);
			ringo__wait_wake(&sw->w, s->werr);
		}
		n = next;
	}
}

/* ---- the idle timeout ---- */

static bool anyone_waits(const ringo_stream *s)
{
	return s->reader || !ringo__list_empty(&s->writers) || !ringo__list_empty(&s->closers);
}

static void idle_done(struct ringo__op *op, int res, uint32_t flags);

/* Arms the stream's timer for the last activity plus the idle timeout, if
 * it is not armed already (an armed one re-arms itself when it finds it
 * fired early). */
static void idle_arm(ringo_stream *s)
{
	if (s->top.armed || s->aborted || s->shut)
		return;
	ringo__op_arm(s->loop, &s->top, idle_done);
	ringo__ring_timeout(s->loop->ring, &s->top, s->activity + s->idle, true);
}

static void idle_done(struct ringo__op *op, int res, uint32_t flags)
{
	(void)res;
	(void)flags;
	ringo_stream *s = ringo__container_of(op, ringo_stream, top);
	if (reap_aborted(s) || s->shut || !anyone_waits(s))
		return; /* nobody waits: the next wait arms it again */
	if (ringo_time() < s->activity + s->idle) {
		idle_arm(s);
		return;
	}
	/* No byte for the whole idle timeout: every wait on s ends. */
	if (s->reader) {
		struct swait *sw = ringo__container_of(s->reader, struct swait, w);
		swait_detach(sw);
		ringo__wait_wake(&sw->w, -ETIMEDOUT);
	}
	wake_all(&s->writers, -ETIMEDOUT);
	wake_all(&s->closers, -ETIMEDOUT);
}

void ringo__stream_touch(ringo_stream *s)
{
	if (s->idle)
		s->activity = ringo_time();
}

/* ---- reading ---- */

/* Whether bytes may still arrive. */
static bool readable(const ringo_stream *s)
{
	return !s->eof && !s->rerr && !s->closing && !s->aborted && !s->shut && s->fd >= 0;
}

static void read_done(struct ringo__op *op, int res, uint32_t flags);

static void arm_read(ringo_stream *s)
{
	struct ringo__ring *ring = s->loop->ring;
	struct io_uring_sqe *sqe;
	if (s->rmode == R_MULTISHOT) {
		struct ringo__bufring *b = s->loop->bufring;
		sqe = ringo__ring_sqe(ring);
		io_uring_prep_recv_multishot(sqe, s->fd, NULL, 0, 0);
		sqe->flags |= IOSQE_BUFFER_SELECT;
		sqe->buf_group = b->group;
	} else {
		char *dst;
		size_t room;
		if (s->layer || s->tls) {
			/* Raw bytes land apart; the layer or session decodes
			 * them. */
			if (!s->raw) {
				s->raw = malloc(READ_MIN);
				if (!s->raw) {
					s->rerr = -ENOMEM;
					return;
				}
				s->raw_cap = READ_MIN;
			}
			dst = s->raw;
			room = s->raw_cap;
			s->rop_raw = true;
		} else {
			s->rop_raw = false;
			/* Lands in the free tail, which stays put until the CQE. */
			int ret = sbuf_reserve(s, &s->in, READ_MIN);
			if (ret < 0) {
				s->rerr = ret;
				return;
			}
			room = s->in.cap - s->in.head - s->in.len;
			if (room > READ_MAX)
				room = READ_MAX;
			dst = s->in.data + s->in.head + s->in.len;
		}
		sqe = ringo__ring_sqe(ring);
		if (s->rmode == R_RECV)
			io_uring_prep_recv(sqe, s->fd, dst, room, 0);
		else
			io_uring_prep_read(sqe, s->fd, dst, (unsigned)room, (uint64_t)-1);
	}
	s->rop_cancelled = false;
	ringo__op_arm(s->loop, &s->rop, read_done);
	ringo__ring_arm(sqe, &s->rop);
}

/* Whether the reader waits for more than what is there. */
static bool reader_needs(const ringo_stream *s)
{
	return s->reader && !s->want_stop && (s->in.len < s->want || s->want_input);
}

/* Starts or stops reading as the stream's state asks: a multishot recv
 * reads ahead unless paused; a single-shot read runs while a reader waits
 * (and is left to finish when it stops waiting); a copy holding the
 * stream stops both. */
static void read_update(ringo_stream *s)
{
	bool want;
	if (!readable(s) || s->held_read) {
		want = false;
	} else if (s->rmode == R_MULTISHOT) {
		bool needed = reader_needs(s);
		if (s->in.len > 2 * s->limit && !needed)
			s->paused = true;
		else if (s->in.len <= s->limit || needed)
			s->paused = false;
		want = !s->paused;
	} else {
		want = s->reader != NULL;
	}
	if (want && !s->rop.armed) {
		arm_read(s);
	} else if (!want && s->rop.armed && !s->rop_cancelled &&
		   (s->rmode == R_MULTISHOT || !readable(s) || s->held_read)) {
		ringo__ring_cancel(s->loop->ring, &s->rop);
		s->rop_cancelled = true;
	}
}

static void close_update(ringo_stream *s);
static void start_send(ringo_stream *s);

/* The TLS session's sink: its ciphertext waits in tout for the next send
 * (dropped once nothing more can be sent). */
static int tls_sink(void *arg, const void *p, size_t n)
{
	ringo_stream *s = arg;
	if (s->werr || s->aborted || s->shut)
		return 0;
	if (s->ktls_tx) {
		/* Encrypted with keys the kernel has taken over (a reply to
		 * the peer's KeyUpdate, an alert): cannot be sent. */
		ringo__tls_set_error(s->tls, "TLS output after the kernel took the keys (kTLS)");
		s->werr = -EPROTO;
		return -EPROTO;
	}
	int ret = sbuf_append(s, &s->tout, p, n);
	if (ret < 0)
		s->werr = ret;
	return ret;
}

/* Whether plaintext may be encrypted now: after the handshake, before
 * close_notify. */
static bool tls_open(const ringo_stream *s)
{
	return ringo__tls_handshake_done(s->tls) && !ringo__tls_notified(s->tls) && !s->ktls_tx;
}

/* Encrypts n bytes of plaintext into tout, room made first for all of its
 * records. */
static void tls_encrypt(ringo_stream *s, const void *p, size_t n)
{
	if (s->werr)
		return;
	size_t records = (n + TLS_RECORD - 1) / TLS_RECORD;
	int ret = sbuf_reserve(s, &s->tout, n + records * TLS_OVERHEAD);
	if (ret == 0)
		ret = ringo__tls_write(s->tls, p, n);
	if (ret < 0 && !s->werr)
		s->werr = ret;
}

/* Encrypts what out holds (up to SEAL_MAX, or all of it when all is
 * true), once the handshake is done and until close_notify. */
static void tls_seal(ringo_stream *s, bool all)
{
	if (!s->out.len || !tls_open(s))
		return;
	size_t n = all || s->out.len < SEAL_MAX ? s->out.len : SEAL_MAX;
	tls_encrypt(s, s->out.data + s->out.head, n);
	sbuf_drop(s, &s->out, n);
}

/* Sends what the TLS session has produced (handshake messages, alerts). */
static void tls_flush(ringo_stream *s)
{
	start_send(s);
}

/* close_notify, after the plaintext queued (once). */
static void tls_notify(ringo_stream *s)
{
	if (ringo__tls_notified(s->tls))
		return;
	tls_seal(s, true);
	ringo__tls_close_notify(s->tls);
	if (s->ktls_tx && ringo__tls_notified(s->tls))
		s->knotify = true;
	tls_flush(s);
}

/* n bytes arrived at p: plaintext appended to in, or, on a TLS stream,
 * ciphertext for the session, whose plaintext is appended. */
static void ingest(ringo_stream *s, const char *p, size_t n)
{
	if (!s->tls) {
		int ret = sbuf_append(s, &s->in, p, n);
		if (ret < 0)
			s->rerr = ret;
		return;
	}
	ringo__tls_feed(s->tls, p, n);
	int ret = 0;
	for (ssize_t r = 1; ret == 0 && r > 0;) {
		ret = sbuf_reserve(s, &s->in, READ_MIN);
		if (ret < 0)
			break;
		r = ringo__tls_read(s->tls, s->in.data + s->in.head + s->in.len,
				    s->in.cap - s->in.head - s->in.len);
		if (r > 0)
			s->in.len += (size_t)r;
		else if (r < 0)
			ret = (int)r;
	}
	int kept = ringo__tls_feed_end(s->tls);
	if (ret == 0)
		ret = kept;
	if (ret < 0)
		s->rerr = ret;
	else if (ringo__tls_eof(s->tls))
		s->eof = true;
	tls_flush(s); /* handshake messages, alerts, tickets */
}

/* Whether the waiting reader can go on. */
static bool reader_ready(const ringo_stream *s)
{
	if (s->want_stop)
		return !s->rop.armed;
	return s->in.len >= s->want || !readable(s) || (s->want_input && s->inputs != s->inputs_at);
}

/* Hands raw bytes (n == 0: the end of stream) to the layer. */
static void layer_input(ringo_stream *s, const char *raw, size_t n)
{
	s->inputs++;
	int ret = s->layer->input(s->layer_ctx, s, raw, n);
	if (ret < 0 && !s->rerr)
		s->rerr = ret;
}

/* The bytes of a multishot recv's CQE, in ring buffer bid. */
static void arrived(ringo_stream *s, struct ringo__bufring *b, unsigned bid, size_t n)
{
	const char *p = ringo__bufring_data(b, bid);
	if (s->tls) {
		ingest(s, p, n);
	} else if (s->layer) {
		layer_input(s, p, n);
	} else if (s->in.len == 0 && s->lent < 0 && ringo__bufring_may_lend(b)) {
		/* Read in place; the buffer goes back once consumed. */
		s->own = s->in.data;
		s->own_cap = s->in.cap;
		s->in = (struct sbuf){ (char *)p, 0, n, n };
		s->lent = (int)bid;
		b->lent++;
		return;
	} else {
		int ret = s->lent >= 0 ? unlend(s, n) : 0;
		if (ret == 0)
			ret = sbuf_append(s, &s->in, p, n);
		if (ret < 0)
			s->rerr = ret;
	}
	ringo__bufring_recycle(b, bid);
}

static void read_done(struct ringo__op *op, int res, uint32_t flags)
{
	ringo_stream *s = ringo__container_of(op, ringo_stream, rop);
	if (res > 0) {
		if (s->idle)
			s->activity = ringo_time();
		if (s->rmode == R_MULTISHOT) {
			struct ringo__bufring *b = s->loop->bufring;
			unsigned bid = flags >> IORING_CQE_BUFFER_SHIFT;
			if (!s->aborted && !s->rerr && !s->eof)
				arrived(s, b, bid, (size_t)res);
			else
				ringo__bufring_recycle(b, bid);
		} else if (s->tls) {
			if (s->aborted || s->rerr || s->eof) {
			} else if (s->rop_raw) {
				ingest(s, s->raw, (size_t)res);
			} else {
				/* A read armed before start_tls brought the peer's
				 * first ciphertext into in's free tail, where the
				 * plaintext goes: the session copies it first. */
				ringo__tls_feed(s->tls, s->in.data + s->in.head + s->in.len,
						(size_t)res);
				if (ringo__tls_feed_end(s->tls) < 0)
					s->rerr = -ENOMEM;
				else
					ingest(s, NULL, 0);
			}
		} else if (s->layer) {
			if (!s->aborted && !s->rerr)
				layer_input(s, s->raw, (size_t)res);
		} else {
			s->in.len += (size_t)res;
		}
	} else if (res == 0) {
		if (s->tls && !ringo__tls_eof(s->tls) && !s->rerr) {
			/* No close_notify: the data may have been cut short. */
			ringo__tls_set_error(s->tls, "the peer closed without close_notify");
			s->rerr = -ECONNABORTED;
		}
		s->eof = true;
		if (s->layer && !s->aborted)
			layer_input(s, NULL, 0);
	} else if (res != -ENOBUFS && res != -ECANCELED && !s->rerr) {
		/* -ENOBUFS: the ring ran dry; the bytes wait in the socket
		 * and the recv is re-armed below. -ECANCELED: we stopped it. */
		s->rerr = res;
	}
	if (!op->armed)
		s->rop_cancelled = false;
	if (reap_aborted(s))
		return;
	if (!op->armed && !readable(s))
		close_update(s);
	read_update(s);
	struct ringo__wait *w = s->reader;
	if (w && (reader_ready(s) ||
		  (s->tls_handshaking && ringo__tls_handshake_done(s->tls)))) {
		s->reader = NULL;
		/* The last thing: the reader may destroy s. */
		ringo__wait_resume(w, 0);
	}
}

/* Waits until at least want bytes are buffered or none can come any more.
 * Returns 0 or a negative errno (see swait). */
static int wait_bytes(ringo_stream *s, size_t want)
{
	if (s->reader || s->held_read)
		return -EBUSY; /* asyncio: another coroutine is already waiting */
	int err;
	ringo_task *t = ringo__await_begin(&err);
	if (!t)
		return err;
	s->want = want;
	struct swait sw;
	return swait(s, t, &sw, NULL);
}

static void consume(ringo_stream *s, size_t n)
{
	/* A single-shot read in flight lands right after the buffered bytes:
	 * they must not move. */
	bool pinned = s->rmode != R_MULTISHOT && s->rop.armed && !s->rop_raw;
	s->rpos += n;
	s->in.head += n;
	s->in.len -= n;
	if (n)
		s->used = true;
	if (s->in.len == 0) {
		if (s->lent >= 0) {
			if (ringo__loop_owning(s->loop_id))
				unlend(s, 0); /* cannot fail: nothing to copy */
		} else if (!pinned) {
			sbuf_drop(s, &s->in, 0);
		}
	}
	if (s->paused && s->in.len <= s->limit && ringo__loop_owning(s->loop_id))
		read_update(s);
}

/* What may suspend starts here: s valid and of the running loop. */
static int check(const ringo_stream *s)
{
	if (!s)
		return -EINVAL;
	return ringo__loop_check(s->loop_id);  /* -EXDEV: another loop's */
}

/* The error to report once the buffered bytes are gone, or 0 at the end. */
static int end_of(const ringo_stream *s)
{
	return s->rerr;
}

ssize_t ringo_stream_read(ringo_stream *s, void *buf, size_t n)
{
	if (!buf && n)
		return -EINVAL;
	int ret = check(s);
	if (ret < 0)
		return ret;
	if (n == 0)
		return 0;
	while (s->in.len == 0) {
		if (!readable(s))
			return end_of(s);
		ret = wait_bytes(s, 1);
		if (ret < 0)
			return ret;
	}
	size_t m = s->in.len < n ? s->in.len : n;
	memcpy(buf, s->in.data + s->in.head, m);
	consume(s, m);
	return (ssize_t)m;
}

ssize_t ringo_stream_readexactly(ringo_stream *s, void *buf, size_t n, size_t *got)
{
	if (got)
		*got = 0;
	if (!buf && n)
		return -EINVAL;
	int ret = check(s);
	if (ret < 0)
		return ret;
	if (n > SSIZE_MAX)
		return -EINVAL;
	while (s->in.len < n) {
		if (!readable(s)) {
			if (s->rerr)
				return s->rerr;
			/* asyncio's IncompleteReadError: what came is handed over. */
			size_t m = s->in.len;
			if (m)
				memcpy(buf, s->in.data + s->in.head, m);
			consume(s, m);
			if (got)
				*got = m;
			return -ENODATA;
		}
		ret = wait_bytes(s, n);
		if (ret < 0)
			return ret;
	}
	if (n) {
		memcpy(buf, s->in.data + s->in.head, n);
		consume(s, n);
	}
	if (got)
		*got = n;
	return (ssize_t)n;
}

/* readuntil and readline: line is readline's way (the rest at the end of
 * the stream, a NUL after the line when it fits). */
static ssize_t read_until(ringo_stream *s, const char *sep, size_t seplen, char *buf, size_t cap,
			  bool line)
{
	int ret = check(s);
	if (ret < 0)
		return ret;
	size_t max = s->limit < cap ? s->limit : cap;
	/* Where the separator may start, at the earliest, as a stream
	 * position: another task may consume while this one waits. */
	uint64_t scan = s->rpos;
	for (;;) {
		const char *d = s->in.len ? s->in.data + s->in.head : NULL;
		size_t from = scan > s->rpos ? (size_t)(scan - s->rpos) : 0;
		if (s->in.len >= seplen + from) {
			const char *at = memmem(d + from, s->in.len - from, sep, seplen);
			if (at) {
				size_t len = (size_t)(at - d) + seplen;
				if (len > max)
					return -EMSGSIZE;
				memcpy(buf, d, len);
				if (line && len < cap)
					buf[len] = '\0';
				consume(s, len);
				return (ssize_t)len;
			}
			scan = s->rpos + s->in.len - seplen + 1;
		}
		if (!readable(s)) {
			if (s->rerr)
				return s->rerr;
			if (!line)
				return -ENODATA;
			/* The last line, without its newline. */
			size_t len = s->in.len;
			if (len > max)
				return -EMSGSIZE;
			if (len)
				memcpy(buf, d, len);
			if (len < cap)
				buf[len] = '\0';
			consume(s, len);
			return (ssize_t)len;
		}
		/* A separator completed by the next byte would end a line
		 * longer than max. */
		if (s->in.len >= max)
			return -EMSGSIZE;
		ret = wait_bytes(s, s->in.len + 1);
		if (ret < 0)
			return ret;
	}
}

ssize_t ringo_stream_readline(ringo_stream *s, char *buf, size_t cap)
{
	if (!buf || cap == 0 || cap > SSIZE_MAX)
		return -EINVAL;
	return read_until(s, "\n", 1, buf, cap, true);
}

ssize_t ringo_stream_readuntil(ringo_stream *s, const void *sep, size_t seplen, void *buf,
			       size_t cap)
{
	if (!sep || seplen == 0 || !buf || cap == 0 || cap > SSIZE_MAX)
		return -EINVAL;
	return read_until(s, sep, seplen, buf, cap, false);
}

/* The buffered bytes, without counting them seen (ringo_copy's view). */
size_t ringo__stream_view(const ringo_stream *s, const void **data)
{
	if (!s) {
		if (data)
			*data = NULL;
		return 0;
	}
	if (data)
		*data = s->in.data ? s->in.data + s->in.head : NULL;
	return s->in.len;
}

/* How many of the buffered bytes the reader has seen: those in front of
 * seen_to (consuming takes seen bytes first). */
static size_t seen_count(const ringo_stream *s)
{
	/* Signed: ringo__stream_unread may take rpos below 0 (mod 2^64). */
	int64_t n = (int64_t)(s->seen_to - s->rpos);
	if (n <= 0)
		return 0;
	return (uint64_t)n < s->in.len ? (size_t)n : s->in.len;
}

/* What fill and fill_past report counts as seen. */
static void see_all(ringo_stream *s)
{
	s->peeked = true;
	s->seen_to = s->rpos + s->in.len;
}

size_t ringo_stream_peek(ringo_stream *s, const void **data)
{
	size_t n = ringo__stream_view(s, data);
	if (s)
		see_all(s);
	return n;
}

ssize_t ringo__stream_wait_past(ringo_stream *s, size_t seen)
{
	int ret = check(s);
	if (ret < 0)
		return ret;
	while (s->in.len <= seen) {
		if (!readable(s))
			return end_of(s);
		ret = wait_bytes(s, seen + 1);
		if (ret < 0)
			return ret;
	}
	return (ssize_t)s->in.len;
}

ssize_t ringo_stream_fill_past(ringo_stream *s, size_t seen)
{
	int ret = check(s);
	if (ret < 0)
		return ret;
	/* The caller says how far it looked. */
	s->peeked = true;
	s->seen_to = s->rpos + (seen < s->in.len ? seen : s->in.len);
	ssize_t n = ringo__stream_wait_past(s, seen);
	if (n > 0)
		see_all(s);
	return n;
}

ssize_t ringo_stream_fill(ringo_stream *s)
{
	int ret = check(s);
	if (ret < 0)
		return ret;
	/* A reader that never peeked has seen what is buffered now. */
	size_t seen = s->peeked ? seen_count(s) : s->in.len;
	ssize_t n = ringo__stream_wait_past(s, seen);
	if (n <= 0)
		return n;
	if (s->peeked)
		see_all(s);
	return n - (ssize_t)seen;
}

void ringo_stream_consume(ringo_stream *s, size_t n)
{
	if (!s)
		return;
	consume(s, n < s->in.len ? n : s->in.len);
}

bool ringo_stream_at_eof(const ringo_stream *s)
{
	return s && s->eof && s->in.len == 0;
}

/* ---- writing ---- */

static void send_done(struct ringo__op *op, int res, uint32_t flags);

/* kTLS: close_notify as a control record, after everything written. */
static void send_alert(ringo_stream *s)
{
	struct kalert *k = s->kalert;
	s->knotify = false;
	k->alert[0] = 1; /* warning */
	k->alert[1] = 0; /* close_notify */
	k->iov = (struct iovec){ k->alert, 2 };
	k->msg = (struct msghdr){ .msg_iov = &k->iov, .msg_iovlen = 1,
				  .msg_control = k->cbuf, .msg_controllen = sizeof(k->cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&k->msg);
	c->cmsg_level = SOL_TLS;
	c->cmsg_type = TLS_SET_RECORD_TYPE;
	c->cmsg_len = CMSG_LEN(1);
	*CMSG_DATA(c) = 21; /* alert */
	struct io_uring_sqe *sqe = ringo__ring_sqe(s->loop->ring);
	io_uring_prep_sendmsg(sqe, s->fd, &k->msg, MSG_NOSIGNAL);
	s->wop_alert = true;
	ringo__op_arm(s->loop, &s->wop, send_done);
	ringo__ring_arm(sqe, &s->wop);
}

/* Hands the output buffer to the kernel if nothing is in flight. */
static void start_send(ringo_stream *s)
{
	if (s->wop.armed || s->werr || s->aborted || s->shut)
		return;
	if (s->sending.len == 0) {
		struct sbuf *next = &s->out;
		if (s->tls && !s->ktls_tx) {
			tls_seal(s, false);
			next = &s->tout;
		}
		struct sbuf t = s->sending;
		s->sending = *next;
		*next = t;
	}
	if (s->sending.len == 0) {
		if (s->knotify)
			send_alert(s);
		return;
	}
	const char *p = s->sending.data + s->sending.head;
	size_t n = s->sending.len;
	if (n > INT32_MAX)
		n = INT32_MAX;
	struct io_uring_sqe *sqe = ringo__ring_sqe(s->loop->ring);
	if (s->is_socket)
		io_uring_prep_send(sqe, s->fd, p, n, MSG_NOSIGNAL);
	else {
		io_uring_prep_write(sqe, s->fd, p, (unsigned)n, (uint64_t)-1);
		/* A pipe whose reader is gone fails with -EPIPE like a socket,
		 * instead of killing the process with SIGPIPE. */
		sqe->rw_flags = ringo__io_rwf_nosignal();
	}
	ringo__op_arm(s->loop, &s->wop, send_done);
	ringo__ring_arm(sqe, &s->wop);
}

static void send_done(struct ringo__op *op, int res, uint32_t flags)
{
	(void)flags;
	ringo_stream *s = ringo__container_of(op, ringo_stream, wop);
	bool alert = s->wop_alert;
	s->wop_alert = false;
	if (alert) {
		if (res < 0 && !s->aborted && !s->shut && !s->werr)
			s->werr = res;
	} else if (res > 0) {
		if (s->idle)
			s->activity = ringo_time();
		sbuf_drop(s, &s->sending, (size_t)res);
	} else if (!s->aborted && !s->shut) {
		/* 0 for a nonzero length would never end: the peer is gone. */
		s->werr = res < 0 ? res : -EPIPE;
	}
	if (reap_aborted(s))
		return;
	if (s->werr || s->shut) {
		/* Nothing more will be sent. */
		sbuf_drop(s, &s->sending, s->sending.len);
		sbuf_drop(s, &s->out, s->out.len);
		sbuf_drop(s, &s->tout, s->tout.len);
		s->knotify = false;
	}
	start_send(s);
	if (!ringo__list_empty(&s->writers))
		wake_writers(s);
	close_update(s);
}

/* Queues n bytes for the fd (raw: after the layer, if any). */
static int queue_out(ringo_stream *s, const void *buf, size_t n)
{
	s->used = true;
	int ret = sbuf_append(s, &s->out, buf, n);
	if (ret < 0)
		return ret;
	start_send(s);
	return 0;
}

int ringo_stream_write(ringo_stream *s, const void *buf, size_t n)
{
	if (!buf && n)
		return -EINVAL;
	int ret = check(s);
	if (ret < 0)
		return ret;
	if (s->werr || s->wclosed || s->aborted)
		return -EPIPE;
	if (s->held_write)
		return -EBUSY;
	if (n == 0)
		return 0;
	if (s->tls && n >= TLS_RECORD && !s->out.len && s->tout.len < SEAL_MAX && tls_open(s)) {
		/* No plaintext queued, and a full record at least: encrypted
		 * from buf behind the ciphertext waiting (no copy into out
		 * first; small writes still wait in out to be coalesced). */
		s->used = true;
		size_t m = n < SEAL_MAX ? n : SEAL_MAX;
		tls_encrypt(s, buf, m);
		if (s->werr)
			return s->werr;
		if (m == n) {
			start_send(s);
			return s->werr;
		}
		buf = (const char *)buf + m;
		n -= m;
	}
	if (s->layer)
		return s->layer->output(s->layer_ctx, s, buf, n);
	return queue_out(s, buf, n);
}

int ringo__stream_emit(ringo_stream *s, const void *buf, size_t n)
{
	if (s->werr || s->eof_sent || s->aborted || s->closed)
		return -EPIPE;
	if (n == 0)
		return 0;
	return queue_out(s, buf, n);
}

int ringo__stream_queue(ringo_stream *s, const void *buf, size_t n)
{
	if (s->werr || s->aborted)
		return -EPIPE;
	if (n == 0)
		return 0;
	s->used = true;
	int ret = sbuf_append(s, &s->out, buf, n);
	if (ret == 0)
		start_send(s);
	return ret;
}

/* The layer's last words before the write side ends (once). */
static void layer_closing(ringo_stream *s)
{
	if (!s->layer || !s->layer->closing || s->eof_sent)
		return;
	const struct ringo__stream_layer *l = s->layer;
	int ret = l->closing(s->layer_ctx, s);
	if (ret < 0 && !s->werr)
		s->werr = ret;
}

/* Waits until at most level bytes are buffered. */
static int wait_written(ringo_stream *s, size_t level)
{
	if (s->werr)
		return s->werr;
	if (buffered_out(s) <= level)
		return 0;
	int err;
	ringo_task *t = ringo__await_begin(&err);
	if (!t)
		return err;
	struct swait sw;
	sw.level = level;
	return swait(s, t, &sw, &s->writers);
}

int ringo_stream_drain(ringo_stream *s)
{
	int ret = check(s);
	if (ret < 0)
		return ret;
	return wait_written(s, s->write_high);
}

int ringo__stream_flush(ringo_stream *s)
{
	int ret = check(s);
	if (ret < 0)
		return ret;
	if (s->wclosed)
		return s->werr ? s->werr : -EPIPE;
	return wait_written(s, 0);
}

ringo_deadline ringo__stream_deadline(const ringo_stream *s)
{
	return s->deadline;
}

int ringo_stream_write_eof(ringo_stream *s)
{
	int ret = check(s);
	if (ret < 0)
		return ret;
	if (!s->is_socket) {
		/* A pipe's write side is the whole fd (asyncio closes it). */
		ringo_stream_close(s);
		return ringo_stream_wait_closed(s);
	}
	if (s->closing)
		return s->werr ? s->werr : -EPIPE;
	if (s->tls && !s->wclosed)
		tls_notify(s);
	if (s->held_write)
		return -EBUSY;
	if (!s->wclosed)
		layer_closing(s);
	s->wclosed = true;
	ret = wait_written(s, 0);
	if (ret < 0 || s->eof_sent)
		return ret;
	if (s->closing)
		return s->werr ? s->werr : -EPIPE;
	s->eof_sent = true;
	if (!ringo__ring_supports(s->loop->ring, IORING_OP_SHUTDOWN))
		return shutdown(s->fd, SHUT_WR) < 0 ? -errno : 0;
	struct ringo__io io;
	ret = ringo__io_begin(&io, IORING_OP_SHUTDOWN, s->deadline);
	if (ret < 0) {
		s->eof_sent = false;
		return ret;
	}
	io_uring_prep_shutdown(io.sqe, s->fd, SHUT_WR);
	return (int)ringo__io_await(&io);
}

/* ---- closing ---- */

static void close_done(struct ringo__op *op, int res, uint32_t flags)
{
	(void)res;
	(void)flags;
	ringo_stream *s = ringo__container_of(op, ringo_stream, cop);
	s->fd = -1;
	s->closed = true;
	if (reap_aborted(s))
		return;
	wake_all(&s->closers, s->werr);
}

/* Closes the fd once closing and nothing is in flight on it any more: the
 * output sent (or failed), the read stopped. */
static void close_update(ringo_stream *s)
{
	if (!s->closing || s->closed || s->aborted || s->cop.armed)
		return;
	if (s->wop.armed || (buffered_out(s) && !s->werr && !s->shut))
		return;
	if (s->rop.armed) {
		read_update(s);
		return;
	}
	if (!ringo__ring_supports(s->loop->ring, IORING_OP_CLOSE)) {
		close(s->fd);
		s->fd = -1;
		s->closed = true;
		wake_all(&s->closers, s->werr);
		return;
	}
	struct io_uring_sqe *sqe = ringo__ring_sqe(s->loop->ring);
	io_uring_prep_close(sqe, s->fd);
	ringo__op_arm(s->loop, &s->cop, close_done);
	ringo__ring_arm(sqe, &s->cop);
}

int ringo_stream_close(ringo_stream *s)
{
	if (!s)
		return -EINVAL;
	if (s->closing)
		return 0;
	bool owning = ringo__loop_owning(s->loop_id) != NULL;
	bool notify = s->tls && !s->wclosed && !s->aborted && owning;
	if (owning && !s->wclosed && !s->held_write)
		layer_closing(s);
	s->closing = true;
	s->wclosed = true;
	if (notify)
		tls_notify(s);
	if (!owning) {
		/* Its loop has ended and drained: nothing is in flight. */
		if (s->fd >= 0)
			close(s->fd);
		s->fd = -1;
		s->closed = true;
		return 0;
	}
	read_update(s);
	if (s->reader) {
		struct ringo__wait *w = s->reader;
		s->reader = NULL;
		ringo__wait_wake(w, 0); /* it finds the stream ended */
	}
	close_update(s);
	return 0;
}

int ringo_stream_wait_closed(ringo_stream *s)
{
	int ret = check(s);
	if (ret < 0)
		return ret;
	ringo_stream_close(s);
	if (s->closed)
		return s->werr;
	int err;
	ringo_task *t = ringo__await_begin(&err);
	if (!t)
		return err;
	struct swait sw;
	return swait(s, t, &sw, &s->closers);
}

void ringo_stream_destroy(ringo_stream *s)
{
	if (!s)
		return;
	struct ringo_loop *loop = ringo__loop_owning(s->loop_id);
	if (!loop) {
		/* Its loop has ended and drained: nothing is in flight (and
		 * its resource list is gone). */
		if (s->fd >= 0)
			close(s->fd);
		free_stream(s);
		return;
	}
	ringo__resource_remove(&s->res);
	s->aborted = true;
	/* The peer sees the end now, not when the ring gets round to the
	 * close: a caller may block on the peer next (shutdown never blocks). */
	if (s->is_socket && s->fd >= 0)
		shutdown(s->fd, SHUT_RDWR);
	if (s->reader) {
		ringo__wait_wake(s->reader, -ESHUTDOWN);
		s->reader = NULL;
	}
	wake_all(&s->writers, -ESHUTDOWN);
	wake_all(&s->closers, -ESHUTDOWN);
	if (s->rop.armed && !s->rop_cancelled) {
		ringo__ring_cancel(loop->ring, &s->rop);
		s->rop_cancelled = true;
	}
	if (s->wop.armed)
		ringo__ring_cancel(loop->ring, &s->wop);
	if (s->top.armed)
		ringo__ring_timeout_remove(loop->ring, &s->top);
	reap_aborted(s);
}

/* Loop shutdown with the stream never destroyed: stop its ops so the ring
 * drains; a close under way still closes the fd. */
static void stream_shutdown(struct ringo__resource *res)
{
	ringo_stream *s = ringo__container_of(res, ringo_stream, res);
	s->shut = true;
	if (s->rop.armed && !s->rop_cancelled) {
		ringo__ring_cancel(s->loop->ring, &s->rop);
		s->rop_cancelled = true;
	}
	if (s->wop.armed)
		ringo__ring_cancel(s->loop->ring, &s->wop);
	if (s->top.armed)
		ringo__ring_timeout_remove(s->loop->ring, &s->top);
}

/* ---- opening ---- */

int ringo_stream_open(int fd, const ringo_stream_opts *opts, ringo_stream **out)
{
	struct ringo_loop *loop = ringo__loop_get();
	if (!loop)
		return -EPERM;
	if (fd < 0 || !out || (opts && opts->idle_timeout < 0))
		return -EINVAL;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	/* The stream's ops wait in the kernel; an O_NONBLOCK file would have
	 * them fail with -EAGAIN instead. The fd is the stream's now. */
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -errno;
	if ((fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
		return -errno;
	ringo_stream *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->loop_id = loop->id;
	s->fd = fd;
	s->is_socket = S_ISSOCK(st.st_mode);
	s->limit = opts && opts->limit ? opts->limit : DEFAULT_LIMIT;
	s->write_high = opts && opts->write_high ? opts->write_high : DEFAULT_WRITE_HIGH;
	s->idle = opts ? opts->idle_timeout : 0;
	s->activity = s->idle ? ringo_time() : 0;
	s->lent = -1;
	ringo__list_init(&s->writers);
	ringo__list_init(&s->closers);
	s->res.shutdown = stream_shutdown;
	ringo__resource_add(loop, &s->res);
	if (s->is_socket) {
		/* As asyncio's transports: small writes go out at once. Fails
		 * harmlessly on anything but TCP. */
		int one = 1;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	if (!s->is_socket) {
		s->rmode = R_READ;
	} else {
		/* Multishot recv came with 6.0, as did SEND_ZC, which the
		 * ring's probe can see. */
		bool multishot = ringo__ring_supports(loop->ring, IORING_OP_SEND_ZC) &&
				 ringo__bufring_get(loop);
		s->rmode = multishot ? R_MULTISHOT : R_RECV;
		/* Like asyncio's transport, a socket reads from the start. */
		if (multishot)
			read_update(s);
	}
	*out = s;
	return 0;
}

int ringo_stream_fd(const ringo_stream *s)
{
	return s ? s->fd : -EINVAL;
}

void ringo_stream_set_deadline(ringo_stream *s, ringo_deadline deadline)
{
	if (s)
		s->deadline = deadline;
}

/* ---- TLS (issue 13; the session is lib/io/tls.c) ---- */

/* kTLS: once the handshake's last bytes are sent (the kernel would
 * encrypt them again otherwise), the session hands the send keys to the
 * kernel where it can. Returns 0 (kTLS or not) or the write error. */
static int ktls_start(ringo_stream *s)
{
	int ret = wait_written(s, 0);
	if (ret < 0)
		return ret;
	if (s->out.len || s->tout.len || s->sending.len || s->wop.armed || s->wclosed)
		return 0; /* written meanwhile: stays in user space */
	s->kalert = calloc(1, sizeof(*s->kalert));
	if (!s->kalert)
		return 0;
	if (ringo__tls_ktls_start(s->tls, s->fd) == 1) {
		s->ktls_tx = true;
	} else {
		free(s->kalert);
		s->kalert = NULL;
	}
	return 0;
}

int ringo_stream_start_tls(ringo_stream *s, ringo_tls_context *ctx, const char *server_hostname)
{
	int ret = check(s);
	if (ret < 0)
		return ret;
	if (!ctx)
		return -EINVAL;
	if (s->tls)
		return -EBUSY;
	if (s->wclosed || s->closing)
		return -EPIPE;
	if (s->out.len) {
		/* Written before TLS (a STARTTLS reply): sent in the clear,
		 * before the handshake. */
		ret = sbuf_append(s, &s->tout, s->out.data + s->out.head, s->out.len);
		if (ret < 0)
			return ret;
		sbuf_drop(s, &s->out, s->out.len);
	}
	ret = ringo__tls_new(ctx, server_hostname, tls_sink, s, &s->tls);
	if (ret < 0)
		return ret;
	/* What is buffered unread came after the plaintext the caller read:
	 * the peer's first TLS bytes (a ClientHello sent right behind a
	 * STARTTLS). */
	size_t early = s->in.len;
	if (early) {
		ringo__tls_feed(s->tls, s->in.data + s->in.head, early);
		ret = ringo__tls_feed_end(s->tls); /* a copy: in lets them go */
		if (ret < 0)
			return ret;
		consume(s, early);
	}
	ret = ringo__tls_start(s->tls);
	if (ret < 0)
		return ret;
	if (early)
		ingest(s, NULL, 0);
	tls_flush(s);
	while (!ringo__tls_handshake_done(s->tls) || s->rerr) {
		if (s->rerr)
			return s->rerr;
		if (!readable(s))
			return -ECONNABORTED;
		s->tls_handshaking = true;
		ret = wait_bytes(s, SIZE_MAX);
		if (ret == -ESHUTDOWN)
			return ret; /* s is gone */
		s->tls_handshaking = false;
		if (ret < 0)
			return ret;
	}
	if (ringo__tls_ktls_wanted(s->tls) && s->is_socket)
		return ktls_start(s);
	return 0;
}

/* ---- layers and copies (stream_internal.h) ---- */

int ringo__stream_set_layer(ringo_stream *s, const struct ringo__stream_layer *layer, void *ctx)
{
	if (!s || !layer || !layer->input || !layer->output)
		return -EINVAL;
	if (s->layer || s->used || s->held_read || s->held_write || buffered_out(s))
		return -EBUSY;
	s->layer = layer;
	s->layer_ctx = ctx;
	if (s->in.len) {
		/* Received before the layer came: raw bytes too. */
		size_t n = s->in.len;
		struct sbuf raw = { 0 };
		int ret = sbuf_append(s, &raw, s->in.data + s->in.head, n);
		consume(s, n);
		s->rpos = 0;
		s->seen_to = 0;
		s->used = false;
		if (ret < 0)
			s->rerr = ret;
		else
			layer_input(s, raw.data, n);
		sbuf_release(s, &raw);
	}
	return 0;
}

const char *ringo_stream_tls_version(const ringo_stream *s)
{
	return s && s->tls ? ringo__tls_version(s->tls) : NULL;
}

const char *ringo_stream_tls_alpn(const ringo_stream *s)
{
	return s && s->tls ? ringo__tls_alpn(s->tls) : NULL;
}

const char *ringo_stream_tls_peer_subject(const ringo_stream *s)
{
	return s && s->tls ? ringo__tls_peer_subject(s->tls) : NULL;
}

ssize_t ringo_stream_tls_peer_certificate(const ringo_stream *s, void *buf, size_t cap)
{
	return s && s->tls ? ringo__tls_peer_certificate(s->tls, buf, cap) : -ENOENT;
}

const char *ringo_stream_tls_error(const ringo_stream *s)
{
	return s && s->tls ? ringo__tls_error(s->tls) : NULL;
}

bool ringo_stream_tls_ktls(const ringo_stream *s)
{
	return s && s->ktls_tx;
}

bool ringo__stream_is_tls(const ringo_stream *s)
{
	return s->tls != NULL;
}

int ringo__stream_deliver(ringo_stream *s, const void *buf, size_t n)
{
	if (n == 0)
		return 0;
	if (s->lent >= 0) {
		int ret = unlend(s, n);
		if (ret < 0)
			return ret;
	}
	return sbuf_append(s, &s->in, buf, n);
}

int ringo__stream_wait_input(ringo_stream *s)
{
	int ret = check(s);
	if (ret < 0)
		return ret;
	if (!readable(s))
		return s->rerr ? s->rerr : (s->eof ? 0 : -EPIPE);
	s->want_input = true;
	s->inputs_at = s->inputs;
	ret = wait_bytes(s, SIZE_MAX);
	s->want_input = false;
	if (ret == -ESHUTDOWN)
		return ret; /* s is gone */
	return ret < 0 ? ret : s->rerr;
}

int ringo__stream_hold_read(ringo_stream *s)
{
	int ret = check(s);
	if (ret < 0)
		return ret;
	if (s->reader || s->held_read)
		return -EBUSY;
	s->held_read = true;
	read_update(s);
	if (s->rop.armed) {
		int err;
		ringo_task *t = ringo__await_begin(&err);
		if (!t) {
			s->held_read = false;
			read_update(s);
			return err;
		}
		s->want_stop = true;
		struct swait sw;
		ret = swait(s, t, &sw, NULL);
		if (ret == -ESHUTDOWN)
			return ret;
		s->want_stop = false;
		if (ret < 0) {
			s->held_read = false;
			read_update(s);
			return ret;
		}
	}
	return readable(s) ? 0 : 1;
}

void ringo__stream_release_read(ringo_stream *s)
{
	if (!s->held_read)
		return;
	s->held_read = false;
	if (ringo__loop_owning(s->loop_id)) {
		read_update(s);
		if (!readable(s))
			close_update(s);
	}
}

int ringo__stream_hold_write(ringo_stream *s)
{
	int ret = check(s);
	if (ret < 0)
		return ret;
	if (s->held_write)
		return -EBUSY;
	if (s->wclosed || s->aborted)
		return s->werr ? s->werr : -EPIPE;
	ret = wait_written(s, 0);
	if (ret < 0)
		return ret;
	if (s->held_write)
		return -EBUSY;
	if (s->werr || s->wclosed)
		return s->werr ? s->werr : -EPIPE;
	s->held_write = true;
	s->used = true;
	return 0;
}

void ringo__stream_release_write(ringo_stream *s)
{
	s->held_write = false;
}

void ringo__stream_set_read_end(ringo_stream *s, int res)
{
	if (res == 0)
		s->eof = true;
	else if (!s->rerr)
		s->rerr = res;
}

void ringo__stream_set_write_error(ringo_stream *s, int err)
{
	if (!s->werr)
		s->werr = err;
}

int ringo__stream_unread(ringo_stream *s, const void *buf, size_t n)
{
	if (n == 0)
		return 0;
	if (s->lent >= 0) {
		int ret = unlend(s, 0);
		if (ret < 0)
			return ret;
	}
	if (s->in.head >= n) {
		s->in.head -= n;
	} else {
		struct sbuf b = { 0 };
		int ret = sbuf_reserve(s, &b, n + s->in.len);
		if (ret < 0)
			return ret;
		memcpy(b.data + n, s->in.data + s->in.head, s->in.len);
		b.len = n + s->in.len;
		sbuf_release(s, &s->in);
		s->in = b;
	}
	memcpy(s->in.data + s->in.head, buf, n);
	s->in.len += n;
	s->rpos -= n;
	s->seen_to = s->rpos; /* the reader has not seen them */
	return 0;
}

bool ringo__stream_layered(const ringo_stream *s)
{
	return s->layer != NULL || s->tls != NULL;
}

bool ringo__stream_is_socket(const ringo_stream *s)
{
	return s->is_socket;
}

int64_t ringo__stream_idle(const ringo_stream *s, int64_t *last)
{
	if (last)
		*last = s->activity;
	return s->idle;
}

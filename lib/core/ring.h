/* SPDX-License-Identifier: MIT */
/* Internal: the ring's state and its hot paths, inlined into the code that
 * waits (a yield, a wake-up). With lib/core/ring.c, the only code that calls
 * liburing; never installed. */
#ifndef RINGO_RING_H
#define RINGO_RING_H

#include <liburing.h>

#include "core/internal.h"

/* user_data: the op's address, and a 16-bit generation tag on top (x86-64
 * and aarch64 user addresses fit in 48 bits). 0 marks internal SQEs (a
 * cancel's own); RINGO__UD_QUIET internal SQEs sent with
 * IOSQE_CQE_SKIP_SUCCESS, which post a CQE only when they fail and are not
 * counted in flight. Neither is an op's address. */
#define RINGO__TAG_SHIFT 48
#define RINGO__PTR_MASK ((UINT64_C(1) << RINGO__TAG_SHIFT) - 1)
#define RINGO__UD_QUIET UINT64_C(1)

/* A probe reports at most 256 opcodes (its op count is a byte). */
#define RINGO__OPS_MAX 256

struct ringo__cqe {
	uint64_t user_data;
	int32_t res;
	uint32_t flags;
};

struct ringo__ring {
	struct io_uring uring;
	size_t inflight;          /* SQEs handed out whose CQE is not dispatched */
	/* reaped completions waiting for dispatch: a growable circular queue
	 * whose capacity is a power of two */
	struct ringo__cqe *queue;
	size_t qhead, qlen, qcap;
	/* One timespec per SQ slot. The kernel reads a timeout's timespec when
	 * it consumes the SQE, and a slot is not reused before that, so
	 * timeouts need no memory of their own, and the kernel reads a dense
	 * array instead of one cold line on each sleeping task's stack. */
	struct __kernel_timespec *ts;
	unsigned setup_flags;
	const char *mode;
	/* Which opcodes this kernel has, probed once. Sized for every opcode
	 * a probe can report, not only those the installed header names: ops
	 * newer than the header (IORING_OP_WAITID...) are filled by hand. */
	uint8_t ops[RINGO__OPS_MAX];
	uint64_t stale;           /* CQEs whose tag did not match (never resumed) */
	/* Statistics (ringo_loop_stats): plain counters. cqes is also the
	 * debug watchdog's heartbeat, read from its thread. */
	uint64_t submitted, enters, cqes, cqes_more, cqes_internal;
	int64_t now;              /* loop time: ringo_time() after the last wait */
	bool blocked;             /* in the kernel waiting (the watchdog reads it) */
	bool mark;                /* the watchdog asks: set marked_at at the next wait */
	int64_t marked_at;
	int64_t wait_ns;          /* time spent blocked waiting for completions */
	size_t round;             /* completions left in the round being dispatched */
	bool timeout_update;      /* IORING_TIMEOUT_UPDATE works (lib/compose/timer.c) */
	bool cqe_skip;            /* IOSQE_CQE_SKIP_SUCCESS works (5.17+) */
	bool reg_ring;            /* the ring fd is registered (5.18+) */
	/* Busy-poll (ringo_run_opts.poll_us, lib/core/ring.c's poll_spin): before
	 * blocking, spin up to poll_ns watching the ring's shared memory. */
	int64_t poll_ns;          /* 0: off */
	unsigned poll_run;        /* empty spins in a row */
	unsigned poll_skip;       /* waits left that block without spinning */
	unsigned poll_backoff;    /* the skip after the next run of empty spins */
	bool poll_no_backoff;     /* RINGO_POLL_BACKOFF=0 (benchmarks) */
	/* The eventfd-way mailbox's "messages queued" word (read with
	 * __atomic_load_n), or NULL: its wake CQE needs an enter to appear on
	 * a ring without TASKRUN_FLAG. */
	const unsigned *poll_mail;
	uint64_t poll_hits, poll_misses;
	int64_t poll_spin_ns;     /* time spent spinning */
};

/* The full-SQ path of ringo__ring_sqe: submits, reaps if the CQ fills,
 * retries; never fails. */
struct io_uring_sqe *ringo__ring_sqe_slow(struct ringo__ring *r);
/* Two adjacent SQEs, both counted in flight, for an op and its linked
 * timeout: a submission never separates them. */
void ringo__ring_sqe_pair(struct ringo__ring *r, struct io_uring_sqe **first,
			  struct io_uring_sqe **second);
/* Fills sqe (the second of a pair) as the IORING_OP_LINK_TIMEOUT of the SQE
 * before it, expiring at CLOCK_MONOTONIC time deadline, armed for op. */
void ringo__ring_link_timeout(struct ringo__ring *r, struct io_uring_sqe *sqe,
			      struct ringo__op *op, int64_t deadline);

/* An SQE to fill; counted in flight from now. */
static inline struct io_uring_sqe *ringo__ring_sqe(struct ringo__ring *r)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->uring);
	if (ringo__unlikely(!sqe))
		sqe = ringo__ring_sqe_slow(r);
	r->inflight++;
	return sqe;
}

/* Adjusts the count of completions the loop waits for by n, for CQEs that
 * do not come from an SQE of this ring, or SQEs that should not keep it
 * alive:
 *  - +1 for each CQE another ring will post here with IORING_OP_MSG_RING
 *    (an executor worker's); its dispatch takes the 1 back.
 *  - -1 right after arming an op makes it "weak": the loop neither waits
 *    for it nor counts it against a deadlock (a signalfd read for the
 *    SIGINT default). Its CQE's dispatch still takes 1, so its complete
 *    function must give it back (+1) first thing; +1 while it is in flight
 *    makes it count again.
 * The count is a size_t and the sums wrap consistently. */
static inline void ringo__ring_expect(struct ringo__ring *r, int n)
{
	r->inflight += (size_t)(ptrdiff_t)n;
}

static inline uint64_t ringo__ring_tag(const struct ringo__op *op)
{
	return (uint64_t)(uintptr_t)op | ((uint64_t)op->gen << RINGO__TAG_SHIFT);
}

static inline void ringo__ring_arm(struct io_uring_sqe *sqe, struct ringo__op *op)
{
	op->armed = true;
	io_uring_sqe_set_data64(sqe, ringo__ring_tag(op));
}

/* Queues a NOP for op; its CQE arrives after every SQE queued before it. */
static inline void ringo__ring_nop(struct ringo__ring *r, struct ringo__op *op)
{
	struct io_uring_sqe *sqe = ringo__ring_sqe(r);
	io_uring_prep_nop(sqe);
	ringo__ring_arm(sqe, op);
}

/* The next completion of the round being dispatched (r->round > 0), read
 * in place: from the queue first (older), else from the CQ. */
static inline struct ringo__cqe ringo__ring_head(const struct ringo__ring *r)
{
	struct ringo__cqe c;
	if (r->qlen) {
		c = r->queue[r->qhead];
	} else {
		/* 16-byte CQEs: ringo never sets IORING_SETUP_CQE32. */
		const struct io_uring_cqe *cqe =
			&r->uring.cq.cqes[*r->uring.cq.khead & r->uring.cq.ring_mask];
		c.user_data = cqe->user_data;
		c.res = cqe->res;
		c.flags = cqe->flags;
	}
	return c;
}

/* Consumes the head of the round, c. The CQ head moves before anything is
 * dispatched, so a task that reaps meanwhile never sees this CQE again. A
 * multishot op's CQE with IORING_CQE_F_MORE leaves the op in flight; a
 * quiet SQE's (failure) CQE was never counted. */
static inline void ringo__ring_consume(struct ringo__ring *r, const struct ringo__cqe *c)
{
	r->round--;
	r->cqes++;
	if (c->flags & IORING_CQE_F_MORE)
		r->cqes_more++;
	else if (ringo__likely(c->user_data != RINGO__UD_QUIET))
		r->inflight--;
	if (r->qlen) {
		r->qhead = (r->qhead + 1) & (r->qcap - 1);
		r->qlen--;
	} else {
		io_uring_cq_advance(&r->uring, 1);
	}
}

/* The armed op a completion names; NULL for a cancel's own CQE (user_data
 * 0 or RINGO__UD_QUIET) and for a stale tag. */
static inline struct ringo__op *ringo__ring_op_of(uint64_t user_data)
{
	struct ringo__op *op = (struct ringo__op *)(uintptr_t)(user_data & RINGO__PTR_MASK);
	if (user_data <= RINGO__UD_QUIET || !op->armed || op->gen != (uint16_t)(user_data >> RINGO__TAG_SHIFT))
		return NULL;
	return op;
}

/* Starts loading the op of the round's next completion, if any, while
 * the one just taken is dispatched: each names a different object (a task
 * record, another task's stack), cold when many tasks take turns. */
static inline void ringo__ring_prefetch_next(const struct ringo__ring *r)
{
	if (!r->round)
		return;
	uint64_t ud;
	if (r->qlen)
		ud = r->queue[r->qhead].user_data;
	else
		ud = r->uring.cq.cqes[*r->uring.cq.khead & r->uring.cq.ring_mask].user_data;
	__builtin_prefetch((const void *)(uintptr_t)(ud & RINGO__PTR_MASK), 1);
}

/* For a task about to suspend, during ringo__ring_run's round: if the next
 * completion of the round is for an op whose complete function is
 * `complete`, consumes it and returns the op (disarmed) with its result in
 * *res, so that the caller can switch straight to what it resumes. Returns
 * NULL otherwise (nothing is consumed but a cancel's own or stale CQEs). */
static inline __attribute__((always_inline)) struct ringo__op *
ringo__ring_take(struct ringo__ring *r, ringo__op_fn complete, int *res)
{
	while (r->round) {
		struct ringo__cqe c = ringo__ring_head(r);
		struct ringo__op *op = ringo__ring_op_of(c.user_data);
		if (op && op->complete != complete)
			return NULL;
		ringo__ring_consume(r, &c);
		if (op) {
			op->armed = false;
			*res = c.res;
			return op;
		}
		if (c.user_data > RINGO__UD_QUIET)
			r->stale++;
		else
			r->cqes_internal++;
	}
	return NULL;
}

#endif

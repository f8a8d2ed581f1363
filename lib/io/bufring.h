/* SPDX-License-Identifier: MIT */
/* Internal: the loop's provided buffer ring, which multishot receives pick
 * their buffers from (IORING_REGISTER_PBUF_RING, 5.19+), and the loop's
 * pool of stream buffers. Never installed. Both are freed at the loop's end
 * by ringo__bufring_destroy (internal.h). */
#ifndef RINGO_BUFRING_H
#define RINGO_BUFRING_H

#include "core/ring.h"

struct ringo__bufring {
	struct io_uring_buf_ring *br;  /* the ring the kernel takes buffers from */
	char *bufs;                    /* count buffers of size bytes */
	size_t map_len;                /* the one mapping holding br and bufs */
	unsigned count, size, mask;
	unsigned lent;                 /* buffers a stream holds as its input */
	uint16_t group;                /* its buffer group id */
};

/* The running loop's buffer ring, registered on first use. NULL when the
 * kernel cannot register one (before 5.19), memory is short, or it was
 * disabled (RINGO_BUFRING=0 in the environment); callers then use
 * single-shot operations. */
struct ringo__bufring *ringo__bufring_get(struct ringo_loop *loop);

/* The bytes of buffer bid, which a CQE with IORING_CQE_F_BUFFER named. */
static inline const char *ringo__bufring_data(const struct ringo__bufring *b, unsigned bid)
{
	return b->bufs + (size_t)bid * b->size;
}

/* Gives buffer bid back to the kernel. */
static inline void ringo__bufring_recycle(struct ringo__bufring *b, unsigned bid)
{
	io_uring_buf_ring_add(b->br, b->bufs + (size_t)bid * b->size, b->size, (unsigned short)bid,
			      (int)b->mask, 0);
	io_uring_buf_ring_advance(b->br, 1);
}

/* Whether a stream may keep buffer bid as its input instead of copying it
 * out: while at most a quarter of the ring is lent, so that the receives
 * of other streams never run dry because of readers that are slow. */
static inline bool ringo__bufring_may_lend(const struct ringo__bufring *b)
{
	return b->lent < b->count / 4;
}

/* ---- the pool of stream buffers ----
 * Memory for stream buffers whose size is a power of two (4 KiB and up):
 * an emptied buffer goes back to the loop's pool instead of to malloc, and
 * the next one of that size comes from there, already faulted in. The pool
 * keeps at most a few MiB; beyond that buffers are freed. */

/* A buffer of at least *cap bytes (rounded up to a power of two, written
 * back to *cap), from the pool of the running loop loop if it has one of
 * that size, else from malloc. loop may be NULL (after its end). NULL when
 * memory is short. */
void *ringo__bufpool_take(struct ringo_loop *loop, size_t *cap);
/* Gives back a buffer of cap bytes from ringo__bufpool_take (NULL: no-op). */
void ringo__bufpool_give(struct ringo_loop *loop, void *p, size_t cap);

#endif

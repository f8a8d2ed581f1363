/* SPDX-License-Identifier: MIT */
/* Internal: the loop's provided buffer ring, which multishot receives pick
 * their buffers from (IORING_REGISTER_PBUF_RING, 5.19+). Never installed.
 * It is freed at the loop's end by ringo__bufring_destroy (internal.h). */
#ifndef RINGO_BUFRING_H
#define RINGO_BUFRING_H

#include "ring.h"

struct ringo__bufring {
	struct io_uring_buf_ring *br;  /* the ring the kernel takes buffers from */
	char *bufs;                    /* count buffers of size bytes */
	size_t map_len;                /* the one mapping holding br and bufs */
	unsigned count, size, mask;
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

#endif

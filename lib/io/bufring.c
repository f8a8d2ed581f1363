/* SPDX-License-Identifier: MIT */
/* The loop's provided buffer ring: one buffer group shared by every
 * multishot receive of the loop. A receive's CQE names the buffer the
 * kernel filled; a stream whose input is empty keeps the buffer as its
 * input until it is read (lent, up to a quarter of the ring), otherwise it
 * copies the bytes out and gives the buffer back at once, so an idle
 * connection holds none.
 *
 * And the loop's pool of stream buffers: emptied buffers above what a
 * stream keeps for itself are reused by the next stream that grows, so
 * that bulk transfers neither call malloc nor fault fresh pages in steady
 * state. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "io/bufring.h"

enum {
	DEFAULT_COUNT = 256,          /* buffers; a power of two */
	DEFAULT_SIZE = 16 * 1024,     /* bytes each */
	MAX_COUNT = 32768,            /* the kernel's limit */
	GROUP = 0x7269,               /* the loop's one buffer group id ("ri") */
};

/* RINGO_BUFRING=COUNT or COUNTxSIZE overrides the defaults, 0 disables the
 * ring. For tests: a tiny ring makes -ENOBUFS happen. */
static bool configure(unsigned *count, unsigned *size)
{
	*count = DEFAULT_COUNT;
	*size = DEFAULT_SIZE;
	const char *env = getenv("RINGO_BUFRING");
	if (!env || !*env)
		return true;
	char *end;
	unsigned long c = strtoul(env, &end, 10);
	if (c == 0)
		return false;
	unsigned long sz = *size;
	if (*end == 'x')
		sz = strtoul(end + 1, &end, 10);
	if (*end || sz == 0 || sz > (1UL << 20) || c > MAX_COUNT)
		return true; /* malformed: keep the defaults */
	unsigned n = 1;
	while (n < c)
		n <<= 1;
	*count = n;
	*size = (unsigned)sz;
	return true;
}

static struct ringo__bufring *create(struct ringo_loop *loop)
{
	unsigned count, size;
	if (!configure(&count, &size))
		return NULL;
	struct ringo__bufring *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t ring_len = ((size_t)count * sizeof(struct io_uring_buf) + page - 1) & ~(page - 1);
	b->map_len = ring_len + (size_t)count * size;
	void *mem = mmap(NULL, b->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	if (mem == MAP_FAILED)
		goto err_free;
	b->br = mem;
	b->bufs = (char *)mem + ring_len;
	b->count = count;
	b->size = size;
	b->mask = count - 1;
	b->group = GROUP;
	struct io_uring_buf_reg reg;
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (uint64_t)(uintptr_t)b->br;
	reg.ring_entries = count;
	reg.bgid = b->group;
	/* EINVAL before 5.19, which has no buffer rings. */
	if (io_uring_register_buf_ring(&loop->ring->uring, &reg, 0) < 0)
		goto err_unmap;
	io_uring_buf_ring_init(b->br);
	for (unsigned i = 0; i < count; i++)
		io_uring_buf_ring_add(b->br, b->bufs + (size_t)i * size, size, (unsigned short)i,
				      (int)b->mask, (int)i);
	io_uring_buf_ring_advance(b->br, (int)count);
	return b;

err_unmap:
	munmap(mem, b->map_len);
err_free:
	free(b);
	return NULL;
}

struct ringo__bufring *ringo__bufring_get(struct ringo_loop *loop)
{
	if (ringo__likely(loop->bufring_state == RINGO__BUFRING_READY))
		return loop->bufring;
	if (loop->bufring_state == RINGO__BUFRING_UNTRIED) {
		loop->bufring = create(loop);
		loop->bufring_state = loop->bufring ? RINGO__BUFRING_READY : RINGO__BUFRING_OFF;
	}
	return loop->bufring_state == RINGO__BUFRING_READY ? loop->bufring : NULL;
}

/* ---- the pool of stream buffers ---- */

enum {
	POOL_MIN_SHIFT = 12,          /* 4 KiB, the smallest class */
	POOL_CLASSES = 14,            /* up to 32 MiB */
	POOL_PER_CLASS = 32,
	POOL_MAX_BYTES = 8 << 20,     /* most the pool keeps */
};

struct ringo__bufpool {
	void *free[POOL_CLASSES][POOL_PER_CLASS];
	unsigned count[POOL_CLASSES];
	size_t bytes;
};

/* The class of a power-of-two size, or -1 outside the pool's classes. */
static int pool_class(size_t cap)
{
	int c = 0;
	while (((size_t)1 << (POOL_MIN_SHIFT + c)) < cap)
		c++;
	return c < POOL_CLASSES && ((size_t)1 << (POOL_MIN_SHIFT + c)) == cap ? c : -1;
}

void *ringo__bufpool_take(struct ringo_loop *loop, size_t *cap)
{
	size_t want = (size_t)1 << POOL_MIN_SHIFT;
	while (want < *cap) {
		if (want > SIZE_MAX / 2)
			return NULL;
		want *= 2;
	}
	*cap = want;
	struct ringo__bufpool *p = loop ? loop->bufpool : NULL;
	int c = p ? pool_class(want) : -1;
	if (c >= 0 && p->count[c]) {
		p->bytes -= want;
		return p->free[c][--p->count[c]];
	}
	return malloc(want);
}

void ringo__bufpool_give(struct ringo_loop *loop, void *mem, size_t cap)
{
	if (!mem)
		return;
	if (loop && !loop->bufpool)
		loop->bufpool = calloc(1, sizeof(*loop->bufpool));
	struct ringo__bufpool *p = loop ? loop->bufpool : NULL;
	int c = p ? pool_class(cap) : -1;
	if (c < 0 || p->count[c] == POOL_PER_CLASS || p->bytes + cap > POOL_MAX_BYTES) {
		free(mem);
		return;
	}
	p->free[c][p->count[c]++] = mem;
	p->bytes += cap;
}

static void pool_destroy(struct ringo_loop *loop)
{
	struct ringo__bufpool *p = loop->bufpool;
	if (!p)
		return;
	for (int c = 0; c < POOL_CLASSES; c++)
		for (unsigned i = 0; i < p->count[c]; i++)
			free(p->free[c][i]);
	free(p);
	loop->bufpool = NULL;
}

void ringo__bufring_destroy(struct ringo_loop *loop)
{
	pool_destroy(loop);
	struct ringo__bufring *b = loop->bufring;
	if (!b)
		return;
	io_uring_unregister_buf_ring(&loop->ring->uring, b->group);
	munmap(b->br, b->map_len);
	free(b);
	loop->bufring = NULL;
}

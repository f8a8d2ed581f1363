/* SPDX-License-Identifier: MIT */
/* The loop's provided buffer ring: one buffer group shared by every
 * multishot receive of the loop. A receive's CQE names the buffer the
 * kernel filled; the stream copies the bytes out and gives the buffer back
 * at once, so buffers are held only between a CQE's posting and its
 * dispatch, and an idle connection holds none. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bufring.h"

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

void ringo__bufring_destroy(struct ringo_loop *loop)
{
	struct ringo__bufring *b = loop->bufring;
	if (!b)
		return;
	io_uring_unregister_buf_ring(&loop->ring->uring, b->group);
	munmap(b->br, b->map_len);
	free(b);
	loop->bufring = NULL;
}

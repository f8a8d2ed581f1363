/* SPDX-License-Identifier: MIT */
/* Task stacks: mmap'd, committed lazily, guarded, pooled.
 *
 * Default-size stacks are carved from slabs, one mapping per slab_stacks
 * stacks, each slot a guard gap (64 KiB: GUARD_BYTES) followed by the usable
 * bytes. The gap is that wide so that a function whose frame is larger than
 * a page, writing its low end first, faults in its own stack's guard
 * instead of landing silently in the top of the neighbouring stack; code
 * built with -fstack-clash-protection probes every page of a bigger frame,
 * so it cannot jump any gap. They are
 * never unmapped before ringo__stack_pool_destroy: a put stack goes to the
 * hot free list, still committed, while fewer than hot_max stacks are there
 * (so a loop at steady concurrency never faults a stack in), otherwise its
 * pages are given back to the kernel (MADV_DONTNEED) and the mapping goes to
 * the cold list. The pages go back in batches (one process_madvise, so one
 * TLB flush, for up to 64 stacks, or before the loop waits): a million tasks
 * ending together made a million madvise calls, each flushing the TLB of
 * every CPU the process ran on. Other sizes get a mapping of their own, unmapped on put.
 *
 * The guard must not cost a mapping (VMA) per stack, or a process stops near
 * vm.max_map_count / 2 stacks (65530 by default). In order of preference:
 *  - madvise: MADV_GUARD_INSTALL (Linux 6.13) puts guard markers in the
 *    page tables without splitting the VMA;
 *  - mprotect: PROT_NONE on the guard gap, two more VMAs per stack, only
 *    while the process-wide budget of half vm.max_map_count lasts;
 *  - canary: no protection; the guard slot stays as padding and a pattern at
 *    the lowest usable bytes is checked at every switch away from the stack
 *    (ringo__stack_check), so an overflow is caught late but caught.
 * RINGO_STACK_GUARD=madvise|mprotect|canary forces a mode (for tests); a
 * forced mode that cannot be had falls back down the list. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ringo_config.h"
#include "core/fiber.h"

#if RINGO_HAVE_VALGRIND
#include <valgrind/valgrind.h>
#endif

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef PIDFD_SELF_THREAD
#define PIDFD_SELF_THREAD -10000 /* the calling thread, hence our own mm (6.14) */
#endif

/* struct ringo__stack.kind: the guard in the low bits, flags above. */
enum {
	KIND_MADVISE = 1,
	KIND_MPROTECT = 2,
	KIND_CANARY = 3,
	KIND_GUARD_MASK = 0x0f,
	KIND_OWN_MAPPING = 0x10, /* non-default size: unmapped on put */
};

enum { MODE_AUTO, MODE_MADVISE, MODE_MPROTECT, MODE_CANARY };

enum {
	SLAB_STACKS_MAX = 64,
	RELEASE_BATCH = RINGO__STACK_RELEASE_BATCH,
	SLAB_BYTES_MAX = 64 << 20, /* fewer stacks per slab when they are big */
	/* Free stacks kept committed. Touching a fresh page costs a fault (on
	 * some VMs over 10 us), so a loop that ran N tasks at once keeps up to
	 * this many stacks ready; the loop may set another bound. */
	HOT_DEFAULT = 131072,
	/* Stacks whose top page is committed together, ahead of use, by one
	 * process_madvise: a page the kernel fills in a batch costs less than
	 * one faulted in at first touch (on some VMs several times less). */
	POPULATE_BATCH = 16,
	CANARY_WORDS = 4,
	VMAS_PER_GUARD = 2,        /* an mprotect'd gap splits one VMA into three */
	/* The guard gap below every stack. Address space only: its pages are
	 * never committed (guard markers or PROT_NONE). */
	GUARD_BYTES = 64 << 10,
};

/* The pool of the loop running on this thread, for the fault handler's
 * question "is this address in some stack's guard?". */
static _Thread_local struct ringo__stack_pool *thread_pool;

struct ringo__stack_slab {
	struct ringo__stack_slab *next;
	char *base;
	size_t len;
	size_t carved;
	bool guarded;              /* every slot's guard installed at once */
	bool chunked;              /* carved from a descriptor chunk, not malloc'd */
	struct ringo__stack stacks[];
};

/* ---- process-wide: the MADV_GUARD_INSTALL probe and the VMA budget ---- */

static atomic_int madvise_guard_probe; /* 0 unknown, 1 works, -1 does not */
static atomic_int batch_probe;         /* process_madvise on ourselves: the same */
static atomic_size_t guard_vmas;       /* VMAs all pools' mprotect guards cost */
static atomic_size_t vma_budget;       /* 0: not read yet */

static bool madvise_guard_works(size_t page)
{
	int v = atomic_load_explicit(&madvise_guard_probe, memory_order_relaxed);
	if (v)
		return v > 0;
	void *p = mmap(NULL, page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return false; /* out of memory now, not an answer: ask again later */
	v = madvise(p, page, MADV_GUARD_INSTALL) == 0 ? 1 : -1;
	munmap(p, page);
	atomic_store_explicit(&madvise_guard_probe, v, memory_order_relaxed);
	return v > 0;
}

/* Gives advice to n ranges of len bytes, stride apart from first, in one
 * process_madvise (Linux 6.14+ for our own process and any advice). Returns
 * false if that cannot be done: the caller then goes range by range. */
static bool madvise_batch(char *first, size_t stride, size_t n, size_t len, int advice)
{
	if (atomic_load_explicit(&batch_probe, memory_order_relaxed) < 0 || n == 0)
		return false;
	struct iovec iov[SLAB_STACKS_MAX];
	if (n > SLAB_STACKS_MAX)
		n = SLAB_STACKS_MAX;
	for (size_t i = 0; i < n; i++) {
		iov[i].iov_base = first + i * stride;
		iov[i].iov_len = len;
	}
	long r = syscall(SYS_process_madvise, PIDFD_SELF_THREAD, iov, n, advice, 0);
	if (r < 0 && (errno == EBADF || errno == ENOSYS || errno == EINVAL || errno == EPERM ||
		      errno == ESRCH))
		atomic_store_explicit(&batch_probe, -1, memory_order_relaxed);
	return r == (long)(n * len);
}

/* Half of vm.max_map_count, read once: the rest is left to the program
 * (slabs, heap, libraries, its own mappings). */
static size_t budget(void)
{
	size_t b = atomic_load_explicit(&vma_budget, memory_order_relaxed);
	if (b)
		return b;
	unsigned long max = 65530;
	int fd = open("/proc/sys/vm/max_map_count", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		char buf[32];
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			char *end;
			unsigned long v = strtoul(buf, &end, 10);
			if (end != buf && v > 0)
				max = v;
		}
	}
	b = max / 2 ? max / 2 : 1;
	atomic_store_explicit(&vma_budget, b, memory_order_relaxed);
	return b;
}

static bool budget_take(size_t n)
{
	size_t limit = budget();
	size_t cur = atomic_load_explicit(&guard_vmas, memory_order_relaxed);
	do {
		if (cur + n > limit)
			return false;
	} while (!atomic_compare_exchange_weak_explicit(&guard_vmas, &cur, cur + n,
							memory_order_relaxed,
							memory_order_relaxed));
	return true;
}

static void budget_give(size_t n)
{
	atomic_fetch_sub_explicit(&guard_vmas, n, memory_order_relaxed);
}

/* ---- canary ---- */

static uint64_t canary_word(size_t i)
{
	return 0x52494e474f535441ULL ^ (0x9e3779b97f4a7c15ULL * (i + 1));
}

/* The canary sits where the stack's own frames may have left poisoned
 * redzones (ASan), or below the stack pointer after an overflow returned
 * (memcheck): neither must report these accesses. */
#if RINGO_HAVE_VALGRIND
#define QUIET_BEGIN() VALGRIND_DISABLE_ERROR_REPORTING
#define QUIET_END() VALGRIND_ENABLE_ERROR_REPORTING
#else
#define QUIET_BEGIN() ((void)0)
#define QUIET_END() ((void)0)
#endif

__attribute__((no_sanitize("address")))
static void canary_write(const struct ringo__stack *s)
{
	volatile uint64_t *w = s->lo;
	QUIET_BEGIN();
	for (size_t i = 0; i < CANARY_WORDS; i++)
		w[i] = canary_word(i);
	QUIET_END();
}

__attribute__((no_sanitize("address")))
static bool canary_intact(const struct ringo__stack *s)
{
	const volatile uint64_t *w = s->lo;
	bool intact = true;
	QUIET_BEGIN();
	for (size_t i = 0; i < CANARY_WORDS; i++)
		intact &= w[i] == canary_word(i);
	QUIET_END();
	return intact;
}

void ringo__stack_check(const struct ringo__stack *s)
{
	if (s && (s->kind & KIND_GUARD_MASK) == KIND_CANARY && !canary_intact(s))
		ringo__overflow_abort(s->owner);
}

/* ---- stacks ---- */

static void *map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* Transparent huge pages would commit 2 MiB for the first touched
	 * byte of a stack. Kernels since 6.7 already exclude MAP_STACK. */
	madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

/* Guards the gap at slot (its first guard_size bytes; already done if
 * guarded) and fills in s. */
static void stack_setup(struct ringo__stack_pool *p, struct ringo__stack *s, char *slot,
			size_t size, bool guarded)
{
	uint8_t kind = KIND_CANARY;
	if (guarded) {
		kind = KIND_MADVISE;
	} else if ((p->guard_mode == MODE_AUTO || p->guard_mode == MODE_MADVISE) &&
		   madvise_guard_works(p->page) &&
		   madvise(slot, p->guard_size, MADV_GUARD_INSTALL) == 0) {
		kind = KIND_MADVISE;
	} else if (p->guard_mode != MODE_CANARY && budget_take(VMAS_PER_GUARD)) {
		if (mprotect(slot, p->guard_size, PROT_NONE) == 0) {
			kind = KIND_MPROTECT;
			p->vmas += VMAS_PER_GUARD;
		} else {
			budget_give(VMAS_PER_GUARD); /* ENOMEM: max_map_count hit */
		}
	}
	s->lo = slot + p->guard_size;
	s->size = size;
	s->guard = kind == KIND_CANARY ? NULL : slot;
	s->guard_size = kind == KIND_CANARY ? 0 : p->guard_size;
	s->owner = NULL;
	s->next = NULL;
	s->kind = kind;
	s->valgrind_id = 0;
}

/* The slot (guard gap included) of s: in canary mode the unprotected gap
 * stays as padding between stacks. */
static char *stack_slot(const struct ringo__stack_pool *p, const struct ringo__stack *s)
{
	return (char *)s->lo - p->guard_size;
}

static void release_guard(struct ringo__stack_pool *p, const struct ringo__stack *s)
{
	if ((s->kind & KIND_GUARD_MASK) == KIND_MPROTECT) {
		budget_give(VMAS_PER_GUARD);
		p->vmas -= VMAS_PER_GUARD;
	}
}

void *ringo__huge_chunk_map(void)
{
	/* Twice the size, then the aligned chunk kept and the rest given
	 * back. */
	size_t len = 2 * (size_t)RINGO__HUGE_CHUNK;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	char *b = (char *)(((uintptr_t)p + RINGO__HUGE_CHUNK - 1) &
			   ~(uintptr_t)(RINGO__HUGE_CHUNK - 1));
	if (b > p)
		munmap(p, (size_t)(b - p));
	if (b + RINGO__HUGE_CHUNK < p + len)
		munmap(b + RINGO__HUGE_CHUNK, (size_t)(p + len - (b + RINGO__HUGE_CHUNK)));
	madvise(b, RINGO__HUGE_CHUNK, MADV_HUGEPAGE);
	return b;
}

/* Slab descriptors (a slab's struct ringo__stack array, 3.6 KiB for 64
 * stacks): the first DESC_MALLOC_SLABS from malloc, then carved from 2 MiB
 * chunks advised as transparent huge pages, one fault for 500 slabs (32,000
 * stacks) instead of one a slab; a first touch costs tens of microseconds
 * on some VMs. A chunk begins with a link to the previous one; all are
 * unmapped with the pool. */
enum { DESC_CHUNK = RINGO__HUGE_CHUNK, DESC_MALLOC_SLABS = 16, DESC_HEAD = 64 };

static struct ringo__stack_slab *slab_alloc(struct ringo__stack_pool *p, size_t bytes)
{
	bytes = (bytes + 63) & ~(size_t)63;
	struct ringo__stack_slab *slab;
	if (p->nslabs < DESC_MALLOC_SLABS || bytes > DESC_CHUNK - DESC_HEAD) {
		if ((slab = malloc(bytes)))
			slab->chunked = false;
		return slab;
	}
	if (!p->desc_chunk || p->desc_used + bytes > DESC_CHUNK) {
		char *b = ringo__huge_chunk_map();
		if (!b)
			return NULL;
		*(char **)b = p->desc_chunk;
		p->desc_chunk = b;
		p->desc_used = DESC_HEAD;
	}
	slab = (void *)(p->desc_chunk + p->desc_used);
	p->desc_used += bytes;
	slab->chunked = true;
	return slab;
}

static void slab_free(struct ringo__stack_slab *slab)
{
	if (!slab->chunked)
		free(slab);
}

static struct ringo__stack *carve(struct ringo__stack_pool *p)
{
	struct ringo__stack_slab *slab = p->slabs;
	size_t stride = p->guard_size + p->default_size;
	if (!slab || slab->carved == p->slab_stacks) {
		slab = slab_alloc(p, sizeof(*slab) + p->slab_stacks * sizeof(slab->stacks[0]));
		if (!slab)
			return NULL;
		slab->len = stride * p->slab_stacks;
		slab->base = map(slab->len);
		if (!slab->base) {
			slab_free(slab);
			return NULL;
		}
		p->nslabs++;
		slab->carved = 0;
		slab->next = p->slabs;
		p->slabs = slab;
		/* Guard markers for every slot at once: one system call per
		 * slab rather than one per stack. */
		slab->guarded = (p->guard_mode == MODE_AUTO || p->guard_mode == MODE_MADVISE) &&
				madvise_guard_works(p->page) &&
				madvise_batch(slab->base, stride, p->slab_stacks, p->guard_size,
					      MADV_GUARD_INSTALL);
	}
	char *slot = slab->base + slab->carved * stride;
	if (slab->carved % POPULATE_BATCH == 0) {
		/* The top pages of the next few stacks, where their tasks'
		 * first frames go (best effort). */
		size_t n = p->slab_stacks - slab->carved;
		madvise_batch(slot + stride - p->page, stride, n < POPULATE_BATCH ? n : POPULATE_BATCH,
			      p->page, MADV_POPULATE_WRITE);
	}
	struct ringo__stack *s = &slab->stacks[slab->carved];
	stack_setup(p, s, slot, p->default_size, slab->guarded);
	slab->carved++;
	return s;
}

static struct ringo__stack *own_mapping(struct ringo__stack_pool *p, size_t size)
{
	struct ringo__stack *s = malloc(sizeof(*s));
	if (!s)
		return NULL;
	char *slot = map(p->guard_size + size);
	if (!slot) {
		free(s);
		return NULL;
	}
	stack_setup(p, s, slot, size, false);
	s->kind |= KIND_OWN_MAPPING;
	return s;
}

int ringo__stack_pool_init(struct ringo__stack_pool *p, size_t default_size)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t pg = page > 0 ? (size_t)page : 4096;
	if (default_size == 0 || default_size > SIZE_MAX / 4)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->page = pg;
	p->guard_size = GUARD_BYTES > pg ? ((size_t)GUARD_BYTES + pg - 1) & ~(pg - 1) : pg;
	p->default_size = (default_size + pg - 1) & ~(pg - 1);
	size_t stride = p->guard_size + p->default_size;
	p->slab_stacks = SLAB_BYTES_MAX / stride;
	if (p->slab_stacks > SLAB_STACKS_MAX)
		p->slab_stacks = SLAB_STACKS_MAX;
	if (p->slab_stacks == 0)
		p->slab_stacks = 1;
	p->hot_max = HOT_DEFAULT;
	p->guard_mode = MODE_AUTO;
	const char *mode = getenv("RINGO_STACK_GUARD");
	if (mode && !strcmp(mode, "madvise"))
		p->guard_mode = MODE_MADVISE;
	else if (mode && !strcmp(mode, "mprotect"))
		p->guard_mode = MODE_MPROTECT;
	else if (mode && !strcmp(mode, "canary"))
		p->guard_mode = MODE_CANARY;
	thread_pool = p;
	return 0;
}

void ringo__stack_pool_destroy(struct ringo__stack_pool *p)
{
	struct ringo__stack_slab *slab = p->slabs;
	while (slab) {
		struct ringo__stack_slab *next = slab->next;
		for (size_t i = 0; i < slab->carved; i++)
			release_guard(p, &slab->stacks[i]);
		munmap(slab->base, slab->len);
		slab_free(slab);
		slab = next;
	}
	p->slabs = NULL;
	while (p->desc_chunk) {
		char *c = p->desc_chunk;
		p->desc_chunk = *(char **)c;
		munmap(c, DESC_CHUNK);
	}
	p->nslabs = 0;
	p->free = p->cold = NULL;
	p->nfree = p->ncold = p->nreleasing = 0;
	if (thread_pool == p)
		thread_pool = NULL;
}

const struct ringo__stack *ringo__stack_guard_of(const void *addr)
{
	const struct ringo__stack_pool *p = thread_pool;
	if (!p)
		return NULL;
	uintptr_t a = (uintptr_t)addr;
	size_t stride = p->guard_size + p->default_size;
	for (const struct ringo__stack_slab *slab = p->slabs; slab; slab = slab->next) {
		uintptr_t base = (uintptr_t)slab->base;
		if (a < base || a - base >= slab->len)
			continue;
		size_t i = (a - base) / stride;
		const struct ringo__stack *s = &slab->stacks[i];
		if (i < slab->carved && s->guard && a - base - i * stride < s->guard_size)
			return s;
		return NULL;
	}
	return NULL;
}

/* The most recently freed default stack (hot in cache), else a released
 * one, else a new one; NULL when none can be had. Stacks promised by
 * reservations are left alone unless take is true. */
static struct ringo__stack *pop(struct ringo__stack_pool *p, bool take)
{
	struct ringo__stack *s;
	if (!take && p->nfree + p->nreleasing + p->ncold <= p->nreserved)
		return carve(p);
	if ((s = p->free)) {
		p->free = s->next;
		p->nfree--;
	} else if (p->nreleasing) {
		s = p->releasing[--p->nreleasing]; /* still committed */
	} else if ((s = p->cold)) {
		p->cold = s->next;
		p->ncold--;
	}
	return s;
}

static void hand_out(struct ringo__stack_pool *p, struct ringo__stack *s)
{
	s->next = NULL;
	s->owner = NULL;
	if ((s->kind & KIND_GUARD_MASK) == KIND_CANARY)
		canary_write(s);
#if RINGO_HAVE_VALGRIND
	s->valgrind_id = VALGRIND_STACK_REGISTER(s->lo, (char *)s->lo + s->size);
#endif
	p->nlive++;
}

int ringo__stack_get(struct ringo__stack_pool *p, size_t size, struct ringo__stack **out)
{
	struct ringo__stack *s;
	/* A smaller request gets a default stack too: untouched pages cost
	 * nothing, and a pooled stack costs no syscall. */
	if (size <= p->default_size) {
		if (!(s = pop(p, false)))
			return -ENOMEM;
	} else {
		if (size > SIZE_MAX / 2)
			return -ENOMEM;
		size = (size + p->page - 1) & ~(p->page - 1);
		if (!(s = own_mapping(p, size)))
			return -ENOMEM;
	}
	hand_out(p, s);
	*out = s;
	return 0;
}

int ringo__stack_reserve(struct ringo__stack_pool *p, size_t size, struct ringo__stack **own)
{
	*own = NULL;
	if (size > p->default_size)
		return ringo__stack_get(p, size, own);
	if (p->nfree + p->nreleasing + p->ncold <= p->nreserved) {
		struct ringo__stack *s = carve(p);
		if (!s)
			return -ENOMEM;
		/* Never touched: no resident memory, so it counts as cold. */
		s->next = p->cold;
		p->cold = s;
		p->ncold++;
	}
	p->nreserved++;
	return 0;
}

struct ringo__stack *ringo__stack_take(struct ringo__stack_pool *p)
{
	p->nreserved--;
	struct ringo__stack *s = pop(p, true);
	hand_out(p, s);
	return s;
}

void ringo__stack_unreserve(struct ringo__stack_pool *p)
{
	p->nreserved--;
}

void ringo__stack_put(struct ringo__stack_pool *p, struct ringo__stack *s)
{
	if (!s)
		return;
#if RINGO_HAVE_VALGRIND
	VALGRIND_STACK_DEREGISTER(s->valgrind_id);
#endif
	p->nlive--;
	s->owner = NULL;
	if (s->kind & KIND_OWN_MAPPING) {
		release_guard(p, s);
		munmap(stack_slot(p, s), p->guard_size + s->size);
		free(s);
		return;
	}
	if (p->nfree < p->hot_max) {
		s->next = p->free;
		p->free = s;
		p->nfree++;
	} else {
		if (p->nreleasing == RELEASE_BATCH)
			ringo__stack_flush(p);
		p->releasing[p->nreleasing++] = s;
	}
}

void ringo__stack_flush(struct ringo__stack_pool *p)
{
	size_t n = p->nreleasing;
	if (n == 0)
		return;
	struct iovec iov[RELEASE_BATCH];
	size_t bytes = 0;
	for (size_t i = 0; i < n; i++) {
		iov[i].iov_base = p->releasing[i]->lo;
		iov[i].iov_len = p->releasing[i]->size;
		bytes += iov[i].iov_len;
	}
	bool batched = false;
	if (atomic_load_explicit(&batch_probe, memory_order_relaxed) >= 0) {
		long r = syscall(SYS_process_madvise, PIDFD_SELF_THREAD, iov, n, MADV_DONTNEED, 0);
		if (r < 0 && (errno == EBADF || errno == ENOSYS || errno == EINVAL ||
			      errno == EPERM || errno == ESRCH))
			atomic_store_explicit(&batch_probe, -1, memory_order_relaxed);
		batched = r == (long)bytes;
	}
	for (size_t i = 0; i < n; i++) {
		struct ringo__stack *s = p->releasing[i];
		if (!batched)
			madvise(s->lo, s->size, MADV_DONTNEED);
		s->next = p->cold;
		p->cold = s;
		p->ncold++;
	}
	p->nreleasing = 0;
}

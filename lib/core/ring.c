/* SPDX-License-Identifier: MIT */
/* The ring: with lib/core/ring.h, the only code that calls liburing.
 *
 * Every SQE carries the address of a struct ringo__op and a 16-bit tag in
 * its user_data; user_data 0 marks internal SQEs (cancels) whose CQEs are
 * consumed here. Completions are dispatched in the order the kernel posted
 * them, straight from the CQ. Code run by a dispatch that must reap (a task
 * that finds the SQ full, say) moves what is in the CQ to a FIFO queue,
 * which is drained before the CQ, so nothing is reordered or seen twice. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <liburing.h>

#include "debug/log.h"
#include "debug/probes.h"
#include "core/ring.h"

#ifndef IORING_SETUP_NO_SQARRAY
#define IORING_SETUP_NO_SQARRAY (1U << 16)
#endif

/* io_uring_queue_init_params, with IORING_SETUP_NO_SQARRAY (Linux 6.6+)
 * where the kernel has it: the kernel then takes SQEs in ring order, with
 * no index array to read per SQE (2-3 ns of kernel time a NOP here).
 * liburing 2.3 does not know the flag, and its init would write the index
 * array it no longer maps; its io_uring_queue_mmap maps the rest and
 * nothing later touches the array, so the ring is set up here. -EINVAL:
 * the kernel lacks a flag (the caller retries without this one). */
static int init_params(unsigned entries, struct io_uring *ring, struct io_uring_params *p)
{
	/* RINGO_RING_SQARRAY=1 keeps the array (for tests and comparisons). */
	const char *keep = getenv("RINGO_RING_SQARRAY");
	if (keep && *keep == '1')
		return io_uring_queue_init_params(entries, ring, p);
	struct io_uring_params q = *p;
	q.flags |= IORING_SETUP_NO_SQARRAY;
	int fd = (int)syscall(__NR_io_uring_setup, entries, &q);
	if (fd < 0) {
		if (errno == EINVAL)
			return io_uring_queue_init_params(entries, ring, p);
		return -errno;
	}
	int ret = io_uring_queue_mmap(fd, &q, ring);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	ring->features = q.features;
	*p = q;
	return 0;
}

static int setup(struct ringo__ring *r, unsigned entries, unsigned flags)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	/* Many more ops may be in flight than the SQ holds (every sleeping task
	 * has one); a large CQ keeps bursts of completions out of the kernel's
	 * overflow list. */
	p.flags = flags | IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
	/* CLAMP lowers both sizes to the kernel's limits. */
	p.cq_entries = entries > UINT32_MAX / 16 ? UINT32_MAX : entries * 16;
	/* ringo_run_threads: share the first loop's kernel worker pool. */
	if (ringo__ring_attach_wq >= 0) {
		struct io_uring_params q = p;
		q.flags |= IORING_SETUP_ATTACH_WQ;
		q.wq_fd = (unsigned)ringo__ring_attach_wq;
		int ret = init_params(entries, &r->uring, &q);
		if (ret != -EINVAL)
			return ret;
	}
	return init_params(entries, &r->uring, &p);
}

int ringo__ring_create(struct ringo__ring **out, unsigned entries, unsigned run_flags,
		       const char **why)
{
	static const struct {
		unsigned flags;
		const char *mode;
	} modes[] = {
		/* TASKRUN_FLAG: the kernel says when deferred completions wait
		 * to be posted (see flush_deferred). */
		{ IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER |
			  IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
		  "single-issuer, defer-taskrun" },
		{ IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER |
			  IORING_SETUP_DEFER_TASKRUN,
		  "single-issuer, defer-taskrun" },
		{ IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN,
		  "coop-taskrun" },
		{ 0, "plain" },
	};
	struct ringo__ring *r = calloc(1, sizeof(*r));
	if (!r) {
		*why = "out of memory allocating the ring (free memory and retry)";
		return -ENOMEM;
	}
	int ret = -EINVAL;
	size_t nmodes = sizeof(modes) / sizeof(modes[0]);
	size_t first = (run_flags & RINGO_RUN_PLAIN_RING) ? nmodes - 1 : 0;
	if (first == 0 && (run_flags & RINGO__RUN_POLL_RING)) {
		/* A busy-polling loop: without DEFER_TASKRUN, another ring's
		 * MSG_RING posts its CQE straight into this CQ, where the spin
		 * sees it and takes it without entering the kernel (with
		 * DEFER_TASKRUN it waits as task work for the next enter).
		 * TASKRUN_FLAG still shows the spin this ring's own task
		 * work. */
		ret = setup(r, entries, IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER |
						IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG);
		if (ret != -EINVAL) {
			r->setup_flags = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_SINGLE_ISSUER |
					 IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
			r->mode = "single-issuer, coop-taskrun (busy-poll)";
			first = nmodes;
		}
	}
	for (size_t i = first; i < nmodes; i++) {
		ret = setup(r, entries, modes[i].flags);
		/* EINVAL: this kernel lacks a flag; try the next, simpler set. */
		if (ret != -EINVAL) {
			r->setup_flags = modes[i].flags;
			r->mode = modes[i].mode;
			break;
		}
	}
	if (ret < 0) {
		switch (ret) {
		case -ENOSYS:
			*why = "the kernel has no io_uring (ENOSYS): use Linux >= 5.6 "
			       "built with CONFIG_IO_URING";
			break;
		case -EPERM:
			*why = "io_uring is forbidden here (EPERM): set sysctl "
			       "kernel.io_uring_disabled=0, or allow io_uring_setup in "
			       "the seccomp profile (containers often block it)";
			break;
		case -ENOMEM:
			*why = "not enough locked memory for the ring (ENOMEM): raise "
			       "RLIMIT_MEMLOCK (ulimit -l) or use fewer ring entries";
			break;
		case -EMFILE:
		case -ENFILE:
			*why = "no file descriptor left for the ring (EMFILE): raise "
			       "ulimit -n or close descriptors";
			break;
		default:
			*why = "io_uring_setup failed: check the kernel's io_uring support";
			break;
		}
		free(r);
		return ret;
	}
	/* A registered ring fd spares every io_uring_enter an fd lookup
	 * (5.18+); without it everything works the same. */
	r->reg_ring = io_uring_register_ring_fd(&r->uring) == 1;
	/* Probe once: later code asks ringo__ring_supports() instead of
	 * finding out from a failed CQE. Kernels before 5.6 cannot probe; they
	 * also lack what ringo needs. */
	struct io_uring_probe *probe = io_uring_get_probe_ring(&r->uring);
	if (probe) {
		for (int op = 0; op < RINGO__OPS_MAX; op++)
			r->ops[op] = io_uring_opcode_supported(probe, op) != 0;
		io_uring_free_probe(probe);
	}
	static const uint8_t needed[] = { IORING_OP_NOP, IORING_OP_TIMEOUT,
					  IORING_OP_TIMEOUT_REMOVE, IORING_OP_ASYNC_CANCEL };
	for (size_t i = 0; i < sizeof(needed); i++) {
		if (!r->ops[needed[i]]) {
			io_uring_queue_exit(&r->uring);
			free(r);
			*why = "this kernel's io_uring lacks NOP, TIMEOUT or ASYNC_CANCEL "
			       "(EOPNOTSUPP): use Linux >= 5.6";
			return -EOPNOTSUPP;
		}
	}
	/* IORING_TIMEOUT_UPDATE came with IORING_FEAT_EXT_ARG (5.11); a flag
	 * cannot be probed like an opcode. RINGO_TIMER_NO_UPDATE=1 forces the
	 * older path (for tests). */
	const char *no_update = getenv("RINGO_TIMER_NO_UPDATE");
	r->timeout_update = (r->uring.features & IORING_FEAT_EXT_ARG) &&
			    !(no_update && *no_update == '1');
	/* RINGO_NO_CQE_SKIP=1 keeps every cancel's CQE (for tests). */
	const char *no_skip = getenv("RINGO_NO_CQE_SKIP");
	r->cqe_skip = (r->uring.features & IORING_FEAT_CQE_SKIP) &&
		      !(no_skip && *no_skip == '1');
	r->now = ringo_time();
	r->qcap = 256;
	r->queue = malloc(r->qcap * sizeof(*r->queue));
	r->ts = calloc(r->uring.sq.ring_entries, sizeof(*r->ts));
	if (!r->queue || !r->ts) {
		free(r->queue);
		free(r->ts);
		io_uring_queue_exit(&r->uring);
		free(r);
		*why = "out of memory allocating the ring (free memory and retry)";
		return -ENOMEM;
	}
	*out = r;
	return 0;
}

void ringo__ring_destroy(struct ringo__ring *r)
{
	if (!r)
		return;
	io_uring_queue_exit(&r->uring);
	free(r->queue);
	free(r->ts);
	free(r);
}

bool ringo__ring_supports(const struct ringo__ring *r, unsigned opcode)
{
	return opcode < RINGO__OPS_MAX && r->ops[opcode];
}

size_t ringo__ring_inflight(const struct ringo__ring *r)
{
	return r->inflight;
}

const char *ringo__ring_mode(const struct ringo__ring *r)
{
	return r->mode;
}

static void queue_push(struct ringo__ring *r, const struct io_uring_cqe *cqe)
{
	if (r->qlen == r->qcap) {
		size_t ncap = r->qcap * 2;
		struct ringo__cqe *nq = malloc(ncap * sizeof(*nq));
		if (!nq) {
			/* Dispatching is impossible without the queue; completions
			 * would be lost, which breaks every promise above. */
			ringo__log_str(RINGO_LOG_ERROR, "out of memory queueing completions");
			abort();
		}
		for (size_t i = 0; i < r->qlen; i++)
			nq[i] = r->queue[(r->qhead + i) & (r->qcap - 1)];
		free(r->queue);
		r->queue = nq;
		r->qcap = ncap;
		r->qhead = 0;
	}
	struct ringo__cqe *c = &r->queue[(r->qhead + r->qlen) & (r->qcap - 1)];
	c->user_data = cqe->user_data;
	c->res = cqe->res;
	c->flags = cqe->flags;
	r->qlen++;
}

/* Moves every posted CQE into the dispatch queue. */
static unsigned reap(struct ringo__ring *r)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;
	io_uring_for_each_cqe(&r->uring, head, cqe)
	{
		queue_push(r, cqe);
		n++;
	}
	io_uring_cq_advance(&r->uring, n);
	return n;
}

/* Submits queued SQEs, retrying EINTR. With wait, blocks until a completion
 * is posted. A full CQ (EBUSY) or a transient shortage (EAGAIN) is resolved
 * by reaping into the queue and trying again. */
static int submit(struct ringo__ring *r, bool wait)
{
	for (;;) {
		int ret = wait ? io_uring_submit_and_wait(&r->uring, 1)
			       : io_uring_submit(&r->uring);
		r->enters++;
		if (ret >= 0) {
			r->submitted += (unsigned)ret;
			return ret;
		}
		if (ret == -EINTR)
			continue;
		if (ret == -EBUSY || ret == -EAGAIN) {
			if (reap(r) > 0)
				wait = false;
			else if (ret == -EAGAIN)
				wait = true;
			continue;
		}
		if (ret == -ETIME)
			return 0;
		return ret;
	}
}

/* Until n SQ slots are free: a full SQ never fails an await; hand what is
 * queued to the kernel and take the freed slots. */
static void make_room(struct ringo__ring *r, unsigned n)
{
	while (io_uring_sq_space_left(&r->uring) < n) {
		int ret = submit(r, false);
		if (ret < 0) {
			ringo__log(RINGO_LOG_ERROR, "io_uring_submit failed: %s", strerror(-ret));
			abort();
		}
		/* A task that submits without pause (spawning 100,000 tasks,
		 * say) would overflow the CQ into the kernel's slow overflow
		 * list: move completions to the dispatch queue instead. */
		if (io_uring_cq_ready(&r->uring) > *r->uring.cq.kring_entries / 2)
			reap(r);
	}
}

struct io_uring_sqe *ringo__ring_sqe_slow(struct ringo__ring *r)
{
	make_room(r, 1);
	return io_uring_get_sqe(&r->uring);
}

void ringo__ring_sqe_pair(struct ringo__ring *r, struct io_uring_sqe **first,
			  struct io_uring_sqe **second)
{
	make_room(r, 2);
	*first = io_uring_get_sqe(&r->uring);
	*second = io_uring_get_sqe(&r->uring);
	r->inflight += 2;
}

static struct __kernel_timespec *stage_ts(struct ringo__ring *r, const struct io_uring_sqe *sqe,
					  int64_t ns)
{
	struct __kernel_timespec *ts = &r->ts[sqe - r->uring.sq.sqes];
	if (ns < 0)
		ns = 0;
	ts->tv_sec = ns / 1000000000LL;
	ts->tv_nsec = ns % 1000000000LL;
	return ts;
}

void ringo__ring_link_timeout(struct ringo__ring *r, struct io_uring_sqe *sqe,
			      struct ringo__op *op, int64_t deadline)
{
	io_uring_prep_link_timeout(sqe, stage_ts(r, sqe, deadline), IORING_TIMEOUT_ABS);
	ringo__ring_arm(sqe, op);
}

void ringo__ring_timeout(struct ringo__ring *r, struct ringo__op *op, int64_t ns, bool abs)
{
	struct io_uring_sqe *sqe = ringo__ring_sqe(r);
	io_uring_prep_timeout(sqe, stage_ts(r, sqe, ns), 0, abs ? IORING_TIMEOUT_ABS : 0);
	ringo__ring_arm(sqe, op);
	RINGO_PROBE2(op__submit, op, IORING_OP_TIMEOUT);
}

/* An SQE for a cancel, a timeout's removal or update, whose success
 * nobody needs to hear of: with IOSQE_CQE_SKIP_SUCCESS (5.17+) the kernel
 * posts its CQE only if it fails (the target had completed already), so
 * it is not counted in flight; otherwise it is an ordinary internal SQE
 * whose CQE is consumed in dispatch. */
static struct io_uring_sqe *quiet_sqe(struct ringo__ring *r)
{
	if (!r->cqe_skip) {
		struct io_uring_sqe *sqe = ringo__ring_sqe(r);
		io_uring_sqe_set_data64(sqe, 0);
		return sqe;
	}
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->uring);
	if (ringo__unlikely(!sqe))
		sqe = ringo__ring_sqe_slow(r);
	return sqe;
}

static void quiet_mark(struct ringo__ring *r, struct io_uring_sqe *sqe)
{
	if (!r->cqe_skip)
		return;
	io_uring_sqe_set_flags(sqe, IOSQE_CQE_SKIP_SUCCESS);
	io_uring_sqe_set_data64(sqe, RINGO__UD_QUIET);
}

void ringo__ring_timeout_update(struct ringo__ring *r, struct ringo__op *op, int64_t when)
{
	struct io_uring_sqe *sqe = quiet_sqe(r);
	io_uring_prep_timeout_update(sqe, stage_ts(r, sqe, when), ringo__ring_tag(op),
				     IORING_TIMEOUT_ABS);
	quiet_mark(r, sqe);
}

bool ringo__ring_has_timeout_update(const struct ringo__ring *r)
{
	return r->timeout_update;
}

void ringo__ring_timeout_remove(struct ringo__ring *r, struct ringo__op *op)
{
	struct io_uring_sqe *sqe = quiet_sqe(r);
	io_uring_prep_timeout_remove(sqe, ringo__ring_tag(op), 0);
	quiet_mark(r, sqe);
}

void ringo__ring_cancel(struct ringo__ring *r, struct ringo__op *op)
{
	struct io_uring_sqe *sqe = quiet_sqe(r);
	io_uring_prep_cancel64(sqe, ringo__ring_tag(op), 0);
	quiet_mark(r, sqe);
}

/* Asks the kernel to post up to n more deferred completions in one
 * io_uring_enter, without waiting: min_complete is what is in the CQ plus
 * n, and a zero timeout (IORING_ENTER_EXT_ARG, which every DEFER_TASKRUN
 * kernel has) returns -ETIME when less than that was pending. The kernel
 * runs local task work until min_complete is reached or none is left,
 * where an enter without it runs at most 20 (IO_LOCAL_TW_DEFAULT_MAX,
 * Linux 6.13+). */
static void get_events_upto(struct ringo__ring *r, unsigned n)
{
	struct __kernel_timespec ts = { 0, 0 };
	struct io_uring_getevents_arg arg;
	memset(&arg, 0, sizeof(arg));
	arg.ts = (uint64_t)(uintptr_t)&ts;
	unsigned flags = IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG;
	int fd = r->uring.ring_fd;
	if (r->reg_ring) {
		flags |= IORING_ENTER_REGISTERED_RING;
		fd = r->uring.enter_ring_fd;
	}
	(void)io_uring_enter2((unsigned)fd, 0, io_uring_cq_ready(&r->uring) + n, flags,
			      (sigset_t *)&arg, sizeof(arg));
	r->enters++;
}

/* On a DEFER_TASKRUN ring, completions the kernel has ready (task work:
 * timers that expired together, say) are posted only inside
 * io_uring_enter, and an enter that waited for one may return with the
 * others still unposted. One more enter without waiting posts them, so
 * that a loop step takes everything that is ready (asyncio runs every
 * timer that is due in one step). With TASKRUN_FLAG the kernel says
 * whether any is pending, and the enter is made only then; if some are
 * still pending after it (a burst: 100,000 cancelled sleeps), one enter
 * asks for as many as the CQ has room for, instead of one enter per 20
 * (a zero timeout costs a little more than a plain enter, so a turn with
 * a few pending keeps the plain one). */
static void flush_deferred(struct ringo__ring *r)
{
	if (!(r->setup_flags & IORING_SETUP_DEFER_TASKRUN))
		return;
	if (!(r->setup_flags & IORING_SETUP_TASKRUN_FLAG)) {
		(void)io_uring_get_events(&r->uring);
		r->enters++;
		return;
	}
	if (!(IO_URING_READ_ONCE(*r->uring.sq.kflags) & IORING_SQ_TASKRUN))
		return;
	(void)io_uring_get_events(&r->uring);
	r->enters++;
	if (!(IO_URING_READ_ONCE(*r->uring.sq.kflags) & IORING_SQ_TASKRUN))
		return;
	unsigned room = *r->uring.cq.kring_entries - io_uring_cq_ready(&r->uring);
	if (room > 0)
		get_events_upto(r, room);
}

/* ---- busy-poll ----
 *
 * A loop that owns a CPU can spin a while before it blocks: when the next
 * completion comes within the spin, the thread never sleeps and the kernel
 * never has to wake it (for a message from another loop that wake-up is
 * most of the round trip). The spin reads only the ring's shared memory:
 * the CQ tail, and with TASKRUN_FLAG the SQ flag the kernel sets when work
 * for this ring waits to run (on a DEFER_TASKRUN ring a MSG_RING from
 * another ring, an expired timeout or a socket ready is such work until
 * the ring enters the kernel). It never consumes a completion itself: every
 * resumption is still a CQE collected as before; the spin only decides
 * when to enter.
 *
 * Spins that find nothing burn the CPU for nothing, and on a busy machine
 * take it from the thread that would have sent the work: after POLL_EMPTY
 * empty spins in a row the loop blocks without spinning for a while
 * (POLL_SKIP_MIN waits, doubling up to POLL_SKIP_MAX while spins keep
 * failing); a spin that finds work ends the backoff. */
#define POLL_EMPTY 4u
#define POLL_SKIP_MIN 16u
#define POLL_SKIP_MAX 1024u
#define POLL_GAP_NS 30000
#define POLL_YIELD_NS 20000

void ringo__ring_set_poll(struct ringo__ring *r, unsigned us)
{
	r->poll_ns = (int64_t)us * 1000;
	const char *b = getenv("RINGO_POLL_BACKOFF");
	r->poll_no_backoff = b && strcmp(b, "0") == 0;

}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

/* Whether an enter would find something: a posted CQE, deferred work for
 * the ring, or (eventfd-way mailbox) a message whose wake is coming. */
static inline bool poll_ready(const struct ringo__ring *r)
{
	if (io_uring_cq_ready(&r->uring))
		return true;
	if ((r->setup_flags & IORING_SETUP_TASKRUN_FLAG) &&
	    (IO_URING_READ_ONCE(*r->uring.sq.kflags) & IORING_SQ_TASKRUN))
		return true;
	return r->poll_mail && __atomic_load_n(r->poll_mail, __ATOMIC_ACQUIRE);
}

/* Spins from start (ringo_time()) until poll_ready or poll_ns have passed;
 * returns whether work came. */
static bool poll_spin(struct ringo__ring *r, int64_t start)
{
	if (r->poll_skip) {
		r->poll_skip--;
		return false;
	}
	int64_t end = start + r->poll_ns, now = start, last = start, yielded = start;
	bool hit = false, lost = false;
	for (unsigned i = 1;; i++) {
		if (poll_ready(r)) {
			hit = true;
			now = ringo_time();
			break;
		}
		cpu_relax();
		/* The clock every 16 pauses: a microsecond or so. */
		if ((i & 15) != 0)
			continue;
		now = ringo_time();
		/* A gap between two readings: the thread lost its CPU to
		 * another (the yield below let one run). */
		if (now - last > POLL_GAP_NS) {
			lost = true;
			break;
		}
		if (now >= end)
			break;
		last = now;
		/* Now and then, let a thread that waits for this CPU have it
		 * (the other loop, on a machine with fewer CPUs than loops):
		 * it returns at once when none waits. */
		if (now - yielded >= POLL_YIELD_NS) {
			sched_yield();
			yielded = now;
		}
	}
	r->poll_spin_ns += now - start;
	if (hit && !lost) {
		r->poll_hits++;
		r->poll_run = 0;
		r->poll_backoff = 0;
		return true;
	}
	if (hit)
		r->poll_hits++;
	else
		r->poll_misses++;
	/* Back off after a run of empty spins, or at once when the CPU is
	 * contended: spinning then only takes turns from the thread that
	 * would send the work. */
	if ((lost || ++r->poll_run >= POLL_EMPTY) && !r->poll_no_backoff) {
		r->poll_run = 0;
		r->poll_backoff = r->poll_backoff ? r->poll_backoff * 2 : POLL_SKIP_MIN;
		if (r->poll_backoff > POLL_SKIP_MAX)
			r->poll_backoff = POLL_SKIP_MAX;
		r->poll_skip = r->poll_backoff;
	}
	return hit;
}

int ringo__ring_run(struct ringo__ring *r, bool wait)
{
	if (r->qlen == 0) {
		/* The clock is read per blocking turn, not per await: the
		 * task dump's times and the stats' waiting time. */
		bool block = wait && r->inflight > 0;
		int64_t before = 0;
		if (block) {
			before = ringo_time();
			if (ringo__unlikely(__atomic_load_n(&r->mark, __ATOMIC_RELAXED))) {
				__atomic_store_n(&r->marked_at, before, __ATOMIC_RELAXED);
				__atomic_store_n(&r->mark, false, __ATOMIC_RELEASE);
			}
			/* Spinning is waiting too, for the watchdog. */
			__atomic_store_n(&r->blocked, true, __ATOMIC_RELAXED);
			if (r->poll_ns > 0) {
				/* What is queued goes out first (a message for
				 * another loop, whose answer the spin waits for). */
				int ret = submit(r, false);
				/* Completions posted: take them without blocking.
				 * Deferred work or a mailbox message: the blocking
				 * enter runs it, or waits the little it takes. */
				if (ret >= 0 && (r->qlen || (poll_spin(r, before) &&
							     io_uring_cq_ready(&r->uring))))
					block = false;
			}
		}
		int ret = submit(r, block);
		if (before) {
			__atomic_store_n(&r->blocked, false, __ATOMIC_RELAXED);
			r->now = ringo_time();
			r->wait_ns += r->now - before;
		}
		if (ret < 0)
			return ret;
		flush_deferred(r);
	}
	/* A round is what is there now, oldest first: completions a task
	 * moved to the queue come before those still in the CQ. Those posted
	 * meanwhile wait for the next round, after newer submissions. A task
	 * suspending during the round may take the next ones itself
	 * (ringo__ring_take). */
	size_t n = r->qlen + io_uring_cq_ready(&r->uring);
	r->round = n;
	while (r->round) {
		struct ringo__cqe c = ringo__ring_head(r);
		ringo__ring_consume(r, &c);
		struct ringo__op *op = ringo__ring_op_of(c.user_data);
		if (op) {
			ringo__ring_prefetch_next(r);
			/* A multishot op stays armed while more CQEs will come. */
			op->armed = (c.flags & IORING_CQE_F_MORE) != 0;
			RINGO_PROBE2(op__complete, op, c.res);
			op->complete(op, c.res, c.flags);
		} else if (c.user_data > RINGO__UD_QUIET) {
			r->stale++;
		} else {
			r->cqes_internal++;
		}
	}
	return (int)n;
}


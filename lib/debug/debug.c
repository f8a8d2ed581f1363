/* SPDX-License-Identifier: MIT */
/* Debug mode (RINGO_DEBUG=1, or RINGO_RUN_DEBUG): reports of what usually
 * hides a bug, each once, through the log:
 *  - a task (or callback) that runs longer than slow_task_ns between two
 *    awaits, with where it awaited next; a watchdog thread reports one
 *    still running after ten times that (the loop is blocked) with its
 *    backtrace, taken by a signal (SIGURG) sent to the loop's thread;
 *  - tasks still pending when main returned, and futures released while
 *    pending, with where they were created;
 *  - ringo objects used from a thread that is not their loop's;
 *  - at the end, the deepest stack use seen, to size stack_size.
 * And the dump signal (debug mode, RINGO_DUMP=path, or run_opts'
 * dump_signal): the loop writes its task dump to a file when the signal
 * comes, from its own thread, at its next turn.
 * Off, none of this costs anything but the test of loop->debug in a few
 * places that are not per await. */
#include <dlfcn.h>
#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "debug/dump.h"
#include "core/internal.h"
#include "debug/log.h"
#include "core/ring.h"

#include <sys/syscall.h>

#define DEFAULT_SLOW_NS RINGO_MSEC(100)
#define STALL_FACTOR 10
#define MAX_FRAMES 48

struct ringo__debug {
	struct ringo_loop *loop;
	struct ringo__ring *ring;
	bool on;                     /* debug mode (else only the dump signal) */
	int64_t slow_ns;
	int dump_signo;
	char dump_path[512];

	/* the watchdog */
	pthread_t thread;
	bool watching;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	pid_t loop_tid;

	/* stack high-water mark */
	size_t deepest;
	char deepest_owner[64];
};

/* ---- the watchdog's snapshots: taken on the loop's thread by a signal ---- */

static struct {
	void *frames[MAX_FRAMES];
	char name[64];
	_Atomic int n;               /* -1: asked, >= 0: taken */
	struct sigaction prev;
	bool installed;
} snap;

static void on_snap_signal(int sig)
{
	(void)sig;
	if (atomic_load(&snap.n) != -1)
		return;
	struct ringo_loop *loop = ringo__loop;
	const char *name = loop && loop->current ? ringo_task_name(loop->current) : NULL;
	if (!name)
		name = "(a callback, outside any task)";
	size_t i = 0;
	for (; name[i] && i < sizeof(snap.name) - 1; i++)
		snap.name[i] = name[i];
	snap.name[i] = '\0';
	atomic_store(&snap.n, backtrace(snap.frames, MAX_FRAMES));
}

/* Asks the loop's thread where it is; false if it did not answer. */
static bool take_snapshot(struct ringo__debug *d)
{
	atomic_store(&snap.n, -1);
	if (!snap.installed || syscall(SYS_tgkill, getpid(), d->loop_tid, SIGURG) != 0)
		return false;
	for (int i = 0; i < 500; i++) {
		if (atomic_load(&snap.n) >= 0)
			return true;
		usleep(1000);
	}
	return false;
}

/* Names frames[0..n) into texts[i]: "function file.c:12 (object+0xoffset)".
 * addr2line is asked once per object (this is debug mode, on the watchdog's
 * thread or in a report); without it, what dladdr knows. */
static void name_frames(void *const *frames, int n, char (*texts)[512])
{
	Dl_info at[MAX_FRAMES];
	bool done[MAX_FRAMES] = { false };
	if (n > MAX_FRAMES)
		n = MAX_FRAMES;
	char exe[512];
	for (int i = 0; i < n; i++) {
		if (!dladdr(frames[i], &at[i]) || !at[i].dli_fname) {
			snprintf(texts[i], 512, "%p", frames[i]);
			done[i] = true;
		} else {
			at[i].dli_fname = ringo__dump_object(at[i].dli_fname, exe, sizeof(exe));
		}
	}
	for (int i = 0; i < n; i++) {
		if (done[i])
			continue;
		/* Every frame of this object, in one addr2line. */
		char cmd[4096];
		int len = snprintf(cmd, sizeof(cmd), "addr2line -f -s -e '%s'", at[i].dli_fname);
		int which[MAX_FRAMES], k = 0;
		for (int j = i; j < n; j++) {
			if (done[j] || strcmp(at[j].dli_fname, at[i].dli_fname) != 0)
				continue;
			unsigned long off = (unsigned long)((uintptr_t)frames[j] -
							    (uintptr_t)at[j].dli_fbase);
			/* A return address: the call is the byte before. */
			len += snprintf(cmd + len, sizeof(cmd) - (size_t)len, " 0x%lx",
					off ? off - 1 : 0);
			which[k++] = j;
		}
		snprintf(cmd + len, sizeof(cmd) - (size_t)len, " 2>/dev/null");
		FILE *p = strchr(at[i].dli_fname, '\'') ? NULL : popen(cmd, "r");
		for (int m = 0; m < k; m++) {
			int j = which[m];
			char fn[256] = "", line[256] = "";
			if (p && fgets(fn, sizeof(fn), p))
				fn[strcspn(fn, "\n")] = '\0';
			if (p && fgets(line, sizeof(line), p))
				line[strcspn(line, " \n")] = '\0';
			if (!fn[0] || fn[0] == '?')
				snprintf(fn, sizeof(fn), "%s", at[j].dli_sname ? at[j].dli_sname : "??");
			unsigned long off = (unsigned long)((uintptr_t)frames[j] -
							    (uintptr_t)at[j].dli_fbase);
			if (line[0] && line[0] != '?')
				snprintf(texts[j], 512, "%s %s (%s+0x%lx)", fn, line, at[j].dli_fname,
					 off);
			else
				snprintf(texts[j], 512, "%s (%s+0x%lx)", fn, at[j].dli_fname, off);
			done[j] = true;
		}
		if (p)
			pclose(p);
	}
}

static void frame_text(char *buf, size_t cap, void *pc)
{
	char text[1][512];
	name_frames(&pc, 1, text);
	snprintf(buf, cap, "%s", text[0]);
}

/* A report: its headline, then the snapshot's frames, without the signal
 * handler's two (the handler and the kernel's return trampoline). The
 * frames are named first, so that the lines go out together. */
static void report(const char *headline, void *const *frames, int n)
{
	static char texts[MAX_FRAMES][512];
	if (n > 2)
		name_frames(frames + 2, n - 2, texts);
	ringo__log_str(RINGO_LOG_WARNING, headline);
	for (int i = 0; i < n - 2; i++) {
		char line[600];
		snprintf(line, sizeof(line), "  #%d %.511s", i, texts[i]);
		ringo__log_str(RINGO_LOG_WARNING, line);
	}
}

static void *watchdog(void *arg)
{
	struct ringo__debug *d = arg;
	int64_t tick = d->slow_ns / 8;
	if (tick < RINGO_MSEC(1))
		tick = RINGO_MSEC(1);
	if (tick > RINGO_MSEC(50))
		tick = RINGO_MSEC(50);
	uint64_t last = 0;
	int64_t since = ringo_time();
	bool slow = false, stalled = false;
	int slow_frames = 0;
	char slow_name[64] = "";
	void *slow_at[MAX_FRAMES];
	pthread_mutex_lock(&d->lock);
	for (bool last_look = false; !last_look;) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		int64_t at = ts.tv_nsec + tick;
		ts.tv_sec += at / 1000000000;
		ts.tv_nsec = at % 1000000000;
		if (!d->stop)
			pthread_cond_timedwait(&d->cond, &d->lock, &ts);
		/* Once stopped, one last look: a slow run that ended since. */
		last_look = d->stop;
		pthread_mutex_unlock(&d->lock);
		/* Every resumption is a CQE: while the loop is not blocked in
		 * the kernel, a count of CQEs that does not move means that
		 * one task (or callback) is still running. */
		uint64_t beat = __atomic_load_n(&d->ring->cqes, __ATOMIC_RELAXED);
		bool idle = __atomic_load_n(&d->ring->blocked, __ATOMIC_RELAXED);
		int64_t now = ringo_time();
		char rel[32];
		if (idle || beat != last) {
			if (slow) {
				/* When it ended: the loop's next wait, if that
				 * came first (reports above may delay us). */
				if (!__atomic_load_n(&d->ring->mark, __ATOMIC_ACQUIRE)) {
					int64_t at = __atomic_load_n(&d->ring->marked_at,
								     __ATOMIC_RELAXED);
					if (at > since && at < now)
						now = at;
				}
				char head[256];
				snprintf(head, sizeof(head),
					 "debug: task '%s' ran %s without awaiting (more than "
					 "%.3fs); it was at:",
					 slow_name, ringo__dump_rel(rel, now, since) + 1,
					 (double)d->slow_ns / 1e9);
				report(head, slow_at, slow_frames);
			}
			last = beat;
			since = now;
			slow = stalled = false;
		} else if (last_look) {
			pthread_mutex_lock(&d->lock);
			break;
		} else if (!slow && now - since >= d->slow_ns) {
			slow = true;
			__atomic_store_n(&d->ring->mark, true, __ATOMIC_RELAXED);
			slow_frames = take_snapshot(d) ? atomic_load(&snap.n) : 0;
			memcpy(slow_at, snap.frames, sizeof(slow_at));
			snprintf(slow_name, sizeof(slow_name), "%s",
				 slow_frames ? snap.name : "?");
		} else if (!stalled && now - since >= d->slow_ns * STALL_FACTOR) {
			stalled = true;
			int n = take_snapshot(d) ? atomic_load(&snap.n) : 0;
			char head[256];
			snprintf(head, sizeof(head),
				 "debug: task '%s' has been running for %s without awaiting: "
				 "the loop is blocked; its stack:",
				 n ? snap.name : "?", ringo__dump_rel(rel, now, since) + 1);
			report(head, snap.frames, n);
		}
		pthread_mutex_lock(&d->lock);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

/* ---- the dump signal ---- */

static void dump_on_signal(struct ringo_loop *loop)
{
	struct ringo__debug *d = loop->debug;
	int ret = ringo__dump_to_path(d->dump_path, RINGO_DUMP_STACKS);
	if (ret < 0)
		ringo__log(RINGO_LOG_ERROR, "cannot write the task dump to %s: %s", d->dump_path,
			   strerror(-ret));
	else
		ringo__log(RINGO_LOG_INFO, "task dump written to %s", d->dump_path);
}

static int signal_number(const char *s)
{
	if (!s || !*s)
		return 0;
	char *end;
	long n = strtol(s, &end, 10);
	if (*end == '\0')
		return n > 0 && n < NSIG ? (int)n : 0;
	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	static const struct { const char *name; int no; } names[] = {
		{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "HUP", SIGHUP },
		{ "QUIT", SIGQUIT }, { "WINCH", SIGWINCH }, { "PWR", SIGPWR },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0)
			return names[i].no;
	return 0;
}

/* ---- the loop's start and end ---- */

_Atomic int ringo__debug_loops;

/* The ids of the loops running in debug mode (a use from another thread
 * is reported only if the object's loop still runs). */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t live[64];

static void live_set(uint64_t id, uint64_t to)
{
	pthread_mutex_lock(&live_lock);
	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
		if (live[i] == id) {
			live[i] = to;
			break;
		}
	}
	pthread_mutex_unlock(&live_lock);
}

static bool live_has(uint64_t id)
{
	bool found = false;
	pthread_mutex_lock(&live_lock);
	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]) && !found; i++)
		found = live[i] == id;
	pthread_mutex_unlock(&live_lock);
	return found;
}

void ringo__debug_loop_begin(struct ringo_loop *loop, const ringo_run_opts *opts)
{
	const char *env = getenv("RINGO_DEBUG");
	bool on = (opts && (opts->flags & RINGO_RUN_DEBUG)) || (env && *env && strcmp(env, "0"));
	const char *path = getenv("RINGO_DUMP");
	int signo = opts && opts->dump_signal ? opts->dump_signal : 0;
	if (!signo)
		signo = signal_number(getenv("RINGO_DUMP_SIGNAL"));
	if (!signo && (on || (path && *path)))
		signo = SIGUSR1;
	if (signo < 0)
		signo = 0;   /* -1: no dump signal, even in debug mode */
	if (!on && !signo)
		return;
	struct ringo__debug *d = calloc(1, sizeof(*d));
	if (!d)
		return;
	d->loop = loop;
	d->ring = loop->ring;
	d->on = on;
	d->slow_ns = opts && opts->slow_task_ns > 0 ? opts->slow_task_ns : DEFAULT_SLOW_NS;
	if (path && *path) {
		snprintf(d->dump_path, sizeof(d->dump_path), "%s", path);
	} else {
		const char *tmp = getenv("TMPDIR");
		snprintf(d->dump_path, sizeof(d->dump_path), "%s/ringo-dump.%d",
			 tmp && *tmp ? tmp : "/tmp", (int)getpid());
	}
	loop->debug = d;
	/* The signal only on the process's main thread, as SIGINT: a signal
	 * sent to the process goes to a thread that does not block it. */
	if (signo && gettid() == getpid() && ringo__signal_dump(loop, signo, dump_on_signal) == 0)
		d->dump_signo = signo;
	if (!on)
		return;
	live_set(0, loop->id);
	atomic_fetch_add(&ringo__debug_loops, 1);
	d->loop_tid = gettid();
	/* backtrace() loads libgcc's unwinder on first use: not in a signal
	 * handler. */
	void *warm[2];
	(void)backtrace(warm, 2);
	struct sigaction sa, cur;
	if (!snap.installed && sigaction(SIGURG, NULL, &cur) == 0 && cur.sa_handler == SIG_DFL &&
	    !(cur.sa_flags & SA_SIGINFO)) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_snap_signal;
		sa.sa_flags = SA_RESTART;
		sigemptyset(&sa.sa_mask);
		snap.installed = sigaction(SIGURG, &sa, &snap.prev) == 0;
	}
	pthread_mutex_init(&d->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_cond_init(&d->cond, &ca);
	pthread_condattr_destroy(&ca);
	/* The watchdog takes no signal meant for the loop. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	d->watching = pthread_create(&d->thread, NULL, watchdog, d) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* How deep a stack has been used: its lowest resident page (a task stack
 * is committed by the kernel as it is touched, and stays so). */
static size_t stack_depth(const struct ringo__stack *s)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uintptr_t lo = (uintptr_t)s->lo & ~(uintptr_t)(page - 1);
	uintptr_t top = (uintptr_t)s->lo + s->size;
	size_t pages = (top - lo + page - 1) / page;
	unsigned char vec[4096];
	if (pages > sizeof(vec))
		return 0;
	if (mincore((void *)lo, pages * page, vec) < 0)
		return 0;
	for (size_t i = 0; i < pages; i++)
		if (vec[i] & 1)
			return top - (lo + i * page);
	return 0;
}

void ringo__debug_stack(struct ringo_loop *loop, const struct ringo__stack *s, const char *owner)
{
	struct ringo__debug *d = loop->debug;
	if (!d->on || !s)
		return;
	size_t depth = stack_depth(s);
	if (depth > d->deepest) {
		d->deepest = depth;
		snprintf(d->deepest_owner, sizeof(d->deepest_owner), "%s", owner ? owner : "?");
	}
}

void ringo__debug_main_returned(struct ringo_loop *loop)
{
	struct ringo__debug *d = loop->debug;
	if (!d->on)
		return;
	for (struct ringo__list *n = loop->tasks.next; n != &loop->tasks; n = n->next) {
		ringo_task *t = ringo__task_of(n);
		char where[600];
		ringo__debug_where(ringo__task_created_at(t), where, sizeof(where));
		ringo__log(RINGO_LOG_WARNING,
			   "debug: task '%s' (created at %s) was still pending when main returned: "
			   "it is cancelled",
			   ringo_task_name(t), where);
	}
}

void ringo__debug_loop_end(struct ringo_loop *loop)
{
	struct ringo__debug *d = loop->debug;
	if (!d)
		return;
	if (d->watching) {
		pthread_mutex_lock(&d->lock);
		d->stop = true;
		pthread_cond_signal(&d->cond);
		pthread_mutex_unlock(&d->lock);
		pthread_join(d->thread, NULL);
	}
	if (d->on) {
		atomic_fetch_sub(&ringo__debug_loops, 1);
		live_set(loop->id, 0);
		pthread_mutex_destroy(&d->lock);
		pthread_cond_destroy(&d->cond);
		size_t size = loop->stacks.default_size;
		if (d->deepest)
			ringo__log(RINGO_LOG_INFO,
				   "debug: deepest task stack use: %zu KiB of %zu KiB (task '%s')",
				   (d->deepest + 1023) / 1024, size / 1024, d->deepest_owner);
	}
	loop->debug = NULL;
	free(d);
}

/* ---- where things were created, and objects used from other threads ---- */

void ringo__debug_where(const void *pc, char *buf, size_t cap)
{
	if (!pc) {
		snprintf(buf, cap, "an unknown place");
		return;
	}
	frame_text(buf, cap, (void *)(uintptr_t)pc);
}

void ringo__debug_foreign(uint64_t id, const void *where)
{
	if (!live_has(id))
		return;  /* its loop has ended: a legitimate late call */
	/* Reported once per place. */
	static const void *seen[64];
	static _Atomic unsigned nseen;
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutex_lock(&lock);
	unsigned n = nseen;
	for (unsigned i = 0; i < n && i < 64; i++) {
		if (seen[i] == where) {
			pthread_mutex_unlock(&lock);
			return;
		}
	}
	if (n < 64)
		seen[n] = where;
	nseen = n + 1;
	pthread_mutex_unlock(&lock);
	struct ringo_loop *here = ringo__loop;
	char w[600];
	frame_text(w, sizeof(w), (void *)(uintptr_t)where);
	if (here)
		ringo__log(RINGO_LOG_WARNING,
			   "debug: an object of loop %llu was used in %s, on the thread of loop "
			   "%llu: ringo objects belong to their loop's thread",
			   (unsigned long long)id, w, (unsigned long long)here->id);
	else
		ringo__log(RINGO_LOG_WARNING,
			   "debug: an object of loop %llu was used in %s, on a thread that runs no "
			   "loop: ringo objects belong to their loop's thread",
			   (unsigned long long)id, w);
}

/* SPDX-License-Identifier: MIT */
/* The task dump: one line per task of the running loop — its name, its
 * state and for how long, what it waits on in words (each kind of wait
 * describes itself: struct ringo__wait's describe), where it awaits — and,
 * indented under each task, the tasks that await it. With libunwind
 * (loaded when a dump asks for it, never linked), the call site and each
 * suspended task's backtrace, unwound from the registers its fiber saved. */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "debug/dump.h"
#include "core/internal.h"
#include "debug/log.h"
#include "core/ring.h"
#include "ringo_config.h"

#if RINGO_HAVE_LIBUNWIND && defined(__x86_64__)
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <ucontext.h>
#define HAVE_UNWIND 1
#else
#define HAVE_UNWIND 0
#endif

void ringo__dump_add(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
	if (*len + 1 >= cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len = *len + (size_t)n < cap - 1 ? *len + (size_t)n : cap - 1;
}

const char *ringo__dump_rel(char out[32], int64_t when, int64_t now)
{
	int64_t d = when - now;
	const char *sign = d < 0 ? "-" : "+";
	uint64_t a = d < 0 ? (uint64_t)-(d + 1) + 1 : (uint64_t)d;
	snprintf(out, 32, "%s%llu.%03llus", sign, (unsigned long long)(a / 1000000000u),
		 (unsigned long long)(a / 1000000u % 1000u));
	return out;
}

const char *ringo__dump_task_name(const ringo_task *t)
{
	struct ringo_loop *loop = ringo__loop_get();
	if (!t || !loop)
		return NULL;
	for (struct ringo__list *n = loop->tasks.next; n != &loop->tasks; n = n->next)
		if (ringo__task_of(n) == t)
			return ringo_task_name(t);
	return NULL;
}

/* "127.0.0.1:51234", "[::1]:80", "/run/x.sock", or a file's path. */
void ringo__dump_fd(int fd, char *buf, size_t cap)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	buf[0] = '\0';
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0) {
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
			char link[64];
			snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
			ssize_t n = readlink(link, buf, cap - 1);
			buf[n > 0 ? n : 0] = '\0';
			return;
		}
	}
	char host[INET6_ADDRSTRLEN];
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, cap, "%s:%u", host, ntohs(in->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, cap, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else if (ss.ss_family == AF_UNIX) {
		const struct sockaddr_un *un = (const struct sockaddr_un *)&ss;
		if (len > offsetof(struct sockaddr_un, sun_path) && un->sun_path[0])
			snprintf(buf, cap, "%s", un->sun_path);
		else
			snprintf(buf, cap, "unix socket");
	}
}

/* ---- backtraces ---- */

#if HAVE_UNWIND
static struct {
	int (*init_local)(unw_cursor_t *, unw_context_t *);
	int (*step)(unw_cursor_t *);
	int (*get_reg)(unw_cursor_t *, unw_regnum_t, unw_word_t *);
	int (*get_proc_name)(unw_cursor_t *, char *, size_t, unw_word_t *);
	int state; /* 0 untried, 1 loaded, -1 absent */
} unw;

static bool unwind_load(void)
{
	if (unw.state == 0) {
		/* RTLD_LOCAL: libunwind also defines _Unwind_*, which must not
		 * replace the C runtime's for the rest of the process. */
		void *h = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
		if (h) {
			/* memcpy: ISO C has no cast from void * to a function. */
			void *p = dlsym(h, "_ULx86_64_init_local");
			memcpy(&unw.init_local, &p, sizeof(p));
			p = dlsym(h, "_ULx86_64_step");
			memcpy(&unw.step, &p, sizeof(p));
			p = dlsym(h, "_ULx86_64_get_reg");
			memcpy(&unw.get_reg, &p, sizeof(p));
			p = dlsym(h, "_ULx86_64_get_proc_name");
			memcpy(&unw.get_proc_name, &p, sizeof(p));
		}
		unw.state = h && unw.init_local && unw.step && unw.get_reg && unw.get_proc_name
				    ? 1
				    : -1;
	}
	return unw.state > 0;
}
#endif

/* Unwinds the stack of a fiber switched out at sp (see
 * lib/core/arch/switch_x86_64.S: r15 r14 r13 r12 rbx rbp, then the return
 * address) into pcs[0..cap) and names[0..cap). Returns the frame count. */
static size_t unwind_fiber(void *sp, uintptr_t *pcs, char (*names)[96], size_t cap)
{
#if HAVE_UNWIND
	if (!sp || !unwind_load())
		return 0;
	const uint64_t *saved = sp;
	ucontext_t uc;
	if (getcontext(&uc) < 0)
		return 0;
	greg_t *g = uc.uc_mcontext.gregs;
	g[REG_R15] = (greg_t)saved[0];
	g[REG_R14] = (greg_t)saved[1];
	g[REG_R13] = (greg_t)saved[2];
	g[REG_R12] = (greg_t)saved[3];
	g[REG_RBX] = (greg_t)saved[4];
	g[REG_RBP] = (greg_t)saved[5];
	g[REG_RIP] = (greg_t)saved[6];
	g[REG_RSP] = (greg_t)(uintptr_t)(saved + 7);
	unw_cursor_t c;
	if (unw.init_local(&c, &uc) < 0)
		return 0;
	size_t n = 0;
	do {
		unw_word_t ip, off;
		if (unw.get_reg(&c, UNW_REG_IP, &ip) < 0 || ip == 0)
			break;
		pcs[n] = (uintptr_t)ip;
		if (unw.get_proc_name(&c, names[n], sizeof(names[n]), &off) == 0)
			snprintf(names[n] + strlen(names[n]), sizeof(names[n]) - strlen(names[n]),
				 "+0x%lx", (unsigned long)off);
		else
			names[n][0] = '\0';
		n++;
	} while (n < cap && unw.step(&c) > 0);
	return n;
#else
	(void)sp;
	(void)pcs;
	(void)names;
	(void)cap;
	return 0;
#endif
}

/* Whether pc is ringo's own code (the call site is the first frame that
 * is not): the library's object if it is a shared one, else a symbol
 * named ringo... */
static const char here = 0;

static bool in_ringo(uintptr_t pc, const char *name)
{
	Dl_info self, at;
	if (!dladdr(&here, &self) || !dladdr((void *)pc, &at))
		return strncmp(name, "ringo", 5) == 0;
	if (at.dli_fbase != self.dli_fbase)
		return false;
	if (strstr(self.dli_fname, ".so"))
		return true;
	return strncmp(name, "ringo", 5) == 0 || strcmp(name, "entry") == 0 ||
	       strncmp(name, "wait_", 5) == 0 || strncmp(name, "sleep_op", 8) == 0;
}

/* "name+0x2a (/path/obj+0x11a9)": the object and the offset in it let
 * addr2line (ringo-ps does) find file:line. */
const char *ringo__dump_object(const char *dli_fname, char *buf, size_t cap)
{
	/* The main program is named as it was started (argv[0]), maybe
	 * relative to a directory since left. */
	if (dli_fname[0] && strcmp(dli_fname, program_invocation_name) != 0)
		return dli_fname;
	ssize_t n = readlink("/proc/self/exe", buf, cap - 1);
	if (n <= 0)
		return dli_fname;
	buf[n] = '\0';
	return buf;
}

static void frame_text(uintptr_t pc, const char *name, char *buf, size_t cap)
{
	Dl_info at;
	size_t len = 0;
	char exe[512];
	ringo__dump_add(buf, cap, &len, "%s", name[0] ? name : "??");
	if (dladdr((void *)pc, &at) && at.dli_fname)
		ringo__dump_add(buf, cap, &len, " (%s+0x%lx)",
				ringo__dump_object(at.dli_fname, exe, sizeof(exe)),
				(unsigned long)(pc - (uintptr_t)at.dli_fbase));
	else
		ringo__dump_add(buf, cap, &len, " (0x%lx)", (unsigned long)pc);
}

/* ---- the dump ---- */

struct sink {
	FILE *out;               /* or, if NULL, the log at level */
	enum ringo_log_level level;
};

static void emit(const struct sink *s, const char *line)
{
	if (s->out) {
		fputs(line, s->out);
		fputc('\n', s->out);
	} else {
		ringo__log_str(s->level, line);
	}
}

#define MAX_FRAMES 32

struct entry {
	ringo_task *t;
	struct ringo__task_view v;
	ringo_task *awaits;
	size_t parent;           /* index of awaits, or SIZE_MAX */
	bool shown;
};

static const char *state_name(uint8_t state)
{
	switch (state) {
	case RINGO__TASK_SCHEDULED: return "scheduled";
	case RINGO__TASK_RUNNING: return "running";
	case RINGO__TASK_SUSPENDED: return "suspended";
	default: return "ready";
	}
}

static void show(const struct sink *s, struct entry *e, size_t n, size_t i, unsigned depth,
		 unsigned flags, int64_t now)
{
	struct entry *x = &e[i];
	x->shown = true;
	char line[1024], what[512], rel[32];
	size_t len = 0;
	for (unsigned d = 0; d < depth && d < 16; d++)
		ringo__dump_add(line, sizeof(line), &len, "  ");
	ringo__dump_add(line, sizeof(line), &len, "%s  %s", x->v.name, state_name(x->v.state));
	if (x->v.since)
		ringo__dump_add(line, sizeof(line), &len, " for %s",
				ringo__dump_rel(rel, now, x->v.since) + 1);
	if (x->v.wait) {
		what[0] = '\0';
		if (x->v.wait->describe)
			x->v.wait->describe(x->v.wait, what, sizeof(what), now);
		else
			snprintf(what, sizeof(what), "something undescribed");
		ringo__dump_add(line, sizeof(line), &len, "  %s%s", what,
				x->v.wait->state == RINGO__WAIT_CANCEL_SENT ? " (cancelling)" : "");
	}
	uintptr_t pcs[MAX_FRAMES];
	char names[MAX_FRAMES][96];
	size_t nf = x->v.wait ? unwind_fiber(x->v.sp, pcs, names, MAX_FRAMES) : 0;
	size_t site = 0;
	while (site < nf && in_ringo(pcs[site], names[site]))
		site++;
	if (site < nf) {
		char ft[512];
		frame_text(pcs[site], names[site], ft, sizeof(ft));
		ringo__dump_add(line, sizeof(line), &len, "  at %s", ft);
	}
	emit(s, line);
	if (flags & RINGO_DUMP_STACKS) {
		for (size_t f = 0; f < nf; f++) {
			char ft[512];
			frame_text(pcs[f], names[f], ft, sizeof(ft));
			len = 0;
			for (unsigned d = 0; d < depth + 2 && d < 18; d++)
				ringo__dump_add(line, sizeof(line), &len, "  ");
			ringo__dump_add(line, sizeof(line), &len, "#%zu %s", f, ft);
			emit(s, line);
		}
	}
	for (size_t j = 0; j < n; j++)
		if (e[j].parent == i && !e[j].shown)
			show(s, e, n, j, depth + 1, flags, now);
}

static int dump(const struct sink *s, unsigned flags)
{
	struct ringo_loop *loop = ringo__loop_get();
	if (!loop)
		return -EPERM;
	size_t n = loop->ntasks;
	struct entry *e = calloc(n ? n : 1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	int64_t now = ringo_time();
	size_t i = 0;
	for (struct ringo__list *l = loop->tasks.next; l != &loop->tasks && i < n; l = l->next)
		e[i++].t = ringo__task_of(l);
	n = i;
	char head[256], scratch[512];
	snprintf(head, sizeof(head), "task dump: %zu task%s, %zu operation%s in flight (pid %d)",
		 n, n == 1 ? "" : "s", ringo__ring_inflight(loop->ring),
		 ringo__ring_inflight(loop->ring) == 1 ? "" : "s", (int)getpid());
	emit(s, head);
	for (i = 0; i < n; i++) {
		ringo__task_view(e[i].t, &e[i].v);
		e[i].parent = SIZE_MAX;
		if (e[i].v.wait && e[i].v.wait->describe)
			e[i].awaits = e[i].v.wait->describe(e[i].v.wait, scratch, sizeof(scratch),
							    now);
	}
	for (i = 0; i < n; i++)
		for (size_t j = 0; e[i].awaits && j < n; j++)
			if (e[j].t == e[i].awaits && j != i)
				e[i].parent = j;
	/* Roots first: tasks that await no task of the loop; then what a
	 * cycle of awaits left out. */
	for (i = 0; i < n; i++)
		if (e[i].parent == SIZE_MAX)
			show(s, e, n, i, 0, flags, now);
	for (i = 0; i < n; i++)
		if (!e[i].shown)
			show(s, e, n, i, 0, flags, now);
	free(e);
	return 0;
}

int ringo_task_dump(FILE *out)
{
	return ringo_task_dump_with(out, 0);
}

int ringo_task_dump_with(FILE *out, unsigned flags)
{
	if (!out)
		return -EINVAL;
	struct sink s = { .out = out };
	int ret = dump(&s, flags);
	fflush(out);
	return ret;
}

void ringo__dump_log(enum ringo_log_level level, unsigned flags)
{
	struct sink s = { .out = NULL, .level = level };
	(void)dump(&s, flags);
}

int ringo__dump_to_path(const char *path, unsigned flags)
{
	/* Written beside, then renamed: a reader never sees half a dump. */
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	FILE *f = fdopen(fd, "w");
	if (!f) {
		int err = -errno;
		close(fd);
		unlink(tmp);
		return err;
	}
	struct sink s = { .out = f };
	int ret = dump(&s, flags);
	if (fclose(f) != 0 && ret == 0)
		ret = -EIO;
	if (ret == 0 && rename(tmp, path) < 0)
		ret = -errno;
	if (ret < 0)
		unlink(tmp);
	return ret;
}

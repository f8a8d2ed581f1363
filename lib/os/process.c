/* SPDX-License-Identifier: MIT */
/* Subprocesses: posix_spawn, a pidfd, and one SQE per wait for the child's
 * exit — IORING_OP_WAITID with WNOWAIT (Linux 6.7+), or IORING_OP_POLL_ADD
 * on the pidfd, which becomes readable when the child exits. Neither
 * collects the status: that is a waitid(WNOHANG) afterwards, which cannot
 * block, so any number of tasks can wait for one child, and a wait that is
 * cancelled or times out leaves the child waitable.
 *
 * Pipes are streams (lib/io/stream.c). A child's stdin is a pipe where the
 * kernel lets writes to a broken pipe fail without SIGPIPE (RWF_NOSIGNAL,
 * 6.18), else a socketpair, whose sends carry MSG_NOSIGNAL.
 *
 * A process is a loop resource from spawn to release: one released before
 * its child was reaped keeps an exit watch in flight (an op of its own)
 * and is freed by its CQE; at loop shutdown, children not reaped are
 * killed and watched the same way, so the ring drains only once they are
 * reaped. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/io.h"

extern char **environ;

/* IORING_OP_WAITID (Linux 6.7) is newer than liburing 2.3's header. */
#define OP_WAITID 50
/* waitid's P_PIDFD (Linux 5.4), absent from older C libraries. */
#define IDTYPE_PIDFD 3
#define READ_CHUNK 65536

struct ringo_process {
	struct ringo__resource res;
	struct ringo__op watch; /* the exit watch of a released child, or at shutdown */
	uint64_t loop_id;
	pid_t pid;
	int pidfd;
	ringo_stream *stream[3]; /* the parent's ends of pipes to its 0, 1, 2 */
	int returncode;
	int lost;        /* -ECHILD: the status was collected by someone else */
	unsigned users;  /* tasks inside wait or communicate */
	bool exited;     /* reaped: returncode (or lost) is final */
	bool watching;   /* watch is in flight */
	bool released;   /* destroyed while watching: freed by the watch's CQE */
	bool communicating;
	bool compat;     /* RINGO_PROCESS_COMPAT: the paths for older kernels */
};

/* ---- exit status ---- */

/* Collects the child's status if it has exited; never blocks. */
static void reap(ringo_process *p)
{
	if (p->exited)
		return;
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	int r;
	do
		r = waitid((idtype_t)IDTYPE_PIDFD, (id_t)p->pidfd, &si, WEXITED | WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		p->lost = -errno;
		p->exited = true;
		return;
	}
	if (si.si_pid == 0)
		return; /* still running */
	p->returncode = si.si_code == CLD_EXITED ? si.si_status : -si.si_status;
	p->exited = true;
}

static unsigned watch_opcode(const ringo_process *p, const struct ringo__ring *r)
{
	return !p->compat && ringo__ring_supports(r, OP_WAITID) ? OP_WAITID : IORING_OP_POLL_ADD;
}

/* An SQE that completes once the child has exited, without reaping it. */
static void prep_exit(struct io_uring_sqe *sqe, unsigned opcode, int pidfd)
{
	if (opcode == OP_WAITID) {
		/* As the kernel's io_waitid_prep reads it: len is the idtype,
		 * fd the id, file_index the options, addr2 the siginfo (none:
		 * the status is collected afterwards). */
		io_uring_prep_rw(OP_WAITID, sqe, pidfd, NULL, IDTYPE_PIDFD, 0);
		sqe->file_index = WEXITED | WNOWAIT;
	} else {
		io_uring_prep_poll_add(sqe, pidfd, POLLIN);
	}
}

/* Suspends the current task until the child has exited (not reaped). */
static int await_exit(ringo_process *p, ringo_deadline deadline)
{
	unsigned opcode = watch_opcode(p, ringo__io_ring());
	struct ringo__io io;
	int ret = ringo__io_begin(&io, opcode, deadline);
	if (ret < 0)
		return ret;
	prep_exit(io.sqe, opcode, p->pidfd);
	intptr_t r = ringo__io_await(&io);
	return r < 0 ? (int)r : 0;
}

static void watch_done(struct ringo__op *op, int res, uint32_t flags);

static void watch(ringo_process *p, struct ringo_loop *loop)
{
	unsigned opcode = watch_opcode(p, loop->ring);
	ringo__op_arm(loop, &p->watch, watch_done);
	struct io_uring_sqe *sqe = ringo__ring_sqe(loop->ring);
	prep_exit(sqe, opcode, p->pidfd);
	ringo__ring_arm(sqe, &p->watch);
	p->watching = true;
}

static void free_process(ringo_process *p, bool loop_alive)
{
	/* After its loop has ended, the resource list is gone with it. */
	if (loop_alive)
		ringo__resource_remove(&p->res);
	close(p->pidfd);
	free(p);
}

static void watch_done(struct ringo__op *op, int res, uint32_t flags)
{
	(void)flags;
	ringo_process *p = ringo__container_of(op, ringo_process, watch);
	p->watching = false;
	reap(p);
	if (!p->exited && (res >= 0 || res == -EINTR)) {
		watch(p, ringo__loop_get()); /* woken early: watch again */
		return;
	}
	if (p->released)
		free_process(p, true);
}

/* Loop shutdown: nobody is left to wait for the child, and waiting for it
 * to end by itself could take forever. */
static void shutdown_process(struct ringo__resource *res)
{
	ringo_process *p = ringo__container_of(res, ringo_process, res);
	reap(p);
	if (p->exited)
		return;
	syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL, 0);
	if (!p->watching)
		watch(p, ringo__loop_get());
}

/* ---- spawning ---- */

static bool valid_stdio(const ringo_stdio *s, int target)
{
	switch (s->mode) {
	case RINGO_STDIO_INHERIT:
	case RINGO_STDIO_PIPE:
	case RINGO_STDIO_DEVNULL:
		return true;
	case RINGO_STDIO_FD:
		return s->fd >= 0;
	case RINGO_STDIO_STDOUT:
		return target == STDERR_FILENO;
	default:
		return false;
	}
}

/* The fds the parent closes once the child is started. */
struct closer {
	int fd[6];
	int n;
};

/* A source fd below 3 other than its target could be overwritten in the
 * child by an earlier dup2 onto it: give the child a copy above 2. */
static int lift(int fd, int target, struct closer *c)
{
	if (fd >= 3 || fd == target)
		return fd;
	int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (copy < 0)
		return -errno;
	c->fd[c->n++] = copy;
	return copy;
}

static bool compat_forced(void)
{
	const char *v = getenv("RINGO_PROCESS_COMPAT");
	return v && *v && strcmp(v, "0") != 0;
}

int ringo_process_spawn(const char *const *argv, const ringo_process_opts *opts,
			ringo_process **out)
{
	static const ringo_process_opts defaults;
	if (!argv || !argv[0] || !argv[0][0] || !out)
		return -EINVAL;
	if (!opts)
		opts = &defaults;
	const ringo_stdio *stdio[3] = { &opts->in, &opts->out, &opts->err };
	for (int i = 0; i < 3; i++)
		if (!valid_stdio(stdio[i], i))
			return -EINVAL;
	struct ringo_loop *loop = ringo__loop_get();
	if (!loop)
		return -EPERM;

	ringo_process *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->pidfd = -1;
	p->compat = compat_forced();
	struct closer closer = { .n = 0 };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int err = posix_spawn_file_actions_init(&fa);
	if (err)
		goto err_free;
	err = posix_spawnattr_init(&attr);
	if (err)
		goto err_fa;

	for (int i = 0; i < 3 && !err; i++) {
		int src;
		switch (stdio[i]->mode) {
		case RINGO_STDIO_INHERIT:
			continue;
		case RINGO_STDIO_DEVNULL:
			err = posix_spawn_file_actions_addopen(&fa, i, "/dev/null",
							       i == 0 ? O_RDONLY : O_WRONLY, 0);
			continue;
		case RINGO_STDIO_STDOUT:
			err = posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, i);
			continue;
		case RINGO_STDIO_PIPE: {
			/* The parent writes the child's stdin, reads the rest. */
			int pp[2];
			bool pair = i == 0 && (p->compat || !ringo__io_rwf_nosignal());
			int r = pair ? socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pp)
				     : pipe2(pp, O_CLOEXEC);
			if (r < 0) {
				err = errno;
				continue;
			}
			int mine = i == 0 ? pp[1] : pp[0];
			src = i == 0 ? pp[0] : pp[1];
			closer.fd[closer.n++] = src;
			r = ringo_stream_open(mine, opts->stream, &p->stream[i]);
			if (r < 0) {
				close(mine);
				err = -r;
				continue;
			}
			break;
		}
		default: /* RINGO_STDIO_FD */
			src = stdio[i]->fd;
			break;
		}
		src = lift(src, i, &closer);
		if (src < 0)
			err = -src;
		else
			err = posix_spawn_file_actions_adddup2(&fa, src, i);
	}
	if (!err && opts->cwd)
		err = posix_spawn_file_actions_addchdir_np(&fa, opts->cwd);
	/* Signals the parent blocks (for a signalfd, say) must reach the
	 * child. */
	sigset_t none;
	sigemptyset(&none);
	if (!err)
		err = posix_spawnattr_setsigmask(&attr, &none);
	if (!err)
		err = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	if (!err) {
		char *const *env = opts->env ? (char *const *)opts->env : environ;
		err = posix_spawnp(&p->pid, argv[0], &fa, &attr, (char *const *)argv, env);
	}
	for (int i = 0; i < closer.n; i++)
		close(closer.fd[i]);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	if (err)
		goto err_pipes;

	p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	if (p->pidfd < 0) {
		/* Without a pidfd it cannot be watched: undo the spawn. The
		 * child is not reaped yet, so its pid is still its own. */
		err = errno;
		kill(p->pid, SIGKILL);
		while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
			;
		goto err_pipes;
	}
	p->loop_id = loop->id;
	p->res.shutdown = shutdown_process;
	ringo__resource_add(loop, &p->res);
	*out = p;
	return 0;

err_pipes:
	for (int i = 0; i < 3; i++)
		ringo_stream_destroy(p->stream[i]);
	free(p);
	return -err;
err_fa:
	posix_spawn_file_actions_destroy(&fa);
err_free:
	free(p);
	return -err;
}

pid_t ringo_process_pid(const ringo_process *p)
{
	return p ? p->pid : -1;
}

ringo_stream *ringo_process_stdin(const ringo_process *p)
{
	return p ? p->stream[0] : NULL;
}

ringo_stream *ringo_process_stdout(const ringo_process *p)
{
	return p ? p->stream[1] : NULL;
}

ringo_stream *ringo_process_stderr(const ringo_process *p)
{
	return p ? p->stream[2] : NULL;
}

/* ---- waiting and signals ---- */

int ringo_process_wait(ringo_process *p, int *returncode, ringo_deadline deadline)
{
	if (!p)
		return -EINVAL;
	if (!p->exited) {
		if (!ringo__loop_owning(p->loop_id))
			return -EPERM;
		int ret = 0;
		p->users++;
		while (!p->exited) {
			ret = await_exit(p, deadline);
			/* -ECHILD: someone else reaped it; reap() records that. */
			if (ret < 0 && ret != -ECHILD)
				break;
			ret = 0;
			reap(p);
		}
		p->users--;
		if (ret < 0)
			return ret;
	}
	if (p->lost)
		return p->lost;
	if (returncode)
		*returncode = p->returncode;
	return 0;
}

bool ringo_process_returncode(ringo_process *p, int *returncode)
{
	if (!p)
		return false;
	reap(p);
	if (!p->exited || p->lost)
		return false;
	if (returncode)
		*returncode = p->returncode;
	return true;
}

int ringo_process_send_signal(ringo_process *p, int sig)
{
	if (!p)
		return -EINVAL;
	if (p->exited)
		return -ESRCH;
	if (syscall(SYS_pidfd_send_signal, p->pidfd, sig, NULL, 0) < 0)
		return -errno;
	return 0;
}

int ringo_process_terminate(ringo_process *p)
{
	return ringo_process_send_signal(p, SIGTERM);
}

int ringo_process_kill(ringo_process *p)
{
	return ringo_process_send_signal(p, SIGKILL);
}

int ringo_process_destroy(ringo_process *p)
{
	if (!p)
		return 0;
	if (p->users)
		return -EBUSY;
	for (int i = 0; i < 3; i++) {
		ringo_stream_destroy(p->stream[i]);
		p->stream[i] = NULL;
	}
	struct ringo_loop *loop = ringo__loop_owning(p->loop_id);
	reap(p);
	if (!p->exited && !loop) {
		/* No loop to watch it from: end it now rather than leave a
		 * zombie. */
		syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL, 0);
		siginfo_t si;
		while (waitid((idtype_t)IDTYPE_PIDFD, (id_t)p->pidfd, &si, WEXITED) < 0 &&
		       errno == EINTR)
			;
		p->exited = true;
	}
	if (!p->exited || p->watching) {
		p->released = true;
		if (!p->watching)
			watch(p, loop);
		return 0;
	}
	free_process(p, loop != NULL);
	return 0;
}

/* ---- communicate ---- */

struct pump {
	ringo_stream *stream;
	const void *in; /* feed */
	size_t len;
	char *buf;      /* drain */
	size_t len_out, cap;
	bool keep;
};

static intptr_t feed(void *arg)
{
	struct pump *s = arg;
	int r = s->len ? ringo_stream_write(s->stream, s->in, s->len) : 0;
	if (r == 0)
		r = ringo_stream_write_eof(s->stream);
	/* A child that exits or closes its stdin without reading it all is
	 * not an error (asyncio ignores BrokenPipeError here). */
	return r == -EPIPE || r == -ECONNRESET ? 0 : r;
}

static intptr_t drain(void *arg)
{
	struct pump *s = arg;
	for (;;) {
		if (s->cap - s->len_out < READ_CHUNK / 2 + 1) {
			size_t ncap = s->cap ? s->cap * 2 : READ_CHUNK;
			char *nb = realloc(s->buf, ncap);
			if (!nb)
				return -ENOMEM;
			s->buf = nb;
			s->cap = ncap;
		}
		size_t room = s->cap - s->len_out - 1; /* keep one for the NUL */
		ssize_t r = ringo_stream_read(s->stream, s->buf + s->len_out, room);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		if (s->keep)
			s->len_out += (size_t)r;
	}
	s->buf[s->len_out] = '\0';
	return 0;
}

/* Waits for every task in t[0..n), whatever happens to the calling task
 * meanwhile: they use its stack. Returns -ECANCELED if the caller was
 * cancelled, else 0. */
static int join(ringo_task **t, size_t n)
{
	int r = ringo_gather(t, n, NULL, RINGO_RETURN_EXCEPTIONS);
	if (r == 0)
		return 0;
	/* gather returned before they finished (a cancellation pending on
	 * entry, or no memory): stop them and wait. */
	for (size_t i = 0; i < n; i++)
		ringo_task_cancel(t[i]);
	for (size_t i = 0; i < n; i++)
		while (!ringo_task_done(t[i]))
			ringo_task_await(t[i]);
	return r == -ECANCELED ? r : 0;
}

/* communicate's body: the three pumps, then the wait. */
static int talk(ringo_process *p, struct pump *pumps, int *returncode)
{
	ringo_task *tasks[3];
	size_t n = 0;
	int ret = 0;
	for (int i = 0; i < 3 && ret == 0; i++) {
		if (!pumps[i].stream)
			continue;
		ret = ringo_task_create(i == 0 ? feed : drain, &pumps[i], NULL, &tasks[n]);
		if (ret == 0)
			n++;
	}
	int jr = join(tasks, n);
	if (ret == 0)
		ret = jr;
	for (size_t i = 0; i < n; i++) {
		intptr_t r = ringo_task_result(tasks[i]);
		if (ret == 0 && r < 0)
			ret = (int)r;
		ringo_task_unref(tasks[i]);
	}
	if (ret == 0)
		ret = ringo_process_wait(p, returncode, RINGO_NO_DEADLINE);
	return ret;
}

int ringo_process_communicate(ringo_process *p, const void *input, size_t len, char **out,
			      size_t *outlen, char **err, size_t *errlen, int *returncode,
			      ringo_deadline deadline)
{
	if (out)
		*out = NULL;
	if (outlen)
		*outlen = 0;
	if (err)
		*err = NULL;
	if (errlen)
		*errlen = 0;
	if (!p || (!input && len) || (len && !p->stream[0]))
		return -EINVAL;
	if (!ringo__loop_owning(p->loop_id) || !ringo_task_current())
		return -EPERM;
	if (p->communicating)
		return -EBUSY;

	struct pump pumps[3];
	memset(pumps, 0, sizeof(pumps));
	for (int i = 0; i < 3; i++)
		pumps[i].stream = p->stream[i];
	pumps[0].in = input;
	pumps[0].len = len;
	pumps[1].keep = out != NULL;
	pumps[2].keep = err != NULL;
	/* The deadline is a timeout scope around the whole, as asyncio's
	 * wait_for(communicate()): it cancels this task, which cancels the
	 * pumps, and the cancellation comes out as -ETIMEDOUT. */
	ringo_timeout *to = NULL;
	if (!ringo_deadline_none(deadline)) {
		int r = ringo_timeout_enter_at(&to, deadline.ns);
		if (r < 0)
			return r;
	}
	p->communicating = true;
	p->users++;
	int ret = talk(p, pumps, returncode);
	p->users--;
	p->communicating = false;
	if (to) {
		ret = (int)ringo_timeout_exit(to, ret);
		ringo_timeout_destroy(to);
	}
	char **dst[3] = { NULL, out, err };
	size_t *dlen[3] = { NULL, outlen, errlen };
	for (int i = 1; i < 3; i++) {
		if (ret == 0 && dst[i] && pumps[i].buf) {
			*dst[i] = pumps[i].buf;
			if (dlen[i])
				*dlen[i] = pumps[i].len_out;
		} else {
			free(pumps[i].buf);
		}
	}
	return ret;
}

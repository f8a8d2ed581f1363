/* SPDX-License-Identifier: MIT */
/* Splice: bytes from one fd to another without entering user space. A
 * file and a socket are joined by a pipe made for the transfer (enlarged
 * to 1 MiB where the system allows): one SPLICE fills it from the input,
 * more empty it into the output, each an SQE the task waits on. When one
 * end is a pipe already, each step is one SPLICE between the two.
 *
 * A step is either a blocking splice with a deadline (sendfile), or a
 * nonblocking one whose waits are polls the owner makes (the copy: its
 * deadlines and idle timeouts bound each poll, and a cancellation reaches
 * it, which a splice sleeping in the kernel's worker would not).
 *
 * Between two regular files (the copy) several chunks are in flight at
 * once, each through a pipe of its own at explicit offsets: see
 * run_files. */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ringo.h>

#include "io/splice.h"

enum {
	PIPE_SIZE = 1 << 20,
	STEP_MAX = 1 << 30,
	SMALL_READ = 1 << 16,   /* a read this short from a socket drained it */
};

struct step_timer {
	struct ringo__io *io;
	bool fired;
};

/* The deadline of a step: aims an ASYNC_CANCEL at the SPLICE. */
static void step_expired(void *arg)
{
	struct step_timer *st = arg;
	st->fired = true;
	if (st->io->w.op.armed)
		ringo__ring_cancel(ringo__io_ring(), &st->io->w.op);
}

/* One blocking IORING_OP_SPLICE of up to n bytes; off NULL: the fd's
 * position. A SPLICE into a full socket sleeps in an io-wq worker, and
 * there a linked timeout does not end it (seen on 6.18: the timer fires
 * and the splice sleeps on), while IORING_OP_ASYNC_CANCEL does; so the
 * deadline is a timer that sends the cancel. A splice interrupted after
 * moving some bytes returns their count, and the next step finds the
 * deadline past. */
static ssize_t splice_blocking(int in, int64_t *off, int out, size_t n, ringo_deadline deadline)
{
	if (!ringo_deadline_none(deadline) && deadline.ns <= ringo_time())
		return -ETIMEDOUT;
	struct ringo__io io;
	struct step_timer st = { .io = &io };
	ringo_handle *timer = NULL;
	/* The timer first: nothing may queue an SQE between io_begin and
	 * io_await. It cannot fire before this task suspends. */
	int ret = 0;
	if (!ringo_deadline_none(deadline))
		ret = ringo_call_at(deadline.ns, step_expired, &st, &timer);
	if (ret == 0)
		ret = ringo__io_begin(&io, IORING_OP_SPLICE, RINGO_NO_DEADLINE);
	if (ret < 0) {
		if (timer) {
			ringo_handle_cancel(timer);
			ringo_handle_unref(timer);
		}
		return ret;
	}
	io_uring_prep_splice(io.sqe, in, off ? *off : -1, out, -1, (unsigned)n, SPLICE_F_MOVE);
	ssize_t r = ringo__io_await(&io);
	if (timer) {
		ringo_handle_cancel(timer);
		ringo_handle_unref(timer);
	}
	if (st.fired && (r == -ECANCELED || r == -EINTR))
		r = -ETIMEDOUT;
	return r;
}

/* Whether fd has events now (a poll that does not wait). */
static bool ready_now(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	return poll(&p, 1, 0) == 1 && (p.revents & (events | POLLERR | POLLHUP));
}

/* Which fd a nonblocking step waits on after -EAGAIN. */
enum wait_on { WAIT_IN, WAIT_OUT, WAIT_EITHER };

/* One step: a splice of up to n bytes from in to out. Nonblocking, it
 * waits on -EAGAIN for in to be readable (WAIT_IN) or out writable
 * (WAIT_OUT); WAIT_EITHER (a direct splice between a pipe and a socket or
 * two pipes, which may say -EAGAIN for either) asks poll without waiting
 * which one it is. */
static ssize_t step(struct ringo__splice *sp, int in, int64_t *off, int out, size_t n,
		    enum wait_on on)
{
	if (!sp->waits)
		return splice_blocking(in, off, out, n, sp->deadline);
	for (;;) {
		struct ringo__io io;
		int ret = ringo__io_begin(&io, IORING_OP_SPLICE, RINGO_NO_DEADLINE);
		if (ret < 0)
			return ret;
		io_uring_prep_splice(io.sqe, in, off ? *off : -1, out, -1, (unsigned)n,
				     SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		ssize_t r = ringo__io_await(&io);
		if (r != -EAGAIN) {
			if (r > 0 && sp->waits->moved)
				sp->waits->moved(sp->ctx);
			return r;
		}
		if (on == WAIT_OUT || (on == WAIT_EITHER && ready_now(in, POLLIN)))
			ret = sp->waits->ready(sp->ctx, out, POLLOUT);
		else
			ret = sp->waits->ready(sp->ctx, in, POLLIN);
		if (ret < 0)
			return ret;
	}
}

static mode_t type_of(int fd)
{
	struct stat st;
	return fstat(fd, &st) == 0 ? st.st_mode & S_IFMT : 0;
}

/* After a direct step failed: whether out is the end that did (it reports
 * an error or a hang-up; an input's error is the default). */
static bool out_broken(int out)
{
	struct pollfd p = { .fd = out, .events = POLLOUT };
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

/* ---- file to file: several chunks in flight ----
 *
 * Between two regular files each chunk has a pipe of its own and explicit
 * offsets: a splice from the input into the pipe, then from the pipe to the
 * output, each a task of its own, FILE_DEPTH chunks at a time. The kernel
 * runs every splice in an io-wq worker; with one chunk at a time each step
 * waited for a hand-off to the worker and back through the loop, and the
 * splice into a pipe (taking page references) ran beside nothing. With
 * several in flight, the splices into the output (serialised by the kernel
 * per inode, the one copy) follow one another while the next chunks are
 * spliced into their pipes on the other CPU. */

enum { FILE_DEPTH = 4 };

struct file_chunk {
	struct ringo__splice *sp;
	int pipe[2];
	int64_t in_off, out_off;  /* absolute */
	size_t len;
	size_t written;           /* bytes of the chunk that reached out */
	int err;
	bool out_err;             /* err came from out's side */
	ringo_task *task;
};

/* One nonblocking SPLICE with explicit offsets (-1: a pipe's). */
static ssize_t splice_once(int in, int64_t in_off, int out, int64_t out_off, size_t n)
{
	struct ringo__io io;
	int ret = ringo__io_begin(&io, IORING_OP_SPLICE, RINGO_NO_DEADLINE);
	if (ret < 0)
		return ret;
	io_uring_prep_splice(io.sqe, in, in_off, out, out_off, (unsigned)n,
			     SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	return (ssize_t)ringo__io_await(&io);
}

/* A chunk's task: its bytes into its pipe, then all of them to out, again
 * until the chunk is whole (a pipe holds so many pages: a chunk that does
 * not start on a page boundary comes in two). Sets written (short only at
 * in's end) and err. */
static intptr_t chunk_main(void *arg)
{
	struct file_chunk *ch = arg;
	struct ringo__splice *sp = ch->sp;
	while (ch->written < ch->len) {
		ssize_t got = splice_once(sp->in, ch->in_off + (int64_t)ch->written, ch->pipe[1], -1,
					  ch->len - ch->written);
		if (got <= 0) {
			ch->err = got < 0 ? (int)got : 0;
			break;
		}
		while (got > 0) {
			ssize_t w = splice_once(ch->pipe[0], -1, sp->out,
						ch->out_off + (int64_t)ch->written, (size_t)got);
			if (w <= 0) {
				ch->err = w < 0 ? (int)w : -EIO;
				ch->out_err = true;
				goto out;
			}
			ch->written += (size_t)w;
			got -= w;
		}
	}
out:
	if (ch->written && sp->waits && sp->waits->moved)
		sp->waits->moved(sp->ctx);
	return 0;
}

static void chunk_pipes_close(struct file_chunk *chs, int n)
{
	for (int i = 0; i < n; i++) {
		if (chs[i].pipe[0] >= 0) {
			close(chs[i].pipe[0]);
			close(chs[i].pipe[1]);
		}
	}
}

/* The transfer between two regular files, as ringo__splice_run. Sets
 * *ran false (and returns 0) when it cannot be run this way (no positions,
 * an O_APPEND output): the caller runs the one chunk at a time loop. */
static ssize_t run_files(struct ringo__splice *sp, bool *ran)
{
	*ran = false;
	int fl = fcntl(sp->out, F_GETFL);
	if (fl < 0 || (fl & O_APPEND))
		return 0;
	int64_t in_start = sp->in_off ? *sp->in_off : (int64_t)lseek(sp->in, 0, SEEK_CUR);
	int64_t out_start = (int64_t)lseek(sp->out, 0, SEEK_CUR);
	struct stat ost;
	if (in_start < 0 || out_start < 0 || fstat(sp->out, &ost) < 0)
		return 0;
	*ran = true;
	struct file_chunk chs[FILE_DEPTH];
	size_t chunk = PIPE_SIZE;
	for (int i = 0; i < FILE_DEPTH; i++) {
		chs[i] = (struct file_chunk){ .sp = sp, .pipe = { -1, -1 } };
		if (pipe2(chs[i].pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
			int err = -errno;
			chunk_pipes_close(chs, i);
			return err;
		}
		int sz = fcntl(chs[i].pipe[1], F_SETPIPE_SZ, PIPE_SIZE);
		if (sz < 0)
			sz = fcntl(chs[i].pipe[1], F_GETPIPE_SZ);
		if (sz > 0 && (size_t)sz < chunk)
			chunk = (size_t)sz;
	}
	/* Chunks are started in order at next (relative), awaited in order;
	 * done is the prefix that reached out whole. */
	uint64_t next = 0;
	bool more = true;       /* start further chunks */
	bool counting = true;   /* the chunks awaited so far all came whole */
	int err = 0;
	int64_t max_end = out_start;
	for (int64_t k = 0;; k++) {
		/* Fill the window. */
		for (int64_t j = k; more && j < k + FILE_DEPTH; j++) {
			struct file_chunk *ch = &chs[j % FILE_DEPTH];
			if (ch->task)
				continue;
			if (sp->count && next >= sp->count) {
				more = false;
				break;
			}
			/* Chunks start on page boundaries of in, so that each
			 * fills its pipe in one splice. */
			size_t len = chunk - (size_t)((in_start + (int64_t)next) & 4095);
			if (sp->count && sp->count - next < len)
				len = (size_t)(sp->count - next);
			ch->in_off = in_start + (int64_t)next;
			ch->out_off = out_start + (int64_t)next;
			ch->len = len;
			/* Reset when the chunk is started, not when it runs: a
			 * chunk cancelled before it ran must not count what the
			 * slot's last chunk wrote. */
			ch->written = 0;
			ch->err = 0;
			ch->out_err = false;
			int ret = ringo_task_create(chunk_main, ch, NULL, &ch->task);
			if (ret < 0) {
				err = ret;
				more = false;
				break;
			}
			next += len;
		}
		struct file_chunk *ch = &chs[k % FILE_DEPTH];
		if (!ch->task)
			break;  /* nothing in flight */
		intptr_t r = ringo_task_await(ch->task);
		ringo_task_unref(ch->task);
		ch->task = NULL;
		if (r < 0 && ch->err == 0)
			ch->err = (int)r;  /* cancelled before it ran */
		if (ch->written && ch->out_off + (int64_t)ch->written > max_end)
			max_end = ch->out_off + (int64_t)ch->written;
		if (counting)
			sp->done += ch->written;  /* with those before an error */
		if (err == 0 && ch->err < 0) {
			err = ch->err;
			sp->out_failed = ch->out_err;
		}
		if (err < 0 || ch->written < ch->len) {
			/* An error, or in's end: what follows is not counted;
			 * chunks still running are cancelled and awaited. */
			if (err < 0 && counting) {
				for (int i = 0; i < FILE_DEPTH; i++)
					if (chs[i].task)
						ringo_task_cancel(chs[i].task);
			}
			counting = false;
			more = false;
		}
	}
	chunk_pipes_close(chs, FILE_DEPTH);
	int64_t end = out_start + (int64_t)sp->done;
	if (max_end > end && max_end > (int64_t)ost.st_size) {
		/* Chunks past the counted prefix reached out (an error or a
		 * cancellation stopped an earlier one): out keeps only what
		 * it had and what is counted. */
		if (ftruncate(sp->out, end > (int64_t)ost.st_size ? end : (int64_t)ost.st_size) < 0 &&
		    err == 0)
			err = -errno;
	}
	if (sp->in_off)
		*sp->in_off = in_start + (int64_t)sp->done;
	else
		lseek(sp->in, in_start + (int64_t)sp->done, SEEK_SET);
	lseek(sp->out, end, SEEK_SET);
	if (err < 0)
		return err;
	return sp->done > SSIZE_MAX ? SSIZE_MAX : (ssize_t)sp->done;
}

ssize_t ringo__splice_run(struct ringo__splice *sp)
{
	sp->done = 0;
	sp->out_failed = false;
	ssize_t ret = 0;
	int p[2] = { -1, -1 };
	size_t step_max = STEP_MAX;
	mode_t in_type = type_of(sp->in);
	if (S_ISREG(in_type) && S_ISREG(type_of(sp->out)) && sp->waits) {
		bool ran;
		ssize_t r = run_files(sp, &ran);
		if (ran)
			return r;
	}
	bool direct = S_ISFIFO(in_type) || S_ISFIFO(type_of(sp->out));
	/* A socket that gave little has likely no more: the next splice
	 * from it waits for it first (a poll, answered at once if bytes came
	 * meanwhile), which spares a trip through the kernel's worker that
	 * would only say -EAGAIN. Messages of a request/response protocol
	 * take one splice each way, not two. */
	bool poll_first = sp->waits && S_ISSOCK(in_type);
	if (!direct) {
		if (pipe2(p, O_CLOEXEC | (sp->waits ? O_NONBLOCK : 0)) < 0)
			return -errno;
		int sz = fcntl(p[1], F_SETPIPE_SZ, PIPE_SIZE);
		if (sz < 0)
			sz = fcntl(p[1], F_GETPIPE_SZ);
		step_max = sz > 0 ? (size_t)sz : 65536;
	}
	while (sp->count == 0 || sp->done < sp->count) {
		size_t want = step_max;
		if (sp->count && sp->count - sp->done < want)
			want = (size_t)(sp->count - sp->done);
		if (direct) {
			ret = step(sp, sp->in, sp->in_off, sp->out, want, WAIT_EITHER);
			if (ret < 0)
				sp->out_failed = out_broken(sp->out);
			if (ret <= 0)
				break;
			if (sp->in_off)
				*sp->in_off += ret;
			sp->done += (size_t)ret;
			continue;
		}
		if (poll_first) {
			ret = sp->waits->ready(sp->ctx, sp->in, POLLIN);
			if (ret < 0)
				break;
		}
		ret = step(sp, sp->in, sp->in_off, p[1], want, WAIT_IN);
		if (ret <= 0)
			break;
		poll_first = sp->waits && S_ISSOCK(in_type) && (size_t)ret < want &&
			     ret < SMALL_READ;
		if (sp->in_off)
			*sp->in_off += ret;
		size_t filled = (size_t)ret;
		while (filled) {
			ret = step(sp, p[0], NULL, sp->out, filled, WAIT_OUT);
			if (ret == 0)
				ret = -EPIPE; /* a socket taking nothing: it is gone */
			if (ret < 0)
				break;
			filled -= (size_t)ret;
			sp->done += (size_t)ret;
		}
		if (ret < 0) {
			sp->out_failed = true;
			if (sp->waits && sp->waits->left)
				sp->waits->left(sp->ctx, p[0], filled);
			break;
		}
	}
	if (ret >= 0)
		ret = sp->done > SSIZE_MAX ? SSIZE_MAX : (ssize_t)sp->done;
	if (p[0] >= 0) {
		close(p[0]);
		close(p[1]);
	}
	return ret;
}

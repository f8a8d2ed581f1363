/* SPDX-License-Identifier: MIT */
/* ringo_copy and ringo_stream_copy (lib/io/copy.c): 16 MiB arrive byte for
 * byte through every path (recv/send and splice; stream to stream, file to
 * stream, stream to fd, a stream to itself), sent in 1-byte and 1-MiB
 * pieces; a deadline and a cancellation mid-copy report the count moved and
 * lose nothing (also to a pipe, spliced straight into it); pipe to stream
 * and file to file; the source's buffered bytes go first; no fd is left
 * open, and the loop's stream buffers and ops come back to their count. */
#include "harness.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ringo.h>

#define TOTAL ((size_t)16 << 20)
#define MIB ((size_t)1 << 20)

/* Byte i of every transfer. */
static char pattern(size_t i)
{
	return (char)((i * 7 + i / 65521) & 0xff);
}

/* ---- the two threads at the ends ---- */

struct writer {
	int fd;
	size_t total;
	size_t pause_at;          /* stop after this many bytes until go */
	atomic_bool go;
	bool shut;                /* shutdown(SHUT_WR) at the end */
	bool pipe;                /* fd is a pipe: write(), closed at the end */
	pthread_t th;
};

/* Sends total bytes of the pattern, in pieces of 1 byte (4096 of them)
 * and 1 MiB alternately. */
static void *writer_main(void *arg)
{
	struct writer *w = arg;
	static char buf[MIB];
	size_t done = 0;
	bool small = true;
	while (done < w->total) {
		if (done == w->pause_at)
			while (!atomic_load(&w->go))
				usleep(1000);
		size_t piece = small ? 1 : MIB;
		size_t end = done + piece;
		if (end > w->total)
			end = w->total;
		if (w->pause_at > done && end > w->pause_at)
			end = w->pause_at;
		for (size_t i = done; i < end; i++)
			buf[i - done] = pattern(i);
		size_t off = 0;
		while (done + off < end) {
			ssize_t n = w->pipe ? write(w->fd, buf + off, end - done - off)
					    : send(w->fd, buf + off, end - done - off, MSG_NOSIGNAL);
			if (n <= 0)
				return NULL;
			off += (size_t)n;
		}
		if (small && (done + 1) % 4096 == 0)
			small = false;
		else if (!small)
			small = true;
		done = end;
	}
	if (w->pipe)
		close(w->fd);
	else if (w->shut)
		shutdown(w->fd, SHUT_WR);
	return NULL;
}

struct reader {
	int fd;
	size_t got;
	bool ok;
	size_t pause_at;          /* stop reading after this many bytes until go */
	atomic_bool go;
	pthread_t th;
};

/* Reads to the end, checking every byte against the pattern. */
static void *reader_main(void *arg)
{
	struct reader *r = arg;
	static char buf[256 * 1024];
	r->ok = true;
	for (;;) {
		size_t want = sizeof(buf);
		if (r->got == r->pause_at)
			while (!atomic_load(&r->go))
				usleep(1000);
		else if (r->got < r->pause_at && r->pause_at - r->got < want)
			want = r->pause_at - r->got;
		ssize_t n = read(r->fd, buf, want);
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != pattern(r->got + (size_t)i))
				r->ok = false;
		r->got += (size_t)n;
	}
	return NULL;
}

static void writer_start(struct writer *w, int fd, size_t total, size_t pause_at)
{
	w->fd = fd;
	w->total = total;
	w->pause_at = pause_at;
	atomic_store(&w->go, pause_at >= total);
	w->shut = true;
	assert_int_equal(pthread_create(&w->th, NULL, writer_main, w), 0);
}

static void reader_start(struct reader *r, int fd)
{
	r->fd = fd;
	r->got = 0;
	if (r->pause_at == 0)
		r->pause_at = SIZE_MAX;
	atomic_store(&r->go, false);
	assert_int_equal(pthread_create(&r->th, NULL, reader_main, r), 0);
}

/* Stats of the loop's buffers and ops, to compare before and after. */
static void loop_counts(uint64_t *buffer_bytes, uint64_t *ops)
{
	struct ringo_loop_stats st;
	assert_int_equal(ringo_loop_stats(&st), 0);
	*buffer_bytes = st.stream_buffer_bytes;
	*ops = st.ops_in_flight;
}

/* Waits (1 s at most) for the loop's buffers and ops to come back to
 * what they were: destroyed streams give them back as their last CQEs
 * come. */
static void assert_settled(uint64_t buffer_bytes, uint64_t ops)
{
	uint64_t b = 0, o = 0;
	for (int i = 0; i < 100; i++) {
		loop_counts(&b, &o);
		if (b == buffer_bytes && o == ops)
			break;
		assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);
	}
	assert_int_equal(b, buffer_bytes);
	assert_int_equal(o, ops);
}

/* A file holding size bytes of the pattern (from skew), unlinked, its
 * position at the end. */
static int file_with_pattern(size_t size, size_t skew)
{
	static char buf[MIB];
	char path[] = "/tmp/ringo-test-copy-in-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	for (size_t off = 0; off < size; off += MIB) {
		size_t n = size - off < MIB ? size - off : MIB;
		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(off + i + skew);
		assert_int_equal(write(fd, buf, n), (ssize_t)n);
	}
	return fd;
}

/* ---- a round: writer -> copy -> reader ---- */

/* What a copy's end is in a round. */
enum end {
	END_TCP,   /* a connected TCP pair */
	END_PIPE,  /* a pipe */
	END_FILE,  /* source only: a file holding the pattern, no writer */
	END_SAME,  /* destination only: the source's socket (an echo) */
};

struct pair_test {
	int a[2], b[2];           /* a[0] -> copy -> b[0]; a[1] written, b[1] read */
	struct writer w;
	struct reader r;
	ringo_stream *src;        /* for bodies that copy on a task */
	uint64_t moved;
};

/* One round: a writer thread sends TOTAL bytes of the pattern into a[1]
 * (a file at a[0] holds them instead), body(p) copies from a[0] to b[0] on
 * a fresh loop with RINGO_COPY=mode (NULL: as set), and a reader thread
 * checks every byte that comes out at b[1]. The writer stops after w_pause
 * bytes (TOTAL: never) until the body sets w.go or returns; the reader
 * after r_pause (0: never) until the body sets r.go. Fails unless all
 * TOTAL bytes came out right and no fd is left open. The body owns a[0]
 * and b[0] when they are sockets (streams close them) and b[0] when it
 * is a pipe. */
static void run_round(const char *mode, enum end src, enum end dst, size_t w_pause,
		      size_t r_pause, intptr_t (*body)(void *))
{
	int fds = harness_count_fds();
	struct pair_test p = { 0 };
	if (mode)
		setenv("RINGO_COPY", mode, 1);
	if (src == END_TCP) {
		harness_tcp_pair(p.a);
	} else if (src == END_PIPE) {
		assert_int_equal(pipe2(p.a, O_CLOEXEC), 0); /* a[0] read, a[1] written */
		p.w.pipe = true;
	} else {
		p.a[0] = file_with_pattern(TOTAL, 0);
		assert_int_equal(lseek(p.a[0], 0, SEEK_SET), 0);
		p.a[1] = -1;
	}
	if (dst == END_TCP) {
		harness_tcp_pair(p.b);
	} else if (dst == END_PIPE) {
		int q[2];
		assert_int_equal(pipe2(q, O_CLOEXEC), 0);
		p.b[0] = q[1];
		p.b[1] = q[0];
	} else {
		p.b[0] = p.a[0];
		p.b[1] = p.a[1];
	}
	if (src != END_FILE)
		writer_start(&p.w, p.a[1], TOTAL, w_pause);
	p.r.pause_at = r_pause;
	reader_start(&p.r, p.b[1]);
	assert_int_equal(harness_run(body, &p), 0);
	atomic_store(&p.w.go, true);
	if (src != END_FILE)
		pthread_join(p.w.th, NULL);
	pthread_join(p.r.th, NULL);
	assert_int_equal(p.r.got, TOTAL);
	assert_true(p.r.ok);
	if (src == END_TCP && dst != END_SAME)
		close(p.a[1]); /* a pipe's writer closed its end */
	if (src != END_TCP)
		close(p.a[0]); /* the file or pipe the copy read */
	close(p.b[1]);
	if (mode)
		unsetenv("RINGO_COPY");
	assert_int_equal(harness_count_fds(), fds);
}

/* run_round with RINGO_COPY=rw, then splice. */
static void run_rounds(enum end src, enum end dst, size_t w_pause, intptr_t (*body)(void *))
{
	run_round("rw", src, dst, w_pause, 0, body);
	run_round("splice", src, dst, w_pause, 0, body);
}

/* ---- stream to stream ---- */


static intptr_t stream_copy_body(void *arg)
{
	struct pair_test *p = arg;
	ringo_stream *src, *dst;
	uint64_t bytes0, ops0;
	loop_counts(&bytes0, &ops0);
	assert_int_equal(ringo_stream_open(p->a[0], NULL, &src), 0);
	assert_int_equal(ringo_stream_open(p->b[0], NULL, &dst), 0);
	/* Bytes the source had buffered go first. */
	char first[100];
	assert_int_equal(ringo_stream_readexactly(src, first, 1, NULL), 1);
	assert_int_equal(first[0], pattern(0));
	assert_int_equal(ringo_stream_write(dst, first, 1), 0);
	uint64_t moved = 0;
	ssize_t n = ringo_stream_copy(src, dst, 0, RINGO_NO_DEADLINE, &moved);
	assert_int_equal(n, (ssize_t)TOTAL - 1);
	assert_int_equal(moved, TOTAL - 1);
	assert_true(ringo_stream_at_eof(src));
	assert_int_equal(ringo_stream_write_eof(dst), 0);
	ringo_stream_destroy(src);
	ringo_stream_destroy(dst);
	/* Every buffer and op the streams and the copy had is given back. */
	assert_settled(bytes0, ops0);
	return 0;
}

static void test_stream_to_stream(void **state)
{
	(void)state;
	run_rounds(END_TCP, END_TCP, TOTAL, stream_copy_body);
}

/* ---- a deadline and a cancellation mid-copy ---- */

static intptr_t deadline_body(void *arg)
{
	struct pair_test *p = arg;
	ringo_stream *src, *dst;
	assert_int_equal(ringo_stream_open(p->a[0], NULL, &src), 0);
	assert_int_equal(ringo_stream_open(p->b[0], NULL, &dst), 0);
	/* The writer stops after 3 MiB: the deadline ends the copy with all
	 * of them moved (1.5 s: the writer thread may wait its turn for a CPU
	 * on a loaded machine). */
	uint64_t moved = 0;
	ssize_t n = ringo_stream_copy(src, dst, 0, ringo_deadline_in(RINGO_MSEC(1500)), &moved);
	assert_int_equal(n, -ETIMEDOUT);
	assert_int_equal(moved, 3 * MIB);
	/* Then the rest: nothing was lost or repeated. */
	atomic_store(&p->w.go, true);
	uint64_t more = 0;
	n = ringo_stream_copy(src, dst, 0, RINGO_NO_DEADLINE, &more);
	assert_int_equal(n, (ssize_t)(TOTAL - moved));
	assert_int_equal(more, TOTAL - moved);
	assert_int_equal(ringo_stream_write_eof(dst), 0);
	ringo_stream_destroy(src);
	ringo_stream_destroy(dst);
	return 0;
}

static void test_deadline(void **state)
{
	(void)state;
	run_rounds(END_TCP, END_TCP, 3 * MIB, deadline_body);
}

struct cancel_arg {
	ringo_stream *src, *dst;
	uint64_t moved;
};

static intptr_t copy_task(void *arg)
{
	struct cancel_arg *c = arg;
	return ringo_stream_copy(c->src, c->dst, 0, RINGO_NO_DEADLINE, &c->moved);
}

static intptr_t cancel_body(void *arg)
{
	struct pair_test *p = arg;
	struct cancel_arg c = { 0 };
	assert_int_equal(ringo_stream_open(p->a[0], NULL, &c.src), 0);
	assert_int_equal(ringo_stream_open(p->b[0], NULL, &c.dst), 0);
	ringo_task *t;
	assert_int_equal(ringo_task_create(copy_task, &c, NULL, &t), 0);
	/* The writer stops after 5 MiB; the copy is cancelled once they
	 * have moved (polled: generous bounds). */
	for (int i = 0; i < 1000 && c.moved == 0; i++)
		assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(300)), 0);
	ringo_task_cancel(t);
	assert_int_equal(ringo_task_await(t), -ECANCELED);
	ringo_task_unref(t);
	assert_int_equal(c.moved, 5 * MIB);
	/* While no copy runs, the streams are the caller's again. */
	assert_int_equal(ringo_stream_write(c.dst, "", 0), 0);
	atomic_store(&p->w.go, true);
	uint64_t more = 0;
	assert_int_equal(ringo_stream_copy(c.src, c.dst, 0, RINGO_NO_DEADLINE, &more),
			 (ssize_t)(TOTAL - c.moved));
	assert_int_equal(ringo_stream_write_eof(c.dst), 0);
	ringo_stream_destroy(c.src);
	ringo_stream_destroy(c.dst);
	return 0;
}

static void test_cancel(void **state)
{
	(void)state;
	run_rounds(END_TCP, END_TCP, 5 * MIB, cancel_body);
}

/* ---- a limit, and a stream copied to itself (an echo) ---- */

static intptr_t limit_body(void *arg)
{
	struct pair_test *p = arg;
	ringo_stream *src, *dst;
	assert_int_equal(ringo_stream_open(p->a[0], NULL, &src), 0);
	assert_int_equal(ringo_stream_open(p->b[0], NULL, &dst), 0);
	uint64_t moved = 0;
	size_t first = 3 * MIB + 12345;
	assert_int_equal(ringo_stream_copy(src, dst, first, RINGO_NO_DEADLINE, &moved),
			 (ssize_t)first);
	assert_int_equal(moved, first);
	/* The rest through the ordinary reads and writes. */
	static char buf[65536];
	size_t done = first;
	while (done < TOTAL) {
		ssize_t n = ringo_stream_read(src, buf, sizeof(buf));
		assert_true(n > 0);
		assert_int_equal(ringo_stream_write(dst, buf, (size_t)n), 0);
		assert_int_equal(ringo_stream_drain(dst), 0);
		done += (size_t)n;
	}
	assert_int_equal(ringo_stream_write_eof(dst), 0);
	ringo_stream_destroy(src);
	ringo_stream_destroy(dst);
	return 0;
}

static void test_limit(void **state)
{
	(void)state;
	run_rounds(END_TCP, END_TCP, TOTAL, limit_body);
}

static intptr_t echo_body(void *arg)
{
	struct pair_test *p = arg;
	ringo_stream *s;
	assert_int_equal(ringo_stream_open(p->a[0], NULL, &s), 0);
	assert_int_equal(ringo_stream_copy(s, s, 0, RINGO_NO_DEADLINE, NULL), (ssize_t)TOTAL);
	assert_int_equal(ringo_stream_write_eof(s), 0);
	ringo_stream_destroy(s);
	return 0;
}

static void test_echo(void **state)
{
	(void)state;
	run_rounds(END_TCP, END_SAME, TOTAL, echo_body);
}

/* ---- a file to a stream, a stream to an fd ---- */

static intptr_t file_body(void *arg)
{
	struct pair_test *p = arg; /* a[0]: the file; b[0]: the stream's socket */
	ringo_stream *dst;
	assert_int_equal(ringo_stream_open(p->b[0], NULL, &dst), 0);
	uint64_t moved;
	assert_int_equal(ringo_copy(ringo_copy_fd(p->a[0]), ringo_copy_stream(dst), 0,
				    RINGO_NO_DEADLINE, &moved),
			 (ssize_t)TOTAL);
	assert_int_equal(moved, TOTAL);
	assert_int_equal(ringo_stream_write_eof(dst), 0);
	ringo_stream_destroy(dst);
	return 0;
}

static void test_file_to_stream(void **state)
{
	(void)state;
	run_rounds(END_FILE, END_TCP, TOTAL, file_body);
}

static intptr_t to_fd_body(void *arg)
{
	struct pair_test *p = arg;
	ringo_stream *src;
	assert_int_equal(ringo_stream_open(p->a[0], NULL, &src), 0);
	uint64_t moved;
	assert_int_equal(ringo_copy(ringo_copy_stream(src), ringo_copy_fd(p->b[0]), 0,
				    RINGO_NO_DEADLINE, &moved),
			 (ssize_t)TOTAL);
	assert_int_equal(moved, TOTAL);
	ringo_stream_destroy(src);
	shutdown(p->b[0], SHUT_WR);
	close(p->b[0]);
	return 0;
}

static void test_stream_to_fd(void **state)
{
	(void)state;
	run_rounds(END_TCP, END_TCP, TOTAL, to_fd_body);
}

/* ---- pipes: spliced straight, with a deadline and a cancel mid-copy ---- */

/* A stream to a pipe whose reader stops after 3 MiB (the pipe fills):
 * the deadline, then a cancellation, end the copy while it waits to
 * write; the counts say what reached the pipe, and the copies after them
 * bring the rest. Then a pipe to a stream. */
static intptr_t to_pipe_task(void *arg)
{
	struct pair_test *t = arg;
	return ringo_copy(ringo_copy_stream(t->src), ringo_copy_fd(t->b[0]), 0, RINGO_NO_DEADLINE,
			  &t->moved);
}

static intptr_t to_pipe_body(void *arg)
{
	struct pair_test *t = arg;
	uint64_t bytes0, ops0;
	loop_counts(&bytes0, &ops0);
	assert_int_equal(ringo_stream_open(t->a[0], NULL, &t->src), 0);
	uint64_t moved = 0, total = 0;
	ssize_t n = ringo_copy(ringo_copy_stream(t->src), ringo_copy_fd(t->b[0]), 0,
			       ringo_deadline_in(RINGO_MSEC(500)), &moved);
	assert_int_equal(n, -ETIMEDOUT);
	assert_true(moved >= 3 * MIB && moved < TOTAL);
	total += moved;
	/* A cancellation while it waits again. */
	ringo_task *task;
	assert_int_equal(ringo_task_create(to_pipe_task, t, NULL, &task), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(200)), 0);
	ringo_task_cancel(task);
	assert_int_equal(ringo_task_await(task), -ECANCELED);
	ringo_task_unref(task);
	total += t->moved; /* what reached the pipe (the pipe was full: 0 likely) */
	atomic_store(&t->r.go, true);
	n = ringo_copy(ringo_copy_stream(t->src), ringo_copy_fd(t->b[0]), 0, RINGO_NO_DEADLINE,
		       &moved);
	assert_int_equal(n, (ssize_t)moved);
	total += moved;
	assert_int_equal(total, TOTAL);
	close(t->b[0]);
	ringo_stream_destroy(t->src);
	assert_settled(bytes0, ops0);
	return 0;
}

static void test_stream_to_pipe(void **state)
{
	(void)state;
	run_round(NULL, END_TCP, END_PIPE, TOTAL, 3 * MIB, to_pipe_body);
}

static intptr_t from_pipe_body(void *arg)
{
	struct pair_test *t = arg;
	ringo_stream *dst;
	assert_int_equal(ringo_stream_open(t->b[0], NULL, &dst), 0);
	uint64_t moved = 0;
	assert_int_equal(ringo_copy(ringo_copy_fd(t->a[0]), ringo_copy_stream(dst), 0,
				    RINGO_NO_DEADLINE, &moved),
			 (ssize_t)TOTAL);
	assert_int_equal(moved, TOTAL);
	assert_int_equal(ringo_stream_write_eof(dst), 0);
	ringo_stream_destroy(dst);
	return 0;
}

static void test_pipe_to_stream(void **state)
{
	(void)state;
	run_rounds(END_PIPE, END_TCP, TOTAL, from_pipe_body);
}

/* ---- a file to a file (demos/cat) ---- */

static intptr_t file_to_file_body(void *arg)
{
	int *fd = arg;
	uint64_t moved = 0;
	assert_int_equal(ringo_copy(ringo_copy_fd(fd[0]), ringo_copy_fd(fd[1]), 0,
				    RINGO_NO_DEADLINE, &moved),
			 (ssize_t)TOTAL);
	assert_int_equal(moved, TOTAL);
	return 0;
}

static void test_file_to_file(void **state)
{
	(void)state;
	const char *modes[] = { "rw", "splice" };
	static char buf[MIB];
	for (int m = 0; m < 2; m++) {
		int fds = harness_count_fds();
		setenv("RINGO_COPY", modes[m], 1);
		char out_path[] = "/tmp/ringo-test-copy-out-XXXXXX";
		int fd[2] = { file_with_pattern(TOTAL, 0), mkstemp(out_path) };
		assert_true(fd[1] >= 0);
		unlink(out_path);
		assert_int_equal(lseek(fd[0], 0, SEEK_SET), 0);
		assert_int_equal(harness_run(file_to_file_body, fd), 0);
		/* Both positions moved by the copy; the bytes are the same. */
		assert_int_equal(lseek(fd[0], 0, SEEK_CUR), (off_t)TOTAL);
		assert_int_equal(lseek(fd[1], 0, SEEK_CUR), (off_t)TOTAL);
		for (size_t off = 0; off < TOTAL; off += MIB) {
			assert_int_equal(pread(fd[1], buf, MIB, (off_t)off), (ssize_t)MIB);
			for (size_t i = 0; i < MIB; i++)
				if (buf[i] != pattern(off + i))
					fail_msg("byte %zu differs (%s)", off + i, modes[m]);
		}
		close(fd[0]);
		close(fd[1]);
		unsetenv("RINGO_COPY");
		assert_int_equal(harness_count_fds(), fds);
	}
}

/* Between two regular files the copy has several chunks in flight, each
 * spliced at its own offsets: a limit, positions that do not start at 0,
 * sizes that are no multiple of a chunk (1 byte, 16 MiB + 1), and a
 * cancellation at various points, after which the count is exact: the
 * output holds exactly the bytes counted (nothing past them), both
 * positions moved by that count, and no pipe is left open. */
/* Whether fd holds the pattern (from skew) on [off, off + n). */
static bool holds_pattern(int fd, off_t off, size_t n, size_t skew)
{
	static char buf[MIB];
	for (size_t done = 0; done < n;) {
		size_t want = n - done < MIB ? n - done : MIB;
		if (pread(fd, buf, want, off + (off_t)done) != (ssize_t)want)
			return false;
		for (size_t i = 0; i < want; i++)
			if (buf[i] != pattern(done + i + skew))
				return false;
		done += want;
	}
	return true;
}

struct files_arg {
	int in, out;
	uint64_t limit;
	uint64_t moved;
	ssize_t result;
	int64_t cancel_after_ns;  /* < 0: no cancel */
};

static intptr_t files_copy_task(void *arg)
{
	struct files_arg *f = arg;
	f->result = ringo_copy(ringo_copy_fd(f->in), ringo_copy_fd(f->out), f->limit,
			       RINGO_NO_DEADLINE, &f->moved);
	return 0;
}

static intptr_t files_body(void *arg)
{
	struct files_arg *f = arg;
	ringo_task *t;
	assert_int_equal(ringo_task_create(files_copy_task, f, NULL, &t), 0);
	if (f->cancel_after_ns >= 0) {
		assert_int_equal(ringo_sleep(f->cancel_after_ns), 0);
		ringo_task_cancel(t);
	}
	ringo_task_await(t);
	ringo_task_unref(t);
	return 0;
}

static void test_file_to_file_chunks(void **state)
{
	(void)state;
	int fds = harness_count_fds();
	setenv("RINGO_COPY", "splice", 1);
	/* Whole files of 1 byte and of 16 MiB + 1, from position 0. */
	size_t sizes[] = { 1, TOTAL + 1 };
	for (int k = 0; k < 2; k++) {
		int in = file_with_pattern(sizes[k], 0);
		int out = file_with_pattern(0, 0);
		assert_int_equal(lseek(in, 0, SEEK_SET), 0);
		struct files_arg f = { .in = in, .out = out, .cancel_after_ns = -1 };
		assert_int_equal(harness_run(files_body, &f), 0);
		assert_int_equal(f.result, (ssize_t)sizes[k]);
		assert_int_equal(f.moved, sizes[k]);
		assert_int_equal(lseek(in, 0, SEEK_CUR), (off_t)sizes[k]);
		assert_int_equal(lseek(out, 0, SEEK_CUR), (off_t)sizes[k]);
		assert_true(holds_pattern(out, 0, sizes[k], 0));
		close(in);
		close(out);
	}
	/* A limit, from positions past 0: the input at 12345, the output at
	 * 777 of a file that holds 8 MiB already (overwritten in place; the
	 * rest stays). */
	{
		size_t limit = 5 * MIB + 3;
		int in = file_with_pattern(TOTAL, 0);
		int out = file_with_pattern(8 * MIB, 99);
		assert_int_equal(lseek(in, 12345, SEEK_SET), 12345);
		assert_int_equal(lseek(out, 777, SEEK_SET), 777);
		struct files_arg f = { .in = in, .out = out, .limit = limit, .cancel_after_ns = -1 };
		assert_int_equal(harness_run(files_body, &f), 0);
		assert_int_equal(f.result, (ssize_t)limit);
		assert_int_equal(f.moved, limit);
		assert_int_equal(lseek(in, 0, SEEK_CUR), (off_t)(12345 + limit));
		assert_int_equal(lseek(out, 0, SEEK_CUR), (off_t)(777 + limit));
		assert_true(holds_pattern(out, 0, 777, 99));
		assert_true(holds_pattern(out, 777, limit, 12345));
		off_t end = 777 + (off_t)limit;
		assert_true(holds_pattern(out, end, 8 * MIB - (size_t)end, 99 + (size_t)end));
		struct stat st;
		assert_int_equal(fstat(out, &st), 0);
		assert_int_equal(st.st_size, (off_t)(8 * MIB));
		close(in);
		close(out);
	}
	/* Cancelled at various points: the count is exact. */
	int64_t delays[] = { 0, RINGO_MSEC(1), RINGO_MSEC(3), RINGO_MSEC(10) };
	for (int k = 0; k < 4; k++) {
		int in = file_with_pattern(TOTAL, 0);
		int out = file_with_pattern(0, 0);
		assert_int_equal(lseek(in, 0, SEEK_SET), 0);
		struct files_arg f = { .in = in, .out = out, .cancel_after_ns = delays[k] };
		assert_int_equal(harness_run(files_body, &f), 0);
		if (f.result != -ECANCELED)
			assert_int_equal(f.result, (ssize_t)TOTAL);
		assert_true(f.moved <= TOTAL);
		assert_int_equal(lseek(in, 0, SEEK_CUR), (off_t)f.moved);
		assert_int_equal(lseek(out, 0, SEEK_CUR), (off_t)f.moved);
		struct stat st;
		assert_int_equal(fstat(out, &st), 0);
		assert_int_equal(st.st_size, (off_t)f.moved);
		assert_true(holds_pattern(out, 0, f.moved, 0));
		close(in);
		close(out);
	}
	unsetenv("RINGO_COPY");
	assert_int_equal(harness_count_fds(), fds);
}

/* ---- bad input ---- */

static intptr_t bad_body(void *arg)
{
	(void)arg;
	uint64_t moved = 1;
	assert_int_equal(ringo_stream_copy(NULL, NULL, 0, RINGO_NO_DEADLINE, &moved), -EINVAL);
	assert_int_equal(moved, 0);
	assert_int_equal(ringo_copy(ringo_copy_fd(-1), ringo_copy_fd(1), 0, RINGO_NO_DEADLINE,
				    NULL),
			 -EBADF);
	return 0;
}

static void test_bad_input(void **state)
{
	(void)state;
	assert_int_equal(harness_run(bad_body, NULL), 0);
	assert_int_equal(ringo_copy(ringo_copy_fd(0), ringo_copy_fd(1), 0, RINGO_NO_DEADLINE,
				    NULL),
			 -EPERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_to_stream),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_echo),
		cmocka_unit_test(test_file_to_stream),
		cmocka_unit_test(test_stream_to_fd),
		cmocka_unit_test(test_stream_to_pipe),
		cmocka_unit_test(test_pipe_to_stream),
		cmocka_unit_test(test_file_to_file),
		cmocka_unit_test(test_file_to_file_chunks),
		cmocka_unit_test(test_bad_input),
	};
	return cmocka_run_group_tests_name("copy", tests, NULL, NULL);
}

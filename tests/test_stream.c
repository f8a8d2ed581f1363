/* SPDX-License-Identifier: MIT */
/* Streams (lib/io/stream.c): the readers' exact results, writing, closing,
 * deadlines, cancellation, flow control, and no byte lost or reordered
 * (with the loop's buffer ring, a tiny one, and none). */
#include "harness.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <ringo.h>

/* ---- fds ---- */

static void unix_pair(int fd[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd), 0);
}

static void write_str(int fd, const char *s)
{
	size_t n = strlen(s);
	assert_int_equal(write(fd, s, n), (ssize_t)n);
}

/* Opens a stream on fd[0]; fd[1] stays a plain fd for the test. */
static ringo_stream *open_stream(int fd, size_t limit)
{
	ringo_stream_opts o = { .limit = limit };
	ringo_stream *s = NULL;
	assert_int_equal(ringo_stream_open(fd, &o, &s), 0);
	return s;
}

/* ---- readers ---- */

static intptr_t readers_body(void *arg)
{
	int *fd = arg;
	ringo_stream *s = open_stream(fd[0], 16);
	char buf[64];
	write_str(fd[1], "one\ntwo\r\nthree--");
	assert_int_equal(ringo_stream_readline(s, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "one\n");
	assert_int_equal(ringo_stream_readuntil(s, "\r\n", 2, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "two\r\n", 5);
	/* A separator split across arrivals is found. */
	write_str(fd[1], "-four");
	assert_int_equal(ringo_stream_readuntil(s, "---", 3, buf, sizeof(buf)), 8);
	assert_memory_equal(buf, "three---", 8);
	assert_int_equal(ringo_stream_readexactly(s, buf, 4, NULL), 4);
	assert_memory_equal(buf, "four", 4);

	/* A line longer than the limit (16): -EMSGSIZE, and the data stays. */
	write_str(fd[1], "0123456789abcdefXYZ\n");
	assert_int_equal(ringo_stream_readline(s, buf, sizeof(buf)), -EMSGSIZE);
	/* Longer than cap too, even within the limit. */
	write_str(fd[1], "short\n");
	size_t got = 0;
	assert_int_equal(ringo_stream_readexactly(s, buf, 20, &got), 20);
	assert_int_equal(got, 20);
	assert_memory_equal(buf, "0123456789abcdefXYZ\n", 20);
	assert_int_equal(ringo_stream_readline(s, buf, 4), -EMSGSIZE);
	assert_int_equal(ringo_stream_readline(s, buf, 6), 6);
	assert_memory_equal(buf, "short\n", 6);
	/* Exactly the limit is fine; a separator found beyond it is not. */
	write_str(fd[1], "abcdefghijklmno\n");
	assert_int_equal(ringo_stream_readline(s, buf, sizeof(buf)), 16);
	assert_string_equal(buf, "abcdefghijklmno\n");
	write_str(fd[1], "abcdefghijklmnop\n");
	assert_int_equal(ringo_stream_readuntil(s, "\n", 1, buf, sizeof(buf)), -EMSGSIZE);
	assert_int_equal(ringo_stream_read(s, buf, sizeof(buf)), 17);

	/* read returns what is there, up to n. */
	write_str(fd[1], "hello");
	assert_int_equal(ringo_stream_read(s, buf, 3), 3);
	assert_memory_equal(buf, "hel", 3);
	assert_int_equal(ringo_stream_read(s, buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "lo", 2);

	/* The end: readexactly hands over what came with -ENODATA;
	 * readuntil leaves it buffered; readline returns the rest. */
	write_str(fd[1], "par");
	assert_int_equal(shutdown(fd[1], SHUT_WR), 0);
	assert_int_equal(ringo_stream_readuntil(s, "\n", 1, buf, sizeof(buf)), -ENODATA);
	assert_int_equal(ringo_stream_readexactly(s, buf, 10, &got), -ENODATA);
	assert_int_equal(got, 3);
	assert_memory_equal(buf, "par", 3);
	assert_true(ringo_stream_at_eof(s));
	assert_int_equal(ringo_stream_read(s, buf, sizeof(buf)), 0);
	assert_int_equal(ringo_stream_readline(s, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(ringo_stream_readexactly(s, buf, 0, &got), 0);
	ringo_stream_destroy(s);
	return 0;
}

static void test_readers(void **state)
{
	(void)state;
	int fd[2];
	unix_pair(fd);
	assert_int_equal(harness_run(readers_body, fd), 0);
	close(fd[1]);
	harness_tcp_pair(fd);
	assert_int_equal(harness_run(readers_body, fd), 0);
	close(fd[1]);
}

static intptr_t last_line_body(void *arg)
{
	int *fd = arg;
	ringo_stream *s = open_stream(fd[0], 0);
	char buf[16];
	write_str(fd[1], "a\nno newline");
	close(fd[1]);
	assert_int_equal(ringo_stream_readline(s, buf, sizeof(buf)), 2);
	assert_int_equal(ringo_stream_readline(s, buf, sizeof(buf)), 10);
	assert_string_equal(buf, "no newline");
	assert_int_equal(ringo_stream_readline(s, buf, sizeof(buf)), 0);
	ringo_stream_destroy(s);
	return 0;
}

static void test_last_line(void **state)
{
	(void)state;
	int fd[2];
	unix_pair(fd);
	assert_int_equal(harness_run(last_line_body, fd), 0);
}

static intptr_t peek_fill_body(void *arg)
{
	int *fd = arg;
	ringo_stream *s = open_stream(fd[0], 0);
	const void *p;
	assert_int_equal(ringo_stream_peek(s, &p), 0);
	write_str(fd[1], "abc");
	assert_int_equal(ringo_stream_fill(s), 3);
	assert_int_equal(ringo_stream_peek(s, &p), 3);
	assert_memory_equal(p, "abc", 3);
	ringo_stream_consume(s, 1);
	assert_int_equal(ringo_stream_peek(s, &p), 2);
	assert_memory_equal(p, "bc", 2);
	/* fill waits for more than is there. */
	write_str(fd[1], "de");
	assert_int_equal(ringo_stream_fill(s), 2);
	assert_int_equal(ringo_stream_peek(s, &p), 4);
	assert_memory_equal(p, "bcde", 4);
	/* fill_past counts from what the caller saw: more than 2 are there
	 * now, so it returns at once with how many are buffered. */
	assert_int_equal(ringo_stream_fill_past(s, 2), 4);
	write_str(fd[1], "f");
	assert_int_equal(ringo_stream_fill_past(s, 4), 5);
	assert_int_equal(ringo_stream_peek(s, &p), 5);
	assert_memory_equal(p, "bcdef", 5);
	ringo_stream_consume(s, 100); /* at most what is there */
	assert_int_equal(ringo_stream_peek(s, &p), 0);
	write_str(fd[1], "gh");
	close(fd[1]);
	/* At the end: what is buffered past seen, then 0. */
	assert_int_equal(ringo_stream_fill_past(s, 1), 2);
	assert_int_equal(ringo_stream_fill_past(s, 2), 0);
	ringo_stream_consume(s, 2);
	assert_int_equal(ringo_stream_fill(s), 0);
	assert_true(ringo_stream_at_eof(s));
	assert_int_equal(ringo_stream_fill_past(NULL, 0), -EINVAL);
	ringo_stream_destroy(s);
	return 0;
}

static void test_peek_fill_consume(void **state)
{
	(void)state;
	int fd[2];
	unix_pair(fd);
	assert_int_equal(harness_run(peek_fill_body, fd), 0);
}

/* The stream counts the bytes its reader has seen, and fill waits past
 * those: bytes that came while the task slept count. Arrivals are made
 * certain by a sleep (the recv's CQE comes before the timeout's). */
static intptr_t seen_body(void *arg)
{
	int *fd = arg;
	ringo_stream *s = open_stream(fd[0], 0);
	/* A fill that had to wait fails instead of hanging. */
	ringo_stream_set_deadline(s, ringo_deadline_in(RINGO_SEC(5)));
	const void *p;
	char buf[16];
	assert_int_equal(ringo_stream_peek(s, &p), 0);
	write_str(fd[1], "abc");
	assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);
	/* Seen: none; 3 came while the task slept. */
	assert_int_equal(ringo_stream_fill(s), 3);
	/* What fill returned counts as seen: the next one waits. */
	write_str(fd[1], "d");
	assert_int_equal(ringo_stream_fill(s), 1);
	assert_int_equal(ringo_stream_peek(s, &p), 4);
	assert_memory_equal(p, "abcd", 4);
	/* consume takes seen bytes first: 3 seen left. */
	ringo_stream_consume(s, 1);
	write_str(fd[1], "ef");
	assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);
	assert_int_equal(ringo_stream_fill(s), 2);
	assert_int_equal(ringo_stream_peek(s, &p), 5);
	assert_memory_equal(p, "bcdef", 5);
	/* So do the reads: "bc" consumed and "de" read leave "f" seen. */
	ringo_stream_consume(s, 2);
	assert_int_equal(ringo_stream_readexactly(s, buf, 2, NULL), 2);
	assert_memory_equal(buf, "de", 2);
	write_str(fd[1], "gh");
	assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);
	assert_int_equal(ringo_stream_fill(s), 2);
	/* "fgh" seen; a line read past them leaves none seen, so what came
	 * after the line is returned at once. */
	write_str(fd[1], "ij\nkl");
	assert_int_equal(ringo_stream_readline(s, buf, sizeof(buf)), 6);
	assert_string_equal(buf, "fghij\n");
	assert_int_equal(ringo_stream_fill(s), 2);
	/* fill_past sets the count: to 1, then to the 2 it returns. */
	assert_int_equal(ringo_stream_fill_past(s, 1), 2);
	write_str(fd[1], "m");
	assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);
	assert_int_equal(ringo_stream_fill(s), 1);
	assert_int_equal(ringo_stream_peek(s, &p), 3);
	assert_memory_equal(p, "klm", 3);
	/* A fill that times out leaves the count alone. */
	ringo_stream_set_deadline(s, ringo_deadline_in(RINGO_MSEC(10)));
	assert_int_equal(ringo_stream_fill(s), -ETIMEDOUT);
	ringo_stream_set_deadline(s, ringo_deadline_in(RINGO_SEC(5)));
	write_str(fd[1], "n");
	assert_int_equal(ringo_stream_fill(s), 1);
	/* At the end: 0 once nothing is buffered past the seen bytes. */
	close(fd[1]);
	assert_int_equal(ringo_stream_fill(s), 0);
	ringo_stream_consume(s, 1);
	assert_int_equal(ringo_stream_fill(s), 0);
	assert_int_equal(ringo_stream_peek(s, &p), 3);
	assert_memory_equal(p, "lmn", 3);
	ringo_stream_destroy(s);
	return 0;
}

static void test_fill_counts_seen(void **state)
{
	(void)state;
	int fd[2];
	unix_pair(fd);
	assert_int_equal(harness_run(seen_body, fd), 0);
}

/* A reader that never peeked: fill waits for bytes that come after it is
 * called, as if it had seen every byte buffered then; the first peek
 * starts the count. */
static intptr_t never_peeked_body(void *arg)
{
	int *fd = arg;
	ringo_stream *s = open_stream(fd[0], 0);
	ringo_stream_set_deadline(s, ringo_deadline_in(RINGO_SEC(5)));
	write_str(fd[1], "xy");
	assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);
	write_str(fd[1], "z");
	assert_int_equal(ringo_stream_fill(s), 1);
	char buf[4];
	assert_int_equal(ringo_stream_read(s, buf, 1), 1);
	write_str(fd[1], "w");
	assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);
	write_str(fd[1], "v");
	assert_int_equal(ringo_stream_fill(s), 1);
	const void *p;
	assert_int_equal(ringo_stream_peek(s, &p), 4);
	assert_memory_equal(p, "yzwv", 4);
	write_str(fd[1], "u");
	assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);
	assert_int_equal(ringo_stream_fill(s), 1);
	ringo_stream_destroy(s);
	close(fd[1]);
	return 0;
}

static void test_fill_never_peeked(void **state)
{
	(void)state;
	int fd[2];
	unix_pair(fd);
	assert_int_equal(harness_run(never_peeked_body, fd), 0);
}

/* docs/pipelining.md: a server peeks a request, answers it with more than
 * the socket buffers hold and drains; the client sends its next request
 * before it reads the reply, so it comes while the drain waits. A plain
 * fill after the drain returns it at once (it waited for a byte past it,
 * which the client only sends after the reply to it, before the stream
 * counted the seen bytes). */
struct drain_client {
	int fd;
	size_t reply;
	bool ok; /* the client saw every byte it expected */
};

/* Reads n bytes into buf (no cmocka asserts: it runs on a thread). */
static bool read_all(int fd, char *buf, size_t n)
{
	while (n) {
		ssize_t r = read(fd, buf, n);
		if (r <= 0)
			return false;
		buf += r;
		n -= (size_t)r;
	}
	return true;
}

static void *drain_client(void *arg)
{
	struct drain_client *c = arg;
	static char buf[64 * 1024];
	bool ok = write(c->fd, "one\n", 4) == 4 &&
		  read_all(c->fd, buf, 1) && /* the server has peeked "one\n" */
		  write(c->fd, "two\n", 4) == 4;
	for (size_t left = c->reply - 1; ok && left;) {
		size_t n = left < sizeof(buf) ? left : sizeof(buf);
		ok = read_all(c->fd, buf, n);
		left -= n;
	}
	c->ok = ok && read_all(c->fd, buf, 2) && memcmp(buf, "2\n", 2) == 0;
	close(c->fd);
	return NULL;
}

static intptr_t fill_after_drain_body(void *arg)
{
	struct drain_client *c = arg;
	ringo_stream *s = open_stream(c[1].fd, 0);
	ringo_stream_set_deadline(s, ringo_deadline_in(RINGO_SEC(5)));
	const void *p;
	assert_int_equal(ringo_stream_peek(s, &p), 0);
	assert_int_equal(ringo_stream_fill(s), 4);
	assert_int_equal(ringo_stream_peek(s, &p), 4);
	assert_memory_equal(p, "one\n", 4);
	ringo_stream_consume(s, 4);
	char *reply = calloc(1, c->reply);
	assert_non_null(reply);
	assert_int_equal(ringo_stream_write(s, reply, c->reply), 0);
	free(reply);
	assert_int_equal(ringo_stream_drain(s), 0);
	assert_int_equal(ringo_stream_fill(s), 4);
	assert_int_equal(ringo_stream_peek(s, &p), 4);
	assert_memory_equal(p, "two\n", 4);
	ringo_stream_consume(s, 4);
	assert_int_equal(ringo_stream_write(s, "2\n", 2), 0);
	assert_int_equal(ringo_stream_fill(s), 0);
	ringo_stream_destroy(s);
	return 0;
}

static void test_fill_after_drain(void **state)
{
	(void)state;
	int fd[2];
	harness_tcp_pair(fd);
	/* c[0] the client thread's end, c[1] the server's. */
	struct drain_client c[2] = {
		{ fd[1], harness_tcp_wmem_max() + (8u << 20), false },
		{ fd[0], 0, false },
	};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, drain_client, &c[0]), 0);
	assert_int_equal(harness_run(fill_after_drain_body, c), 0);
	pthread_join(th, NULL);
	assert_true(c[0].ok);
}

/* ---- 16 MiB through a pair of streams ---- */

#define BULK (16u << 20)

struct bulk {
	ringo_stream *w, *r;
	uint32_t seed;
};

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 2654435761u >> 13);
}

static intptr_t bulk_writer(void *arg)
{
	struct bulk *b = arg;
	static uint8_t chunk[100003]; /* odd sizes: no alignment luck */
	size_t off = 0;
	while (off < BULK) {
		size_t n = BULK - off < sizeof(chunk) ? BULK - off : sizeof(chunk);
		for (size_t i = 0; i < n; i++)
			chunk[i] = pattern(off + i);
		if (ringo_stream_write(b->w, chunk, n) < 0)
			return -EIO;
		int ret = ringo_stream_drain(b->w);
		if (ret < 0)
			return ret;
		off += n;
	}
	return ringo_stream_write_eof(b->w);
}

static intptr_t bulk_body(void *arg)
{
	int *fd = arg;
	struct bulk b;
	b.r = open_stream(fd[0], 0);
	b.w = open_stream(fd[1], 0);
	ringo_task *t;
	assert_int_equal(ringo_task_create(bulk_writer, &b, NULL, &t), 0);
	static uint8_t buf[65536 + 7];
	size_t off = 0;
	for (;;) {
		ssize_t n = ringo_stream_read(b.r, buf, sizeof(buf));
		assert_true(n >= 0);
		if (n == 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != pattern(off + (size_t)i))
				fail_msg("byte %zu differs", off + (size_t)i);
		off += (size_t)n;
	}
	assert_int_equal(off, BULK);
	assert_int_equal(ringo_task_await(t), 0);
	ringo_task_unref(t);
	assert_int_equal(ringo_stream_wait_closed(b.w), 0);
	ringo_stream_destroy(b.w);
	ringo_stream_destroy(b.r);
	return 0;
}

static void test_bulk(void **state)
{
	(void)state;
	int fd[2];
	unix_pair(fd);
	assert_int_equal(harness_run(bulk_body, fd), 0);
	harness_tcp_pair(fd);
	assert_int_equal(harness_run(bulk_body, fd), 0);
}

/* A pipe: IORING_OP_READ and WRITE; write_eof closes the write end. */
static void test_bulk_pipe(void **state)
{
	(void)state;
	int fd[2];
	assert_int_equal(pipe2(fd, O_CLOEXEC | O_NONBLOCK), 0);
	assert_int_equal(harness_run(bulk_body, fd), 0);
}

/* A pipe whose reader is gone: the write fails with -EPIPE, as on a
 * socket, and no SIGPIPE kills the process (RWF_NOSIGNAL, Linux 6.18). */
static intptr_t broken_pipe_body(void *arg)
{
	int *fd = arg;
	ringo_stream *s = open_stream(fd[1], 0);
	close(fd[0]);
	assert_int_equal(ringo_stream_write(s, "x", 1), 0);
	/* On a pipe: close, and the write error that ended it. */
	assert_int_equal(ringo_stream_write_eof(s), -EPIPE);
	ringo_stream_destroy(s);
	return 0;
}

static void test_broken_pipe(void **state)
{
	(void)state;
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	assert_true(null >= 0);
	struct iovec v = { .iov_base = (void *)"", .iov_len = 1 };
	bool nosignal = pwritev2(null, &v, 1, -1, 0x100 /* RWF_NOSIGNAL */) == 1;
	close(null);
	if (!nosignal)
		skip(); /* RWF_NOSIGNAL needs Linux 6.18: a broken pipe raises SIGPIPE */
	/* main() ignores SIGPIPE for the other tests: here it must kill. */
	void (*was)(int) = signal(SIGPIPE, SIG_DFL);
	int fd[2];
	assert_int_equal(pipe2(fd, O_CLOEXEC), 0);
	assert_int_equal(harness_run(broken_pipe_body, fd), 0);
	signal(SIGPIPE, was);
}

/* A regular file: read at the file position until its end. */
static intptr_t file_body(void *arg)
{
	int fd = *(int *)arg;
	ringo_stream *s = open_stream(fd, 0);
	char line[64];
	assert_int_equal(ringo_stream_readline(s, line, sizeof(line)), 6);
	assert_string_equal(line, "first\n");
	assert_int_equal(ringo_stream_readline(s, line, sizeof(line)), 6);
	assert_string_equal(line, "second");
	assert_int_equal(ringo_stream_read(s, line, sizeof(line)), 0);
	assert_true(ringo_stream_at_eof(s));
	ringo_stream_destroy(s);
	return 0;
}

static void test_file(void **state)
{
	(void)state;
	char path[] = "/tmp/ringo-test-stream-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	write_str(fd, "first\nsecond");
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(harness_run(file_body, &fd), 0);
}

/* ---- errors ---- */

static intptr_t reset_body(void *arg)
{
	int *fd = arg;
	ringo_stream *s = open_stream(fd[0], 0);
	char buf[16];
	write_str(fd[1], "bye");
	/* A close with SO_LINGER 0 resets the connection. */
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	assert_int_equal(setsockopt(fd[1], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(20)), 0);
	close(fd[1]);
	/* What arrived before the reset is still read, then the error. */
	assert_int_equal(ringo_stream_read(s, buf, sizeof(buf)), 3);
	assert_int_equal(ringo_stream_read(s, buf, sizeof(buf)), -ECONNRESET);
	assert_int_equal(ringo_stream_read(s, buf, sizeof(buf)), -ECONNRESET);
	/* Writing to it fails too: at once, or at drain. */
	int ret = ringo_stream_write(s, "x", 1);
	if (ret == 0)
		ret = ringo_stream_drain(s);
	if (ret == 0)
		ret = ringo_stream_wait_closed(s);
	assert_true(ret == -EPIPE || ret == -ECONNRESET);
	assert_int_equal(ringo_stream_write(s, "x", 1), -EPIPE);
	ringo_stream_destroy(s);
	return 0;
}

static void test_reset(void **state)
{
	(void)state;
	int fd[2];
	harness_tcp_pair(fd);
	assert_int_equal(harness_run(reset_body, fd), 0);
}

/* ---- deadlines and cancellation ---- */

static intptr_t deadline_body(void *arg)
{
	int *fd = arg;
	ringo_stream *s = open_stream(fd[0], 0);
	char buf[16];
	write_str(fd[1], "abc");
	ringo_stream_set_deadline(s, ringo_deadline_in(RINGO_MSEC(50)));
	int64_t t0 = ringo_time();
	size_t got = 99;
	assert_int_equal(ringo_stream_readexactly(s, buf, 10, &got), -ETIMEDOUT);
	assert_int_equal(got, 0);
	int64_t took = ringo_time() - t0;
	assert_true(took >= RINGO_MSEC(45));
	assert_true(took < RINGO_SEC(2));
	assert_int_equal(ringo_stream_readline(s, buf, sizeof(buf)), -ETIMEDOUT);
	/* The deadline has passed: what is buffered is still returned. */
	const void *p;
	assert_int_equal(ringo_stream_peek(s, &p), 3);
	ringo_stream_set_deadline(s, RINGO_NO_DEADLINE);
	write_str(fd[1], "defghij");
	assert_int_equal(ringo_stream_readexactly(s, buf, 10, &got), 10);
	assert_memory_equal(buf, "abcdefghij", 10);
	/* A deadline applies to drain and wait_closed too. */
	ringo_stream_set_deadline(s, ringo_deadline_in(RINGO_MSEC(20)));
	assert_int_equal(ringo_stream_fill(s), -ETIMEDOUT);
	ringo_stream_destroy(s);
	return 0;
}

static void test_deadline(void **state)
{
	(void)state;
	int fd[2];
	unix_pair(fd);
	assert_int_equal(harness_run(deadline_body, fd), 0);
	close(fd[1]);
}

struct cancel_case {
	ringo_stream *s;
	char buf[16];
};

static intptr_t cancel_reader(void *arg)
{
	struct cancel_case *c = arg;
	return ringo_stream_readexactly(c->s, c->buf, 8, NULL);
}

static intptr_t cancel_body(void *arg)
{
	int *fd = arg;
	struct cancel_case c = { .s = open_stream(fd[0], 0) };
	ringo_task *t;
	assert_int_equal(ringo_task_create(cancel_reader, &c, NULL, &t), 0);
	write_str(fd[1], "1234");
	assert_int_equal(ringo_sleep(RINGO_MSEC(20)), 0);
	assert_true(ringo_task_cancel(t));
	assert_int_equal(ringo_task_await(t), -ECANCELED);
	ringo_task_unref(t);
	/* Nothing was consumed. */
	write_str(fd[1], "5678");
	char buf[8];
	assert_int_equal(ringo_stream_readexactly(c.s, buf, 8, NULL), 8);
	assert_memory_equal(buf, "12345678", 8);
	ringo_stream_destroy(c.s);
	return 0;
}

static void test_cancel_reader(void **state)
{
	(void)state;
	int fd[2];
	unix_pair(fd);
	assert_int_equal(harness_run(cancel_body, fd), 0);
	close(fd[1]);
}

static intptr_t busy_reader(void *arg)
{
	char b;
	return ringo_stream_read(arg, &b, 1);
}

static intptr_t busy_body(void *arg)
{
	int *fd = arg;
	ringo_stream *s = open_stream(fd[0], 0);
	ringo_task *t;
	assert_int_equal(ringo_task_create(busy_reader, s, NULL, &t), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(5)), 0);
	char b;
	assert_int_equal(ringo_stream_read(s, &b, 1), -EBUSY);
	/* Destroying the stream wakes its reader with -ESHUTDOWN. */
	ringo_stream_destroy(s);
	assert_int_equal(ringo_task_await(t), -ESHUTDOWN);
	ringo_task_unref(t);
	return 0;
}

static void test_busy_and_destroy(void **state)
{
	(void)state;
	int fd[2];
	unix_pair(fd);
	assert_int_equal(harness_run(busy_body, fd), 0);
	close(fd[1]);
}

/* ---- flow control ---- */

struct flood {
	ringo_stream *w;
	size_t sent;
};

static intptr_t flooder(void *arg)
{
	struct flood *f = arg;
	static char chunk[32768];
	memset(chunk, 'f', sizeof(chunk));
	ringo_stream_set_deadline(f->w, ringo_deadline_in(RINGO_MSEC(300)));
	for (;;) {
		if (ringo_stream_write(f->w, chunk, sizeof(chunk)) < 0)
			return -EIO;
		int ret = ringo_stream_drain(f->w);
		if (ret == -ETIMEDOUT)
			return 0; /* pushed back */
		if (ret < 0)
			return ret;
		f->sent += sizeof(chunk);
		if (f->sent > (256u << 20))
			return -EFBIG; /* nothing pushed back */
	}
}

static intptr_t flow_body(void *arg)
{
	int *fd = arg;
	enum { LIMIT = 64 * 1024 };
	ringo_stream *r = open_stream(fd[0], LIMIT);
	struct flood f = { .w = open_stream(fd[1], 0) };
	ringo_task *t;
	assert_int_equal(ringo_task_create(flooder, &f, NULL, &t), 0);
	assert_int_equal(ringo_task_await(t), 0);
	ringo_task_unref(t);
	/* The flooder would have sent 256 MiB. With a multishot recv the
	 * stream reads ahead, and stopped at limit * 2 plus what was in
	 * flight; with single-shot recvs (no buffer ring: RINGO_BUFRING=0, or
	 * a kernel without one) it reads only while a reader waits, and none
	 * did: TCP alone pushed back. */
	struct ringo_loop_stats st;
	assert_int_equal(ringo_loop_stats(&st), 0);
	bool read_ahead = st.cqes_multishot > 0;
	size_t held = ringo_stream_peek(r, NULL);
	if (read_ahead) {
		assert_true(held >= 2 * LIMIT);
		assert_true(held <= 2 * LIMIT + 1024 * 1024);
	} else {
		assert_int_equal(held, 0);
	}
	/* Everything arrives once it reads. */
	ringo_stream_set_deadline(f.w, RINGO_NO_DEADLINE);
	assert_int_equal(ringo_stream_close(f.w), 0);
	size_t total = 0;
	static char buf[65536];
	ssize_t n;
	while ((n = ringo_stream_read(r, buf, sizeof(buf))) > 0)
		total += (size_t)n;
	assert_int_equal(n, 0);
	/* Every drained chunk, and the one whose drain timed out. */
	assert_int_equal(total, f.sent + 32768);
	assert_int_equal(ringo_stream_wait_closed(f.w), 0);
	ringo_stream_destroy(f.w);
	ringo_stream_destroy(r);
	return 0;
}

static void test_flow_control(void **state)
{
	(void)state;
	int fd[2];
	harness_tcp_pair(fd);
	assert_int_equal(harness_run(flow_body, fd), 0);
}

/* Reading resumes while the cancel that paused it is still in flight: the
 * CQE that completes a readexactly over limit * 2 also pauses the stream
 * (a cancel goes out), and the reader, resumed by that CQE, consumes it all
 * in the same step, which asks for reading again before the recv's last
 * CQE has come. The recv must be re-armed when that CQE comes (after the
 * cancel: -ECANCELED; before it: -ENOBUFS or data without more), or the
 * next bytes never arrive. Each round checks every byte; a lost re-arm
 * fails with -ETIMEDOUT. */
static intptr_t resume_body(void *arg)
{
	int *fd = arg;
	enum { LIMIT = 64, N = 300, ROUNDS = 50 };
	ringo_stream *s = open_stream(fd[0], LIMIT);
	ringo_stream_set_deadline(s, ringo_deadline_in(RINGO_SEC(10)));
	char out[N], in[N];
	for (int round = 0; round < ROUNDS; round++) {
		for (int i = 0; i < N; i++)
			out[i] = (char)pattern((size_t)(round * N + i));
		assert_int_equal(write(fd[1], out, N), N);
		assert_int_equal(ringo_stream_readexactly(s, in, N, NULL), N);
		assert_memory_equal(in, out, N);
		/* Nothing buffered: the next round's bytes must come from a
		 * recv armed again. */
		assert_int_equal(ringo_stream_peek(s, NULL), 0);
	}
	write_str(fd[1], "end");
	assert_int_equal(ringo_stream_readexactly(s, in, 3, NULL), 3);
	assert_memory_equal(in, "end", 3);
	ringo_stream_destroy(s);
	return 0;
}

static void test_resume_during_cancel(void **state)
{
	(void)state;
	int fd[2];
	harness_tcp_pair(fd);
	assert_int_equal(harness_run(resume_body, fd), 0);
	close(fd[1]);
}

/* The same with four 64-byte ring buffers: the 300 bytes come in pieces,
 * with -ENOBUFS between them. */
static void test_resume_during_cancel_tiny_ring(void **state)
{
	const char *was = getenv("RINGO_BUFRING");
	char *saved = was ? strdup(was) : NULL;
	setenv("RINGO_BUFRING", "4x64", 1);
	test_resume_during_cancel(state);
	if (saved)
		setenv("RINGO_BUFRING", saved, 1);
	else
		unsetenv("RINGO_BUFRING");
	free(saved);
}

/* ---- many connections at once ---- */

#define CONNS 64
#define PER_CONN (256 * 1024)

struct conn {
	int fd[2];
	ringo_stream *r, *w;
	size_t got;
};

static intptr_t conn_writer(void *arg)
{
	struct conn *c = arg;
	static char chunk[4096];
	for (size_t off = 0; off < PER_CONN; off += sizeof(chunk)) {
		for (size_t i = 0; i < sizeof(chunk); i++)
			chunk[i] = (char)pattern(off + i + (size_t)c->fd[0]);
		if (ringo_stream_write(c->w, chunk, sizeof(chunk)) < 0)
			return -EIO;
		int ret = ringo_stream_drain(c->w);
		if (ret < 0)
			return ret;
	}
	return ringo_stream_wait_closed(c->w);
}

static intptr_t conn_reader(void *arg)
{
	struct conn *c = arg;
	char buf[3000];
	ssize_t n;
	while ((n = ringo_stream_read(c->r, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != (char)pattern(c->got + (size_t)i + (size_t)c->fd[0]))
				return -EPROTO;
		c->got += (size_t)n;
	}
	return n == 0 && c->got == PER_CONN ? 0 : -EPROTO;
}

static intptr_t many_body(void *arg)
{
	struct conn *c = arg;
	ringo_task *t[2 * CONNS];
	for (int i = 0; i < CONNS; i++) {
		c[i].r = open_stream(c[i].fd[0], 0);
		c[i].w = open_stream(c[i].fd[1], 0);
		assert_int_equal(ringo_task_create(conn_reader, &c[i], NULL, &t[2 * i]), 0);
		assert_int_equal(ringo_task_create(conn_writer, &c[i], NULL, &t[2 * i + 1]), 0);
	}
	intptr_t res[2 * CONNS];
	assert_int_equal(ringo_gather(t, 2 * CONNS, res, RINGO_RETURN_EXCEPTIONS), 0);
	for (int i = 0; i < 2 * CONNS; i++) {
		assert_int_equal(res[i], 0);
		ringo_task_unref(t[i]);
	}
	for (int i = 0; i < CONNS; i++) {
		ringo_stream_destroy(c[i].r);
		ringo_stream_destroy(c[i].w);
	}
	return 0;
}

static void run_many(void)
{
	static struct conn c[CONNS];
	memset(c, 0, sizeof(c));
	for (int i = 0; i < CONNS; i++)
		harness_tcp_pair(c[i].fd);
	assert_int_equal(harness_run(many_body, c), 0);
}

/* Four 512-byte buffers for 64 connections: the ring runs dry all the
 * time (-ENOBUFS), and the recvs are re-armed without losing a byte. */
static void test_many_tiny_ring(void **state)
{
	(void)state;
	const char *was = getenv("RINGO_BUFRING");
	char *saved = was ? strdup(was) : NULL;
	setenv("RINGO_BUFRING", "4x512", 1);
	run_many();
	if (saved)
		setenv("RINGO_BUFRING", saved, 1);
	else
		unsetenv("RINGO_BUFRING");
	free(saved);
}

static void test_many(void **state)
{
	(void)state;
	run_many();
}

/* ---- writing and closing ---- */

static intptr_t write_eof_body(void *arg)
{
	int *fd = arg;
	ringo_stream *s = open_stream(fd[0], 0);
	assert_int_equal(ringo_stream_write(s, "request", 7), 0);
	assert_int_equal(ringo_stream_write_eof(s), 0);
	assert_int_equal(ringo_stream_write(s, "more", 4), -EPIPE);
	/* The peer sees the end, and can still answer. */
	char buf[16];
	assert_int_equal(read(fd[1], buf, sizeof(buf)), 7);
	assert_int_equal(read(fd[1], buf, sizeof(buf)), 0);
	write_str(fd[1], "reply");
	close(fd[1]);
	assert_int_equal(ringo_stream_readexactly(s, buf, 5, NULL), 5);
	assert_memory_equal(buf, "reply", 5);
	assert_int_equal(ringo_stream_read(s, buf, sizeof(buf)), 0);
	assert_int_equal(ringo_stream_wait_closed(s), 0);
	assert_int_equal(ringo_stream_fd(s), -1);
	ringo_stream_destroy(s);
	return 0;
}

static void test_write_eof(void **state)
{
	(void)state;
	int fd[2];
	unix_pair(fd);
	assert_int_equal(harness_run(write_eof_body, fd), 0);
}

static intptr_t close_body(void *arg)
{
	int *fd = arg;
	ringo_stream *s = open_stream(fd[0], 0);
	/* close flushes in the background, then closes the fd. */
	static char big[1 << 20];
	memset(big, 'c', sizeof(big));
	assert_int_equal(ringo_stream_write(s, big, sizeof(big)), 0);
	assert_int_equal(ringo_stream_close(s), 0);
	assert_int_equal(ringo_stream_close(s), 0);
	assert_int_equal(ringo_stream_write(s, "x", 1), -EPIPE);
	char buf[1];
	assert_int_equal(ringo_stream_read(s, buf, 1), 0);
	ringo_stream *r = open_stream(fd[1], 0);
	size_t total = 0;
	static char rbuf[65536];
	ssize_t n;
	while ((n = ringo_stream_read(r, rbuf, sizeof(rbuf))) > 0)
		total += (size_t)n;
	assert_int_equal(n, 0);
	assert_int_equal(total, sizeof(big));
	assert_int_equal(ringo_stream_wait_closed(s), 0);
	ringo_stream_destroy(s);
	ringo_stream_destroy(r);
	return 0;
}

static void test_close_flushes(void **state)
{
	(void)state;
	int fd[2];
	unix_pair(fd);
	assert_int_equal(harness_run(close_body, fd), 0);
}

/* Destroyed with a recv and a send in flight (the peer reads nothing):
 * the ops are cancelled and the stream freed by their CQEs (ASan checks). */
static intptr_t abort_body(void *arg)
{
	int *fd = arg;
	ringo_stream *s = open_stream(fd[0], 0);
	static char big[4 << 20];
	assert_int_equal(ringo_stream_write(s, big, sizeof(big)), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);
	ringo_stream_destroy(s);
	/* The fd is closed: the peer sees the end after what got through. */
	char buf[65536];
	ssize_t n;
	while ((n = ringo_recv(fd[1], buf, sizeof(buf), 0, RINGO_NO_DEADLINE)) > 0)
		;
	assert_int_equal(n, 0);
	return 0;
}

static void test_destroy_aborts(void **state)
{
	(void)state;
	int fd[2];
	unix_pair(fd);
	assert_int_equal(harness_run(abort_body, fd), 0);
	close(fd[1]);
}

/* issue 11 item 13: the peer sees the end before ringo_stream_destroy
 * returns, so a blocking call made right after it (no loop turn in
 * between) cannot wait for a close that the ring has not made yet. */
static intptr_t destroy_then_block_body(void *arg)
{
	int *fd = arg;
	ringo_stream *s = open_stream(fd[0], 0);
	assert_int_equal(ringo_sleep(0), 0); /* its recv is armed */
	ringo_stream_destroy(s);
	/* Plain blocking calls, bounded so that a regression fails, not hangs. */
	struct pollfd p = { .fd = fd[1], .events = POLLIN };
	char buf[8];
	assert_int_equal(poll(&p, 1, 2000), 1);
	assert_int_equal(read(fd[1], buf, sizeof(buf)), 0);
	return 0;
}

static void test_destroy_then_block(void **state)
{
	(void)state;
	int fd[2];
	harness_tcp_pair(fd);
	assert_int_equal(harness_run(destroy_then_block_body, fd), 0);
	close(fd[1]);
}

/* A stream the program never destroys does not keep ringo_run from
 * ending; it can be destroyed after its loop. */
static ringo_stream *forgotten;

static intptr_t forget_body(void *arg)
{
	int *fd = arg;
	forgotten = open_stream(fd[0], 0);
	static char big[4 << 20];
	assert_int_equal(ringo_stream_write(forgotten, big, sizeof(big)), 0);
	return 0;
}

static void test_forgotten_stream(void **state)
{
	(void)state;
	int fd[2];
	unix_pair(fd);
	assert_int_equal(harness_run(forget_body, fd), 0);
	char b[4];
	assert_int_equal(ringo_stream_read(forgotten, b, 4), -EPERM);
	assert_int_equal(ringo_stream_write(forgotten, b, 4), -EPERM);
	ringo_stream_destroy(forgotten);
	close(fd[1]);
}

/* ---- the idle timeout ---- */

static intptr_t idle_invalid_body(void *arg)
{
	int *fd = arg;
	ringo_stream_opts o = { .idle_timeout = -1 };
	ringo_stream *s = NULL;
	assert_int_equal(ringo_stream_open(fd[0], &o, &s), -EINVAL);
	assert_null(s);
	close(fd[0]);
	close(fd[1]);
	return 0;
}

struct dribble {
	int fd;
	int count;
	int64_t every;
};

/* Writes one byte every `every` ns, count times. */
static intptr_t dribble_body(void *arg)
{
	struct dribble *d = arg;
	for (int i = 0; i < d->count; i++) {
		assert_int_equal(ringo_sleep(d->every), 0);
		assert_int_equal(write(d->fd, "x", 1), 1);
	}
	return 0;
}

static intptr_t idle_body(void *arg)
{
	int *fd = arg;
	ringo_stream_opts o = { .idle_timeout = RINGO_MSEC(150) };
	ringo_stream *s = NULL;
	assert_int_equal(ringo_stream_open(fd[0], &o, &s), 0);
	char buf[16];
	/* Nothing comes: the read ends after the idle timeout, no sooner. */
	int64_t t0 = ringo_time();
	assert_int_equal(ringo_stream_read(s, buf, sizeof(buf)), -ETIMEDOUT);
	int64_t took = ringo_time() - t0;
	assert_true(took >= RINGO_MSEC(150));
	assert_true(took < RINGO_SEC(5));
	/* A byte every 50 ms keeps a readexactly of 8 alive for 400 ms,
	 * longer than the timeout: the timer re-arms itself for the rest. */
	struct dribble d = { fd[1], 8, RINGO_MSEC(50) };
	ringo_task *t;
	assert_int_equal(ringo_task_create(dribble_body, &d, NULL, &t), 0);
	assert_int_equal(ringo_stream_readexactly(s, buf, 8, NULL), 8);
	assert_memory_equal(buf, "xxxxxxxx", 8);
	assert_int_equal(ringo_task_await(t), 0);
	ringo_task_unref(t);
	/* A drain that cannot finish (the peer does not read) ends too. */
	static char big[1 << 20];
	int64_t t1 = ringo_time();
	int ret = 0;
	while (ret == 0 && ringo_time() - t1 < RINGO_SEC(5)) {
		ret = ringo_stream_write(s, big, sizeof(big));
		if (ret == 0)
			ret = ringo_stream_drain(s);
	}
	assert_int_equal(ret, -ETIMEDOUT);
	ringo_stream_destroy(s);
	close(fd[1]);
	return 0;
}

static void test_idle_timeout(void **state)
{
	(void)state;
	int fd[2];
	harness_tcp_pair(fd);
	harness_run(idle_body, fd);
}

static void test_idle_timeout_invalid(void **state)
{
	(void)state;
	int fd[2];
	unix_pair(fd);
	harness_run(idle_invalid_body, fd);
}

static void test_outside_a_loop(void **state)
{
	(void)state;
	ringo_stream *s;
	assert_int_equal(ringo_stream_open(0, NULL, &s), -EPERM);
	assert_int_equal(ringo_stream_fd(NULL), -EINVAL);
	assert_int_equal(ringo_stream_read(NULL, NULL, 0), -EINVAL);
	assert_int_equal(ringo_stream_close(NULL), -EINVAL);
	ringo_stream_destroy(NULL);
}

/* ---- the same without the buffer ring: single-shot recv ---- */

static int no_bufring(void **state)
{
	(void)state;
	setenv("RINGO_BUFRING", "0", 1);
	return 0;
}

static int default_bufring(void **state)
{
	(void)state;
	unsetenv("RINGO_BUFRING");
	return 0;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readers),
		cmocka_unit_test(test_last_line),
		cmocka_unit_test(test_peek_fill_consume),
		cmocka_unit_test(test_fill_counts_seen),
		cmocka_unit_test(test_fill_never_peeked),
		cmocka_unit_test(test_fill_after_drain),
		cmocka_unit_test(test_bulk),
		cmocka_unit_test(test_bulk_pipe),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_broken_pipe),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_cancel_reader),
		cmocka_unit_test(test_busy_and_destroy),
		cmocka_unit_test(test_flow_control),
		cmocka_unit_test(test_resume_during_cancel),
		cmocka_unit_test(test_resume_during_cancel_tiny_ring),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_many_tiny_ring),
		cmocka_unit_test(test_write_eof),
		cmocka_unit_test(test_close_flushes),
		cmocka_unit_test(test_destroy_aborts),
		cmocka_unit_test(test_destroy_then_block),
		cmocka_unit_test(test_forgotten_stream),
		cmocka_unit_test(test_idle_timeout),
		cmocka_unit_test(test_idle_timeout_invalid),
		cmocka_unit_test(test_outside_a_loop),
	};
	const struct CMUnitTest single_shot[] = {
		cmocka_unit_test(test_readers),
		cmocka_unit_test(test_fill_after_drain),
		cmocka_unit_test(test_bulk),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_cancel_reader),
		cmocka_unit_test(test_flow_control),
		cmocka_unit_test(test_resume_during_cancel),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_destroy_aborts),
		cmocka_unit_test(test_destroy_then_block),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("single-shot recv (RINGO_BUFRING=0)", single_shot,
					      no_bufring, default_bufring);
	return failed;
}

/* SPDX-License-Identifier: MIT */
/* sendfile (lib/io/sendfile.c, lib/io/splice.c): a file's bytes reach a TCP peer
 * intact, whole and in ranges, at an offset or the file's position; the
 * byte count after cancellation and a deadline is exactly what the peer
 * receives; a vanished peer is -EPIPE/-ECONNRESET without SIGPIPE; a
 * stream sends what it buffered first. Everything runs twice: by splice,
 * and with RINGO_SPLICE=0 by read + send (the test re-executes itself). */
#include "harness.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ringo.h>

#define FILE_SIZE (8u << 20)

static char file_path[64];

static unsigned char byte_at(size_t i)
{
	return (unsigned char)((i * 2654435761u) >> 13);
}

static int setup_file(void **state)
{
	(void)state;
	snprintf(file_path, sizeof(file_path), "/tmp/ringo-sendfile-%d", (int)getpid());
	int fd = open(file_path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	unsigned char *buf = malloc(FILE_SIZE);
	for (size_t i = 0; i < FILE_SIZE; i++)
		buf[i] = byte_at(i);
	assert_int_equal(write(fd, buf, FILE_SIZE), FILE_SIZE);
	free(buf);
	close(fd);
	return 0;
}

static int teardown_file(void **state)
{
	(void)state;
	unlink(file_path);
	return 0;
}

/* A connected TCP pair on loopback: a dialled, b accepted. */
static void tcp_pair(int *a, int *b)
{
	int fd[2];
	harness_tcp_pair(fd);
	*a = fd[1];
	*b = fd[0];
}

struct sink {
	int fd;
	size_t got, from;   /* bytes received; file offset of the first */
	size_t bad;
	size_t prefix;      /* bytes of "HEAD" expected before the file's */
};

static intptr_t sink_task(void *arg)
{
	struct sink *k = arg;
	static unsigned char buf[256 * 1024];
	for (;;) {
		ssize_t n = ringo_recv(k->fd, buf, sizeof(buf), 0, RINGO_NO_DEADLINE);
		if (n <= 0)
			return n;
		for (ssize_t i = 0; i < n; i++, k->got++) {
			unsigned char want = k->got < k->prefix ? (unsigned char)"HEAD"[k->got % 4]
								 : byte_at(k->from + k->got - k->prefix);
			if (buf[i] != want)
				k->bad++;
		}
	}
}

struct range {
	int64_t offset;
	size_t count, expect;
};

static intptr_t ranges_main(void *arg)
{
	(void)arg;
	const struct range ranges[] = {
		{ 0, 0, FILE_SIZE },                 /* the whole file */
		{ 1000, 12345, 12345 },              /* a range */
		{ FILE_SIZE - 10, 100, 10 },         /* past the end: what is there */
		{ FILE_SIZE, 0, 0 },                 /* at the end: nothing */
	};
	int file = ringo_open(file_path, O_RDONLY | O_CLOEXEC, 0, RINGO_NO_DEADLINE);
	assert_true(file >= 0);
	for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++) {
		int a, b;
		tcp_pair(&a, &b);
		struct sink k = { .fd = b, .from = (size_t)ranges[r].offset };
		ringo_task *t;
		assert_int_equal(ringo_task_create(sink_task, &k, NULL, &t), 0);
		size_t sent = 99;
		assert_int_equal(ringo_sendfile(a, file, ranges[r].offset, ranges[r].count, &sent,
						ringo_deadline_in(RINGO_SEC(30))),
				 (ssize_t)ranges[r].expect);
		assert_int_equal(sent, ranges[r].expect);
		assert_int_equal(ringo_shutdown(a, SHUT_WR, RINGO_NO_DEADLINE), 0);
		assert_int_equal(ringo_task_await(t), 0);
		ringo_task_unref(t);
		assert_int_equal(k.got, ranges[r].expect);
		assert_int_equal(k.bad, 0);
		close(a);
		close(b);
	}
	/* offset -1: from the file's position, which advances. */
	assert_int_equal(lseek(file, 100, SEEK_SET), 100);
	int a, b;
	tcp_pair(&a, &b);
	struct sink k = { .fd = b, .from = 100 };
	ringo_task *t;
	assert_int_equal(ringo_task_create(sink_task, &k, NULL, &t), 0);
	assert_int_equal(ringo_sendfile(a, file, -1, 5000, NULL, RINGO_NO_DEADLINE), 5000);
	assert_int_equal(ringo_sendfile(a, file, -1, 5000, NULL, RINGO_NO_DEADLINE), 5000);
	assert_int_equal(lseek(file, 0, SEEK_CUR), 10100);
	assert_int_equal(ringo_shutdown(a, SHUT_WR, RINGO_NO_DEADLINE), 0);
	assert_int_equal(ringo_task_await(t), 0);
	ringo_task_unref(t);
	assert_int_equal(k.got, 10000);
	assert_int_equal(k.bad, 0);
	close(a);
	close(b);
	assert_int_equal(ringo_sendfile(a, file, -2, 1, NULL, RINGO_NO_DEADLINE), -EINVAL);
	close(file);
	return 0;
}

static void test_ranges(void **state)
{
	(void)state;
	assert_int_equal(harness_run(ranges_main, NULL), 0);
}

/* ---- stopped half way: *sent is what the peer gets ---- */

struct sender {
	int sock, file;
	size_t sent;
	bool use_deadline;
};

static intptr_t sender_task(void *arg)
{
	struct sender *s = arg;
	ringo_deadline dl = s->use_deadline ? ringo_deadline_in(RINGO_MSEC(100)) : RINGO_NO_DEADLINE;
	/* Nobody reads yet: the socket buffers fill and the call waits. */
	return ringo_sendfile(s->sock, s->file, 0, 0, &s->sent, dl);
}

static intptr_t stopped_main(void *arg)
{
	bool use_deadline = arg != NULL;
	int file = ringo_open(file_path, O_RDONLY | O_CLOEXEC, 0, RINGO_NO_DEADLINE);
	int a, b;
	tcp_pair(&a, &b);
	struct sender s = { .sock = a, .file = file, .use_deadline = use_deadline };
	ringo_task *t;
	assert_int_equal(ringo_task_create(sender_task, &s, NULL, &t), 0);
	if (!use_deadline) {
		assert_int_equal(ringo_sleep(RINGO_MSEC(100)), 0);
		assert_true(ringo_task_cancel(t));
	}
	assert_int_equal(ringo_task_await(t), use_deadline ? -ETIMEDOUT : -ECANCELED);
	ringo_task_unref(t);
	assert_true(s.sent > 0);
	assert_true(s.sent < FILE_SIZE);
	assert_int_equal(ringo_shutdown(a, SHUT_WR, RINGO_NO_DEADLINE), 0);
	struct sink k = { .fd = b };
	assert_int_equal(sink_task(&k), 0);
	assert_int_equal(k.got, s.sent);
	assert_int_equal(k.bad, 0);
	close(a);
	close(b);
	close(file);
	return 0;
}

static void test_cancel(void **state)
{
	(void)state;
	assert_int_equal(harness_run(stopped_main, NULL), 0);
}

static void test_deadline(void **state)
{
	(void)state;
	assert_int_equal(harness_run(stopped_main, (void *)1), 0);
}

/* ---- the peer has gone ---- */

static intptr_t gone_main(void *arg)
{
	(void)arg;
	int file = ringo_open(file_path, O_RDONLY | O_CLOEXEC, 0, RINGO_NO_DEADLINE);
	int a, b;
	tcp_pair(&a, &b);
	close(b);
	size_t sent;
	ssize_t r = ringo_sendfile(a, file, 0, 0, &sent, ringo_deadline_in(RINGO_SEC(10)));
	assert_true(r == -EPIPE || r == -ECONNRESET);
	close(a);
	close(file);
	return 0;
}

static void test_peer_gone(void **state)
{
	(void)state;
	/* SIGPIPE at its default would kill the test. */
	assert_int_equal(harness_run(gone_main, NULL), 0);
}

/* ---- a stream: buffered bytes first ---- */

static intptr_t stream_main(void *arg)
{
	(void)arg;
	int file = ringo_open(file_path, O_RDONLY | O_CLOEXEC, 0, RINGO_NO_DEADLINE);
	int a, b;
	tcp_pair(&a, &b);
	ringo_stream *s;
	assert_int_equal(ringo_stream_open(a, NULL, &s), 0);
	struct sink k = { .fd = b, .from = 0, .prefix = 4000 };
	ringo_task *t;
	assert_int_equal(ringo_task_create(sink_task, &k, NULL, &t), 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(ringo_stream_write(s, "HEAD", 4), 0);
	size_t sent;
	assert_int_equal(ringo_stream_sendfile(s, file, 0, 1 << 20, &sent), 1 << 20);
	assert_int_equal(sent, 1 << 20);
	assert_int_equal(ringo_stream_write_eof(s), 0);
	assert_int_equal(ringo_task_await(t), 0);
	ringo_task_unref(t);
	assert_int_equal(k.got, 4000 + (1 << 20));
	assert_int_equal(k.bad, 0);
	assert_int_equal(ringo_stream_sendfile(s, file, 0, 1, &sent), -EPIPE);
	ringo_stream_destroy(s);
	close(b);
	close(file);
	return 0;
}

static void test_stream(void **state)
{
	(void)state;
	assert_int_equal(harness_run(stream_main, NULL), 0);
}

int main(int argc, char **argv)
{
	if (argc == 1 && !getenv("RINGO_SPLICE")) {
		pid_t pid = fork();
		if (pid == 0) {
			setenv("RINGO_SPLICE", "0", 1);
			execv("/proc/self/exe", argv);
			_exit(127);
		}
		int status;
		waitpid(pid, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			return 1;
	}
	fprintf(stderr, "RINGO_SPLICE=%s\n", getenv("RINGO_SPLICE") ? "0" : "(splice)");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_peer_gone),
		cmocka_unit_test(test_stream),
	};
	return cmocka_run_group_tests(tests, setup_file, teardown_file);
}

/* SPDX-License-Identifier: MIT */
/* Subprocesses (lib/os/process.c): spawning with pipes, /dev/null and given
 * fds, exit statuses, signals, deadlines, cancellation, communicate, and
 * that no path leaves a zombie or an fd behind. Every test runs twice: on
 * this kernel's paths (IORING_OP_WAITID, writes with RWF_NOSIGNAL), then
 * with RINGO_PROCESS_COMPAT=1 forcing those for older kernels (a POLL_ADD
 * on the pidfd, non-blocking writes with SIGPIPE blocked). An internal
 * test, only to ask the ring which opcodes the kernel has. */
#include "harness.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ringo.h>

#include "io/io.h"

#define OP_WAITID 50

/* No child at all: every one was reaped. */
static bool no_children(void)
{
	siginfo_t si;
	return waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD;
}

/* Runs body as a loop's main task; checks that it returned 0 and that no
 * fd and no child outlived the loop. */
static void run(intptr_t (*body)(void *), void *arg)
{
	int fds = harness_count_fds();
	assert_int_equal(harness_run(body, arg), 0);
	assert_int_equal(harness_count_fds(), fds);
	assert_true(no_children());
}

static const ringo_stdio PIPE = { RINGO_STDIO_PIPE, -1 };

/* ---- the paths in use ---- */

static intptr_t paths_body(void *arg)
{
	(void)arg;
	return ringo__ring_supports(ringo__io_ring(), OP_WAITID);
}

static void test_waitid_available(void **state)
{
	(void)state;
	if (getenv("RINGO_PROCESS_COMPAT"))
		return; /* this run is the fallback's */
	if (harness_run(paths_body, NULL) != 1)
		skip(); /* IORING_OP_WAITID needs Linux 6.7: only the fallback is tested */
}

/* ---- output and exit codes ---- */

static intptr_t echo_body(void *arg)
{
	(void)arg;
	const char *argv[] = { "/bin/echo", "hi", NULL };
	ringo_process_opts o = { .out = PIPE };
	ringo_process *p;
	assert_int_equal(ringo_process_spawn(argv, &o, &p), 0);
	assert_true(ringo_process_pid(p) > 0);
	assert_null(ringo_process_stdin(p));
	assert_null(ringo_process_stderr(p));
	ringo_stream *s = ringo_process_stdout(p);
	assert_non_null(s);
	char buf[16];
	assert_int_equal(ringo_stream_readline(s, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "hi\n");
	assert_int_equal(ringo_stream_read(s, buf, sizeof(buf)), 0);
	int rc = -1;
	assert_int_equal(ringo_process_wait(p, &rc, RINGO_NO_DEADLINE), 0);
	assert_int_equal(rc, 0);
	assert_true(ringo_process_returncode(p, &rc));
	assert_int_equal(rc, 0);
	/* Exited: waiting again answers at once, signals find nobody. */
	rc = -1;
	assert_int_equal(ringo_process_wait(p, &rc, RINGO_NO_DEADLINE), 0);
	assert_int_equal(rc, 0);
	assert_int_equal(ringo_process_kill(p), -ESRCH);
	assert_int_equal(ringo_process_destroy(p), 0);

	/* The same through communicate. */
	assert_int_equal(ringo_process_spawn(argv, &o, &p), 0);
	char *out, *err;
	size_t outlen, errlen;
	rc = -1;
	assert_int_equal(ringo_process_communicate(p, NULL, 0, &out, &outlen, &err, &errlen,
						   &rc, RINGO_NO_DEADLINE),
			 0);
	assert_int_equal(rc, 0);
	assert_int_equal(outlen, 3);
	assert_string_equal(out, "hi\n");
	assert_null(err); /* stderr was inherited */
	assert_int_equal(errlen, 0);
	free(out);
	assert_int_equal(ringo_process_destroy(p), 0);
	return 0;
}

/* A conversation with cat through the streams, line by line. */
static intptr_t dialogue_body(void *arg)
{
	(void)arg;
	const char *argv[] = { "cat", NULL };
	ringo_process_opts o = { .in = PIPE, .out = PIPE };
	ringo_process *p;
	assert_int_equal(ringo_process_spawn(argv, &o, &p), 0);
	ringo_stream *in = ringo_process_stdin(p), *out = ringo_process_stdout(p);
	/* stdin is a pipe where writes can refuse SIGPIPE, else a socket. */
	struct stat st;
	assert_int_equal(fstat(ringo_stream_fd(in), &st), 0);
	if (getenv("RINGO_PROCESS_COMPAT") || !ringo__io_rwf_nosignal())
		assert_true(S_ISSOCK(st.st_mode));
	else
		assert_true(S_ISFIFO(st.st_mode));
	char line[32];
	for (int i = 0; i < 3; i++) {
		char msg[32];
		int n = snprintf(msg, sizeof(msg), "line %d\n", i);
		assert_int_equal(ringo_stream_write(in, msg, (size_t)n), 0);
		assert_int_equal(ringo_stream_drain(in), 0);
		assert_int_equal(ringo_stream_readline(out, line, sizeof(line)), n);
		assert_string_equal(line, msg);
	}
	/* Closing its stdin ends cat. */
	assert_int_equal(ringo_stream_write_eof(in), 0);
	assert_int_equal(ringo_stream_readline(out, line, sizeof(line)), 0);
	int rc = -1;
	assert_int_equal(ringo_process_wait(p, &rc, RINGO_NO_DEADLINE), 0);
	assert_int_equal(rc, 0);
	assert_int_equal(ringo_process_destroy(p), 0);

	/* Writing to a child that has exited fails; no SIGPIPE kills us. */
	const char *tru[] = { "true", NULL };
	assert_int_equal(ringo_process_spawn(tru, &o, &p), 0);
	assert_int_equal(ringo_process_wait(p, &rc, RINGO_NO_DEADLINE), 0);
	assert_int_equal(ringo_stream_write(ringo_process_stdin(p), "abc", 3), 0);
	int ret = ringo_stream_write_eof(ringo_process_stdin(p));
	assert_true(ret == -EPIPE || ret == -ECONNRESET);
	assert_int_equal(ringo_process_destroy(p), 0);

	/* Released with output unread and input unwritten: nothing leaks. */
	assert_int_equal(ringo_process_spawn(argv, &o, &p), 0);
	assert_int_equal(ringo_stream_write(ringo_process_stdin(p), "abc", 3), 0);
	assert_int_equal(ringo_process_destroy(p), 0);
	return 0;
}

static void test_dialogue(void **state)
{
	(void)state;
	run(dialogue_body, NULL);
}

static void test_echo(void **state)
{
	(void)state;
	run(echo_body, NULL);
}

static intptr_t exit_code_body(void *arg)
{
	(void)arg;
	const char *argv[] = { "sh", "-c", "exit 3", NULL };
	ringo_process *p;
	assert_int_equal(ringo_process_spawn(argv, NULL, &p), 0);
	int rc = -1;
	assert_int_equal(ringo_process_wait(p, &rc, RINGO_NO_DEADLINE), 0);
	assert_int_equal(rc, 3);
	assert_int_equal(ringo_process_destroy(p), 0);
	/* A signal the child sends itself is a negative return code too. */
	const char *argv2[] = { "sh", "-c", "kill -USR1 $$", NULL };
	assert_int_equal(ringo_process_spawn(argv2, NULL, &p), 0);
	assert_int_equal(ringo_process_wait(p, &rc, RINGO_NO_DEADLINE), 0);
	assert_int_equal(rc, -SIGUSR1);
	assert_int_equal(ringo_process_destroy(p), 0);
	return 0;
}

static void test_exit_code(void **state)
{
	(void)state;
	run(exit_code_body, NULL);
}

static intptr_t stdio_body(void *arg)
{
	(void)arg;
	char *out, *err;
	size_t outlen, errlen;
	int rc;
	ringo_process *p;
	/* stdout and stderr apart, then together (2>&1). */
	const char *argv[] = { "sh", "-c", "echo out; echo err >&2; exit 5", NULL };
	ringo_process_opts o = { .out = PIPE, .err = PIPE };
	assert_int_equal(ringo_process_spawn(argv, &o, &p), 0);
	assert_int_equal(ringo_process_communicate(p, NULL, 0, &out, &outlen, &err, &errlen,
						   &rc, RINGO_NO_DEADLINE),
			 0);
	assert_int_equal(rc, 5);
	assert_string_equal(out, "out\n");
	assert_string_equal(err, "err\n");
	assert_int_equal(errlen, 4);
	free(out);
	free(err);
	assert_int_equal(ringo_process_destroy(p), 0);

	o.err = (ringo_stdio){ RINGO_STDIO_STDOUT, -1 };
	assert_int_equal(ringo_process_spawn(argv, &o, &p), 0);
	assert_int_equal(ringo_process_communicate(p, NULL, 0, &out, &outlen, &err, &errlen,
						   &rc, RINGO_NO_DEADLINE),
			 0);
	assert_string_equal(out, "out\nerr\n");
	assert_null(err);
	free(out);
	assert_int_equal(ringo_process_destroy(p), 0);

	/* /dev/null in, nothing out; a pipe nobody collects is still read. */
	const char *cat[] = { "cat", NULL };
	o = (ringo_process_opts){ .in = { RINGO_STDIO_DEVNULL, -1 }, .out = PIPE,
				  .err = { RINGO_STDIO_DEVNULL, -1 } };
	assert_int_equal(ringo_process_spawn(cat, &o, &p), 0);
	assert_int_equal(ringo_process_communicate(p, NULL, 0, &out, &outlen, NULL, NULL, &rc,
						   RINGO_NO_DEADLINE),
			 0);
	assert_int_equal(rc, 0);
	assert_int_equal(outlen, 0);
	assert_string_equal(out, "");
	free(out);
	assert_int_equal(ringo_process_destroy(p), 0);

	/* A given fd: the child writes into the caller's pipe. */
	int fds[2];
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	const char *hello[] = { "sh", "-c", "printf hello", NULL };
	o = (ringo_process_opts){ .out = { RINGO_STDIO_FD, fds[1] } };
	assert_int_equal(ringo_process_spawn(hello, &o, &p), 0);
	close(fds[1]);
	assert_int_equal(ringo_process_wait(p, &rc, RINGO_NO_DEADLINE), 0);
	char buf[16];
	assert_int_equal(read(fds[0], buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	close(fds[0]);
	assert_int_equal(ringo_process_destroy(p), 0);

	/* A given fd below 3 that an earlier dup2 would overwrite in the
	 * child: its stdout is our fd 0, which its stdin pipe takes. */
	int saved0 = dup(0);
	assert_true(saved0 >= 0);
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	assert_int_equal(dup2(fds[1], 0), 0);
	close(fds[1]);
	const char *lifted[] = { "echo", "lifted", NULL };
	o = (ringo_process_opts){ .in = PIPE, .out = { RINGO_STDIO_FD, 0 } };
	int ret = ringo_process_spawn(lifted, &o, &p);
	assert_int_equal(dup2(saved0, 0), 0);
	close(saved0);
	assert_int_equal(ret, 0);
	assert_int_equal(ringo_process_communicate(p, NULL, 0, NULL, NULL, NULL, NULL, &rc, RINGO_NO_DEADLINE),
			 0);
	assert_int_equal(rc, 0);
	assert_int_equal(read(fds[0], buf, sizeof(buf)), 7);
	assert_memory_equal(buf, "lifted\n", 7);
	close(fds[0]);
	assert_int_equal(ringo_process_destroy(p), 0);

	/* Environment and working directory. */
	const char *env[] = { "GREETING=bonjour", NULL };
	const char *show[] = { "/bin/sh", "-c", "echo $GREETING; pwd", NULL };
	o = (ringo_process_opts){ .out = PIPE, .env = env, .cwd = "/" };
	assert_int_equal(ringo_process_spawn(show, &o, &p), 0);
	assert_int_equal(ringo_process_communicate(p, NULL, 0, &out, &outlen, NULL, NULL, &rc,
						   RINGO_NO_DEADLINE),
			 0);
	assert_string_equal(out, "bonjour\n/\n");
	free(out);
	assert_int_equal(ringo_process_destroy(p), 0);
	return 0;
}

static void test_stdio(void **state)
{
	(void)state;
	run(stdio_body, NULL);
}

/* ---- communicate ---- */

#define MIB (1024 * 1024)

static intptr_t cat_body(void *arg)
{
	(void)arg;
	char *in = malloc(MIB);
	assert_non_null(in);
	for (size_t i = 0; i < MIB; i++)
		in[i] = (char)(i * 7 + i / 4096);
	/* 1 MiB through cat, far more than a pipe holds: writing all before
	 * reading would deadlock. */
	const char *argv[] = { "cat", NULL };
	ringo_process_opts o = { .in = PIPE, .out = PIPE };
	ringo_process *p;
	assert_int_equal(ringo_process_spawn(argv, &o, &p), 0);
	char *out;
	size_t outlen;
	int rc = -1;
	assert_int_equal(ringo_process_communicate(p, in, MIB, &out, &outlen, NULL, NULL, &rc,
						   ringo_deadline_in(RINGO_SEC(10))),
			 0);
	assert_int_equal(rc, 0);
	assert_int_equal(outlen, MIB);
	assert_memory_equal(out, in, MIB);
	free(out);
	assert_int_equal(ringo_process_destroy(p), 0);

	/* A child that never reads its stdin: the write sees a broken pipe,
	 * which is no error and raises no SIGPIPE here. */
	const char *tru[] = { "true", NULL };
	assert_int_equal(ringo_process_spawn(tru, &o, &p), 0);
	assert_int_equal(ringo_process_communicate(p, in, MIB, &out, &outlen, NULL, NULL, &rc,
						   RINGO_NO_DEADLINE),
			 0);
	assert_int_equal(rc, 0);
	assert_int_equal(outlen, 0);
	free(out);
	assert_int_equal(ringo_process_destroy(p), 0);

	/* Input without a stdin pipe is refused. */
	assert_int_equal(ringo_process_spawn(tru, NULL, &p), 0);
	assert_int_equal(ringo_process_communicate(p, "x", 1, &out, &outlen, NULL, NULL, &rc,
						   RINGO_NO_DEADLINE),
			 -EINVAL);
	assert_null(out);
	assert_int_equal(ringo_process_wait(p, &rc, RINGO_NO_DEADLINE), 0);
	assert_int_equal(ringo_process_destroy(p), 0);
	free(in);
	return 0;
}

static void test_communicate(void **state)
{
	(void)state;
	run(cat_body, NULL);
}

static intptr_t communicate_deadline_body(void *arg)
{
	(void)arg;
	const char *argv[] = { "sleep", "10", NULL };
	ringo_process_opts o = { .in = PIPE, .out = PIPE };
	ringo_process *p;
	assert_int_equal(ringo_process_spawn(argv, &o, &p), 0);
	char *out = (char *)1;
	size_t outlen;
	int rc = 99;
	int64_t t0 = ringo_time();
	assert_int_equal(ringo_process_communicate(p, NULL, 0, &out, &outlen, NULL, NULL, &rc,
						   ringo_deadline_in(RINGO_MSEC(50))),
			 -ETIMEDOUT);
	assert_true(ringo_time() - t0 < RINGO_SEC(5));
	assert_null(out);
	assert_int_equal(rc, 99);
	assert_int_equal(ringo_process_kill(p), 0);
	assert_int_equal(ringo_process_wait(p, &rc, RINGO_NO_DEADLINE), 0);
	assert_int_equal(rc, -SIGKILL);
	assert_int_equal(ringo_process_destroy(p), 0);
	return 0;
}

static void test_communicate_deadline(void **state)
{
	(void)state;
	run(communicate_deadline_body, NULL);
}

/* ---- signals, deadlines, cancellation ---- */

static intptr_t kill_body(void *arg)
{
	(void)arg;
	const char *argv[] = { "sleep", "10", NULL };
	ringo_process *p;
	int rc;
	assert_int_equal(ringo_process_spawn(argv, NULL, &p), 0);
	assert_false(ringo_process_returncode(p, &rc));
	int64_t t0 = ringo_time();
	assert_int_equal(ringo_process_kill(p), 0);
	assert_int_equal(ringo_process_wait(p, &rc, RINGO_NO_DEADLINE), 0);
	assert_int_equal(rc, -SIGKILL);
	assert_true(ringo_time() - t0 < RINGO_SEC(5));
	assert_int_equal(ringo_process_destroy(p), 0);

	assert_int_equal(ringo_process_spawn(argv, NULL, &p), 0);
	assert_int_equal(ringo_process_terminate(p), 0);
	assert_int_equal(ringo_process_wait(p, &rc, RINGO_NO_DEADLINE), 0);
	assert_int_equal(rc, -SIGTERM);
	assert_int_equal(ringo_process_send_signal(p, SIGTERM), -ESRCH);
	assert_int_equal(ringo_process_destroy(p), 0);
	return 0;
}

static void test_kill(void **state)
{
	(void)state;
	run(kill_body, NULL);
}

static intptr_t deadline_body(void *arg)
{
	(void)arg;
	const char *argv[] = { "sleep", "10", NULL };
	ringo_process *p;
	assert_int_equal(ringo_process_spawn(argv, NULL, &p), 0);
	int rc = 99;
	int64_t t0 = ringo_time();
	assert_int_equal(ringo_process_wait(p, &rc, ringo_deadline_in(RINGO_MSEC(50))),
			 -ETIMEDOUT);
	int64_t took = ringo_time() - t0;
	assert_true(took >= RINGO_MSEC(50));
	assert_true(took < RINGO_SEC(5));
	assert_int_equal(rc, 99);
	assert_false(ringo_process_returncode(p, NULL));
	/* Still waitable. */
	assert_int_equal(ringo_process_kill(p), 0);
	assert_int_equal(ringo_process_wait(p, &rc, ringo_deadline_in(RINGO_SEC(5))), 0);
	assert_int_equal(rc, -SIGKILL);
	assert_int_equal(ringo_process_destroy(p), 0);
	return 0;
}

static void test_deadline(void **state)
{
	(void)state;
	run(deadline_body, NULL);
}

struct waiting {
	ringo_process *p;
	int rc;
	int ret;
};

static intptr_t waiter(void *arg)
{
	struct waiting *w = arg;
	w->ret = ringo_process_wait(w->p, &w->rc, RINGO_NO_DEADLINE);
	return w->ret;
}

static intptr_t cancel_body(void *arg)
{
	(void)arg;
	const char *argv[] = { "sleep", "10", NULL };
	struct waiting w = { .rc = 99 };
	assert_int_equal(ringo_process_spawn(argv, NULL, &w.p), 0);
	ringo_task *t;
	assert_int_equal(ringo_task_create(waiter, &w, NULL, &t), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(20)), 0);
	/* A task is waiting: the process cannot go away under it. */
	assert_int_equal(ringo_process_destroy(w.p), -EBUSY);
	int64_t t0 = ringo_time();
	assert_true(ringo_task_cancel(t));
	assert_int_equal(ringo_task_await(t), -ECANCELED);
	assert_true(ringo_time() - t0 < RINGO_SEC(5));
	assert_int_equal(w.ret, -ECANCELED);
	assert_int_equal(w.rc, 99);
	ringo_task_unref(t);
	assert_false(ringo_process_returncode(w.p, NULL));

	/* Waitable again, by several tasks at once. */
	struct waiting w2 = { .p = w.p, .rc = 99 };
	ringo_task *t2;
	assert_int_equal(ringo_task_create(waiter, &w, NULL, &t), 0);
	assert_int_equal(ringo_task_create(waiter, &w2, NULL, &t2), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(20)), 0);
	assert_int_equal(ringo_process_kill(w.p), 0);
	int rc;
	assert_int_equal(ringo_process_wait(w.p, &rc, RINGO_NO_DEADLINE), 0);
	assert_int_equal(rc, -SIGKILL);
	assert_int_equal(ringo_task_await(t), 0);
	assert_int_equal(ringo_task_await(t2), 0);
	assert_int_equal(w.rc, -SIGKILL);
	assert_int_equal(w2.rc, -SIGKILL);
	ringo_task_unref(t);
	ringo_task_unref(t2);
	assert_int_equal(ringo_process_destroy(w.p), 0);
	return 0;
}

static void test_cancel(void **state)
{
	(void)state;
	run(cancel_body, NULL);
}

struct talker {
	ringo_process *p;
	const char *in;
	int ret;
};

static intptr_t talker(void *arg)
{
	struct talker *c = arg;
	char *out = (char *)1;
	size_t outlen;
	int rc;
	c->ret = ringo_process_communicate(c->p, c->in, MIB, &out, &outlen, NULL, NULL, &rc,
					   RINGO_NO_DEADLINE);
	assert_null(out);
	return c->ret;
}

static intptr_t cancel_communicate_body(void *arg)
{
	(void)arg;
	/* A child that neither reads nor exits: the input fills the pipe and
	 * blocks the feeding task, the readers wait for output. */
	const char *argv[] = { "sleep", "10", NULL };
	ringo_process_opts o = { .in = PIPE, .out = PIPE, .err = PIPE };
	struct talker c = { .in = calloc(1, MIB) };
	assert_non_null(c.in);
	assert_int_equal(ringo_process_spawn(argv, &o, &c.p), 0);
	ringo_task *t;
	assert_int_equal(ringo_task_create(talker, &c, NULL, &t), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(20)), 0);
	int64_t t0 = ringo_time();
	assert_true(ringo_task_cancel(t));
	assert_int_equal(ringo_task_await(t), -ECANCELED);
	assert_true(ringo_time() - t0 < RINGO_SEC(5));
	assert_int_equal(c.ret, -ECANCELED);
	ringo_task_unref(t);
	int rc;
	assert_int_equal(ringo_process_kill(c.p), 0);
	assert_int_equal(ringo_process_wait(c.p, &rc, RINGO_NO_DEADLINE), 0);
	assert_int_equal(rc, -SIGKILL);
	assert_int_equal(ringo_process_destroy(c.p), 0);
	free((void *)c.in);
	return 0;
}

static void test_cancel_communicate(void **state)
{
	(void)state;
	run(cancel_communicate_body, NULL);
}

/* ---- errors ---- */

static intptr_t errors_body(void *arg)
{
	(void)arg;
	ringo_process *p = NULL;
	const char *missing[] = { "/nonexistent/ringo-no-such-program", NULL };
	assert_int_equal(ringo_process_spawn(missing, NULL, &p), -ENOENT);
	assert_null(p);
	const char *unknown[] = { "ringo-no-such-program-in-path", NULL };
	ringo_process_opts o = { .in = PIPE, .out = PIPE, .err = PIPE };
	assert_int_equal(ringo_process_spawn(unknown, &o, &p), -ENOENT);
	const char *notexec[] = { "/etc/passwd", NULL };
	assert_int_equal(ringo_process_spawn(notexec, NULL, &p), -EACCES);
	const char *empty[] = { NULL };
	assert_int_equal(ringo_process_spawn(empty, NULL, &p), -EINVAL);
	const char *tru[] = { "true", NULL };
	o = (ringo_process_opts){ .in = { RINGO_STDIO_STDOUT, -1 } };
	assert_int_equal(ringo_process_spawn(tru, &o, &p), -EINVAL);
	o = (ringo_process_opts){ .out = { RINGO_STDIO_FD, -1 } };
	assert_int_equal(ringo_process_spawn(tru, &o, &p), -EINVAL);
	o = (ringo_process_opts){ .out = { 42, -1 } };
	assert_int_equal(ringo_process_spawn(tru, &o, &p), -EINVAL);
	assert_int_equal(ringo_process_destroy(NULL), 0);
	return 0;
}

static void test_errors(void **state)
{
	(void)state;
	run(errors_body, NULL);
	/* Outside a loop. */
	const char *tru[] = { "true", NULL };
	ringo_process *p;
	assert_int_equal(ringo_process_spawn(tru, NULL, &p), -EPERM);
}

/* ---- no zombie, no fd ---- */

#define AT_ONCE 8

struct many {
	int n;
	int next;
	int ok;
};

static intptr_t spawner(void *arg)
{
	struct many *m = arg;
	const char *argv[] = { "/bin/true", NULL };
	while (m->next < m->n) {
		m->next++;
		ringo_process *p;
		int ret = ringo_process_spawn(argv, NULL, &p);
		if (ret < 0)
			return ret;
		int rc = -1;
		ret = ringo_process_wait(p, &rc, RINGO_NO_DEADLINE);
		ringo_process_destroy(p);
		if (ret < 0)
			return ret;
		if (rc == 0)
			m->ok++;
	}
	return 0;
}

static intptr_t many_body(void *arg)
{
	struct many *m = arg;
	int fds = harness_count_fds();
	ringo_task *t[AT_ONCE];
	for (int i = 0; i < AT_ONCE; i++)
		assert_int_equal(ringo_task_create(spawner, m, NULL, &t[i]), 0);
	assert_int_equal(ringo_gather(t, AT_ONCE, NULL, 0), 0);
	for (int i = 0; i < AT_ONCE; i++)
		ringo_task_unref(t[i]);
	assert_int_equal(m->ok, m->n);
	assert_true(no_children());
	assert_int_equal(harness_count_fds(), fds);
	return 0;
}

static void test_many(void **state)
{
	(void)state;
	/* A spawn costs about 10 ms on the development VM (exec is slow
	 * there): the whole thousand only once, on this kernel's paths. */
	struct many m = { .n = getenv("RINGO_PROCESS_COMPAT") ? 100 : 1000 };
	run(many_body, &m);
}

static intptr_t released_body(void *arg)
{
	(void)arg;
	int fds = harness_count_fds();
	/* Released without a wait, running or not: reaped in the background
	 * as they exit. */
	const char *argv[] = { "sh", "-c", "exit 0", NULL };
	ringo_process_opts o = { .in = PIPE, .out = PIPE, .err = PIPE };
	for (int i = 0; i < 50; i++) {
		ringo_process *p;
		assert_int_equal(ringo_process_spawn(argv, &o, &p), 0);
		assert_int_equal(ringo_process_destroy(p), 0);
	}
	int64_t give_up = ringo_time() + RINGO_SEC(5);
	while (!no_children() && ringo_time() < give_up)
		assert_int_equal(ringo_sleep(RINGO_MSEC(5)), 0);
	assert_true(no_children());
	assert_int_equal(harness_count_fds(), fds);
	return 0;
}

static void test_released(void **state)
{
	(void)state;
	run(released_body, NULL);
}

static intptr_t forgotten_body(void *arg)
{
	ringo_process **kept = arg;
	const char *argv[] = { "sleep", "10", NULL };
	ringo_process *p;
	/* One released while running, one kept: the loop's end kills and
	 * reaps both instead of waiting 10 s or leaving zombies. */
	assert_int_equal(ringo_process_spawn(argv, NULL, &p), 0);
	assert_int_equal(ringo_process_destroy(p), 0);
	ringo_process_opts o = { .out = PIPE };
	assert_int_equal(ringo_process_spawn(argv, &o, kept), 0);
	return 0;
}

static void test_loop_end(void **state)
{
	(void)state;
	ringo_process *kept = NULL;
	int fds = harness_count_fds();
	int64_t t0 = harness_now();
	assert_int_equal(harness_run(forgotten_body, &kept), 0);
	assert_true(harness_now() - t0 < RINGO_SEC(5));
	assert_true(no_children());
	/* Its status is kept for the handle that outlived the loop. */
	int rc = 0;
	assert_true(ringo_process_returncode(kept, &rc));
	assert_int_equal(rc, -SIGKILL);
	assert_int_equal(ringo_process_wait(kept, &rc, RINGO_NO_DEADLINE), 0);
	assert_int_equal(rc, -SIGKILL);
	assert_int_equal(ringo_process_destroy(kept), 0);
	assert_int_equal(harness_count_fds(), fds);
}

static int setup_compat(void **state)
{
	(void)state;
	return setenv("RINGO_PROCESS_COMPAT", "1", 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_waitid_available),
		cmocka_unit_test(test_echo),
		cmocka_unit_test(test_dialogue),
		cmocka_unit_test(test_exit_code),
		cmocka_unit_test(test_stdio),
		cmocka_unit_test(test_communicate),
		cmocka_unit_test(test_communicate_deadline),
		cmocka_unit_test(test_kill),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_cancel_communicate),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_released),
		cmocka_unit_test(test_loop_end),
	};
	unsetenv("RINGO_PROCESS_COMPAT");
	int failed = cmocka_run_group_tests_name("process", tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("process, fallback paths", tests, setup_compat,
					      NULL);
	return failed;
}

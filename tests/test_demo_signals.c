/* SPDX-License-Identifier: MIT */
/* Every server demo exits 0 on SIGINT or SIGTERM at any moment after it
 * starts (issue 11 item 9: http_server died of a SIGTERM sent right after
 * it printed "listening on", 41 times in 50). Each server is signalled at
 * random moments: while it starts (from the moment its main has blocked
 * the signals, which /proc/PID/status shows; before that the process is
 * still in exec and the dynamic loader, where no program can take a
 * signal), right after "listening on", and twice in a row.
 *
 * Usage: test_demo_signals SERVER... (each takes --port 0) */
#include "harness.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 15 /* per server and kind of moment */

static const char **servers;
static int nservers;
static unsigned seed;

static unsigned rnd(unsigned below)
{
	return (unsigned)rand_r(&seed) % below;
}

/* Starts path --port 0 with its stdout a pipe (*out), without waiting. */
static pid_t spawn(const char *path, int *out)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execl(path, path, "--port", "0", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	*out = fds[0];
	return pid;
}

/* Whether pid blocks both SIGINT and SIGTERM now (its SigBlk line). */
static bool blocks_stop_signals(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	uint64_t mask = 0;
	bool found = false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SigBlk: %" SCNx64, &mask) == 1) {
			found = true;
			break;
		}
	fclose(f);
	uint64_t want = (1ull << (SIGINT - 1)) | (1ull << (SIGTERM - 1));
	return found && (mask & want) == want;
}

/* Waits for the line "listening on ..." on out (10 s at most). */
static void wait_listening(int out)
{
	char line[128];
	size_t len = 0;
	struct pollfd p = {.fd = out, .events = POLLIN};
	while (len < sizeof(line) - 1 && (len == 0 || line[len - 1] != '\n')) {
		assert_int_equal(poll(&p, 1, 10000), 1);
		assert_int_equal(read(out, line + len, 1), 1);
		len++;
	}
	line[len] = 0;
	assert_int_equal(strncmp(line, "listening on ", 13), 0);
}

/* Waits up to 10 s for pid to end; fails the test unless it exited 0. */
static void expect_exit_0(pid_t pid, const char *path, const char *when, unsigned delay_us)
{
	int status = -1;
	for (int i = 0; i < 2000 && status == -1; i++) {
		if (waitpid(pid, &status, WNOHANG) != pid) {
			status = -1;
			usleep(5000);
		}
	}
	if (status == -1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fail_msg("%s still running 10 s after a signal %s (+%u us)", path, when,
			 delay_us);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("%s: %s %d after a signal %s (+%u us)", path,
			 WIFEXITED(status) ? "exit" : "killed by signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), when,
			 delay_us);
}

/* The moments a signal is sent at, each tested ROUNDS times per server. */
enum moment {
	WHILE_STARTING, /* from the moment main has blocked the signals */
	AFTER_LISTENING, /* right after "listening on" (where http_server used to die) */
	TWICE, /* a second signal while the first one's shutdown runs */
};

static const char *const moment_names[] = {
	[WHILE_STARTING] = "while starting",
	[AFTER_LISTENING] = "after listening on",
	[TWICE] = "twice",
};

/* Waits for the moment, sends round i's signal(s) and returns the random delay used. */
static unsigned signal_at(pid_t pid, int out, enum moment m, int i)
{
	unsigned us;
	switch (m) {
	case WHILE_STARTING:
		for (int spin = 0; !blocks_stop_signals(pid); spin++) {
			assert_true(spin < 1000000);
			if (spin > 100)
				usleep(100);
		}
		us = rnd(3000);
		usleep(us);
		assert_int_equal(kill(pid, i % 2 ? SIGINT : SIGTERM), 0);
		return us;
	case AFTER_LISTENING:
		wait_listening(out);
		/* a third at once, a third within 100 us, a third within 2 ms */
		us = i % 3 == 0 ? 0 : rnd(i % 3 == 1 ? 100 : 2000);
		if (us)
			usleep(us);
		assert_int_equal(kill(pid, i % 2 ? SIGINT : SIGTERM), 0);
		return us;
	case TWICE:
		wait_listening(out);
		assert_int_equal(kill(pid, SIGTERM), 0);
		us = rnd(2000);
		usleep(us);
		kill(pid, SIGINT); /* it may be gone already */
		return us;
	}
	fail_msg("unknown moment %d", (int)m);
	return 0;
}

static void signal_every_server(enum moment m)
{
	for (int k = 0; k < nservers; k++) {
		for (int i = 0; i < ROUNDS; i++) {
			int out;
			pid_t pid = spawn(servers[k], &out);
			unsigned us = signal_at(pid, out, m, i);
			expect_exit_0(pid, servers[k], moment_names[m], us);
			close(out);
		}
	}
}

static void test_while_starting(void **state)
{
	(void)state;
	signal_every_server(WHILE_STARTING);
}

static void test_after_listening(void **state)
{
	(void)state;
	signal_every_server(AFTER_LISTENING);
}

static void test_twice(void **state)
{
	(void)state;
	signal_every_server(TWICE);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s SERVER...\n", argv[0]);
		return 2;
	}
	servers = (const char **)argv + 1;
	nservers = argc - 1;
	const char *env = getenv("RINGO_TEST_SEED");
	seed = env ? (unsigned)strtoul(env, NULL, 0) : (unsigned)time(NULL) ^ (unsigned)getpid();
	printf("seed %u (RINGO_TEST_SEED to repeat)\n", seed);
	/* The servers inherit our mask: nothing blocked, as from a shell. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_while_starting),
		cmocka_unit_test(test_after_listening),
		cmocka_unit_test(test_twice),
	};
	return cmocka_run_group_tests_name("demo_signals", tests, NULL, NULL);
}

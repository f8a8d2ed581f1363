/* SPDX-License-Identifier: MIT */
/* File copy: the cat demo (demos/cat.c: ringo_copy, IORING_OP_SPLICE
 * through a pipe or straight into one) against cp(1) (copy_file_range, or
 * read and write), copying a 1 GiB file that sits in the page cache
 *  - to a new file in /tmp (the dirty pages of the round before are
 *    written back first, outside the timing: sync);
 *  - to a pipe, which this program empties by splicing it to /dev/null
 *    (cp writes to /dev/stdout);
 *  - to a Unix socket, emptied the same way (cp cannot open a socket:
 *    coreutils cat(1), read and write, is the peer).
 * Each is run as a process, best of 3 alternating rounds after a warm-up
 * round; the output is checked byte for byte once (the file after the
 * last round; the pipe and the socket in an extra round read here). Reports
 * MB/s, CPU time (user + system, the kernel's workers included) per GB,
 * and cat's share of the peer's speed (target: >= 1.0x).
 *
 * Usage: bench_cat PATH-OF-THE-CAT-DEMO */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define SIZE ((off_t)1 << 30)
#define BLOCK ((size_t)1 << 20)
#define SRC "/tmp/ringo-bench-cat.src"
#define DST "/tmp/ringo-bench-cat.out"
enum { ROUNDS = 3 };

/* The source: 1 GiB of pseudo-random bytes, reused if a file of that size
 * is there already. */
static int make_source(char *buf)
{
	struct stat st;
	if (stat(SRC, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == SIZE)
		return 0;
	int fd = open(SRC, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	uint64_t x = 88172645463325252ULL;
	for (off_t done = 0; done < SIZE; done += (off_t)BLOCK) {
		for (size_t i = 0; i < BLOCK; i += 8) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			memcpy(buf + i, &x, 8);
		}
		if (write(fd, buf, BLOCK) != (ssize_t)BLOCK) {
			int err = errno ? -errno : -EIO;
			close(fd);
			return err;
		}
	}
	return close(fd) < 0 ? -errno : 0;
}

/* Reads path whole (into the page cache) and, if other is not NULL,
 * compares it with other. Returns 0, 1 if they differ, or -errno. */
static int read_through(const char *path, const char *other, char *a, char *b)
{
	int fa = open(path, O_RDONLY | O_CLOEXEC);
	int fb = other ? open(other, O_RDONLY | O_CLOEXEC) : -1;
	int ret = 0;
	if (fa < 0 || (other && fb < 0)) {
		ret = -errno;
		goto out;
	}
	for (;;) {
		ssize_t na = read(fa, a, BLOCK);
		if (na < 0) {
			ret = -errno;
			break;
		}
		if (other) {
			ssize_t nb = read(fb, b, BLOCK);
			if (nb != na || memcmp(a, b, (size_t)na) != 0) {
				ret = 1;
				break;
			}
		}
		if (na == 0)
			break;
	}
out:
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return ret;
}

enum { TO_FILE, TO_PIPE, TO_SOCKET };

struct drain {
	int fd;            /* the read end */
	bool check;        /* compare with SRC instead of splicing to /dev/null */
	int64_t got;
	bool same;
	char *a, *b;
};

/* Empties d->fd to its end: spliced to /dev/null (through a pipe if it is
 * a socket), or read and compared with SRC. */
static void *drain_main(void *arg)
{
	struct drain *d = arg;
	d->got = 0;
	d->same = true;
	if (d->check) {
		int src = open(SRC, O_RDONLY | O_CLOEXEC);
		for (;;) {
			ssize_t n = read(d->fd, d->a, BLOCK);
			if (n <= 0)
				break;
			if (pread(src, d->b, (size_t)n, d->got) != n || memcmp(d->a, d->b, (size_t)n))
				d->same = false;
			d->got += n;
		}
		close(src);
		return NULL;
	}
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	struct stat st;
	fstat(d->fd, &st);
	int p[2] = { -1, -1 };
	if (!S_ISFIFO(st.st_mode)) {
		if (pipe2(p, O_CLOEXEC) < 0)
			return NULL;
		fcntl(p[1], F_SETPIPE_SZ, (int)BLOCK);
	}
	for (;;) {
		ssize_t n;
		if (p[0] < 0) {
			n = splice(d->fd, NULL, null, NULL, BLOCK, SPLICE_F_MOVE);
		} else {
			n = splice(d->fd, NULL, p[1], NULL, BLOCK, SPLICE_F_MOVE);
			for (ssize_t left = n; left > 0;) {
				ssize_t m = splice(p[0], NULL, null, NULL, (size_t)left, SPLICE_F_MOVE);
				if (m <= 0)
					break;
				left -= m;
			}
		}
		if (n <= 0)
			break;
		d->got += n;
	}
	if (p[0] >= 0) {
		close(p[0]);
		close(p[1]);
	}
	close(null);
	return NULL;
}

/* Runs argv with its stdout to the target (a fresh DST file, or a pipe or
 * socket emptied by a drain thread). Returns its wall time in ns, or -1 if
 * it failed; *cpu: its user + system seconds. */
static int64_t timed_run(char *const argv[], int target, bool check, struct drain *d,
			 double *cpu)
{
	unlink(DST);
	sync(); /* the round before's dirty pages, outside the timing */
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	int fds[2] = { -1, -1 };
	if (target == TO_PIPE && pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	if (target == TO_SOCKET && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
		return -1;
	if (target != TO_FILE) {
		posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
		if (target == TO_PIPE)
			fcntl(fds[1], F_SETPIPE_SZ, (int)BLOCK);
	}
	pthread_t th;
	if (target != TO_FILE) {
		d->fd = fds[0];
		d->check = check;
		pthread_create(&th, NULL, drain_main, d);
	}
	pid_t pid;
	int64_t t0 = bench_now();
	int err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (fds[1] >= 0)
		close(fds[1]);
	int status = 0;
	struct rusage ru = { 0 };
	if (err == 0)
		while (wait4(pid, &status, 0, &ru) < 0)
			if (errno != EINTR)
				return -1;
	if (target != TO_FILE) {
		pthread_join(th, NULL);
		close(fds[0]);
	}
	int64_t ns = bench_now() - t0;
	*cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	if (err != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "cat: %s failed\n", argv[0]);
		return -1;
	}
	if (target != TO_FILE && (d->got != SIZE || !d->same)) {
		fprintf(stderr, "cat: %s: %lld of %lld bytes arrived%s\n", argv[0],
			(long long)d->got, (long long)SIZE, d->same ? "" : ", not the same");
		return -1;
	}
	return ns;
}

static double mb_per_s(int64_t ns)
{
	return (double)SIZE / 1e6 / ((double)ns / 1e9);
}

/* Best of ROUNDS alternating rounds of cat and its peer to one target.
 * Returns 0 or -1. */
static int measure(const char *what, char *const cat_argv[], char *const peer_argv[],
		   const char *peer, int target, char *a, char *b)
{
	int64_t best[2] = { -1, -1 };
	double cpu_best[2] = { 0, 0 };
	struct drain d = { .a = a, .b = b };
	for (int round = 0; round <= ROUNDS; round++) {
		for (int k = 0; k < 2; k++) {
			double cpu;
			int64_t ns = timed_run(k ? peer_argv : cat_argv, target, false, &d, &cpu);
			if (ns < 0)
				return -1;
			if (round > 0 && (best[k] < 0 || ns < best[k])) {
				best[k] = ns;
				cpu_best[k] = cpu;
			}
		}
	}
	if (target == TO_FILE) {
		int err = read_through(DST, SRC, a, b);
		if (err != 0) {
			fprintf(stderr, "cat: the copy differs from the source%s%s\n",
				err < 0 ? ": " : "", err < 0 ? strerror(-err) : "");
			return -1;
		}
	} else {
		double cpu;
		if (timed_run(cat_argv, target, true, &d, &cpu) < 0)
			return -1;
	}
	double ringo = mb_per_s(best[0]), other = mb_per_s(best[1]);
	double gb = (double)SIZE / 1e9;
	printf("%-26s ringo %6.0f MB/s (%.2f s CPU/GB) | %s %6.0f MB/s (%.2f s CPU/GB) | "
	       "%.2fx | target >= 1.0x: %s\n",
	       what, ringo, cpu_best[0] / gb, peer, other, cpu_best[1] / gb, ringo / other,
	       ringo >= other ? "met" : "MISSED");
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH-OF-THE-CAT-DEMO\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	char *const cp_argv[] = { "cp", SRC, DST, NULL };
	char *const cat_argv[] = { argv[1], "-o", DST, SRC, NULL };
	char *const cp_out_argv[] = { "cp", SRC, "/dev/stdout", NULL };
	char *const cat_out_argv[] = { argv[1], SRC, NULL };
	char *const coreutils_argv[] = { "cat", SRC, NULL };
	char *a = malloc(BLOCK), *b = malloc(BLOCK);
	int ret = 1;
	if (!a || !b)
		goto out;
	int err = make_source(a);
	if (err == 0)
		err = read_through(SRC, NULL, a, b);
	if (err < 0) {
		fprintf(stderr, "cat: cannot make %s: %s\n", SRC, strerror(-err));
		goto out;
	}
	if (measure("cat 1 GiB file to file", cat_argv, cp_argv, "cp", TO_FILE, a, b) < 0 ||
	    measure("cat 1 GiB file to pipe", cat_out_argv, cp_out_argv, "cp", TO_PIPE, a, b) < 0 ||
	    measure("cat 1 GiB file to socket", cat_out_argv, coreutils_argv, "cat(1)", TO_SOCKET,
		    a, b) < 0)
		goto out;
	ret = 0;
out:
	unlink(DST);
	unlink(SRC);
	free(a);
	free(b);
	return ret;
}

/* SPDX-License-Identifier: MIT */
/* File copy: the cat demo (demos/cat.c: a window of positional reads, each
 * a task, written in order through ringo_write_all) against cp(1) (one
 * copy_file_range, all in the kernel), both copying a 1 GiB file that sits
 * in the page cache to a new file in /tmp. Each is run as a process, best
 * of 3 alternating rounds after a warm-up round; the output is removed
 * before each run and checked byte for byte after the last. Reports MB/s
 * and cat's share of cp's speed (target: within 10%).
 *
 * Usage: bench_cat PATH-OF-THE-CAT-DEMO */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
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

/* Runs argv into a fresh DST; its wall time in ns, or -1 if it failed. */
static int64_t timed_run(char *const argv[])
{
	unlink(DST);
	pid_t pid;
	int64_t t0 = bench_now();
	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0)
		return -1;
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	int64_t ns = bench_now() - t0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "cat: %s failed\n", argv[0]);
		return -1;
	}
	return ns;
}

static double mb_per_s(int64_t ns)
{
	return (double)SIZE / 1e6 / ((double)ns / 1e9);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH-OF-THE-CAT-DEMO\n", argv[0]);
		return 2;
	}
	char *const cp_argv[] = { "cp", SRC, DST, NULL };
	char *const cat_argv[] = { argv[1], "-o", DST, SRC, NULL };
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
	int64_t best_cp = -1, best_cat = -1;
	for (int round = 0; round <= ROUNDS; round++) {
		int64_t ns_cp = timed_run(cp_argv);
		int64_t ns_cat = timed_run(cat_argv);
		if (ns_cp < 0 || ns_cat < 0)
			goto out;
		if (round == 0)
			continue;  /* warm-up */
		if (best_cp < 0 || ns_cp < best_cp)
			best_cp = ns_cp;
		if (best_cat < 0 || ns_cat < best_cat)
			best_cat = ns_cat;
	}
	err = read_through(DST, SRC, a, b);
	if (err != 0) {
		fprintf(stderr, "cat: the copy differs from the source%s%s\n", err < 0 ? ": " : "",
			err < 0 ? strerror(-err) : "");
		goto out;
	}
	double ringo = mb_per_s(best_cat), cp = mb_per_s(best_cp);
	printf("%-28s ringo %8.0f MB/s | cp %8.0f MB/s | %.2fx of cp | target >= 0.90x: %s\n",
	       "cat 1 GiB file to file", ringo, cp, ringo / cp, ringo >= 0.9 * cp ? "met" : "MISSED");
	ret = 0;
out:
	unlink(DST);
	unlink(SRC);
	free(a);
	free(b);
	return ret;
}

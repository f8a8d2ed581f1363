/* SPDX-License-Identifier: MIT */
/* Files (lib/io/file.c): open, read and write (positional and at the current
 * position, vectored, all-or-EOF), statx, sync, close, unlink, rename,
 * mkdir; deadlines and cancellation on a pipe. Real files in a fresh
 * directory under /tmp, removed at the end. */
#include "harness.h"

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ringo.h>

static char dir[64];

/* dir/name in buf */
static const char *in_dir(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/%s", dir, name);
	return buf;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static int make_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ringo-test-file-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	(void)state;
	return nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A new empty file, open read-write. */
static int create(const char *name)
{
	char path[128];
	int fd = ringo_open(in_dir(path, sizeof(path), name),
			    O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600, RINGO_NO_DEADLINE);
	assert_true(fd >= 0);
	return fd;
}

static intptr_t round_trip(void *arg)
{
	(void)arg;
	int fd = create("round_trip");
	assert_int_equal(ringo_write(fd, "hello world", 11, 0, RINGO_NO_DEADLINE), 11);
	char buf[32] = { 0 };
	assert_int_equal(ringo_read(fd, buf, sizeof(buf), 0, RINGO_NO_DEADLINE), 11);
	assert_memory_equal(buf, "hello world", 11);
	assert_int_equal(ringo_read(fd, buf, 5, 6, RINGO_NO_DEADLINE), 5);
	assert_memory_equal(buf, "world", 5);
	/* At and past the end: 0. A zero-length read is a read. */
	assert_int_equal(ringo_read(fd, buf, sizeof(buf), 11, RINGO_NO_DEADLINE), 0);
	assert_int_equal(ringo_read(fd, buf, sizeof(buf), 1000, RINGO_NO_DEADLINE), 0);
	assert_int_equal(ringo_read(fd, buf, 0, 0, RINGO_NO_DEADLINE), 0);
	assert_int_equal(ringo_close(fd, RINGO_NO_DEADLINE), 0);
	/* Opened again read-only: the bytes are on file; writing is refused. */
	char path[128];
	fd = ringo_open(in_dir(path, sizeof(path), "round_trip"), O_RDONLY | O_CLOEXEC, 0, RINGO_NO_DEADLINE);
	assert_true(fd >= 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(ringo_read(fd, buf, sizeof(buf), -1, RINGO_NO_DEADLINE), 11);
	assert_string_equal(buf, "hello world");
	assert_int_equal(ringo_write(fd, "x", 1, 0, RINGO_NO_DEADLINE), -EBADF);
	assert_int_equal(ringo_close(fd, RINGO_NO_DEADLINE), 0);
	/* openat relative to a directory fd. */
	int dfd = ringo_open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, RINGO_NO_DEADLINE);
	assert_true(dfd >= 0);
	fd = ringo_openat(dfd, "round_trip", O_RDONLY | O_CLOEXEC, 0, RINGO_NO_DEADLINE);
	assert_true(fd >= 0);
	assert_int_equal(ringo_read(fd, buf, 5, 0, RINGO_NO_DEADLINE), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(ringo_close(fd, RINGO_NO_DEADLINE), 0);
	assert_int_equal(ringo_openat(dfd, "missing", O_RDONLY, 0, RINGO_NO_DEADLINE), -ENOENT);
	assert_int_equal(ringo_openat(dfd, "round_trip", O_RDWR | O_CREAT | O_EXCL, 0600, RINGO_NO_DEADLINE),
			 -EEXIST);
	assert_int_equal(ringo_close(dfd, RINGO_NO_DEADLINE), 0);
	return 0;
}

static void test_round_trip(void **state)
{
	(void)state;
	assert_int_equal(harness_run(round_trip, NULL), 0);
}

static intptr_t offsets(void *arg)
{
	(void)arg;
	int fd = create("offsets");
	/* offset -1 writes at the position and advances it. */
	assert_int_equal(ringo_write(fd, "abc", 3, -1, RINGO_NO_DEADLINE), 3);
	assert_int_equal(ringo_write(fd, "def", 3, -1, RINGO_NO_DEADLINE), 3);
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 6);
	/* A positional write leaves the position alone. */
	assert_int_equal(ringo_write(fd, "XY", 2, 10, RINGO_NO_DEADLINE), 2);
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 6);
	char buf[16];
	assert_int_equal(ringo_read(fd, buf, sizeof(buf), 0, RINGO_NO_DEADLINE), 12);
	assert_memory_equal(buf, "abcdef\0\0\0\0XY", 12);
	/* Two current-position reads advance; a positional one does not. */
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(ringo_read(fd, buf, 3, -1, RINGO_NO_DEADLINE), 3);
	assert_memory_equal(buf, "abc", 3);
	assert_int_equal(ringo_read(fd, buf, 3, -1, RINGO_NO_DEADLINE), 3);
	assert_memory_equal(buf, "def", 3);
	assert_int_equal(ringo_read(fd, buf, 3, 1, RINGO_NO_DEADLINE), 3);
	assert_memory_equal(buf, "bcd", 3);
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 6);
	assert_int_equal(ringo_read(fd, buf, 2, -1, RINGO_NO_DEADLINE), 2);
	assert_memory_equal(buf, "\0\0", 2);
	/* Offsets below -1 are refused before anything is submitted. */
	assert_int_equal(ringo_read(fd, buf, 1, -2, RINGO_NO_DEADLINE), -EINVAL);
	assert_int_equal(ringo_write(fd, buf, 1, -2, RINGO_NO_DEADLINE), -EINVAL);
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 8);
	assert_int_equal(ringo_close(fd, RINGO_NO_DEADLINE), 0);
	return 0;
}

static void test_offsets(void **state)
{
	(void)state;
	assert_int_equal(harness_run(offsets, NULL), 0);
}

static intptr_t vectored(void *arg)
{
	(void)arg;
	int fd = create("vectored");
	struct iovec out[3] = {
		{ (void *)"one ", 4 }, { (void *)"two ", 4 }, { (void *)"three", 5 },
	};
	assert_int_equal(ringo_writev(fd, out, 3, 0, RINGO_NO_DEADLINE), 13);
	char a[6], b[16];
	memset(b, 0, sizeof(b));
	struct iovec in[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	assert_int_equal(ringo_readv(fd, in, 2, 0, RINGO_NO_DEADLINE), 13);
	assert_memory_equal(a, "one tw", 6);
	assert_string_equal(b, "o three");
	/* At the current position, which they advance. */
	assert_int_equal(ringo_writev(fd, out, 2, -1, RINGO_NO_DEADLINE), 8);
	assert_int_equal(ringo_writev(fd, out + 2, 1, -1, RINGO_NO_DEADLINE), 5);
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 13);
	assert_int_equal(lseek(fd, 4, SEEK_SET), 4);
	memset(b, 0, sizeof(b));
	assert_int_equal(ringo_readv(fd, in, 2, -1, RINGO_NO_DEADLINE), 9);
	assert_memory_equal(a, "two th", 6);
	assert_string_equal(b, "ree");
	assert_int_equal(ringo_readv(fd, in, 2, -1, RINGO_NO_DEADLINE), 0);
	/* No vectors: nothing moves. Bad counts are refused. */
	assert_int_equal(ringo_readv(fd, NULL, 0, 0, RINGO_NO_DEADLINE), 0);
	assert_int_equal(ringo_readv(fd, in, -1, 0, RINGO_NO_DEADLINE), -EINVAL);
	assert_int_equal(ringo_writev(fd, out, -1, 0, RINGO_NO_DEADLINE), -EINVAL);
	assert_int_equal(ringo_readv(fd, NULL, 1, 0, RINGO_NO_DEADLINE), -EINVAL);
	assert_int_equal(ringo_writev(fd, NULL, 1, 0, RINGO_NO_DEADLINE), -EINVAL);
	assert_int_equal(ringo_close(fd, RINGO_NO_DEADLINE), 0);
	return 0;
}

static void test_vectored(void **state)
{
	(void)state;
	assert_int_equal(harness_run(vectored, NULL), 0);
}

#define BIG ((size_t)6 << 20)

static void fill_pattern(unsigned char *p, size_t n, uint32_t seed)
{
	uint32_t x = seed;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)x;
	}
}

static intptr_t all(void *arg)
{
	(void)arg;
	unsigned char *src = malloc(BIG), *dst = malloc(BIG + 100);
	assert_non_null(src);
	assert_non_null(dst);
	fill_pattern(src, BIG, 12345);
	int fd = create("all");
	size_t done = 1;
	assert_int_equal(ringo_write_all(fd, src, BIG, 0, &done, RINGO_NO_DEADLINE), BIG);
	assert_int_equal(done, BIG);
	done = 1;
	assert_int_equal(ringo_read_all(fd, dst, BIG, 0, &done, RINGO_NO_DEADLINE), BIG);
	assert_int_equal(done, BIG);
	assert_memory_equal(src, dst, BIG);
	/* At the current position, in two halves. */
	memset(dst, 0, BIG);
	assert_int_equal(ringo_read_all(fd, dst, BIG / 2, -1, NULL, RINGO_NO_DEADLINE), BIG / 2);
	assert_int_equal(ringo_read_all(fd, dst + BIG / 2, BIG / 2, -1, NULL, RINGO_NO_DEADLINE), BIG / 2);
	assert_memory_equal(src, dst, BIG);
	/* The end of the file comes first: less, and done says so too. */
	assert_int_equal(ringo_read_all(fd, dst, 1000, (int64_t)BIG - 100, &done, RINGO_NO_DEADLINE), 100);
	assert_int_equal(done, 100);
	assert_memory_equal(dst, src + BIG - 100, 100);
	assert_int_equal(ringo_read_all(fd, dst, 1000, (int64_t)BIG, &done, RINGO_NO_DEADLINE), 0);
	assert_int_equal(done, 0);
	assert_int_equal(ringo_read_all(fd, dst, BIG + 100, 0, &done, RINGO_NO_DEADLINE), BIG);
	assert_int_equal(done, BIG);
	/* Refused arguments still set done. */
	done = 1;
	assert_int_equal(ringo_read_all(fd, NULL, 1, 0, &done, RINGO_NO_DEADLINE), -EINVAL);
	assert_int_equal(done, 0);
	done = 1;
	assert_int_equal(ringo_write_all(fd, src, 1, -2, &done, RINGO_NO_DEADLINE), -EINVAL);
	assert_int_equal(done, 0);
	/* An error after nothing moved. */
	assert_int_equal(ringo_write_all(-1, src, 10, 0, &done, RINGO_NO_DEADLINE), -EBADF);
	assert_int_equal(done, 0);
	assert_int_equal(ringo_close(fd, RINGO_NO_DEADLINE), 0);
	free(src);
	free(dst);
	return 0;
}

static void test_read_write_all(void **state)
{
	(void)state;
	assert_int_equal(harness_run(all, NULL), 0);
}

#define TRICKLE 64

struct trickle {
	int p[2];
	int writes;
};

/* Writes TRICKLE bytes one at a time, yielding between them, so that the
 * reader's every read returns one byte; then 10 more and closes. */
static intptr_t trickler(void *arg)
{
	struct trickle *t = arg;
	for (int i = 0; i < TRICKLE + 10; i++) {
		unsigned char b = (unsigned char)('A' + i % 26);
		assert_int_equal(ringo_write(t->p[1], &b, 1, -1, RINGO_NO_DEADLINE), 1);
		t->writes++;
		assert_int_equal(ringo_sleep(0), 0);
	}
	assert_int_equal(ringo_close(t->p[1], RINGO_NO_DEADLINE), 0);
	return 0;
}

static intptr_t read_all_short(void *arg)
{
	struct trickle *t = arg;
	ringo_task *w;
	assert_int_equal(ringo_task_create(trickler, t, NULL, &w), 0);
	unsigned char buf[TRICKLE + 100];
	size_t done = 0;
	assert_int_equal(ringo_read_all(t->p[0], buf, TRICKLE, -1, &done, RINGO_NO_DEADLINE), TRICKLE);
	assert_int_equal(done, TRICKLE);
	/* The writer had not got far ahead: the reads were short. */
	assert_true(t->writes <= TRICKLE + 1);
	for (int i = 0; i < TRICKLE; i++)
		assert_int_equal(buf[i], 'A' + i % 26);
	/* 10 more, then end of file: less than asked for. */
	assert_int_equal(ringo_read_all(t->p[0], buf, 100, -1, &done, RINGO_NO_DEADLINE), 10);
	assert_int_equal(done, 10);
	for (int i = 0; i < 10; i++)
		assert_int_equal(buf[i], 'A' + (TRICKLE + i) % 26);
	assert_int_equal(ringo_task_await(w), 0);
	ringo_task_unref(w);
	return 0;
}

static void test_read_all_short_transfers(void **state)
{
	(void)state;
	struct trickle t = { .writes = 0 };
	assert_int_equal(pipe2(t.p, O_CLOEXEC), 0);
	assert_int_equal(harness_run(read_all_short, &t), 0);
	close(t.p[0]);
}

static intptr_t stat_and_sync(void *arg)
{
	(void)arg;
	char path[128];
	in_dir(path, sizeof(path), "stat");
	int fd = ringo_open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640, RINGO_NO_DEADLINE);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, 0640), 0);  /* whatever the umask */
	static char data[12345];
	assert_int_equal(ringo_write_all(fd, data, sizeof(data), 0, NULL, RINGO_NO_DEADLINE), sizeof(data));
	assert_int_equal(ringo_fsync(fd, RINGO_NO_DEADLINE), 0);
	assert_int_equal(ringo_fdatasync(fd, RINGO_NO_DEADLINE), 0);
	struct statx st;
	memset(&st, 0, sizeof(st));
	assert_int_equal(ringo_statx(AT_FDCWD, path, 0, STATX_SIZE | STATX_MODE, &st, RINGO_NO_DEADLINE), 0);
	assert_true(st.stx_mask & STATX_SIZE);
	assert_int_equal(st.stx_size, sizeof(data));
	assert_true(S_ISREG(st.stx_mode));
	assert_int_equal(st.stx_mode & 07777, 0640);
	/* Of an open fd. */
	memset(&st, 0, sizeof(st));
	assert_int_equal(ringo_statx(fd, "", AT_EMPTY_PATH, STATX_SIZE, &st, RINGO_NO_DEADLINE), 0);
	assert_int_equal(st.stx_size, sizeof(data));
	/* Of a directory; of nothing. */
	assert_int_equal(ringo_statx(AT_FDCWD, dir, 0, STATX_MODE, &st, RINGO_NO_DEADLINE), 0);
	assert_true(S_ISDIR(st.stx_mode));
	assert_int_equal(ringo_statx(AT_FDCWD, in_dir(path, sizeof(path), "none"), 0,
				     STATX_SIZE, &st, RINGO_NO_DEADLINE),
			 -ENOENT);
	assert_int_equal(ringo_statx(AT_FDCWD, NULL, 0, STATX_SIZE, &st, RINGO_NO_DEADLINE), -EINVAL);
	assert_int_equal(ringo_statx(AT_FDCWD, dir, 0, STATX_SIZE, NULL, RINGO_NO_DEADLINE), -EINVAL);
	assert_int_equal(ringo_close(fd, RINGO_NO_DEADLINE), 0);
	assert_int_equal(ringo_fsync(fd, RINGO_NO_DEADLINE), -EBADF);
	assert_int_equal(ringo_fdatasync(fd, RINGO_NO_DEADLINE), -EBADF);
	return 0;
}

static void test_statx_and_sync(void **state)
{
	(void)state;
	assert_int_equal(harness_run(stat_and_sync, NULL), 0);
}

static bool exists(const char *path)
{
	struct statx st;
	return ringo_statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, 0, &st, RINGO_NO_DEADLINE) == 0;
}

static intptr_t names(void *arg)
{
	(void)arg;
	char sub[128], sub2[128], a[128], b[128], c[128];
	in_dir(sub, sizeof(sub), "sub");
	in_dir(sub2, sizeof(sub2), "missing/sub");
	in_dir(a, sizeof(a), "a");
	in_dir(b, sizeof(b), "sub/b");
	in_dir(c, sizeof(c), "c");
	assert_int_equal(ringo_mkdir(sub, 0700, RINGO_NO_DEADLINE), 0);
	assert_int_equal(ringo_mkdir(sub, 0700, RINGO_NO_DEADLINE), -EEXIST);
	assert_int_equal(ringo_mkdir(sub2, 0700, RINGO_NO_DEADLINE), -ENOENT);
	int fd = create("a");
	assert_int_equal(ringo_write(fd, "data", 4, 0, RINGO_NO_DEADLINE), 4);
	assert_int_equal(ringo_close(fd, RINGO_NO_DEADLINE), 0);
	/* Renamed into the directory: gone from here, there with its bytes. */
	assert_int_equal(ringo_rename(a, b, RINGO_NO_DEADLINE), 0);
	assert_false(exists(a));
	assert_true(exists(b));
	assert_int_equal(ringo_rename(a, c, RINGO_NO_DEADLINE), -ENOENT);
	fd = ringo_open(b, O_RDONLY | O_CLOEXEC, 0, RINGO_NO_DEADLINE);
	assert_true(fd >= 0);
	char buf[8];
	assert_int_equal(ringo_read(fd, buf, sizeof(buf), 0, RINGO_NO_DEADLINE), 4);
	assert_memory_equal(buf, "data", 4);
	assert_int_equal(ringo_close(fd, RINGO_NO_DEADLINE), 0);
	/* A full directory stays; a directory needs AT_REMOVEDIR. */
	assert_int_equal(ringo_unlink(sub, AT_REMOVEDIR, RINGO_NO_DEADLINE), -ENOTEMPTY);
	assert_int_equal(ringo_unlink(sub, 0, RINGO_NO_DEADLINE), -EISDIR);
	assert_int_equal(ringo_unlink(b, 0, RINGO_NO_DEADLINE), 0);
	assert_false(exists(b));
	assert_int_equal(ringo_unlink(b, 0, RINGO_NO_DEADLINE), -ENOENT);
	assert_int_equal(ringo_unlink(sub, AT_REMOVEDIR, RINGO_NO_DEADLINE), 0);
	assert_false(exists(sub));
	assert_int_equal(ringo_unlink(NULL, 0, RINGO_NO_DEADLINE), -EINVAL);
	assert_int_equal(ringo_rename(NULL, b, RINGO_NO_DEADLINE), -EINVAL);
	assert_int_equal(ringo_rename(a, NULL, RINGO_NO_DEADLINE), -EINVAL);
	assert_int_equal(ringo_mkdir(NULL, 0700, RINGO_NO_DEADLINE), -EINVAL);
	assert_int_equal(ringo_open(NULL, O_RDONLY, 0, RINGO_NO_DEADLINE), -EINVAL);
	return 0;
}

static void test_unlink_rename_mkdir(void **state)
{
	(void)state;
	assert_int_equal(harness_run(names, NULL), 0);
}

static intptr_t closing(void *arg)
{
	(void)arg;
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(ringo_close(p[1], RINGO_NO_DEADLINE), 0);
	assert_int_equal(fcntl(p[1], F_GETFD), -1);
	/* Closed: the number is free (nothing else opens fds meanwhile). */
	assert_int_equal(ringo_close(p[1], RINGO_NO_DEADLINE), -EBADF);
	assert_int_equal(ringo_close(-1, RINGO_NO_DEADLINE), -EBADF);
	/* The read end sees the end of the pipe. */
	char c;
	assert_int_equal(ringo_read(p[0], &c, 1, -1, RINGO_NO_DEADLINE), 0);
	assert_int_equal(ringo_close(p[0], RINGO_NO_DEADLINE), 0);
	return 0;
}

static void test_close(void **state)
{
	(void)state;
	assert_int_equal(harness_run(closing, NULL), 0);
}

static intptr_t deadline(void *arg)
{
	int *p = arg;
	char buf[8] = "xxxxxxx";
	int64_t t0 = ringo_time();
	assert_int_equal(ringo_read(p[0], buf, sizeof(buf), -1, ringo_deadline_in(RINGO_MSEC(50))),
			 -ETIMEDOUT);
	int64_t took = ringo_time() - t0;
	assert_true(took >= RINGO_MSEC(50));
	assert_true(took < RINGO_SEC(2));
	assert_memory_equal(buf, "xxxxxxx", 8);
	/* The pipe still works, and data that is there beats a deadline. */
	assert_int_equal(write(p[1], "hello", 5), 5);
	assert_int_equal(ringo_read(p[0], buf, sizeof(buf), -1, ringo_deadline_in(RINGO_MSEC(50))),
			 5);
	assert_memory_equal(buf, "hello", 5);
	/* read_all that times out half way reports what it got. */
	assert_int_equal(write(p[1], "abc", 3), 3);
	size_t done = 0;
	assert_int_equal(ringo_read_all(p[0], buf, sizeof(buf), -1, &done,
					ringo_deadline_in(RINGO_MSEC(50))),
			 -ETIMEDOUT);
	assert_int_equal(done, 3);
	assert_memory_equal(buf, "abc", 3);
	return 0;
}

static void test_deadline(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(harness_run(deadline, p), 0);
	close(p[0]);
	close(p[1]);
}

struct cancel_case {
	int p[2];
	char buf[16];
	bool all;       /* read_all instead of read */
	size_t done;
	intptr_t res;
};

static intptr_t reader(void *arg)
{
	struct cancel_case *c = arg;
	if (c->all)
		c->res = ringo_read_all(c->p[0], c->buf, sizeof(c->buf), -1, &c->done, RINGO_NO_DEADLINE);
	else
		c->res = ringo_read(c->p[0], c->buf, sizeof(c->buf), -1, RINGO_NO_DEADLINE);
	return c->res;
}

static intptr_t cancel_read(void *arg)
{
	struct cancel_case *c = arg;
	ringo_task *t;
	if (c->all)
		assert_int_equal(write(c->p[1], "par", 3), 3);
	assert_int_equal(ringo_task_create(reader, c, NULL, &t), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);
	assert_false(ringo_task_done(t));
	assert_true(ringo_task_cancel(t));
	assert_int_equal(ringo_task_await(t), -ECANCELED);
	assert_int_equal(c->res, -ECANCELED);
	ringo_task_unref(t);
	/* The kernel holds no pointer into buf any more: data written now
	 * stays in the pipe for the next reader. */
	assert_int_equal(write(c->p[1], "late", 4), 4);
	assert_int_equal(ringo_sleep(RINGO_MSEC(10)), 0);
	if (c->all) {
		assert_int_equal(c->done, 3);
		assert_memory_equal(c->buf, "parouched-buffer", 16);
	} else {
		assert_memory_equal(c->buf, "untouched-buffer", 16);
	}
	char again[8];
	assert_int_equal(ringo_read(c->p[0], again, sizeof(again), -1, RINGO_NO_DEADLINE), 4);
	assert_memory_equal(again, "late", 4);
	return 0;
}

static void run_cancel(bool all)
{
	struct cancel_case c;
	memset(&c, 0, sizeof(c));
	memcpy(c.buf, "untouched-buffer", 16);
	c.all = all;
	assert_int_equal(pipe2(c.p, O_CLOEXEC), 0);
	assert_int_equal(harness_run(cancel_read, &c), 0);
	close(c.p[0]);
	close(c.p[1]);
}

static void test_cancel_leaves_buffer(void **state)
{
	(void)state;
	run_cancel(false);
}

static void test_cancel_read_all(void **state)
{
	(void)state;
	run_cancel(true);
}

#define HUGE ((size_t)3 << 30)

/* More than a CQE can report: one op moves what the kernel allows (its
 * MAX_RW_COUNT), write_all goes on until it is all done. /dev/null and a
 * short file never touch most of the (unbacked) buffer. */
static intptr_t huge(void *arg)
{
	char *buf = arg;
	int fd = ringo_open("/dev/null", O_WRONLY | O_CLOEXEC, 0, RINGO_NO_DEADLINE);
	assert_true(fd >= 0);
	ssize_t max = INT_MAX & ~(ssize_t)4095;
	assert_int_equal(ringo_write(fd, buf, HUGE, -1, RINGO_NO_DEADLINE), max);
	size_t done = 0;
	assert_int_equal(ringo_write_all(fd, buf, HUGE, -1, &done, RINGO_NO_DEADLINE), (ssize_t)HUGE);
	assert_int_equal(done, HUGE);
	assert_int_equal(ringo_close(fd, RINGO_NO_DEADLINE), 0);
	fd = create("huge");
	assert_int_equal(ringo_write(fd, "0123456789", 10, 0, RINGO_NO_DEADLINE), 10);
	assert_int_equal(ringo_read(fd, buf, HUGE, 0, RINGO_NO_DEADLINE), 10);
	assert_memory_equal(buf, "0123456789", 10);
	assert_int_equal(ringo_read_all(fd, buf, HUGE, 0, &done, RINGO_NO_DEADLINE), 10);
	assert_int_equal(ringo_close(fd, RINGO_NO_DEADLINE), 0);
	return 0;
}

static void test_more_than_int_max(void **state)
{
	(void)state;
	void *buf = mmap(NULL, HUGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (buf == MAP_FAILED)
		skip();
	assert_int_equal(harness_run(huge, buf), 0);
	munmap(buf, HUGE);
}

static void test_outside_a_task(void **state)
{
	(void)state;
	char b = 0;
	size_t done = 1;
	struct statx st;
	assert_int_equal(ringo_open("/dev/null", O_RDONLY, 0, RINGO_NO_DEADLINE), -EPERM);
	assert_int_equal(ringo_read(0, &b, 1, -1, RINGO_NO_DEADLINE), -EPERM);
	assert_int_equal(ringo_write(1, &b, 1, -1, RINGO_NO_DEADLINE), -EPERM);
	assert_int_equal(ringo_read_all(0, &b, 1, 0, &done, RINGO_NO_DEADLINE), -EPERM);
	assert_int_equal(done, 0);
	assert_int_equal(ringo_write_all(1, &b, 0, 0, NULL, RINGO_NO_DEADLINE), -EPERM);
	assert_int_equal(ringo_fsync(1, RINGO_NO_DEADLINE), -EPERM);
	assert_int_equal(ringo_statx(AT_FDCWD, "/", 0, 0, &st, RINGO_NO_DEADLINE), -EPERM);
	assert_int_equal(ringo_mkdir("/nonexistent-ringo", 0700, RINGO_NO_DEADLINE), -EPERM);
	/* Arguments are checked first. */
	assert_int_equal(ringo_read(0, NULL, 1, -1, RINGO_NO_DEADLINE), -EINVAL);
	assert_int_equal(ringo_readv(0, NULL, -1, -1, RINGO_NO_DEADLINE), -EINVAL);
	/* close keeps its word that the fd is gone, even here. */
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(ringo_close(p[0], RINGO_NO_DEADLINE), -EPERM);
	assert_int_equal(fcntl(p[0], F_GETFD), -1);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_vectored),
		cmocka_unit_test(test_read_write_all),
		cmocka_unit_test(test_read_all_short_transfers),
		cmocka_unit_test(test_statx_and_sync),
		cmocka_unit_test(test_unlink_rename_mkdir),
		cmocka_unit_test(test_close),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_cancel_leaves_buffer),
		cmocka_unit_test(test_cancel_read_all),
		cmocka_unit_test(test_more_than_int_max),
		cmocka_unit_test(test_outside_a_task),
	};
	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}

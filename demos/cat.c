/* SPDX-License-Identifier: MIT */
/* cat: copies files to stdout, or to OUT, byte for byte.
 *
 *	cat [-o OUT] FILE...      ("-" is stdin)
 *
 * Where splicing beats reading and writing (the output is a pipe or a
 * socket, or a regular file and the input is a regular file too), a file is
 * copied with ringo_copy, which splices it through a pipe
 * (IORING_OP_SPLICE: the pages are not copied to user space; each wait is
 * an SQE) or straight into the output pipe. CAT_SPLICE=0 turns that off.
 *
 * Otherwise (a tty, or CAT_SPLICE=0) a regular file is read through a
 * window of WINDOW positional reads of CHUNK bytes each, every read a task
 * of its own, like a list of asyncio tasks awaited in order: the main task
 * awaits the oldest read, writes its bytes at the output's current
 * position, and starts the read WINDOW chunks further on in the buffer
 * just freed. So while one chunk is being written the next ones are being
 * read. Anything else (a pipe, a tty) is read in order, one read at a
 * time.
 *
 * Exits 0 when everything was copied; otherwise (or on a bad command
 * line) prints what failed and exits 1 (a file that cannot be read is skipped, as cat(1) does; a write
 * error ends the copy). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ringo.h>

enum { CHUNK = 1 << 20, WINDOW = 4 };

struct read_op {
	int fd;
	char *buf;
	int64_t offset;
};

struct cat {
	int argc;
	char **argv;
	const char *out_path;
	int out;
	bool splice;           /* the output is one that splicing wins for */
	char *bufs;            /* WINDOW buffers of CHUNK bytes */
	struct read_op ops[WINDOW];
	ringo_task *tasks[WINDOW];
};

/* One positional read of a chunk: its length (CHUNK but at the end of the
 * file), or a negative errno. */
static intptr_t read_chunk(void *arg)
{
	struct read_op *op = arg;
	return ringo_read_all(op->fd, op->buf, CHUNK, op->offset, NULL, RINGO_NO_DEADLINE);
}

static int start_read(struct cat *c, int slot, int fd, int64_t chunk)
{
	c->ops[slot] = (struct read_op){ fd, c->bufs + (size_t)slot * CHUNK, chunk * CHUNK };
	return ringo_task_create(read_chunk, &c->ops[slot], NULL, &c->tasks[slot]);
}

/* Writes all n bytes at the output's position. */
static int put(struct cat *c, const char *buf, size_t n)
{
	ssize_t r = ringo_write_all(c->out, buf, n, -1, NULL, RINGO_NO_DEADLINE);
	return r < 0 ? (int)r : 0;
}

/* Sets *write_err on a write error; returns 0 or the read error. */
static int copy_regular(struct cat *c, int fd, int *write_err)
{
	int started = 0, err = 0;
	for (; started < WINDOW; started++) {
		err = start_read(c, started, fd, started);
		if (err < 0)
			break;
	}
	for (int64_t chunk = 0; err == 0; chunk++) {
		int slot = (int)(chunk % WINDOW);
		intptr_t n = ringo_task_await(c->tasks[slot]);
		ringo_task_unref(c->tasks[slot]);
		c->tasks[slot] = NULL;
		if (n < 0) {
			err = (int)n;
			break;
		}
		*write_err = put(c, c->ops[slot].buf, (size_t)n);
		if (*write_err < 0 || n < CHUNK)
			break;  /* a write error, or the end of the file */
		err = start_read(c, slot, fd, chunk + WINDOW);
	}
	/* Reads past the end (or past an error) still in flight. */
	for (int slot = 0; slot < WINDOW; slot++) {
		if (!c->tasks[slot])
			continue;
		ringo_task_cancel(c->tasks[slot]);
		ringo_task_await(c->tasks[slot]);
		ringo_task_unref(c->tasks[slot]);
		c->tasks[slot] = NULL;
	}
	return err;
}

static int copy_stream(struct cat *c, int fd, int *write_err)
{
	for (;;) {
		ssize_t n = ringo_read(fd, c->bufs, CHUNK, -1, RINGO_NO_DEADLINE);
		if (n <= 0)
			return (int)n;
		*write_err = put(c, c->bufs, (size_t)n);
		if (*write_err < 0)
			return 0;
	}
}

/* ringo_copy to the end of fd. Sets *write_err on a write error; returns
 * 0 or the read error. ringo_copy does not say which side failed: the
 * errors only a write has are the output's. */
static int copy_spliced(struct cat *c, int fd, int *write_err)
{
	ssize_t r = ringo_copy(ringo_copy_fd(fd), ringo_copy_fd(c->out), 0, RINGO_NO_DEADLINE,
			       NULL);
	if (r >= 0)
		return 0;
	if (r == -EPIPE || r == -ENOSPC || r == -EDQUOT || r == -EFBIG || r == -ECONNRESET) {
		*write_err = (int)r;
		return 0;
	}
	return (int)r;
}

/* Whether splicing wins for this output: a pipe or a socket (the pages
 * go there by reference), or a regular file (one copy in the kernel
 * instead of two through user space). Measured by bench/cat.c. */
static bool splice_wins(int out)
{
	const char *env = getenv("CAT_SPLICE");
	if (env && !strcmp(env, "0"))
		return false;
	struct stat st;
	if (fstat(out, &st) < 0)
		return false;
	return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISREG(st.st_mode);
}

static intptr_t cat_main(void *arg)
{
	struct cat *c = arg;
	int status = 0;
	c->out = STDOUT_FILENO;
	if (c->out_path) {
		c->out = ringo_open(c->out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644,
				    RINGO_NO_DEADLINE);
		if (c->out < 0) {
			fprintf(stderr, "cat: %s: %s\n", c->out_path, strerror(-c->out));
			return 1;
		}
	}
	c->splice = splice_wins(c->out);
	for (int i = 0; i < c->argc; i++) {
		const char *path = c->argv[i];
		bool is_stdin = strcmp(path, "-") == 0;
		int fd = is_stdin ? STDIN_FILENO
				  : ringo_open(path, O_RDONLY | O_CLOEXEC, 0, RINGO_NO_DEADLINE);
		if (fd < 0) {
			fprintf(stderr, "cat: %s: %s\n", path, strerror(-fd));
			status = 1;
			continue;
		}
		struct statx st;
		int write_err = 0;
		int err = ringo_statx(fd, "", AT_EMPTY_PATH, STATX_TYPE, &st, RINGO_NO_DEADLINE);
		if (err == 0 && c->splice && S_ISREG(st.stx_mode))
			err = copy_spliced(c, fd, &write_err);
		else if (err == 0)
			err = S_ISREG(st.stx_mode) ? copy_regular(c, fd, &write_err)
						   : copy_stream(c, fd, &write_err);
		if (!is_stdin)
			ringo_close(fd, RINGO_NO_DEADLINE);
		if (err < 0) {
			fprintf(stderr, "cat: %s: %s\n", path, strerror(-err));
			status = 1;
		}
		if (write_err < 0) {
			fprintf(stderr, "cat: write error on %s: %s\n",
				c->out_path ? c->out_path : "stdout", strerror(-write_err));
			status = 1;
			break;
		}
	}
	if (c->out_path) {
		int err = ringo_close(c->out, RINGO_NO_DEADLINE);
		if (err < 0) {
			fprintf(stderr, "cat: %s: %s\n", c->out_path, strerror(-err));
			status = 1;
		}
	}
	return status;
}

int main(int argc, char **argv)
{
	struct cat c = { 0 };
	int opt;
	while ((opt = getopt(argc, argv, "o:")) != -1) {
		if (opt != 'o')
			goto usage;
		c.out_path = optarg;
	}
	if (optind == argc)
		goto usage;
	c.argc = argc - optind;
	c.argv = argv + optind;
	/* A reader that went away is a write error (-EPIPE), not a signal:
	 * a write runs in the kernel's worker threads as often as in ours. */
	signal(SIGPIPE, SIG_IGN);
	c.bufs = aligned_alloc(4096, (size_t)WINDOW * CHUNK);
	if (!c.bufs) {
		fprintf(stderr, "cat: out of memory\n");
		return 1;
	}
	intptr_t status = 1;
	int err = ringo_run(cat_main, &c, &status);
	free(c.bufs);
	if (err < 0) {
		fprintf(stderr, "cat: %s\n", strerror(-err));
		return 1;
	}
	return status == 0 ? 0 : 1;
usage:
	fprintf(stderr, "usage: %s [-o OUT] FILE...\n", argv[0]);
	return 1;
}

/* SPDX-License-Identifier: MIT */
/* libFuzzer target: a real ringo stream (lib/io/stream.c) over a socketpair,
 * read with readuntil, readline and read while a writer task sends the
 * input in chunks of sizes chosen by the input, with loop turns between
 * them.
 *
 * Input: 4 bytes of settings (the stream's limit, the reader's buffer
 * size, the separator, a seed for the reader's choice of calls), then
 * chunks, each a length byte and that many bytes (the last one may be
 * short). The bytes sent are the chunks' contents.
 *
 * Each call's result is checked against a model of the stream's contract
 * (include/ringo/stream.h): a separator within min(limit, cap) bytes is
 * returned with what precedes it; one farther away, or none, is -EMSGSIZE
 * (or, at the end of the stream, -ENODATA for readuntil and the last line
 * for readline) and leaves the bytes buffered; read returns the next
 * bytes. Where the contract allows two results (whether the end of the
 * stream was seen before the limit was reached), either is accepted. At
 * the end, the bytes read must be exactly the bytes sent. A hang (a lost
 * wake-up) is reported by libFuzzer's -timeout. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ringo.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
	const uint8_t *chunks;    /* the length-prefixed chunks */
	size_t nchunks_bytes;
	uint8_t *sent;            /* what they contain, in order */
	size_t total;
	int fd[2];                /* [0]: the stream's; [1]: the writer's */
	size_t limit, cap;
	char sep[3];
	size_t seplen;
	uint32_t seed;
};

static uint32_t next(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static intptr_t writer(void *arg)
{
	struct run *r = arg;
	const uint8_t *p = r->chunks, *end = r->chunks + r->nchunks_bytes;
	while (p < end) {
		size_t len = *p++;
		size_t turns = len & 3; /* loop turns before this chunk */
		if (len > (size_t)(end - p))
			len = (size_t)(end - p);
		for (size_t i = 0; i < turns; i++)
			if (ringo_sleep(0) < 0)
				return -1;
		if (len && ringo_send_all(r->fd[1], p, len, 0, NULL, RINGO_NO_DEADLINE) !=
				   (ssize_t)len)
			abort();
		p += len;
	}
	shutdown(r->fd[1], SHUT_WR);
	return 0;
}

/* The first end of sep in sent[pos..total), as a length from pos; 0: none. */
static size_t find_sep(const struct run *r, size_t pos)
{
	const void *at = memmem(r->sent + pos, r->total - pos, r->sep, r->seplen);
	return at ? (size_t)((const uint8_t *)at - (r->sent + pos)) + r->seplen : 0;
}

static intptr_t reader(void *arg)
{
	struct run *r = arg;
	ringo_stream_opts opts = {.limit = r->limit};
	ringo_stream *s;
	if (ringo_stream_open(r->fd[0], &opts, &s) < 0)
		abort();
	r->fd[0] = -1; /* the stream's now */
	char *buf = malloc(r->cap);
	if (!buf)
		abort();
	size_t pos = 0;
	uint32_t x = r->seed | 1;
	bool progress_needed = false;
	for (size_t ops = 0; ops < 4 * r->total + 16; ops++) {
		size_t max = r->limit < r->cap ? r->limit : r->cap;
		size_t rest = r->total - pos;
		unsigned kind = progress_needed ? 2 : next(&x) % 3;
		progress_needed = false;
		if (kind == 0) { /* readuntil */
			ssize_t got = ringo_stream_readuntil(s, r->sep, r->seplen, buf, r->cap);
			size_t want = find_sep(r, pos);
			if (want && want <= max) {
				if (got != (ssize_t)want || memcmp(buf, r->sent + pos, want))
					abort();
				pos += want;
			} else if (want) {
				if (got != -EMSGSIZE)
					abort();
				progress_needed = true;
			} else if (rest < max) {
				if (got != -ENODATA)
					abort();
				progress_needed = true;
			} else {
				if (got != -ENODATA && got != -EMSGSIZE)
					abort();
				progress_needed = true;
			}
		} else if (kind == 1) { /* readline */
			ssize_t got = ringo_stream_readline(s, buf, r->cap);
			const void *nl = memchr(r->sent + pos, '\n', rest);
			size_t want = nl ? (size_t)((const uint8_t *)nl - (r->sent + pos)) + 1 : 0;
			if (want && want > max) {
				if (got != -EMSGSIZE)
					abort();
				progress_needed = true;
			} else if (want || rest < max || (rest == max && got != -EMSGSIZE)) {
				size_t len = want ? want : rest;
				if (got != (ssize_t)len || memcmp(buf, r->sent + pos, len) ||
				    (len < r->cap && buf[len] != '\0'))
					abort();
				pos += len;
				if (len == 0)
					break; /* the end */
			} else {
				if (got != -EMSGSIZE)
					abort();
				progress_needed = true;
			}
		} else { /* read */
			size_t k = next(&x) % r->cap + 1;
			ssize_t got = ringo_stream_read(s, buf, k);
			if (got < 0 || (size_t)got > k || (size_t)got > rest ||
			    (got == 0 && rest != 0) || memcmp(buf, r->sent + pos, (size_t)got))
				abort();
			pos += (size_t)got;
			if (got == 0)
				break; /* the end */
		}
	}
	if (pos != r->total || !ringo_stream_at_eof(s))
		abort();
	free(buf);
	ringo_stream_destroy(s);
	return 0;
}

static intptr_t run_main(void *arg)
{
	ringo_task *w;
	if (ringo_task_create(writer, arg, NULL, &w) < 0)
		abort();
	intptr_t ret = reader(arg);
	if (ringo_task_await(w) != 0)
		abort();
	ringo_task_unref(w);
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	struct run r = {0};
	r.limit = data[0] % 64 + 1;
	r.cap = data[1] % 80 + 1;
	static const char *const seps[] = {"\n", "\r\n", "ab", "aab", "\0", "x"};
	const char *sep = seps[data[2] % 6];
	r.seplen = data[2] % 6 == 4 ? 1 : strlen(sep);
	memcpy(r.sep, sep, r.seplen);
	r.seed = data[3] * 2654435761u;
	r.chunks = data + 4;
	r.nchunks_bytes = size - 4;
	r.sent = malloc(size);
	if (!r.sent)
		abort();
	for (const uint8_t *p = r.chunks, *end = data + size; p < end;) {
		size_t len = *p++;
		if (len > (size_t)(end - p))
			len = (size_t)(end - p);
		memcpy(r.sent + r.total, p, len);
		r.total += len;
		p += len;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, r.fd) < 0)
		abort();
	intptr_t result;
	if (ringo_run(run_main, &r, &result) != 0 || result != 0)
		abort();
	if (r.fd[0] >= 0)
		close(r.fd[0]);
	close(r.fd[1]);
	free(r.sent);
	return 0;
}

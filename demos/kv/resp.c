/* SPDX-License-Identifier: MIT */
/* The RESP2 request parser (see resp.h). */
#include "resp.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kv_request_reset(struct kv_request *q)
{
	q->pos = 0;
	q->want = -1;
	q->bulk = -1;
	q->argc = 0;
}

static bool request_grow(struct kv_request *q)
{
	size_t cap = q->cap ? q->cap * 2 : 16;
	size_t *o = realloc(q->off, cap * sizeof(*o));
	if (o)
		q->off = o;
	size_t *l = realloc(q->len, cap * sizeof(*l));
	if (l)
		q->len = l;
	struct kv_str *v = realloc(q->argv, cap * sizeof(*v));
	if (v)
		q->argv = v;
	if (!o || !l || !v)
		return false;
	q->cap = cap;
	return true;
}

static bool request_push(struct kv_request *q, size_t off, size_t len)
{
	if (q->argc == q->cap && !request_grow(q))
		return false;
	q->off[q->argc] = off;
	q->len[q->argc] = len;
	q->argc++;
	return true;
}

static int parse_error(struct kv_request *q, const char *msg)
{
	snprintf(q->err, sizeof(q->err), "%s", msg);
	return KV_PARSE_ERROR;
}

/* A "<c><integer>\r\n" line at q->pos: KV_PARSE_DONE with *v and q->pos past
 * it, KV_PARSE_MORE, or KV_PARSE_ERROR with toobig/bad as the message. */
static int parse_line_int(struct kv_request *q, const char *p, size_t n, long long *v,
			  const char *toobig, const char *bad)
{
	const char *line = p + q->pos, *cr = memchr(line, '\r', n - q->pos);
	if (!cr || (size_t)(cr - p) + 1 == n) {
		if (n - q->pos > KV_MAX_INLINE)
			return parse_error(q, toobig);
		return KV_PARSE_MORE;
	}
	if (cr[1] != '\n' || !kv_parse_int(line + 1, (size_t)(cr - line - 1), v))
		return parse_error(q, bad);
	q->pos = (size_t)(cr - p) + 2;
	return KV_PARSE_DONE;
}

/* "*<n>\r\n" then n times "$<len>\r\n<len bytes>\r\n". */
static int parse_multibulk(struct kv_request *q, const char *p, size_t n)
{
	int r;
	if (q->want < 0) {
		r = parse_line_int(q, p, n, &q->want, "too big mbulk count string",
				   "invalid multibulk length");
		if (r != KV_PARSE_DONE)
			return r;
		if (q->want > KV_MAX_ARGS)
			return parse_error(q, "invalid multibulk length");
		if (q->want < 0)
			q->want = 0; /* "*-1": an empty command, as in redis */
	}
	while (q->argc < (size_t)q->want) {
		if (q->bulk < 0) {
			if (q->pos == n)
				return KV_PARSE_MORE;
			if (p[q->pos] != '$') {
				snprintf(q->err, sizeof(q->err), "expected '$', got '%c'",
					 p[q->pos]);
				return KV_PARSE_ERROR;
			}
			r = parse_line_int(q, p, n, &q->bulk, "too big bulk count string",
					   "invalid bulk length");
			if (r != KV_PARSE_DONE)
				return r;
			if (q->bulk < 0 || q->bulk > KV_MAX_BULK)
				return parse_error(q, "invalid bulk length");
		}
		size_t len = (size_t)q->bulk;
		if (n - q->pos < len + 2)
			return KV_PARSE_MORE;
		if (p[q->pos + len] != '\r' || p[q->pos + len + 1] != '\n')
			return parse_error(q, "expected CRLF after bulk string");
		if (!request_push(q, q->pos, len))
			return parse_error(q, "out of memory");
		q->pos += len + 2;
		q->bulk = -1;
	}
	return KV_PARSE_DONE;
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/* One inline argument at *pp (not a space): copied into dst unquoted.
 * "..." knows \n \r \t \b \a \xHH and escapes anything else; '...' only \'.
 * A closing quote must be followed by a space or the end. Returns the
 * length, or -1 for unbalanced quotes. */
static long inline_arg(const char **pp, const char *end, char *dst)
{
	const char *p = *pp;
	char quote = *p == '"' || *p == '\'' ? *p++ : 0;
	char *d = dst;
	for (;;) {
		if (p == end) {
			if (quote)
				return -1;
			break;
		}
		if (!quote) {
			if (isspace((unsigned char)*p))
				break;
			*d++ = *p++;
			continue;
		}
		if (*p == quote) {
			p++;
			if (p != end && !isspace((unsigned char)*p))
				return -1;
			break;
		}
		if (*p == '\\' && p + 1 < end) {
			char c = p[1];
			if (quote == '"' && c == 'x' && p + 3 < end && hex_digit(p[2]) >= 0 &&
			    hex_digit(p[3]) >= 0) {
				*d++ = (char)(hex_digit(p[2]) * 16 + hex_digit(p[3]));
				p += 4;
				continue;
			}
			if (quote == '"') {
				const char *from = "nrtba", *to = "\n\r\t\b\a";
				const char *k = strchr(from, c);
				*d++ = c && k ? to[k - from] : c;
				p += 2;
				continue;
			}
			if (c == '\'') {
				*d++ = '\'';
				p += 2;
				continue;
			}
		}
		*d++ = *p++;
	}
	*pp = p;
	return d - dst;
}

/* A line of space-separated, optionally quoted arguments up to "\n". */
static int parse_inline(struct kv_request *q, const char *p, size_t n)
{
	const char *nl = memchr(p, '\n', n);
	if (!nl) {
		if (n > KV_MAX_INLINE)
			return parse_error(q, "too big inline request");
		return KV_PARSE_MORE;
	}
	size_t len = (size_t)(nl - p);
	if (len > 0 && p[len - 1] == '\r')
		len--;
	/* Only the final CRLF or LF ends the line: a bare CR or a NUL inside it
	 * is refused, so no one in front of the server (a proxy splitting at
	 * CR, a C string) can see other commands in it than we do. Quoted
	 * escapes ("\r", "\x00") still make those bytes. */
	if (memchr(p, '\r', len) || memchr(p, '\0', len))
		return parse_error(q, "CR or NUL inside an inline request");
	if (len > q->scratch_cap) {
		char *s = realloc(q->scratch, len);
		if (!s)
			return parse_error(q, "out of memory");
		q->scratch = s;
		q->scratch_cap = len;
	}
	const char *at = p, *end = p + len;
	size_t used = 0;
	for (;;) {
		while (at < end && isspace((unsigned char)*at))
			at++;
		if (at == end)
			break;
		long l = inline_arg(&at, end, q->scratch + used);
		if (l < 0)
			return parse_error(q, "unbalanced quotes in request");
		if (!request_push(q, used, (size_t)l))
			return parse_error(q, "out of memory");
		used += (size_t)l;
	}
	q->pos = (size_t)(nl - p) + 1;
	return KV_PARSE_DONE;
}

enum kv_parse_result kv_parse_request(struct kv_request *q, const char *p, size_t n)
{
	if (n == 0)
		return KV_PARSE_MORE;
	bool is_inline = p[0] != '*';
	int r = is_inline ? parse_inline(q, p, n) : parse_multibulk(q, p, n);
	if (r == KV_PARSE_DONE) {
		const char *base = is_inline ? q->scratch : p;
		for (size_t i = 0; i < q->argc; i++)
			q->argv[i] = (struct kv_str){base + q->off[i], q->len[i]};
	}
	return r;
}

void kv_request_free(struct kv_request *q)
{
	free(q->off);
	free(q->len);
	free(q->argv);
	free(q->scratch);
}

/* SPDX-License-Identifier: MIT */
/* The HTTP/1.x request head parser (see parse.h). */
#include "parse.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

/* RFC 9110 §5.6.2: the characters of a token (a method, a field name). */
static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* RFC 9110 §5.5: a field value is visible characters, obs-text, SP and
 * HTAB. CR, LF and NUL in particular are refused (400): a proxy in front
 * that ends lines at a bare LF, or a C string at a NUL, would see another
 * request than we do. */
static bool is_field_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool token_is(const char *p, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(p, word, n) == 0;
}

/* Whether a comma-separated header value holds token (case-insensitive). */
static bool value_has(const char *v, size_t n, const char *token)
{
	size_t i = 0;
	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t start = i;
		while (i < n && v[i] != ',')
			i++;
		size_t end = i;
		while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
			end--;
		if (token_is(v + start, end - start, token))
			return true;
	}
	return false;
}

enum http_parse_result http_parse_request(const char *buf, size_t len, struct http_request *rq)
{
	const char *end = memmem(buf, len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX, "\r\n\r\n", 4);
	if (!end)
		return len >= HTTP_HEAD_MAX ? HTTP_PARSE_BAD : HTTP_PARSE_MORE;
	memset(rq, 0, sizeof(*rq));
	rq->head_len = (size_t)(end - buf) + 4;

	/* Request line: METHOD SP target SP HTTP/1.x CRLF */
	const char *line_end = memmem(buf, rq->head_len, "\r\n", 2);
	const char *sp1 = memchr(buf, ' ', (size_t)(line_end - buf));
	if (!sp1 || sp1 == buf)
		return HTTP_PARSE_BAD;
	const char *sp2 = memchr(sp1 + 1, ' ', (size_t)(line_end - sp1 - 1));
	if (!sp2 || sp2 == sp1 + 1 || line_end - sp2 - 1 != 8)
		return HTTP_PARSE_BAD;
	for (const char *p = buf; p < sp1; p++)
		if (!isupper((unsigned char)*p))
			return HTTP_PARSE_BAD;
	/* The target: no control characters (a bare CR, LF or NUL), no SP. */
	for (const char *p = sp1 + 1; p < sp2; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return HTTP_PARSE_BAD;
	if (memcmp(sp2 + 1, "HTTP/1.", 7) != 0 || (sp2[8] != '0' && sp2[8] != '1'))
		return HTTP_PARSE_BAD;
	bool http11 = sp2[8] == '1';
	size_t mlen = (size_t)(sp1 - buf);
	rq->head_only = mlen == 4 && memcmp(buf, "HEAD", 4) == 0;
	rq->is_get = rq->head_only || (mlen == 3 && memcmp(buf, "GET", 3) == 0);
	rq->root = sp2 - sp1 - 1 == 1 && sp1[1] == '/';
	rq->target_off = (size_t)(sp1 + 1 - buf);
	rq->target_len = (size_t)(sp2 - sp1 - 1);
	rq->keep_alive = http11;

	/* Header fields: name ":" OWS value OWS CRLF */
	bool have_length = false;
	const char *p = line_end + 2;
	while (p < end + 2) {
		const char *eol = memmem(p, (size_t)(end + 2 - p), "\r\n", 2);
		const char *colon = memchr(p, ':', (size_t)(eol - p));
		if (!colon || colon == p)
			return HTTP_PARSE_BAD;
		/* A name is a token: this also refuses obs-fold (a line that
		 * starts with SP or HTAB) and SP before the colon (RFC 9112 §5). */
		for (const char *q = p; q < colon; q++)
			if (!is_tchar((unsigned char)*q))
				return HTTP_PARSE_BAD;
		for (const char *q = colon + 1; q < eol; q++)
			if (!is_field_char((unsigned char)*q))
				return HTTP_PARSE_BAD;
		const char *v = colon + 1;
		while (v < eol && (*v == ' ' || *v == '\t'))
			v++;
		size_t vlen = (size_t)(eol - v);
		size_t nlen = (size_t)(colon - p);
		if (token_is(p, nlen, "Connection")) {
			if (value_has(v, vlen, "close"))
				rq->keep_alive = false;
			else if (value_has(v, vlen, "keep-alive"))
				rq->keep_alive = true;
		} else if (token_is(p, nlen, "Content-Length")) {
			size_t n = 0;
			size_t i = 0;
			while (i < vlen && isdigit((unsigned char)v[i])) {
				if (n > (SIZE_MAX - 9) / 10)
					return HTTP_PARSE_BAD;
				n = n * 10 + (size_t)(v[i++] - '0');
			}
			while (i < vlen && (v[i] == ' ' || v[i] == '\t'))
				i++;
			if (i == 0 || i != vlen || (have_length && n != rq->body_len))
				return HTTP_PARSE_BAD;
			rq->body_len = n;
			have_length = true;
		} else if (token_is(p, nlen, "Transfer-Encoding")) {
			return HTTP_PARSE_BAD; /* bodies in chunks are not supported */
		}
		p = eol + 2;
	}
	return HTTP_PARSE_OK;
}

/* SPDX-License-Identifier: MIT */
/* The HTTP/1.x request head parser of the HTTP demo (demos/http_server.c),
 * a unit of its own so that a fuzzer (tests/fuzz/http_parse.c) and other
 * programs can link it. It needs no loop and allocates nothing. */
#ifndef DEMOS_HTTP_PARSE_H
#define DEMOS_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_HEAD_MAX 8192      /* a longer request head is refused */

struct http_request {
	size_t head_len;        /* bytes up to and including the blank line */
	size_t body_len;        /* Content-Length */
	bool head_only;         /* HEAD */
	bool is_get;            /* GET or HEAD */
	bool root;              /* target "/" */
	size_t target_off;      /* the target: buf[target_off..+target_len) */
	size_t target_len;
	bool keep_alive;        /* HTTP/1.1 unless "Connection: close"... */
};

enum http_parse_result {
	HTTP_PARSE_OK,          /* *rq describes the request at buf */
	HTTP_PARSE_MORE,        /* buf holds only part of a head: wait for more */
	HTTP_PARSE_BAD,         /* malformed: answer 400 and close */
};

/* Parses the request head at the start of buf (len bytes; not
 * NUL-terminated). Only the head: the caller skips rq->body_len bytes of
 * body after rq->head_len. Lines end with CRLF only; HTTP_PARSE_BAD for a
 * head over HTTP_HEAD_MAX, a method that is not upper-case letters, a
 * target with a control character or SP in it, a version other than
 * HTTP/1.0 and HTTP/1.1, a field name that is not a token (obs-fold
 * included), a field value with a control character other than HTAB
 * (bare CR, LF, NUL: RFC 9110 §5.5), a bad or conflicting
 * Content-Length, and any Transfer-Encoding. */
enum http_parse_result http_parse_request(const char *buf, size_t len, struct http_request *rq);

#endif

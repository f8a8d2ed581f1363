/* SPDX-License-Identifier: MIT */
/* The HTTP demo's request parser (demos/http/parse.c) on its own: what it
 * accepts and how it reads it, each kind of malformed head it refuses
 * (RFC 9110 §5.5: CR, LF and NUL in field values; their siblings in the
 * request line and field names; obs-fold), and heads that have not fully
 * arrived. */
#include "harness.h"

#include <string.h>

#include "http/parse.h"

static enum http_parse_result parse_n(const char *buf, size_t len, struct http_request *rq)
{
	return http_parse_request(buf, len, rq);
}

static enum http_parse_result parse(const char *buf, struct http_request *rq)
{
	return parse_n(buf, strlen(buf), rq);
}

static void test_get(void **state)
{
	(void)state;
	struct http_request rq;
	const char *r = "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET";
	assert_int_equal(parse(r, &rq), HTTP_PARSE_OK);
	assert_int_equal(rq.head_len, strlen(r) - 3);
	assert_int_equal(rq.body_len, 0);
	assert_true(rq.is_get);
	assert_false(rq.head_only);
	assert_true(rq.root);
	assert_true(rq.keep_alive);

	assert_int_equal(parse("HEAD /x HTTP/1.0\r\n\r\n", &rq), HTTP_PARSE_OK);
	assert_true(rq.is_get);
	assert_true(rq.head_only);
	assert_false(rq.root);
	assert_false(rq.keep_alive);

	assert_int_equal(parse("POST / HTTP/1.1\r\ncontent-length:  12 \r\n"
			       "Connection: foo, Close\r\n\r\n", &rq), HTTP_PARSE_OK);
	assert_false(rq.is_get);
	assert_int_equal(rq.body_len, 12);
	assert_false(rq.keep_alive);

	assert_int_equal(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n"
			       "X-Tab:\tvalue\twith tabs and obs-text \xff\r\n\r\n", &rq),
			 HTTP_PARSE_OK);
	assert_true(rq.keep_alive);
}

static void test_incomplete(void **state)
{
	(void)state;
	struct http_request rq;
	const char *r = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	for (size_t n = 0; n < strlen(r); n++)
		assert_int_equal(parse_n(r, n, &rq), HTTP_PARSE_MORE);
	assert_int_equal(parse_n(r, strlen(r), &rq), HTTP_PARSE_OK);
}

/* Each of these gets 400. */
static void test_bad(void **state)
{
	(void)state;
	static const struct {
		const char *head;
		size_t len;
	} bad[] = {
#define B(s) {s, sizeof(s) - 1}
		B("garbage\r\n\r\n"),
		B("GET /\r\n\r\n"),
		B("get / HTTP/1.1\r\n\r\n"),
		B("GET  / HTTP/1.1\r\n\r\n"),
		B("GET / HTTP/2.0\r\n\r\n"),
		B("GET / HTTP/1.1\r\nNo colon here\r\n\r\n"),
		B("GET / HTTP/1.1\r\n: no name\r\n\r\n"),
		B("GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"),
		B("GET / HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\n"),
		B("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
		B("GET / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n"),
		B("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
		/* RFC 9110 §5.5: bare LF, bare CR, NUL in a field value */
		B("GET / HTTP/1.1\r\nX: a\nb\r\n\r\n"),
		B("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n"),
		B("GET / HTTP/1.1\r\nX: a\0b\r\n\r\n"),
		B("GET / HTTP/1.1\r\nX: a\x01\r\n\r\n"),
		B("GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n"),
		/* a smuggled second request behind a bare LF */
		B("GET / HTTP/1.1\r\nX: a\nContent-Length: 5\r\n\r\n"),
		/* the same in the request line and in field names */
		B("GET /a\nb HTTP/1.1\r\n\r\n"),
		B("GET /a\rb HTTP/1.1\r\n\r\n"),
		B("GET /a\0b HTTP/1.1\r\n\r\n"),
		B("GET /\tb HTTP/1.1\r\n\r\n"),
		B("GET / HTTP/1.1\nHost: x\r\n\r\n"),
		B("GET / HTTP/1.1\r\nX\n: a\r\n\r\n"),
		B("GET / HTTP/1.1\r\nX\r: a\r\n\r\n"),
		B("GET / HTTP/1.1\r\nX\0Y: a\r\n\r\n"),
		B("GET / HTTP/1.1\r\nX(Y): a\r\n\r\n"),
		B("GET / HTTP/1.1\r\nX : a\r\n\r\n"),
		/* obs-fold (RFC 9112 §5.2: a server refuses it) */
		B("GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n"),
		B("GET / HTTP/1.1\r\nX: a\r\n\tb: c\r\n\r\n"),
	};
#undef B
	struct http_request rq;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse_n(bad[i].head, bad[i].len, &rq) != HTTP_PARSE_BAD)
			fail_msg("accepted: case %zu", i);
	}
}

/* A head of HTTP_HEAD_MAX bytes or more without its end: 400 at once. */
static void test_too_long(void **state)
{
	(void)state;
	static char big[HTTP_HEAD_MAX + 10];
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	struct http_request rq;
	assert_int_equal(parse_n(big, HTTP_HEAD_MAX - 1, &rq), HTTP_PARSE_MORE);
	assert_int_equal(parse_n(big, HTTP_HEAD_MAX, &rq), HTTP_PARSE_BAD);
	memcpy(big + HTTP_HEAD_MAX - 4, "\r\n\r\n", 4);
	assert_int_equal(parse_n(big, sizeof(big), &rq), HTTP_PARSE_OK);
	assert_int_equal(rq.head_len, HTTP_HEAD_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_too_long),
	};
	return cmocka_run_group_tests_name("http_parse", tests, NULL, NULL);
}

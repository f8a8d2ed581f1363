/* SPDX-License-Identifier: MIT */
/* RESP2 replies of the KV demo, built in a connection's own buffer. */
#ifndef DEMOS_KV_REPLY_H
#define DEMOS_KV_REPLY_H

#include <stddef.h>

#define KV_BIG_VALUE (4u << 10) /* bulk values this long bypass the buffer */

/* Where replies go. With a sink, kv_out_flush hands the buffer to it, and
 * a big bulk value is handed straight from where it lies (the store)
 * without a copy; without one (sink NULL: tests, fuzzers) everything stays
 * in buf. Zero-initialise, then set sink; release buf with kv_out_free. */
struct kv_out {
	char *buf;
	size_t len, cap;
	int (*sink)(void *arg, const void *p, size_t n); /* 0 or a negative errno */
	void *sink_arg;
	size_t handed;        /* given to the sink since the owner reset it */
	int err;              /* the first error (-ENOMEM, the sink's): the connection is done */
};

void kv_out_add(struct kv_out *o, const void *p, size_t n);
#define kv_out_lit(o, s) kv_out_add((o), s, sizeof(s) - 1)
/* Hands what is buffered to the sink (nothing without one). */
void kv_out_flush(struct kv_out *o);
/* A ':' integer, '*' array or '$' bulk header: the prefix, n, CRLF. */
void kv_out_num(struct kv_out *o, char prefix, long long n);
/* "$<n>\r\n<p>\r\n". */
void kv_out_bulk(struct kv_out *o, const char *p, size_t n);
/* "-<message>\r\n", with CR and LF in the message turned into spaces (as
 * redis does), so the reply stays one line; at most 511 bytes of message. */
void kv_out_error(struct kv_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kv_out_free(struct kv_out *o);

#endif

/* SPDX-License-Identifier: MIT */
/* RESP2 replies (see reply.h). */
#include "reply.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *room(struct kv_out *o, size_t n)
{
	if (o->len + n > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		while (cap < o->len + n)
			cap *= 2;
		char *buf = realloc(o->buf, cap);
		if (!buf) {
			o->err = -ENOMEM;
			return NULL;
		}
		o->buf = buf;
		o->cap = cap;
	}
	return o->buf + o->len;
}

void kv_out_add(struct kv_out *o, const void *p, size_t n)
{
	char *dst = room(o, n);
	if (dst) {
		memcpy(dst, p, n);
		o->len += n;
	}
}

static void hand(struct kv_out *o, const void *p, size_t n)
{
	if (n && !o->err)
		o->err = o->sink(o->sink_arg, p, n);
	o->handed += n;
}

void kv_out_flush(struct kv_out *o)
{
	if (!o->sink)
		return;
	hand(o, o->buf, o->len);
	o->len = 0;
}

void kv_out_num(struct kv_out *o, char prefix, long long n)
{
	char digits[20], *dst = room(o, 24);
	if (!dst)
		return;
	unsigned long long v = n < 0 ? 0 - (unsigned long long)n : (unsigned long long)n;
	size_t k = 0;
	do
		digits[k++] = (char)('0' + v % 10);
	while (v /= 10);
	*dst++ = prefix;
	if (n < 0)
		*dst++ = '-';
	while (k)
		*dst++ = digits[--k];
	*dst++ = '\r';
	*dst++ = '\n';
	o->len = (size_t)(dst - o->buf);
}

void kv_out_bulk(struct kv_out *o, const char *p, size_t n)
{
	kv_out_num(o, '$', (long long)n);
	if (n >= KV_BIG_VALUE && o->sink) {
		kv_out_flush(o);
		hand(o, p, n);
	} else {
		kv_out_add(o, p, n);
	}
	kv_out_lit(o, "\r\n");
}

void kv_out_error(struct kv_out *o, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	for (int i = 0; i < n; i++)
		if (msg[i] == '\r' || msg[i] == '\n')
			msg[i] = ' ';
	kv_out_lit(o, "-");
	kv_out_add(o, msg, (size_t)n);
	kv_out_lit(o, "\r\n");
}

void kv_out_free(struct kv_out *o)
{
	free(o->buf);
	o->buf = NULL;
	o->len = o->cap = 0;
}

/* SPDX-License-Identifier: MIT */
/* Byte strings and integers as the KV demo's protocol reads them. */
#ifndef DEMOS_KV_STR_H
#define DEMOS_KV_STR_H

#include <stdbool.h>
#include <stddef.h>

/* A byte string that points into someone else's memory; may hold NULs. */
struct kv_str {
	const char *p;
	size_t n;
};

/* Whether s is word (a NUL-terminated lower-case literal), ignoring the
 * case of s. */
bool kv_is(struct kv_str s, const char *word);

/* redis's string-to-integer rule: optional '-', no leading zeros, no
 * spaces or '+', fits in a long long. Returns true and *out, or false. */
bool kv_parse_int(const char *p, size_t n, long long *out);

#endif

/* SPDX-License-Identifier: MIT */
/* Byte strings and integers (see str.h). */
#include "str.h"

#include <ctype.h>
#include <limits.h>

bool kv_is(struct kv_str s, const char *word)
{
	/* Bounded by both: s may hold a NUL, which must not match word's end
	 * and walk on past it. */
	size_t i = 0;
	for (; i < s.n && word[i]; i++)
		if (word[i] != (char)tolower((unsigned char)s.p[i]))
			return false;
	return i == s.n && word[i] == 0;
}

bool kv_parse_int(const char *p, size_t n, long long *out)
{
	if (n == 0 || n > 20)
		return false;
	if (n == 1 && p[0] == '0') {
		*out = 0;
		return true;
	}
	bool neg = p[0] == '-';
	size_t i = neg;
	if (i == n || p[i] < '1' || p[i] > '9')
		return false;
	unsigned long long v = 0;
	for (; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		unsigned d = (unsigned)(p[i] - '0');
		if (v > (ULLONG_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (neg) {
		if (v > (unsigned long long)LLONG_MAX + 1)
			return false;
		*out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
	} else {
		if (v > (unsigned long long)LLONG_MAX)
			return false;
		*out = (long long)v;
	}
	return true;
}

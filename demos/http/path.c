/* SPDX-License-Identifier: MIT */
/* Request targets to paths under the root: decode, then refuse anything
 * that could climb out of it. */
#include <string.h>

#include "path.h"

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int http_path_decode(const char *target, size_t len, char *out, size_t cap)
{
	if (len == 0 || target[0] != '/' || cap == 0)
		return -1;
	const char *q = memchr(target, '?', len);
	if (q)
		len = (size_t)(q - target);
	size_t n = 0;
	for (size_t i = 1; i < len; i++) {
		char c = target[i];
		if (c == '%') {
			int hi = i + 2 < len ? hex(target[i + 1]) : -1;
			int lo = i + 2 < len ? hex(target[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return -1;
			c = (char)(hi << 4 | lo);
			i += 2;
			if (c == '\0')
				return -1;
		}
		if (n + 1 >= cap)
			return -1;
		out[n++] = c;
	}
	out[n] = '\0';
	/* Each segment between slashes: "." and ".." are refused (an empty
	 * one, from "//", is harmless). */
	for (size_t i = 0; i <= n;) {
		size_t j = i;
		while (j < n && out[j] != '/')
			j++;
		size_t seg = j - i;
		if ((seg == 1 && out[i] == '.') || (seg == 2 && out[i] == '.' && out[i + 1] == '.'))
			return -1;
		i = j + 1;
	}
	return (int)n;
}

/* SPDX-License-Identifier: MIT */
/* Request targets to file paths for the HTTP demo's --root (a unit of its
 * own, tested by tests/test_http_parse.c). Needs no loop. */
#ifndef DEMOS_HTTP_PATH_H
#define DEMOS_HTTP_PATH_H

#include <stddef.h>

/* Turns the origin-form target (len bytes, "/a/b%20c?q") into a path
 * relative to the served root ("a/b c"; "" for "/"), NUL-terminated in out
 * (cap bytes). The query is dropped and %XX escapes are decoded. Returns
 * the path's length, or -1 for a target that must be refused: not
 * starting with '/', a bad escape, a NUL (%00), or a "." or ".." segment
 * (after decoding: "%2e%2e" is ".."), or one that does not fit. Symlinks
 * are the opener's to refuse (openat2 RESOLVE_BENEATH). */
int http_path_decode(const char *target, size_t len, char *out, size_t cap);

#endif

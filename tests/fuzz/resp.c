/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the KV demo's RESP parser (demos/kv/resp.c) and the
 * command executor with its store (demos/kv/command.c, store.c).
 *
 * The first input byte chooses a chunk size; the rest is a stream of
 * pipelined commands. Each command is parsed twice: from the whole rest of
 * the stream, and resumed chunk by chunk as the server does when bytes
 * trickle in; both must give the same command (or the same error). Each
 * command is then executed against a store that lives across inputs, and
 * its reply must be exactly one well-formed RESP2 value. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kv/command.h"
#include "kv/resp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The length of the one RESP2 value at p, or 0 if it is not one. */
static size_t resp_value(const char *p, size_t n, int depth)
{
	if (n < 3 || depth > 4)
		return 0;
	const char *cr = memchr(p, '\r', n);
	if (!cr || (size_t)(cr - p) + 1 >= n || cr[1] != '\n')
		return 0;
	size_t line = (size_t)(cr - p) + 2;
	if (memchr(p, '\n', line - 1))
		return 0;
	long long v;
	switch (p[0]) {
	case '+':
	case '-':
		return line;
	case ':':
		return kv_parse_int(p + 1, line - 3, &v) ? line : 0;
	case '$':
		if (!kv_parse_int(p + 1, line - 3, &v) || v < -1)
			return 0;
		if (v == -1)
			return line;
		if ((size_t)v + 2 > n - line || p[line + v] != '\r' || p[line + v + 1] != '\n')
			return 0;
		return line + (size_t)v + 2;
	case '*':
		if (!kv_parse_int(p + 1, line - 3, &v) || v < 0)
			return 0;
		for (long long i = 0; i < v; i++) {
			size_t k = resp_value(p + line, n - line, depth + 1);
			if (!k)
				return 0;
			line += k;
		}
		return line;
	default:
		return 0;
	}
}

static bool same_command(const struct kv_request *a, const struct kv_request *b)
{
	if (a->argc != b->argc || a->pos != b->pos)
		return false;
	for (size_t i = 0; i < a->argc; i++)
		if (a->argv[i].n != b->argv[i].n || memcmp(a->argv[i].p, b->argv[i].p, a->argv[i].n))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kv_store store;
	static bool ready;
	if (!ready) {
		if (kv_store_init(&store) < 0)
			abort();
		ready = true;
	}
	if (size < 1)
		return 0;
	size_t step = data[0] % 32 + 1;
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	struct kv_request whole = {0}, bits = {0};
	kv_request_reset(&whole);
	kv_request_reset(&bits);
	struct kv_out out = {0};
	struct kv_ctx c = {.store = &store, .out = &out};
	size_t used = 0;
	while (used < n && !c.quit) {
		enum kv_parse_result r = kv_parse_request(&whole, p + used, n - used);
		/* the same, resumed chunk by chunk */
		enum kv_parse_result rb = KV_PARSE_MORE;
		for (size_t avail = step < n - used ? step : n - used;; avail += step) {
			if (avail > n - used)
				avail = n - used;
			rb = kv_parse_request(&bits, p + used, avail);
			if (rb != KV_PARSE_MORE || avail == n - used)
				break;
		}
		if (r != rb)
			abort();
		if (r == KV_PARSE_MORE)
			break;
		if (r == KV_PARSE_ERROR) {
			if (strcmp(whole.err, bits.err) != 0)
				abort();
			break;
		}
		if (!same_command(&whole, &bits) || whole.pos == 0 || whole.pos > n - used)
			abort();
		out.len = 0;
		kv_execute(&c, whole.argv, whole.argc);
		if (out.err)
			abort();
		if (whole.argc == 0 ? out.len != 0 : resp_value(out.buf, out.len, 0) != out.len)
			abort();
		used += whole.pos;
		kv_request_reset(&whole);
		kv_request_reset(&bits);
		if (store.count > 10000)
			kv_store_flush(&store);
	}
	kv_request_free(&whole);
	kv_request_free(&bits);
	kv_out_free(&out);
	return 0;
}

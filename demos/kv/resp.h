/* SPDX-License-Identifier: MIT */
/* The RESP2 request parser of the KV demo (demos/kv_server.c): arrays of
 * bulk strings ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") and inline commands
 * ("GET k\r\n"), parsed where they lie. A unit of its own so that a fuzzer
 * (tests/fuzz/resp.c) and other programs can link it; it needs no loop. */
#ifndef DEMOS_KV_RESP_H
#define DEMOS_KV_RESP_H

#include <stddef.h>

#include "str.h"

#define KV_MAX_BULK (512u << 20)    /* redis's proto-max-bulk-len */
#define KV_MAX_ARGS (1 << 20)       /* arguments of one command */
#define KV_MAX_INLINE (64u << 10)   /* an inline command, or a '*'/'$' line */

/* One command being parsed. Positions are offsets from the start of the
 * command, so the parse survives the stream moving its buffer between
 * fills. */
struct kv_request {
	size_t pos;           /* parsed up to here */
	long long want;       /* arguments announced by '*'; -1: not read yet */
	long long bulk;       /* length of the argument being read; -1: not read yet */
	size_t argc, cap;
	size_t *off, *len;    /* the arguments */
	struct kv_str *argv;     /* built once the command is complete */
	char *scratch;        /* inline arguments, unquoted */
	size_t scratch_cap;
	char err[64];
};

enum kv_parse_result { KV_PARSE_MORE, KV_PARSE_DONE, KV_PARSE_ERROR };

/* Makes q ready for the next command (keeps its memory). A zeroed
 * struct kv_request must be reset once before its first parse. */
void kv_request_reset(struct kv_request *q);
/* Parses the command at the start of p[0..n). KV_PARSE_DONE: q->argv[0..argc)
 * point into p (or into q->scratch) and q->pos bytes make the command (argc
 * 0: an empty one, to skip); KV_PARSE_MORE: p holds only part of it (or
 * nothing), and the
 * next call, with p extended, resumes; KV_PARSE_ERROR: q->err says why. */
enum kv_parse_result kv_parse_request(struct kv_request *q, const char *p, size_t n);
/* Frees what q allocated (not q). */
void kv_request_free(struct kv_request *q);

#endif

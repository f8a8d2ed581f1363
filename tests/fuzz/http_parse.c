/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the HTTP demo's request parser (demos/http/parse.c),
 * on input taken as a stream of pipelined requests, as the server reads
 * it. Besides memory errors (ASan, UBSan), it checks what the parser
 * promises: a parsed head ends with its CRLF CRLF and holds no control
 * character but HTAB (and CRLF at line ends); "more" is only said of a
 * head shorter than HTTP_HEAD_MAX; a prefix of a complete head is never
 * "bad" nor "ok". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t left = size;
	while (left) {
		struct http_request rq;
		enum http_parse_result r = http_parse_request(p, left, &rq);
		if (r == HTTP_PARSE_MORE) {
			if (left >= HTTP_HEAD_MAX)
				abort();
			break;
		}
		if (r == HTTP_PARSE_BAD)
			break;
		if (rq.head_len < 4 || rq.head_len > left || rq.head_len > HTTP_HEAD_MAX ||
		    memcmp(p + rq.head_len - 4, "\r\n\r\n", 4) != 0)
			abort();
		for (size_t i = 0; i < rq.head_len; i++) {
			unsigned char c = (unsigned char)p[i];
			bool crlf = (c == '\r' && p[i + 1] == '\n') || (c == '\n' && i && p[i - 1] == '\r');
			if ((c < 0x20 && c != '\t' && !crlf) || c == 0x7f)
				abort();
		}
		/* every proper prefix of the head is "more" */
		struct http_request pre;
		if (http_parse_request(p, rq.head_len - 1, &pre) != HTTP_PARSE_MORE)
			abort();
		/* the server skips the body, then parses what follows */
		size_t used = rq.head_len + (rq.body_len < left - rq.head_len ? rq.body_len
									  : left - rq.head_len);
		p += used;
		left -= used;
	}
	return 0;
}

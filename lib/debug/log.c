/* SPDX-License-Identifier: MIT */
/* The log: every message ringo writes goes through ringo__log, to the
 * user's function or, by default, one line on stderr. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/internal.h"
#include "debug/log.h"

static ringo_log_fn log_fn;
static void *log_arg;

void ringo_set_log_fn(ringo_log_fn fn, void *arg)
{
	log_arg = arg;
	log_fn = fn;
}

/* "ringo: " msg "\n" in one write, so that lines of threads do not mix. */
static void write_stderr(const char *msg)
{
	char buf[RINGO__LOG_MAX + 16];
	size_t len = strlen(msg);
	if (len > RINGO__LOG_MAX)
		len = RINGO__LOG_MAX;
	memcpy(buf, "ringo: ", 7);
	memcpy(buf + 7, msg, len);
	buf[7 + len] = '\n';
	size_t n = len + 8, off = 0;
	while (off < n) {
		ssize_t w = write(STDERR_FILENO, buf + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
}

void ringo__log_str(enum ringo_log_level level, const char *msg)
{
	ringo_log_fn fn = log_fn;
	if (fn)
		fn(level, msg, log_arg);
	else
		write_stderr(msg);
}

void ringo__log(enum ringo_log_level level, const char *fmt, ...)
{
	char buf[RINGO__LOG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ringo__log_str(level, buf);
}

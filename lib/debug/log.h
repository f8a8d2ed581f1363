/* SPDX-License-Identifier: MIT */
/* Internal: the log (lib/debug/log.c). Never installed. */
#ifndef RINGO__LOG_H
#define RINGO__LOG_H

#include "ringo.h"

/* Longest message passed on; longer ones are cut. */
#define RINGO__LOG_MAX 1024

/* Formats one message (no "ringo: " prefix, no newline) and passes it to
 * the log function. */
void ringo__log(enum ringo_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same for a message already formatted; async-signal-safe with the
 * default log function. */
void ringo__log_str(enum ringo_log_level level, const char *msg);

#endif

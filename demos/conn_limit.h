/* SPDX-License-Identifier: MIT */
/* The server demos' connection limit (--max-connections): how many
 * connections a server serves at once, on all its loops together (one
 * conn_limit shared by every loop's thread); one over the limit is
 * answered with the server's "too busy" reply and closed at once. */
#ifndef DEMOS_CONN_LIMIT_H
#define DEMOS_CONN_LIMIT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#define CONN_LIMIT_DEFAULT 10000  /* as redis's maxclients */

struct conn_limit {
	size_t max;
	_Atomic size_t active;
};

/* Sets the limit to max and makes room for it in the process's fd limit
 * (RLIMIT_NOFILE raised up to its hard limit, 32 fds kept for the rest,
 * as redis does); if there is not room enough, the limit is lowered and a
 * line on stderr says so. Returns the limit now in force. */
size_t conn_limit_init(struct conn_limit *l, size_t max, const char *prog);
/* A connection starts: true if it is within the limit (then call
 * conn_limit_leave when it ends), false if it must be turned away. */
bool conn_limit_enter(struct conn_limit *l);
void conn_limit_leave(struct conn_limit *l);
/* Parses a --max-connections argument (1 to 1,000,000). Returns false if
 * it is not one. */
bool conn_limit_parse(const char *arg, size_t *max);

#endif

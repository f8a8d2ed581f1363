/* SPDX-License-Identifier: MIT */
/* Internal: the task dump (lib/debug/dump.c) and what it reads of tasks
 * (lib/core/task.c). Never installed. */
#ifndef RINGO__DUMP_H
#define RINGO__DUMP_H

#include "core/internal.h"

enum {
	RINGO__TASK_SCHEDULED,  /* created, its body not started */
	RINGO__TASK_RUNNING,    /* the current task */
	RINGO__TASK_SUSPENDED,  /* in an await, its op in flight */
	RINGO__TASK_READY,      /* woken: the CQE that resumes it is on its way */
};

/* A task seen from outside, for the dump. */
struct ringo__task_view {
	const char *name;
	const struct ringo__wait *wait;  /* where it is suspended, or NULL */
	void *sp;                        /* its fiber's saved stack pointer */
	int64_t since;                   /* when it entered state (0: unknown) */
	uint8_t state;                   /* RINGO__TASK_* */
};

/* The task whose node in loop->tasks is n. */
ringo_task *ringo__task_of(struct ringo__list *n);
void ringo__task_view(const ringo_task *t, struct ringo__task_view *v);

/* The path of the object dladdr named dli_fname (the main program's real
 * path for a relative name); buf holds it if needed. */
const char *ringo__dump_object(const char *dli_fname, char *buf, size_t cap);
/* Writes the running loop's dump to the log, one message a line. */
void ringo__dump_log(enum ringo_log_level level, unsigned flags);
/* Writes it to the file at path (replaced atomically: written beside it,
 * then renamed). Returns 0 or a negative errno. */
int ringo__dump_to_path(const char *path, unsigned flags);

#endif

/* SPDX-License-Identifier: MIT */
/* ringo — subprocesses, asyncio's create_subprocess_exec (included by
 * <ringo.h>).
 *
 * A child is started with posix_spawn and held by a pidfd, so signals never
 * reach a recycled pid. Waiting for it is one SQE: IORING_OP_WAITID (Linux
 * 6.7+) or, where the kernel lacks it, an IORING_OP_POLL_ADD on the pidfd;
 * the exit status is then collected without blocking. Pipes to the child
 * are streams (<ringo/stream.h>), O_CLOEXEC in the parent, so they never
 * leak into other children. Writing to a child that has gone fails with
 * -EPIPE and never raises SIGPIPE: a child's stdin is a pipe written with
 * RWF_NOSIGNAL (Linux 6.18+), or on older kernels a Unix socketpair (as
 * asyncio uses on AIX), written with MSG_NOSIGNAL.
 *
 * Return codes are asyncio's: the exit code (>= 0) of a child that exited,
 * or minus the signal number of one killed by a signal (-9 for SIGKILL).
 * Since a negative return code looks like a negative errno, calls report
 * errors and return codes separately: they return 0 or a negative errno,
 * and store the return code through a pointer.
 *
 * No zombie is left behind: a process released before it was waited for is
 * waited for in the background and reaped when it exits. When the loop
 * ends (ringo_run returning), every child of it not reaped yet is sent
 * SIGKILL and reaped before ringo_run returns (as asyncio's transports kill
 * their process on close), so a forgotten child can neither outlive the
 * loop as a zombie nor keep ringo_run from returning.
 *
 * The child starts with an empty signal mask (signals that the parent
 * blocks, for a signalfd say, are not blocked in it); signal dispositions
 * follow exec's rules (handled ones reset, ignored ones stay ignored). A
 * process whose SIGCHLD is set to SIG_IGN has its children reaped by the
 * kernel: their status is lost and waits return -ECHILD.
 */
#ifndef RINGO_PROCESS_H
#define RINGO_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <ringo/stream.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ringo_process ringo_process;

/* Where a child's standard stream goes (ringo_stdio.mode). */
enum {
	RINGO_STDIO_INHERIT = 0, /* the parent's own (the default) */
	RINGO_STDIO_PIPE,        /* a pipe to the parent, a ringo_stream (asyncio's PIPE) */
	RINGO_STDIO_DEVNULL,     /* /dev/null */
	RINGO_STDIO_FD,          /* the fd in ringo_stdio.fd (still the caller's) */
	RINGO_STDIO_STDOUT,      /* err only: wherever out goes (2>&1) */
};

typedef struct ringo_stdio {
	int mode; /* RINGO_STDIO_* */
	int fd;   /* for RINGO_STDIO_FD */
} ringo_stdio;

typedef struct ringo_process_opts {
	ringo_stdio in, out, err; /* the child's fds 0, 1 and 2 */
	/* "NAME=value" strings, NULL-terminated; NULL: this process's
	 * environment. The program is looked up in this process's PATH. */
	const char *const *env;
	/* The child's working directory; NULL: this process's. A relative
	 * program path is taken relative to it. */
	const char *cwd;
	const ringo_stream_opts *stream; /* for the pipes' streams; NULL: defaults */
} ringo_process_opts;

/* Starts argv[0] with arguments argv (NULL-terminated; argv[0] without a
 * '/' is searched in PATH). opts may be NULL (everything inherited). Does
 * not suspend. Returns 0 and *out (release with ringo_process_destroy), or
 * a negative errno: -ENOENT, -EACCES... when the program cannot be
 * executed (nothing is left running), -EINVAL for a NULL or empty argv or
 * a bad mode, -EPERM outside a running loop, -EMFILE, -ENOMEM. */
int ringo_process_spawn(const char *const *argv, const ringo_process_opts *opts,
			ringo_process **out);

/* The child's pid (for display: signal it with ringo_process_send_signal,
 * which cannot hit a recycled pid). */
pid_t ringo_process_pid(const ringo_process *p);

/* asyncio's proc.stdin, proc.stdout, proc.stderr: the parent's end of a
 * RINGO_STDIO_PIPE as a stream, or NULL for a stream that is not a pipe.
 * Owned by p and valid until ringo_process_destroy: read, write, drain,
 * write_eof (closes the child's stdin) and close them, but do not destroy
 * them. Do not suspend. */
ringo_stream *ringo_process_stdin(const ringo_process *p);
ringo_stream *ringo_process_stdout(const ringo_process *p);
ringo_stream *ringo_process_stderr(const ringo_process *p);

/* Waits until the child has exited and stores its return code in
 * *returncode (if not NULL). Many tasks may wait for one process. Returns
 * 0; -ETIMEDOUT at deadline (a ringo_deadline; RINGO_NO_DEADLINE: none) and
 * -ECANCELED if the task is cancelled, both leaving the process waitable
 * again; -ECHILD if its status was taken by someone else (a waitpid(-1)
 * elsewhere, SIGCHLD ignored); -EPERM outside a task of its loop. Returns
 * at once, without suspending and from anywhere, once the return code is
 * known. As in asyncio, waiting with pipes that nobody reads can deadlock
 * (the child blocks on a full pipe): use ringo_process_communicate. May
 * suspend. */
int ringo_process_wait(ringo_process *p, int *returncode, ringo_deadline deadline);

/* Whether the child has exited (asyncio's returncode is not None): if it
 * has, collects its status without blocking and stores the return code in
 * *returncode (if not NULL). Does not suspend. */
bool ringo_process_returncode(ringo_process *p, int *returncode);

/* asyncio's communicate: writes len bytes of input to the child's stdin
 * and closes it (write_eof), while reading its stdout and stderr to end of
 * stream, then waits for it to exit; the three run concurrently, as tasks,
 * so no pipe fills up and blocks the child. input must be empty unless
 * stdin is RINGO_STDIO_PIPE (-EINVAL); a stdin pipe is closed even without
 * input; a child that exits without reading all its input is not an
 * error. What a stdout (stderr) pipe gives is stored in a malloc'ed buffer
 * in *out (*err), NUL-terminated for convenience, its length in *outlen
 * (*errlen): the caller frees it. out/err may be NULL (that pipe is still
 * read, and what it gives dropped); without a pipe they get NULL and 0.
 * deadline bounds the whole call, as asyncio's wait_for(communicate()).
 * Returns 0 with *returncode (if not NULL) set, or a negative errno with
 * nothing stored (*out and *err NULL): -ETIMEDOUT at deadline (the child
 * keeps running; stdin may be closed, some output consumed), -ECANCELED,
 * -EPERM outside a task of p's loop, -ENOMEM, -EBUSY while another
 * communicate runs on p. May suspend. */
int ringo_process_communicate(ringo_process *p, const void *input, size_t len, char **out,
			      size_t *outlen, char **err, size_t *errlen, int *returncode,
			      ringo_deadline deadline);

/* Sends signal sig through the pidfd (asyncio's send_signal). terminate
 * sends SIGTERM and kill SIGKILL. Return 0, or -ESRCH once the child is
 * known to have exited, -EINVAL for a bad signal. Do not suspend. */
int ringo_process_send_signal(ringo_process *p, int sig);
int ringo_process_terminate(ringo_process *p);
int ringo_process_kill(ringo_process *p);

/* Releases p and destroys its pipes' streams (aborted: output not yet
 * written is dropped). A child still running is not killed: it is waited
 * for in the background (reaped when it exits, or killed and reaped when
 * the loop ends). Returns 0 (also for NULL), or -EBUSY with
 * nothing done while a task waits for p or communicates with it. From
 * outside p's loop (after ringo_run returned), a child not reaped is killed
 * and reaped at once. Does not suspend. */
int ringo_process_destroy(ringo_process *p);

#ifdef __cplusplus
}
#endif

#endif

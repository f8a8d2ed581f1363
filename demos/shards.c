/* SPDX-License-Identifier: MIT */
#include "shards.h"

#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

bool shards_parse(const char *arg, unsigned *n)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);
	if (end == arg || *end || v > SHARDS_MAX)
		return false;
	*n = (unsigned)v;
	return true;
}

int shards_bind(struct shards *sh)
{
	sh->fd0 = -1;
	if (sh->n == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		sh->n = cpus < 1 ? 1 : cpus > SHARDS_MAX ? SHARDS_MAX : (unsigned)cpus;
	}
	if (sh->n == 1)
		return 0;  /* one loop: ringo_start_server as ever */
	struct sockaddr_storage addr;
	socklen_t len;
	int ret = ringo_addr_parse(sh->host, sh->port, &addr, &len);
	if (ret < 0)
		goto fail;
	int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&addr, len) < 0) {
		ret = -errno;
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	sh->fd0 = fd;
	sh->port = (uint16_t)ringo_local_port(fd);
	return 0;

fail:
	fprintf(stderr, "%s: cannot listen on %s:%u: %s\n", sh->prog, sh->host, sh->port,
		strerror(-ret));
	return ret;
}

static void set_stop(void *arg);

int shards_start_server(struct shards *sh, ringo_conn_fn handler, void *arg, ringo_server **out)
{
	unsigned me = ringo_loop_index();
	int ret = ringo_event_create(&sh->stop[me]);
	if (ret < 0)
		return ret;
	ringo_server_opts opts = { .reuse_port = sh->n > 1, .tls = sh->tls,
				   .handshake_timeout = sh->handshake_timeout,
				   .stream = sh->stream };
	if (sh->n > 1 && me == 0)
		ret = ringo_start_server_fd(sh->fd0, handler, arg, &opts, out);
	else
		ret = ringo_start_server(sh->host, sh->port, handler, arg, &opts, out);
	if (ret < 0) {
		fprintf(stderr, "%s: cannot listen on %s:%u: %s\n", sh->prog, sh->host, sh->port,
			strerror(-ret));
		if (sh->n == 1) {
			ringo_event_destroy(sh->stop[me]);
			return ret;
		}
		/* Every loop stops: loop 0 on the signal (blocked by the demos
		 * from the start, so it waits for loop 0's signal wait), the
		 * others on its word. */
		kill(getpid(), SIGTERM);
		sigset_t stop;
		sigemptyset(&stop);
		sigaddset(&stop, SIGTERM);
		shards_wait(sh, &stop);
		return ret;
	}
	if (atomic_fetch_add(&sh->listening, 1) + 1 == sh->n) {
		printf("listening on %s:%u\n", sh->host, ringo_server_port(*out));
		fflush(stdout);
	}
	return 0;
}

/* On loop i: loop 0's word. The loop's event is read on its own thread
 * (reading it on loop 0's raced with its creation); a word that comes
 * before the event exists is kept for shards_wait. */
static void set_stop(void *arg)
{
	struct shards *sh = arg;
	unsigned me = ringo_loop_index();
	sh->stopped[me] = true;
	if (sh->stop[me])
		ringo_event_set(sh->stop[me]);
}

int shards_wait(struct shards *sh, const sigset_t *stop)
{
	unsigned me = ringo_loop_index();
	if (me != 0) {
		int ret = sh->stopped[me] ? 0 : ringo_event_wait(sh->stop[me]);
		ringo_event_destroy(sh->stop[me]);
		return ret < 0 ? ret : 0;
	}
	int sig = ringo_signal_wait(stop, RINGO_NO_DEADLINE);
	for (unsigned i = 1; i < sh->n; i++)
		ringo_call_soon_threadsafe(ringo_loop_at(i), set_stop, sh);
	ringo_event_destroy(sh->stop[0]);
	return sig;
}

int shards_run(struct shards *sh, ringo_task_fn main, void *arg)
{
	intptr_t results[SHARDS_MAX];
	ringo_run_opts opts = { .flags = sh->run_flags };
	int ret = sh->n == 1 && !sh->run_flags ? ringo_run(main, arg, &results[0])
					       : ringo_run_threads(sh->n, main, arg, &opts, results);
	if (ret < 0) {
		fprintf(stderr, "%s: cannot run %u loops: %s\n", sh->prog, sh->n, strerror(-ret));
		return 1;
	}
	int rc = 0;
	for (unsigned i = 0; i < sh->n; i++) {
		if (results[i] < 0) {
			fprintf(stderr, "%s: loop %u ended with %s\n", sh->prog, i,
				strerror((int)-results[i]));
			rc = 1;
		}
	}
	return rc;
}

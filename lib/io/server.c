/* SPDX-License-Identifier: MIT */
/* Servers and client connections: asyncio.start_server and open_connection.
 *
 * A server is a listening socket, an acceptor (lib/io/acceptor.c: a multishot
 * accept) and an accept task that wraps each connection in a stream and
 * runs the handler on a task of its own. Closing stops the acceptor, which
 * ends the accept task, and waits for every handler's task. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/internal.h"

static void wake_all(struct ringo__list *list)
{
	while (!ringo__list_empty(list)) {
		struct ringo__wait *w = ringo__container_of(list->next, struct ringo__wait, waiter.node);
		ringo__list_remove(&w->waiter.node);
		ringo__wait_wake(w, 0);
	}
}

struct ringo_server {
	uint64_t loop_id;
	int fd;                       /* the listening socket */
	uint16_t port;
	char *unix_path;              /* a Unix socket's path, unlinked at close */
	ringo_acceptor *acceptor;
	ringo_task *accept_task;
	ringo_conn_fn handler;
	void *arg;
	ringo_stream_opts stream_opts;
	ringo_tls_context *tls;       /* a reference, or NULL */
	int64_t handshake_ns;
	struct ringo__list conns;     /* struct conn: handlers still running */
	struct ringo__list waiters;   /* wait_closed */
	struct ringo__list closers;   /* close, waiting for the handlers */
	bool closing;
	bool cancelling;              /* close cancels the handlers */
};

struct conn {
	struct ringo__list node;      /* in srv->conns */
	struct ringo__waiter done;    /* on the task's completion */
	ringo_server *srv;
	ringo_stream *s;
	ringo_task *task;
};

/* A connection's task: the handler, then the stream closed, its output
 * flushed; a cancelled connection is not flushed. */
static intptr_t conn_main(void *arg)
{
	struct conn *c = arg;
	ringo_server *srv = c->srv;
	if (srv->tls) {
		/* A failed handshake (garbage, a refused certificate...)
		 * closes this connection only; conn_done frees it. */
		ringo_stream_set_deadline(c->s, ringo_deadline_in(srv->handshake_ns));
		int ret = ringo_stream_start_tls(c->s, srv->tls, NULL);
		if (ret < 0)
			return ret;
		ringo_stream_set_deadline(c->s, RINGO_NO_DEADLINE);
	}
	intptr_t r = srv->handler(c->s, srv->arg);
	if (!srv->cancelling && ringo_task_cancelling(c->task) == 0)
		ringo_stream_wait_closed(c->s);
	return r;
}

/* When the task ends, however it ends (a task cancelled before it started
 * never runs conn_main): frees the stream, which aborts it if it is not
 * closed yet, and the connection. The handler's result is dropped, as
 * asyncio drops the client_connected_cb's. */
static void conn_done(struct ringo__waiter *w, intptr_t result)
{
	(void)result;
	struct conn *c = ringo__container_of(w, struct conn, done);
	ringo_server *srv = c->srv;
	ringo__task_mark_taken(c->task);
	ringo_stream_destroy(c->s);
	ringo__list_remove(&c->node);
	if (ringo__list_empty(&srv->conns))
		wake_all(&srv->closers);
	ringo_task_unref(c->task);
	free(c);
}

static void serve(ringo_server *srv, int fd)
{
	struct conn *c = malloc(sizeof(*c));
	if (!c)
		goto err_close;
	if (ringo_stream_open(fd, &srv->stream_opts, &c->s) < 0)
		goto err_free;
	c->srv = srv;
	if (ringo_task_create(conn_main, c, NULL, &c->task) < 0)
		goto err_stream;
	ringo__list_push_back(&srv->conns, &c->node);
	c->done.notify = conn_done;
	ringo__completion_add(ringo__task_completion(c->task), &c->done);
	return;

err_stream:
	ringo_stream_destroy(c->s);
	free(c);
	return;
err_free:
	free(c);
err_close:
	close(fd);
}

static intptr_t accept_main(void *arg)
{
	ringo_server *srv = arg;
	for (;;) {
		int fd = ringo_acceptor_accept(srv->acceptor, RINGO_NO_DEADLINE);
		if (fd >= 0)
			serve(srv, fd);
		else if (fd == -ESHUTDOWN || fd == -ECANCELED)
			return 0;
		else if (fd != -ECONNABORTED && fd != -ECONNRESET && fd != -EPROTO)
			return fd; /* the listening socket failed: accepting stopped */
		/* The others concern one connection, gone before it was taken. */
	}
}

/* Remembers a Unix socket's path, to unlink it at close (as asyncio 3.13). */
static void note_unix_path(ringo_server *srv)
{
	struct sockaddr_un un;
	socklen_t len = sizeof(un);
	if (getsockname(srv->fd, (struct sockaddr *)&un, &len) < 0 || un.sun_family != AF_UNIX ||
	    len <= offsetof(struct sockaddr_un, sun_path) || un.sun_path[0] == '\0')
		return;
	size_t n = len - offsetof(struct sockaddr_un, sun_path);
	srv->unix_path = strndup(un.sun_path, n);
}

/* Serves the listening socket fd; on failure fd is left open. */
static int server_start(int fd, ringo_conn_fn handler, void *arg, const ringo_server_opts *opts,
			ringo_server **out)
{
	struct ringo_loop *loop = ringo__loop_get();
	ringo_server *srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->loop_id = loop->id;
	srv->handler = handler;
	srv->arg = arg;
	if (opts && opts->stream)
		srv->stream_opts = *opts->stream;
	if (opts && opts->tls) {
		srv->tls = opts->tls;
		ringo_tls_context_ref(srv->tls);
		srv->handshake_ns = opts->handshake_timeout > 0 ? opts->handshake_timeout
								: RINGO_SEC(10);
	}
	ringo__list_init(&srv->conns);
	ringo__list_init(&srv->waiters);
	ringo__list_init(&srv->closers);
	srv->fd = fd;
	int ret = ringo_local_port(srv->fd);
	srv->port = ret > 0 ? (uint16_t)ret : 0;
	note_unix_path(srv);
	ret = ringo_acceptor_open(srv->fd, &srv->acceptor);
	if (ret < 0)
		goto err_free;
	ringo_task_opts topts = { .name = "server-accept" };
	ret = ringo_task_create(accept_main, srv, &topts, &srv->accept_task);
	if (ret < 0)
		goto err_acceptor;
	*out = srv;
	return 0;

err_acceptor:
	ringo_acceptor_close(srv->acceptor);
err_free:
	ringo_tls_context_unref(srv->tls);
	free(srv->unix_path);
	free(srv);
	return ret;
}

int ringo_start_server(const char *host, uint16_t port, ringo_conn_fn handler, void *arg,
		       const ringo_server_opts *opts, ringo_server **out)
{
	if (!handler || !out)
		return -EINVAL;
	struct ringo_loop *loop = ringo__loop_get();
	if (!loop || !loop->current)
		return -EPERM;
	int fd = ringo__listen_on(host, port, opts ? opts->backlog : 0,
				  opts && opts->reuse_port);
	if (fd < 0)
		return fd;
	int ret = server_start(fd, handler, arg, opts, out);
	if (ret < 0) {
		struct sockaddr_un un;
		socklen_t len = sizeof(un);
		if (getsockname(fd, (struct sockaddr *)&un, &len) == 0 && un.sun_family == AF_UNIX &&
		    len > offsetof(struct sockaddr_un, sun_path) && un.sun_path[0] != '\0')
			unlink(un.sun_path);
		close(fd);
	}
	return ret;
}

int ringo_start_server_fd(int fd, ringo_conn_fn handler, void *arg, const ringo_server_opts *opts,
			  ringo_server **out)
{
	if (fd < 0 || !handler || !out)
		return -EINVAL;
	struct ringo_loop *loop = ringo__loop_get();
	if (!loop || !loop->current)
		return -EPERM;
	int type;
	socklen_t len = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return -errno;  /* -ENOTSOCK, -EBADF */
	if (type != SOCK_STREAM)
		return -EINVAL;
	/* As asyncio's start_server(sock=): listen, whatever the socket's
	 * state (a socket listening already only gets the backlog). */
	int backlog = opts && opts->backlog > 0 ? opts->backlog : SOMAXCONN;
	if (listen(fd, backlog) < 0)
		return -errno;
	return server_start(fd, handler, arg, opts, out);
}

uint16_t ringo_server_port(const ringo_server *srv)
{
	return srv ? srv->port : 0;
}

int ringo_server_wait_closed(ringo_server *srv)
{
	if (!srv)
		return -EINVAL;
	int own = ringo__loop_check(srv->loop_id);
	if (own < 0)
		return own;
	if (srv->closing)
		return 0;
	int err;
	ringo_task *t = ringo__await_begin(&err);
	if (!t)
		return err;
	struct ringo__wait w;
	/* Woken with 0 by close, which then frees srv: not touched after. */
	return (int)ringo__wait_queued(&w, t, &srv->waiters, NULL, NULL);
}

static void cancel_handlers(ringo_server *srv)
{
	if (srv->cancelling)
		return;
	srv->cancelling = true;
	for (struct ringo__list *n = srv->conns.next; n != &srv->conns; n = n->next)
		ringo_task_cancel(ringo__container_of(n, struct conn, node)->task);
}

/* Close's waits end only when what they wait for is done: srv cannot be
 * freed before. A cancellation of the closing task meanwhile cancels the
 * handlers and stays pending for its next await. */
static bool close_cancel(struct ringo__wait *w)
{
	if (w->state == RINGO__WAIT_NOTIFY && w->target)
		cancel_handlers(w->target);
	return false;
}

static void task_ended(struct ringo__waiter *waiter, intptr_t result)
{
	(void)result;
	ringo__wait_wake(ringo__container_of(waiter, struct ringo__wait, waiter), 0);
}

int ringo_server_close(ringo_server *srv, bool cancel)
{
	if (!srv)
		return -EINVAL;
	int own = ringo__loop_check(srv->loop_id);
	if (own < 0)
		return own;
	ringo_task *self = ringo_task_current();
	if (!self)
		return -EPERM;
	if (srv->closing)
		return -EBUSY; /* someone else is closing it */
	srv->closing = true;
	int cancels = ringo_task_cancelling(self);
	/* Stop accepting. The accept task is cancelled first: one not started
	 * yet never runs, one waiting takes no more connections. */
	ringo_task_cancel(srv->accept_task);
	ringo_acceptor_close(srv->acceptor);
	if (!ringo_task_done(srv->accept_task)) {
		/* It may still hold a connection handed to it before the
		 * cancel: it serves it, and ends. */
		struct ringo__wait w;
		ringo__wait_init_notify(&w, self, close_cancel, NULL);
		w.waiter.notify = task_ended;
		ringo__completion_add(ringo__task_completion(srv->accept_task), &w.waiter);
		ringo__wait_suspend(&w);
	}
	ringo_task_unref(srv->accept_task);
	close(srv->fd);
	if (srv->unix_path)
		unlink(srv->unix_path);
	wake_all(&srv->waiters);
	if (cancel || ringo_task_cancelling(self) > cancels)
		cancel_handlers(srv);
	while (!ringo__list_empty(&srv->conns)) {
		struct ringo__wait w;
		ringo__wait_queued(&w, self, &srv->closers, close_cancel, srv);
	}
	ringo_tls_context_unref(srv->tls);
	free(srv->unix_path);
	free(srv);
	return 0;
}

int ringo_open_connection(const char *host, uint16_t port, const ringo_stream_opts *opts,
			  ringo_deadline deadline, ringo_stream **out)
{
	if (!out)
		return -EINVAL;
	struct sockaddr_storage addr;
	socklen_t len;
	int ret = ringo_resolve(host, port, &addr, &len, deadline);
	if (ret < 0)
		return ret;
	int fd = ringo_socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0, deadline);
	if (fd < 0)
		return fd;
	ret = ringo_connect(fd, (struct sockaddr *)&addr, len, deadline);
	if (ret < 0)
		goto err_close;
	ret = ringo_stream_open(fd, opts, out);
	if (ret < 0)
		goto err_close;
	if (opts && opts->tls) {
		ringo_stream_set_deadline(*out, deadline);
		ret = ringo_stream_start_tls(*out, opts->tls,
					     opts->server_hostname ? opts->server_hostname : host);
		if (ret < 0) {
			ringo_stream_destroy(*out);
			*out = NULL;
			return ret;
		}
		ringo_stream_set_deadline(*out, RINGO_NO_DEADLINE);
	}
	return 0;

err_close:
	close(fd);
	return ret;
}

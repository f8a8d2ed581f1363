/* SPDX-License-Identifier: MIT */
/* A key-value server that speaks the Redis protocol (RESP2), on ringo's
 * streams: one task per connection, one task expiring keys on time.
 *
 *	kv_server [--host H] [--port N] [--max-connections N] [--threads N]
 *		  [--pin-cpus]
 *			(default 127.0.0.1:6380, 10000, 1; port 0 picks one)
 *
 * Over --max-connections at once (all loops together), a new connection
 * gets redis's "-ERR max number of clients reached" and is closed.
 * The commands (kv/command.h) are those redis-cli and redis-benchmark
 * need, with redis 7's replies byte for byte; the protocol parser is
 * kv/resp.h and the store kv/store.h. This file is the server: connections,
 * the expiry task, and the shards' messages.
 *
 * Requests are parsed in place in the stream's buffer (peek, consume): a
 * command's arguments point into it, and a command that has not fully
 * arrived is resumed where its parse stopped once more bytes come (fill).
 * Every complete command in the buffer is answered before the replies of
 * the batch are handed to the stream in one write and drained once, which
 * is what makes pipelining cheap. A malformed or oversized request gets
 * "-ERR Protocol error: ..." and its connection is closed; an unknown
 * command gets redis's error and the connection stays usable.
 *
 * --threads N (0: one per CPU) runs N loops on one port (demos/shards.h),
 * shared-nothing: loop i owns store i, and every key belongs to one store
 * (kv/route.h). A connection runs a command whose keys are all its own
 * loop's at once; the others it sends, as parts of one batch per loop and
 * per round of its pipeline, to the loops that own their keys
 * (ringo_call_soon_threadsafe there, and back), waits for every answer,
 * and writes the round's replies in the order of its commands. MGET, MSET,
 * DEL and EXISTS over keys of several loops run one part per key, and
 * DBSIZE and FLUSHDB one part per loop; their parts' replies are merged
 * (kv_merge). Each loop expires its own keys. A client sees what it would
 * see with one loop, except that a command over several loops is not
 * atomic with respect to other clients. --pin-cpus pins loop i to CPU i
 * (RINGO_RUN_PIN_CPUS).
 *
 * Keys expire on time: lazily, when a command touches an expired key, and
 * actively, by a task that sleeps until the earliest deadline of a heap of
 * deadlines (as `async with timeout_at(next): await wake.wait()`; a new key
 * that expires sooner wakes it).
 *
 * Prints "listening on HOST:PORT" once ready; SIGINT or SIGTERM closes the
 * server, cancels the connections' tasks and exits 0. */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ringo.h>

#include "conn_limit.h"
#include "kv/command.h"
#include "kv/resp.h"
#include "kv/route.h"
#include "shards.h"

#define OUT_FLUSH (64u << 10)        /* replies past which a batch is drained */
#define ROUND_PARTS 256              /* parts sent to other loops in one round */

/* One per loop: its store and what wakes its expiry task. The stores live
 * from before the loops start until after they have all ended. */
struct shard {
	struct kv_store store;
	ringo_event *wake;
	ringo_event *all_closed;     /* the end: no connection is left on any loop */
};
static struct shard *shards;
static unsigned nshards;
static _Atomic unsigned closed_loops;

/* ------------------------------------------------------------------------
 * Expiry
 * ------------------------------------------------------------------------ */

static void wake_expiry(void *arg)
{
	ringo_event_set(arg);
}

/* The active expiry task of one store: deletes keys whose deadline has
 * passed (a bounded number per turn, so clients are not kept waiting),
 * then waits until the next deadline or until a sooner one is set. */
static intptr_t expire_keys(void *arg)
{
	struct shard *sh = arg;
	struct kv_store *db = &sh->store;
	for (;;) {
		int r;
		if (kv_store_expire_due(db, kv_now_ms(), 1000)) {
			r = ringo_sleep(0);
		} else {
			db->wake_ms = kv_store_next_deadline(db);
			ringo_event_clear(sh->wake);
			if (db->wake_ms && db->wake_ms < INT64_MAX / 1000000) {
				ringo_timeout *to;
				r = ringo_timeout_enter_at(&to, db->wake_ms * 1000000);
				if (r < 0)
					return r;
				r = (int)ringo_timeout_exit(to, ringo_event_wait(sh->wake));
				ringo_timeout_destroy(to);
				if (r == -ETIMEDOUT)
					r = 0;
			} else {
				r = ringo_event_wait(sh->wake);
			}
		}
		if (r < 0)
			return r; /* cancelled: the server is shutting down */
	}
}

/* ------------------------------------------------------------------------
 * Rounds: a connection's commands for other loops, and their replies
 * ------------------------------------------------------------------------ */

/* A command, or one key's part of one, run on a shard. */
struct part {
	const struct kv_command *cmd;
	size_t arg0, argc;           /* its arguments, in its batch's args */
	size_t reply_end;            /* its reply ends here in its batch's out */
};

/* What a connection has for one shard in one round. For its own loop's
 * shard the parts run as they come (args unused); for another's they are
 * copied (the stream's buffer may move while the connection waits) and
 * sent in one message, and that loop runs them and sends the batch back.
 * The connection does not touch a batch while it is away. */
struct batch {
	struct conn *conn;
	unsigned shard;
	struct part *parts;
	size_t nparts, parts_cap;
	struct span { size_t off, len; } *args;
	size_t nargs, args_cap;
	char *bytes;
	size_t nbytes, bytes_cap;
	struct kv_str *argv;         /* built where the parts run */
	size_t argv_cap;
	struct kv_out out;           /* the parts' replies, one after another */
};

/* A command of a round, in order: its reply is made of these parts'. */
struct step {
	const struct kv_command *cmd; /* how to merge; NULL: one part, as is */
	size_t first, n;             /* in the round's refs */
};
struct ref {
	unsigned shard;
	size_t part;
};

struct conn {
	unsigned me;                 /* its loop's shard */
	ringo_loop *home;
	struct kv_out out;           /* to the stream */
	struct batch *batches;       /* one per shard */
	bool remote;                 /* this round has parts on other loops */
	size_t remote_parts, remote_bytes;
	struct step *steps;
	size_t nsteps, steps_cap;
	struct ref *refs;
	size_t nrefs, refs_cap;
	struct kv_str *replies;      /* a step's, for kv_merge */
	size_t replies_cap;
	ringo_event *back;           /* set when the last batch is back */
	unsigned away;               /* batches sent and not back */
	bool quit;
};

/* Grows *p (elements of size) to hold n; false without memory. */
static bool reserve(void *p, size_t *cap, size_t n, size_t size)
{
	if (n <= *cap)
		return true;
	size_t c = *cap ? *cap * 2 : 16;
	while (c < n)
		c *= 2;
	void *q = realloc(*(void **)p, c * size);
	if (!q)
		return false;
	*(void **)p = q;
	*cap = c;
	return true;
}

static void batch_reset(struct batch *b)
{
	b->nparts = b->nargs = b->nbytes = 0;
	b->out.len = 0;
}

static void batch_free(struct batch *b)
{
	free(b->parts);
	free(b->args);
	free(b->bytes);
	free(b->argv);
	kv_out_free(&b->out);
}

/* Runs cmd with argv[0..argc) on this loop's store, as a part of b. */
static void run_part(struct batch *b, const struct kv_command *cmd, const struct kv_str *argv,
		     size_t argc, bool *quit)
{
	struct kv_ctx c = {.store = &shards[b->shard].store, .out = &b->out};
	kv_command_run(cmd, &c, argv, argc);
	if (quit && c.quit)
		*quit = true;
}

/* Adds a part to b and its place to the round's refs: cmd with
 * argv[0..argc) (argv[0] its name), and says where it is in ref. For this
 * loop's shard it runs now; for another's, its arguments are copied.
 * false without memory. */
static bool add_part(struct conn *cn, unsigned shard, const struct kv_command *cmd,
		     const struct kv_str *argv, size_t argc)
{
	struct batch *b = &cn->batches[shard];
	if (!reserve(&b->parts, &b->parts_cap, b->nparts + 1, sizeof(*b->parts)) ||
	    !reserve(&cn->refs, &cn->refs_cap, cn->nrefs + 1, sizeof(*cn->refs)))
		return false;
	cn->refs[cn->nrefs++] = (struct ref){shard, b->nparts};
	struct part *p = &b->parts[b->nparts++];
	p->cmd = cmd;
	if (shard == cn->me) {
		run_part(b, cmd, argv, argc, &cn->quit);
		p->reply_end = b->out.len;
		return !b->out.err;
	}
	size_t bytes = 0;
	for (size_t i = 0; i < argc; i++)
		bytes += argv[i].n;
	if (!reserve(&b->args, &b->args_cap, b->nargs + argc, sizeof(*b->args)) ||
	    !reserve(&b->bytes, &b->bytes_cap, b->nbytes + bytes, 1))
		return false;
	p->arg0 = b->nargs;
	p->argc = argc;
	for (size_t i = 0; i < argc; i++) {
		memcpy(b->bytes + b->nbytes, argv[i].p, argv[i].n);
		b->args[b->nargs++] = (struct span){b->nbytes, argv[i].n};
		b->nbytes += argv[i].n;
	}
	cn->remote = true;
	cn->remote_parts++;
	cn->remote_bytes += bytes;
	return true;
}
static bool add_step(struct conn *cn, const struct kv_command *merge, size_t first)
{
	if (!reserve(&cn->steps, &cn->steps_cap, cn->nsteps + 1, sizeof(*cn->steps)))
		return false;
	cn->steps[cn->nsteps++] = (struct step){merge, first, cn->nrefs - first};
	return true;
}

/* On the shard's loop: runs a batch's parts, sends it back. */
static void batch_back(void *arg);

static void batch_run(void *arg)
{
	struct batch *b = arg;
	size_t most = 0;
	for (size_t i = 0; i < b->nparts; i++)
		most = b->parts[i].argc > most ? b->parts[i].argc : most;
	if (!reserve(&b->argv, &b->argv_cap, most, sizeof(*b->argv))) {
		b->out.err = -ENOMEM;
	} else {
		for (size_t i = 0; i < b->nparts; i++) {
			struct part *p = &b->parts[i];
			for (size_t k = 0; k < p->argc; k++) {
				struct span a = b->args[p->arg0 + k];
				b->argv[k] = (struct kv_str){b->bytes + a.off, a.len};
			}
			run_part(b, p->cmd, b->argv, p->argc, NULL);
			p->reply_end = b->out.len;
		}
	}
	/* The connection waits for it: its loop takes messages until every
	 * connection has ended (see main_task). Only memory can fail. */
	if (ringo_call_soon_threadsafe(b->conn->home, batch_back, b) < 0) {
		fprintf(stderr, "kv_server: cannot answer another loop: out of memory\n");
		abort();
	}
}

/* On the connection's loop. */
static void batch_back(void *arg)
{
	struct batch *b = arg;
	if (--b->conn->away == 0)
		ringo_event_set(b->conn->back);
}

/* Gives a batch that could not be sent an error reply for each part. */
static void batch_refused(struct batch *b)
{
	b->out.len = 0;
	for (size_t i = 0; i < b->nparts; i++) {
		kv_out_lit(&b->out, "-ERR the server is shutting down\r\n");
		b->parts[i].reply_end = b->out.len;
	}
}

/* The reply of a part, valid until the round ends. */
static struct kv_str part_reply(const struct conn *cn, struct ref r)
{
	const struct batch *b = &cn->batches[r.shard];
	size_t start = r.part ? b->parts[r.part - 1].reply_end : 0;
	return (struct kv_str){b->out.buf + start, b->parts[r.part].reply_end - start};
}

/* Ends a round with parts on other loops: sends them, waits for all of
 * them (also when cancelled: they point into this connection), then
 * appends every step's reply to out, in order. Returns 0, -ECANCELED or
 * -ENOMEM. */
static int round_finish(struct conn *cn)
{
	int ret = 0;
	for (unsigned s = 0; s < nshards; s++) {
		struct batch *b = &cn->batches[s];
		if (s == cn->me || b->nparts == 0)
			continue;
		cn->away++;
		if (ringo_call_soon_threadsafe(ringo_loop_at(s), batch_run, b) < 0) {
			cn->away--;
			batch_refused(b);
		}
	}
	while (cn->away) {
		int r = ringo_event_wait(cn->back);
		if (r < 0)
			ret = r;   /* cancelled: still wait for the batches away */
	}
	ringo_event_clear(cn->back);
	for (size_t i = 0; i < cn->nsteps && ret == 0; i++) {
		struct step *st = &cn->steps[i];
		if (!st->cmd) {
			struct kv_str r = part_reply(cn, cn->refs[st->first]);
			kv_out_add(&cn->out, r.p, r.n);
			continue;
		}
		if (!reserve(&cn->replies, &cn->replies_cap, st->n, sizeof(*cn->replies)))
			return -ENOMEM;
		for (size_t k = 0; k < st->n; k++)
			cn->replies[k] = part_reply(cn, cn->refs[st->first + k]);
		kv_merge(st->cmd, cn->replies, st->n, &cn->out);
	}
	for (unsigned s = 0; s < nshards; s++) {
		if (cn->batches[s].out.err)
			ret = ret ? ret : cn->batches[s].out.err;
		batch_reset(&cn->batches[s]);
	}
	cn->nsteps = cn->nrefs = 0;
	cn->remote = false;
	cn->remote_parts = cn->remote_bytes = 0;
	return ret;
}

/* Runs or routes one command of the round. Returns false without memory. */
static bool command(struct conn *cn, const struct kv_str *argv, size_t argc)
{
	if (argc == 0)
		return true;
	const struct kv_command *cmd = kv_command_find(argv[0]);
	unsigned shard = cn->me;
	enum kv_route how = cmd ? kv_route(cmd, argv, argc, nshards, &shard) : KV_ROUTE_HERE;
	if (how == KV_ROUTE_HERE)
		shard = cn->me;
	if ((how == KV_ROUTE_HERE || how == KV_ROUTE_ONE) && shard == cn->me && !cn->remote) {
		/* the common case: straight to the stream's replies */
		struct kv_ctx c = {.store = &shards[cn->me].store, .out = &cn->out};
		kv_execute(&c, argv, argc);
		cn->quit |= c.quit;
		return true;
	}
	size_t first = cn->nrefs;
	if (!cmd) {
		/* unknown: its error, through the round so it keeps its place */
		struct batch *b = &cn->batches[cn->me];
		if (!reserve(&b->parts, &b->parts_cap, b->nparts + 1, sizeof(*b->parts)) ||
		    !reserve(&cn->refs, &cn->refs_cap, cn->nrefs + 1, sizeof(*cn->refs)))
			return false;
		struct kv_ctx c = {.store = &shards[cn->me].store, .out = &b->out};
		kv_execute(&c, argv, argc);
		cn->refs[cn->nrefs++] = (struct ref){cn->me, b->nparts};
		b->parts[b->nparts++] = (struct part){.reply_end = b->out.len};
		return add_step(cn, NULL, first);
	}
	switch (how) {
	case KV_ROUTE_HERE:
	case KV_ROUTE_ONE:
		return add_part(cn, shard, cmd, argv, argc) && add_step(cn, NULL, first);
	case KV_ROUTE_EVERY:
		for (unsigned s = 0; s < nshards; s++)
			if (!add_part(cn, s, cmd, argv, argc))
				return false;
		return add_step(cn, cmd, first);
	case KV_ROUTE_SPLIT:
		for (size_t i = 0, n = kv_route_parts(cmd, argc); i < n; i++) {
			/* the part: the name, the key (and MSET's value) */
			struct kv_str part[3] = {argv[0]};
			size_t nargs, at = kv_route_part(cmd, i, &nargs);
			memcpy(part + 1, argv + at, nargs * sizeof(*argv));
			if (!add_part(cn, kv_shard_of(argv[at], nshards), cmd, part, nargs + 1))
				return false;
		}
		return add_step(cn, cmd, first);
	}
	return true;
}

/* A reply of this connection's own (a protocol error): in its place. */
static bool own_error(struct conn *cn, const char *err)
{
	if (!cn->remote) {
		kv_out_error(&cn->out, "ERR Protocol error: %s", err);
		return true;
	}
	struct batch *b = &cn->batches[cn->me];
	if (!reserve(&b->parts, &b->parts_cap, b->nparts + 1, sizeof(*b->parts)) ||
	    !reserve(&cn->refs, &cn->refs_cap, cn->nrefs + 1, sizeof(*cn->refs)))
		return false;
	size_t first = cn->nrefs;
	kv_out_error(&b->out, "ERR Protocol error: %s", err);
	cn->refs[cn->nrefs++] = (struct ref){cn->me, b->nparts};
	b->parts[b->nparts++] = (struct part){.reply_end = b->out.len};
	return add_step(cn, NULL, first);
}

/* ------------------------------------------------------------------------
 * Connections
 * ------------------------------------------------------------------------ */

static int to_stream(void *arg, const void *p, size_t n)
{
	return ringo_stream_write(arg, p, n);
}

static int conn_init(struct conn *cn, ringo_stream *s)
{
	*cn = (struct conn){.me = ringo_loop_index(), .home = ringo_loop_current(),
			    .out = {.sink = to_stream, .sink_arg = s}};
	if (nshards == 1)
		return 0;
	cn->batches = calloc(nshards, sizeof(*cn->batches));
	if (!cn->batches)
		return -ENOMEM;
	for (unsigned i = 0; i < nshards; i++)
		cn->batches[i] = (struct batch){.conn = cn, .shard = i};
	int r = ringo_event_create(&cn->back);
	if (r < 0) {
		free(cn->batches);
		return r;
	}
	return 0;
}

static void conn_free(struct conn *cn)
{
	if (cn->batches) {
		for (unsigned i = 0; i < nshards; i++)
			batch_free(&cn->batches[i]);
		free(cn->batches);
		ringo_event_destroy(cn->back);
	}
	free(cn->steps);
	free(cn->refs);
	free(cn->replies);
	kv_out_free(&cn->out);
}

/* Whether the round is as big as one should get: its replies, or what it
 * sends to other loops. */
static bool round_full(const struct conn *cn)
{
	return cn->out.len + cn->out.handed >= OUT_FLUSH ||
	       (cn->remote && (cn->remote_parts >= ROUND_PARTS || cn->remote_bytes >= OUT_FLUSH ||
			       cn->batches[cn->me].out.len >= OUT_FLUSH));
}

/* Serves one connection: answers every complete command buffered (a
 * round: those for other loops sent and awaited together), hands the
 * round's replies to the stream, drains once, waits for more. When it
 * returns, the server sends what is still buffered and closes the stream.
 * A round whose replies grow large (many GETs of big values, say) is cut
 * short and drained before the rest is answered, so a client that does
 * not read cannot make the server buffer without bound. */
static intptr_t serve_conn(ringo_stream *s)
{
	struct conn cn;
	intptr_t ret = conn_init(&cn, s);
	if (ret < 0)
		return ret;
	struct kv_request q = {0};
	kv_request_reset(&q);
	for (;;) {
		const void *data;
		size_t n = ringo_stream_peek(s, &data);
		size_t used = 0;
		bool full = false, nomem = false;
		while (used < n && !cn.quit && !full && !nomem) {
			enum kv_parse_result r =
				kv_parse_request(&q, (const char *)data + used, n - used);
			if (r == KV_PARSE_MORE)
				break;
			if (r == KV_PARSE_ERROR) {
				nomem = !own_error(&cn, q.err);
				cn.quit = true;
				break;
			}
			nomem = !command(&cn, q.argv, q.argc);
			used += q.pos;
			kv_request_reset(&q);
			full = round_full(&cn);
		}
		/* data is valid only until the stream next suspends */
		ringo_stream_consume(s, used);
		if (cn.remote) {
			ret = round_finish(&cn);
			if (ret < 0)
				break;
		}
		if (nomem) {
			ret = -ENOMEM;
			break;
		}
		kv_out_flush(&cn.out);
		if (cn.out.err) {
			ret = cn.out.err;
			break;
		}
		if (cn.quit)
			break; /* the server sends what is buffered, then closes */
		ret = ringo_stream_drain(s);
		if (ret < 0)
			break;
		cn.out.handed = 0;
		if (full)
			continue; /* the rest of the round is buffered already */
		/* Waits for bytes past the n - used peeked and parsed as far
		 * as they go: those that came while the round's answers or the
		 * drain were awaited count, it returns at once for them. */
		ret = ringo_stream_fill(s);
		if (ret <= 0)
			break; /* the peer is done, the stream failed, or shutdown */
	}
	kv_request_free(&q);
	conn_free(&cn);
	return ret < 0 ? ret : 0;
}

/* How many connections are served, on all loops together. */
static struct conn_limit conns;

/* A connection's task: within the limit, served; over it, redis's error
 * and closed. */
static intptr_t serve(ringo_stream *s, void *arg)
{
	(void)arg;
	if (!conn_limit_enter(&conns)) {
		static const char busy[] = "-ERR max number of clients reached\r\n";
		ringo_stream_write(s, busy, sizeof(busy) - 1);
		ringo_stream_set_deadline(s, ringo_deadline_in(RINGO_SEC(1)));
		return 0;
	}
	intptr_t ret = serve_conn(s);
	conn_limit_leave(&conns);
	return ret;
}

/* ------------------------------------------------------------------------
 * main: a loop per shard, until SIGINT or SIGTERM
 * ------------------------------------------------------------------------ */

struct config {
	struct shards sh;
};

static void signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
}

static void set_event(void *ev)
{
	ringo_event_set(ev);
}

/* Waits until every loop has closed its server and its connections, so
 * that no loop ends while another may still send it a batch. */
static int all_closed(unsigned me)
{
	if (nshards == 1)
		return 0;
	if (atomic_fetch_add(&closed_loops, 1) + 1 == nshards)
		for (unsigned i = 0; i < nshards; i++)
			ringo_call_soon_threadsafe(ringo_loop_at(i), set_event,
						   shards[i].all_closed);
	int r;
	while ((r = ringo_event_wait(shards[me].all_closed)) == -ECANCELED)
		;
	return r;
}

static intptr_t main_task(void *arg)
{
	struct config *cfg = arg;
	unsigned me = ringo_loop_index();
	struct shard *sh = &shards[me];
	/* Held while connections may wait for other loops' answers: the loop
	 * then waits for messages rather than report a deadlock. */
	ringo_loop *self = nshards > 1 ? ringo_loop_ref(ringo_loop_current()) : NULL;
	int r = ringo_event_create(&sh->wake);
	if (r < 0)
		goto unref;
	if (nshards > 1 && (r = ringo_event_create(&sh->all_closed)) < 0)
		goto free_wake;
	sh->store.wake = wake_expiry;
	sh->store.wake_arg = sh->wake;
	ringo_task *expiry;
	r = ringo_task_create(expire_keys, sh, NULL, &expiry);
	if (r < 0)
		goto free_closed;
	ringo_server *srv = NULL;
	/* On failure every loop has been told to stop already. */
	r = shards_start_server(&cfg->sh, serve, NULL, &srv);
	if (r == 0) {
		sigset_t set;
		signals(&set);
		int sig = shards_wait(&cfg->sh, &set);
		if (sig > 0 && r == 0) {
			printf("%s: closing\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
			fflush(stdout);
		}
	}
	if (srv)
		ringo_server_close(srv, true);
	int closed = all_closed(me);
	if (r == 0)
		r = closed;
	sh->store.wake = NULL;
	ringo_task_cancel(expiry);
	ringo_task_await(expiry);
	ringo_task_unref(expiry);
free_closed:
	if (sh->all_closed)
		ringo_event_destroy(sh->all_closed);
free_wake:
	ringo_event_destroy(sh->wake);
unref:
	ringo_loop_unref(self);
	return r;
}

static int usage(void)
{
	fprintf(stderr, "usage: kv_server [--host H] [--port N] [--max-connections N] "
			"[--threads N] [--pin-cpus]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct config cfg = {.sh = {.prog = "kv_server", .host = "127.0.0.1", .port = 6380,
				    .n = 1}};
	size_t max = CONN_LIMIT_DEFAULT;
	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && strcmp(argv[i], "--host") == 0) {
			cfg.sh.host = argv[++i];
		} else if (i + 1 < argc && strcmp(argv[i], "--port") == 0) {
			char *end;
			long p = strtol(argv[++i], &end, 10);
			if (*end || p < 0 || p > 65535)
				return usage();
			cfg.sh.port = (uint16_t)p;
		} else if (i + 1 < argc && strcmp(argv[i], "--max-connections") == 0) {
			if (!conn_limit_parse(argv[++i], &max))
				return usage();
		} else if (i + 1 < argc && strcmp(argv[i], "--threads") == 0) {
			if (!shards_parse(argv[++i], &cfg.sh.n))
				return usage();
		} else if (strcmp(argv[i], "--pin-cpus") == 0) {
			cfg.sh.run_flags |= RINGO_RUN_PIN_CPUS;
		} else {
			return usage();
		}
	}
	conn_limit_init(&conns, max, "kv_server");
	/* Blocked from the start, so that one sent as soon as the server says
	 * it listens is not lost: ringo_signal_wait takes it. */
	sigset_t set;
	signals(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (shards_bind(&cfg.sh) < 0)
		return 1;
	nshards = cfg.sh.n;
	shards = calloc(nshards, sizeof(*shards));
	if (!shards)
		return 1;
	int rc = 0;
	for (unsigned i = 0; i < nshards && rc == 0; i++)
		rc = kv_store_init(&shards[i].store) < 0;
	if (rc == 0)
		rc = shards_run(&cfg.sh, main_task, &cfg);
	for (unsigned i = 0; i < nshards; i++)
		kv_store_free(&shards[i].store);
	free(shards);
	return rc;
}

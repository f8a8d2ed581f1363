/* SPDX-License-Identifier: MIT */
/* An echo client and load generator: many connections (asyncio's
 * open_connection), each sending a message and reading its echo back, one
 * at a time.
 *
 *   echo_client [--host H] [--port N] [-c CONNS] [-n MESSAGES] [-s SIZE]
 *               [-d SECONDS] [--tls] [--tls-ca CA.pem]
 *
 * --tls connects with TLS (any certificate accepted: a load generator);
 * --tls-ca also verifies the server's certificate against CA.pem.
 *
 * Defaults: 127.0.0.1:8888, 16 connections, 64-byte messages, 1000
 * messages per connection; with -d, each connection goes on for that many
 * seconds instead (and stops at -n messages if that is given too). Prints
 * the round trips per second and their latency percentiles; exits 0 if
 * every echo came back intact. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ringo.h>

/* Latencies in microseconds, one bucket each up to 1 s; beyond that, max
 * still tells. */
enum { BUCKETS = 1000000 };

struct run {
	const char *host;
	uint16_t port;
	long conns, messages;
	size_t size;
	double seconds;
	int64_t end;              /* with -d: when connections stop */
	uint32_t *hist;           /* latency histogram, microseconds */
	int64_t max_ns;
	long trips;
	int error;                /* the first failure, as a negative errno */
	const char *what;         /* what failed */
	ringo_tls_context *tls;   /* --tls */
};

static void fail(struct run *r, int err, const char *what)
{
	if (!r->error) {
		r->error = err;
		r->what = what;
	}
}

static intptr_t client(void *arg)
{
	struct run *r = arg;
	ringo_stream *s;
	ringo_stream_opts o = { .tls = r->tls };
	int ret = ringo_open_connection(r->host, r->port, &o, ringo_deadline_in(RINGO_SEC(10)),
					&s);
	if (ret < 0) {
		fail(r, ret, "connect");
		return ret;
	}
	char *msg = malloc(r->size), *back = malloc(r->size);
	if (!msg || !back) {
		ret = -ENOMEM;
		fail(r, ret, "malloc");
		goto out;
	}
	for (long i = 0; r->messages == 0 || i < r->messages; i++) {
		if (r->end && ringo_time() >= r->end)
			break;
		for (size_t k = 0; k < r->size; k++)
			msg[k] = (char)('a' + (i + (long)k) % 26);
		int64_t t0 = ringo_time();
		ret = ringo_stream_write(s, msg, r->size);
		if (ret == 0)
			ret = ringo_stream_drain(s);
		if (ret < 0) {
			fail(r, ret, "write");
			goto out;
		}
		ssize_t n = ringo_stream_readexactly(s, back, r->size, NULL);
		if (n < 0) {
			ret = (int)n;
			fail(r, ret, "read");
			goto out;
		}
		if (memcmp(msg, back, r->size) != 0) {
			ret = -EPROTO;
			fail(r, ret, "echo differs");
			goto out;
		}
		int64_t ns = ringo_time() - t0;
		int64_t us = ns / 1000;
		r->hist[us < BUCKETS ? us : BUCKETS - 1]++;
		if (ns > r->max_ns)
			r->max_ns = ns;
		r->trips++;
	}
	ret = ringo_stream_write_eof(s);
	if (ret == 0 && ringo_stream_read(s, back, 1) != 0)
		ret = -EPROTO; /* the server sent more than the echoes */
	if (ret < 0)
		fail(r, ret, "close");
out:
	free(msg);
	free(back);
	ringo_stream_destroy(s);
	return ret;
}

static double percentile(const struct run *r, double p)
{
	long want = (long)(p * (double)r->trips + 0.5), seen = 0;
	if (want < 1)
		want = 1;
	for (long us = 0; us < BUCKETS; us++) {
		seen += r->hist[us];
		if (seen >= want)
			return (double)us / 1000.0;
	}
	return (double)r->max_ns / 1e6;
}

static intptr_t go(void *arg)
{
	struct run *r = arg;
	ringo_task **t = calloc((size_t)r->conns, sizeof(*t));
	if (!t)
		return -ENOMEM;
	int64_t t0 = ringo_time();
	if (r->seconds > 0)
		r->end = t0 + (int64_t)(r->seconds * 1e9);
	long started = 0;
	for (; started < r->conns; started++)
		if (ringo_task_create(client, r, NULL, &t[started]) < 0)
			break;
	ringo_gather(t, (size_t)started, NULL, RINGO_RETURN_EXCEPTIONS);
	double took = (double)(ringo_time() - t0) / 1e9;
	for (long i = 0; i < started; i++)
		ringo_task_unref(t[i]);
	free(t);
	if (started < r->conns)
		fail(r, -ENOMEM, "spawn");
	if (r->error) {
		fprintf(stderr, "echo_client: %s: %s\n", r->what, strerror(-r->error));
		return r->error;
	}
	printf("%ld connections, %zu-byte messages: %ld round trips in %.2f s\n", r->conns,
	       r->size, r->trips, took);
	printf("%.0f round trips/s\n", (double)r->trips / took);
	printf("latency ms: p50 %.3f  p90 %.3f  p99 %.3f  max %.3f\n", percentile(r, 0.50),
	       percentile(r, 0.90), percentile(r, 0.99), (double)r->max_ns / 1e6);
	return 0;
}

static int usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [--host H] [--port N] [-c CONNS] [-n MESSAGES] [-s SIZE] "
		"[-d SECONDS] [--tls] [--tls-ca CA.pem]\n",
		prog);
	return 2;
}

int main(int argc, char **argv)
{
	struct run r = { .host = "127.0.0.1", .port = 8888, .conns = 16, .size = 64 };
	bool n_given = false;
	bool tls = false;
	const char *tls_ca = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--tls")) {
			tls = true;
			continue;
		}
		if (i + 1 >= argc)
			return usage(argv[0]);
		const char *v = argv[++i];
		char *end;
		if (!strcmp(a, "--host")) {
			r.host = v;
			continue;
		}
		if (!strcmp(a, "--tls-ca")) {
			tls = true;
			tls_ca = v;
			continue;
		}
		double x = strtod(v, &end);
		if (*end || x < 0)
			return usage(argv[0]);
		if (!strcmp(a, "--port") && x <= 65535)
			r.port = (uint16_t)x;
		else if (!strcmp(a, "-c") && x >= 1)
			r.conns = (long)x;
		else if (!strcmp(a, "-n")) {
			r.messages = (long)x;
			n_given = true;
		} else if (!strcmp(a, "-s") && x >= 1)
			r.size = (size_t)x;
		else if (!strcmp(a, "-d"))
			r.seconds = x;
		else
			return usage(argv[0]);
	}
	if (!n_given && r.seconds <= 0)
		r.messages = 1000;
	if (tls) {
		/* Without a CA to check it against, any certificate goes: a load
		 * generator measures, it does not authenticate. */
		ringo_tls_opts t = { .ca_file = tls_ca,
				     .verify = tls_ca ? RINGO_TLS_VERIFY_DEFAULT : RINGO_TLS_VERIFY_NONE };
		int ret = ringo_tls_context_create(&t, &r.tls);
		if (ret < 0) {
			fprintf(stderr, "echo_client: TLS: %s\n", strerror(-ret));
			return 1;
		}
	}
	r.hist = calloc(BUCKETS, sizeof(*r.hist));
	if (!r.hist)
		return 1;
	intptr_t result = -1;
	int ret = ringo_run(go, &r, &result);
	free(r.hist);
	ringo_tls_context_unref(r.tls);
	return ret == 0 && result == 0 ? 0 : 1;
}

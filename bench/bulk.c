/* SPDX-License-Identifier: MIT */
/* Bulk data through servers (issue 9): MB/s and the server's CPU time per
 * MB, each server pinned to CPU 0 and the load (and an upstream) on CPU 1,
 * three alternating rounds, medians.
 *
 *   bench_bulk echo  RINGO_ECHO EPOLL_ECHO GO_DIR OUT_DIR
 *     1 GiB sent and echoed back over one connection: demos/echo_server,
 *     a plain epoll echo server in C, and Go's io.Copy (GOMAXPROCS=1).
 *   bench_bulk proxy RINGO_PROXY EPOLL_ECHO HTTP_SERVER GO_DIR OUT_DIR PY_DIR
 *     demos/proxy, the same proxy in Go and in asyncio: 1 GiB echoed
 *     through the proxy (epoll echo upstream), and wrk -c64 through the
 *     proxy to demos/http_server (requests/s, server CPU per request).
 *   bench_bulk rss   RINGO_ECHO
 *     demos/echo_server's peak RSS after echoing 10 GiB, against 2x its
 *     idle RSS plus the connection's allowance.
 *   bench_bulk idle  RINGO_ECHO
 *     demos/echo_server with and without --idle-timeout (its stream's
 *     idle timer moves on every byte): the cost must stay within 5%.
 *   bench_bulk tls   RINGO_ECHO GO_DIR OUT_DIR
 *     issue 13: 1 GiB sent and echoed back over one TLS 1.3 connection
 *     (AES-128-GCM, the client's only suite): echo_server --tls-cert
 *     against Go's crypto/tls io.Copy. Target >= 1.0x Go.
 *   bench_bulk https HTTP_SERVER GO_DIR OUT_DIR
 *     issue 13: wrk -t1 -c64 https, keep-alive: http_server --tls-cert
 *     against nginx (one process, TLS 1.3, the same certificate) and Go's
 *     net/http. Target: server CPU per request <= nginx's.
 *   bench_bulk static HTTP_SERVER OUT_DIR
 *     issue 13: a 1 GiB file in one GET: http_server --root against nginx
 *     with sendfile on. Target >= 1.0x nginx.
 *
 * Go peers are built from GO_DIR with `go build` into OUT_DIR when go is
 * installed, and skipped with a message otherwise; asyncio when python3
 * is, nginx when nginx is. The TLS modes make a certificate in OUT_DIR
 * with openssl(1) and need the build's OpenSSL (BENCH_TLS). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <poll.h>
#include <limits.h>
#include <unistd.h>

#include "bench.h"
#include "serve.h"

#if BENCH_TLS
#include <openssl/err.h>
#include <openssl/ssl.h>
#endif

#define TOTAL ((size_t)1 << 30)
#define CHUNK ((size_t)1 << 16)
enum { ROUNDS = 3, MAXPEERS = 4 };

struct sender {
	int fd;
	size_t total;
};

static void *send_all(void *arg)
{
	struct sender *s = arg;
	static char buf[CHUNK];
	memset(buf, 'x', sizeof(buf));
	size_t done = 0;
	while (done < s->total) {
		size_t n = s->total - done < CHUNK ? s->total - done : CHUNK;
		ssize_t m = send(s->fd, buf, n, MSG_NOSIGNAL);
		if (m <= 0)
			break;
		done += (size_t)m;
	}
	shutdown(s->fd, SHUT_WR);
	return NULL;
}

/* Sends TOTAL bytes to port and reads them back; returns MB/s or -1. */
/* Sends total bytes to port and reads them back; returns MB/s or -1. */
static double echo_load_n(int port, size_t total)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -1;
	int64_t t0 = bench_now();
	struct sender snd = { fd, total };
	pthread_t th;
	pthread_create(&th, NULL, send_all, &snd);
	static char buf[1 << 18];
	size_t got = 0;
	while (got < total) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	int64_t t1 = bench_now();
	pthread_join(th, NULL);
	close(fd);
	if (got != total) {
		fprintf(stderr, "bench_bulk: echoed %zu of %zu bytes\n", got, total);
		return -1;
	}
	return (double)total / 1e6 / ((double)(t1 - t0) / 1e9);
}

static double echo_load(int port)
{
	return echo_load_n(port, TOTAL);
}

struct peer {
	const char *name;
	char *argv[12];
	int port_arg;       /* index in argv of the port's value */
	char port[16];
	double rate[ROUNDS], cpu[ROUNDS];  /* per round: rate, server CPU s per unit */
	bool skip;
	const char *nginx;  /* nginx: its server block (the port goes in its config) */
	const char *nginx_listen;
};

static bool start(struct peer *p, struct bench_server *srv)
{
	snprintf(p->port, sizeof(p->port), "%d", bench_free_port());
	if (p->nginx) {
		static char conf[600];
		p->argv[0] = "taskset", p->argv[1] = "-c", p->argv[2] = "0";
		if (bench_nginx_config("/tmp/ringo-bench-nginx-bulk", 0, atoi(p->port),
				       p->nginx_listen, p->nginx, conf, sizeof(conf),
				       p->argv + 3) < 0) {
			fprintf(stderr, "bench_bulk: cannot write nginx's configuration\n");
			return false;
		}
	} else {
		p->argv[p->port_arg] = p->port;
	}
	fflush(NULL);
	if (bench_server_start(srv, p->argv, atoi(p->port)) < 0) {
		fprintf(stderr, "bench_bulk: %s did not start\n", p->name);
		return false;
	}
	return true;
}

static bool stop(struct peer *p, struct bench_server *srv)
{
	int status = bench_server_stop(srv);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench_bulk: %s did not exit 0 on SIGTERM\n", p->name);
		return false;
	}
	return true;
}

static double median(const double *v)
{
	double a = v[0], b = v[1], c = v[2];
	if (a > b) { double t = a; a = b; b = t; }
	if (b > c) { double t = b; b = c; c = t; }
	if (a > b) { double t = a; a = b; b = t; }
	return b;
}

/* Builds GO_DIR/<name>.go into OUT_DIR/go_<name>; returns its path or NULL
 * (with a message) when go is missing or the build fails. */
static char *go_build(const char *go_dir, const char *out_dir, const char *name)
{
	if (!bench_have("go")) {
		printf("  go not installed: the Go %s is skipped\n", name);
		return NULL;
	}
	char *out = malloc(2048); /* kept for the run */
	char abs_dir[1024];
	if (!realpath(out_dir, abs_dir)) {
		printf("  %s: %s: the Go %s is skipped\n", out_dir, strerror(errno), name);
		return NULL;
	}
	out_dir = abs_dir;
	snprintf(out, 2048, "%s/go_%s", out_dir, name);
	char cmd[4096];
	snprintf(cmd, sizeof(cmd),
		 "cd %s && GOCACHE=%s/go-cache GOPATH=%s/go-path GO111MODULE=off go build -o %s %s.go",
		 go_dir, out_dir, out_dir, out, name);
	if (system(cmd) != 0) {
		printf("  go build of %s.go failed: the Go %s is skipped\n", name, name);
		return NULL;
	}
	return out;
}

/* One MB/s round of each peer, alternating; load(port) gives MB/s. */
static int bulk_rounds(struct peer *peers, int n, double (*load)(int port))
{
	for (int r = 0; r < ROUNDS; r++) {
		for (int k = 0; k < n; k++) {
			struct peer *p = &peers[k];
			if (p->skip)
				continue;
			struct bench_server srv;
			if (!start(p, &srv))
				return -1;
			double c0 = bench_cpu_seconds(srv.pid);
			double mbs = load(srv.port);
			double c1 = bench_cpu_seconds(srv.pid);
			if (!stop(p, &srv) || mbs < 0)
				return -1;
			p->rate[r] = mbs;
			p->cpu[r] = (c1 - c0) / ((double)TOTAL / 1e6) * 1e6; /* us per MB */
			printf("  round %d: %-22s %7.0f MB/s, server CPU %6.1f us/MB\n", r + 1,
			       p->name, mbs, p->cpu[r]);
			fflush(stdout);
		}
	}
	return 0;
}

static void report(const char *what, struct peer *peers, int n, const char *unit,
		   const char *cpu_unit, double target, int target_peer)
{
	printf("%s (medians of %d):", what, ROUNDS);
	double base = median(peers[0].rate);
	for (int k = 0; k < n; k++) {
		if (peers[k].skip) {
			printf(" | %s: skipped", peers[k].name);
			continue;
		}
		double m = median(peers[k].rate);
		printf(" | %s %.0f %s (%.1f %s)", peers[k].name, m, unit, median(peers[k].cpu),
		       cpu_unit);
		if (k)
			printf(" ringo/%s %.2fx", peers[k].name, base / m);
	}
	if (target > 0 && !peers[target_peer].skip) {
		double ratio = base / median(peers[target_peer].rate);
		printf(" | target >= %.1fx %s: %s", target, peers[target_peer].name,
		       ratio >= target ? "met" : "MISSED");
	}
	printf("\n");
	fflush(stdout);
}

/* Rounds of wrk -t1 -c64 (a 1 s warm-up, then 3 s) against each peer,
 * alternating: requests/s and the server's CPU per request. */
static int wrk_rounds(struct peer *peers, int n, const char *scheme)
{
	for (int r = 0; r < ROUNDS; r++) {
		for (int k = 0; k < n; k++) {
			struct peer *p = &peers[k];
			if (p->skip)
				continue;
			struct bench_server srv;
			if (!start(p, &srv))
				return -1;
			char cmd[512];
			snprintf(cmd, sizeof(cmd),
				 "taskset -c 1 wrk -t1 -c64 -d1s %s://127.0.0.1:%d/ >/dev/null 2>&1",
				 scheme, srv.port);
			if (system(cmd) != 0) /* warm-up */
				return -1;
			snprintf(cmd, sizeof(cmd),
				 "taskset -c 1 wrk -t1 -c64 -d3s %s://127.0.0.1:%d/ 2>&1", scheme,
				 srv.port);
			double c0 = bench_cpu_seconds(srv.pid);
			double rps = bench_command_value(cmd, "Requests/sec:");
			double c1 = bench_cpu_seconds(srv.pid);
			if (!stop(p, &srv) || rps <= 0)
				return -1;
			p->rate[r] = rps;
			p->cpu[r] = (c1 - c0) / (rps * 3) * 1e6; /* us per request */
			printf("  round %d: %-22s %8.0f requests/s, server CPU %5.1f us/request\n",
			       r + 1, p->name, rps, p->cpu[r]);
			fflush(stdout);
		}
	}
	return 0;
}

static int bench_echo(char **argv)
{
	static char gomaxprocs[] = "GOMAXPROCS=1";
	putenv(gomaxprocs);
	char *go = go_build(argv[3], argv[4], "echo");
	struct peer peers[3] = {
		{ .name = "ringo echo_server", .argv = { "taskset", "-c", "0", argv[1], "--port", NULL }, .port_arg = 5 },
		{ .name = "epoll", .argv = { "taskset", "-c", "0", argv[2], "--port", NULL }, .port_arg = 5 },
		{ .name = "go", .argv = { "taskset", "-c", "0", go, "--port", NULL }, .port_arg = 5, .skip = !go },
	};
	if (bulk_rounds(peers, 3, echo_load) < 0)
		return 1;
	report("bulk echo 1 GiB", peers, 3, "MB/s", "us CPU/MB", 1.2, 2);
	return 0;
}

static int bench_idle(char **argv)
{
	struct peer peers[2] = {
		{ .name = "no idle timeout", .argv = { "taskset", "-c", "0", argv[1], "--port", NULL }, .port_arg = 5 },
		{ .name = "idle timeout", .argv = { "taskset", "-c", "0", argv[1], "--idle-timeout", "60", "--port", NULL }, .port_arg = 7 },
	};
	if (bulk_rounds(peers, 2, echo_load) < 0)
		return 1;
	double with = median(peers[1].rate), without = median(peers[0].rate);
	printf("idle-timeout refresh, bulk echo 1 GiB (medians of %d): without %.0f MB/s (%.1f us CPU/MB) "
	       "| with %.0f MB/s (%.1f us CPU/MB) | cost %.1f%% | target <= 5%%: %s\n",
	       ROUNDS, without, median(peers[0].cpu), with, median(peers[1].cpu),
	       (1 - with / without) * 100, with >= 0.95 * without ? "met" : "MISSED");
	return 0;
}

static int bench_proxy(char **argv)
{
	const char *ringo = argv[1], *epoll_echo = argv[2], *http = argv[3];
	static char gomaxprocs[] = "GOMAXPROCS=1";
	putenv(gomaxprocs);
	char *go = go_build(argv[4], argv[5], "proxy");
	char script[1024];
	snprintf(script, sizeof(script), "%s/proxy.py", argv[6]);
	/* PY_DIR "-": asyncio left out (it takes minutes on a busy machine). */
	bool py = strcmp(argv[6], "-") != 0 && bench_have("python3");
	if (!py)
		printf("  python3 not installed or PY_DIR '-': the asyncio proxy is skipped\n");

	/* The upstreams, on CPU 1 with the load. */
	struct bench_server up_echo, up_http;
	char echo_port[16], http_port[16], echo_up[64], http_up[64];
	snprintf(echo_port, sizeof(echo_port), "%d", bench_free_port());
	char *echo_argv[] = { "taskset", "-c", "1", (char *)epoll_echo, "--port", echo_port, NULL };
	if (bench_server_start(&up_echo, echo_argv, atoi(echo_port)) < 0)
		return 1;
	snprintf(http_port, sizeof(http_port), "%d", bench_free_port());
	char *http_argv[] = { "taskset", "-c", "1", (char *)http, "--port", http_port, NULL };
	if (bench_server_start(&up_http, http_argv, atoi(http_port)) < 0)
		return 1;
	snprintf(echo_up, sizeof(echo_up), "127.0.0.1:%s", echo_port);
	snprintf(http_up, sizeof(http_up), "127.0.0.1:%s", http_port);

	for (int mode = 0; mode < 2; mode++) {
		char *up = mode == 0 ? echo_up : http_up;
		struct peer peers[3] = {
			{ .name = "ringo proxy", .argv = { "taskset", "-c", "0", (char *)ringo, "--upstream", up, "--port", NULL }, .port_arg = 7 },
			{ .name = "go", .argv = { "taskset", "-c", "0", go, "--upstream", up, "--port", NULL }, .port_arg = 7, .skip = !go },
			{ .name = "asyncio", .argv = { "taskset", "-c", "0", "python3", script, "--upstream", up, "--port", NULL }, .port_arg = 8, .skip = !py },
		};
		if (mode == 0) {
			if (bulk_rounds(peers, 3, echo_load) < 0)
				return 1;
			report("proxy 1 GiB echoed through it", peers, 3, "MB/s", "us CPU/MB", 1.2, 1);
			continue;
		}
		if (!bench_have("wrk")) {
			printf("  wrk not installed: the proxy's requests/s are skipped\n");
			break;
		}
		if (wrk_rounds(peers, 3, "http") < 0)
			return 1;
		report("proxy wrk -c64 to http_server", peers, 3, "req/s", "us CPU/req", 1.2, 1);
	}
	bench_server_stop(&up_echo);
	bench_server_stop(&up_http);
	return 0;
}

#if BENCH_TLS
/* A P-256 certificate for localhost in out_dir (openssl(1)); its paths in
 * cert and key. Returns 0 or -1 with a message. */
static int make_cert(const char *out_dir, char *cert, char *key, size_t cap)
{
	if (!bench_have("openssl")) {
		printf("  openssl(1) not installed: the TLS benchmarks are skipped\n");
		return -1;
	}
	snprintf(cert, cap, "%s/bench-cert.pem", out_dir);
	snprintf(key, cap, "%s/bench-key.pem", out_dir);
	char cmd[2048];
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		 "-keyout %s -out %s -days 2 -subj /CN=localhost "
		 "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1",
		 key, cert);
	if (system(cmd) != 0) {
		printf("  openssl req failed: the TLS benchmarks are skipped\n");
		return -1;
	}
	return 0;
}

/* Sends TOTAL bytes over TLS 1.3 (AES-128-GCM only, so that every server
 * uses it) to port and reads them back, one thread, nonblocking; returns
 * MB/s or -1. */
static double tls_echo_load(int port)
{
	static SSL_CTX *ctx;
	if (!ctx) {
		ctx = SSL_CTX_new(TLS_client_method());
		SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
		SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256");
		SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE);
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -1;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	SSL *ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1) {
		fprintf(stderr, "bench_bulk: TLS handshake failed\n");
		SSL_free(ssl);
		close(fd);
		return -1;
	}
	const char *suite = SSL_CIPHER_get_name(SSL_get_current_cipher(ssl));
	if (strcmp(suite, "TLS_AES_128_GCM_SHA256") != 0)
		fprintf(stderr, "bench_bulk: negotiated %s\n", suite);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	static char out[CHUNK], in[1 << 18];
	memset(out, 'x', sizeof(out));
	int64_t t0 = bench_now();
	size_t sent = 0, got = 0;
	while (got < TOTAL) {
		bool progress = false;
		while (sent < TOTAL) {
			size_t n = TOTAL - sent < CHUNK ? TOTAL - sent : CHUNK, w = 0;
			if (SSL_write_ex(ssl, out, n, &w) != 1)
				break;
			sent += w;
			progress = true;
		}
		for (;;) {
			size_t r = 0;
			if (SSL_read_ex(ssl, in, sizeof(in), &r) != 1) {
				int e = SSL_get_error(ssl, 0);
				if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
					goto out;
				break;
			}
			got += r;
			progress = true;
		}
		if (!progress) {
			struct pollfd pfd = { fd, POLLIN | (sent < TOTAL ? POLLOUT : 0), 0 };
			poll(&pfd, 1, 1000);
		}
	}
out:;
	int64_t t1 = bench_now();
	SSL_free(ssl);
	close(fd);
	if (got != TOTAL) {
		fprintf(stderr, "bench_bulk: echoed %zu of %zu bytes over TLS\n", got, TOTAL);
		return -1;
	}
	return (double)TOTAL / 1e6 / ((double)(t1 - t0) / 1e9);
}

static int bench_tls(char **argv)
{
	static char gomaxprocs[] = "GOMAXPROCS=1";
	putenv(gomaxprocs);
	static char cert[1100], key[1100];
	char abs_dir[1024];
	if (!realpath(argv[3], abs_dir) || make_cert(abs_dir, cert, key, sizeof(cert)) < 0)
		return 0;
	char *go = go_build(argv[2], argv[3], "tls_echo");
	struct peer peers[2] = {
		{ .name = "ringo echo_server", .argv = { "taskset", "-c", "0", argv[1], "--tls-cert", cert, "--tls-key", key, "--port", NULL }, .port_arg = 9 },
		{ .name = "go crypto/tls", .argv = { "taskset", "-c", "0", go, "--cert", cert, "--key", key, "--port", NULL }, .port_arg = 9, .skip = !go },
	};
	if (bulk_rounds(peers, 2, tls_echo_load) < 0)
		return 1;
	report("TLS 1.3 AES-128-GCM echo 1 GiB", peers, 2, "MB/s", "us CPU/MB", 1.0, 1);
	return 0;
}

static int bench_https(char **argv)
{
	if (!bench_have("wrk")) {
		printf("https: wrk is not installed (apt-get install wrk); skipped\n");
		return 0;
	}
	static char gomaxprocs[] = "GOMAXPROCS=1";
	putenv(gomaxprocs);
	static char cert[1100], key[1100], server[4096];
	char abs_dir[1024];
	if (!realpath(argv[3], abs_dir) || make_cert(abs_dir, cert, key, sizeof(cert)) < 0)
		return 0;
	char *go = go_build(argv[2], argv[3], "https");
	bool nginx = bench_have("nginx");
	if (!nginx)
		printf("  nginx not installed: skipped\n");
	/* As ringo's: TLS 1.3 and OpenSSL's default suites, the client's
	 * order (wrk's OpenSSL picks AES-256-GCM); no session tickets
	 * matter with keep-alive. */
	snprintf(server, sizeof(server),
		 "    ssl_certificate %s;\n"
		 "    ssl_certificate_key %s;\n"
		 "    ssl_protocols TLSv1.3;\n"
		 "    location / { default_type text/plain; return 200 \"Hello, World!\"; }\n",
		 cert, key);
	struct peer peers[3] = {
		{ .name = "ringo http_server", .argv = { "taskset", "-c", "0", argv[1], "--tls-cert", cert, "--tls-key", key, "--port", NULL }, .port_arg = 9 },
		{ .name = "nginx", .nginx = server, .nginx_listen = "ssl", .skip = !nginx },
		{ .name = "go net/http", .argv = { "taskset", "-c", "0", go, "--cert", cert, "--key", key, "--port", NULL }, .port_arg = 9, .skip = !go },
	};
	if (wrk_rounds(peers, 3, "https") < 0)
		return 1;
	report("https wrk -t1 -c64 keep-alive", peers, 3, "req/s", "us CPU/req", 0, 0);
	if (nginx) {
		double r = median(peers[0].cpu), x = median(peers[1].cpu);
		printf("https target: server CPU per request <= nginx's: %.1f vs %.1f us: %s\n", r,
		       x, r <= x ? "met" : "MISSED");
	}
	return 0;
}
#endif

/* GETs /big (a 1 GiB file) from port and reads it whole; returns MB/s or
 * -1. */
static double file_load(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -1;
	const char req[] = "GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n";
	int64_t t0 = bench_now();
	if (send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)sizeof(req) - 1)
		return -1;
	static char buf[1 << 18];
	size_t got = 0, want = SIZE_MAX;
	while (got < want) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		if (want == SIZE_MAX) {
			/* the head comes first, whole, in the first segment */
			char *end = memmem(buf, (size_t)n, "\r\n\r\n", 4);
			char *cl = memmem(buf, (size_t)n, "Content-Length: ", 16);
			if (!end || !cl || strtoull(cl + 16, NULL, 10) != TOTAL) {
				fprintf(stderr, "bench_bulk: unexpected answer: %.*s\n", (int)n, buf);
				break;
			}
			want = (size_t)(end + 4 - buf) + TOTAL;
		}
		got += (size_t)n;
	}
	int64_t t1 = bench_now();
	close(fd);
	if (got != want) {
		fprintf(stderr, "bench_bulk: received %zu of %zu bytes\n", got, want);
		return -1;
	}
	return (double)TOTAL / 1e6 / ((double)(t1 - t0) / 1e9);
}

static int bench_static(char **argv)
{
	static char root[1100], server[2400];
	char abs_dir[1024];
	if (!realpath(argv[2], abs_dir))
		return 1;
	snprintf(root, sizeof(root), "%s/bench-root", abs_dir);
	mkdir(root, 0755);
	char big[1200];
	snprintf(big, sizeof(big), "%s/big", root);
	struct stat st;
	if (stat(big, &st) < 0 || (size_t)st.st_size != TOTAL) {
		int fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		static char chunk[1 << 20];
		memset(chunk, 'f', sizeof(chunk));
		for (size_t off = 0; fd >= 0 && off < TOTAL; off += sizeof(chunk))
			if (write(fd, chunk, sizeof(chunk)) != (ssize_t)sizeof(chunk)) {
				close(fd);
				fd = -1;
			}
		if (fd < 0) {
			printf("  cannot write %s: skipped\n", big);
			return 0;
		}
		close(fd);
	}
	bool nginx = bench_have("nginx");
	if (!nginx)
		printf("  nginx not installed: skipped\n");
	snprintf(server, sizeof(server),
		 "    root %s;\n"
		 "    sendfile on;\n"
		 "    location / { }\n",
		 root);
	struct peer peers[2] = {
		{ .name = "ringo http_server", .argv = { "taskset", "-c", "0", argv[1], "--root", root, "--port", NULL }, .port_arg = 7 },
		{ .name = "nginx sendfile", .nginx = server, .nginx_listen = "", .skip = !nginx },
	};
	if (bulk_rounds(peers, 2, file_load) < 0)
		return 1;
	report("static file 1 GiB, one GET", peers, 2, "MB/s", "us CPU/MB", 1.0, 1);
	return 0;
}

/* A process's VmRSS or VmHWM (field "VmRSS:"/"VmHWM:") in KiB, or -1. */
static long status_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	long v = -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)))
			v = atol(line + strlen(field));
	fclose(f);
	return v;
}

/* issue 9: the resident memory of demos/echo_server after moving 10 GiB
 * over one connection stays under 2x its idle RSS plus the connection's
 * allowance: its stream's limit (64 KiB), the copy's pipe (1 MiB) or
 * buffer (256 KiB), and the loop's buffer pool (8 MiB at most). Once per
 * path (splice, and recv/send with RINGO_COPY=rw); peak RSS (VmHWM) is
 * what is compared. */
static int bench_rss(char **argv)
{
	const size_t total = (size_t)10 << 30;
	const long allowance_kib = 64 + 1024 + 256 + 8 * 1024;
	const char *paths[] = { "splice", "rw" };
	int ret = 0;
	for (int k = 0; k < 2; k++) {
		setenv("RINGO_COPY", paths[k], 1);
		struct peer p = { .name = "ringo echo_server", .argv = { "taskset", "-c", "0", argv[1], "--port", NULL }, .port_arg = 5 };
		struct bench_server srv;
		if (!start(&p, &srv))
			return 1;
		usleep(200000);
		long idle = status_kib(srv.pid, "VmRSS:");
		double c0 = bench_cpu_seconds(srv.pid);
		double mbs = echo_load_n(srv.port, total);
		double c1 = bench_cpu_seconds(srv.pid);
		long after = status_kib(srv.pid, "VmRSS:"), peak = status_kib(srv.pid, "VmHWM:");
		if (!stop(&p, &srv) || mbs < 0 || idle <= 0)
			return 1;
		long bound = 2 * idle + allowance_kib;
		printf("RSS after 10 GiB echoed (%s): idle %ld KiB, after %ld KiB, peak %ld KiB | "
		       "bound 2 x idle + %ld KiB = %ld KiB: %s | %.0f MB/s, %.1f us CPU/MB\n",
		       paths[k], idle, after, peak, allowance_kib, bound,
		       peak <= bound ? "met" : "MISSED", mbs,
		       (c1 - c0) / ((double)total / 1e6) * 1e6);
		fflush(stdout);
		if (peak > bound)
			ret = 1;
	}
	unsetenv("RINGO_COPY");
	return ret;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	bench_pin(1);
	if (argc == 6 && !strcmp(argv[1], "echo"))
		return bench_echo(argv + 1);
	if (argc == 8 && !strcmp(argv[1], "proxy"))
		return bench_proxy(argv + 1);
	if (argc == 3 && !strcmp(argv[1], "idle"))
		return bench_idle(argv + 1);
	if (argc == 3 && !strcmp(argv[1], "rss"))
		return bench_rss(argv + 1);
	if (argc == 4 && !strcmp(argv[1], "static"))
		return bench_static(argv + 1);
	if (argc == 5 && (!strcmp(argv[1], "tls") || !strcmp(argv[1], "https"))) {
#if BENCH_TLS
		return !strcmp(argv[1], "tls") ? bench_tls(argv + 1) : bench_https(argv + 1);
#else
		printf("%s: built without OpenSSL; skipped\n", argv[1]);
		return 0;
#endif
	}
	fprintf(stderr, "usage: %s echo RINGO_ECHO EPOLL_ECHO GO_DIR OUT_DIR\n"
			"       %s proxy RINGO_PROXY EPOLL_ECHO HTTP_SERVER GO_DIR OUT_DIR PY_DIR\n"
			"       %s idle RINGO_ECHO\n"
			"       %s rss RINGO_ECHO\n"
			"       %s tls RINGO_ECHO GO_DIR OUT_DIR\n"
			"       %s https HTTP_SERVER GO_DIR OUT_DIR\n"
			"       %s static HTTP_SERVER OUT_DIR\n",
		argv[0], argv[0], argv[0], argv[0], argv[0], argv[0], argv[0]);
	return 2;
}

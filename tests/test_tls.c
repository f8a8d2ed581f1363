/* SPDX-License-Identifier: MIT */
/* TLS streams (lib/io/tls.c, lib/io/stream.c): certificates made here with the
 * OpenSSL API (a CA, a server certificate for localhost and 127.0.0.1, one
 * for another name chosen by SNI, an expired one, a self-signed one);
 * echo with the version, peer subject and certificate; ALPN; SNI; expired,
 * self-signed and wrong-host certificates refused by the client with
 * their errors and messages; cancellation and deadlines during the
 * handshake and during a read; 16 MiB identical through 1-MiB writes and
 * 1-byte reads, and 16 MiB more through 1-byte writes (coalesced into full
 * records) and 1-MiB reads; write_eof as close_notify;
 * a peer closing without close_notify; garbage instead of a ClientHello
 * closing that connection only; kTLS on both sides where the kernel has
 * the tls module (skipped with a message elsewhere). */
#include "harness.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <ringo.h>

static char dir[64];

static char *path(const char *name)
{
	static char buf[8][128];
	static int i;
	char *p = buf[i++ % 8];
	snprintf(p, 128, "%s/%s", dir, name);
	return p;
}

/* ---- certificates ---- */

static EVP_PKEY *new_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	assert_non_null(k);
	return k;
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(e);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}

/* A certificate for cn (with san, if given), valid from `from` to `to`
 * seconds from now, signed by issuer (NULL: self-signed, a CA). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, const char *san, X509 *issuer,
		       EVP_PKEY *issuer_key, long from, long to)
{
	static long serial = 1;
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), from);
	X509_gmtime_adj(X509_getm_notAfter(x), to);
	X509_set_pubkey(x, key);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
	if (!issuer) {
		add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(x, issuer, NID_basic_constraints, "CA:FALSE");
	}
	if (san)
		add_ext(x, issuer ? issuer : x, NID_subject_alt_name, san);
	assert_true(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
	return x;
}

static void save(const char *name, X509 *x, EVP_PKEY *k)
{
	char n[64];
	snprintf(n, sizeof(n), "%s.crt", name);
	FILE *f = fopen(path(n), "w");
	PEM_write_X509(f, x);
	fclose(f);
	if (k) {
		snprintf(n, sizeof(n), "%s.key", name);
		f = fopen(path(n), "w");
		PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
		fclose(f);
	}
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ringo-tls-%d", (int)getpid());
	mkdir(dir, 0700);
	EVP_PKEY *cak = new_key();
	X509 *ca = make_cert(cak, "ringo test CA", NULL, NULL, NULL, -3600, 86400);
	save("ca", ca, NULL);
	struct {
		const char *name, *cn, *san;
		long from, to;
		bool self;
	} certs[] = {
		{ "server", "localhost", "DNS:localhost,IP:127.0.0.1", -3600, 86400, false },
		{ "other", "other.test", "DNS:other.test", -3600, 86400, false },
		{ "expired", "localhost", "DNS:localhost,IP:127.0.0.1", -7200, -3600, false },
		{ "selfsigned", "localhost", "DNS:localhost,IP:127.0.0.1", -3600, 86400, true },
	};
	for (size_t i = 0; i < sizeof(certs) / sizeof(certs[0]); i++) {
		EVP_PKEY *k = new_key();
		X509 *x = certs[i].self ? make_cert(k, certs[i].cn, certs[i].san, NULL, NULL,
						    certs[i].from, certs[i].to)
					: make_cert(k, certs[i].cn, certs[i].san, ca, cak,
						    certs[i].from, certs[i].to);
		save(certs[i].name, x, k);
		X509_free(x);
		EVP_PKEY_free(k);
	}
	X509_free(ca);
	EVP_PKEY_free(cak);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static ringo_tls_context *server_ctx(const char *name, const char *alpn)
{
	char c[32], k[32];
	snprintf(c, sizeof(c), "%s.crt", name);
	snprintf(k, sizeof(k), "%s.key", name);
	ringo_tls_opts o = { .server = true, .cert_file = path(c), .key_file = path(k),
			     .alpn = alpn };
	ringo_tls_context *ctx;
	assert_int_equal(ringo_tls_context_create(&o, &ctx), 0);
	return ctx;
}

static ringo_tls_context *client_ctx(const char *alpn)
{
	ringo_tls_opts o = { .ca_file = path("ca.crt"), .alpn = alpn };
	ringo_tls_context *ctx;
	assert_int_equal(ringo_tls_context_create(&o, &ctx), 0);
	return ctx;
}

/* ---- an echo server over TLS ---- */

static intptr_t echo(ringo_stream *s, void *arg)
{
	(void)arg;
	char buf[65536];
	for (;;) {
		ssize_t n = ringo_stream_read(s, buf, sizeof(buf));
		if (n <= 0)
			return n;
		int ret = ringo_stream_write(s, buf, (size_t)n);
		if (ret == 0)
			ret = ringo_stream_drain(s);
		if (ret < 0)
			return ret;
	}
}

static ringo_server *start(ringo_tls_context *ctx, ringo_conn_fn fn)
{
	ringo_server_opts o = { .tls = ctx };
	ringo_server *srv;
	assert_int_equal(ringo_start_server("127.0.0.1", 0, fn ? fn : echo, NULL, &o, &srv), 0);
	return srv;
}

static int dial(ringo_server *srv, ringo_tls_context *ctx, const char *host, ringo_stream **s)
{
	ringo_stream_opts o = { .tls = ctx, .server_hostname = host };
	return ringo_open_connection("127.0.0.1", ringo_server_port(srv), &o,
				     ringo_deadline_in(RINGO_SEC(10)), s);
}

static intptr_t echo_main(void *arg)
{
	(void)arg;
	ringo_tls_context *sctx = server_ctx("server", NULL), *cctx = client_ctx(NULL);
	ringo_server *srv = start(sctx, NULL);
	ringo_tls_context_unref(sctx); /* the server holds its own reference */
	/* By name and by address: the certificate carries both. */
	const char *hosts[] = { "localhost", NULL };
	for (int i = 0; i < 2; i++) {
		ringo_stream *s;
		assert_int_equal(dial(srv, cctx, hosts[i], &s), 0);
		assert_string_equal(ringo_stream_tls_version(s), "TLSv1.3");
		assert_string_equal(ringo_stream_tls_peer_subject(s), "CN=localhost");
		assert_null(ringo_stream_tls_alpn(s));
		ssize_t der = ringo_stream_tls_peer_certificate(s, NULL, 0);
		assert_true(der > 100);
		unsigned char cert[4096];
		assert_int_equal(ringo_stream_tls_peer_certificate(s, cert, sizeof(cert)), der);
		assert_int_equal(cert[0], 0x30); /* a DER SEQUENCE */
		assert_int_equal(ringo_stream_write(s, "hello\n", 6), 0);
		char line[16];
		assert_int_equal(ringo_stream_readline(s, line, sizeof(line)), 6);
		assert_string_equal(line, "hello\n");
		/* write_eof is close_notify: the echo handler sees the end and
		 * returns, the server closes with its own close_notify. */
		assert_int_equal(ringo_stream_write_eof(s), 0);
		assert_int_equal(ringo_stream_read(s, line, sizeof(line)), 0);
		assert_true(ringo_stream_at_eof(s));
		ringo_stream_destroy(s);
	}
	assert_int_equal(ringo_server_close(srv, true), 0);
	ringo_tls_context_unref(cctx);
	return 0;
}

static void test_echo(void **state)
{
	(void)state;
	assert_int_equal(harness_run(echo_main, NULL), 0);
}

/* ---- ALPN and SNI ---- */

static intptr_t alpn_sni_main(void *arg)
{
	(void)arg;
	ringo_tls_context *sctx = server_ctx("server", "h2,http/1.1");
	assert_int_equal(ringo_tls_context_add_sni(sctx, "other.test", path("other.crt"),
						   path("other.key")),
			 0);
	ringo_server *srv = start(sctx, NULL);
	ringo_tls_context *c1 = client_ctx("http/1.1"), *c2 = client_ctx("spdy/1,h2"),
			  *c3 = client_ctx("foo");
	ringo_stream *s;
	assert_int_equal(dial(srv, c1, "localhost", &s), 0);
	assert_string_equal(ringo_stream_tls_alpn(s), "http/1.1");
	ringo_stream_destroy(s);
	assert_int_equal(dial(srv, c2, "localhost", &s), 0);
	assert_string_equal(ringo_stream_tls_alpn(s), "h2");
	ringo_stream_destroy(s);
	assert_int_equal(dial(srv, c3, "localhost", &s), 0);
	assert_null(ringo_stream_tls_alpn(s)); /* no overlap: no protocol */
	ringo_stream_destroy(s);
	/* SNI picks the certificate */
	assert_int_equal(dial(srv, c1, "other.test", &s), 0);
	assert_string_equal(ringo_stream_tls_peer_subject(s), "CN=other.test");
	ringo_stream_destroy(s);
	assert_int_equal(dial(srv, c1, "localhost", &s), 0);
	assert_string_equal(ringo_stream_tls_peer_subject(s), "CN=localhost");
	ringo_stream_destroy(s);
	assert_int_equal(ringo_server_close(srv, true), 0);
	ringo_tls_context_unref(sctx);
	ringo_tls_context_unref(c1);
	ringo_tls_context_unref(c2);
	ringo_tls_context_unref(c3);
	return 0;
}

static void test_alpn_sni(void **state)
{
	(void)state;
	assert_int_equal(harness_run(alpn_sni_main, NULL), 0);
}

/* ---- refused certificates ---- */

static intptr_t refused_main(void *arg)
{
	(void)arg;
	struct {
		const char *cert, *host;
		int err;
		const char *msg;
	} cases[] = {
		{ "expired", "localhost", -EKEYEXPIRED, "expired" },
		{ "selfsigned", "localhost", -EKEYREJECTED, "self-signed" },
		{ "server", "wrong.test", -ENOKEY, "mismatch" },
	};
	ringo_tls_context *cctx = client_ctx(NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ringo_tls_context *sctx = server_ctx(cases[i].cert, NULL);
		ringo_server *srv = start(sctx, NULL);
		ringo_stream *s;
		assert_int_equal(dial(srv, cctx, cases[i].host, &s), cases[i].err);
		/* by hand, to read the message from the stream */
		int fd = ringo_socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0, RINGO_NO_DEADLINE);
		struct sockaddr_storage a;
		socklen_t len;
		ringo_addr_parse("127.0.0.1", ringo_server_port(srv), &a, &len);
		assert_int_equal(ringo_connect(fd, (struct sockaddr *)&a, len, RINGO_NO_DEADLINE), 0);
		assert_int_equal(ringo_stream_open(fd, NULL, &s), 0);
		assert_int_equal(ringo_stream_start_tls(s, cctx, cases[i].host), cases[i].err);
		const char *why = ringo_stream_tls_error(s);
		assert_non_null(why);
		if (!strstr(why, cases[i].msg))
			fail_msg("'%s' does not say '%s'", why, cases[i].msg);
		ringo_stream_destroy(s);
		assert_int_equal(ringo_server_close(srv, true), 0);
		ringo_tls_context_unref(sctx);
	}
	/* Verification off: the self-signed one is accepted. */
	ringo_tls_opts o = { .verify = RINGO_TLS_VERIFY_NONE };
	ringo_tls_context *lax;
	assert_int_equal(ringo_tls_context_create(&o, &lax), 0);
	ringo_tls_context *sctx = server_ctx("selfsigned", NULL);
	ringo_server *srv = start(sctx, NULL);
	ringo_stream *s;
	assert_int_equal(dial(srv, lax, "localhost", &s), 0);
	ringo_stream_destroy(s);
	assert_int_equal(ringo_server_close(srv, true), 0);
	ringo_tls_context_unref(sctx);
	ringo_tls_context_unref(lax);
	ringo_tls_context_unref(cctx);
	return 0;
}

static void test_refused(void **state)
{
	(void)state;
	assert_int_equal(harness_run(refused_main, NULL), 0);
}

/* ---- cancellation and deadlines ---- */

struct dialer {
	int port;
	ringo_tls_context *ctx;
	ringo_deadline deadline;
};

static intptr_t dial_task(void *arg)
{
	struct dialer *d = arg;
	ringo_stream_opts o = { .tls = d->ctx, .server_hostname = "localhost" };
	ringo_stream *s;
	int ret = ringo_open_connection("127.0.0.1", (uint16_t)d->port, &o, d->deadline, &s);
	if (ret == 0)
		ringo_stream_destroy(s);
	return ret;
}

static intptr_t reader_task(void *arg)
{
	char buf[16];
	return ringo_stream_read(arg, buf, sizeof(buf));
}

static intptr_t cancel_main(void *arg)
{
	(void)arg;
	ringo_tls_context *cctx = client_ctx(NULL);
	/* A listener that never answers: the handshake waits. */
	int l = ringo_listen_on("127.0.0.1", 0, 0);
	struct dialer d = { .port = ringo_local_port(l), .ctx = cctx, .deadline = RINGO_NO_DEADLINE };
	ringo_task *t;
	assert_int_equal(ringo_task_create(dial_task, &d, NULL, &t), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(50)), 0);
	assert_true(ringo_task_cancel(t));
	assert_int_equal(ringo_task_await(t), -ECANCELED);
	ringo_task_unref(t);
	d.deadline = ringo_deadline_in(RINGO_MSEC(50));
	assert_int_equal(dial_task(&d), -ETIMEDOUT);
	close(l);

	/* A read cancelled, then the bytes arrive intact. */
	ringo_tls_context *sctx = server_ctx("server", NULL);
	ringo_server *srv = start(sctx, NULL);
	ringo_stream *s;
	assert_int_equal(dial(srv, cctx, "localhost", &s), 0);
	assert_int_equal(ringo_task_create(reader_task, s, NULL, &t), 0);
	assert_int_equal(ringo_sleep(RINGO_MSEC(20)), 0);
	assert_true(ringo_task_cancel(t));
	assert_int_equal(ringo_task_await(t), -ECANCELED);
	ringo_task_unref(t);
	ringo_stream_set_deadline(s, ringo_deadline_in(RINGO_MSEC(30)));
	char buf[16];
	assert_int_equal(ringo_stream_read(s, buf, sizeof(buf)), -ETIMEDOUT);
	ringo_stream_set_deadline(s, ringo_deadline_in(RINGO_SEC(10)));
	assert_int_equal(ringo_stream_write(s, "after", 5), 0);
	assert_int_equal(ringo_stream_readexactly(s, buf, 5, NULL), 5);
	assert_memory_equal(buf, "after", 5);
	ringo_stream_destroy(s);
	assert_int_equal(ringo_server_close(srv, true), 0);
	ringo_tls_context_unref(sctx);
	ringo_tls_context_unref(cctx);
	return 0;
}

static void test_cancel(void **state)
{
	(void)state;
	assert_int_equal(harness_run(cancel_main, NULL), 0);
}

/* ---- 16 MiB through TLS ---- */

#define BULK (16u << 20)
#define SMALL (16u << 20)

static unsigned char bulk_byte(size_t i)
{
	return (unsigned char)((i * 2654435761u) >> 11);
}

/* The server sends the pattern: BULK bytes in 1 MiB writes, then SMALL
 * bytes one byte per write (queued, and sealed into full records when the
 * send slot is free), then close_notify. */
static intptr_t bulk_sender(ringo_stream *s, void *arg)
{
	(void)arg;
	unsigned char *buf = malloc(1 << 20);
	for (size_t off = 0; off < BULK; off += 1 << 20) {
		for (size_t i = 0; i < (1 << 20); i++)
			buf[i] = bulk_byte(off + i);
		if (ringo_stream_write(s, buf, 1 << 20) < 0 || ringo_stream_drain(s) < 0)
			break;
	}
	for (size_t i = 0; i < SMALL; i++) {
		unsigned char b = bulk_byte(BULK + i);
		if (ringo_stream_write(s, &b, 1) < 0)
			break;
		if (i % 4096 == 4095 && ringo_stream_drain(s) < 0)
			break;
	}
	free(buf);
	return ringo_stream_write_eof(s);
}

static intptr_t bulk_main(void *arg)
{
	(void)arg;
	ringo_tls_context *sctx = server_ctx("server", NULL), *cctx = client_ctx(NULL);
	ringo_server *srv = start(sctx, bulk_sender);
	ringo_stream *s;
	assert_int_equal(dial(srv, cctx, "localhost", &s), 0);
	size_t bad = 0, got = 0;
	/* The first 16 MiB in 1-byte reads, the rest in 1 MiB readexactly. */
	for (; got < BULK; got++) {
		unsigned char b;
		assert_int_equal(ringo_stream_read(s, &b, 1), 1);
		bad += b != bulk_byte(got);
	}
	unsigned char *buf = malloc(1 << 20);
	for (size_t off = 0; off < SMALL; off += 1 << 20) {
		assert_int_equal(ringo_stream_readexactly(s, buf, 1 << 20, NULL), 1 << 20);
		for (size_t i = 0; i < (1 << 20); i++)
			bad += buf[i] != bulk_byte(BULK + off + i);
	}
	free(buf);
	assert_int_equal(bad, 0);
	char c;
	assert_int_equal(ringo_stream_read(s, &c, 1), 0); /* close_notify: a clean end */
	ringo_stream_destroy(s);
	assert_int_equal(ringo_server_close(srv, true), 0);
	ringo_tls_context_unref(sctx);
	ringo_tls_context_unref(cctx);
	return 0;
}

static void test_bulk(void **state)
{
	(void)state;
	assert_int_equal(harness_run(bulk_main, NULL), 0);
}

/* ---- ends: without close_notify; garbage instead of a hello ---- */

static intptr_t rude(ringo_stream *s, void *arg)
{
	(void)arg;
	ringo_stream_write(s, "bye", 3);
	/* once the client has read it (it answers), the TCP connection ends
	 * without close_notify */
	char buf[4];
	ringo_stream_read(s, buf, 1);
	shutdown(ringo_stream_fd(s), SHUT_RDWR);
	ringo_stream_read(s, buf, sizeof(buf));
	return 0;
}

static intptr_t ends_main(void *arg)
{
	(void)arg;
	ringo_tls_context *sctx = server_ctx("server", NULL), *cctx = client_ctx(NULL);
	ringo_server *srv = start(sctx, rude);
	ringo_stream *s;
	assert_int_equal(dial(srv, cctx, "localhost", &s), 0);
	char buf[8];
	assert_int_equal(ringo_stream_readexactly(s, buf, 3, NULL), 3);
	assert_int_equal(ringo_stream_write(s, "x", 1), 0);
	assert_int_equal(ringo_stream_read(s, buf, sizeof(buf)), -ECONNABORTED);
	assert_non_null(strstr(ringo_stream_tls_error(s), "close_notify"));
	ringo_stream_destroy(s);
	assert_int_equal(ringo_server_close(srv, true), 0);

	/* Garbage to a TLS server: that connection is closed, another
	 * client is served meanwhile. */
	srv = start(sctx, NULL);
	int fd = ringo_socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0, RINGO_NO_DEADLINE);
	struct sockaddr_storage a;
	socklen_t len;
	ringo_addr_parse("127.0.0.1", ringo_server_port(srv), &a, &len);
	assert_int_equal(ringo_connect(fd, (struct sockaddr *)&a, len, RINGO_NO_DEADLINE), 0);
	const char junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	assert_int_equal(ringo_send(fd, junk, sizeof(junk) - 1, 0, RINGO_NO_DEADLINE),
			 (ssize_t)sizeof(junk) - 1);
	assert_int_equal(dial(srv, cctx, "localhost", &s), 0);
	assert_int_equal(ringo_stream_write(s, "ok", 2), 0);
	assert_int_equal(ringo_stream_readexactly(s, buf, 2, NULL), 2);
	/* the garbage got an alert at most, then the end */
	char junkbuf[256];
	ssize_t n;
	size_t total = 0;
	while ((n = ringo_recv(fd, junkbuf, sizeof(junkbuf), 0, ringo_deadline_in(RINGO_SEC(5)))) > 0)
		total += (size_t)n;
	assert_true(n == 0 || n == -ECONNRESET);
	assert_true(total < 64);
	close(fd);
	ringo_stream_destroy(s);
	assert_int_equal(ringo_server_close(srv, true), 0);
	ringo_tls_context_unref(sctx);
	ringo_tls_context_unref(cctx);
	return 0;
}

static void test_ends(void **state)
{
	(void)state;
	assert_int_equal(harness_run(ends_main, NULL), 0);
}

/* ---- kTLS ---- */

static intptr_t ktls_main(void *arg)
{
	(void)arg;
	ringo_tls_opts so = { .server = true, .cert_file = path("server.crt"),
			      .key_file = path("server.key"), .ktls = true };
	ringo_tls_opts co = { .ca_file = path("ca.crt"), .ktls = true };
	ringo_tls_context *sctx, *cctx;
	assert_int_equal(ringo_tls_context_create(&so, &sctx), 0);
	assert_int_equal(ringo_tls_context_create(&co, &cctx), 0);
	ringo_server *srv = start(sctx, bulk_sender);
	ringo_stream *s;
	assert_int_equal(dial(srv, cctx, "localhost", &s), 0);
	/* The client sends through the kernel's records... */
	assert_true(ringo_stream_tls_ktls(s));
	/* ...and the server's 32 MiB (1-MiB and 1-byte writes, sent as
	 * plaintext to its kTLS socket) arrive intact, decrypted here. */
	size_t bad = 0;
	unsigned char *buf = malloc(1 << 20);
	for (size_t off = 0; off < BULK + SMALL; off += 1 << 20) {
		assert_int_equal(ringo_stream_readexactly(s, buf, 1 << 20, NULL), 1 << 20);
		for (size_t i = 0; i < (1 << 20); i++)
			bad += buf[i] != bulk_byte(off + i);
	}
	free(buf);
	assert_int_equal(bad, 0);
	char c;
	assert_int_equal(ringo_stream_read(s, &c, 1), 0); /* its close_notify, a control record */
	/* Ours goes the same way: the echo server sees a clean end. */
	ringo_stream_destroy(s);
	assert_int_equal(ringo_server_close(srv, true), 0);
	srv = start(sctx, NULL);
	assert_int_equal(dial(srv, cctx, "localhost", &s), 0);
	assert_int_equal(ringo_stream_write(s, "over ktls\n", 10), 0);
	char line[16];
	assert_int_equal(ringo_stream_readline(s, line, sizeof(line)), 10);
	assert_string_equal(line, "over ktls\n");
	assert_int_equal(ringo_stream_write_eof(s), 0);
	assert_int_equal(ringo_stream_read(s, line, sizeof(line)), 0);
	ringo_stream_destroy(s);
	assert_int_equal(ringo_server_close(srv, true), 0);
	ringo_tls_context_unref(sctx);
	ringo_tls_context_unref(cctx);
	return 0;
}

static void test_ktls(void **state)
{
	(void)state;
	if (!ringo_tls_ktls_available()) {
		fprintf(stderr, "kTLS: skipped: this kernel has no tls ULP (setsockopt TCP_ULP \"tls\" "
				"fails); records are made in user space\n");
		skip();
	}
	assert_int_equal(harness_run(ktls_main, NULL), 0);
}

/* ---- bad input ---- */

static void test_bad_context(void **state)
{
	(void)state;
	ringo_tls_context *ctx;
	ringo_tls_opts o = { .server = true };
	assert_int_equal(ringo_tls_context_create(&o, &ctx), -EINVAL);
	o = (ringo_tls_opts){ .server = true, .cert_file = "/nonexistent.crt",
			      .key_file = "/nonexistent.key" };
	assert_int_equal(ringo_tls_context_create(&o, &ctx), -ENOENT);
	/* a key that does not match the certificate */
	o = (ringo_tls_opts){ .server = true, .cert_file = path("server.crt"),
			      .key_file = path("other.key") };
	assert_int_equal(ringo_tls_context_create(&o, &ctx), -EINVAL);
	o = (ringo_tls_opts){ .alpn = "h2,,x" };
	assert_int_equal(ringo_tls_context_create(&o, &ctx), -EINVAL);
	o = (ringo_tls_opts){ .min_version = 0x0301 };
	assert_int_equal(ringo_tls_context_create(&o, &ctx), -EINVAL);
	ringo_tls_context_unref(NULL);
	if (!ringo_tls_ktls_available())
		fprintf(stderr, "kTLS: this kernel has no tls ULP; records are encrypted in user space\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_context),
		cmocka_unit_test(test_echo),
		cmocka_unit_test(test_alpn_sni),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_bulk),
		cmocka_unit_test(test_ends),
		cmocka_unit_test(test_ktls),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

/* SPDX-License-Identifier: MIT */
/* TLS: OpenSSL 3 over a BIO of our own. The session never touches a
 * socket: ciphertext comes in by ringo__tls_feed (the stream's recv CQEs'
 * bytes, read in place) and goes out through the stream's sink (appended
 * to the buffer its next send carries), so every byte still moves through
 * io_uring SQEs, and no memory BIO copies it on the way. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ringo_config.h"
#include "io/tls.h"

#if RINGO_HAVE_OPENSSL

#include <linux/tls.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#ifndef SOL_TLS
#define SOL_TLS 282
#endif
#ifndef TCP_ULP
#define TCP_ULP 31
#endif

struct sni {
	struct sni *next;
	char *host;
	SSL_CTX *ctx;
};

struct ringo_tls_context {
	_Atomic int refs;       /* shared by loops on several threads */
	bool server;
	SSL_CTX *ctx;
	unsigned char *alpn;      /* wire format: length-prefixed names */
	unsigned alpn_len;
	struct sni *sni;
	bool ktls;                /* hand the send keys to the kernel */
};

struct ringo__tls {
	ringo_tls_context *ctx;
	SSL *ssl;
	BIO *bio;                 /* both directions */
	ringo__tls_sink sink;     /* where ciphertext goes */
	void *sink_arg;
	const char *in;           /* fed, borrowed until feed_end */
	size_t in_len;
	char *kept;               /* fed, not yet read: kept[kept_head, kept_len) */
	size_t kept_head, kept_len, kept_cap;
	bool done, eof, notified;
	bool wrote;               /* application data was encrypted here */
	bool ktls_tx;             /* the kernel encrypts what we send */
	unsigned char tx_secret[EVP_MAX_MD_SIZE]; /* TLS 1.3, for kTLS */
	size_t tx_secret_len;
	char *subject;
	char error[256];
};

/* ---- contexts ---- */

static int file_error(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -errno;
	fclose(f);
	return -EINVAL;
}

static int load_pair(SSL_CTX *ctx, const char *cert, const char *key)
{
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		return file_error(cert);
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		return file_error(key);
	if (SSL_CTX_check_private_key(ctx) != 1)
		return -EINVAL;
	return 0;
}

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		       const unsigned char *in, unsigned inlen, void *arg)
{
	(void)ssl;
	ringo_tls_context *c = arg;
	unsigned char *o;
	if (SSL_select_next_proto(&o, outlen, c->alpn, c->alpn_len, in, inlen) !=
	    OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = o;
	return SSL_TLSEXT_ERR_OK;
}

static int servername(SSL *ssl, int *alert, void *arg)
{
	(void)alert;
	ringo_tls_context *c = arg;
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	if (!name)
		return SSL_TLSEXT_ERR_OK;
	for (struct sni *s = c->sni; s; s = s->next)
		if (strcasecmp(s->host, name) == 0) {
			SSL_set_SSL_CTX(ssl, s->ctx);
			break;
		}
	return SSL_TLSEXT_ERR_OK;
}

/* kTLS: the keys come from the TLS 1.3 traffic secret this side sends
 * with, which OpenSSL reports through the key log. */
static void keylog(const SSL *ssl, const char *line)
{
	struct ringo__tls *t = SSL_get_app_data(ssl);
	if (!t)
		return;
	const char *label = SSL_is_server(ssl) ? "SERVER_TRAFFIC_SECRET_0 " :
						 "CLIENT_TRAFFIC_SECRET_0 ";
	size_t ll = strlen(label);
	if (strncmp(line, label, ll) != 0)
		return;
	/* "<label> <client random, 64 hex> <secret, hex>" */
	const char *hex = strchr(line + ll, ' ');
	if (!hex)
		return;
	hex++;
	size_t n = strlen(hex) / 2;
	if (n > sizeof(t->tx_secret))
		return;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return;
		t->tx_secret[i] = (unsigned char)v;
	}
	t->tx_secret_len = n;
}

/* "h2,http/1.1" to the wire format. */
static int alpn_wire(const char *list, unsigned char **out, unsigned *len)
{
	size_t n = strlen(list);
	unsigned char *w = malloc(n + 1);
	if (!w)
		return -ENOMEM;
	size_t o = 0;
	const char *p = list;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == 0 || l > 255) {
			free(w);
			return -EINVAL;
		}
		w[o++] = (unsigned char)l;
		memcpy(w + o, p, l);
		o += l;
		p += l + (e ? 1 : 0);
		if (e && !*p) {
			free(w);
			return -EINVAL;
		}
	}
	*out = w;
	*len = (unsigned)o;
	return 0;
}

static SSL_CTX *new_ssl_ctx(bool server, int min_version)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, min_version ? min_version : TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	return ctx;
}

int ringo_tls_context_create(const ringo_tls_opts *opts, ringo_tls_context **out)
{
	if (!opts || !out)
		return -EINVAL;
	if (opts->min_version && opts->min_version != RINGO_TLS_1_2 &&
	    opts->min_version != RINGO_TLS_1_3)
		return -EINVAL;
	if (opts->verify < RINGO_TLS_VERIFY_DEFAULT || opts->verify > RINGO_TLS_VERIFY_PEER)
		return -EINVAL;
	if (opts->server && (!opts->cert_file || !opts->key_file))
		return -EINVAL;
	ringo_tls_context *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->refs = 1;
	c->server = opts->server;
	int ret = -ENOMEM;
	c->ctx = new_ssl_ctx(opts->server, opts->min_version);
	if (!c->ctx)
		goto err;
	if (opts->cert_file || opts->key_file) {
		if (!opts->cert_file || !opts->key_file) {
			ret = -EINVAL;
			goto err;
		}
		ret = load_pair(c->ctx, opts->cert_file, opts->key_file);
		if (ret < 0)
			goto err;
	}
	bool verify = opts->server ? opts->verify == RINGO_TLS_VERIFY_PEER
				   : opts->verify != RINGO_TLS_VERIFY_NONE;
	if (verify) {
		if (opts->ca_file) {
			if (SSL_CTX_load_verify_locations(c->ctx, opts->ca_file, NULL) != 1) {
				ret = file_error(opts->ca_file);
				goto err;
			}
		} else {
			SSL_CTX_set_default_verify_paths(c->ctx);
		}
		SSL_CTX_set_verify(c->ctx,
				   SSL_VERIFY_PEER |
					   (opts->server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
				   NULL);
	}
	if (opts->alpn) {
		ret = alpn_wire(opts->alpn, &c->alpn, &c->alpn_len);
		if (ret < 0)
			goto err;
		if (opts->server) {
			SSL_CTX_set_alpn_select_cb(c->ctx, alpn_select, c);
		} else if (SSL_CTX_set_alpn_protos(c->ctx, c->alpn, c->alpn_len) != 0) {
			ret = -ENOMEM;
			goto err;
		}
	}
	if (opts->server) {
		SSL_CTX_set_tlsext_servername_callback(c->ctx, servername);
		SSL_CTX_set_tlsext_servername_arg(c->ctx, c);
	}
	if (opts->ktls && ringo_tls_ktls_available()) {
		c->ktls = true;
		SSL_CTX_set_keylog_callback(c->ctx, keylog);
		/* The kernel starts counting records at 0: none may have
		 * been sent with the traffic key before it takes over, and a
		 * TLS 1.3 server sends its session tickets with it. */
		if (opts->server)
			SSL_CTX_set_num_tickets(c->ctx, 0);
	}
	*out = c;
	return 0;

err:
	ringo_tls_context_unref(c);
	return ret;
}

int ringo_tls_context_add_sni(ringo_tls_context *c, const char *hostname, const char *cert_file,
			      const char *key_file)
{
	if (!c || !c->server || !hostname || !cert_file || !key_file)
		return -EINVAL;
	struct sni *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	int ret = -ENOMEM;
	s->host = strdup(hostname);
	s->ctx = new_ssl_ctx(true, SSL_CTX_get_min_proto_version(c->ctx));
	if (!s->host || !s->ctx)
		goto err;
	ret = load_pair(s->ctx, cert_file, key_file);
	if (ret < 0)
		goto err;
	if (c->alpn)
		SSL_CTX_set_alpn_select_cb(s->ctx, alpn_select, c);
	s->next = c->sni;
	c->sni = s;
	return 0;

err:
	SSL_CTX_free(s->ctx);
	free(s->host);
	free(s);
	return ret;
}

void ringo_tls_context_ref(ringo_tls_context *c)
{
	if (c)
		atomic_fetch_add(&c->refs, 1);
}

void ringo_tls_context_unref(ringo_tls_context *c)
{
	if (!c || atomic_fetch_sub(&c->refs, 1) > 1)
		return;
	while (c->sni) {
		struct sni *s = c->sni;
		c->sni = s->next;
		SSL_CTX_free(s->ctx);
		free(s->host);
		free(s);
	}
	SSL_CTX_free(c->ctx);
	free(c->alpn);
	free(c);
}

/* ---- the BIO between the session and the stream ---- */

static int bio_write(BIO *b, const char *p, size_t n, size_t *written)
{
	struct ringo__tls *t = BIO_get_data(b);
	BIO_clear_retry_flags(b);
	if (t->sink(t->sink_arg, p, n) < 0)
		return 0;
	*written = n;
	return 1;
}

/* Reads the kept bytes first, then the borrowed ones. */
static int bio_read(BIO *b, char *p, size_t n, size_t *got)
{
	struct ringo__tls *t = BIO_get_data(b);
	BIO_clear_retry_flags(b);
	size_t m = 0;
	if (t->kept_len) {
		m = t->kept_len < n ? t->kept_len : n;
		memcpy(p, t->kept + t->kept_head, m);
		t->kept_head += m;
		t->kept_len -= m;
		if (!t->kept_len)
			t->kept_head = 0;
	}
	if (m < n && t->in_len) {
		size_t k = t->in_len < n - m ? t->in_len : n - m;
		memcpy(p + m, t->in, k);
		t->in += k;
		t->in_len -= k;
		m += k;
	}
	if (!m) {
		BIO_set_retry_read(b);
		return 0;
	}
	*got = m;
	return 1;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b, (void)num, (void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	default:
		return 0;
	}
}

static BIO_METHOD *bio_method;
static pthread_once_t bio_once = PTHREAD_ONCE_INIT;

static void bio_method_init(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ringo stream");
	if (m && (!BIO_meth_set_write_ex(m, bio_write) || !BIO_meth_set_read_ex(m, bio_read) ||
		  !BIO_meth_set_ctrl(m, bio_ctrl))) {
		BIO_meth_free(m);
		m = NULL;
	}
	bio_method = m;
}

/* ---- sessions ---- */

int ringo__tls_new(ringo_tls_context *ctx, const char *hostname, ringo__tls_sink sink,
		   void *sink_arg, struct ringo__tls **out)
{
	pthread_once(&bio_once, bio_method_init);
	if (!bio_method)
		return -ENOMEM;
	struct ringo__tls *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->sink = sink;
	t->sink_arg = sink_arg;
	t->ssl = SSL_new(ctx->ctx);
	t->bio = BIO_new(bio_method);
	if (!t->ssl || !t->bio)
		goto err;
	BIO_set_data(t->bio, t);
	BIO_set_init(t->bio, 1);
	if (ctx->ktls)
		SSL_set_app_data(t->ssl, t);
	/* The same BIO both ways: the session takes our one reference. */
	SSL_set_bio(t->ssl, t->bio, t->bio);
	if (ctx->server) {
		SSL_set_accept_state(t->ssl);
	} else {
		SSL_set_connect_state(t->ssl);
		if (hostname && *hostname) {
			unsigned char ip[16];
			bool is_ip = inet_pton(AF_INET, hostname, ip) == 1 ||
				     inet_pton(AF_INET6, hostname, ip) == 1;
			if (is_ip) {
				X509_VERIFY_PARAM *p = SSL_get0_param(t->ssl);
				if (X509_VERIFY_PARAM_set1_ip_asc(p, hostname) != 1)
					goto err_ssl;
			} else if (SSL_set_tlsext_host_name(t->ssl, hostname) != 1 ||
				   SSL_set1_host(t->ssl, hostname) != 1) {
				goto err_ssl;
			}
		}
	}
	ringo_tls_context_ref(ctx);
	t->ctx = ctx;
	*out = t;
	return 0;

err:
	/* Until SSL_set_bio, the BIO is ours. */
	BIO_free(t->bio);
err_ssl:
	SSL_free(t->ssl);
	free(t);
	return -ENOMEM;
}

void ringo__tls_free(struct ringo__tls *t)
{
	if (!t)
		return;
	SSL_free(t->ssl); /* frees the BIO */
	free(t->subject);
	free(t->kept);
	OPENSSL_cleanse(t->tx_secret, sizeof(t->tx_secret));
	ringo_tls_context_unref(t->ctx);
	free(t);
}

void ringo__tls_feed(struct ringo__tls *t, const void *p, size_t n)
{
	t->in = p;
	t->in_len = n;
}

int ringo__tls_feed_end(struct ringo__tls *t)
{
	const char *p = t->in;
	size_t n = t->in_len;
	t->in = NULL;
	t->in_len = 0;
	if (!n)
		return 0;
	if (t->kept_cap - t->kept_head - t->kept_len < n) {
		if (t->kept_head) {
			memmove(t->kept, t->kept + t->kept_head, t->kept_len);
			t->kept_head = 0;
		}
		if (t->kept_cap - t->kept_len < n) {
			size_t cap = t->kept_len + n;
			char *k = realloc(t->kept, cap);
			if (!k)
				return -ENOMEM;
			t->kept = k;
			t->kept_cap = cap;
		}
	}
	memcpy(t->kept + t->kept_head + t->kept_len, p, n);
	t->kept_len += n;
	return 0;
}

void ringo__tls_set_error(struct ringo__tls *t, const char *msg)
{
	snprintf(t->error, sizeof(t->error), "%s", msg);
}

/* The errno for a failed SSL call (ret), with the reason kept. */
static int failure(struct ringo__tls *t, int ret)
{
	int e = SSL_get_error(t->ssl, ret);
	unsigned long code = ERR_peek_last_error();
	if (code)
		ERR_error_string_n(code, t->error, sizeof(t->error));
	ERR_clear_error();
	if (!t->done) {
		long v = SSL_get_verify_result(t->ssl);
		if (v != X509_V_OK) {
			snprintf(t->error, sizeof(t->error), "certificate verify failed: %s",
				 X509_verify_cert_error_string(v));
			switch (v) {
			case X509_V_ERR_CERT_HAS_EXPIRED:
			case X509_V_ERR_CERT_NOT_YET_VALID:
				return -EKEYEXPIRED;
			case X509_V_ERR_HOSTNAME_MISMATCH:
			case X509_V_ERR_IP_ADDRESS_MISMATCH:
				return -ENOKEY;
			default:
				return -EKEYREJECTED;
			}
		}
	}
	if (e == SSL_ERROR_SYSCALL && !code) {
		ringo__tls_set_error(t, "unexpected end of TLS data");
		return -ECONNABORTED;
	}
	if (!t->error[0])
		ringo__tls_set_error(t, "TLS protocol error");
	return t->done ? -EBADMSG : -EPROTO;
}

int ringo__tls_start(struct ringo__tls *t)
{
	ERR_clear_error();
	int r = SSL_do_handshake(t->ssl);
	if (r == 1) {
		t->done = true;
		return 0;
	}
	int e = SSL_get_error(t->ssl, r);
	return e == SSL_ERROR_WANT_READ ? 0 : failure(t, r);
}

ssize_t ringo__tls_read(struct ringo__tls *t, void *buf, size_t cap)
{
	if (t->eof)
		return 0;
	ERR_clear_error();
	if (!t->done) {
		int r = SSL_do_handshake(t->ssl);
		if (r != 1) {
			int e = SSL_get_error(t->ssl, r);
			return e == SSL_ERROR_WANT_READ ? 0 : failure(t, r);
		}
		t->done = true;
	}
	size_t got = 0;
	int r = SSL_read_ex(t->ssl, buf, cap, &got);
	if (r == 1)
		return (ssize_t)got;
	int e = SSL_get_error(t->ssl, r);
	if (e == SSL_ERROR_WANT_READ)
		return 0;
	if (e == SSL_ERROR_ZERO_RETURN) {
		t->eof = true;
		return 0;
	}
	return failure(t, r);
}

bool ringo__tls_handshake_done(const struct ringo__tls *t)
{
	return t->done;
}

bool ringo__tls_eof(const struct ringo__tls *t)
{
	return t->eof;
}

int ringo__tls_write(struct ringo__tls *t, const void *p, size_t n)
{
	ERR_clear_error();
	size_t put = 0;
	if (t->ktls_tx)
		return -EINVAL; /* the kernel encrypts: the stream sends plaintext */
	/* The BIO takes everything: one call writes it all. */
	if (n && SSL_write_ex(t->ssl, p, n, &put) != 1)
		return failure(t, 0);
	t->wrote = true;
	return 0;
}

/* TLS 1.3's HKDF-Expand-Label(secret, label, "", len) (RFC 8446 7.1):
 * one HMAC block, as len <= the hash's size here. */
static int expand_label(const char *md, const unsigned char *secret, size_t secret_len,
			const char *label, unsigned char *out, size_t len)
{
	unsigned char info[64], block[EVP_MAX_MD_SIZE];
	size_t ll = strlen("tls13 ") + strlen(label), n = 0, got = 0;
	info[n++] = (unsigned char)(len >> 8);
	info[n++] = (unsigned char)len;
	info[n++] = (unsigned char)ll;
	memcpy(info + n, "tls13 ", 6);
	memcpy(info + n + 6, label, strlen(label));
	n += ll;
	info[n++] = 0;    /* no context */
	info[n++] = 0x01; /* HKDF-Expand's first block counter */
	if (!EVP_Q_mac(NULL, "HMAC", NULL, md, NULL, secret, secret_len, info, n, block,
		       sizeof(block), &got) ||
	    got < len)
		return -EINVAL;
	memcpy(out, block, len);
	OPENSSL_cleanse(block, sizeof(block));
	return 0;
}

int ringo__tls_ktls_start(struct ringo__tls *t, int fd)
{
	if (!t->ctx->ktls || !t->done || t->ktls_tx)
		return 0;
	/* TLS 1.3 with AES-GCM only, and only while the kernel's record
	 * count can start at 0: nothing sent with the traffic key yet. */
	const SSL_CIPHER *c = SSL_get_current_cipher(t->ssl);
	uint32_t id = c ? SSL_CIPHER_get_id(c) : 0;
	size_t key_len = id == TLS1_3_CK_AES_128_GCM_SHA256 ? 16 :
			 id == TLS1_3_CK_AES_256_GCM_SHA384 ? 32 : 0;
	const char *md = key_len == 16 ? "SHA256" : "SHA384";
	if (SSL_version(t->ssl) != TLS1_3_VERSION || !key_len || !t->tx_secret_len || t->wrote ||
	    t->notified)
		return 0;
	if (setsockopt(fd, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls")) < 0)
		return 0; /* no tls module: records stay in user space */
	unsigned char key[32], iv[12];
	int ret = expand_label(md, t->tx_secret, t->tx_secret_len, "key", key, key_len);
	if (ret == 0)
		ret = expand_label(md, t->tx_secret, t->tx_secret_len, "iv", iv, sizeof(iv));
	if (ret == 0) {
		/* The 12-byte IV is the 4-byte salt and the 8-byte iv; the
		 * record sequence starts at 0. */
		union {
			struct tls12_crypto_info_aes_gcm_128 g128;
			struct tls12_crypto_info_aes_gcm_256 g256;
		} ci;
		memset(&ci, 0, sizeof(ci));
		socklen_t len;
		if (key_len == 16) {
			ci.g128.info.version = TLS_1_3_VERSION;
			ci.g128.info.cipher_type = TLS_CIPHER_AES_GCM_128;
			memcpy(ci.g128.key, key, 16);
			memcpy(ci.g128.salt, iv, 4);
			memcpy(ci.g128.iv, iv + 4, 8);
			len = sizeof(ci.g128);
		} else {
			ci.g256.info.version = TLS_1_3_VERSION;
			ci.g256.info.cipher_type = TLS_CIPHER_AES_GCM_256;
			memcpy(ci.g256.key, key, 32);
			memcpy(ci.g256.salt, iv, 4);
			memcpy(ci.g256.iv, iv + 4, 8);
			len = sizeof(ci.g256);
		}
		/* A socket with the ULP but no TX keys sends as before: a
		 * refusal here leaves the user-space records working. */
		if (setsockopt(fd, SOL_TLS, TLS_TX, &ci, len) == 0)
			t->ktls_tx = true;
		OPENSSL_cleanse(&ci, sizeof(ci));
	}
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(iv, sizeof(iv));
	OPENSSL_cleanse(t->tx_secret, sizeof(t->tx_secret));
	t->tx_secret_len = 0;
	return t->ktls_tx ? 1 : 0;
}

bool ringo__tls_ktls_tx(const struct ringo__tls *t)
{
	return t->ktls_tx;
}

bool ringo__tls_ktls_wanted(const struct ringo__tls *t)
{
	return t->ctx->ktls;
}

bool ringo__tls_notified(const struct ringo__tls *t)
{
	return t->notified;
}

int ringo__tls_close_notify(struct ringo__tls *t)
{
	if (t->notified || !t->done)
		return 0;
	t->notified = true;
	if (t->ktls_tx)
		return 0; /* the stream sends it as a kTLS control record */
	ERR_clear_error();
	SSL_shutdown(t->ssl);
	ERR_clear_error();
	return 0;
}

const char *ringo__tls_version(const struct ringo__tls *t)
{
	return t->done ? SSL_get_version(t->ssl) : NULL;
}

const char *ringo__tls_alpn(const struct ringo__tls *t)
{
	const unsigned char *p;
	unsigned len;
	SSL_get0_alpn_selected(t->ssl, &p, &len);
	if (!len)
		return NULL;
	/* Kept NUL-terminated beside the session. */
	static _Thread_local char name[256];
	memcpy(name, p, len);
	name[len] = '\0';
	return name;
}

const char *ringo__tls_peer_subject(const struct ringo__tls *t)
{
	if (t->subject)
		return t->subject;
	X509 *x = SSL_get0_peer_certificate(t->ssl);
	if (!x)
		return NULL;
	BIO *b = BIO_new(BIO_s_mem());
	if (!b)
		return NULL;
	X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253);
	char *d;
	long n = BIO_get_mem_data(b, &d);
	char *s = n >= 0 ? strndup(d, (size_t)n) : NULL;
	BIO_free(b);
	((struct ringo__tls *)t)->subject = s;
	return s;
}

ssize_t ringo__tls_peer_certificate(const struct ringo__tls *t, void *buf, size_t cap)
{
	X509 *x = SSL_get0_peer_certificate(t->ssl);
	if (!x)
		return -ENOENT;
	int n = i2d_X509(x, NULL);
	if (n < 0)
		return -ENOENT;
	if ((size_t)n <= cap && buf) {
		unsigned char *p = buf;
		i2d_X509(x, &p);
	}
	return n;
}

const char *ringo__tls_error(const struct ringo__tls *t)
{
	return t->error[0] ? t->error : NULL;
}

#else /* !RINGO_HAVE_OPENSSL */

int ringo_tls_context_create(const ringo_tls_opts *opts, ringo_tls_context **out)
{
	(void)opts;
	(void)out;
	return -EOPNOTSUPP;
}

int ringo_tls_context_add_sni(ringo_tls_context *c, const char *hostname, const char *cert_file,
			      const char *key_file)
{
	(void)c, (void)hostname, (void)cert_file, (void)key_file;
	return -EOPNOTSUPP;
}

void ringo_tls_context_ref(ringo_tls_context *c)
{
	(void)c;
}

void ringo_tls_context_unref(ringo_tls_context *c)
{
	(void)c;
}

/* Never reached: no context can exist to make a session from. */
int ringo__tls_new(ringo_tls_context *ctx, const char *hostname, ringo__tls_sink sink,
		   void *sink_arg, struct ringo__tls **out)
{
	(void)ctx, (void)hostname, (void)sink, (void)sink_arg, (void)out;
	return -EOPNOTSUPP;
}
void ringo__tls_free(struct ringo__tls *t) { (void)t; }
void ringo__tls_feed(struct ringo__tls *t, const void *p, size_t n) { (void)t, (void)p, (void)n; }
int ringo__tls_feed_end(struct ringo__tls *t) { (void)t; return 0; }
ssize_t ringo__tls_read(struct ringo__tls *t, void *buf, size_t cap) { (void)t, (void)buf, (void)cap; return -EOPNOTSUPP; }
bool ringo__tls_handshake_done(const struct ringo__tls *t) { (void)t; return false; }
bool ringo__tls_eof(const struct ringo__tls *t) { (void)t; return false; }
int ringo__tls_write(struct ringo__tls *t, const void *p, size_t n) { (void)t, (void)p, (void)n; return -EOPNOTSUPP; }
int ringo__tls_close_notify(struct ringo__tls *t) { (void)t; return 0; }
bool ringo__tls_notified(const struct ringo__tls *t) { (void)t; return false; }
int ringo__tls_ktls_start(struct ringo__tls *t, int fd) { (void)t, (void)fd; return 0; }
bool ringo__tls_ktls_tx(const struct ringo__tls *t) { (void)t; return false; }
bool ringo__tls_ktls_wanted(const struct ringo__tls *t) { (void)t; return false; }
int ringo__tls_start(struct ringo__tls *t) { (void)t; return -EOPNOTSUPP; }
const char *ringo__tls_version(const struct ringo__tls *t) { (void)t; return NULL; }
const char *ringo__tls_alpn(const struct ringo__tls *t) { (void)t; return NULL; }
const char *ringo__tls_peer_subject(const struct ringo__tls *t) { (void)t; return NULL; }
ssize_t ringo__tls_peer_certificate(const struct ringo__tls *t, void *buf, size_t cap) { (void)t, (void)buf, (void)cap; return -ENOENT; }
const char *ringo__tls_error(const struct ringo__tls *t) { (void)t; return NULL; }
void ringo__tls_set_error(struct ringo__tls *t, const char *msg) { (void)t, (void)msg; }

#endif

/* Whether a connected TCP socket takes the tls ULP (which loads the
 * module where it can be loaded). Plain blocking calls on loopback, once. */
static bool probe_ulp(void)
{
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	bool ok = l >= 0 && c >= 0 && bind(l, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		  listen(l, 1) == 0 && getsockname(l, (struct sockaddr *)&a, &len) == 0 &&
		  connect(c, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		  setsockopt(c, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls")) == 0;
	if (c >= 0)
		close(c);
	if (l >= 0)
		close(l);
	return ok;
}

bool ringo_tls_ktls_available(void)
{
	static _Atomic int known; /* 0: not yet; 1: no; 2: yes */
	int k = atomic_load(&known);
	if (k)
		return k == 2;
	bool ok = false;
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_available_ulp", "r");
	if (f) {
		char line[256] = "";
		ok = fgets(line, sizeof(line), f) && strstr(line, "tls");
		fclose(f);
	}
	if (!ok)
		ok = probe_ulp();
	atomic_store(&known, ok ? 2 : 1);
	return ok;
}

/* SPDX-License-Identifier: MIT */
/* ringo — TLS for streams: asyncio's ssl= and start_tls (included by
 * <ringo.h>).
 *
 * OpenSSL 3 runs the protocol over memory BIOs; the bytes go in and out by
 * the stream's own io_uring recv and send SQEs, as on any stream: no
 * OpenSSL-owned fd I/O, no blocking call. A TLS stream keeps every stream
 * call's behaviour (read, readexactly, readuntil, peek/fill/consume,
 * deadlines, cancellation, drain); write_eof sends close_notify (and then
 * shuts the socket's write side), close sends close_notify before closing.
 * Built without OpenSSL, every call here returns -EOPNOTSUPP.
 *
 * Errors (negative errnos; ringo_stream_tls_error() says more: OpenSSL's
 * reason, or the verification error):
 *  -EPROTO        the handshake failed: a protocol error, no shared
 *                 version, cipher or ALPN protocol, an alert from the
 *                 peer, or not TLS at all (garbage instead of a hello)
 *  -EKEYREJECTED  the peer's certificate is not trusted (self-signed,
 *                 unknown issuer, bad signature) or is missing when required
 *  -EKEYEXPIRED   the peer's certificate has expired or is not yet valid
 *  -ENOKEY        the peer's certificate is not for server_hostname
 *  -ECONNABORTED  the peer closed the connection without close_notify
 *                 (a truncation attack, or a careless peer), returned by
 *                 reads once the bytes before it have been read
 *
 * kTLS (ringo_tls_opts.ktls): after a TLS 1.3 handshake with AES-GCM, the
 * send keys go to the kernel (TCP_ULP "tls", TLS_TX) where it has the
 * `tls` module: the stream's plain io_uring sends then carry plaintext
 * and the kernel makes the records; close_notify goes as a control
 * record. Receiving stays in user space (OpenSSL). Where the kernel has no
 * `tls` module, or for TLS 1.2 or another cipher, records are made in user
 * space as without the option. A TLS 1.3 server context with kTLS sends no
 * session tickets (the kernel's record count must start at 0).
 */
#ifndef RINGO_TLS_H
#define RINGO_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ringo_tls_context ringo_tls_context;
struct ringo_stream;

enum {
	RINGO_TLS_VERIFY_DEFAULT = 0, /* client: verify the server; server: no client cert */
	RINGO_TLS_VERIFY_NONE,        /* client: accept any certificate (tests only) */
	RINGO_TLS_VERIFY_PEER,        /* server: require a client certificate */
};

enum { RINGO_TLS_1_2 = 0x0303, RINGO_TLS_1_3 = 0x0304 };

typedef struct ringo_tls_opts {
	bool server;             /* the accepting side (needs cert_file, key_file) */
	const char *cert_file;   /* PEM certificate chain, leaf first */
	const char *key_file;    /* PEM private key */
	const char *ca_file;     /* PEM CAs to verify the peer; NULL: the system's */
	int verify;              /* RINGO_TLS_VERIFY_* */
	const char *alpn;        /* protocols, best first, comma-separated
				  * ("h2,http/1.1"); NULL: none */
	int min_version;         /* RINGO_TLS_1_2 (0: the default) or RINGO_TLS_1_3 */
	bool ktls;               /* kernel TLS for sending where available */
} ringo_tls_opts;

/* A context: configuration shared by any number of streams (asyncio's
 * SSLContext). Loads the files now. Does not suspend. Returns 0 and *out
 * (release with ringo_tls_context_unref), -ENOENT/-EACCES for a file that
 * cannot be read, -EINVAL for a bad certificate, key (or one not matching
 * the certificate), ALPN list or option, -ENOMEM, -EOPNOTSUPP without
 * OpenSSL. */
int ringo_tls_context_create(const ringo_tls_opts *opts, ringo_tls_context **out);
/* Server contexts: serves another certificate to clients asking for
 * hostname by SNI (the context's own certificate goes to the others).
 * Returns 0 or as ringo_tls_context_create. Does not suspend. */
int ringo_tls_context_add_sni(ringo_tls_context *ctx, const char *hostname,
			      const char *cert_file, const char *key_file);
void ringo_tls_context_ref(ringo_tls_context *ctx);
/* Drops a reference; streams hold their own. Accepts NULL. */
void ringo_tls_context_unref(ringo_tls_context *ctx);

/* asyncio's start_tls: runs the TLS handshake on stream s, as the client
 * or the server as ctx says (a client sends server_hostname by SNI and,
 * unless verify is NONE, checks the certificate is for it; NULL: no SNI,
 * no name check), under the stream's deadline. Bytes already buffered
 * unread are taken as the peer's first TLS bytes. Afterwards s reads and
 * writes plaintext. Returns 0 or a negative errno (see above; -ETIMEDOUT,
 * -ECANCELED; -EBUSY if s has TLS already; -EOPNOTSUPP without OpenSSL);
 * after a failure s should be destroyed. May suspend. */
int ringo_stream_start_tls(struct ringo_stream *s, ringo_tls_context *ctx,
			   const char *server_hostname);

/* After the handshake: the negotiated version ("TLSv1.3"), ALPN protocol
 * (NULL if none), and the peer certificate's subject ("CN=example") or
 * NULL. Strings live as long as s. Do not suspend. NULL for a plain
 * stream. */
const char *ringo_stream_tls_version(const struct ringo_stream *s);
const char *ringo_stream_tls_alpn(const struct ringo_stream *s);
const char *ringo_stream_tls_peer_subject(const struct ringo_stream *s);
/* The peer certificate, DER-encoded, copied into buf (cap bytes). Returns
 * its length (larger than cap: nothing copied), or -ENOENT (no
 * certificate, or a plain stream). Does not suspend. */
ssize_t ringo_stream_tls_peer_certificate(const struct ringo_stream *s, void *buf, size_t cap);
/* Why the last TLS error happened (OpenSSL's reason string), or NULL. */
const char *ringo_stream_tls_error(const struct ringo_stream *s);
/* Whether the running kernel has kernel TLS (the `tls` ULP): loaded, or
 * loadable by a TCP socket asking for it. Does not suspend. */
bool ringo_tls_ktls_available(void);
/* Whether the kernel encrypts what s sends (kTLS took its keys). Does not
 * suspend. */
bool ringo_stream_tls_ktls(const struct ringo_stream *s);

#ifdef __cplusplus
}
#endif

#endif

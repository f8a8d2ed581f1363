/* SPDX-License-Identifier: MIT */
/* Internal: a TLS session (lib/io/tls.c). It does no I/O: the stream
 * (lib/io/stream.c) feeds it the ciphertext its recv brought, takes the
 * plaintext out, hands it plaintext to encrypt, and sends the ciphertext
 * the session hands to its sink. Never installed. */
#ifndef RINGO__TLS_H
#define RINGO__TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ringo.h"

struct ringo__tls;

/* Takes n bytes of ciphertext to send, in order (handshake messages,
 * records, alerts), at any call that may produce them. Returns 0, or < 0
 * when it cannot (the session's call then fails). */
typedef int (*ringo__tls_sink)(void *arg, const void *p, size_t n);

/* A session of ctx (client or server as ctx says); hostname (client): SNI
 * and the name the certificate must carry, or NULL; sink(sink_arg, ...)
 * takes its ciphertext. Returns 0 or -ENOMEM, -EOPNOTSUPP without
 * OpenSSL. */
int ringo__tls_new(ringo_tls_context *ctx, const char *hostname, ringo__tls_sink sink,
		   void *sink_arg, struct ringo__tls **out);
void ringo__tls_free(struct ringo__tls *t);
/* Lends n bytes of ciphertext from the peer to the session, which reads
 * them in place by the next ringo__tls_read calls; feed_end then keeps a
 * copy of what they left unread (a partial record) and gives p back.
 * feed_end returns 0 or -ENOMEM. */
void ringo__tls_feed(struct ringo__tls *t, const void *p, size_t n);
int ringo__tls_feed_end(struct ringo__tls *t);
/* Advances the handshake, then decrypts into buf. Returns the plaintext
 * bytes (> 0), 0 when more ciphertext is needed (or close_notify came:
 * see eof), or a negative errno (include/ringo/tls.h's list). May leave
 * ciphertext to send (output). */
ssize_t ringo__tls_read(struct ringo__tls *t, void *buf, size_t cap);
bool ringo__tls_handshake_done(const struct ringo__tls *t);
/* Whether the peer's close_notify has come. */
bool ringo__tls_eof(const struct ringo__tls *t);
/* Encrypts n bytes (after the handshake) into records of up to 16 KiB,
 * handed to the sink. Returns 0 or a negative errno. */
int ringo__tls_write(struct ringo__tls *t, const void *p, size_t n);
/* kTLS (send side): once the handshake is done and every byte the session
 * produced has been sent on fd, hands the TLS 1.3 AES-GCM send keys to the
 * kernel (TCP_ULP "tls", TLS_TX), if the context asked for it and the
 * kernel has the module. Returns 1 if the kernel now encrypts what is sent
 * on fd (the stream then sends plaintext, and close_notify as a control
 * record), 0 if records stay in user space. */
int ringo__tls_ktls_start(struct ringo__tls *t, int fd);
/* Whether the context asked for kTLS where the kernel has it. */
bool ringo__tls_ktls_wanted(const struct ringo__tls *t);
bool ringo__tls_ktls_tx(const struct ringo__tls *t);
/* Whether close_notify was queued. */
bool ringo__tls_notified(const struct ringo__tls *t);
/* Queues close_notify (once). Returns 0 or a negative errno. */
int ringo__tls_close_notify(struct ringo__tls *t);
/* Starts a client's handshake (its ClientHello goes to output). */
int ringo__tls_start(struct ringo__tls *t);

const char *ringo__tls_version(const struct ringo__tls *t);
const char *ringo__tls_alpn(const struct ringo__tls *t);
const char *ringo__tls_peer_subject(const struct ringo__tls *t);
ssize_t ringo__tls_peer_certificate(const struct ringo__tls *t, void *buf, size_t cap);
const char *ringo__tls_error(const struct ringo__tls *t);
/* Records an error message (a closed-without-close_notify, say). */
void ringo__tls_set_error(struct ringo__tls *t, const char *msg);

#endif

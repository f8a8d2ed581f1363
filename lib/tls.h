/* SPDX-License-Identifier: MIT */
/* Internal: a TLS session over memory BIOs (lib/tls.c). It does no I/O:
 * the stream (lib/stream.c) feeds it the ciphertext its recv brought,
 * takes the plaintext out, hands it plaintext to encrypt, and sends the
 * ciphertext it produces. Never installed. */
#ifndef RINGO__TLS_H
#define RINGO__TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ringo.h"

struct ringo__tls;

/* A session of ctx (client or server as ctx says); hostname (client): SNI
 * and the name the certificate must carry, or NULL. Returns 0 or -ENOMEM,
 * -EOPNOTSUPP without OpenSSL. */
int ringo__tls_new(ringo_tls_context *ctx, const char *hostname, struct ringo__tls **out);
void ringo__tls_free(struct ringo__tls *t);
/* Takes n bytes of ciphertext from the peer. Returns 0 or -ENOMEM. */
int ringo__tls_feed(struct ringo__tls *t, const void *p, size_t n);
/* Advances the handshake, then decrypts into buf. Returns the plaintext
 * bytes (> 0), 0 when more ciphertext is needed (or close_notify came:
 * see eof), or a negative errno (include/ringo/tls.h's list). May leave
 * ciphertext to send (output). */
ssize_t ringo__tls_read(struct ringo__tls *t, void *buf, size_t cap);
bool ringo__tls_handshake_done(const struct ringo__tls *t);
/* Whether the peer's close_notify has come. */
bool ringo__tls_eof(const struct ringo__tls *t);
/* Encrypts n bytes (after the handshake). Returns 0 or a negative errno. */
int ringo__tls_write(struct ringo__tls *t, const void *p, size_t n);
/* Queues close_notify (once). Returns 0 or a negative errno. */
int ringo__tls_close_notify(struct ringo__tls *t);
/* The ciphertext waiting to be sent: points *p at it, returns its length;
 * output_clear drops all of it once copied. */
size_t ringo__tls_output(struct ringo__tls *t, const char **p);
void ringo__tls_output_clear(struct ringo__tls *t);
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

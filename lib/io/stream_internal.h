/* SPDX-License-Identifier: MIT */
/* Internal: what other parts of the library may do with a stream beyond
 * the public API. Never installed.
 *
 * 1. A layer between the fd and the stream's buffers (for TLS).
 *
 *    Without a layer, bytes from the fd land in the stream's input buffer
 *    and what the user writes is sent as it is. With one:
 *      - every arrival from the fd is handed to layer->input (the raw
 *        bytes, valid only during the call; n == 0 at the peer's end of
 *        stream), which decodes what it can and appends the result to the
 *        stream's input with ringo__stream_deliver (readers see only that).
 *        What it keeps (a partial record) it keeps itself.
 *      - every ringo_stream_write hands the user's bytes to layer->output,
 *        which encodes them and queues the result for the fd with
 *        ringo__stream_emit (handshake messages and alerts go the same way,
 *        at any time).
 *      - before the stream sends its last bytes and shuts its write side
 *        (write_eof, close), layer->closing may emit a last message
 *        (close_notify).
 *    None of the layer's calls may suspend; they run on the loop's stack or
 *    the caller's task. A layer's error (< 0) from input becomes the
 *    stream's read error (readers get it after what was delivered), from
 *    output the write's result. A handshake waits for peer bytes with
 *    ringo__stream_wait_input. A stream with a layer never lends ring
 *    buffers and is copied by ringo_copy through its buffers, never with
 *    splice.
 *
 * 2. Handing a stream's fd to ringo_copy (lib/io/copy.c) for a while: the
 *    copy stops the stream's own reading and sends, moves what is buffered
 *    first, then receives and sends on the fd itself.
 */
#ifndef RINGO_STREAM_INTERNAL_H
#define RINGO_STREAM_INTERNAL_H

#include <ringo.h>

struct ringo__stream_layer {
	int (*input)(void *ctx, ringo_stream *s, const char *raw, size_t n);
	int (*output)(void *ctx, ringo_stream *s, const void *buf, size_t n);
	int (*closing)(void *ctx, ringo_stream *s);   /* may be NULL */
	void (*release)(void *ctx);                   /* when s is freed; may be NULL */
};

/* Puts layer (with its ctx) between s's fd and its buffers. Only before
 * the first byte has been read or written through s (right after
 * ringo_stream_open); bytes already received go to input at once. Returns
 * 0, or -EBUSY if s has a layer or has been used, -EINVAL. Does not
 * suspend. */
int ringo__stream_set_layer(ringo_stream *s, const struct ringo__stream_layer *layer, void *ctx);
/* For layer->input: appends n decoded bytes to s's input, for readers.
 * Returns 0 or -ENOMEM. */
int ringo__stream_deliver(ringo_stream *s, const void *buf, size_t n);
/* Queues n raw bytes to be sent on s's fd, in order, and starts sending.
 * Returns 0, -EPIPE (the write side failed or was shut), -ENOMEM. */
int ringo__stream_emit(ringo_stream *s, const void *buf, size_t n);
/* Waits until layer->input has been called again (more raw bytes, or the
 * end of stream) or the stream cannot read any more. May suspend. Returns 0
 * or a negative errno (the read error, -ETIMEDOUT, -ECANCELED...). */
int ringo__stream_wait_input(ringo_stream *s);

/* ---- for ringo_copy ---- */

/* Stops s's own receiving and waits until no read of it is in flight;
 * the caller then reads s's fd itself, after taking what s->in holds
 * (ringo_stream_peek/consume). Returns 0, 1 when s can read no more (end
 * of stream, error, closing: take what is buffered, then stop), or a
 * negative errno (-EBUSY: a reader waits or another copy holds it). May
 * suspend. Undo with ringo__stream_release_read. */
int ringo__stream_hold_read(ringo_stream *s);
void ringo__stream_release_read(ringo_stream *s);
/* Waits until everything written to s has been sent, then keeps s's
 * writes for the caller, who sends on the fd itself (others' writes get
 * -EBUSY). Returns 0 or the write error. May suspend. Undo with
 * ringo__stream_release_write. */
int ringo__stream_hold_write(ringo_stream *s);
void ringo__stream_release_write(ringo_stream *s);
/* Records the end of reading (0 or error) seen by the holder on the fd. */
void ringo__stream_set_read_end(ringo_stream *s, int res);
/* Records a write error seen by the holder. */
void ringo__stream_set_write_error(ringo_stream *s, int err);
/* ringo_stream_peek and ringo_stream_fill_past for ringo_copy, whose
 * taking bytes is not the reader's looking: they leave the count of seen
 * bytes (ringo_stream_fill) alone. */
size_t ringo__stream_view(const ringo_stream *s, const void **data);
ssize_t ringo__stream_wait_past(ringo_stream *s, size_t seen);
/* Puts n bytes back in front of s's input (what a copy read from s but
 * could not deliver). Returns 0 or -ENOMEM. */
int ringo__stream_unread(ringo_stream *s, const void *buf, size_t n);
/* Queues n bytes for sending as a write would, while s is held. */
int ringo__stream_queue(ringo_stream *s, const void *buf, size_t n);
/* A byte moved on s now: its idle timeout starts over. */
void ringo__stream_touch(ringo_stream *s);
/* Whether s has a layer, is a socket; its idle timeout (0: none) and the
 * time of its last byte in or out. */
bool ringo__stream_layered(const ringo_stream *s);
bool ringo__stream_is_socket(const ringo_stream *s);
int64_t ringo__stream_idle(const ringo_stream *s, int64_t *last);

#endif

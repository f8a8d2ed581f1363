/* SPDX-License-Identifier: MIT */
/* The KV demo's store: a chained hash table of keys, and a min-heap of the
 * keys that have a deadline. One store is one shard: it knows nothing of
 * connections, loops or other stores, so a server may keep one per thread
 * and route each key to the store that owns it. It needs no loop; it does
 * not suspend. */
#ifndef DEMOS_KV_STORE_H
#define DEMOS_KV_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "str.h"

struct kv_entry {
	struct kv_entry *next; /* in its bucket */
	uint64_t hash;
	int64_t expire_ms;     /* monotonic ms (kv_now_ms); 0: never */
	size_t heap_at;        /* index in the heap while expire_ms */
	char *val;
	size_t vlen, vcap;
	size_t klen;
	char key[];
};

struct kv_store {
	struct kv_entry **buckets;
	size_t mask;           /* buckets - 1, a power of two minus one */
	size_t count;
	uint64_t seed;         /* random, against collision flooding */
	struct kv_entry **heap; /* keys with a deadline, soonest first */
	size_t nheap, heap_cap;
	/* The owner's expiry timer: when it means to wake (0: never), and what
	 * to call when a key gets a deadline sooner than that (may be NULL). */
	int64_t wake_ms;
	void (*wake)(void *arg);
	void *wake_arg;
};

/* CLOCK_MONOTONIC in milliseconds (ringo_time() / 1e6). */
int64_t kv_now_ms(void);

/* Makes an empty store (zero it first, then set wake if wanted). Returns 0
 * or -ENOMEM. Release with kv_store_free. */
int kv_store_init(struct kv_store *st);
void kv_store_free(struct kv_store *st);

/* The live entry for key, or NULL; an expired one found on the way is
 * deleted (lazy expiry). The entry is the store's, valid until the store
 * next changes. */
struct kv_entry *kv_store_get(struct kv_store *st, struct kv_str key);
/* Sets key's value (copied; the deadline is the caller's business),
 * creating the key if needed. Returns the entry, or NULL without memory. */
struct kv_entry *kv_store_set(struct kv_store *st, struct kv_str key, struct kv_str val);
/* Deletes e. */
void kv_store_unlink(struct kv_store *st, struct kv_entry *e);
/* Gives e a deadline (when_ms > 0) or takes it away (0). Returns 0 or
 * -ENOMEM. */
int kv_store_expire_at(struct kv_store *st, struct kv_entry *e, int64_t when_ms);
/* Deletes every key. */
void kv_store_flush(struct kv_store *st);
/* Deletes up to budget keys whose deadline is <= now_ms, soonest first.
 * Returns whether some are still due (the budget ran out). */
bool kv_store_expire_due(struct kv_store *st, int64_t now_ms, size_t budget);
/* The soonest deadline, or 0 if no key has one. */
int64_t kv_store_next_deadline(const struct kv_store *st);

#endif

/* SPDX-License-Identifier: MIT */
/* The KV demo's store (see store.h). */
#include "store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

int64_t kv_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t hash_key(const struct kv_store *st, const char *p, size_t n)
{
	uint64_t h = st->seed ^ (n * 0x9e3779b97f4a7c15ull);
	uint64_t w;
	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, p, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 29);
}

int kv_store_init(struct kv_store *st)
{
	if (getrandom(&st->seed, sizeof(st->seed), 0) != sizeof(st->seed))
		st->seed = (uint64_t)time(NULL);
	st->mask = 1023;
	st->buckets = calloc(st->mask + 1, sizeof(*st->buckets));
	return st->buckets ? 0 : -ENOMEM;
}

/* ---- the deadline heap ---- */

static void heap_put(struct kv_store *st, size_t i, struct kv_entry *e)
{
	st->heap[i] = e;
	e->heap_at = i;
}

static void heap_up(struct kv_store *st, size_t i)
{
	struct kv_entry *e = st->heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (st->heap[parent]->expire_ms <= e->expire_ms)
			break;
		heap_put(st, i, st->heap[parent]);
		i = parent;
	}
	heap_put(st, i, e);
}

static void heap_down(struct kv_store *st, size_t i)
{
	struct kv_entry *e = st->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= st->nheap)
			break;
		if (c + 1 < st->nheap && st->heap[c + 1]->expire_ms < st->heap[c]->expire_ms)
			c++;
		if (e->expire_ms <= st->heap[c]->expire_ms)
			break;
		heap_put(st, i, st->heap[c]);
		i = c;
	}
	heap_put(st, i, e);
}

static void heap_remove(struct kv_store *st, struct kv_entry *e)
{
	size_t i = e->heap_at;
	struct kv_entry *last = st->heap[--st->nheap];
	if (last == e)
		return;
	heap_put(st, i, last);
	heap_up(st, i);
	heap_down(st, last->heap_at);
}

int kv_store_expire_at(struct kv_store *st, struct kv_entry *e, int64_t when_ms)
{
	if (!when_ms) {
		if (e->expire_ms)
			heap_remove(st, e);
		e->expire_ms = 0;
		return 0;
	}
	if (e->expire_ms) {
		e->expire_ms = when_ms;
		heap_up(st, e->heap_at);
		heap_down(st, e->heap_at);
	} else {
		if (st->nheap == st->heap_cap) {
			size_t cap = st->heap_cap ? st->heap_cap * 2 : 64;
			struct kv_entry **heap = realloc(st->heap, cap * sizeof(*heap));
			if (!heap)
				return -ENOMEM;
			st->heap = heap;
			st->heap_cap = cap;
		}
		e->expire_ms = when_ms;
		heap_put(st, st->nheap++, e);
		heap_up(st, e->heap_at);
	}
	if (!st->wake_ms || when_ms < st->wake_ms) {
		st->wake_ms = when_ms;
		if (st->wake)
			st->wake(st->wake_arg);
	}
	return 0;
}

bool kv_store_expire_due(struct kv_store *st, int64_t now_ms, size_t budget)
{
	while (st->nheap && now_ms >= st->heap[0]->expire_ms) {
		if (budget-- == 0)
			return true;
		kv_store_unlink(st, st->heap[0]);
	}
	return false;
}

int64_t kv_store_next_deadline(const struct kv_store *st)
{
	return st->nheap ? st->heap[0]->expire_ms : 0;
}

/* ---- keys ---- */

static struct kv_entry **bucket_of(struct kv_store *st, uint64_t hash)
{
	return &st->buckets[hash & st->mask];
}

void kv_store_unlink(struct kv_store *st, struct kv_entry *e)
{
	struct kv_entry **pp = bucket_of(st, e->hash);
	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	if (e->expire_ms)
		heap_remove(st, e);
	st->count--;
	free(e->val);
	free(e);
}

struct kv_entry *kv_store_get(struct kv_store *st, struct kv_str key)
{
	uint64_t h = hash_key(st, key.p, key.n);
	for (struct kv_entry *e = *bucket_of(st, h); e; e = e->next) {
		if (e->hash != h || e->klen != key.n || memcmp(e->key, key.p, key.n))
			continue;
		if (e->expire_ms && kv_now_ms() >= e->expire_ms) {
			kv_store_unlink(st, e);
			return NULL;
		}
		return e;
	}
	return NULL;
}

static void grow(struct kv_store *st)
{
	size_t n = (st->mask + 1) * 2;
	struct kv_entry **buckets = calloc(n, sizeof(*buckets));
	if (!buckets)
		return; /* longer chains, still correct */
	for (size_t i = 0; i <= st->mask; i++) {
		struct kv_entry *e = st->buckets[i];
		while (e) {
			struct kv_entry *next = e->next;
			struct kv_entry **b = &buckets[e->hash & (n - 1)];
			e->next = *b;
			*b = e;
			e = next;
		}
	}
	free(st->buckets);
	st->buckets = buckets;
	st->mask = n - 1;
}

struct kv_entry *kv_store_set(struct kv_store *st, struct kv_str key, struct kv_str val)
{
	struct kv_entry *e = kv_store_get(st, key);
	if (!e) {
		e = malloc(sizeof(*e) + key.n);
		if (!e)
			return NULL;
		*e = (struct kv_entry){.hash = hash_key(st, key.p, key.n), .klen = key.n};
		memcpy(e->key, key.p, key.n);
		struct kv_entry **b = bucket_of(st, e->hash);
		e->next = *b;
		*b = e;
		if (++st->count > st->mask + 1)
			grow(st);
	}
	if (!e->val || val.n > e->vcap || (e->vcap > 4096 && val.n < e->vcap / 4)) {
		char *v = malloc(val.n ? val.n : 1);
		if (!v)
			return NULL;
		free(e->val);
		e->val = v;
		e->vcap = val.n;
	}
	memcpy(e->val, val.p, val.n);
	e->vlen = val.n;
	return e;
}

void kv_store_flush(struct kv_store *st)
{
	for (size_t i = 0; i <= st->mask; i++) {
		for (struct kv_entry *e = st->buckets[i], *next; e; e = next) {
			next = e->next;
			free(e->val);
			free(e);
		}
		st->buckets[i] = NULL;
	}
	st->count = 0;
	st->nheap = 0;
}

void kv_store_free(struct kv_store *st)
{
	kv_store_flush(st);
	free(st->buckets);
	free(st->heap);
	st->buckets = NULL;
	st->heap = NULL;
}

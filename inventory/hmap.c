/*
 * hmap.c: open addressing with linear probing, kept at most 70% full.
 * Nothing is ever deleted: the tables are built once and then read.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "xmalloc.h"

#define HMAP_SLOT_HASH(s)	((uint32_t)((s) >> 32))
#define HMAP_SLOT_VAL(s)	((uint32_t)(s) - 1)

/* FNV-1a, then a final mix so that the low bits (the slot) are spread. */
uint32_t
hmap_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (uint32_t)h;
}

static uint64_t
hmap_mix64(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return k;
}

static size_t
hmap_capacity(size_t expected)
{
	size_t cap = 16;

	while (cap * 7 / 10 < expected + 1)
		cap <<= 1;
	return cap;
}

void
hmap_str_init(struct hmap_str *m, size_t expected, hmap_key_fn key,
    const void *ctx)
{
	size_t cap = hmap_capacity(expected);

	m->slots = xcalloc(cap, sizeof(*m->slots));
	m->mask = cap - 1;
	m->n = 0;
	m->key = key;
	m->ctx = ctx;
}

void
hmap_str_free(struct hmap_str *m)
{
	free(m->slots);
	m->slots = NULL;
	m->n = 0;
}

static void
hmap_str_insert_slot(uint64_t *slots, size_t mask, uint64_t s)
{
	size_t i = HMAP_SLOT_HASH(s) & mask;

	while (slots[i] != 0)
		i = (i + 1) & mask;
	slots[i] = s;
}

static void
hmap_str_grow(struct hmap_str *m)
{
	size_t cap = (m->mask + 1) * 2, i;
	uint64_t *slots = xcalloc(cap, sizeof(*slots));

	for (i = 0; i <= m->mask; i++)
		if (m->slots[i] != 0)
			hmap_str_insert_slot(slots, cap - 1, m->slots[i]);
	free(m->slots);
	m->slots = slots;
	m->mask = cap - 1;
}

int
hmap_str_put(struct hmap_str *m, const char *key, uint32_t value,
    uint32_t *old)
{
	size_t cursor = 0;
	uint32_t v;

	if (hmap_str_next(m, key, &cursor, &v)) {
		if (old != NULL)
			*old = v;
		return 1;
	}
	hmap_str_add(m, key, value);
	return 0;
}

void
hmap_str_add(struct hmap_str *m, const char *key, uint32_t value)
{
	if ((m->n + 1) * 10 > (m->mask + 1) * 7)
		hmap_str_grow(m);
	hmap_str_insert_slot(m->slots, m->mask,
	    (uint64_t)hmap_hash(key) << 32 | (uint64_t)(value + 1));
	m->n++;
}

int
hmap_str_next(const struct hmap_str *m, const char *key, size_t *cursor,
    uint32_t *value)
{
	uint32_t h = hmap_hash(key);
	size_t i;
	uint64_t s;

	/* The cursor counts probes from the key's home slot. */
	for (;;) {
		i = (h + *cursor) & m->mask;
		s = m->slots[i];
		if (s == 0)
			return 0;
		(*cursor)++;
		if (HMAP_SLOT_HASH(s) == h &&
		    strcmp(m->key(m->ctx, HMAP_SLOT_VAL(s)), key) == 0) {
			*value = HMAP_SLOT_VAL(s);
			return 1;
		}
	}
}

int
hmap_str_get(const struct hmap_str *m, const char *key, uint32_t *value)
{
	size_t cursor = 0;

	return hmap_str_next(m, key, &cursor, value);
}

size_t
hmap_str_bytes(const struct hmap_str *m)
{
	return (m->mask + 1) * sizeof(*m->slots);
}

void
hmap_u64_init(struct hmap_u64 *m, size_t expected)
{
	size_t cap = hmap_capacity(expected);

	m->keys = xcalloc(cap, sizeof(*m->keys));
	m->vals = xcalloc(cap, sizeof(*m->vals));
	m->mask = cap - 1;
	m->n = 0;
}

void
hmap_u64_free(struct hmap_u64 *m)
{
	free(m->keys);
	free(m->vals);
	m->keys = NULL;
	m->vals = NULL;
	m->n = 0;
}

static void
hmap_u64_grow(struct hmap_u64 *m)
{
	struct hmap_u64 g;
	size_t i, j;

	g.mask = (m->mask + 1) * 2 - 1;
	g.keys = xcalloc(g.mask + 1, sizeof(*g.keys));
	g.vals = xcalloc(g.mask + 1, sizeof(*g.vals));
	g.n = m->n;
	for (i = 0; i <= m->mask; i++) {
		if (m->vals[i] == 0)
			continue;
		j = hmap_mix64(m->keys[i]) & g.mask;
		while (g.vals[j] != 0)
			j = (j + 1) & g.mask;
		g.keys[j] = m->keys[i];
		g.vals[j] = m->vals[i];
	}
	hmap_u64_free(m);
	*m = g;
}

int
hmap_u64_put(struct hmap_u64 *m, uint64_t key, uint32_t value, uint32_t *old)
{
	size_t i;

	if ((m->n + 1) * 10 > (m->mask + 1) * 7)
		hmap_u64_grow(m);
	for (i = hmap_mix64(key) & m->mask; m->vals[i] != 0;
	    i = (i + 1) & m->mask) {
		if (m->keys[i] == key) {
			if (old != NULL)
				*old = m->vals[i] - 1;
			return 1;
		}
	}
	m->keys[i] = key;
	m->vals[i] = value + 1;
	m->n++;
	return 0;
}

int
hmap_u64_get(const struct hmap_u64 *m, uint64_t key, uint32_t *value)
{
	size_t i;

	for (i = hmap_mix64(key) & m->mask; m->vals[i] != 0;
	    i = (i + 1) & m->mask) {
		if (m->keys[i] == key) {
			*value = m->vals[i] - 1;
			return 1;
		}
	}
	return 0;
}

size_t
hmap_u64_bytes(const struct hmap_u64 *m)
{
	return (m->mask + 1) * (sizeof(*m->keys) + sizeof(*m->vals));
}

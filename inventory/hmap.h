/*
 * hmap.h: two small open-addressing hash maps for large, read-mostly
 * tables (the inventory index and the import's duplicate checks).
 *
 * hmap_str maps strings to 32-bit values but does not store the strings:
 * a slot is 8 bytes (hash and value), and the caller's key function gives
 * back the string of a stored value. That keeps a million-account index
 * small. It can also hold several values per key (phone numbers).
 * hmap_u64 maps 64-bit keys to 32-bit values.
 * It lives in inventory/ with its two users, but depends on nothing there.
 */
#ifndef HERALD_HMAP_H
#define HERALD_HMAP_H

#include <stddef.h>
#include <stdint.h>

/* The key of a stored value. */
typedef const char *(*hmap_key_fn)(const void *ctx, uint32_t value);

struct hmap_str {
	uint64_t	*slots;		/* hash << 32 | (value + 1); 0 = empty */
	size_t		 mask;
	size_t		 n;
	hmap_key_fn	 key;
	const void	*ctx;
};

struct hmap_u64 {
	uint64_t	*keys;
	uint32_t	*vals;		/* value + 1; 0 = empty */
	size_t		 mask;
	size_t		 n;
};

void	hmap_str_init(struct hmap_str *, size_t expected, hmap_key_fn,
	    const void *ctx);
void	hmap_str_free(struct hmap_str *);
/* Insert; when the key is there already, return 1 and its value in *old. */
int	hmap_str_put(struct hmap_str *, const char *key, uint32_t value,
	    uint32_t *old);
/* Insert even if the key is there (a multimap). */
void	hmap_str_add(struct hmap_str *, const char *key, uint32_t value);
/* 1 and the value when found. */
int	hmap_str_get(const struct hmap_str *, const char *key, uint32_t *value);
/*
 * Every value of a key: start with *cursor = 0; returns 0 at the end.
 */
int	hmap_str_next(const struct hmap_str *, const char *key,
	    size_t *cursor, uint32_t *value);
size_t	hmap_str_bytes(const struct hmap_str *);

void	hmap_u64_init(struct hmap_u64 *, size_t expected);
void	hmap_u64_free(struct hmap_u64 *);
int	hmap_u64_put(struct hmap_u64 *, uint64_t key, uint32_t value,
	    uint32_t *old);
int	hmap_u64_get(const struct hmap_u64 *, uint64_t key, uint32_t *value);
size_t	hmap_u64_bytes(const struct hmap_u64 *);

uint32_t hmap_hash(const char *);

#endif

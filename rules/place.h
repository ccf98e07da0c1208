/*
 * place.h: a place in the network as the rules engine sees it (private to
 * the engine): a scope of the topology, its key, and which places hold
 * which.
 */
#ifndef HERALD_PLACE_H
#define HERALD_PLACE_H

#include "engine.h"

struct place {
	enum inventory_scope_kind kind;
	int64_t		 device_id;
	int		 frame, slot, port, onu;
	long long	 line;
	char		 splitter[64];	/* splitter and ONU places, or "" */
};

/* "7", "7:b0/1", "7:p0/1/3", "7:s0/1/3/SPL-A", "7:o0/1/3/12", "7:l0/1/3". */
void	place_key(const struct place *, char *buf, size_t len);
/* Does a hold b (or is it b)? */
int	place_contains(const struct place *a, const struct place *b);
/* The place one level up (splitter or port for an ONU); -1 for a device. */
int	place_parent(const struct place *, struct place *up);
/* The place at a given level above or at p (its port, its board ...). */
void	place_at(const struct place *, enum inventory_scope_kind,
	    struct place *out);
/* As an inventory scope, to look up (splitter points into p). */
void	place_scope(const struct place *, struct inventory_scope *);
void	place_from_scope(struct place *, const struct inventory_scope *,
	    long long line);
/* "0/1/3", "0/1/3 ONU 12", "0/1/3 splitter SPL-A", "" for a device. */
void	place_where(const struct place *, char *buf, size_t len);

#endif

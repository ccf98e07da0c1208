/*
 * place.c: places in the network, their keys and how they nest.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "place.h"

void
place_key(const struct place *p, char *buf, size_t len)
{
	long long d = (long long)p->device_id;

	switch (p->kind) {
	case INVENTORY_DEVICE:
		snprintf(buf, len, "%lld", d);
		break;
	case INVENTORY_BOARD:
		snprintf(buf, len, "%lld:b%d/%d", d, p->frame, p->slot);
		break;
	case INVENTORY_PORT:
		snprintf(buf, len, "%lld:p%d/%d/%d", d, p->frame, p->slot,
		    p->port);
		break;
	case INVENTORY_SPLITTER:
		snprintf(buf, len, "%lld:s%d/%d/%d/%s", d, p->frame, p->slot,
		    p->port, p->splitter);
		break;
	case INVENTORY_ONU:
		snprintf(buf, len, "%lld:o%d/%d/%d/%d", d, p->frame, p->slot,
		    p->port, p->onu);
		break;
	case INVENTORY_LINE:
		if (p->port < 0 && p->line >= 0)
			snprintf(buf, len, "%lld:l=%lld", d, p->line);
		else
			snprintf(buf, len, "%lld:l%d/%d/%d", d, p->frame,
			    p->slot, p->port);
		break;
	}
}

/* How deep a kind sits; splitters sit between ports and ONUs. */
static int
place_depth(enum inventory_scope_kind k)
{
	switch (k) {
	case INVENTORY_DEVICE:
		return 0;
	case INVENTORY_BOARD:
		return 1;
	case INVENTORY_PORT:
		return 2;
	case INVENTORY_SPLITTER:
		return 3;
	default:
		return 4;
	}
}

int
place_contains(const struct place *a, const struct place *b)
{
	if (a->device_id != b->device_id ||
	    place_depth(a->kind) > place_depth(b->kind))
		return 0;
	switch (a->kind) {
	case INVENTORY_DEVICE:
		return 1;
	case INVENTORY_BOARD:
		return a->frame == b->frame && a->slot == b->slot;
	case INVENTORY_PORT:
		return a->frame == b->frame && a->slot == b->slot &&
		    a->port == b->port;
	case INVENTORY_SPLITTER:
		return a->frame == b->frame && a->slot == b->slot &&
		    a->port == b->port && b->kind != INVENTORY_LINE &&
		    strcmp(a->splitter, b->splitter) == 0;
	case INVENTORY_ONU:
		return b->kind == INVENTORY_ONU && a->frame == b->frame &&
		    a->slot == b->slot && a->port == b->port &&
		    a->onu == b->onu;
	case INVENTORY_LINE:
		return b->kind == INVENTORY_LINE && a->frame == b->frame &&
		    a->slot == b->slot && a->port == b->port &&
		    a->line == b->line;
	}
	return 0;
}

void
place_at(const struct place *p, enum inventory_scope_kind k,
    struct place *out)
{
	*out = *p;
	out->kind = k;
	if (k != INVENTORY_ONU)
		out->onu = -1;
	if (k != INVENTORY_LINE)
		out->line = -1;
	if (k == INVENTORY_DEVICE || k == INVENTORY_BOARD ||
	    k == INVENTORY_PORT)
		out->splitter[0] = '\0';
	if (k == INVENTORY_DEVICE || k == INVENTORY_BOARD)
		out->port = -1;
	if (k == INVENTORY_DEVICE)
		out->frame = out->slot = -1;
}

int
place_parent(const struct place *p, struct place *up)
{
	switch (p->kind) {
	case INVENTORY_DEVICE:
		return -1;
	case INVENTORY_BOARD:
		place_at(p, INVENTORY_DEVICE, up);
		return 0;
	case INVENTORY_PORT:
		place_at(p, INVENTORY_BOARD, up);
		return 0;
	case INVENTORY_SPLITTER:
	case INVENTORY_LINE:
		place_at(p, INVENTORY_PORT, up);
		return 0;
	case INVENTORY_ONU:
		place_at(p, p->splitter[0] ? INVENTORY_SPLITTER :
		    INVENTORY_PORT, up);
		return 0;
	}
	return -1;
}

void
place_scope(const struct place *p, struct inventory_scope *s)
{
	memset(s, 0, sizeof(*s));
	s->kind = p->kind;
	s->device_id = p->device_id;
	s->frame = p->frame;
	s->slot = p->slot;
	s->port = p->port;
	s->onu = p->onu;
	s->splitter = p->splitter[0] ? p->splitter : NULL;
}

void
place_from_scope(struct place *p, const struct inventory_scope *s,
    long long line)
{
	memset(p, 0, sizeof(*p));
	p->kind = s->kind;
	p->device_id = s->device_id;
	p->frame = s->frame;
	p->slot = s->slot;
	p->port = s->port;
	p->onu = s->onu;
	p->line = line;
	if (s->splitter != NULL)
		snprintf(p->splitter, sizeof(p->splitter), "%s", s->splitter);
}

void
place_where(const struct place *p, char *buf, size_t len)
{
	switch (p->kind) {
	case INVENTORY_DEVICE:
		snprintf(buf, len, "%s", "");
		break;
	case INVENTORY_BOARD:
		snprintf(buf, len, " board %d/%d", p->frame, p->slot);
		break;
	case INVENTORY_PORT:
		snprintf(buf, len, " %d/%d/%d", p->frame, p->slot, p->port);
		break;
	case INVENTORY_SPLITTER:
		snprintf(buf, len, " %d/%d/%d splitter %s", p->frame, p->slot,
		    p->port, p->splitter);
		break;
	case INVENTORY_ONU:
		snprintf(buf, len, " %d/%d/%d ONU %d", p->frame, p->slot,
		    p->port, p->onu);
		break;
	case INVENTORY_LINE:
		if (p->port < 0)
			snprintf(buf, len, " line %lld", p->line);
		else
			snprintf(buf, len, " line %d/%d/%d", p->frame,
			    p->slot, p->port);
		break;
	}
}

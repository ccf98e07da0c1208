/*
 * notify.h: the notifier (notify.c, notify_gw.c): drains the outbox that
 * the database fills (schema/070_notify.sql) through the SMS gateways, and
 * what other modules may ask of it.
 */
#ifndef HERALD_NOTIFY_H
#define HERALD_NOTIFY_H

#include <stdint.h>
#include <jansson.h>

struct herald;

/*
 * What herald sent a subscriber lately (kind, state, incident, times), as
 * a JSON array for the customer-service lookup; empty when nothing.
 */
json_t	*notify_lookup(struct herald *, int64_t subscriber_id);

/* A delivery report was stored (notify_dlr()'s answer): remember it. */
void	 notify_dlr_seen(struct herald *, const json_t *row);

#endif

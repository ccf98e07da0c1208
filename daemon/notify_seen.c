/*
 * notify_seen.c: what herald sent each subscriber lately, in memory, so
 * the customer-service lookup shows it without a query: the notifier
 * records each send and each delivery report, and reads the last day's
 * back at start. A few entries per subscriber (one per incident and
 * kind), kept in a jansson object keyed by the subscriber's id.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify_private.h"
#include "xmalloc.h"

#define SEEN_PER_SUBSCRIBER	6

struct notify_seen {
	json_t	*by_subscriber;		/* "id" -> [ {kind, state, ...} ] */
};

struct notify_seen *
seen_new(void)
{
	struct notify_seen *s = xcalloc(1, sizeof(*s));

	s->by_subscriber = json_object();
	return s;
}

void
seen_free(struct notify_seen *s)
{
	if (s == NULL)
		return;
	json_decref(s->by_subscriber);
	free(s);
}

/* Equal, where two absent keys are equal too (json_equal says no). */
static int
seen_eq(const json_t *a, const json_t *b, const char *key)
{
	const json_t *x = json_object_get(a, key), *y = json_object_get(b, key);

	if (x == NULL || json_is_null(x))
		return y == NULL || json_is_null(y);
	return json_equal(x, y);
}

static int
seen_same(const json_t *a, const json_t *b)
{
	return seen_eq(a, b, "incident_id") && seen_eq(a, b, "kind") &&
	    seen_eq(a, b, "seq");
}

/*
 * A row: {subscriber_id, incident_id, kind, state, [seq, created_at,
 * sent_at, delivered_at]}; the fields given replace the known ones.
 */
void
seen_put(struct notify_seen *s, const json_t *row)
{
	json_int_t sub = json_integer_value(json_object_get(row,
	    "subscriber_id"));
	json_t *list, *e, *entry;
	const char *k;
	json_t *v;
	char key[32];
	size_t i;

	if (sub <= 0 || !json_is_string(json_object_get(row, "kind")))
		return;
	snprintf(key, sizeof(key), "%lld", (long long)sub);
	if ((list = json_object_get(s->by_subscriber, key)) == NULL) {
		list = json_array();
		json_object_set_new(s->by_subscriber, key, list);
	}
	entry = NULL;
	json_array_foreach(list, i, e)
		if (seen_same(e, row))
			entry = e;
	if (entry == NULL) {
		entry = json_object();
		json_array_append_new(list, entry);
		if (json_array_size(list) > SEEN_PER_SUBSCRIBER)
			json_array_remove(list, 0);
	}
	json_object_foreach((json_t *)row, k, v)
		if (strcmp(k, "subscriber_id") != 0 && !json_is_null(v))
			json_object_set(entry, k, v);
}

json_t *
seen_get(const struct notify_seen *s, int64_t subscriber)
{
	char key[32];
	json_t *list;

	snprintf(key, sizeof(key), "%lld", (long long)subscriber);
	list = json_object_get(s->by_subscriber, key);
	return list != NULL ? json_deep_copy(list) : json_array();
}

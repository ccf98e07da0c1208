/*
 * api_lookup.c: GET /api/v1/lookup?account=|phone=|onu_serial= — what a
 * customer-service agent needs while a subscriber is on the line: the
 * account and its place in the network, whether an outage covers it, the
 * incident's cause, since when, its ticket and ETA, and what herald sent.
 *
 * Answered from memory, with no query: the account and its place from the
 * inventory index, the incidents from the rules engine (whose accounts are
 * sorted ids: a binary search each), the incidents' database ids and
 * tickets from the API's cache (api_cache.c). It takes microseconds, so a
 * call centre at full tilt never waits on PostgreSQL, and it answers while
 * the database is away.
 *
 * In a cluster each engine holds only its own devices' incidents; the
 * others' come from api_remote.c, the database's copy kept current by
 * NOTIFY, so that every instance answers the same.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api_private.h"
#include "engine.h"
#include "herald.h"
#include "inventory.h"
#include "notify.h"
#include "rules.h"
#include "rules_json.h"
#include "xmalloc.h"

#define LOOKUP_MAX_ACCOUNTS	64	/* accounts of one phone or ONU */
struct lookup_open {
	const struct incident	**inc;
	int64_t			 *ids;		/* incidents.id; 0: by uid */
	size_t			  n, cap;
	size_t			  nlocal;	/* the engine's, first */
};

static void
lookup_add(struct lookup_open *o, const struct incident *inc, int64_t id)
{
	if (o->n == o->cap) {
		o->cap = o->cap ? 2 * o->cap : 64;
		o->inc = xreallocarray(o->inc, o->cap, sizeof(*o->inc));
		o->ids = xreallocarray(o->ids, o->cap, sizeof(*o->ids));
	}
	o->ids[o->n] = id;
	o->inc[o->n++] = inc;
}

static void
lookup_collect_cb(const struct incident *inc, void *arg)
{
	struct lookup_open *o = arg;

	if (inc->state != INCIDENT_SUSPECTED && inc->state != INCIDENT_CONFIRMED)
		return;
	lookup_add(o, inc, 0);
}

static void
lookup_remote_cb(const struct incident *inc, int64_t id, void *arg)
{
	lookup_add(arg, inc, id);
}

static int
lookup_has(const struct incident *inc, int64_t id)
{
	size_t lo = 0, hi = inc->naccounts;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (inc->accounts[mid] == id)
			return 1;
		if (inc->accounts[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/*
 * Another instance's incident i that the engine has too (a device gained
 * a moment ago, or the same row under an alias uid): shown once. Asked
 * only of the incidents that cover the account, so it costs little.
 */
static int
lookup_dup(struct api *a, const struct lookup_open *o, size_t i,
    int64_t account)
{
	const struct api_incident_ref *ref;
	size_t j;

	if (i < o->nlocal)
		return 0;
	for (j = 0; j < o->nlocal; j++) {
		if (!lookup_has(o->inc[j], account))
			continue;
		if (strcmp(o->inc[j]->uid, o->inc[i]->uid) == 0)
			return 1;
		ref = api_cache_incident(a->cache, o->inc[j]->uid);
		if (ref != NULL && ref->incident_id == o->ids[i])
			return 1;
	}
	return 0;
}

static json_t *
lookup_ticket(const struct api_incident_ref *ref)
{
	if (ref == NULL || ref->ticket_id == 0)
		return json_null();
	return json_pack("{s:I, s:s, s:o}", "id", (json_int_t)ref->ticket_id,
	    "state", ref->ticket_state, "eta", ref->eta[0] ?
	    json_string(ref->eta) : json_null());
}

static json_t *
lookup_incident(struct api *a, const struct incident *inc, int64_t id)
{
	const struct api_incident_ref *ref = api_cache_incident(a->cache,
	    inc->uid);

	if (id == 0 && ref != NULL)
		id = ref->incident_id;
	return json_pack("{s:o, s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:o, "
	    "s:o, s:I, s:o, s:o}",
	    "id", id ? json_integer(id) : json_null(), "uid", inc->uid, "state",
	    incident_state_name(inc->state), "cause",
	    incident_cause_name(inc->cause), "title", inc->title, "scope",
	    rules_scope_name(inc->scope.kind), "planned", inc->planned,
	    "individual", inc->individual, "since", rules_time_json(inc->opened_at),
	    "confirmed_at", rules_time_json(inc->confirmed_at),
	    "affected_accounts", (json_int_t)inc->naccounts, "eta",
	    ref && ref->eta[0] ? json_string(ref->eta) : json_null(),
	    "ticket", lookup_ticket(ref));
}

/* The account's ONU or DSL line, with what is above it. */
static json_t *
lookup_place(const struct inventory_index *x,
    const struct inventory_account *acc)
{
	struct inventory_scope s;
	int onu = inventory_scope_of(x, acc, INVENTORY_ONU, &s) == 0;

	if (!onu && inventory_scope_of(x, acc, INVENTORY_LINE, &s) != 0)
		return json_null();
	return json_pack("{s:s, s:s, s:I, s:i, s:i, s:i, s:o, s:o, s:o}",
	    "kind", onu ? "onu" : "line", "device", s.device ? s.device : "",
	    "device_id", (json_int_t)s.device_id, "frame", s.frame, "slot",
	    s.slot, "port", s.port, "splitter", s.splitter ?
	    json_string(s.splitter) : json_null(), "onu", onu ?
	    json_integer(s.onu) : json_null(), "serial", onu && s.serial ?
	    json_string(s.serial) : json_null());
}

static json_t *
lookup_account(struct api *a, const struct inventory_index *x,
    const struct inventory_account *acc, const struct lookup_open *o)
{
	json_t *phones = json_array(), *incs = json_array();
	const char *p;
	size_t i;

	INVENTORY_FOREACH_PHONE(p, acc)
		json_array_append_new(phones, json_string(p));
	for (i = 0; i < o->n; i++)
		if (lookup_has(o->inc[i], acc->id) &&
		    !lookup_dup(a, o, i, acc->id))
			json_array_append_new(incs, lookup_incident(a,
			    o->inc[i], o->ids[i]));
	/* What herald sent this subscriber, as the notifier remembers it. */
	return json_pack("{s:I, s:s, s:o, s:s, s:b, s:o, s:b, s:o, s:o}",
	    "subscriber_id", (json_int_t)acc->id, "account", acc->account,
	    "phones", phones, "language", acc->language ? "en" : "zh",
	    "sms_opt_out", acc->sms_opt_out, "place", lookup_place(x, acc),
	    "in_outage", json_array_size(incs) > 0, "incidents", incs,
	    "notifications", notify_lookup(api_herald(a), acc->id));
}

/* The accounts the query names; *n of them into out, or -1 (bad query). */
static int
lookup_find(const struct inventory_index *x, json_t *args,
    const struct inventory_account **out, size_t *n, const char **err)
{
	const char *acc = json_string_value(json_object_get(args, "account"));
	const char *phone = json_string_value(json_object_get(args, "phone"));
	const char *serial = json_string_value(json_object_get(args,
	    "onu_serial"));
	struct inventory_scope s;
	const struct inventory_account *slice;
	size_t i;

	*n = 0;
	if ((acc != NULL) + (phone != NULL) + (serial != NULL) != 1 ||
	    json_object_size(args) != 1) {
		*err = "give exactly one of account, phone, onu_serial";
		return -1;
	}
	if (acc != NULL) {
		if ((out[0] = inventory_by_account(x, acc)) != NULL)
			*n = 1;
	} else if (phone != NULL) {
		*n = inventory_by_phone(x, phone, out, LOOKUP_MAX_ACCOUNTS);
	} else if (inventory_by_serial(x, serial, &s) == 0) {
		slice = inventory_accounts(x, &s, n);
		if (*n > LOOKUP_MAX_ACCOUNTS)
			*n = LOOKUP_MAX_ACCOUNTS;
		for (i = 0; i < *n; i++)
			out[i] = &slice[i];
	}
	return 0;
}

void
api_lookup(struct api_call *c)
{
	struct herald *h = api_herald(c->a);
	const struct inventory_index *x = inventory_current(h->inventory);
	const struct inventory_account *found[LOOKUP_MAX_ACCOUNTS];
	struct lookup_open open = { NULL, NULL, 0, 0, 0 };
	const char *err;
	json_t *accounts, *query;
	size_t n, i;

	if (x == NULL) {
		api_call_error(c, 503, "unavailable", "the inventory is not "
		    "loaded yet");
		return;
	}
	if (lookup_find(x, c->args, found, &n, &err) != 0) {
		api_call_error(c, 400, "bad request", err);
		return;
	}
	if (n == 0) {
		api_call_error(c, 404, "not found", "no account matches");
		return;
	}
	rules_foreach_incident(h, lookup_collect_cb, &open);
	open.nlocal = open.n;
	api_remote_foreach(c->a->remote, lookup_remote_cb, &open);
	accounts = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(accounts, lookup_account(c->a, x,
		    found[i], &open));
	free(open.inc);
	free(open.ids);
	query = json_incref(c->args);
	api_call_json(c, 200, json_pack("{s:o, s:o}", "query", query,
	    "accounts", accounts));
}

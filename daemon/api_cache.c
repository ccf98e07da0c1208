/*
 * api_cache.c: what the API keeps in memory from the database, so that a
 * request is not a query:
 *
 *   tokens     the active rows of api_tokens (SHA-256, role, name), read
 *              at start, after a reconnect and on NOTIFY api_tokens_changed;
 *   refs       for the rules engine's open incidents (by uid): the id the
 *              database gave it and its ticket's id, state and ETA, from
 *              NOTIFY api_refs as they change and read whole now and then
 *              (schema/061_api_cache.sql);
 *   gauges     open alarms, incidents, tickets and queued messages, read
 *              every api.gauge_interval seconds (10) for /metrics; the refs
 *              are read whole every sixth time.
 *
 * All of it on the API's own connection.
 */
#include "config.h"

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api_private.h"
#include "conf.h"
#include "herald.h"
#include "hmap.h"
#include "log.h"
#include "store.h"
#include "xmalloc.h"

#define API_REFS_EVERY		6	/* gauge periods: read refs whole */

struct api_token {
	char		 sha256[65];
	unsigned	 role;
	char		*name;
	char		*raw;		/* the token last seen, to skip hashing */
};

struct api_ref {
	char			 uid[160];
	struct api_incident_ref	 ref;
};

struct api_cache {
	struct api		*a;
	struct store		*db;
	struct api_token	*tokens;
	size_t			 ntokens;
	int			 tokens_ready;
	int			 tokens_inflight, refs_inflight, gauges_inflight;
	struct api_ref		*refs;
	size_t			 nrefs, refs_cap;
	struct hmap_str		 by_uid;
	json_t			*gauges;
	struct event		*timer;
	unsigned		 ticks;
};

static const char api_tokens_sql[] =
	"SELECT token_sha256, role, name FROM api_tokens "
	"WHERE revoked_at IS NULL";
static const char api_refs_sql[] = "SELECT api_incident_refs()";
static const char api_gauges_sql[] = "SELECT api_gauges()";

/* Tokens ------------------------------------------------------------------- */

static void
api_tokens_clear(struct api_cache *k)
{
	size_t i;

	for (i = 0; i < k->ntokens; i++) {
		free(k->tokens[i].name);
		free(k->tokens[i].raw);
	}
	free(k->tokens);
	k->tokens = NULL;
	k->ntokens = 0;
}

static void
api_tokens_done_cb(struct store *st, PGresult *res, void *arg)
{
	struct api_cache *k = arg;
	int i, n;

	k->tokens_inflight = 0;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_warnx("api: cannot read api_tokens: %s (is the schema "
		    "migrated?)", res ? store_errmsg(res) : "no answer");
		return;
	}
	api_tokens_clear(k);
	n = PQntuples(res);
	k->tokens = xcalloc((size_t)n + 1, sizeof(*k->tokens));
	for (i = 0; i < n; i++) {
		struct api_token *t = &k->tokens[k->ntokens];

		snprintf(t->sha256, sizeof(t->sha256), "%s",
		    PQgetvalue(res, i, 0));
		if ((t->role = api_role_parse(PQgetvalue(res, i, 1))) == 0)
			continue;
		t->name = xstrdup(PQgetvalue(res, i, 2));
		k->ntokens++;
	}
	if (!k->tokens_ready)
		log_info("api: %zu active tokens", k->ntokens);
	k->tokens_ready = 1;
}

static void
api_tokens_read(struct api_cache *k)
{
	if (k->tokens_inflight || store_state(k->db) != STORE_UP)
		return;
	if (store_query(k->db, api_tokens_sql, 0, NULL, api_tokens_done_cb,
	    k) == 0)
		k->tokens_inflight = 1;
}

/*
 * A token's role: hashed and compared with the stored SHA-256s; a token
 * seen before is recognised without hashing (most requests come from a
 * few clients), compared in constant time.
 */
unsigned
api_cache_token(struct api_cache *k, const char *token, const char **name)
{
	static const char hexdig[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	size_t j, len = strlen(token);
	char hex[65];

	for (j = 0; j < k->ntokens; j++) {
		const char *raw = k->tokens[j].raw;

		if (raw != NULL && strlen(raw) == len &&
		    CRYPTO_memcmp(raw, token, len) == 0) {
			*name = k->tokens[j].name;
			return k->tokens[j].role;
		}
	}
	if (len > 256 || !EVP_Digest(token, len, md, &mdlen, EVP_sha256(),
	    NULL) || mdlen != 32)
		return 0;
	for (i = 0; i < mdlen; i++) {
		hex[2 * i] = hexdig[md[i] >> 4];
		hex[2 * i + 1] = hexdig[md[i] & 0xf];
	}
	hex[64] = '\0';
	for (j = 0; j < k->ntokens; j++) {
		if (strcmp(k->tokens[j].sha256, hex) == 0) {
			free(k->tokens[j].raw);
			k->tokens[j].raw = xstrdup(token);
			*name = k->tokens[j].name;
			return k->tokens[j].role;
		}
	}
	return 0;
}

int
api_cache_ready(const struct api_cache *k)
{
	return k->tokens_ready;
}

size_t
api_cache_tokens(const struct api_cache *k)
{
	return k->ntokens;
}

/* Incident refs ----------------------------------------------------------- */

static const char *
api_ref_key(const void *ctx, uint32_t i)
{
	const struct api_cache *k = ctx;

	return k->refs[i].uid;
}

static void
api_refs_reset(struct api_cache *k, size_t expected)
{
	hmap_str_free(&k->by_uid);
	hmap_str_init(&k->by_uid, expected + 64, api_ref_key, k);
	k->nrefs = 0;
}

/* One ref from its JSON (api_incident_ref()): added or updated. */
static void
api_ref_put(struct api_cache *k, const json_t *j)
{
	const char *uid = json_string_value(json_object_get(j, "uid"));
	const char *state = json_string_value(json_object_get(j,
	    "ticket_state"));
	const char *eta = json_string_value(json_object_get(j, "eta"));
	struct api_ref *r;
	uint32_t i;

	if (uid == NULL || strlen(uid) >= sizeof(r->uid))
		return;
	if (!hmap_str_get(&k->by_uid, uid, &i)) {
		if (k->nrefs == k->refs_cap) {
			k->refs_cap = k->refs_cap ? 2 * k->refs_cap : 256;
			k->refs = xreallocarray(k->refs, k->refs_cap,
			    sizeof(*k->refs));
		}
		i = (uint32_t)k->nrefs++;
		memset(&k->refs[i], 0, sizeof(k->refs[i]));
		snprintf(k->refs[i].uid, sizeof(k->refs[i].uid), "%s", uid);
		hmap_str_put(&k->by_uid, uid, i, NULL);
	}
	r = &k->refs[i];
	r->ref.incident_id = json_integer_value(json_object_get(j, "id"));
	r->ref.ticket_id = json_integer_value(json_object_get(j, "ticket_id"));
	snprintf(r->ref.ticket_state, sizeof(r->ref.ticket_state), "%s",
	    state ? state : "");
	snprintf(r->ref.eta, sizeof(r->ref.eta), "%s", eta ? eta : "");
}

const struct api_incident_ref *
api_cache_incident(struct api_cache *k, const char *uid)
{
	uint32_t i;

	return hmap_str_get(&k->by_uid, uid, &i) ? &k->refs[i].ref : NULL;
}

static void
api_refs_done_cb(struct store *st, PGresult *res, void *arg)
{
	struct api_cache *k = arg;
	json_t *doc, *j;
	size_t i;

	k->refs_inflight = 0;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_warnx("api: cannot read the incidents' ids: %s",
		    res ? store_errmsg(res) : "no answer");
		return;
	}
	if ((doc = json_loads(PQgetvalue(res, 0, 0), 0, NULL)) == NULL)
		return;
	api_refs_reset(k, json_array_size(doc));
	json_array_foreach(doc, i, j)
		api_ref_put(k, j);
	json_decref(doc);
}

static void
api_refs_read(struct api_cache *k)
{
	if (k->refs_inflight || store_state(k->db) != STORE_UP)
		return;
	if (store_query(k->db, api_refs_sql, 0, NULL, api_refs_done_cb,
	    k) == 0)
		k->refs_inflight = 1;
}

/* Gauges, notifications, timers ---------------------------------------- */

static void
api_gauges_done_cb(struct store *st, PGresult *res, void *arg)
{
	struct api_cache *k = arg;
	json_t *doc;

	k->gauges_inflight = 0;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK)
		return;
	if ((doc = json_loads(PQgetvalue(res, 0, 0), 0, NULL)) != NULL) {
		json_decref(k->gauges);
		k->gauges = doc;
	}
}

static void
api_gauges_read(struct api_cache *k)
{
	if (k->gauges_inflight || store_state(k->db) != STORE_UP)
		return;
	if (store_query(k->db, api_gauges_sql, 0, NULL, api_gauges_done_cb,
	    k) == 0)
		k->gauges_inflight = 1;
}

const json_t *
api_cache_gauges(const struct api_cache *k)
{
	return k->gauges;
}

static void
api_cache_notify_cb(struct store *st, const char *channel,
    const char *payload, void *arg)
{
	struct api_cache *k = arg;
	json_t *j;

	if (strcmp(channel, "api_tokens_changed") == 0) {
		api_tokens_read(k);
		return;
	}
	if (strcmp(channel, "maintenance_changed") == 0) {
		api_push(api_herald(k->a), "maintenance");
		return;
	}
	api_push(api_herald(k->a), "tickets");
	if ((j = json_loads(payload, 0, NULL)) != NULL) {
		api_ref_put(k, j);
		json_decref(j);
	}
}

/* Connected (again): whatever was missed meanwhile is read whole. */
static void
api_cache_state_cb(struct store *st, enum store_state s, void *arg)
{
	struct api_cache *k = arg;

	const char *tz = api_herald(k->a)->conf->timezone;

	if (s != STORE_UP)
		return;
	/* The API's times in the operator's zone: "...T08:00:00+08:00". */
	store_query(k->db, "SELECT set_config('TimeZone', $1, false)", 1, &tz,
	    NULL, NULL);
	api_tokens_read(k);
	api_refs_read(k);
	api_gauges_read(k);
}

static void
api_cache_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct api_cache *k = arg;

	k->ticks++;
	if (!k->tokens_ready)
		api_tokens_read(k);
	if (k->ticks % API_REFS_EVERY == 0)
		api_refs_read(k);
	api_gauges_read(k);
}

struct api_cache *
api_cache_new(struct api *a)
{
	struct api_cache *k = xcalloc(1, sizeof(*k));
	struct timeval tv = { a->gauge_interval, 0 };

	k->a = a;
	k->db = api_db(a);
	hmap_str_init(&k->by_uid, 64, api_ref_key, k);
	store_listen(k->db, "api_tokens_changed", api_cache_notify_cb, k);
	store_listen(k->db, "api_refs", api_cache_notify_cb, k);
	store_listen(k->db, "maintenance_changed", api_cache_notify_cb, k);
	store_watch(k->db, api_cache_state_cb, k);
	k->timer = event_new(api_herald(a)->base, -1, EV_PERSIST,
	    api_cache_timer_cb, k);
	event_add(k->timer, &tv);
	return k;
}

void
api_cache_free(struct api_cache *k)
{
	if (k == NULL)
		return;
	event_free(k->timer);
	api_tokens_clear(k);
	hmap_str_free(&k->by_uid);
	free(k->refs);
	json_decref(k->gauges);
	free(k);
}

/*
 * rules_json.c: alarms, incidents and maintenance windows to and from the
 * JSON of schema/040_rules.sql (see rules_json.h). Numbers that do not
 * apply to a place (no ONU on a port alarm) travel as null, never as -1,
 * so that the database holds NULL there.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rules_json.h"
#include "xmalloc.h"

static const char *const rules_scope_names[] = {
	[INVENTORY_DEVICE] = "device",
	[INVENTORY_BOARD] = "board",
	[INVENTORY_PORT] = "port",
	[INVENTORY_SPLITTER] = "splitter",
	[INVENTORY_ONU] = "onu",
	[INVENTORY_LINE] = "line",
};

void
rules_time_iso(rtime_t t, char *buf, size_t len)
{
	time_t sec = (time_t)(t / RTIME_SEC);
	long usec = (long)(t % RTIME_SEC);
	struct tm tm;
	char day[24];

	if (t == 0) {
		snprintf(buf, len, "%s", "");
		return;
	}
	if (usec < 0)
		sec--, usec += RTIME_SEC;
	gmtime_r(&sec, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06ldZ", day, usec);
}

json_t *
rules_time_json(rtime_t t)
{
	char buf[40];

	if (t == 0)
		return json_null();
	rules_time_iso(t, buf, sizeof(buf));
	return json_string(buf);
}

const char *
rules_scope_name(enum inventory_scope_kind k)
{
	if ((size_t)k >= sizeof(rules_scope_names) / sizeof(*rules_scope_names))
		return "device";
	return rules_scope_names[k];
}

int
rules_scope_parse(const char *s, enum inventory_scope_kind *out)
{
	size_t i;

	for (i = 0; s != NULL && i < sizeof(rules_scope_names) /
	    sizeof(*rules_scope_names); i++)
		if (strcmp(s, rules_scope_names[i]) == 0) {
			*out = (enum inventory_scope_kind)i;
			return 0;
		}
	return -1;
}

/* A time, or null when it is not set. */
static json_t *
rules_json_time(rtime_t t)
{
	char buf[40];

	if (t == 0)
		return json_null();
	rules_time_iso(t, buf, sizeof(buf));
	return json_string(buf);
}

/* A location number, or null when unset. */
static json_t *
rules_json_loc(long long v)
{
	return v == EVENT_LOC_UNSET ? json_null() : json_integer(v);
}

static json_t *
rules_json_str(const char *s)
{
	return s != NULL && *s != '\0' ? json_string(s) : json_null();
}

json_t *
rules_json_alarm(const struct alarm *a)
{
	return json_pack("{s:s, s:I, s:s, s:o, s:o, s:o, s:o, s:o, s:s, s:s, "
	    "s:o, s:I, s:o, s:o, s:o, s:o, s:b, s:o, s:o, s:o}",
	    "key", a->key,
	    "device_id", (json_int_t)a->device_id,
	    "kind", kind_name(a->kind),
	    "frame", rules_json_loc(a->loc.frame),
	    "slot", rules_json_loc(a->loc.slot),
	    "port", rules_json_loc(a->loc.port),
	    "onu", rules_json_loc(a->loc.onu),
	    "line", rules_json_loc(a->loc.line),
	    "state", a->raised ? "raised" : "cleared",
	    "source", a->source == EVENT_SOURCE_POLL ? "poll" : "trap",
	    "cause", rules_json_str(a->cause),
	    "raise_count", (json_int_t)a->raise_count,
	    "first_raised_at", rules_json_time(a->first_raised_at),
	    "last_raised_at", rules_json_time(a->last_raised_at),
	    "cleared_at", rules_json_time(a->raised ? 0 : a->cleared_at),
	    "changed_at", rules_json_time(a->changed_at),
	    "flapping", a->flapping,
	    "affected_onus", rules_json_loc(a->affected_onus),
	    "dying_gasp_onus", rules_json_loc(a->dying_gasp_onus),
	    "incident", a->incident != NULL ?
	    json_string(a->incident->uid) : json_null());
}

/* The numbers that name a place of this kind; the others are null. */
static void
rules_json_place(json_t *o, const struct incident *inc)
{
	const struct inventory_scope *s = &inc->scope;
	int board = s->kind != INVENTORY_DEVICE;
	int port = board && s->kind != INVENTORY_BOARD;

	json_object_set_new(o, "frame", board ? json_integer(s->frame) :
	    json_null());
	json_object_set_new(o, "slot", board ? json_integer(s->slot) :
	    json_null());
	json_object_set_new(o, "port", port ? json_integer(s->port) :
	    json_null());
	json_object_set_new(o, "onu", s->kind == INVENTORY_ONU ?
	    json_integer(s->onu) : json_null());
	json_object_set_new(o, "splitter", s->kind == INVENTORY_SPLITTER ?
	    rules_json_str(inc->splitter) : json_null());
	json_object_set_new(o, "line", s->kind == INVENTORY_LINE ?
	    json_integer(inc->line) : json_null());
}

json_t *
rules_json_incident(const struct incident *inc)
{
	json_t *o, *acc = json_array(), *ev = json_array();
	size_t i;

	for (i = 0; i < inc->naccounts; i++)
		json_array_append_new(acc, json_integer(inc->accounts[i]));
	/*
	 * Evidence: the root alarm. Every other alarm names its incident's
	 * uid when it is written, and the database links the two whichever
	 * arrives first (alarms.incident_uid), so the list stays short.
	 */
	if (inc->root[0] != '\0')
		json_array_append_new(ev, json_string(inc->root));
	o = json_pack("{s:s, s:s, s:s, s:I, s:b, s:s, s:s, s:b, s:s, s:o, "
	    "s:o, s:o, s:o, s:I, s:I, s:f, s:o, s:o, s:o}",
	    "uid", inc->uid,
	    "scope_key", inc->scope_key,
	    "scope", rules_scope_name(inc->scope.kind),
	    "device_id", (json_int_t)inc->scope.device_id,
	    "individual", inc->individual,
	    "state", incident_state_name(inc->state),
	    "cause", incident_cause_name(inc->cause),
	    "planned", inc->planned,
	    "title", inc->title,
	    "root_alarm", rules_json_str(inc->root),
	    "opened_at", rules_json_time(inc->opened_at),
	    "confirmed_at", rules_json_time(inc->confirmed_at),
	    "resolved_at", rules_json_time(inc->resolved_at),
	    "affected_accounts", (json_int_t)inc->naccounts,
	    "affected_onus", (json_int_t)inc->nonus,
	    "subscriber_minutes", inc->subscriber_minutes,
	    "merged_into", rules_json_str(inc->merged_into),
	    "accounts", acc,
	    "evidence", ev);
	if (o != NULL)
		rules_json_place(o, inc);
	return o;
}

/* An integer member, or def when it is null or missing. */
static long long
rules_json_int(const json_t *o, const char *name, long long def)
{
	const json_t *v = json_object_get(o, name);

	return json_is_integer(v) ? (long long)json_integer_value(v) : def;
}

static const char *
rules_json_string(const json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

static void
rules_copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src != NULL ? src : "");
}

int
rules_json_to_incident(const json_t *o, const int *hold_down,
    struct incident *inc)
{
	const json_t *acc = json_object_get(o, "accounts"), *v;
	const char *uid = rules_json_string(o, "uid");
	const char *key = rules_json_string(o, "scope_key");
	size_t i;

	memset(inc, 0, sizeof(*inc));
	if (uid == NULL || key == NULL ||
	    rules_scope_parse(rules_json_string(o, "scope"),
	    &inc->scope.kind) != 0 ||
	    incident_state_parse(rules_json_string(o, "state"),
	    &inc->state) != 0)
		return -1;
	if (incident_cause_parse(rules_json_string(o, "cause"),
	    &inc->cause) != 0)
		inc->cause = CAUSE_UNKNOWN;
	rules_copy(inc->uid, sizeof(inc->uid), uid);
	rules_copy(inc->scope_key, sizeof(inc->scope_key), key);
	rules_copy(inc->splitter, sizeof(inc->splitter),
	    rules_json_string(o, "splitter"));
	rules_copy(inc->root, sizeof(inc->root),
	    rules_json_string(o, "root_alarm"));
	rules_copy(inc->title, sizeof(inc->title), rules_json_string(o, "title"));
	inc->scope.device_id = rules_json_int(o, "device_id", 0);
	inc->scope.frame = (int)rules_json_int(o, "frame", 0);
	inc->scope.slot = (int)rules_json_int(o, "slot", 0);
	inc->scope.port = (int)rules_json_int(o, "port", 0);
	inc->scope.onu = (int)rules_json_int(o, "onu", 0);
	inc->scope.splitter = inc->splitter[0] != '\0' ? inc->splitter : NULL;
	inc->line = rules_json_int(o, "line", EVENT_LOC_UNSET);
	inc->individual = json_is_true(json_object_get(o, "individual"));
	inc->planned = json_is_true(json_object_get(o, "planned"));
	inc->opened_at = rules_json_int(o, "opened_at", 0);
	inc->confirmed_at = rules_json_int(o, "confirmed_at", 0);
	if (inc->state == INCIDENT_SUSPECTED)
		inc->hold_until = inc->opened_at +
		    (rtime_t)hold_down[inc->cause] * RTIME_SEC;
	inc->nonus = (size_t)rules_json_int(o, "affected_onus", 0);
	inc->subscriber_minutes = json_number_value(
	    json_object_get(o, "subscriber_minutes"));
	inc->naccounts = json_array_size(acc);
	inc->accounts = xcalloc(inc->naccounts + 1, sizeof(*inc->accounts));
	json_array_foreach(acc, i, v)
		inc->accounts[i] = (int64_t)json_integer_value(v);
	return 0;
}

int
rules_json_to_alarm(const json_t *o, struct alarm *a, const char **uid)
{
	const char *key = rules_json_string(o, "key");

	memset(a, 0, sizeof(*a));
	if (key == NULL || kind_parse(rules_json_string(o, "kind"),
	    &a->kind) != 0)
		return -1;
	rules_copy(a->key, sizeof(a->key), key);
	a->device_id = rules_json_int(o, "device_id", 0);
	events_location_clear(&a->loc);
	a->loc.frame = rules_json_int(o, "frame", EVENT_LOC_UNSET);
	a->loc.slot = rules_json_int(o, "slot", EVENT_LOC_UNSET);
	a->loc.port = rules_json_int(o, "port", EVENT_LOC_UNSET);
	a->loc.onu = rules_json_int(o, "onu", EVENT_LOC_UNSET);
	a->loc.line = rules_json_int(o, "line", EVENT_LOC_UNSET);
	a->source = strcmp(rules_json_string(o, "source") ?
	    rules_json_string(o, "source") : "", "poll") == 0 ?
	    EVENT_SOURCE_POLL : EVENT_SOURCE_TRAP;
	a->cause = (char *)rules_json_string(o, "cause");
	a->raised = 1;
	a->flapping = json_is_true(json_object_get(o, "flapping"));
	a->raise_count = (unsigned)rules_json_int(o, "raise_count", 1);
	a->first_raised_at = rules_json_int(o, "first_raised_at", 0);
	a->last_raised_at = rules_json_int(o, "last_raised_at", 0);
	a->changed_at = rules_json_int(o, "changed_at", a->last_raised_at);
	a->affected_onus = rules_json_int(o, "affected_onus", EVENT_LOC_UNSET);
	a->dying_gasp_onus = rules_json_int(o, "dying_gasp_onus",
	    EVENT_LOC_UNSET);
	*uid = rules_json_string(o, "incident");
	return 0;
}

int
rules_json_to_windows(const json_t *arr, struct maint_window **out, size_t *n)
{
	struct maint_window *w;
	const json_t *o;
	size_t i;

	*out = NULL;
	*n = 0;
	if (!json_is_array(arr))
		return -1;
	w = xcalloc(json_array_size(arr) + 1, sizeof(*w));
	json_array_foreach(arr, i, o) {
		w[i].id = rules_json_int(o, "id", 0);
		w[i].scope.device_id = rules_json_int(o, "device_id", 0);
		w[i].scope.frame = (int)rules_json_int(o, "frame", 0);
		w[i].scope.slot = (int)rules_json_int(o, "slot", -1);
		w[i].scope.port = (int)rules_json_int(o, "port", -1);
		rules_copy(w[i].splitter, sizeof(w[i].splitter),
		    rules_json_string(o, "splitter"));
		/*
		 * The narrowest place the window names. scope.splitter stays
		 * NULL: the engine copies the array, and a pointer into this
		 * one would dangle once the caller frees it; w->splitter is
		 * what the engine reads.
		 */
		if (w[i].splitter[0] != '\0')
			w[i].scope.kind = INVENTORY_SPLITTER;
		else if (w[i].scope.port >= 0)
			w[i].scope.kind = INVENTORY_PORT;
		else if (w[i].scope.slot >= 0)
			w[i].scope.kind = INVENTORY_BOARD;
		else
			w[i].scope.kind = INVENTORY_DEVICE;
		w[i].starts_at = rules_json_int(o, "starts_at", 0);
		w[i].ends_at = rules_json_int(o, "ends_at", 0);
	}
	*out = w;
	*n = json_array_size(arr);
	return 0;
}

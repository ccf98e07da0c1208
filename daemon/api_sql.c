/*
 * api_sql.c: the routes answered by the schema (schema/060_api.sql). Each
 * is one statement, "SELECT api_NAME($1::jsonb, $2, $3)": the request's
 * arguments as JSON, the token's role and name. The function checks the
 * role, validates, reads or writes (the ticket workflow's triggers apply
 * as for any client) and returns the reply's JSON, which is passed on as
 * it is. Its SQLSTATE says which 4xx an error is.
 */
#include "config.h"

#include <event2/event.h>
#include <event2/http.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "api_private.h"
#include "log.h"
#include "notify.h"
#include "store.h"
#include "xmalloc.h"

/* SQLSTATE -> HTTP status and the error word of the reply. */
static const struct {
	const char	*state;		/* a full code, or a class "22" */
	int		 status;
	const char	*error;
} api_sql_errors[] = {
	{ "P0002", 404, "not found" },
	{ "42501", 403, "forbidden" },
	{ "23514", 409, "conflict" },
	{ "23505", 409, "conflict" },
	{ "23503", 422, "unprocessable" },
	{ "23502", 422, "unprocessable" },
	{ "22", 400, "bad request" },
};

static void
api_sql_error(struct api_call *c, const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	size_t i;

	if (state == NULL)
		state = "";
	for (i = 0; i < sizeof(api_sql_errors) / sizeof(api_sql_errors[0]);
	    i++) {
		if (strncmp(state, api_sql_errors[i].state,
		    strlen(api_sql_errors[i].state)) == 0) {
			api_call_error(c, api_sql_errors[i].status,
			    api_sql_errors[i].error, msg);
			return;
		}
	}
	/* Not the client's fault: logged, and not shown in full. */
	log_warnx("api: %s: %s (SQLSTATE %s)", c->route->name,
	    store_errmsg(res), state);
	api_call_error(c, state[0] == '0' && state[1] == '8' ? 503 : 500,
	    "internal", "the database refused the request; see heraldd's log");
}

static void
api_sql_done_cb(struct store *st, PGresult *res, void *arg)
{
	struct api_call *c = arg;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		if (res == NULL)
			api_call_error(c, 503, "unavailable", "no answer from "
			    "the database");
		else
			api_sql_error(c, res);
		return;
	}
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
		api_call_error(c, 404, "not found", "nothing matches");
		return;
	}
	api_call_raw(c, c->route->created ? 201 : 200, PQgetvalue(res, 0, 0),
	    (size_t)PQgetlength(res, 0, 0));
}

void
api_sql_call(struct api_call *c)
{
	char *args = json_dumps(c->args, JSON_COMPACT);
	const char *params[3] = { args, api_role_name(c->role), c->actor };

	if (store_state(api_db(c->a)) != STORE_UP) {
		free(args);
		api_call_error(c, 503, "unavailable", "the database is not "
		    "reachable; try again shortly");
		return;
	}
	if (store_query(api_db(c->a), c->route->sql, 3, params, api_sql_done_cb, c) !=
	    0)
		api_call_error(c, 503, "unavailable", "too many requests "
		    "waiting for the database");
	free(args);
}

/* Reports waiting to be written together, and a batch on its way. */
struct api_dlr_batch {
	json_t			*reports;	/* [{token, type, text}] */
	struct api_call		**calls;
	size_t			 n, cap;
};

static void
api_dlr_reply(struct api_dlr_batch *b, PGresult *res)
{
	json_t *answers = NULL, *row;
	size_t i;

	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK)
		answers = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	for (i = 0; i < b->n; i++) {
		struct api_call *c = b->calls[i];

		if (answers == NULL) {
			/* Not written: the gateway sends it again. */
			api_call_error(c, 503, "unavailable", "the report was "
			    "not stored; send it again");
			continue;
		}
		row = json_array_get(answers, i);
		if (!json_is_object(row)) {
			api_call_error(c, 404, "not found", "no message has "
			    "this token");
			continue;
		}
		notify_dlr_seen(api_herald(c->a), row);
		api_call_raw(c, 200, "{\"ok\":true}", 11);
	}
	json_decref(answers);
}

static void
api_dlr_batch_free(struct api_dlr_batch *b)
{
	json_decref(b->reports);
	free(b->calls);
	free(b);
}

static void
api_dlr_done_cb(struct store *st, PGresult *res, void *arg)
{
	struct api_dlr_batch *b = arg;

	api_dlr_reply(b, res);
	api_dlr_batch_free(b);
}

/* Write the gathered reports in one statement (notify_dlrs()). */
void
api_dlr_flush(struct api *a)
{
	struct api_dlr_batch *b = a->dlr;
	char *doc;
	const char *p[1];

	if (b == NULL || b->n == 0)
		return;
	a->dlr = NULL;
	doc = json_dumps(b->reports, JSON_COMPACT);
	p[0] = doc;
	if (store_state(a->db) != STORE_UP || store_query(a->db,
	    "SELECT notify_dlrs($1::jsonb)", 1, p, api_dlr_done_cb, b) != 0) {
		api_dlr_reply(b, NULL);
		api_dlr_batch_free(b);
	}
	free(doc);
}

/*
 * The gateway reports a message's fate: Kannel's dlr-url names the
 * message's token and substitutes type (%d: 1 delivered, 2 failed, 4
 * buffered, 8 submitted, 16 rejected) and text (%A). The token, 122
 * random bits, is the credential. Reports are gathered for up to
 * API_DLR_USEC (a drain at the gateway's speed brings two per message)
 * and answered once they are stored, so a report the gateway was told
 * is taken cannot be lost.
 */
void
api_dlr(struct api_call *c)
{
	struct api *a = c->a;
	const char *uri = evhttp_request_get_uri(c->req);
	const char *tok = strstr(uri, "/dlr/") + 5;
	json_t *jt = json_object_get(c->args, "type");
	const char *type = json_string_value(jt);
	const char *text = json_string_value(json_object_get(c->args, "text"));
	struct timeval tv = { 0, API_DLR_USEC };
	struct api_dlr_batch *b;
	char token[33], *end;
	long t;

	snprintf(token, sizeof(token), "%.32s", tok);
	t = json_is_integer(jt) ? (long)json_integer_value(jt) :
	    type != NULL ? strtol(type, &end, 10) : 0;
	if (t <= 0 || (type != NULL && *end != '\0')) {
		api_call_error(c, 400, "bad request", "type: the report's "
		    "type, a number (Kannel's %d)");
		return;
	}
	if (store_state(api_db(a)) != STORE_UP) {
		api_call_error(c, 503, "unavailable", "the database is not "
		    "reachable; send the report again");
		return;
	}
	if ((b = a->dlr) == NULL) {
		b = a->dlr = xcalloc(1, sizeof(*b));
		b->reports = json_array();
		evtimer_add(a->dlr_timer, &tv);
	}
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 64;
		b->calls = xreallocarray(b->calls, b->cap, sizeof(*b->calls));
	}
	b->calls[b->n++] = c;
	json_array_append_new(b->reports, json_pack("{s:s, s:i, s:s#}",
	    "token", token, "type", (int)t, "text", text ? text : "",
	    text ? (int)(strlen(text) < 500 ? strlen(text) : 500) : 0));
	if (b->n >= API_DLR_MAX) {
		evtimer_del(a->dlr_timer);
		api_dlr_flush(a);
	}
}

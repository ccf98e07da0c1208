/*
 * api_sql.c: the routes answered by the schema (schema/060_api.sql). Each
 * is one statement, "SELECT api_NAME($1::jsonb, $2, $3)": the request's
 * arguments as JSON, the token's role and name. The function checks the
 * role, validates, reads or writes (the ticket workflow's triggers apply
 * as for any client) and returns the reply's JSON, which is passed on as
 * it is. Its SQLSTATE says which 4xx an error is.
 */
#include "config.h"

#include <event2/http.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
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

static void
api_dlr_done_cb(struct store *st, PGresult *res, void *arg)
{
	struct api_call *c = arg;
	json_t *row;

	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		if (res == NULL)
			api_call_error(c, 503, "unavailable", "no answer from "
			    "the database");
		else
			api_sql_error(c, res);
		return;
	}
	if (PQgetisnull(res, 0, 0) || (row = json_loads(PQgetvalue(res, 0,
	    0), 0, NULL)) == NULL) {
		api_call_error(c, 404, "not found", "no message has this "
		    "token");
		return;
	}
	notify_dlr_seen(api_herald(c->a), row);
	json_decref(row);
	api_call_raw(c, 200, "{\"ok\":true}", 11);
}

/*
 * The gateway reports a message's fate: Kannel's dlr-url names the
 * message's token and substitutes type (%d: 1 delivered, 2 failed, 4
 * buffered, 8 submitted, 16 rejected) and text (%A). The token, 122
 * random bits, is the credential.
 */
void
api_dlr(struct api_call *c)
{
	const char *uri = evhttp_request_get_uri(c->req);
	const char *tok = strstr(uri, "/dlr/") + 5;
	json_t *jt = json_object_get(c->args, "type");
	const char *type = json_string_value(jt);
	const char *text = json_string_value(json_object_get(c->args, "text"));
	char token[33], num[24];
	const char *p[3];
	char *end;

	snprintf(token, sizeof(token), "%.32s", tok);
	if (json_is_integer(jt)) {	/* a JSON body may send a number */
		snprintf(num, sizeof(num), "%lld",
		    (long long)json_integer_value(jt));
		type = num;
	}
	if (type == NULL || strtol(type, &end, 10) <= 0 || *end != '\0') {
		api_call_error(c, 400, "bad request", "type: the report's "
		    "type, a number (Kannel's %d)");
		return;
	}
	if (store_state(api_db(c->a)) != STORE_UP) {
		api_call_error(c, 503, "unavailable", "the database is not "
		    "reachable; send the report again");
		return;
	}
	p[0] = token;
	p[1] = type;
	p[2] = text != NULL ? text : "";
	if (store_query(api_db(c->a), "SELECT notify_dlr($1, $2::integer, "
	    "left($3, 500))", 3, p, api_dlr_done_cb, c) != 0)
		api_call_error(c, 503, "unavailable", "too many requests "
		    "waiting for the database");
}

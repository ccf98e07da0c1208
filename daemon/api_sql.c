/*
 * api_sql.c: the routes answered by the schema (schema/060_api.sql). Each
 * is one statement, "SELECT api_NAME($1::jsonb, $2, $3)": the request's
 * arguments as JSON, the token's role and name. The function checks the
 * role, validates, reads or writes (the ticket workflow's triggers apply
 * as for any client) and returns the reply's JSON, which is passed on as
 * it is. Its SQLSTATE says which 4xx an error is.
 */
#include "config.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "log.h"
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

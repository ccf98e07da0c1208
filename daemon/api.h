/*
 * api.h: the parts of heraldd's HTTP API (api.c: server, routes, tokens and
 * limits; api_sql.c: routes answered by the schema's api_* functions;
 * api_cache.c: what the API keeps in memory from the database, tokens and
 * the incidents' ids and tickets; api_lookup.c: the customer-service lookup,
 * answered from memory; api_metrics.c: /metrics).
 */
#ifndef HERALD_API_H
#define HERALD_API_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct evhttp_request;
struct evbuffer;
struct herald;
struct store;

/* Roles of a token, as bits: a route names the roles it admits. */
#define ROLE_NOC	0x1
#define ROLE_CS		0x2
#define ROLE_ADMIN	0x4
#define ROLE_GATEWAY	0x8
#define ROLE_PEOPLE	(ROLE_NOC | ROLE_CS | ROLE_ADMIN)

const char	*api_role_name(unsigned role);
unsigned	 api_role_parse(const char *);

/* One request on its way: the route, who asked, what they sent. */
struct api_call {
	struct api		*a;
	struct evhttp_request	*req;		/* NULL: the client went away */
	struct api_conn		*conn;
	const struct api_route	*route;
	unsigned		 role;
	const char		*actor;		/* the token's name (copied) */
	char			*actor_buf;
	long long		 id;		/* {id} in the path, or -1 */
	json_t			*args;		/* query or body, an object */
};

struct api_route {
	int			 method;	/* EVHTTP_REQ_* */
	const char		*pattern;	/* "/api/v1/tickets/{id}" */
	const char		*name;		/* for metrics */
	unsigned		 roles;
	/* An api_* SQL function, or NULL when handler answers. */
	const char		*sql;
	int			 created;	/* 201 on success */
	void			 (*handler)(struct api_call *);
};

/* Replies; each ends the call (frees it). */
void	 api_call_json(struct api_call *, int status, json_t *doc);
void	 api_call_raw(struct api_call *, int status, const char *json,
	    size_t len);
void	 api_call_error(struct api_call *, int status, const char *error,
	    const char *detail);
/* The call's request is gone or not: 1 when there is no one to answer. */
int	 api_call_gone(const struct api_call *);
void	 api_call_free(struct api_call *);

struct herald	*api_herald(const struct api *);
struct store	*api_db(const struct api *);

/* api_sql.c: run call->route->sql on the API's connection, reply. */
void	 api_sql_call(struct api_call *);

/* api_sql.c: a delivery report (GET/POST /api/v1/dlr/TOKEN?type=&text=). */
void	 api_dlr(struct api_call *);

/* api_cache.c */
struct api_cache;
struct api_cache *api_cache_new(struct api *);
void	 api_cache_free(struct api_cache *);
/* The token's role (0 when unknown or revoked) and name. */
unsigned api_cache_token(struct api_cache *, const char *token,
	    const char **name);
/* 1 once the tokens were read from the database. */
int	 api_cache_ready(const struct api_cache *);
struct api_incident_ref {
	int64_t		 incident_id;		/* incidents.id, or 0 */
	int64_t		 ticket_id;		/* 0: none yet */
	char		 ticket_state[16];
	char		 eta[40];		/* "" or an ISO 8601 time */
};
/* What the database knows of the engine's incident uid, or NULL. */
const struct api_incident_ref *api_cache_incident(struct api_cache *,
	    const char *uid);
/* Gauges read every few seconds for /metrics, as JSON (or NULL). */
const json_t *api_cache_gauges(const struct api_cache *);
size_t	 api_cache_tokens(const struct api_cache *);

/* api_stream.c: GET /api/v1/stream, and what other modules push to it. */
void	 api_stream(struct api_call *);
/* Something of this kind changed: "incidents", "tickets",
 * "notifications", "maintenance", "alarms". */
void	 api_push(struct herald *, const char *what);
struct incident;
void	 api_push_incident(struct herald *, const struct incident *);

/* api_lookup.c */
void	 api_lookup(struct api_call *);

/* api_metrics.c */
void	 api_metrics_write(struct api *, struct evbuffer *);

#endif

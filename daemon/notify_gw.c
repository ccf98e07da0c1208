/*
 * notify_gw.c: the SMS gateways — Kannel's sendsms, or an HTTP/JSON
 * platform — with a rate limit (a token bucket), a circuit breaker and
 * failover in configuration order; and what an answer means for the
 * message (integration.md section 9):
 *
 *   accepted (2xx, and for Kannel "0: Accepted ..." or "Queued ...") sent
 *   could not connect, 429, 5xx: nothing was accepted       retry later
 *   4xx otherwise: the gateway refuses this message          dead
 *   the request went out and no answer came (timeout, reset) unknown:
 *       the gateway may have taken it; its submit report (Kannel dlr-mask
 *       8) settles it, and without one notify_recover() sends it again
 *
 * Credentials (Kannel's username and password, an HTTP gateway's headers)
 * go in the request only, never in a log line or a row.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "curl_io.h"
#include "log.h"
#include "notify_private.h"
#include "xmalloc.h"

#define GW_BREAK_AFTER	5	/* failures in a row open the breaker */
#define GW_BREAK_SECS	30.0	/* for this long */

cfg_opt_t notify_gw_opts[] = {
	CFG_STR("type", "kannel", CFGF_NONE),
	CFG_STR("url", "", CFGF_NONE),
	CFG_STR("username", "", CFGF_NONE),
	CFG_STR("password", "", CFGF_NONE),
	CFG_FLOAT("rate", 20.0, CFGF_NONE),
	CFG_INT("timeout", 10, CFGF_NONE),
	CFG_INT("max_inflight", 16, CFGF_NONE),
	CFG_STR("method", "POST", CFGF_NONE),
	CFG_STR_LIST("headers", "{}", CFGF_NONE),
	CFG_STR("body", "", CFGF_NONE),
	CFG_STR("ok_field", "", CFGF_NONE),
	CFG_STR("ok_value", "", CFGF_NONE),
	CFG_STR("ref_field", "", CFGF_NONE),
	CFG_STR_LIST("template_ids", "{}", CFGF_NONE),
	CFG_END()
};

const char *
gw_outcome_name(enum gw_outcome o)
{
	static const char *const names[] = { "sent", "retry", "dead",
	    "unknown" };

	return names[o];
}

static json_t *
gw_template_ids(cfg_t *g)
{
	json_t *ids = json_object();
	unsigned i;

	for (i = 0; i < cfg_size(g, "template_ids"); i++) {
		const char *kv = cfg_getnstr(g, "template_ids", i);
		const char *eq = strchr(kv, '=');

		if (eq != NULL)
			json_object_setn_new(ids, kv, (size_t)(eq - kv),
			    json_string(eq + 1));
	}
	return ids;
}

struct gateway *
gw_load(cfg_t *notify, size_t *n)
{
	struct gateway *gws;
	unsigned i, j;

	*n = cfg_size(notify, "gateway");
	gws = xcalloc(*n + 1, sizeof(*gws));
	for (i = 0; i < *n; i++) {
		cfg_t *g = cfg_getnsec(notify, "gateway", i);
		struct gateway *w = &gws[i];

		w->name = xstrdup(cfg_title(g));
		w->type = strcmp(cfg_getstr(g, "type"), "http") == 0 ?
		    GW_HTTP : GW_KANNEL;
		w->url = xstrdup(cfg_getstr(g, "url"));
		w->username = xstrdup(cfg_getstr(g, "username"));
		w->password = xstrdup(cfg_getstr(g, "password"));
		w->rate = cfg_getfloat(g, "rate");
		w->timeout = cfg_getint(g, "timeout");
		w->max_inflight = (int)cfg_getint(g, "max_inflight");
		w->method = xstrdup(cfg_getstr(g, "method"));
		for (j = 0; j < cfg_size(g, "headers"); j++)
			w->headers = curl_slist_append(w->headers,
			    cfg_getnstr(g, "headers", j));
		w->body = xstrdup(cfg_getstr(g, "body"));
		w->ok_field = xstrdup(cfg_getstr(g, "ok_field"));
		w->ok_value = xstrdup(cfg_getstr(g, "ok_value"));
		w->ref_field = xstrdup(cfg_getstr(g, "ref_field"));
		w->template_ids = gw_template_ids(g);
		w->tokens = w->rate < 1 ? 1 : w->rate;
		w->refilled = notify_clock();
	}
	return gws;
}

void
gw_free(struct gateway *gws, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct gateway *w = &gws[i];

		free(w->name);
		free(w->url);
		free(w->username);
		free(w->password);
		free(w->method);
		curl_slist_free_all(w->headers);
		free(w->body);
		free(w->ok_field);
		free(w->ok_value);
		free(w->ref_field);
		json_decref(w->template_ids);
	}
	free(gws);
}

void
gw_check(cfg_t *root, cfg_t *notify)
{
	unsigned i;

	for (i = 0; i < cfg_size(notify, "gateway"); i++) {
		cfg_t *g = cfg_getnsec(notify, "gateway", i);
		const char *type = cfg_getstr(g, "type");

		if (strcmp(type, "kannel") != 0 && strcmp(type, "http") != 0)
			conf_error(root, "notify.gateway \"%s\": type must be "
			    "kannel or http", cfg_title(g));
		if (strncmp(cfg_getstr(g, "url"), "http://", 7) != 0 &&
		    strncmp(cfg_getstr(g, "url"), "https://", 8) != 0)
			conf_error(root, "notify.gateway \"%s\": url must be "
			    "http:// or https://", cfg_title(g));
		if (cfg_getfloat(g, "rate") <= 0 || cfg_getint(g,
		    "timeout") < 1 || cfg_getint(g, "max_inflight") < 1)
			conf_error(root, "notify.gateway \"%s\": rate, timeout "
			    "and max_inflight must be positive", cfg_title(g));
		if (strcmp(type, "http") == 0 && cfg_getstr(g, "body")[0] ==
		    '\0')
			conf_error(root, "notify.gateway \"%s\": an http "
			    "gateway needs a body template", cfg_title(g));
	}
}

/* The bucket holds at most a second's worth (and at least one). */
static void
gw_refill(struct gateway *w, double now)
{
	double cap = w->rate < 1 ? 1 : w->rate;

	w->tokens += (now - w->refilled) * w->rate;
	if (w->tokens > cap)
		w->tokens = cap;
	w->refilled = now;
}

static int
gw_room(struct gateway *w, double now)
{
	int room;

	if (w->open_until > now)
		return 0;
	gw_refill(w, now);
	room = (int)floor(w->tokens);
	if (room > w->max_inflight - w->inflight)
		room = w->max_inflight - w->inflight;
	return room > 0 ? room : 0;
}

struct gateway *
gw_pick(struct gateway *gws, size_t n, double now)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (gw_room(&gws[i], now) > 0)
			return &gws[i];
	return NULL;
}

int
gw_capacity(struct gateway *gws, size_t n, double now)
{
	size_t i;
	int c = 0;

	for (i = 0; i < n; i++)
		c += gw_room(&gws[i], now);
	return c;
}

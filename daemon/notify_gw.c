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
#include "utf8.h"
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
		w->tokens = w->rate < 10 ? 1 : w->rate / 10;
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

/*
 * The bucket holds a tenth of a second's worth (and at least one): no
 * second, however it is cut, carries more than rate + rate / 10 — a
 * gateway's limit is per second, and a full second's bucket would let a
 * burst after a pause double it.
 */
static void
gw_refill(struct gateway *w, double now)
{
	double cap = w->rate < 10 ? 1 : w->rate / 10;

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

/* Append a query parameter, escaped. */
static void
gw_param(CURL *e, char **q, const char *key, const char *value)
{
	char *v = curl_easy_escape(e, value, 0), *next;

	xasprintf(&next, "%s%s%s=%s", *q, **q ? "&" : "", key, v ? v : "");
	curl_free(v);
	free(*q);
	*q = next;
}

/* Kannel's sendsms: a GET with every value in the query string. */
static char *
gw_kannel_url(CURL *e, struct gateway *w, const char *phone,
    const char *text, int ucs2, const char *dlr_url)
{
	char *q = xstrdup(""), *url;

	gw_param(e, &q, "username", w->username);
	gw_param(e, &q, "password", w->password);
	gw_param(e, &q, "to", phone);
	gw_param(e, &q, "text", text);
	if (ucs2) {
		gw_param(e, &q, "coding", "2");
		gw_param(e, &q, "charset", "UTF-8");
	}
	if (dlr_url != NULL) {
		gw_param(e, &q, "dlr-mask", "31");
		gw_param(e, &q, "dlr-url", dlr_url);
	}
	xasprintf(&url, "%s%s%s", w->url, strchr(w->url, '?') ? "&" : "?",
	    q);
	free(q);
	return url;
}

/*
 * The HTTP gateway's body: its template with each {name} replaced by a
 * JSON value (a quoted, escaped string, or the params object), so the
 * result is JSON whatever the text holds.
 */
static char *
gw_http_body(struct gateway *w, const char *kind, const char *phone,
    const char *text, const char *dlr_url, const json_t *vars)
{
	json_t *values = json_pack("{s:s, s:s, s:s, s:s, s:O}", "phone",
	    phone, "text", text, "dlr_url", dlr_url ? dlr_url : "", "kind",
	    kind, "params", vars);
	json_t *tid = json_object_get(w->template_ids, kind);
	char *out = xstrdup(""), *next, *v;
	const char *p = w->body, *open, *close;

	json_object_set(values, "template_id", tid ? tid : json_string(""));
	while ((open = strchr(p, '{')) != NULL &&
	    (close = strchr(open, '}')) != NULL) {
		json_t *val = json_object_getn(values, open + 1,
		    (size_t)(close - open - 1));

		if (val == NULL) {	/* not ours: JSON's own brace */
			xasprintf(&next, "%s%.*s", out, (int)(open - p + 1), p);
			free(out);
			out = next;
			p = open + 1;
			continue;
		}
		v = json_dumps(val, JSON_ENCODE_ANY | JSON_COMPACT);
		xasprintf(&next, "%s%.*s%s", out, (int)(open - p), p, v);
		free(v);
		free(out);
		out = next;
		p = close + 1;
	}
	xasprintf(&next, "%s%s", out, p);
	free(out);
	json_decref(values);
	return next;
}

static size_t
gw_write_cb(char *ptr, size_t size, size_t n, void *arg)
{
	struct gw_send *s = arg;
	size_t len = size * n, room = sizeof(s->buf) - 1 - s->len;

	memcpy(s->buf + s->len, ptr, len < room ? len : room);
	s->len += len < room ? len : room;
	s->buf[s->len] = '\0';
	return len;
}

/* An HTTP gateway's 2xx answer: does its ok_field say ok? */
static int
gw_http_ok(struct gateway *w, const char *answer)
{
	json_t *doc, *f;
	char val[128];
	int ok;

	if (w->ok_field[0] == '\0')
		return 1;
	if ((doc = json_loads(answer, 0, NULL)) == NULL)
		return 0;
	f = json_object_get(doc, w->ok_field);
	if (json_is_string(f))
		snprintf(val, sizeof(val), "%s", json_string_value(f));
	else if (json_is_integer(f))
		snprintf(val, sizeof(val), "%lld",
		    (long long)json_integer_value(f));
	else
		val[0] = '\0';
	ok = strcmp(val, w->ok_value) == 0;
	json_decref(doc);
	return ok;
}

/*
 * What the transfer's end means for the message. A request that never
 * reached the gateway, or one it answered with a refusal, was not taken;
 * a request that went out without an answer may have been.
 */
static enum gw_outcome
gw_classify(struct gw_send *s, CURLcode rc, long status, char *why,
    size_t len)
{
	struct gateway *w = s->gw;

	if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
	    rc == CURLE_SSL_CONNECT_ERROR) {
		snprintf(why, len, "%s: %s", w->name, curl_easy_strerror(rc));
		return GW_RETRY;
	}
	if (rc != CURLE_OK) {
		snprintf(why, len, "%s: %s (the gateway may have it)",
		    w->name, curl_easy_strerror(rc));
		return GW_UNKNOWN;
	}
	snprintf(why, len, "%s: HTTP %ld: %.200s", w->name, status, s->buf);
	why[strcspn(why, "\r\n")] = '\0';
	if (status == 429 || status == 408 || status >= 500)
		return GW_RETRY;
	if (status < 200 || status >= 300)
		return GW_DEAD;
	if (w->type == GW_KANNEL)
		return strncmp(s->buf, "0:", 2) == 0 ||
		    strncmp(s->buf, "Accepted", 8) == 0 ||
		    strncmp(s->buf, "Queued", 6) == 0 ||
		    strncmp(s->buf, "3:", 2) == 0 ? GW_SENT : GW_RETRY;
	return gw_http_ok(w, s->buf) ? GW_SENT : GW_RETRY;
}

/*
 * The reason quotes the gateway's answer, which may be anything (random
 * bytes from a broken gateway or a captive portal): it goes into a log
 * line and into notifications.last_error, a text column that refuses
 * bytes that are not UTF-8 -- and with it the whole result, leaving the
 * message "sending" until notify.grace. Control characters and invalid
 * sequences become '?'; valid UTF-8 (a Chinese error text) stays.
 */
static void
gw_clean_text(char *s)
{
	unsigned char *p = (unsigned char *)s;
	size_t len = strlen(s), n;
	uint32_t cp;

	while (len > 0) {
		if ((n = utf8_decode(p, len, &cp)) == 0 || cp < 0x20 ||
		    cp == 0x7f) {
			*p = '?';
			n = 1;
		}
		p += n;
		len -= n;
	}
}

static void
gw_done_cb(CURL *e, CURLcode rc, void *arg)
{
	struct gw_send *s = arg;
	struct gateway *w = s->gw;
	enum gw_outcome o;
	long status = 0;
	char why[512];

	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	o = gw_classify(s, rc, status, why, sizeof(why));
	gw_clean_text(why);
	w->inflight--;
	if (o == GW_SENT || o == GW_DEAD) {
		w->failures = 0;
	} else if (++w->failures >= GW_BREAK_AFTER &&
	    w->open_until <= notify_clock()) {
		w->open_until = notify_clock() + GW_BREAK_SECS;
		log_warnx("notify: gateway %s failed %d times in a row (%s); "
		    "not used for %.0f s", w->name, w->failures, why,
		    GW_BREAK_SECS);
	}
	w->sent += o == GW_SENT;
	w->retried += o == GW_RETRY;
	w->dead += o == GW_DEAD;
	w->unknown += o == GW_UNKNOWN;
	s->done(s, o, o == GW_SENT ? NULL : why);
}

int
gw_send(struct curl_io *cio, struct gw_send *s, const char *kind,
    const char *phone, const char *dlr_url, const json_t *vars,
    void (*done)(struct gw_send *, enum gw_outcome, const char *))
{
	struct gateway *w = s->gw;
	CURL *e = curl_easy_init();
	char *url;

	if (e == NULL)
		return -1;
	s->done = done;
	s->len = 0;
	s->buf[0] = '\0';
	if (w->type == GW_KANNEL) {
		url = gw_kannel_url(e, w, phone, s->body, s->ucs2, dlr_url);
		curl_easy_setopt(e, CURLOPT_URL, url);
		free(url);
	} else {
		s->request = gw_http_body(w, kind, phone, s->body, dlr_url,
		    vars);
		curl_easy_setopt(e, CURLOPT_URL, w->url);
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, w->method);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, s->request);
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, w->headers);
	}
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_TIMEOUT, w->timeout);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, w->timeout);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, gw_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->err);
	if (curl_io_add(cio, e, gw_done_cb, s) != 0)
		return -1;
	w->inflight++;
	w->tokens -= 1;
	return 0;
}

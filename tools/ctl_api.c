/*
 * ctl_api.c: heraldctl's client for heraldd's HTTP API (doc: api-spec,
 * "heraldctl"). One blocking libcurl request per call. The URL comes from
 * HERALD_URL, else ctl.url, else http:// + http.listen; the token from
 * HERALD_TOKEN, else ctl.token. Every failure ends the command here with one
 * line on stderr and the exit status scripts test: 69 when heraldd cannot
 * be reached, 77 for no token or 401/403, 1 for any other API error.
 */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "conf.h"
#include "ctl.h"
#include "xmalloc.h"

#define CTL_API_TIMEOUT	30L	/* seconds for a whole request */
#define CTL_API_CONNECT	5L

struct ctl_api_buf {
	char	*data;
	size_t	 len;
};

/* The configuration only when there is one: env alone must be enough. */
static struct herald_conf *
ctl_api_conf(struct ctl *ctl)
{
	if (ctl->conf == NULL && access(ctl->conf_path, R_OK) != 0)
		return NULL;
	return ctl_conf(ctl);
}

/* A wildcard listen address is reached on loopback. */
static char *
ctl_api_listen_url(const char *listen)
{
	const char *colon = strrchr(listen, ':');
	char *url;

	if (colon != NULL && (strncmp(listen, "0.0.0.0:", 8) == 0))
		xasprintf(&url, "http://127.0.0.1%s", colon);
	else if (colon != NULL && strncmp(listen, "[::]:", 5) == 0)
		xasprintf(&url, "http://[::1]%s", colon);
	else
		xasprintf(&url, "http://%s", listen);
	return url;
}

static char *
ctl_api_url(struct ctl *ctl)
{
	struct herald_conf *c;
	const char *env = getenv("HERALD_URL");
	char *url;
	size_t n;

	if (env != NULL && *env != '\0')
		url = xstrdup(env);
	else if ((c = ctl_api_conf(ctl)) != NULL && c->ctl_url != NULL &&
	    *c->ctl_url != '\0')
		url = xstrdup(c->ctl_url);
	else
		url = ctl_api_listen_url(c != NULL ? c->http_listen :
		    "127.0.0.1:8080");
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		url[--n] = '\0';
	return url;
}

static const char *
ctl_api_token(struct ctl *ctl)
{
	struct herald_conf *c;
	const char *env = getenv("HERALD_TOKEN");

	if (env != NULL && *env != '\0')
		return env;
	if ((c = ctl_api_conf(ctl)) != NULL && c->ctl_token != NULL &&
	    *c->ctl_token != '\0')
		return c->ctl_token;
	ctl_error("no API token: set HERALD_TOKEN or ctl { token = ... } in %s "
	    "(an administrator makes one with \"heraldctl token add NAME "
	    "--role ROLE\")", ctl->conf_path);
	exit(CTL_NOPERM);
}

static size_t
ctl_api_write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct ctl_api_buf *b = arg;

	b->data = xreallocarray(b->data, b->len + size * n + 1, 1);
	memcpy(b->data + b->len, data, size * n);
	b->len += size * n;
	b->data[b->len] = '\0';
	return size * n;
}

/* "heraldctl: 404 not found: no account matches", and the exit status. */
static void
ctl_api_fail(struct ctl *ctl, long status, const struct ctl_api_buf *b)
{
	json_t *body = b->data ? json_loads(b->data, 0, NULL) : NULL;
	const char *err = json_string_value(json_object_get(body, "error"));
	const char *detail = json_string_value(json_object_get(body, "detail"));

	if (ctl->json && body != NULL)
		ctl_api_json(ctl, body);
	if (err != NULL)
		ctl_error("%ld %s: %s", status, err, detail ? detail : "");
	else
		ctl_error("%ld error: %.200s", status, b->data ? b->data :
		    "(no body)");
	json_decref(body);
	exit(status == 401 || status == 403 ? CTL_NOPERM : CTL_FAIL);
}

/* Send the request; exits unless the answer is 2xx with a JSON body. */
static json_t *
ctl_api_perform(struct ctl *ctl, CURL *e, const char *url)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct ctl_api_buf b = { NULL, 0 };
	json_error_t jerr;
	json_t *body;
	CURLcode rc;
	long status = 0;

	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, ctl_api_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, CTL_API_TIMEOUT);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, CTL_API_CONNECT);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	if ((rc = curl_easy_perform(e)) != CURLE_OK) {
		ctl_error("cannot reach heraldd at %s: %s", url,
		    *errbuf ? errbuf : curl_easy_strerror(rc));
		exit(CTL_UNAVAILABLE);
	}
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299)
		ctl_api_fail(ctl, status, &b);
	if ((body = json_loads(b.data ? b.data : "", 0, &jerr)) == NULL) {
		ctl_error("%s: the answer is not JSON: %s", url, jerr.text);
		exit(CTL_FAIL);
	}
	free(b.data);
	return body;
}

static json_t *
ctl_api_request(struct ctl *ctl, const char *method, const char *path,
    const char *query, json_t *body)
{
	struct curl_slist *h = NULL;
	char *base = ctl_api_url(ctl), *url, *auth, *text = NULL;
	CURL *e;
	json_t *res;

	xasprintf(&auth, "Authorization: Bearer %s", ctl_api_token(ctl));
	xasprintf(&url, "%s%s%s%s", base, path, query && *query ? "?" : "",
	    query ? query : "");
	if ((e = curl_easy_init()) == NULL) {
		ctl_error("cannot start libcurl");
		exit(CTL_FAIL);
	}
	h = curl_slist_append(h, auth);
	h = curl_slist_append(h, "Accept: application/json");
	if (body != NULL) {
		text = json_dumps(body, JSON_COMPACT);
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, text);
	}
	if (strcmp(method, "GET") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	res = ctl_api_perform(ctl, e, url);
	curl_easy_cleanup(e);
	curl_slist_free_all(h);
	free(text);
	free(auth);
	free(url);
	free(base);
	return res;
}

json_t *
ctl_api_get(struct ctl *ctl, const char *path, const char *const *query)
{
	char *q = xstrdup(""), *v, *next;
	json_t *res;
	size_t i;

	for (i = 0; query != NULL && query[i] != NULL; i += 2) {
		if (query[i + 1] == NULL)
			continue;
		v = curl_easy_escape(NULL, query[i + 1], 0);
		xasprintf(&next, "%s%s%s=%s", q, *q ? "&" : "", query[i], v);
		curl_free(v);
		free(q);
		q = next;
	}
	res = ctl_api_request(ctl, "GET", path, q, NULL);
	free(q);
	return res;
}

json_t *
ctl_api_send(struct ctl *ctl, const char *method, const char *path,
    json_t *body)
{
	return ctl_api_request(ctl, method, path, NULL, body);
}

int
ctl_api_json(struct ctl *ctl, json_t *body)
{
	if (!ctl->json)
		return 0;
	json_dumpf(body, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	return 1;
}

const char *
ctl_json_str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : "";
}

const char *
ctl_json_text(json_t *obj, const char *key, char *buf, size_t len)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL)	/* json_typeof() does not take NULL */
		return "";
	switch (json_typeof(v)) {
	case JSON_STRING:
		return json_string_value(v);
	case JSON_INTEGER:
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return buf;
	case JSON_REAL:
		snprintf(buf, len, "%g", json_real_value(v));
		return buf;
	case JSON_TRUE:
		return "yes";
	default:	/* absent, null, false */
		return "";
	}
}

/* Where on a device: "0/1/2:5", "0/1/2 S1", as much as the object says. */
const char *
ctl_json_place(json_t *obj, char *buf, size_t len)
{
	static const char *const keys[] = { "frame", "slot", "port", NULL };
	const char *s;
	char v[32];
	size_t i, last = 0, n = 0;

	buf[0] = '\0';
	/* Up to the last level given; a level left out (all frames) is "-". */
	for (i = 0; keys[i] != NULL; i++)
		if (*ctl_json_text(obj, keys[i], v, sizeof(v)) != '\0')
			last = i + 1;
	for (i = 0; i < last && n < len; i++) {
		s = ctl_json_text(obj, keys[i], v, sizeof(v));
		n += snprintf(buf + n, len - n, "%s%s", i ? "/" : "",
		    *s ? s : "-");
	}
	if (n < len && *(s = ctl_json_text(obj, "onu", v, sizeof(v))) != '\0')
		n += snprintf(buf + n, len - n, ":%s", s);
	if (n < len && *(s = ctl_json_str(obj, "splitter")) != '\0')
		snprintf(buf + n, len - n, "%s%s", n ? " " : "", s);
	return buf;
}

/* A list answer: the table, "no WHAT" when empty, and what was left out. */
int
ctl_api_list(struct ctl *ctl, json_t *res, const char *const *hdr,
    void (*row)(struct ctl_table *, json_t *), const char *what)
{
	json_t *items = json_object_get(res, "items"), *it;
	struct ctl_table *t;
	json_int_t total;
	size_t i;

	if (ctl_api_json(ctl, res)) {
		json_decref(res);
		return CTL_OK;
	}
	if (json_array_size(items) == 0) {
		printf("no %s\n", what);
		json_decref(res);
		return CTL_OK;
	}
	t = ctl_table_new(hdr);
	json_array_foreach(items, i, it)
		row(t, it);
	ctl_table_print(t, stdout);
	total = json_integer_value(json_object_get(res, "total"));
	if (total > (json_int_t)json_array_size(items))
		printf("(%zu of %" JSON_INTEGER_FORMAT " shown: --limit, "
		    "--offset for more)\n", json_array_size(items), total);
	ctl_table_free(t);
	json_decref(res);
	return CTL_OK;
}

static void
ctl_api_set(const char **q, const char *param, const char *value)
{
	size_t i;

	/* A later option for the same parameter wins (--all after --state). */
	for (i = 0; q[i] != NULL; i += 2)
		if (strcmp(q[i], param) == 0) {
			q[i + 1] = value;
			return;
		}
	q[i] = param;
	q[i + 1] = value;
	q[i + 2] = NULL;
}

int
ctl_api_opts(struct ctl *ctl, int argc, char **argv,
    const struct ctl_qopt *opts, const char **q)
{
	static const struct ctl_qopt common[] = {
		{ "limit", 1, "limit", NULL, 1 },
		{ "offset", 1, "offset", NULL, 1 },
		{ "json", 0, NULL, NULL, 0 },
	};
	const struct ctl_qopt *all[CTL_QOPT_MAX];
	struct option lo[CTL_QOPT_MAX + 1];
	size_t n = 0, i;
	int ch;

	for (i = 0; opts != NULL && opts[i].name != NULL &&
	    n < CTL_QOPT_MAX - 3; i++)
		all[n++] = &opts[i];
	for (i = 0; i < 3 && n < CTL_QOPT_MAX; i++)
		all[n++] = &common[i];
	for (i = 0; i < n; i++) {
		lo[i].name = all[i]->name;
		lo[i].has_arg = all[i]->arg ? required_argument : no_argument;
		lo[i].flag = NULL;
		lo[i].val = 256 + (int)i;
	}
	memset(&lo[n], 0, sizeof(lo[n]));
	q[0] = NULL;
	/*
	 * heraldctl's own options were read in order ("+"); 0, not 1, makes
	 * glibc start afresh and permute, so options may follow operands
	 * ("ticket 12 ack --note ...").
	 */
	optind = 0;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch < 256)
			return -1;
		i = (size_t)ch - 256;
		if (all[i]->param == NULL)
			ctl->json = 1;
		else
			ctl_api_set(q, all[i]->param, all[i]->arg ? optarg :
			    all[i]->value);
	}
	return 0;
}

const char *
ctl_api_take(const char **q, const char *param)
{
	const char *v;
	size_t i;

	for (i = 0; q[i] != NULL; i += 2)
		if (strcmp(q[i], param) == 0)
			break;
	if (q[i] == NULL)
		return NULL;
	v = q[i + 1];
	for (; q[i + 2] != NULL; i += 2) {
		q[i] = q[i + 2];
		q[i + 1] = q[i + 3];
	}
	q[i] = NULL;
	return v;
}

json_t *
ctl_api_body(const char *const *q, const struct ctl_qopt *opts)
{
	json_t *body = json_object();
	size_t i, j;
	int num;

	for (i = 0; q[i] != NULL; i += 2) {
		for (num = 0, j = 0; opts[j].name != NULL; j++)
			if (opts[j].param && strcmp(opts[j].param, q[i]) == 0)
				num = opts[j].num;
		if (num && strspn(q[i + 1], "0123456789") == strlen(q[i + 1]) &&
		    *q[i + 1] != '\0')
			json_object_set_new(body, q[i],
			    json_integer(strtoll(q[i + 1], NULL, 10)));
		else
			json_object_set_new(body, q[i], json_string(q[i + 1]));
	}
	return body;
}

/*
 * api_static.c: the web pages (web/, issue 12) and Debian's JavaScript
 * libraries (/usr/share/javascript, e.g. libjs-chart.js), served on the
 * API's listener so that the pages call the API on their own origin. The
 * files carry no data (every value comes through the API with the
 * reader's token), so they need no token; a path that leaves its folder
 * is refused, and every answer carries the security headers.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "api_private.h"
#include "conf.h"
#include "herald.h"

#define JAVASCRIPT_DIR	"/usr/share/javascript"
#define STATIC_MAX	(16 * 1024 * 1024)

static const struct {
	const char	*ext;
	const char	*type;
} static_types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".woff2", "font/woff2" },
	{ ".map", "application/json" },
};

void
api_security_headers(struct evhttp_request *req)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);

	evhttp_add_header(out, "Content-Security-Policy", "default-src 'self'; "
	    "script-src 'self'; style-src 'self'; img-src 'self' data:; "
	    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
	    "form-action 'self'");
	evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(out, "X-Frame-Options", "DENY");
	evhttp_add_header(out, "Referrer-Policy", "no-referrer");
}

static const char *
static_type(const char *path)
{
	const char *dot = strrchr(path, '.');
	size_t i;

	for (i = 0; dot != NULL && i < sizeof(static_types) /
	    sizeof(static_types[0]); i++)
		if (strcmp(dot, static_types[i].ext) == 0)
			return static_types[i].type;
	return NULL;
}

/*
 * The file for a path under root, or -1: the path must be plain (no
 * "..", no "//", no NUL) and the real file must lie inside the real root.
 */
static int
static_open(const char *root, const char *rel, struct stat *st)
{
	char path[PATH_MAX], real[PATH_MAX], rroot[PATH_MAX];
	int fd;

	if (strstr(rel, "..") != NULL || strstr(rel, "//") != NULL ||
	    realpath(root, rroot) == NULL)
		return -1;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", rroot, rel) >=
	    sizeof(path) || realpath(path, real) == NULL ||
	    strncmp(real, rroot, strlen(rroot)) != 0 ||
	    real[strlen(rroot)] != '/')
		return -1;
	if ((fd = open(real, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode) ||
	    st->st_size > STATIC_MAX) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A GET or HEAD of a page or library: 1 when answered, 0 when not ours. */
int
api_static(struct api *a, struct evhttp_request *req, const char *path)
{
	const char *root = a->h->conf->http_web_root, *rel = path + 1, *type;
	struct evbuffer *body;
	struct stat st;
	int fd;

	if (strncmp(path, "/api/", 5) == 0)
		return 0;
	if (strcmp(path, "/") == 0)
		rel = "index.html";
	else if (strncmp(path, "/javascript/", 12) == 0) {
		root = JAVASCRIPT_DIR;
		rel = path + 12;
	}
	if ((type = static_type(rel)) == NULL ||
	    (fd = static_open(root, rel, &st)) == -1)
		return 0;
	body = evbuffer_new();
	api_security_headers(req);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", type);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Cache-Control", "no-cache");
	/* Small local files: read at once (evbuffer_add_file may mmap). */
	if (evbuffer_add_file(body, fd, 0, st.st_size) != 0) {
		close(fd);
		evbuffer_free(body);
		return 0;
	}
	api_count(a, NULL, 200);
	evhttp_send_reply(req, 200, "OK", body);
	evbuffer_free(body);
	return 1;
}

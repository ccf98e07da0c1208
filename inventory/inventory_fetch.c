/*
 * inventory_fetch.c: what every inventory download needs, whichever way it
 * runs. Credentials come from the configuration (or the URL) and are never
 * logged or recorded: inventory_url_redact() removes them with libcurl's
 * own URL parser.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inventory_fetch.h"
#include "xmalloc.h"

CURL *
inventory_fetch_easy(const struct inventory_fetch_opts *o, FILE *out,
    char *errbuf)
{
	CURL *e;

	if ((e = curl_easy_init()) == NULL)
		return NULL;
	errbuf[0] = '\0';
	curl_easy_setopt(e, CURLOPT_URL, o->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR,
	    "file,ftp,ftps,http,https,sftp,scp");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https,ftp,ftps");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(e, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)INVENTORY_MAX_BYTES);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, o->timeout > 0 ? o->timeout : 0L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT,
	    o->connect_timeout > 0 ? o->connect_timeout : 30L);
	/* A stalled server is given up after a minute below 1 byte/s. */
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 60L);
	/* ftps:// is implicit TLS; ftp:// upgrades when the server offers. */
	curl_easy_setopt(e, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	curl_easy_setopt(e, CURLOPT_FTP_USE_EPSV, 1L);
	if (o->username != NULL && *o->username != '\0')
		curl_easy_setopt(e, CURLOPT_USERNAME, o->username);
	if (o->password != NULL && *o->password != '\0')
		curl_easy_setopt(e, CURLOPT_PASSWORD, o->password);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "herald/" PACKAGE_VERSION);
	return e;
}

int
inventory_fetch_check(CURL *e, CURLcode rc, const char *errbuf, char *err,
    size_t errlen)
{
	long code = 0;

	if (rc == CURLE_OK)
		return 0;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_HTTP_RETURNED_ERROR)
		snprintf(err, errlen, "the server answered %ld", code);
	else
		snprintf(err, errlen, "%s", errbuf && *errbuf ? errbuf :
		    curl_easy_strerror(rc));
	return -1;
}

char *
inventory_url_redact(const char *url)
{
	CURLU *u = curl_url();
	char *s = NULL, *out;

	if (u == NULL || curl_url_set(u, CURLUPART_URL, url,
	    CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
		curl_url_cleanup(u);
		/* Not a URL we can parse: keep nothing that may be secret. */
		return xstrdup(strstr(url, "@") ? "(unparsable URL)" : url);
	}
	curl_url_set(u, CURLUPART_USER, NULL, 0);
	curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
	curl_url_set(u, CURLUPART_OPTIONS, NULL, 0);
	if (curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK)
		s = NULL;
	out = xstrdup(s ? s : "(unparsable URL)");
	curl_free(s);
	curl_url_cleanup(u);
	return out;
}

FILE *
inventory_fetch_tmpfile(const char *dir, char **path)
{
	FILE *f;
	int fd;

	xasprintf(path, "%s/inventory.XXXXXX", dir && *dir ? dir : "/tmp");
	if ((fd = mkstemp(*path)) < 0 || (f = fdopen(fd, "w+b")) == NULL) {
		if (fd >= 0)
			close(fd);
		free(*path);
		*path = NULL;
		return NULL;
	}
	return f;
}

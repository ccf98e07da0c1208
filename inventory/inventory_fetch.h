/*
 * inventory_fetch.h: the libcurl side of an inventory import, shared by
 * heraldctl (blocking) and heraldd (on the loop through curl_io).
 */
#ifndef HERALD_INVENTORY_FETCH_H
#define HERALD_INVENTORY_FETCH_H

#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>

/* Files larger than this are refused (a size limit on untrusted input). */
#define INVENTORY_MAX_BYTES	(4LL * 1024 * 1024 * 1024)

struct inventory_fetch_opts {
	const char	*url;
	const char	*username;	/* NULL or "": none (or from the URL) */
	const char	*password;
	long		 timeout;	/* seconds for the whole transfer */
	long		 connect_timeout;
};

/*
 * An easy handle that writes the body to out: the allowed protocols
 * (file, ftp, ftps, http, https, sftp, scp), credentials, timeouts, HTTP
 * errors as failures. errbuf must hold CURL_ERROR_SIZE bytes.
 */
CURL	*inventory_fetch_easy(const struct inventory_fetch_opts *, FILE *out,
	    char *errbuf);
/* After the transfer: 0, or -1 with a message naming what went wrong. */
int	 inventory_fetch_check(CURL *, CURLcode, const char *errbuf,
	    char *err, size_t errlen);
/* The URL without user name and password, for logs and records (malloc). */
char	*inventory_url_redact(const char *url);
/* A temporary file in dir for a download; its path is put in *path. */
FILE	*inventory_fetch_tmpfile(const char *dir, char **path);

#endif

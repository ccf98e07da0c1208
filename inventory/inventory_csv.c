/*
 * inventory_csv.c: the reading half of an inventory import.
 *
 * zlib's gzread reads gzip and plain files alike, so "file.csv.gz" needs no
 * switch. The bytes are cut into physical lines here and each line is fed
 * to libcsv on its own: that is how a record knows the line it started on
 * (quoted fields may span lines), and how a runaway quote is contained: a
 * record longer than INV_CSV_MAX_RECORD is reported and the parser starts
 * afresh on the next line instead of swallowing the rest of the file.
 */
#include "config.h"

#include <csv.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "inventory_csv.h"
#include "xmalloc.h"

#define INV_CSV_CHUNK	(256 * 1024)
/* libcsv's "no row begun" parser state (ROW_NOT_BEGUN in libcsv.c). */
#define INV_CSV_ROW_NOT_BEGUN	0

struct inv_csv {
	struct csv_parser	 parser;
	inv_csv_record_fn	 record;
	void			*arg;
	char			*buf;		/* the fields, NUL-separated */
	size_t			 len;
	size_t			 offs[INV_CSV_MAX_FIELDS];
	size_t			 nfields;
	int			 too_long;
	unsigned long		 line;		/* physical line being fed */
	unsigned long		 record_line;	/* where the record began */
	int			 stop;
};

int
inv_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	unsigned c, need;
	unsigned long cp, min;

	while (p < end) {
		c = *p++;
		if (c < 0x80) {
			if (c == 0)
				return 0;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1, cp = c & 0x1f, min = 0x80;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2, cp = c & 0x0f, min = 0x800;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3, cp = c & 0x07, min = 0x10000;
		else
			return 0;
		if ((size_t)(end - p) < need)
			return 0;
		while (need-- > 0) {
			if ((*p & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (*p++ & 0x3f);
		}
		/* Overlong forms, UTF-16 surrogates, beyond U+10FFFF. */
		if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
	}
	return 1;
}

static void
inv_csv_field_cb(void *data, size_t len, void *arg)
{
	struct inv_csv *c = arg;

	if (c->nfields >= INV_CSV_MAX_FIELDS ||
	    c->len + len + 1 > INV_CSV_MAX_RECORD) {
		c->too_long = 1;
		return;
	}
	c->offs[c->nfields++] = c->len;
	if (len > 0)
		memcpy(c->buf + c->len, data, len);
	c->len += len;
	c->buf[c->len++] = '\0';
}

static void
inv_csv_row_cb(int term, void *arg)
{
	struct inv_csv *c = arg;
	char *fields[INV_CSV_MAX_FIELDS];
	size_t i;

	for (i = 0; i < c->nfields; i++)
		fields[i] = c->buf + c->offs[i];
	if (!c->stop && c->record(c->arg, c->record_line, fields, c->nfields,
	    c->too_long) != 0)
		c->stop = 1;
	c->nfields = 0;
	c->len = 0;
	c->too_long = 0;
}

static int
inv_csv_parser_init(struct inv_csv *c)
{
	if (csv_init(&c->parser, CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
		return -1;
	csv_set_blk_size(&c->parser, 4096);
	return 0;
}

/*
 * A record that grew past the limit is reported once its line ends, and the
 * parser restarts: the quote that ran away is not allowed to eat the file.
 */
static void
inv_csv_feed_line(struct inv_csv *c, const char *line, size_t len)
{
	if (c->parser.pstate == INV_CSV_ROW_NOT_BEGUN)
		c->record_line = c->line;
	csv_parse(&c->parser, line, len, inv_csv_field_cb, inv_csv_row_cb, c);
	/* A quoted field that never ends grows inside libcsv, not here. */
	if (c->len + c->parser.entry_pos > INV_CSV_MAX_RECORD)
		c->too_long = 1;
	if (c->too_long && c->parser.pstate != INV_CSV_ROW_NOT_BEGUN) {
		inv_csv_row_cb('\n', c);
		csv_free(&c->parser);
		inv_csv_parser_init(c);
	}
}

/* Split the decompressed bytes into lines; a partial line waits in *pend. */
static size_t
inv_csv_feed(struct inv_csv *c, const char *data, size_t len, char **pend,
    size_t *pendlen, size_t *pendcap)
{
	const char *p = data, *nl;
	size_t n, lines = 0;

	while (p < data + len && !c->stop) {
		nl = memchr(p, '\n', (size_t)(data + len - p));
		n = nl ? (size_t)(nl - p) + 1 : (size_t)(data + len - p);
		if (*pendlen + n > *pendcap) {
			*pendcap = (*pendlen + n) * 2;
			*pend = xreallocarray(*pend, *pendcap, 1);
		}
		if (nl == NULL || *pendlen > 0) {
			memcpy(*pend + *pendlen, p, n);
			*pendlen += n;
		}
		if (nl != NULL) {
			c->line++;
			if (*pendlen > 0) {
				inv_csv_feed_line(c, *pend, *pendlen);
				*pendlen = 0;
			} else
				inv_csv_feed_line(c, p, n);
			lines++;
		}
		p += n;
	}
	return lines;
}

static int
inv_csv_gz_error(gzFile gz, const char *path, char *err, size_t errlen)
{
	int code;
	const char *msg = gzerror(gz, &code);

	if (code == Z_OK || code == Z_STREAM_END)
		return 0;
	if (code == Z_ERRNO)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	else if (code == Z_BUF_ERROR)
		snprintf(err, errlen, "damaged gzip file: it ends too early "
		    "(truncated download?)");
	else
		snprintf(err, errlen, "damaged gzip file: %s", msg);
	return -1;
}

static int
inv_csv_loop(struct inv_csv *c, gzFile gz, const char *path,
    inv_csv_progress_fn progress, uint64_t total, char *err, size_t errlen)
{
	char *chunk = xmalloc(INV_CSV_CHUNK), *pend = NULL;
	size_t pendlen = 0, pendcap = 0;
	int n, rc = 0;

	while (!c->stop && (n = gzread(gz, chunk, INV_CSV_CHUNK)) > 0) {
		if (inv_csv_feed(c, chunk, (size_t)n, &pend, &pendlen,
		    &pendcap) > 0 && progress != NULL)
			progress(c->arg, (uint64_t)gzoffset(gz), total);
	}
	if (!c->stop && inv_csv_gz_error(gz, path, err, errlen) != 0)
		rc = -1;
	if (rc == 0 && !c->stop && pendlen > 0) {
		c->line++;		/* the last line had no newline */
		inv_csv_feed_line(c, pend, pendlen);
	}
	if (rc == 0 && !c->stop && csv_fini(&c->parser, inv_csv_field_cb,
	    inv_csv_row_cb, c) != 0) {
		snprintf(err, errlen, "line %lu: a quoted field is not closed "
		    "before the end of the file", c->record_line);
		rc = -1;
	}
	if (rc == 0 && c->stop) {
		snprintf(err, errlen, "reading stopped");
		rc = -1;
	}
	free(chunk);
	free(pend);
	return rc;
}

int
inv_csv_read(const char *path, inv_csv_record_fn record,
    inv_csv_progress_fn progress, void *arg, char *err, size_t errlen)
{
	struct inv_csv c;
	struct stat sb;
	gzFile gz;
	int rc;

	memset(&c, 0, sizeof(c));
	if ((gz = gzopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	gzbuffer(gz, INV_CSV_CHUNK);
	if (inv_csv_parser_init(&c) != 0) {
		gzclose(gz);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c.record = record;
	c.arg = arg;
	c.buf = xmalloc(INV_CSV_MAX_RECORD);
	if (stat(path, &sb) != 0)
		sb.st_size = 0;
	rc = inv_csv_loop(&c, gz, path, progress, (uint64_t)sb.st_size, err,
	    errlen);
	if (rc == 0 && progress != NULL)
		progress(arg, (uint64_t)sb.st_size, (uint64_t)sb.st_size);
	csv_free(&c.parser);
	free(c.buf);
	gzclose(gz);
	return rc;
}

int
inv_csv_checksum(const char *path, char hex[65], uint64_t *bytes, char *err,
    size_t errlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0, i;
	EVP_MD_CTX *ctx;
	char *buf;
	size_t n;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf = xmalloc(INV_CSV_CHUNK);
	ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	*bytes = 0;
	while ((n = fread(buf, 1, INV_CSV_CHUNK, f)) > 0) {
		EVP_DigestUpdate(ctx, buf, n);
		*bytes += n;
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	free(buf);
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		fclose(f);
		return -1;
	}
	fclose(f);
	for (i = 0; i < mdlen && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[64] = '\0';
	return 0;
}

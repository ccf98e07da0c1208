/*
 * inventory_import.c: validate an inventory file row by row and swap it in.
 *
 * The whole import is one transaction on a blocking connection:
 *
 *   BEGIN; advisory lock (one import at a time, across machines);
 *   same checksum as the import in force? -> "unchanged", nothing touched;
 *   COPY the good rows into a temporary staging table while reading;
 *   too many bad rows? -> ROLLBACK, the old inventory stays;
 *   merge with set-based SQL (inventory_merge.c), record, NOTIFY, COMMIT.
 *
 * Rows are checked here, in C, because every error needs its line number
 * and the checks that span rows (duplicate accounts, an ONU given two
 * serials) are hash lookups. Nothing of the file is pasted into SQL: the
 * values travel in COPY's text format, escaped below.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hmap.h"
#include "inventory_csv.h"
#include "inventory_import.h"
#include "inventory_merge.h"
#include "xmalloc.h"

#define INV_COPY_FLUSH		(1024 * 1024)
#define INV_ERRORS_KEPT		10000
#define INV_ACCOUNT_MAX		64
#define INV_NAME_MAX		64
#define INV_PORT_MAX		65535
#define INV_ONU_MAX		4095

/* The columns of each file; a file's header names them in any order. */
enum {
	C_ACCOUNT, C_NAME, C_PHONES, C_ADDRESS, C_REGION, C_LANGUAGE,
	C_CONTACT, C_OPTOUT, C_DEVICE, C_FRAME, C_SLOT, C_PORT, C_ONU,
	C_SERIAL, C_SPLITTER, C_CIRCUIT, C_IFINDEX, C_NCOLS
};
static const struct inv_column {
	const char	*name;
	int		 required;
} inv_sub_columns[] = {
	{ "account", 1 }, { "name", 1 }, { "phones", 1 }, { "address", 1 },
	{ "region", 1 }, { "language", 0 }, { "contact", 0 },
	{ "sms_opt_out", 0 }, { "device", 1 }, { "frame", 0 }, { "slot", 1 },
	{ "port", 1 }, { "onu_id", 0 }, { "onu_serial", 0 },
	{ "splitter", 0 }, { "circuit_id", 0 }, { "if_index", 0 },
};

enum {
	D_NAME, D_KIND, D_VENDOR, D_MODEL, D_ADDR, D_PROFILE, D_REGION,
	D_SITE, D_SNMP_PORT, D_NCOLS
};
static const struct inv_column inv_dev_columns[] = {
	{ "name", 1 }, { "kind", 1 }, { "vendor", 1 }, { "model", 0 },
	{ "mgmt_addr", 1 }, { "snmp_profile", 0 }, { "region", 0 },
	{ "site", 0 }, { "snmp_port", 0 },
};

struct inv_err {
	unsigned long	 line;
	char		*reason;
};

/* What an earlier row said about an ONU or a DSL port. */
struct inv_seen {
	uint32_t	 key;		/* arena offsets; 0 = empty string */
	uint32_t	 serial;
	uint32_t	 splitter;
	uint32_t	 line;
	uint32_t	 ifx;		/* a DSL port's if_index, as text */
};

struct inv_vec {
	struct inv_seen	*v;
	size_t		 n, cap;
};

struct inv_import {
	PGconn				*conn;
	const struct inv_import_opts	*o;
	struct inv_import_result	*r;
	const struct inv_column		*cols;
	size_t				 ncols;
	int				 col[C_NCOLS];	/* file field, or -1 */
	size_t				 nfields;	/* per row */
	int				 header_done;
	int				 fatal;

	char		*arena;			/* NUL-terminated strings */
	size_t		 alen, acap;

	/* Devices known to the database: name -> index. */
	struct hmap_str	 dev_map;
	uint32_t	*dev_name;
	char		**dev_id;
	char		*dev_kind;		/* 'o'lt or 'd'slam */
	size_t		 ndev;

	/* Values seen in this file, for the checks across rows. */
	struct hmap_str	 names;			/* accounts, device names */
	struct inv_vec	 name_v;		/* key, line */
	struct hmap_str	 onus;			/* "dev/f/s/p/onu" */
	struct inv_vec	 onu_v;
	struct hmap_str	 serials;		/* value: index in onu_v */
	struct hmap_str	 ifxs;			/* "dev#ifindex" */
	struct inv_vec	 ifx_v;
	struct hmap_str	 addrs;			/* device addresses */
	struct inv_vec	 addr_v;

	char		*copy;
	size_t		 clen, ccap;
	char		*keep;			/* accounts of rejected rows */
	size_t		 klen, kcap;

	struct inv_err	*errs;
	size_t		 nerrs;
};

const char inventory_fetch_failed_sql[] =
	"INSERT INTO inventory_imports (kind, source, checksum, finished_at, "
	"duration_ms, result, error, run_by) VALUES ($1, $2, '', now(), 0, "
	"'failed', 'cannot fetch: ' || $3, $4)";

const char *
inventory_kind_name(enum inv_kind k)
{
	return k == INV_KIND_DEVICES ? "devices" : "subscribers";
}

const char *
inventory_result_name(enum inv_result r)
{
	static const char *const names[] = { "ok", "unchanged", "failed" };

	return names[r];
}

int
inventory_parse_threshold(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	while (*end == ' ')
		end++;
	if (end == s)
		return -1;
	if (*end == '%') {
		v /= 100.0;
		end++;
	}
	if (*end != '\0' || v < 0.0 || v > 1.0)
		return -1;
	*out = v;
	return 0;
}

/*
 * Chinese area codes are 10 (Beijing), 2X, then 3XX-9XX: never 1 followed
 * by anything but 0, which is how "0" + a mobile number is told apart
 * from a long-distance call to Beijing.
 */
static int
inv_area_ok(const char *s)
{
	return (s[0] == '1' && s[1] == '0') || (s[0] >= '2' && s[0] <= '9');
}

static int
inv_mobile(const char *s, size_t n)
{
	return n == 11 && s[0] == '1' && s[1] >= '3' && s[1] <= '9';
}

/* Where a fixed line's extension starts ("转801", "ext 801", "x801"). */
static const char *
inv_extension(const char *p)
{
	static const char *const marks[] = { "\xe8\xbd\xac", "ext.", "ext",
	    "EXT", "x", "X", "#" };
	const char *e;
	size_t i, k;

	for (i = 0; i < sizeof(marks) / sizeof(*marks); i++) {
		k = strlen(marks[i]);
		if (strncmp(p, marks[i], k) != 0)
			continue;
		for (e = p + k; *e == ' '; e++)
			;
		for (k = 0; isdigit((unsigned char)e[k]); k++)
			;
		return k >= 1 && k <= 6 && e[k] == '\0' ? p : NULL;
	}
	return NULL;
}

/* The digits of in, spaces and dashes dropped; -1 on anything else. */
static int
inv_phone_digits(const char *in, char *d, size_t len, int *ext)
{
	size_t n = 0;

	*ext = 0;
	for (; *in != '\0'; in++) {
		if (*in == ' ' || *in == '-')
			continue;
		if (n > 0 && inv_extension(in) != NULL) {
			*ext = 1;
			break;
		}
		if (!isdigit((unsigned char)*in) || n >= len - 1)
			return -1;
		d[n++] = *in;
	}
	d[n] = '\0';
	return 0;
}

static int
inv_phone_copy(char *out, size_t len, const char *trunk, const char *s,
    size_t n)
{
	size_t t = strlen(trunk);

	if (len < t + n + 1)
		return -1;
	memcpy(out, trunk, t);
	memcpy(out + t, s, n + 1);
	return 0;
}

/* The rules are written out in doc/inventory.md ("Phones"). */
int
inventory_phone_normalise(const char *in, char *out, size_t len)
{
	char d[32];
	size_t n;
	const char *s = d;
	int plus = in[0] == '+', cc = 1, ext;

	/* Only China's country code: "+1 415..." is not a local number. */
	if (plus && strncmp(in + 1, "86", 2) != 0)
		return -1;
	if (inv_phone_digits(in + plus, d, sizeof(d), &ext) != 0)
		return -1;
	n = strlen(d);
	/* Country code: +86 / 0086 / 86 in front of a mobile or fixed line. */
	if (plus)
		s += 2, n -= 2;
	else if (n >= 13 && strncmp(s, "0086", 4) == 0)
		s += 4, n -= 4;
	else if (n >= 11 && n <= 14 && strncmp(s, "86", 2) == 0 &&
	    (inv_mobile(s + 2, n - 2) || s[2] == '0' ||
	    (n <= 13 && inv_area_ok(s + 2))))
		s += 2, n -= 2;
	else
		cc = 0;
	/* A long-distance 0 before a mobile: 013800138000 is 13800138000. */
	if (n == 12 && s[0] == '0' && inv_mobile(s + 1, 11))
		s++, n--;
	if (inv_mobile(s, n))
		return ext ? -1 : inv_phone_copy(out, len, "", s, n);
	/* +86 10 12345678: the trunk 0 comes back. */
	if (cc && n >= 9 && n <= 11 && inv_area_ok(s))
		return inv_phone_copy(out, len, "0", s, n);
	/* A fixed line's extension is dropped: the switchboard's number is
	 * the one that calls in and the one a lookup is given. */
	if (n >= 10 && n <= 12 && s[0] == '0' && inv_area_ok(s + 1))
		return inv_phone_copy(out, len, "", s, n);
	return -1;
}

/* Strings live in one arena and are named by offset: it may move. */
static uint32_t
inv_arena_add(struct inv_import *imp, const char *s)
{
	size_t n = strlen(s) + 1, off;

	if (n == 1)
		return 0;
	if (imp->alen + n > imp->acap) {
		imp->acap = (imp->alen + n) * 2;
		imp->arena = xreallocarray(imp->arena, imp->acap, 1);
	}
	off = imp->alen;
	memcpy(imp->arena + off, s, n);
	imp->alen += n;
	return (uint32_t)off;
}

static const char *
inv_str(const struct inv_import *imp, uint32_t off)
{
	return imp->arena + off;
}

static uint32_t
inv_vec_add(struct inv_vec *v, const struct inv_seen *s)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 1024;
		v->v = xreallocarray(v->v, v->cap, sizeof(*v->v));
	}
	v->v[v->n] = *s;
	return (uint32_t)v->n++;
}

static const char *
inv_key_name(const void *ctx, uint32_t i)
{
	const struct inv_import *imp = ctx;

	return inv_str(imp, imp->name_v.v[i].key);
}

static const char *
inv_key_onu(const void *ctx, uint32_t i)
{
	const struct inv_import *imp = ctx;

	return inv_str(imp, imp->onu_v.v[i].key);
}

static const char *
inv_key_serial(const void *ctx, uint32_t i)
{
	const struct inv_import *imp = ctx;

	return inv_str(imp, imp->onu_v.v[i].serial);
}

static const char *
inv_key_ifx(const void *ctx, uint32_t i)
{
	const struct inv_import *imp = ctx;

	return inv_str(imp, imp->ifx_v.v[i].key);
}

static const char *
inv_key_addr(const void *ctx, uint32_t i)
{
	const struct inv_import *imp = ctx;

	return inv_str(imp, imp->addr_v.v[i].key);
}

static const char *
inv_key_device(const void *ctx, uint32_t i)
{
	const struct inv_import *imp = ctx;

	return inv_str(imp, imp->dev_name[i]);
}

static void
inv_fail(struct inv_import *imp, int retryable, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
inv_fail(struct inv_import *imp, int retryable, const char *fmt, ...)
{
	va_list ap;

	if (imp->fatal)
		return;
	imp->fatal = 1;
	imp->r->retryable = retryable;
	va_start(ap, fmt);
	vsnprintf(imp->r->error, sizeof(imp->r->error), fmt, ap);
	va_end(ap);
	imp->r->error[strcspn(imp->r->error, "\n")] = '\0';
}

/* A rejected row: counted, reported, and kept for the record. */
static int
inv_reject(struct inv_import *imp, unsigned long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
inv_reject(struct inv_import *imp, unsigned long line, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	imp->r->rejected++;
	if (imp->o->line_error != NULL)
		imp->o->line_error(imp->o->arg, line, reason);
	if (imp->nerrs < INV_ERRORS_KEPT) {
		imp->errs = xreallocarray(imp->errs, imp->nerrs + 1,
		    sizeof(*imp->errs));
		imp->errs[imp->nerrs].line = line;
		imp->errs[imp->nerrs].reason = xstrdup(reason);
		imp->nerrs++;
	}
	return -1;
}

/* Statements of the import; a failure ends it (the database's fault). */
static PGresult *
inv_exec(struct inv_import *imp, const char *sql, int n,
    const char *const *params)
{
	PGresult *res;
	ExecStatusType st;

	res = PQexecParams(imp->conn, sql, n, NULL, params, NULL, NULL, 0);
	st = PQresultStatus(res);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return res;
	inv_fail(imp, PQstatus(imp->conn) != CONNECTION_OK,
	    "database: %s", PQresultErrorMessage(res));
	PQclear(res);
	return NULL;
}

static int
inv_run(struct inv_import *imp, const char *sql)
{
	PGresult *res = inv_exec(imp, sql, 0, NULL);

	PQclear(res);
	return res ? 0 : -1;
}

/* COPY text format: backslash, tab, newline and CR are escaped. */
static void
inv_copy_reserve(struct inv_import *imp, size_t n)
{
	if (imp->clen + n > imp->ccap) {
		imp->ccap = (imp->clen + n) * 2;
		imp->copy = xreallocarray(imp->copy, imp->ccap, 1);
	}
}

static void
inv_copy_field(struct inv_import *imp, const char *s, int last)
{
	char *d;

	inv_copy_reserve(imp, s ? strlen(s) * 2 + 4 : 4);
	d = imp->copy + imp->clen;
	if (s == NULL) {
		*d++ = '\\';
		*d++ = 'N';
	}
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '\\': *d++ = '\\'; *d++ = '\\'; break;
		case '\t': *d++ = '\\'; *d++ = 't'; break;
		case '\n': *d++ = '\\'; *d++ = 'n'; break;
		case '\r': *d++ = '\\'; *d++ = 'r'; break;
		default: *d++ = *s; break;
		}
	}
	*d++ = last ? '\n' : '\t';
	imp->clen = (size_t)(d - imp->copy);
}

static void
inv_copy_flush(struct inv_import *imp, int force)
{
	if (imp->clen == 0 || (!force && imp->clen < INV_COPY_FLUSH))
		return;
	if (PQputCopyData(imp->conn, imp->copy, (int)imp->clen) != 1)
		inv_fail(imp, 1, "database: %s", PQerrorMessage(imp->conn));
	imp->clen = 0;
}

static void
inv_trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	while (isspace((unsigned char)s[i]))
		i++;
	if (i > 0)
		memmove(s, s + i, n - i + 1);
}

static const char *
inv_f(const struct inv_import *imp, char **f, int c)
{
	return imp->col[c] >= 0 ? f[imp->col[c]] : "";
}

/* The header names the columns; anything unexpected fails the file. */
static int
inv_header(struct inv_import *imp, char **f, size_t n)
{
	size_t i, c;

	for (c = 0; c < imp->ncols; c++)
		imp->col[c] = -1;
	if (n > 0 && strncmp(f[0], "\xef\xbb\xbf", 3) == 0)
		memmove(f[0], f[0] + 3, strlen(f[0] + 3) + 1);	/* BOM */
	for (i = 0; i < n; i++) {
		inv_trim(f[i]);
		for (c = 0; c < imp->ncols; c++)
			if (strcasecmp(f[i], imp->cols[c].name) == 0)
				break;
		if (c == imp->ncols) {
			inv_fail(imp, 0, "line 1: wrong header: unknown "
			    "column \"%.40s\"", f[i]);
			return -1;
		}
		if (imp->col[c] >= 0) {
			inv_fail(imp, 0, "line 1: wrong header: column "
			    "\"%s\" appears twice", imp->cols[c].name);
			return -1;
		}
		imp->col[c] = (int)i;
	}
	for (c = 0; c < imp->ncols; c++)
		if (imp->cols[c].required && imp->col[c] < 0) {
			inv_fail(imp, 0, "line 1: wrong header: missing column "
			    "\"%s\"", imp->cols[c].name);
			return -1;
		}
	imp->nfields = n;
	return 0;
}

static int
inv_int(const char *s, long max, long dflt, long *out)
{
	char *end;
	long v;

	if (*s == '\0') {
		*out = dflt;
		return dflt < 0 ? -1 : 0;
	}
	if (!isdigit((unsigned char)*s))
		return -1;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
inv_check_text(struct inv_import *imp, unsigned long line, char **f,
    size_t n)
{
	size_t i, c;

	for (i = 0; i < n; i++) {
		if (inv_utf8_valid(f[i], strlen(f[i])))
			continue;
		for (c = 0; c < imp->ncols && imp->col[c] != (int)i; c++)
			;
		return inv_reject(imp, line, "not valid UTF-8 in column \"%s\" "
		    "(the file must be UTF-8, not GBK)",
		    c < imp->ncols ? imp->cols[c].name : "?");
	}
	for (i = 0; i < n; i++)
		inv_trim(f[i]);
	return 0;
}

/* Accounts and device names: printable, no spaces, unique in the file. */
static int
inv_check_name(struct inv_import *imp, unsigned long line, const char *what,
    const char *s, size_t max)
{
	struct inv_seen seen = { 0, 0, 0, (uint32_t)line, 0 };
	uint32_t old;
	const char *p;

	if (*s == '\0')
		return inv_reject(imp, line, "%s is empty", what);
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == ',' || *p == '\\')
			break;
	if (*p != '\0' || strlen(s) > max)
		return inv_reject(imp, line, "%s \"%.80s\" is not valid (no "
		    "spaces, commas or backslashes; at most %zu bytes)", what,
		    s, max);
	if (hmap_str_get(&imp->names, s, &old))
		return inv_reject(imp, line, "duplicate %s \"%s\" (first on "
		    "line %u)", what, s, imp->name_v.v[old].line);
	seen.key = inv_arena_add(imp, s);
	hmap_str_add(&imp->names, s, inv_vec_add(&imp->name_v, &seen));
	return 0;
}

/* "13800138000;0755-12345678" -> "{13800138000,075512345678}" */
static int
inv_phones(struct inv_import *imp, unsigned long line, const char *in,
    char *out, size_t len)
{
	char buf[512], one[32], *tok, *save = NULL;
	size_t n = 0, used = 1;

	snprintf(buf, sizeof(buf), "%s", in);
	out[0] = '{';
	for (tok = strtok_r(buf, ";", &save); tok != NULL;
	    tok = strtok_r(NULL, ";", &save)) {
		inv_trim(tok);
		if (*tok == '\0')
			continue;
		if (inventory_phone_normalise(tok, one, sizeof(one)) != 0)
			return inv_reject(imp, line, "malformed phone \"%.40s\"",
			    tok);
		if (used + strlen(one) + 3 > len)
			return inv_reject(imp, line, "too many phones");
		used += (size_t)snprintf(out + used, len - used, "%s%s",
		    n++ ? "," : "", one);
	}
	if (n == 0)
		return inv_reject(imp, line, "missing phone");
	snprintf(out + used, len - used, "}");
	return 0;
}

static int
inv_choice(const char *s, const char *const *allowed, const char **out)
{
	size_t i;

	if (*s == '\0') {
		*out = allowed[0];
		return 0;
	}
	for (i = 0; allowed[i] != NULL; i++)
		if (strcasecmp(s, allowed[i]) == 0) {
			*out = allowed[i];
			return 0;
		}
	return -1;
}

static int
inv_bool(const char *s, const char **out)
{
	static const char *const no[] = { "0", "false", "no", "n", "f", NULL };
	static const char *const yes[] = { "1", "true", "yes", "y", "t", NULL };
	const char *dummy;

	if (*s == '\0' || inv_choice(s, no, &dummy) == 0) {
		*out = "f";
		return 0;
	}
	if (inv_choice(s, yes, &dummy) == 0) {
		*out = "t";
		return 0;
	}
	return -1;
}

/* The place of a row: device known, numbers in range. */
struct inv_place {
	const char	*dev_id;
	char		 kind;
	long		 frame, slot, port, onu;
	char		 if_index[24];	/* "" when the row gives none */
};

/*
 * A DSL line's ifIndex (IF-MIB InterfaceIndex; some vendors use all 32
 * bits): what its linkDown/linkUp traps carry. Kept as canonical text.
 */
static int
inv_check_ifindex(struct inv_import *imp, unsigned long line, char **f,
    struct inv_place *pl)
{
	const char *s = inv_f(imp, f, C_IFINDEX);
	unsigned long long v;
	char *end;

	pl->if_index[0] = '\0';
	if (*s == '\0')
		return 0;
	if (!isdigit((unsigned char)*s) || strlen(s) > 10)
		goto bad;
	v = strtoull(s, &end, 10);
	if (*end != '\0' || v < 1 || v > 4294967295ULL)
		goto bad;
	snprintf(pl->if_index, sizeof(pl->if_index), "%llu", v);
	return 0;
bad:
	return inv_reject(imp, line, "bad if_index \"%.20s\" (1-4294967295)",
	    s);
}

static int
inv_check_place(struct inv_import *imp, unsigned long line, char **f,
    struct inv_place *pl)
{
	const char *dev = inv_f(imp, f, C_DEVICE);
	uint32_t d;

	pl->if_index[0] = '\0';
	if (!hmap_str_get(&imp->dev_map, dev, &d))
		return inv_reject(imp, line, "unknown device \"%.64s\"", dev);
	pl->dev_id = imp->dev_id[d];
	pl->kind = imp->dev_kind[d];
	if (inv_int(inv_f(imp, f, C_FRAME), INV_PORT_MAX, 0, &pl->frame) != 0)
		return inv_reject(imp, line, "bad frame number \"%.20s\"",
		    inv_f(imp, f, C_FRAME));
	if (inv_int(inv_f(imp, f, C_SLOT), INV_PORT_MAX, -1, &pl->slot) != 0)
		return inv_reject(imp, line, "bad slot number \"%.20s\"",
		    inv_f(imp, f, C_SLOT));
	if (inv_int(inv_f(imp, f, C_PORT), INV_PORT_MAX, -1, &pl->port) != 0)
		return inv_reject(imp, line, "bad port number \"%.20s\"",
		    inv_f(imp, f, C_PORT));
	if (pl->kind == 'd') {
		if (*inv_f(imp, f, C_ONU) != '\0' ||
		    *inv_f(imp, f, C_SERIAL) != '\0')
			return inv_reject(imp, line, "conflicting attachment: "
			    "\"%s\" is a DSLAM but the row names an ONU", dev);
		pl->onu = -1;
		return inv_check_ifindex(imp, line, f, pl);
	}
	if (*inv_f(imp, f, C_IFINDEX) != '\0')
		return inv_reject(imp, line, "if_index is for DSL lines: \"%s\" "
		    "is an OLT (its ports' ifIndexes come from its profile)",
		    dev);
	if (*inv_f(imp, f, C_ONU) == '\0')
		return inv_reject(imp, line, "missing onu_id: \"%s\" is an OLT",
		    dev);
	if (inv_int(inv_f(imp, f, C_ONU), INV_ONU_MAX, -1, &pl->onu) != 0)
		return inv_reject(imp, line, "bad onu_id \"%.20s\" (0-%d)",
		    inv_f(imp, f, C_ONU), INV_ONU_MAX);
	return 0;
}

static int
inv_check_serial(const char *s)
{
	size_t n = strlen(s), i;

	if (n < 8 || n > 24)
		return -1;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]))
			return -1;
	return 0;
}

/* One ifIndex names one port of a device. */
static int
inv_check_ifindex_unique(struct inv_import *imp, unsigned long line,
    const char *dev, const struct inv_place *pl)
{
	struct inv_seen seen = { 0, 0, 0, (uint32_t)line, 0 };
	char key[64];
	uint32_t i;

	if (pl->if_index[0] == '\0')
		return 0;
	snprintf(key, sizeof(key), "%s#%s", pl->dev_id, pl->if_index);
	if (hmap_str_get(&imp->ifxs, key, &i))
		return inv_reject(imp, line, "conflicting attachment: %s "
		    "if_index %s is also another port's (line %u)", dev,
		    pl->if_index, imp->ifx_v.v[i].line);
	seen.key = inv_arena_add(imp, key);
	hmap_str_add(&imp->ifxs, key, inv_vec_add(&imp->ifx_v, &seen));
	return 0;
}

/*
 * An ONU (or a DSL port) must be described the same way by every row that
 * names it, and a serial number can only be at one place.
 */
static int
inv_check_attachment(struct inv_import *imp, unsigned long line, char **f,
    const struct inv_place *pl)
{
	const char *dev = inv_f(imp, f, C_DEVICE);
	const char *serial = inv_f(imp, f, C_SERIAL);
	const char *splitter = pl->kind == 'o' ?
	    inv_f(imp, f, C_SPLITTER) : inv_f(imp, f, C_CIRCUIT);
	struct inv_seen seen, *o;
	char key[128];
	uint32_t i;

	if (*serial != '\0' && inv_check_serial(serial) != 0)
		return inv_reject(imp, line, "bad onu_serial \"%.40s\" (8-24 "
		    "letters and digits)", serial);
	snprintf(key, sizeof(key), "%s/%ld/%ld/%ld/%ld", pl->dev_id, pl->frame,
	    pl->slot, pl->port, pl->onu);
	if (hmap_str_get(&imp->onus, key, &i)) {
		o = &imp->onu_v.v[i];
		if (strcmp(inv_str(imp, o->serial), serial) != 0)
			return inv_reject(imp, line, "conflicting attachment: "
			    "%s %ld/%ld/%ld:%ld has serial \"%s\" on line %u, "
			    "\"%.40s\" here", dev, pl->frame, pl->slot, pl->port,
			    pl->onu, inv_str(imp, o->serial), o->line, serial);
		if (strcmp(inv_str(imp, o->splitter), splitter) != 0)
			return inv_reject(imp, line, "conflicting attachment: "
			    "%s %ld/%ld/%ld is under \"%s\" on line %u, "
			    "\"%.40s\" here", dev, pl->frame, pl->slot,
			    pl->port, inv_str(imp, o->splitter), o->line,
			    splitter);
		if (strcmp(inv_str(imp, o->ifx), pl->if_index) != 0)
			return inv_reject(imp, line, "conflicting attachment: "
			    "%s %ld/%ld/%ld has if_index \"%s\" on line %u, "
			    "\"%s\" here", dev, pl->frame, pl->slot, pl->port,
			    inv_str(imp, o->ifx), o->line, pl->if_index);
		return 0;
	}
	if (inv_check_ifindex_unique(imp, line, dev, pl) != 0)
		return -1;
	if (*serial != '\0' && hmap_str_get(&imp->serials, serial, &i))
		return inv_reject(imp, line, "conflicting attachment: ONU "
		    "serial \"%s\" is also at another place (line %u)", serial,
		    imp->onu_v.v[i].line);
	seen.key = inv_arena_add(imp, key);
	seen.serial = inv_arena_add(imp, serial);
	seen.splitter = inv_arena_add(imp, splitter);
	seen.ifx = inv_arena_add(imp, pl->if_index);
	seen.line = (uint32_t)line;
	i = inv_vec_add(&imp->onu_v, &seen);
	hmap_str_add(&imp->onus, key, i);
	if (*serial != '\0')
		hmap_str_add(&imp->serials, serial, i);
	return 0;
}

static void
inv_keep_account(struct inv_import *imp, const char *account)
{
	size_t n = strlen(account);

	if (n == 0 || n > INV_ACCOUNT_MAX || strpbrk(account, "\\\t\n\r"))
		return;
	if (imp->klen + n + 1 > imp->kcap) {
		imp->kcap = (imp->klen + n + 1) * 2;
		imp->keep = xreallocarray(imp->keep, imp->kcap, 1);
	}
	memcpy(imp->keep + imp->klen, account, n);
	imp->klen += n;
	imp->keep[imp->klen++] = '\n';
}

static const char *
inv_null(const char *s)
{
	return *s == '\0' ? NULL : s;
}

static void
inv_sub_emit(struct inv_import *imp, unsigned long line, char **f,
    const struct inv_place *pl, const char *phones, const char *lang,
    const char *contact, const char *optout)
{
	char num[5][24];

	snprintf(num[0], sizeof(num[0]), "%lu", line);
	snprintf(num[1], sizeof(num[1]), "%ld", pl->frame);
	snprintf(num[2], sizeof(num[2]), "%ld", pl->slot);
	snprintf(num[3], sizeof(num[3]), "%ld", pl->port);
	snprintf(num[4], sizeof(num[4]), "%ld", pl->onu);
	inv_copy_field(imp, num[0], 0);
	inv_copy_field(imp, inv_f(imp, f, C_ACCOUNT), 0);
	inv_copy_field(imp, inv_null(inv_f(imp, f, C_NAME)), 0);
	inv_copy_field(imp, phones, 0);
	inv_copy_field(imp, inv_null(inv_f(imp, f, C_ADDRESS)), 0);
	inv_copy_field(imp, inv_null(inv_f(imp, f, C_REGION)), 0);
	inv_copy_field(imp, lang, 0);
	inv_copy_field(imp, contact, 0);
	inv_copy_field(imp, optout, 0);
	inv_copy_field(imp, pl->dev_id, 0);
	inv_copy_field(imp, num[1], 0);
	inv_copy_field(imp, num[2], 0);
	inv_copy_field(imp, num[3], 0);
	inv_copy_field(imp, pl->onu < 0 ? NULL : num[4], 0);
	inv_copy_field(imp, inv_null(inv_f(imp, f, C_SERIAL)), 0);
	inv_copy_field(imp, pl->onu < 0 ? NULL :
	    inv_null(inv_f(imp, f, C_SPLITTER)), 0);
	inv_copy_field(imp, pl->onu >= 0 ? NULL :
	    inv_null(inv_f(imp, f, C_CIRCUIT)), 0);
	inv_copy_field(imp, inv_null(pl->if_index), 1);
	inv_copy_flush(imp, 0);
}

static int
inv_sub_row(struct inv_import *imp, unsigned long line, char **f)
{
	static const char *const langs[] = { "zh", "en", NULL };
	static const char *const contacts[] = { "sms", "voice", "none", NULL };
	const char *lang, *contact, *optout;
	struct inv_place pl;
	char phones[512];

	if (inv_check_name(imp, line, "account", inv_f(imp, f, C_ACCOUNT),
	    INV_ACCOUNT_MAX) != 0)
		return -1;
	if (inv_phones(imp, line, inv_f(imp, f, C_PHONES), phones,
	    sizeof(phones)) != 0)
		return -1;
	if (inv_choice(inv_f(imp, f, C_LANGUAGE), langs, &lang) != 0)
		return inv_reject(imp, line, "bad language \"%.20s\" (zh or "
		    "en)", inv_f(imp, f, C_LANGUAGE));
	if (inv_choice(inv_f(imp, f, C_CONTACT), contacts, &contact) != 0)
		return inv_reject(imp, line, "bad contact \"%.20s\" (sms, "
		    "voice or none)", inv_f(imp, f, C_CONTACT));
	if (inv_bool(inv_f(imp, f, C_OPTOUT), &optout) != 0)
		return inv_reject(imp, line, "bad sms_opt_out \"%.20s\" (0 or "
		    "1)", inv_f(imp, f, C_OPTOUT));
	if (inv_check_place(imp, line, f, &pl) != 0 ||
	    inv_check_attachment(imp, line, f, &pl) != 0)
		return -1;
	inv_sub_emit(imp, line, f, &pl, phones, lang, contact, optout);
	return 0;
}

static int
inv_dev_row(struct inv_import *imp, unsigned long line, char **f)
{
	static const char *const kinds[] = { "olt", "dslam", NULL };
	struct inv_seen seen = { 0, 0, 0, (uint32_t)line, 0 };
	unsigned char buf[sizeof(struct in6_addr)];
	const char *kind, *addr = inv_f(imp, f, D_ADDR);
	char canon[INET6_ADDRSTRLEN];
	int af = strchr(addr, ':') ? AF_INET6 : AF_INET, c;
	uint32_t old;

	if (inv_check_name(imp, line, "device name", inv_f(imp, f, D_NAME),
	    INV_NAME_MAX) != 0)
		return -1;
	if (*inv_f(imp, f, D_KIND) == '\0' ||
	    inv_choice(inv_f(imp, f, D_KIND), kinds, &kind) != 0)
		return inv_reject(imp, line, "bad kind \"%.20s\" (olt or "
		    "dslam)", inv_f(imp, f, D_KIND));
	if (*inv_f(imp, f, D_VENDOR) == '\0')
		return inv_reject(imp, line, "vendor is empty");
	if (inet_pton(af, addr, buf) != 1)
		return inv_reject(imp, line, "bad mgmt_addr \"%.64s\" (a numeric "
		    "IPv4 or IPv6 address)", addr);
	if (*inv_f(imp, f, D_SNMP_PORT) != '\0') {
		char *end;
		long port = strtol(inv_f(imp, f, D_SNMP_PORT), &end, 10);

		if (*end != '\0' || port < 1 || port > 65535)
			return inv_reject(imp, line, "bad snmp_port \"%.20s\" "
			    "(1-65535)", inv_f(imp, f, D_SNMP_PORT));
	}
	inet_ntop(af, buf, canon, sizeof(canon));
	if (hmap_str_get(&imp->addrs, canon, &old))
		return inv_reject(imp, line, "duplicate mgmt_addr %s (first on "
		    "line %u)", canon, imp->addr_v.v[old].line);
	seen.key = inv_arena_add(imp, canon);
	hmap_str_add(&imp->addrs, canon, inv_vec_add(&imp->addr_v, &seen));
	snprintf(canon, sizeof(canon), "%lu", line);
	inv_copy_field(imp, canon, 0);
	for (c = D_NAME; c < D_NCOLS; c++) {
		if (c == D_KIND)
			inv_copy_field(imp, kind, 0);
		else if (c == D_PROFILE && *inv_f(imp, f, c) == '\0')
			inv_copy_field(imp, "default", 0);
		else if (c == D_SNMP_PORT && *inv_f(imp, f, c) == '\0')
			inv_copy_field(imp, "161", 1);
		else
			inv_copy_field(imp, inv_null(inv_f(imp, f, c)),
			    c == D_NCOLS - 1);
	}
	inv_copy_flush(imp, 0);
	return 0;
}

static int
inv_record_cb(void *arg, unsigned long line, char **f, size_t n, int too_long)
{
	struct inv_import *imp = arg;
	int rc;

	if (imp->fatal)
		return -1;
	if (!imp->header_done) {
		imp->header_done = 1;
		if (!inv_utf8_valid(f[0], strlen(f[0])) || n == 0) {
			inv_fail(imp, 0, "line %lu: wrong header: not UTF-8 "
			    "text (convert with iconv -f GBK -t UTF-8)", line);
			return -1;
		}
		return inv_header(imp, f, n);
	}
	if (n == 1 && f[0][0] == '\0')
		return 0;		/* a line of spaces */
	imp->r->rows++;
	if (too_long)
		rc = inv_reject(imp, line, "record longer than %d bytes or "
		    "%d fields (an unclosed quote?)", INV_CSV_MAX_RECORD,
		    INV_CSV_MAX_FIELDS);
	else if (n != imp->nfields)
		rc = inv_reject(imp, line, "%zu fields, expected %zu", n,
		    imp->nfields);
	else if ((rc = inv_check_text(imp, line, f, n)) == 0)
		rc = imp->o->kind == INV_KIND_DEVICES ?
		    inv_dev_row(imp, line, f) : inv_sub_row(imp, line, f);
	if (rc == 0)
		imp->r->loaded++;
	else if (imp->o->kind == INV_KIND_SUBSCRIBERS && !too_long &&
	    imp->col[C_ACCOUNT] >= 0 && (size_t)imp->col[C_ACCOUNT] < n)
		inv_keep_account(imp, f[imp->col[C_ACCOUNT]]);
	return imp->fatal ? -1 : 0;
}

static void
inv_progress_cb(void *arg, uint64_t done, uint64_t total)
{
	struct inv_import *imp = arg;

	if (imp->o->progress != NULL)
		imp->o->progress(imp->o->arg, done, total);
}

/* The devices the rows may name: name -> id and kind. */
static int
inv_load_devices(struct inv_import *imp)
{
	PGresult *res;
	int i, n;

	res = inv_exec(imp, "SELECT name, id, kind FROM devices", 0, NULL);
	if (res == NULL)
		return -1;
	n = PQntuples(res);
	imp->ndev = (size_t)n;
	imp->dev_name = xcalloc((size_t)n + 1, sizeof(*imp->dev_name));
	imp->dev_id = xcalloc((size_t)n + 1, sizeof(*imp->dev_id));
	imp->dev_kind = xcalloc((size_t)n + 1, 1);
	hmap_str_init(&imp->dev_map, (size_t)n, inv_key_device, imp);
	for (i = 0; i < n; i++) {
		imp->dev_name[i] = inv_arena_add(imp, PQgetvalue(res, i, 0));
		imp->dev_id[i] = xstrdup(PQgetvalue(res, i, 1));
		imp->dev_kind[i] = PQgetvalue(res, i, 2)[0];
		hmap_str_add(&imp->dev_map, PQgetvalue(res, i, 0), (uint32_t)i);
	}
	PQclear(res);
	return 0;
}

/* Same file as the one in force? Then there is nothing to do. */
static int
inv_unchanged(struct inv_import *imp)
{
	const char *p[2] = { inventory_kind_name(imp->o->kind),
	    imp->r->checksum };
	PGresult *res;
	int same;

	res = inv_exec(imp, "SELECT checksum = $2 FROM inventory_imports "
	    "WHERE kind = $1 AND result IN ('ok', 'unchanged') "
	    "ORDER BY id DESC LIMIT 1", 2, p);
	if (res == NULL)
		return -1;
	same = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	return same;
}

static int
inv_copy_end(struct inv_import *imp, const char *abort_msg)
{
	PGresult *res;
	int rc = 0;

	if (!abort_msg)
		inv_copy_flush(imp, 1);
	if (PQputCopyEnd(imp->conn, abort_msg) != 1)
		inv_fail(imp, 1, "database: %s", PQerrorMessage(imp->conn));
	while ((res = PQgetResult(imp->conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			if (!abort_msg)
				inv_fail(imp, 1, "database: %s",
				    PQresultErrorMessage(res));
			rc = -1;
		}
		PQclear(res);
	}
	return imp->fatal ? -1 : rc;
}

static int
inv_copy_start(struct inv_import *imp, const char *sql)
{
	PGresult *res = PQexec(imp->conn, sql);

	if (PQresultStatus(res) != PGRES_COPY_IN) {
		inv_fail(imp, 1, "database: %s", PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 0;
}

static int
inv_read_file(struct inv_import *imp, const char *path)
{
	char err[512];

	if (inv_copy_start(imp, inventory_merge_copy_sql(imp->o->kind)) != 0)
		return -1;
	if (inv_csv_read(path, inv_record_cb, inv_progress_cb, imp, err,
	    sizeof(err)) != 0 && !imp->fatal)
		inv_fail(imp, 0, "%s", err);
	if (!imp->fatal && !imp->header_done)
		inv_fail(imp, 0, "the file is empty");
	if (!imp->fatal && imp->r->rows == 0)
		inv_fail(imp, 0, "no rows after the header: refusing to empty "
		    "the inventory");
	if (!imp->fatal && (double)imp->r->rejected >
	    imp->o->error_threshold * (double)imp->r->rows)
		inv_fail(imp, 0, "%lu of %lu rows rejected (%.2f%%), more than "
		    "the error threshold of %g%%", imp->r->rejected,
		    imp->r->rows, 100.0 * (double)imp->r->rejected /
		    (double)imp->r->rows, imp->o->error_threshold * 100.0);
	if (imp->fatal) {
		inv_copy_end(imp, "import failed");
		return -1;
	}
	return inv_copy_end(imp, NULL);
}

static int
inv_copy_keep(struct inv_import *imp)
{
	if (imp->klen == 0)
		return 0;
	if (inv_copy_start(imp, "COPY inv_keep (account) FROM STDIN") != 0)
		return -1;
	if (PQputCopyData(imp->conn, imp->keep, (int)imp->klen) != 1)
		inv_fail(imp, 1, "database: %s", PQerrorMessage(imp->conn));
	return inv_copy_end(imp, imp->fatal ? "failed" : NULL);
}

static int
inv_record_errors(struct inv_import *imp, const char *id)
{
	char num[24];
	size_t i;

	if (imp->nerrs == 0)
		return 0;
	if (inv_copy_start(imp, "COPY inventory_import_errors (import_id, line,"
	    " reason) FROM STDIN") != 0)
		return -1;
	imp->clen = 0;
	for (i = 0; i < imp->nerrs; i++) {
		if (i > 0 && imp->errs[i].line == imp->errs[i - 1].line)
			continue;
		snprintf(num, sizeof(num), "%lu", imp->errs[i].line);
		inv_copy_field(imp, id, 0);
		inv_copy_field(imp, num, 0);
		inv_copy_field(imp, imp->errs[i].reason, 1);
	}
	return inv_copy_end(imp, NULL);
}

/* One row in inventory_imports (and its rejected lines); returns its id. */
static int
inv_record(struct inv_import *imp, enum inv_result result, time_t started)
{
	struct inv_import_result *r = imp->r;
	char v[10][32], *id;
	const char *p[17];
	PGresult *res;
	int i;

	snprintf(v[0], 32, "%llu", (unsigned long long)r->bytes);
	snprintf(v[1], 32, "%ld", (long)started);
	snprintf(v[2], 32, "%.0f", r->seconds * 1000.0);
	snprintf(v[3], 32, "%lu", r->rows);
	snprintf(v[4], 32, "%lu", r->loaded);
	snprintf(v[5], 32, "%lu", r->rejected);
	snprintf(v[6], 32, "%lu", r->added);
	snprintf(v[7], 32, "%lu", r->removed);
	snprintf(v[8], 32, "%lu", r->moved);
	snprintf(v[9], 32, "%lu", r->updated);
	p[0] = inventory_kind_name(imp->o->kind);
	p[1] = imp->o->source ? imp->o->source : "";
	p[2] = r->checksum;
	p[3] = v[0];
	p[4] = v[1];
	p[5] = v[2];
	p[6] = inventory_result_name(result);
	for (i = 0; i < 7; i++)
		p[7 + i] = v[3 + i];
	p[14] = result == INV_RESULT_FAILED ? r->error : NULL;
	p[15] = imp->o->run_by ? imp->o->run_by : "heraldctl";
	res = inv_exec(imp, "INSERT INTO inventory_imports (kind, source, "
	    "checksum, bytes, started_at, finished_at, duration_ms, result, "
	    "rows_read, rows_loaded, rows_rejected, added, removed, moved, "
	    "updated, error, run_by) VALUES ($1, $2, $3, $4, to_timestamp($5),"
	    " now(), $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) "
	    "RETURNING id", 16, p);
	if (res == NULL)
		return -1;
	id = PQgetvalue(res, 0, 0);
	r->import_id = strtoll(id, NULL, 10);
	i = result == INV_RESULT_UNCHANGED ? 0 : inv_record_errors(imp, id);
	PQclear(res);
	return i;
}

static double
inv_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
inv_free(struct inv_import *imp)
{
	size_t i;

	for (i = 0; i < imp->ndev; i++)
		free(imp->dev_id[i]);
	for (i = 0; i < imp->nerrs; i++)
		free(imp->errs[i].reason);
	free(imp->errs);
	free(imp->dev_id);
	free(imp->dev_name);
	free(imp->dev_kind);
	if (imp->dev_map.slots != NULL)
		hmap_str_free(&imp->dev_map);
	hmap_str_free(&imp->names);
	hmap_str_free(&imp->onus);
	hmap_str_free(&imp->serials);
	hmap_str_free(&imp->ifxs);
	hmap_str_free(&imp->addrs);
	free(imp->name_v.v);
	free(imp->onu_v.v);
	free(imp->ifx_v.v);
	free(imp->addr_v.v);
	free(imp->arena);
	free(imp->copy);
	free(imp->keep);
}

static void
inv_init(struct inv_import *imp, PGconn *conn,
    const struct inv_import_opts *o, struct inv_import_result *r)
{
	memset(imp, 0, sizeof(*imp));
	memset(r, 0, sizeof(*r));
	imp->conn = conn;
	imp->o = o;
	imp->r = r;
	if (o->kind == INV_KIND_DEVICES) {
		imp->cols = inv_dev_columns;
		imp->ncols = D_NCOLS;
	} else {
		imp->cols = inv_sub_columns;
		imp->ncols = C_NCOLS;
	}
	inv_arena_add(imp, "-");	/* offset 0 stays the empty string */
	imp->arena[0] = '\0';
	imp->alen = 1;
	hmap_str_init(&imp->names, 1024, inv_key_name, imp);
	hmap_str_init(&imp->onus, 1024, inv_key_onu, imp);
	hmap_str_init(&imp->serials, 1024, inv_key_serial, imp);
	hmap_str_init(&imp->ifxs, 64, inv_key_ifx, imp);
	hmap_str_init(&imp->addrs, 16, inv_key_addr, imp);
}

/* Everything between BEGIN and COMMIT; -1 leaves the transaction to undo. */
static int
inv_transaction(struct inv_import *imp, const char *path, time_t started,
    double t0)
{
	int same;

	/*
	 * Big sorts and hashes in memory; GIN entries for the phones go to
	 * the index's pending list and are merged later, not one by one.
	 * The staging tables stay in memory (a fresh session: temp_buffers
	 * can only be set before its first temporary table).
	 */
	if (inv_run(imp, "SET LOCAL work_mem = '256MB'") != 0 ||
	    inv_run(imp, "SET LOCAL temp_buffers = '512MB'") != 0 ||
	    inv_run(imp, "SET LOCAL gin_pending_list_limit = '256MB'") != 0 ||
	    inv_run(imp, "SELECT pg_advisory_xact_lock(hashtext("
	    "'herald.inventory'))") != 0)
		return -1;
	if (!imp->o->force && (same = inv_unchanged(imp)) != 0) {
		if (same < 0)
			return -1;
		imp->r->seconds = inv_now() - t0;
		imp->r->result = INV_RESULT_UNCHANGED;
		return inv_record(imp, INV_RESULT_UNCHANGED, started);
	}
	if (imp->o->kind == INV_KIND_SUBSCRIBERS && inv_load_devices(imp) != 0)
		return -1;
	if (inventory_merge_stage(imp->conn, imp->o->kind, imp->r) != 0 ||
	    inv_read_file(imp, path) != 0 || inv_copy_keep(imp) != 0 ||
	    inventory_merge(imp->conn, imp->o, imp->r) != 0) {
		imp->fatal = 1;
		return -1;
	}
	imp->r->seconds = inv_now() - t0;
	imp->r->result = INV_RESULT_OK;
	if (inv_record(imp, INV_RESULT_OK, started) != 0)
		return -1;
	return inventory_merge_notify(imp->conn, imp->r);
}

int
inventory_import_file(PGconn *conn, const char *path,
    const struct inv_import_opts *o, struct inv_import_result *r)
{
	struct inv_import imp;
	time_t started = time(NULL);
	double t0 = inv_now();
	int rc;

	inv_init(&imp, conn, o, r);
	if (inv_csv_checksum(path, r->checksum, &r->bytes, r->error,
	    sizeof(r->error)) != 0) {
		inv_free(&imp);
		r->result = INV_RESULT_FAILED;
		return -1;
	}
	rc = inv_run(&imp, "BEGIN");
	if (rc == 0)
		rc = inv_transaction(&imp, path, started, t0);
	if (rc == 0 && !o->dry_run)
		rc = inv_run(&imp, "COMMIT");
	else
		PQclear(PQexec(conn, "ROLLBACK"));
	if (rc != 0) {
		r->result = INV_RESULT_FAILED;
		r->seconds = inv_now() - t0;
		r->added = r->removed = r->moved = r->updated = 0;
		/* The failure is recorded outside the undone transaction. */
		if (!r->retryable && PQstatus(conn) == CONNECTION_OK &&
		    !o->dry_run) {
			imp.fatal = 0;
			inv_record(&imp, INV_RESULT_FAILED, started);
		}
	} else if (o->dry_run)
		r->import_id = 0;
	inventory_merge_report(o, r);
	inv_free(&imp);
	return rc == 0 ? 0 : -1;
}

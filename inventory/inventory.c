/*
 * inventory.c: build the topology index from the database and answer
 * lookups on it (see inventory.h for the shape and the threading rules).
 *
 * The build streams "COPY (SELECT ... ORDER BY place) TO STDOUT", so the
 * rows never sit in memory as a PGresult; sorted by place, each row either
 * continues the current device/board/port/splitter/ONU or opens the next
 * one, and every scope ends up as a [first, first + count) run of accounts.
 * Strings go into a chunked arena (never moved, so pointers stay valid);
 * the hash tables hold 32-bit indexes, not strings (hmap.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hmap.h"
#include "inventory.h"
#include "inventory_import.h"
#include "xmalloc.h"

#define IDX_NONE	UINT32_MAX
#define IDX_CHUNK	(1024 * 1024)
#define IDX_FIELDS	19

struct idx_device {
	int64_t		 id;
	const char	*name;
	char		 kind;		/* 'o'lt, 'd'slam */
	uint32_t	 board_first, nboards;
	uint32_t	 first, count;
};

struct idx_board {
	int64_t		 id;
	uint32_t	 device;
	int		 frame, slot;
	uint32_t	 port_first, nports;
	uint32_t	 first, count;
};

struct idx_port {
	int64_t		 id;
	uint32_t	 board;
	int		 port;
	uint32_t	 splitter_first, nsplitters;
	uint32_t	 leaf_first, nleaves;	/* ONUs or its DSL line */
	uint32_t	 first, count;
	int64_t		 if_index;		/* -1: not known */
};

struct idx_splitter {
	int64_t		 id;
	uint32_t	 port;
	const char	*name;
	uint32_t	 first, count;
};

/* An ONU or a DSL line. */
struct idx_leaf {
	int64_t		 id;
	uint32_t	 port;
	uint32_t	 splitter;
	const char	*serial;
	int		 onu;		/* -1 for a DSL line */
	uint32_t	 first, count;
};

struct idx_chunk {
	struct idx_chunk	*next;
	size_t			 used, size;
	char			 data[];
};

struct idx_vec {
	void		*v;
	size_t		 n, cap, size;
};

struct inventory_index {
	struct idx_vec		 devices, boards, ports, splitters, leaves;
	struct idx_vec		 onus, lines;	/* leaf numbers by kind */
	struct inventory_account *subs;
	size_t			 nsubs, subcap;
	struct idx_chunk	*arena;
	size_t			 arena_bytes;
	struct hmap_u64		 dev_by_id;
	struct hmap_str		 dev_by_name;
	struct hmap_str		 by_account;
	struct hmap_str		 by_phone;	/* value: sub << 2 | k */
	struct hmap_str		 by_serial;	/* value: leaf */
	struct hmap_u64		 by_ifindex;	/* device << 32 | ifIndex: port */
	size_t			 nphones;
	int64_t			 import_id;
	double			 build_seconds;
};

#define IDX_AT(vec, type, i)	(&((type *)(vec).v)[i])

static void *
idx_push(struct idx_vec *v)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 64;
		v->v = xreallocarray(v->v, v->cap, v->size);
	}
	memset((char *)v->v + v->n * v->size, 0, v->size);
	return (char *)v->v + v->n++ * v->size;
}

/* Give back what doubling over-allocated, so the index costs what it is. */
static void
idx_shrink(struct idx_vec *v)
{
	if (v->n > 0 && v->n < v->cap) {
		v->v = xreallocarray(v->v, v->n, v->size);
		v->cap = v->n;
	}
}

static const char *
idx_strdup(struct inventory_index *x, const char *s, size_t n)
{
	struct idx_chunk *c = x->arena;
	char *p;

	if (c == NULL || c->used + n + 1 > c->size) {
		size_t size = n + 1 > IDX_CHUNK ? n + 1 : IDX_CHUNK;

		c = xmalloc(sizeof(*c) + size);
		c->size = size;
		c->used = 0;
		c->next = x->arena;
		x->arena = c;
		x->arena_bytes += sizeof(*c) + size;
	}
	p = c->data + c->used;
	memcpy(p, s, n);
	p[n] = '\0';
	c->used += n + 1;
	return p;
}

static const char *
idx_key_account(const void *ctx, uint32_t i)
{
	return ((const struct inventory_index *)ctx)->subs[i].account;
}

static const char *
idx_key_phone(const void *ctx, uint32_t v)
{
	const struct inventory_index *x = ctx;
	const char *p = x->subs[v >> 2].phones;
	uint32_t k;

	for (k = v & 3; k > 0; k--)
		p += strlen(p) + 1;
	return p;
}

static const char *
idx_key_serial(const void *ctx, uint32_t i)
{
	const struct inventory_index *x = ctx;

	return IDX_AT(x->leaves, struct idx_leaf, i)->serial;
}

static const char *
idx_key_device(const void *ctx, uint32_t i)
{
	const struct inventory_index *x = ctx;

	return IDX_AT(x->devices, struct idx_device, i)->name;
}

static struct inventory_index *
idx_new(size_t ndev, size_t nsubs, size_t nonus)
{
	struct inventory_index *x = xcalloc(1, sizeof(*x));

	x->devices.size = sizeof(struct idx_device);
	x->boards.size = sizeof(struct idx_board);
	x->ports.size = sizeof(struct idx_port);
	x->splitters.size = sizeof(struct idx_splitter);
	x->leaves.size = sizeof(struct idx_leaf);
	x->subcap = nsubs > 0 ? nsubs : 1;
	x->subs = xcalloc(x->subcap, sizeof(*x->subs));
	hmap_u64_init(&x->dev_by_id, ndev);
	hmap_str_init(&x->dev_by_name, ndev, idx_key_device, x);
	hmap_str_init(&x->by_account, nsubs, idx_key_account, x);
	hmap_str_init(&x->by_phone, nsubs + nsubs / 4, idx_key_phone, x);
	hmap_str_init(&x->by_serial, nonus, idx_key_serial, x);
	hmap_u64_init(&x->by_ifindex, ndev * 16);
	return x;
}

void
inventory_index_free(struct inventory_index *x)
{
	struct idx_chunk *c;

	if (x == NULL)
		return;
	free(x->devices.v);
	free(x->boards.v);
	free(x->ports.v);
	free(x->splitters.v);
	free(x->leaves.v);
	free(x->subs);
	while ((c = x->arena) != NULL) {
		x->arena = c->next;
		free(c);
	}
	hmap_u64_free(&x->dev_by_id);
	hmap_str_free(&x->dev_by_name);
	hmap_str_free(&x->by_account);
	hmap_str_free(&x->by_phone);
	hmap_str_free(&x->by_serial);
	hmap_u64_free(&x->by_ifindex);
	free(x);
}

/* COPY text format: fields split at tabs, \N is NULL, escapes undone. */
static size_t
idx_split(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *p = line, *d;

	while (n < max) {
		f[n++] = p;
		for (d = p; *p != '\0' && *p != '\t' && *p != '\n'; p++) {
			if (*p != '\\' || p[1] == '\0') {
				*d++ = *p;
				continue;
			}
			p++;
			switch (*p) {
			case 'N': f[n - 1] = NULL; break;
			case 't': *d++ = '\t'; break;
			case 'n': *d++ = '\n'; break;
			case 'r': *d++ = '\r'; break;
			default: *d++ = *p; break;
			}
		}
		if (*p != '\t') {
			*d = '\0';
			break;
		}
		*d = '\0';
		p++;
	}
	return n;
}

static int64_t
idx_int(const char *s)
{
	return s ? strtoll(s, NULL, 10) : -1;
}

/*
 * The key of a port by ifIndex. An ifIndex is 32 bits (IF-MIB's
 * InterfaceIndex; Huawei and ZTE use all of them) and device ids stay far
 * below 2^32, so the pair fits one 64-bit key; anything else has no key.
 */
static int
idx_ifindex_key(int64_t device_id, long long if_index, uint64_t *key)
{
	if (device_id <= 0 || device_id > (int64_t)UINT32_MAX ||
	    if_index < 1 || if_index > (long long)UINT32_MAX)
		return -1;
	*key = (uint64_t)device_id << 32 | (uint64_t)if_index;
	return 0;
}

/* Each add_* opens a scope when the sorted rows reach a new one. */
static uint32_t
idx_add_board(struct inventory_index *x, uint32_t dev, char **f)
{
	struct idx_device *d = IDX_AT(x->devices, struct idx_device, dev);
	struct idx_board *b;

	if (x->boards.n > 0 && IDX_AT(x->boards, struct idx_board,
	    x->boards.n - 1)->id == idx_int(f[1]))
		return (uint32_t)x->boards.n - 1;
	if (d->nboards++ == 0)
		d->board_first = (uint32_t)x->boards.n;
	b = idx_push(&x->boards);
	b->id = idx_int(f[1]);
	b->device = dev;
	b->frame = (int)idx_int(f[2]);
	b->slot = (int)idx_int(f[3]);
	b->first = (uint32_t)x->nsubs;
	return (uint32_t)x->boards.n - 1;
}

static uint32_t
idx_add_port(struct inventory_index *x, uint32_t board, char **f)
{
	struct idx_board *b = IDX_AT(x->boards, struct idx_board, board);
	struct idx_port *p;
	uint64_t key;

	if (x->ports.n > 0 && IDX_AT(x->ports, struct idx_port,
	    x->ports.n - 1)->id == idx_int(f[4]))
		return (uint32_t)x->ports.n - 1;
	if (b->nports++ == 0)
		b->port_first = (uint32_t)x->ports.n;
	p = idx_push(&x->ports);
	p->id = idx_int(f[4]);
	p->board = board;
	p->port = (int)idx_int(f[5]);
	p->first = (uint32_t)x->nsubs;
	p->if_index = idx_int(f[18]);
	if (idx_ifindex_key(IDX_AT(x->devices, struct idx_device,
	    b->device)->id, p->if_index, &key) == 0)
		hmap_u64_put(&x->by_ifindex, key, (uint32_t)x->ports.n - 1,
		    NULL);
	return (uint32_t)x->ports.n - 1;
}

static uint32_t
idx_add_splitter(struct inventory_index *x, uint32_t port, char **f)
{
	struct idx_port *p = IDX_AT(x->ports, struct idx_port, port);
	struct idx_splitter *s;

	if (f[6] == NULL)
		return IDX_NONE;
	if (x->splitters.n > 0 && IDX_AT(x->splitters, struct idx_splitter,
	    x->splitters.n - 1)->id == idx_int(f[6]))
		return (uint32_t)x->splitters.n - 1;
	if (p->nsplitters++ == 0)
		p->splitter_first = (uint32_t)x->splitters.n;
	s = idx_push(&x->splitters);
	s->id = idx_int(f[6]);
	s->port = port;
	s->name = idx_strdup(x, f[7] ? f[7] : "", f[7] ? strlen(f[7]) : 0);
	s->first = (uint32_t)x->nsubs;
	return (uint32_t)x->splitters.n - 1;
}

static uint32_t
idx_add_leaf(struct inventory_index *x, uint32_t port, uint32_t splitter,
    char **f)
{
	struct idx_port *p = IDX_AT(x->ports, struct idx_port, port);
	int64_t id = f[8] ? idx_int(f[8]) : idx_int(f[11]);
	int onu = f[8] ? (int)idx_int(f[9]) : -1;
	struct idx_leaf *l;

	if (x->leaves.n > 0) {
		l = IDX_AT(x->leaves, struct idx_leaf, x->leaves.n - 1);
		if (l->id == id && (l->onu < 0) == (onu < 0))
			return (uint32_t)x->leaves.n - 1;
	}
	if (p->nleaves++ == 0)
		p->leaf_first = (uint32_t)x->leaves.n;
	l = idx_push(&x->leaves);
	l->id = id;
	l->port = port;
	l->splitter = splitter;
	l->onu = onu;
	l->first = (uint32_t)x->nsubs;
	if (f[8] != NULL && f[10] != NULL) {
		l->serial = idx_strdup(x, f[10], strlen(f[10]));
		hmap_str_add(&x->by_serial, l->serial, (uint32_t)x->leaves.n - 1);
	}
	return (uint32_t)x->leaves.n - 1;
}

/* "a,b" -> "a\0b\0\0", each indexed for lookups by phone. */
static void
idx_add_phones(struct inventory_index *x, uint32_t sub, const char *list)
{
	struct inventory_account *a = &x->subs[sub];
	size_t n = list ? strlen(list) : 0, i;
	char *p;
	uint32_t k = 0;

	p = (char *)idx_strdup(x, list ? list : "", n + 1);
	for (i = 0; i < n; i++)
		if (p[i] == ',')
			p[i] = '\0';
	p[n + 1] = '\0';
	a->phones = p;
	for (; *p != '\0' && k < INVENTORY_PHONES_INDEXED;
	    p += strlen(p) + 1, k++) {
		hmap_str_add(&x->by_phone, p, sub << 2 | k);
		x->nphones++;
	}
}

static void
idx_count(struct inventory_index *x, uint32_t dev, uint32_t board,
    uint32_t port, uint32_t splitter, uint32_t leaf)
{
	IDX_AT(x->devices, struct idx_device, dev)->count++;
	IDX_AT(x->boards, struct idx_board, board)->count++;
	IDX_AT(x->ports, struct idx_port, port)->count++;
	if (splitter != IDX_NONE)
		IDX_AT(x->splitters, struct idx_splitter, splitter)->count++;
	IDX_AT(x->leaves, struct idx_leaf, leaf)->count++;
}

/*
 * One account row: device, board, frame, slot, port id, port, splitter id,
 * splitter, onu ref, onu id, serial, line id, subscriber id, account,
 * phones, language, contact, sms_opt_out, port if_index.
 */
static int
idx_add_row(struct inventory_index *x, char **f, char *err, size_t errlen)
{
	struct inventory_account *a;
	uint32_t dev, board, port, splitter, leaf, sub;
	struct idx_device *d;

	if (!hmap_u64_get(&x->dev_by_id, (uint64_t)idx_int(f[0]), &dev)) {
		snprintf(err, errlen, "device %s vanished during the load", f[0]);
		return -1;
	}
	d = IDX_AT(x->devices, struct idx_device, dev);
	if (d->count == 0)
		d->first = (uint32_t)x->nsubs;
	board = idx_add_board(x, dev, f);
	port = idx_add_port(x, board, f);
	splitter = idx_add_splitter(x, port, f);
	leaf = idx_add_leaf(x, port, splitter, f);
	if (x->nsubs == x->subcap) {
		x->subcap *= 2;
		x->subs = xreallocarray(x->subs, x->subcap, sizeof(*x->subs));
	}
	sub = (uint32_t)x->nsubs++;
	a = &x->subs[sub];
	a->id = idx_int(f[12]);
	a->account = idx_strdup(x, f[13], strlen(f[13]));
	a->leaf = leaf;
	a->is_line = f[8] == NULL;
	a->language = f[15] && strcmp(f[15], "en") == 0;
	a->contact = !f[16] ? 0 : strcmp(f[16], "voice") == 0 ? 1 :
	    strcmp(f[16], "none") == 0 ? 2 : 0;
	a->sms_opt_out = f[17] && f[17][0] == 't';
	idx_add_phones(x, sub, f[14]);
	hmap_str_add(&x->by_account, a->account, sub);
	idx_count(x, dev, board, port, splitter, leaf);
	return 0;
}

static int
idx_add_device(struct inventory_index *x, char **f, char *err, size_t errlen)
{
	struct idx_device *d = idx_push(&x->devices);
	uint32_t i = (uint32_t)x->devices.n - 1;

	d->id = idx_int(f[0]);
	d->name = idx_strdup(x, f[1], strlen(f[1]));
	d->kind = f[2][0];
	hmap_u64_put(&x->dev_by_id, (uint64_t)d->id, i, NULL);
	hmap_str_add(&x->dev_by_name, d->name, i);
	return 0;
}

typedef int (*idx_row_fn)(struct inventory_index *, char **, char *, size_t);

static int
idx_copy_out(PGconn *conn, const char *sql, size_t nfields, idx_row_fn fn,
    struct inventory_index *x, char *err, size_t errlen)
{
	PGresult *res = PQexec(conn, sql);
	char *f[IDX_FIELDS], *buf;
	int len, rc = 0;

	if (PQresultStatus(res) != PGRES_COPY_OUT) {
		snprintf(err, errlen, "%s", PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	while ((len = PQgetCopyData(conn, &buf, 0)) > 0) {
		if (rc == 0 && (idx_split(buf, f, nfields) != nfields ||
		    fn(x, f, err, errlen) != 0)) {
			if (err[0] == '\0')
				snprintf(err, errlen, "unexpected row shape");
			rc = -1;
		}
		PQfreemem(buf);
	}
	while ((res = PQgetResult(conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0) {
			snprintf(err, errlen, "%s", PQresultErrorMessage(res));
			rc = -1;
		}
		PQclear(res);
	}
	return rc;
}

static const char idx_devices_sql[] =
	"COPY (SELECT id, name, kind FROM devices ORDER BY id) TO STDOUT";
static const char idx_accounts_sql[] =
	"COPY (SELECT b.device_id, b.id, b.frame, b.slot, p.id, p.port,"
	" sp.id, sp.name, o.id, o.onu_id, o.serial, l.id, s.id, s.account,"
	" array_to_string(s.phones, ','), s.language, s.contact, s.sms_opt_out,"
	" p.if_index"
	" FROM subscribers s"
	" LEFT JOIN onus o ON o.id = s.onu_id"
	" LEFT JOIN splitters sp ON sp.id = o.splitter_id"
	" LEFT JOIN dsl_lines l ON l.id = s.dsl_line_id"
	" JOIN ports p ON p.id = coalesce(o.port_id, l.port_id)"
	" JOIN boards b ON b.id = p.board_id"
	" ORDER BY b.device_id, b.frame, b.slot, p.port, sp.name NULLS LAST,"
	" o.onu_id, l.id, s.account) TO STDOUT";
static const char idx_sizes_sql[] =
	"SELECT (SELECT count(*) FROM devices), (SELECT count(*) FROM "
	"subscribers), (SELECT count(*) FROM onus), (SELECT coalesce(max(id), "
	"0) FROM inventory_imports WHERE result = 'ok')";

static struct inventory_index *
idx_begin(PGconn *conn, char *err, size_t errlen)
{
	struct inventory_index *x;
	PGresult *res;

	PQclear(PQexec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
	PQclear(PQexec(conn, "SET LOCAL work_mem = '256MB'"));
	res = PQexec(conn, idx_sizes_sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "%s", PQresultErrorMessage(res));
		PQclear(res);
		return NULL;
	}
	x = idx_new(strtoul(PQgetvalue(res, 0, 0), NULL, 10),
	    strtoul(PQgetvalue(res, 0, 1), NULL, 10),
	    strtoul(PQgetvalue(res, 0, 2), NULL, 10));
	x->import_id = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
	PQclear(res);
	return x;
}

struct inventory_index *
inventory_index_load(PGconn *conn, char *err, size_t errlen)
{
	struct inventory_index *x;
	struct timespec t0, t1;

	err[0] = '\0';
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((x = idx_begin(conn, err, errlen)) == NULL ||
	    idx_copy_out(conn, idx_devices_sql, 3, idx_add_device, x, err,
	    errlen) != 0 ||
	    idx_copy_out(conn, idx_accounts_sql, IDX_FIELDS, idx_add_row, x,
	    err, errlen) != 0) {
		PQclear(PQexec(conn, "ROLLBACK"));
		err[strcspn(err, "\n")] = '\0';
		inventory_index_free(x);
		return NULL;
	}
	PQclear(PQexec(conn, "COMMIT"));
	idx_shrink(&x->boards);
	idx_shrink(&x->ports);
	idx_shrink(&x->splitters);
	idx_shrink(&x->leaves);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	x->build_seconds = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return x;
}

void
inventory_index_stats(const struct inventory_index *x,
    struct inventory_stats *s)
{
	const struct idx_leaf *l;
	size_t i;

	memset(s, 0, sizeof(*s));
	s->devices = x->devices.n;
	s->boards = x->boards.n;
	s->ports = x->ports.n;
	s->splitters = x->splitters.n;
	for (i = 0; i < x->leaves.n; i++) {
		l = IDX_AT(x->leaves, struct idx_leaf, i);
		if (l->onu >= 0)
			s->onus++;
		else
			s->lines++;
	}
	s->accounts = x->nsubs;
	s->phones = x->nphones;
	s->import_id = x->import_id;
	s->build_seconds = x->build_seconds;
	s->bytes = sizeof(*x) + x->arena_bytes +
	    x->devices.cap * x->devices.size + x->boards.cap * x->boards.size +
	    x->ports.cap * x->ports.size +
	    x->splitters.cap * x->splitters.size +
	    x->leaves.cap * x->leaves.size + x->subcap * sizeof(*x->subs) +
	    hmap_u64_bytes(&x->dev_by_id) + hmap_str_bytes(&x->dev_by_name) +
	    hmap_str_bytes(&x->by_account) + hmap_str_bytes(&x->by_phone) +
	    hmap_str_bytes(&x->by_serial) + hmap_u64_bytes(&x->by_ifindex);
}

/* Fill a scope from index positions; the caller has set kind. */
static void
idx_fill(const struct inventory_index *x, struct inventory_scope *s,
    uint32_t dev, uint32_t board, uint32_t port, uint32_t splitter,
    uint32_t leaf)
{
	const struct idx_device *d = IDX_AT(x->devices, struct idx_device, dev);
	const struct idx_board *b = NULL;
	const struct idx_port *p = NULL;
	const struct idx_splitter *sp = NULL;
	const struct idx_leaf *l = NULL;

	s->device_id = d->id;
	s->device = d->name;
	s->id = d->id;
	s->first = d->first;
	s->count = d->count;
	s->serial = NULL;
	if (board != IDX_NONE) {
		b = IDX_AT(x->boards, struct idx_board, board);
		s->frame = b->frame;
		s->slot = b->slot;
		s->id = b->id, s->first = b->first, s->count = b->count;
	}
	if (port != IDX_NONE) {
		p = IDX_AT(x->ports, struct idx_port, port);
		s->port = p->port;
		s->id = p->id, s->first = p->first, s->count = p->count;
	}
	if (splitter != IDX_NONE) {
		sp = IDX_AT(x->splitters, struct idx_splitter, splitter);
		s->splitter = sp->name;
		s->id = sp->id, s->first = sp->first, s->count = sp->count;
	}
	if (leaf != IDX_NONE) {
		l = IDX_AT(x->leaves, struct idx_leaf, leaf);
		s->onu = l->onu;
		s->serial = l->serial;
		s->id = l->id, s->first = l->first, s->count = l->count;
	}
}

static int
idx_find_device(const struct inventory_index *x,
    const struct inventory_scope *s, uint32_t *dev)
{
	if (s->device_id > 0)
		return hmap_u64_get(&x->dev_by_id, (uint64_t)s->device_id, dev);
	if (s->device != NULL)
		return hmap_str_get(&x->dev_by_name, s->device, dev);
	return 0;
}

/* Children are scanned: a board has a few dozen ports at most, a PON port
 * 128 ONUs; the cost is bounded by the hardware, not by the inventory. */
static uint32_t
idx_find_board(const struct inventory_index *x, uint32_t dev, int frame,
    int slot)
{
	const struct idx_device *d = IDX_AT(x->devices, struct idx_device, dev);
	const struct idx_board *b;
	uint32_t i;

	for (i = d->board_first; i < d->board_first + d->nboards; i++) {
		b = IDX_AT(x->boards, struct idx_board, i);
		if (b->frame == frame && b->slot == slot)
			return i;
	}
	return IDX_NONE;
}

static uint32_t
idx_find_port(const struct inventory_index *x, uint32_t board, int port)
{
	const struct idx_board *b = IDX_AT(x->boards, struct idx_board, board);
	uint32_t i;

	for (i = b->port_first; i < b->port_first + b->nports; i++)
		if (IDX_AT(x->ports, struct idx_port, i)->port == port)
			return i;
	return IDX_NONE;
}

static uint32_t
idx_find_splitter(const struct inventory_index *x, uint32_t port,
    const char *name)
{
	const struct idx_port *p = IDX_AT(x->ports, struct idx_port, port);
	uint32_t i;

	for (i = p->splitter_first; name != NULL &&
	    i < p->splitter_first + p->nsplitters; i++)
		if (strcmp(IDX_AT(x->splitters, struct idx_splitter,
		    i)->name, name) == 0)
			return i;
	return IDX_NONE;
}

static uint32_t
idx_find_leaf(const struct inventory_index *x, uint32_t port, int onu)
{
	const struct idx_port *p = IDX_AT(x->ports, struct idx_port, port);
	uint32_t i;

	for (i = p->leaf_first; i < p->leaf_first + p->nleaves; i++)
		if (IDX_AT(x->leaves, struct idx_leaf, i)->onu == onu)
			return i;
	return IDX_NONE;
}

int
inventory_find(const struct inventory_index *x, struct inventory_scope *s)
{
	uint32_t dev, board = IDX_NONE, port = IDX_NONE, sp = IDX_NONE;
	uint32_t leaf = IDX_NONE;

	if (x == NULL || !idx_find_device(x, s, &dev))
		return -1;
	if (s->kind == INVENTORY_DEVICE)
		goto found;
	if ((board = idx_find_board(x, dev, s->frame, s->slot)) == IDX_NONE)
		return -1;
	if (s->kind == INVENTORY_BOARD)
		goto found;
	if ((port = idx_find_port(x, board, s->port)) == IDX_NONE)
		return -1;
	switch (s->kind) {
	case INVENTORY_SPLITTER:
		if ((sp = idx_find_splitter(x, port, s->splitter)) == IDX_NONE)
			return -1;
		break;
	case INVENTORY_ONU:
	case INVENTORY_LINE:
		leaf = idx_find_leaf(x, port,
		    s->kind == INVENTORY_ONU ? s->onu : -1);
		if (leaf == IDX_NONE || (s->kind == INVENTORY_ONU && s->onu < 0))
			return -1;
		break;
	default:
		break;
	}
found:
	idx_fill(x, s, dev, board, port, sp, leaf);
	return 0;
}

const struct inventory_account *
inventory_accounts(const struct inventory_index *x,
    const struct inventory_scope *s, size_t *n)
{
	if (x == NULL || s->first + s->count > x->nsubs) {
		*n = 0;
		return NULL;
	}
	*n = s->count;
	return x->subs + s->first;
}

const struct inventory_account *
inventory_account_at(const struct inventory_index *x, uint32_t i)
{
	return x != NULL && i < x->nsubs ? &x->subs[i] : NULL;
}

const struct inventory_account *
inventory_by_account(const struct inventory_index *x, const char *account)
{
	uint32_t i;

	if (x == NULL || !hmap_str_get(&x->by_account, account, &i))
		return NULL;
	return &x->subs[i];
}

size_t
inventory_by_phone(const struct inventory_index *x, const char *phone,
    const struct inventory_account **out, size_t max)
{
	char norm[32];
	size_t cursor = 0, n = 0;
	uint32_t v;

	if (x == NULL ||
	    inventory_phone_normalise(phone, norm, sizeof(norm)) != 0)
		return 0;
	while (n < max && hmap_str_next(&x->by_phone, norm, &cursor, &v))
		out[n++] = &x->subs[v >> 2];
	return n;
}

int
inventory_by_serial(const struct inventory_index *x, const char *serial,
    struct inventory_scope *s)
{
	const struct idx_leaf *l;
	const struct idx_port *p;
	uint32_t leaf;

	if (x == NULL || !hmap_str_get(&x->by_serial, serial, &leaf))
		return -1;
	l = IDX_AT(x->leaves, struct idx_leaf, leaf);
	p = IDX_AT(x->ports, struct idx_port, l->port);
	s->kind = INVENTORY_ONU;
	idx_fill(x, s, IDX_AT(x->boards, struct idx_board, p->board)->device,
	    p->board, l->port, IDX_NONE, leaf);
	if (l->splitter != IDX_NONE)
		s->splitter = IDX_AT(x->splitters, struct idx_splitter,
		    l->splitter)->name;
	return 0;
}

int
inventory_scope_of(const struct inventory_index *x,
    const struct inventory_account *a, enum inventory_scope_kind kind,
    struct inventory_scope *s)
{
	const struct idx_leaf *l = IDX_AT(x->leaves, struct idx_leaf, a->leaf);
	const struct idx_port *p = IDX_AT(x->ports, struct idx_port, l->port);
	const struct idx_board *b = IDX_AT(x->boards, struct idx_board,
	    p->board);
	uint32_t board = p->board, port = l->port, sp = IDX_NONE;
	uint32_t leaf = IDX_NONE;

	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->onu = -1;
	if (l->splitter != IDX_NONE)
		s->splitter = IDX_AT(x->splitters, struct idx_splitter,
		    l->splitter)->name;
	switch (kind) {
	case INVENTORY_DEVICE:
		board = port = IDX_NONE;
		break;
	case INVENTORY_BOARD:
		port = IDX_NONE;
		break;
	case INVENTORY_PORT:
		break;
	case INVENTORY_SPLITTER:
		if ((sp = l->splitter) == IDX_NONE)
			return -1;
		break;
	case INVENTORY_ONU:
	case INVENTORY_LINE:
		if ((l->onu < 0) != (kind == INVENTORY_LINE))
			return -1;
		leaf = a->leaf;
		break;
	}
	idx_fill(x, s, b->device, board, port, sp, leaf);
	return 0;
}

int
inventory_by_ifindex(const struct inventory_index *x, int64_t device_id,
    long long if_index, struct inventory_scope *s)
{
	const struct idx_port *p;
	uint32_t port, leaf = IDX_NONE, i;
	uint64_t key;

	if (x == NULL || idx_ifindex_key(device_id, if_index, &key) != 0 ||
	    !hmap_u64_get(&x->by_ifindex, key, &port))
		return -1;
	p = IDX_AT(x->ports, struct idx_port, port);
	for (i = p->leaf_first; i < p->leaf_first + p->nleaves; i++)
		if (IDX_AT(x->leaves, struct idx_leaf, i)->onu < 0)
			leaf = i;
	memset(s, 0, sizeof(*s));
	s->kind = leaf != IDX_NONE ? INVENTORY_LINE : INVENTORY_PORT;
	s->onu = -1;
	idx_fill(x, s, IDX_AT(x->boards, struct idx_board, p->board)->device,
	    p->board, port, IDX_NONE, leaf);
	return 0;
}

/*
 * devindex.c: an open-addressing hash of devices by address. A trap storm
 * looks up every datagram's source here before it is even parsed, so the
 * lookup is a hash of 16 bytes and a memcmp.
 */
#include "config.h"

#include <jansson.h>
#include <stdio.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devindex.h"
#include "log.h"
#include "xmalloc.h"

const char devindex_sql[] =
	"SELECT id, name, kind, vendor, coalesce(model, ''), host(mgmt_addr), "
	"snmp_profile, coalesce(sys_object_id, ''), snmp_port FROM devices "
	"ORDER BY id";

struct devindex {
	size_t		 n, cap;	/* cap: power of two, > 2n */
	struct device	**slots;
	struct device	**all;
};

struct devindex *
devindex_new(void)
{
	return xcalloc(1, sizeof(struct devindex));
}

static void
devindex_free_device(struct device *d)
{
	free(d->name);
	free(d->kind);
	free(d->vendor);
	free(d->model);
	free(d->addr);
	free(d->snmp_profile);
	free(d->sys_object_id);
	free(d);
}

static void
devindex_clear(struct devindex *di)
{
	size_t i;

	for (i = 0; i < di->n; i++)
		devindex_free_device(di->all[i]);
	free(di->all);
	free(di->slots);
	di->all = di->slots = NULL;
	di->n = di->cap = 0;
}

void
devindex_free(struct devindex *di)
{
	if (di == NULL)
		return;
	devindex_clear(di);
	free(di);
}

static int
devindex_key(const char *addr, unsigned char key[16])
{
	struct in_addr a4;

	if (inet_pton(AF_INET6, addr, key) == 1)
		return 0;
	if (inet_pton(AF_INET, addr, &a4) != 1)
		return -1;
	memset(key, 0, 10);
	key[10] = key[11] = 0xff;
	memcpy(key + 12, &a4, 4);
	return 0;
}

static size_t
devindex_hash(const unsigned char key[16])
{
	uint64_t h = 1469598103934665603ULL;
	int i;

	for (i = 0; i < 16; i++)
		h = (h ^ key[i]) * 1099511628211ULL;
	return (size_t)(h ^ (h >> 29));
}

static void
devindex_insert(struct devindex *di, struct device *d)
{
	size_t i = devindex_hash(d->key) & (di->cap - 1);

	while (di->slots[i] != NULL) {
		if (memcmp(di->slots[i]->key, d->key, 16) == 0) {
			log_warnx("devices: %s and %s have the same address %s; "
			    "using %s", di->slots[i]->name, d->name, d->addr,
			    di->slots[i]->name);
			return;
		}
		i = (i + 1) & (di->cap - 1);
	}
	di->slots[i] = d;
}

static void
devindex_grow(struct devindex *di)
{
	size_t i;

	if (di->cap > 2 * (di->n + 1))
		return;
	di->cap = di->cap ? di->cap * 2 : 64;
	free(di->slots);
	di->slots = xcalloc(di->cap, sizeof(*di->slots));
	for (i = 0; i < di->n; i++)
		devindex_insert(di, di->all[i]);
}

struct device *
devindex_add(struct devindex *di, long long id, const char *name,
    const char *kind, const char *vendor, const char *model, const char *addr,
    const char *snmp_profile, const char *sys_object_id)
{
	struct device *d = xcalloc(1, sizeof(*d));

	if (devindex_key(addr, d->key) != 0) {
		log_warnx("devices: %s: bad address \"%s\"", name, addr);
		free(d);
		return NULL;
	}
	d->id = id;
	d->name = xstrdup(name);
	d->kind = xstrdup(kind);
	d->vendor = xstrdup(vendor);
	d->model = xstrdup(model ? model : "");
	d->addr = xstrdup(addr);
	d->snmp_profile = xstrdup(snmp_profile ? snmp_profile : "default");
	d->sys_object_id = xstrdup(sys_object_id ? sys_object_id : "");
	d->snmp_port = 161;
	devindex_grow(di);
	di->all = xreallocarray(di->all, di->n + 1, sizeof(*di->all));
	di->all[di->n++] = d;
	devindex_insert(di, d);
	return d;
}

size_t
devindex_load(struct devindex *di, const PGresult *res)
{
	int i;

	struct device *d;

	devindex_clear(di);
	for (i = 0; i < PQntuples(res); i++) {
		d = devindex_add(di, strtoll(PQgetvalue(res, i, 0), NULL, 10),
		    PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
		    PQgetvalue(res, i, 3), PQgetvalue(res, i, 4),
		    PQgetvalue(res, i, 5), PQgetvalue(res, i, 6),
		    PQgetvalue(res, i, 7));
		if (d != NULL && PQnfields(res) > 8)
			d->snmp_port = atoi(PQgetvalue(res, i, 8));
	}
	return di->n;
}

void
devindex_resolve(struct devindex *di, const struct profile_set *ps,
    const struct snmpcred_set *cs)
{
	struct profile_device pd;
	struct device *d;
	size_t i;

	for (i = 0; i < di->n; i++) {
		d = di->all[i];
		d->cred = snmpcred_find(cs, d->snmp_profile);
		if (d->cred == NULL && strcmp(d->snmp_profile, "default") != 0)
			log_warnx("devices: %s names credentials \"%s\", which "
			    "herald.conf does not define; using "
			    "snmp.communities", d->name, d->snmp_profile);
		pd.kind = d->kind;
		pd.vendor = d->vendor;
		pd.model = d->model;
		pd.sys_object_id = d->sys_object_id;
		d->ncands = profile_candidates(ps, &pd, d->cands,
		    DEVINDEX_MAX_CANDS);
	}
}

static const struct device *
devindex_find(const struct devindex *di, const unsigned char key[16])
{
	size_t i;

	if (di->cap == 0)
		return NULL;
	i = devindex_hash(key) & (di->cap - 1);
	while (di->slots[i] != NULL) {
		if (memcmp(di->slots[i]->key, key, 16) == 0)
			return di->slots[i];
		i = (i + 1) & (di->cap - 1);
	}
	return NULL;
}

const struct device *
devindex_lookup(const struct devindex *di, const struct sockaddr *sa,
    size_t salen)
{
	unsigned char key[16];

	if (sa->sa_family == AF_INET && salen >= sizeof(struct sockaddr_in)) {
		memset(key, 0, 10);
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6 &&
	    salen >= sizeof(struct sockaddr_in6))
		memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	else
		return NULL;
	return devindex_find(di, key);
}

const struct device *
devindex_lookup_text(const struct devindex *di, const char *addr)
{
	unsigned char key[16];

	if (devindex_key(addr, key) != 0)
		return NULL;
	return devindex_find(di, key);
}

const struct device *
devindex_get(const struct devindex *di, size_t i)
{
	return i < di->n ? di->all[i] : NULL;
}

size_t
devindex_count(const struct devindex *di)
{
	return di->n;
}

static const char *const devindex_keys[] = {
	"name", "kind", "vendor", "model", "addr", "snmp_profile",
	"sys_object_id"
};

int
devindex_save(const struct devindex *di, const char *path)
{
	json_t *all = json_array(), *o;
	struct device *d;
	char *tmp;
	size_t i;
	int rc;

	for (i = 0; i < di->n; i++) {
		d = di->all[i];
		o = json_pack("{s:I, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
		    "id", (json_int_t)d->id, "snmp_port", d->snmp_port,
		    "name", d->name, "kind", d->kind,
		    "vendor", d->vendor, "model", d->model, "addr", d->addr,
		    "snmp_profile", d->snmp_profile,
		    "sys_object_id", d->sys_object_id ? d->sys_object_id : "");
		json_array_append_new(all, o);
	}
	/* Written aside and renamed: a crash never leaves half a file. */
	xasprintf(&tmp, "%s.tmp", path);
	rc = json_dump_file(all, tmp, JSON_COMPACT);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -1;
	if (rc != 0)
		log_warn("devices: cannot write %s", path);
	free(tmp);
	json_decref(all);
	return rc;
}

long
devindex_load_file(struct devindex *di, const char *path)
{
	const char *v[7];
	struct device *d;
	json_error_t err;
	json_t *all, *o;
	size_t i, k;
	long n = 0;

	if ((all = json_load_file(path, 0, &err)) == NULL)
		return -1;
	if (!json_is_array(all)) {
		log_warnx("devices: %s is not a device cache; ignored", path);
		json_decref(all);
		return -1;
	}
	devindex_clear(di);
	json_array_foreach(all, i, o) {
		for (k = 0; k < 7; k++)
			if ((v[k] = json_string_value(json_object_get(o,
			    devindex_keys[k]))) == NULL)
				break;
		if (k < 7 || !json_is_integer(json_object_get(o, "id")))
			continue;
		d = devindex_add(di, json_integer_value(json_object_get(o, "id")),
		    v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
		if (d == NULL)
			continue;
		if (json_is_integer(json_object_get(o, "snmp_port")))
			d->snmp_port = (int)json_integer_value(json_object_get(o,
			    "snmp_port"));
		n++;
	}
	json_decref(all);
	return n;
}

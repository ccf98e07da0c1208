/*
 * profile.c: load vendor profiles and match notifications against them.
 *
 * The files are libconfuse, so errors come with file and line and the
 * option tables below are the reference of the format (doc/trap.md has the
 * prose). Rules are kept sorted by OID per profile and found by binary
 * search: a trap storm costs a few OID comparisons per trap.
 */
#include "config.h"

#include <confuse.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kind.h"
#include "log.h"
#include "profile.h"
#include "snmplib.h"
#include "xmalloc.h"

#define PROFILE_MAX_FILE	(1024 * 1024)

enum loc_field { LOC_FRAME, LOC_SLOT, LOC_PORT, LOC_ONU, LOC_LINE,
	LOC_IFINDEX, LOC_N };
static const char *const loc_names[LOC_N] = { "frame", "slot", "port", "onu",
	"line", "ifindex" };

/* Where one location field comes from: a varbind's value or instance. */
struct loc_spec {
	struct profile_oid	 prefix;
	int			 index;		/* -1: value; n: instance sub-id */
};

struct rule {
	char			*name;
	struct profile_oid	 oid;
	const char		*kind;
	enum event_action	 action;	/* EVENT_RAW: from a varbind */
	char			*cause;		/* of a raise, or of a clear rule */
	char			*clear_cause;	/* of a clear read from a varbind */
	struct profile_oid	 action_from;
	size_t			 n_raise, n_clear, n_raise_bits, n_clear_bits;
	long long		 raise_values[16], clear_values[16];
	long long		 raise_bits[16], clear_bits[16];
	struct profile_oid	 cause_from;
	const struct profile_map *cause_map;
	struct loc_spec		 loc[LOC_N];
	const struct profile_decoder *decoder;
	struct profile_oid	 onu_mask;	/* BITS-style mask: one per ONU */
	long long		 onu_mask_size;	/* ONUs on the port */
	struct profile_oid	 affected_from, dying_gasp_from;
	int			 verified;
};

struct profile {
	char			*name;
	char			*file;
	char			*vendor;
	size_t			 nmodels, nsysoids, nkinds;
	char			**models;
	struct profile_oid	*sysoids;
	char			**kinds;
	size_t			 ndecoders, nmaps, nrules;
	struct profile_decoder	*decoders;
	struct profile_map	*maps;
	struct rule		*rules;		/* sorted by oid */
	int			 has_poll;
	struct profile_poll	 poll;
};

struct profile_set {
	size_t			 n;
	struct profile		**p;
};

static cfg_opt_t decoder_opts[] = {
	CFG_INT("match_mask", 0, CFGF_NONE),
	CFG_INT("match_value", 0, CFGF_NONE),
	CFG_INT_LIST("frame", "{}", CFGF_NONE),
	CFG_INT_LIST("slot", "{}", CFGF_NONE),
	CFG_INT_LIST("port", "{}", CFGF_NONE),
	CFG_INT_LIST("onu", "{}", CFGF_NONE),
	CFG_INT("frame_offset", 0, CFGF_NONE),
	CFG_INT("slot_offset", 0, CFGF_NONE),
	CFG_INT("port_offset", 0, CFGF_NONE),
	CFG_INT("onu_offset", 0, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t map_opts[] = {
	CFG_STR_LIST("values", "{}", CFGF_NONE),	/* "13=dying-gasp" */
	CFG_STR_LIST("kinds", "{}", CFGF_NONE),		/* "13=onu.dying_gasp" */
	CFG_END()
};

static cfg_opt_t trap_opts[] = {
	CFG_STR_LIST("oid", "{}", CFGF_NONE),
	CFG_STR("kind", NULL, CFGF_NONE),
	CFG_STR("action", "raise", CFGF_NONE),
	CFG_STR("cause", NULL, CFGF_NONE),
	CFG_STR("clear_cause", NULL, CFGF_NONE),
	CFG_STR("action_from", NULL, CFGF_NONE),
	CFG_INT_LIST("raise_values", "{}", CFGF_NONE),
	CFG_INT_LIST("clear_values", "{}", CFGF_NONE),
	CFG_INT_LIST("raise_bits", "{}", CFGF_NONE),
	CFG_INT_LIST("clear_bits", "{}", CFGF_NONE),
	CFG_STR("cause_from", NULL, CFGF_NONE),
	CFG_STR("cause_map", NULL, CFGF_NONE),
	CFG_STR("frame", NULL, CFGF_NONE),
	CFG_STR("slot", NULL, CFGF_NONE),
	CFG_STR("port", NULL, CFGF_NONE),
	CFG_STR("onu", NULL, CFGF_NONE),
	CFG_STR("line", NULL, CFGF_NONE),
	CFG_STR("ifindex", NULL, CFGF_NONE),
	CFG_INT("frame_index", -1, CFGF_NONE),
	CFG_INT("slot_index", -1, CFGF_NONE),
	CFG_INT("port_index", -1, CFGF_NONE),
	CFG_INT("onu_index", -1, CFGF_NONE),
	CFG_INT("line_index", -1, CFGF_NONE),
	CFG_INT("ifindex_index", -1, CFGF_NONE),
	CFG_STR("decoder", NULL, CFGF_NONE),
	CFG_STR("onu_mask", NULL, CFGF_NONE),
	CFG_INT("onu_mask_size", PROFILE_MASK_DEFAULT, CFGF_NONE),
	CFG_STR("affected_onus", NULL, CFGF_NONE),
	CFG_STR("dying_gasp_onus", NULL, CFGF_NONE),
	CFG_BOOL("verified", cfg_true, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t poll_opts[] = {
	CFG_STR("onu_state", NULL, CFGF_NONE),
	CFG_INT_LIST("onu_up_values", "{}", CFGF_NONE),
	CFG_INT_LIST("onu_down_values", "{}", CFGF_NONE),
	CFG_STR("onu_down_cause", NULL, CFGF_NONE),
	CFG_STR("onu_down_cause_map", NULL, CFGF_NONE),
	CFG_STR("onu_admin", NULL, CFGF_NONE),
	CFG_INT_LIST("onu_admin_down_values", "{}", CFGF_NONE),
	CFG_STR("onu_index", "ifindex.onu", CFGF_NONE),
	CFG_STR("pon_oper_status", "1.3.6.1.2.1.2.2.1.8", CFGF_NONE),
	CFG_STR("decoder", NULL, CFGF_NONE),
	CFG_INT("interval", 0, CFGF_NONE),
	CFG_BOOL("verified", cfg_true, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t profile_opts[] = {
	CFG_STR("description", NULL, CFGF_NONE),
	CFG_STR("vendor", NULL, CFGF_NONE),
	CFG_STR_LIST("models", "{}", CFGF_NONE),
	CFG_STR_LIST("sys_object_ids", "{}", CFGF_NONE),
	CFG_STR_LIST("device_kinds", "{}", CFGF_NONE),
	CFG_SEC("decoder", decoder_opts,
	    CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_SEC("map", map_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_SEC("trap", trap_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_SEC("poll", poll_opts, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t file_opts[] = {
	CFG_SEC("profile", profile_opts,
	    CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_END()
};

/*
 * libconfuse's error hook has no user pointer; loads run on one thread,
 * one at a time, so the file being read is kept here for the messages.
 */
static const char	*profile_cur_file;
static int		 profile_cur_errors;

static void	profile_errfunc(cfg_t *, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));

static void
profile_errfunc(cfg_t *cfg, const char *fmt, va_list ap)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	profile_cur_errors++;
	if (cfg != NULL && cfg->line > 0)
		log_error("%s:%d: %s", profile_cur_file, cfg->line, msg);
	else
		log_error("%s: %s", profile_cur_file, msg);
}

static void
profile_error(cfg_t *cfg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
profile_error(cfg_t *cfg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	profile_errfunc(cfg, fmt, ap);
	va_end(ap);
}

int
profile_kind_valid(const char *k)
{
	enum alarm_kind kind;

	return kind_parse(k, &kind) == 0;
}

/* "device.unreachable, device.power, ...": the kinds for an error. */
static const char *
profile_kind_list(char *buf, size_t len)
{
	size_t used = 0;
	int k;

	buf[0] = '\0';
	for (k = 0; k < KIND_N && used < len; k++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
		    k ? ", " : "", kind_name((enum alarm_kind)k));
	return buf;
}

/* Numeric OIDs only (profiles do not depend on MIB files being present). */
static int
profile_parse_oid(cfg_t *cfg, const char *what, const char *s,
    struct profile_oid *o)
{
	o->len = 0;
	if (s == NULL)
		return 0;
	if (strspn(s, "0123456789.") != strlen(s) || *s == '\0') {
		profile_error(cfg, "%s: \"%s\" is not a numeric OID", what, s);
		return -1;
	}
	o->len = MAX_OID_LEN;
	if (read_objid(s, o->o, &o->len) == 0 || o->len < 2) {
		o->len = 0;
		profile_error(cfg, "%s: \"%s\" is not a valid OID", what, s);
		return -1;
	}
	return 0;
}

static void
profile_bits(cfg_t *sec, const char *name, struct profile_bits *b)
{
	b->hi = b->lo = -1;
	if (cfg_size(sec, name) == 0)
		return;
	if (cfg_size(sec, name) != 2) {
		profile_error(sec, "decoder \"%s\": %s must be {high bit, low bit}",
		    cfg_title(sec), name);
		return;
	}
	b->hi = (int)cfg_getnint(sec, name, 0);
	b->lo = (int)cfg_getnint(sec, name, 1);
	if (b->lo < 0 || b->hi > 63 || b->hi < b->lo) {
		profile_error(sec, "decoder \"%s\": %s {%d, %d} is not a bit "
		    "range within 63..0", cfg_title(sec), name, b->hi, b->lo);
		b->hi = b->lo = -1;
	}
}

static void
profile_load_decoder(struct profile_decoder *d, cfg_t *sec)
{
	d->name = xstrdup(cfg_title(sec));
	d->match_mask = (unsigned long long)cfg_getint(sec, "match_mask");
	d->match_value = (unsigned long long)cfg_getint(sec, "match_value");
	profile_bits(sec, "frame", &d->frame);
	profile_bits(sec, "slot", &d->slot);
	profile_bits(sec, "port", &d->port);
	profile_bits(sec, "onu", &d->onu);
	d->frame_offset = cfg_getint(sec, "frame_offset");
	d->slot_offset = cfg_getint(sec, "slot_offset");
	d->port_offset = cfg_getint(sec, "port_offset");
	d->onu_offset = cfg_getint(sec, "onu_offset");
	if ((d->match_value & ~d->match_mask) != 0)
		profile_error(sec, "decoder \"%s\": match_value has bits outside "
		    "match_mask", d->name);
}

/* "CODE=TEXT" entries; the code is a decimal integer. */
static int
profile_map_pair(cfg_t *sec, const char *s, long long *code, const char **text)
{
	const char *eq = strchr(s, '=');
	char *end;

	errno = 0;
	*code = strtoll(s, &end, 10);
	if (eq == NULL || end != eq || end == s || errno != 0 || eq[1] == '\0') {
		profile_error(sec, "map \"%s\": \"%s\" is not CODE=TEXT",
		    cfg_title(sec), s);
		return -1;
	}
	*text = eq + 1;
	return 0;
}

static struct profile_map_entry *
profile_map_slot(struct profile_map *m, long long code)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->e[i].code == code)
			return &m->e[i];
	m->e = xreallocarray(m->e, m->n + 1, sizeof(*m->e));
	memset(&m->e[m->n], 0, sizeof(*m->e));
	m->e[m->n].code = code;
	return &m->e[m->n++];
}

static void
profile_load_map(struct profile_map *m, cfg_t *sec)
{
	struct profile_map_entry *e;
	const char *text;
	long long code;
	unsigned i;

	m->name = xstrdup(cfg_title(sec));
	for (i = 0; i < cfg_size(sec, "values"); i++) {
		if (profile_map_pair(sec, cfg_getnstr(sec, "values", i), &code,
		    &text) != 0)
			continue;
		e = profile_map_slot(m, code);
		free(e->cause);
		e->cause = xstrdup(text);
	}
	for (i = 0; i < cfg_size(sec, "kinds"); i++) {
		if (profile_map_pair(sec, cfg_getnstr(sec, "kinds", i), &code,
		    &text) != 0)
			continue;
		/* "none": the operator's doing (deactivated, rebooted) */
		if (strcmp(text, "none") != 0 &&
		    kind_intern(text) == NULL) {
			profile_error(sec, "map \"%s\": unknown alarm kind \"%s\"",
			    m->name, text);
			continue;
		}
		e = profile_map_slot(m, code);
		e->no_alarm = strcmp(text, "none") == 0;
		e->kind = (char *)kind_intern(text);
	}
}

const struct profile_decoder *
profile_get_decoder(const struct profile *p, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < p->ndecoders; i++)
		if (strcmp(p->decoders[i].name, name) == 0)
			return &p->decoders[i];
	return NULL;
}

const struct profile_map *
profile_get_map(const struct profile *p, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < p->nmaps; i++)
		if (strcmp(p->maps[i].name, name) == 0)
			return &p->maps[i];
	return NULL;
}

static size_t
profile_int_list(cfg_t *sec, const char *name, long long *out, size_t max)
{
	size_t i, n = cfg_size(sec, name);

	if (n > max) {
		profile_error(sec, "%s: at most %zu values", name, max);
		n = max;
	}
	for (i = 0; i < n; i++)
		out[i] = cfg_getnint(sec, name, (unsigned)i);
	return n;
}

static void
profile_load_action(struct profile *p, struct rule *r, cfg_t *sec)
{
	const char *a = cfg_getstr(sec, "action");

	r->n_raise = profile_int_list(sec, "raise_values", r->raise_values, 16);
	r->n_clear = profile_int_list(sec, "clear_values", r->clear_values, 16);
	r->n_raise_bits = profile_int_list(sec, "raise_bits", r->raise_bits, 16);
	r->n_clear_bits = profile_int_list(sec, "clear_bits", r->clear_bits, 16);
	profile_parse_oid(sec, "action_from", cfg_getstr(sec, "action_from"),
	    &r->action_from);
	if (strcmp(a, "raise") == 0)
		r->action = EVENT_RAISE;
	else if (strcmp(a, "clear") == 0)
		r->action = EVENT_CLEAR;
	else if (strcmp(a, "varbind") == 0)
		r->action = EVENT_RAW;
	else
		profile_error(sec, "trap \"%s\": action \"%s\" is not raise, "
		    "clear or varbind", r->name, a);
	if (r->action == EVENT_RAW && (r->action_from.len == 0 ||
	    r->n_raise + r->n_clear + r->n_raise_bits + r->n_clear_bits == 0))
		profile_error(sec, "trap \"%s\": action = \"varbind\" needs "
		    "action_from and raise_/clear_values or _bits", r->name);
	if (r->action != EVENT_RAW && r->action_from.len != 0)
		profile_error(sec, "trap \"%s\": action_from needs action = "
		    "\"varbind\"", r->name);
	if (cfg_getstr(sec, "clear_cause") != NULL && r->action != EVENT_RAW)
		profile_error(sec, "trap \"%s\": clear_cause is for action = "
		    "\"varbind\" (a clear rule has its own cause)", r->name);
}

/* The ONU mask and the ONU counts a trap may carry. */
static void
profile_load_onus(struct rule *r, cfg_t *sec)
{
	profile_parse_oid(sec, "onu_mask", cfg_getstr(sec, "onu_mask"),
	    &r->onu_mask);
	r->onu_mask_size = cfg_getint(sec, "onu_mask_size");
	if (r->onu_mask_size < 1 || r->onu_mask_size > PROFILE_MASK_ONUS)
		profile_error(sec, "trap \"%s\": onu_mask_size %lld is not "
		    "1..%d", r->name, r->onu_mask_size, PROFILE_MASK_ONUS);
	if (r->onu_mask.len != 0 && r->loc[LOC_ONU].prefix.len != 0)
		profile_error(sec, "trap \"%s\": onu and onu_mask exclude each "
		    "other", r->name);
	profile_parse_oid(sec, "affected_onus", cfg_getstr(sec,
	    "affected_onus"), &r->affected_from);
	profile_parse_oid(sec, "dying_gasp_onus", cfg_getstr(sec,
	    "dying_gasp_onus"), &r->dying_gasp_from);
}

static void
profile_load_loc(struct rule *r, cfg_t *sec)
{
	char key[32];
	int i;

	for (i = 0; i < LOC_N; i++) {
		profile_parse_oid(sec, loc_names[i], cfg_getstr(sec, loc_names[i]),
		    &r->loc[i].prefix);
		snprintf(key, sizeof(key), "%s_index", loc_names[i]);
		r->loc[i].index = (int)cfg_getint(sec, key);
		if (r->loc[i].index >= MAX_OID_LEN)
			profile_error(sec, "trap \"%s\": %s out of range",
			    r->name, key);
		if (r->loc[i].index >= 0 && r->loc[i].prefix.len == 0)
			profile_error(sec, "trap \"%s\": %s needs %s", r->name,
			    key, loc_names[i]);
	}
}

/* One rule per OID of the section; returns how many were added. */
static size_t
profile_load_trap(struct profile *p, cfg_t *sec, struct rule *proto)
{
	const char *kind = cfg_getstr(sec, "kind");
	const char *dec = cfg_getstr(sec, "decoder");
	const char *map = cfg_getstr(sec, "cause_map");
	char kinds[256];

	memset(proto, 0, sizeof(*proto));
	proto->name = xstrdup(cfg_title(sec));
	if (kind == NULL || (proto->kind = kind_intern(kind)) == NULL)
		profile_error(sec, "trap \"%s\": kind \"%s\" is not one of "
		    "%s", proto->name, kind ? kind : "",
		    profile_kind_list(kinds, sizeof(kinds)));
	if (cfg_getstr(sec, "cause") != NULL)
		proto->cause = xstrdup(cfg_getstr(sec, "cause"));
	if (cfg_getstr(sec, "clear_cause") != NULL)
		proto->clear_cause = xstrdup(cfg_getstr(sec, "clear_cause"));
	profile_load_action(p, proto, sec);
	profile_parse_oid(sec, "cause_from", cfg_getstr(sec, "cause_from"),
	    &proto->cause_from);
	if (map != NULL && (proto->cause_map = profile_get_map(p, map)) == NULL)
		profile_error(sec, "trap \"%s\": no map \"%s\" in profile \"%s\"",
		    proto->name, map, p->name);
	if ((proto->cause_map != NULL) != (proto->cause_from.len != 0))
		profile_error(sec, "trap \"%s\": cause_from and cause_map go "
		    "together", proto->name);
	profile_load_loc(proto, sec);
	profile_load_onus(proto, sec);
	if (dec != NULL && (proto->decoder = profile_get_decoder(p, dec)) == NULL)
		profile_error(sec, "trap \"%s\": no decoder \"%s\" in profile "
		    "\"%s\"", proto->name, dec, p->name);
	if (proto->decoder != NULL && proto->loc[LOC_IFINDEX].prefix.len == 0)
		profile_error(sec, "trap \"%s\": decoder needs ifindex",
		    proto->name);
	proto->verified = cfg_getbool(sec, "verified");
	if (cfg_size(sec, "oid") == 0)
		profile_error(sec, "trap \"%s\": oid is required", proto->name);
	return cfg_size(sec, "oid");
}

static void
profile_add_rules(struct profile *p, cfg_t *sec)
{
	struct rule proto, *r;
	size_t i, n;

	n = profile_load_trap(p, sec, &proto);
	for (i = 0; i < n; i++) {
		p->rules = xreallocarray(p->rules, p->nrules + 1,
		    sizeof(*p->rules));
		r = &p->rules[p->nrules];
		*r = proto;
		r->name = xstrdup(proto.name);
		r->cause = proto.cause ? xstrdup(proto.cause) : NULL;
		r->clear_cause = proto.clear_cause ?
		    xstrdup(proto.clear_cause) : NULL;
		if (profile_parse_oid(sec, "oid", cfg_getnstr(sec, "oid",
		    (unsigned)i), &r->oid) != 0) {
			free(r->name);
			free(r->cause);
			free(r->clear_cause);
			continue;
		}
		p->nrules++;
	}
	free(proto.name);
	free(proto.cause);
	free(proto.clear_cause);
}

static int
profile_rule_cmp(const void *a, const void *b)
{
	const struct rule *x = a, *y = b;

	return snmp_oid_compare(x->oid.o, x->oid.len, y->oid.o, y->oid.len);
}

static void
profile_check_dupes(struct profile *p, cfg_t *sec)
{
	size_t i;

	for (i = 1; i < p->nrules; i++)
		if (profile_rule_cmp(&p->rules[i - 1], &p->rules[i]) == 0)
			profile_error(sec, "profile \"%s\": traps \"%s\" and \"%s\" "
			    "have the same oid", p->name, p->rules[i - 1].name,
			    p->rules[i].name);
}

static void
profile_load_poll(struct profile *p, cfg_t *sec)
{
	struct profile_poll *pl = &p->poll;
	const char *s;

	if (sec == NULL || (cfg_getstr(sec, "onu_state") == NULL &&
	    cfg_getstr(sec, "onu_down_cause") == NULL))
		return;
	p->has_poll = 1;
	profile_parse_oid(sec, "onu_state", cfg_getstr(sec, "onu_state"),
	    &pl->onu_state);
	pl->n_up = profile_int_list(sec, "onu_up_values", pl->up_values, 16);
	pl->n_down = profile_int_list(sec, "onu_down_values", pl->down_values,
	    16);
	profile_parse_oid(sec, "onu_down_cause",
	    cfg_getstr(sec, "onu_down_cause"), &pl->onu_down_cause);
	s = cfg_getstr(sec, "onu_down_cause_map");
	if (s != NULL && (pl->down_cause_map = profile_get_map(p, s)) == NULL)
		profile_error(sec, "poll: no map \"%s\" in profile \"%s\"", s,
		    p->name);
	profile_parse_oid(sec, "onu_admin", cfg_getstr(sec, "onu_admin"),
	    &pl->onu_admin);
	pl->n_admin_down = profile_int_list(sec, "onu_admin_down_values",
	    pl->admin_down_values, 16);
	if (pl->onu_admin.len != 0 && pl->n_admin_down == 0)
		profile_error(sec, "poll: onu_admin needs onu_admin_down_values");
	s = cfg_getstr(sec, "onu_index");
	if (strcmp(s, "ifindex.onu") != 0 && strcmp(s, "onuindex") != 0)
		profile_error(sec, "poll: onu_index \"%s\" is not ifindex.onu "
		    "or onuindex", s);
	pl->onu_index = xstrdup(s);
	profile_parse_oid(sec, "pon_oper_status",
	    cfg_getstr(sec, "pon_oper_status"), &pl->pon_oper_status);
	s = cfg_getstr(sec, "decoder");
	if (s != NULL && (pl->decoder = profile_get_decoder(p, s)) == NULL)
		profile_error(sec, "poll: no decoder \"%s\" in profile \"%s\"",
		    s, p->name);
	pl->interval = (int)cfg_getint(sec, "interval");
	if (pl->onu_state.len != 0 && pl->n_up == 0)
		profile_error(sec, "poll: onu_state needs onu_up_values");
}

static void
profile_load_match(struct profile *p, cfg_t *sec)
{
	unsigned i;
	const char *k;

	if (cfg_getstr(sec, "vendor") != NULL)
		p->vendor = xstrdup(cfg_getstr(sec, "vendor"));
	p->nmodels = cfg_size(sec, "models");
	p->models = xcalloc(p->nmodels + 1, sizeof(char *));
	for (i = 0; i < p->nmodels; i++)
		p->models[i] = xstrdup(cfg_getnstr(sec, "models", i));
	p->nsysoids = cfg_size(sec, "sys_object_ids");
	p->sysoids = xcalloc(p->nsysoids + 1, sizeof(*p->sysoids));
	for (i = 0; i < p->nsysoids; i++)
		profile_parse_oid(sec, "sys_object_ids",
		    cfg_getnstr(sec, "sys_object_ids", i), &p->sysoids[i]);
	p->nkinds = cfg_size(sec, "device_kinds");
	p->kinds = xcalloc(p->nkinds + 1, sizeof(char *));
	for (i = 0; i < p->nkinds; i++) {
		k = cfg_getnstr(sec, "device_kinds", i);
		if (strcmp(k, "olt") != 0 && strcmp(k, "dslam") != 0)
			profile_error(sec, "profile \"%s\": device kind \"%s\" is "
			    "not olt or dslam", p->name, k);
		p->kinds[i] = xstrdup(k);
	}
	if (p->nmodels > 0 && p->vendor == NULL)
		profile_error(sec, "profile \"%s\": models need a vendor",
		    p->name);
}

static struct profile *
profile_load_one(cfg_t *sec, const char *file)
{
	struct profile *p = xcalloc(1, sizeof(*p));
	unsigned i;

	p->name = xstrdup(cfg_title(sec));
	p->file = xstrdup(file);
	profile_load_match(p, sec);
	p->ndecoders = cfg_size(sec, "decoder");
	p->decoders = xcalloc(p->ndecoders + 1, sizeof(*p->decoders));
	for (i = 0; i < p->ndecoders; i++)
		profile_load_decoder(&p->decoders[i],
		    cfg_getnsec(sec, "decoder", i));
	p->nmaps = cfg_size(sec, "map");
	p->maps = xcalloc(p->nmaps + 1, sizeof(*p->maps));
	for (i = 0; i < p->nmaps; i++)
		profile_load_map(&p->maps[i], cfg_getnsec(sec, "map", i));
	for (i = 0; i < cfg_size(sec, "trap"); i++)
		profile_add_rules(p, cfg_getnsec(sec, "trap", i));
	if (p->nrules > 0)
		qsort(p->rules, p->nrules, sizeof(*p->rules), profile_rule_cmp);
	profile_check_dupes(p, sec);
	profile_load_poll(p, cfg_getsec(sec, "poll"));
	return p;
}

static void
profile_free_one(struct profile *p)
{
	size_t i, j;

	for (i = 0; i < p->nmodels; i++)
		free(p->models[i]);
	for (i = 0; i < p->nkinds; i++)
		free(p->kinds[i]);
	for (i = 0; i < p->ndecoders; i++)
		free(p->decoders[i].name);
	for (i = 0; i < p->nmaps; i++) {
		for (j = 0; j < p->maps[i].n; j++)
			free(p->maps[i].e[j].cause);
		free(p->maps[i].e);
		free(p->maps[i].name);
	}
	for (i = 0; i < p->nrules; i++) {
		free(p->rules[i].name);
		free(p->rules[i].cause);
		free(p->rules[i].clear_cause);
	}
	free(p->poll.onu_index);
	free(p->models);
	free(p->kinds);
	free(p->sysoids);
	free(p->decoders);
	free(p->maps);
	free(p->rules);
	free(p->vendor);
	free(p->file);
	free(p->name);
	free(p);
}

static void
profile_set_add(struct profile_set *set, struct profile *p)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (strcmp(set->p[i]->name, p->name) == 0) {
			log_error("%s: profile \"%s\" is also defined in %s",
			    p->file, p->name, set->p[i]->file);
			profile_cur_errors++;
			profile_free_one(p);
			return;
		}
	set->p = xreallocarray(set->p, set->n + 1, sizeof(*set->p));
	set->p[set->n++] = p;
}

/* Parse one file (or buffer) into set; errors are counted. */
static void
profile_parse_into(struct profile_set *set, const char *name, const char *buf)
{
	cfg_t *cfg;
	unsigned i;
	int rc;

	snmplib_init();
	profile_cur_file = name;
	cfg = cfg_init(file_opts, CFGF_NONE);
	cfg_set_error_function(cfg, profile_errfunc);
	rc = buf != NULL ? cfg_parse_buf(cfg, buf) : cfg_parse(cfg, name);
	if (rc == CFG_FILE_ERROR)
		profile_error(NULL, "%s", strerror(errno));
	else if (rc == CFG_PARSE_ERROR && profile_cur_errors == 0)
		profile_error(cfg, "syntax error");
	else if (rc == CFG_SUCCESS)
		for (i = 0; i < cfg_size(cfg, "profile"); i++)
			profile_set_add(set, profile_load_one(
			    cfg_getnsec(cfg, "profile", i), name));
	cfg_free(cfg);
	profile_cur_file = NULL;
}

struct profile_set *
profile_load_buf(const char *name, const char *buf, int *errors)
{
	struct profile_set *set = xcalloc(1, sizeof(*set));

	profile_cur_errors = 0;
	profile_parse_into(set, name, buf);
	*errors += profile_cur_errors;
	return set;
}

struct profile_set *
profile_load_file(const char *path, int *errors)
{
	struct profile_set *set = xcalloc(1, sizeof(*set));

	profile_cur_errors = 0;
	profile_parse_into(set, path, NULL);
	*errors += profile_cur_errors;
	return set;
}

static int
profile_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
profile_is_conf(const char *n)
{
	size_t len = strlen(n);

	return n[0] != '.' && len > 5 && strcmp(n + len - 5, ".conf") == 0;
}

struct profile_set *
profile_load_dir(const char *dir, int *errors)
{
	struct profile_set *set;
	struct dirent *de;
	char **names = NULL, *path;
	size_t n = 0, i;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		/* Not fatal: without profiles every trap is kept as raw. */
		log_warnx("profiles: cannot read %s: %s; traps will be stored "
		    "as raw events", dir, strerror(errno));
		return xcalloc(1, sizeof(*set));
	}
	while ((de = readdir(d)) != NULL)
		if (profile_is_conf(de->d_name)) {
			names = xreallocarray(names, n + 1, sizeof(char *));
			names[n++] = xstrdup(de->d_name);
		}
	closedir(d);
	qsort(names, n, sizeof(char *), profile_name_cmp);
	set = xcalloc(1, sizeof(*set));
	profile_cur_errors = 0;
	for (i = 0; i < n; i++) {
		xasprintf(&path, "%s/%s", dir, names[i]);
		profile_parse_into(set, path, NULL);
		free(path);
		free(names[i]);
	}
	free(names);
	*errors += profile_cur_errors;
	return set;
}

void
profile_set_free(struct profile_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++)
		profile_free_one(set->p[i]);
	free(set->p);
	free(set);
}

size_t
profile_count(const struct profile_set *set)
{
	return set != NULL ? set->n : 0;
}

const struct profile *
profile_at(const struct profile_set *set, size_t i)
{
	return set != NULL && i < set->n ? set->p[i] : NULL;
}

const char *
profile_name(const struct profile *p)
{
	return p->name;
}

const char *
profile_file(const struct profile *p)
{
	return p->file;
}

const struct profile_poll *
profile_get_poll(const struct profile *p)
{
	return p->has_poll ? &p->poll : NULL;
}

const struct profile_map_entry *
profile_map_lookup(const struct profile_map *m, long long code)
{
	size_t i;

	for (i = 0; m != NULL && i < m->n; i++)
		if (m->e[i].code == code)
			return &m->e[i];
	return NULL;
}

/* Score of a profile for a device; 0 = does not apply. */
static int
profile_score(const struct profile *p, const struct profile_device *d)
{
	oid so[MAX_OID_LEN];
	size_t i, solen = MAX_OID_LEN;
	int kind_ok = p->nkinds == 0 || d->kind == NULL;

	for (i = 0; i < p->nkinds; i++)
		if (d->kind != NULL && strcmp(p->kinds[i], d->kind) == 0)
			kind_ok = 1;
	if (!kind_ok)
		return 0;
	if (p->nsysoids > 0 && d->sys_object_id != NULL &&
	    *d->sys_object_id != '\0' &&
	    read_objid(d->sys_object_id, so, &solen) != 0)
		for (i = 0; i < p->nsysoids; i++)
			if (p->sysoids[i].len > 0 && solen >= p->sysoids[i].len &&
			    snmp_oid_compare(so, p->sysoids[i].len,
			    p->sysoids[i].o, p->sysoids[i].len) == 0)
				return 5;
	if (p->vendor != NULL) {
		if (d->vendor == NULL || strcasecmp(p->vendor, d->vendor) != 0)
			return 0;
		for (i = 0; i < p->nmodels; i++)
			if (d->model != NULL && fnmatch(p->models[i], d->model,
			    FNM_CASEFOLD) == 0)
				return 4;
		return p->nmodels == 0 ? 3 : 0;
	}
	if (p->nsysoids > 0)
		return 0;	/* sysObjectID-only profile that did not match */
	return p->nkinds > 0 ? 2 : 1;
}

size_t
profile_candidates(const struct profile_set *set,
    const struct profile_device *d, const struct profile **out, size_t max)
{
	size_t i, n = 0;
	int s, want;

	/* Few profiles: one pass per score keeps the order stable. */
	for (want = 5; want >= 1; want--)
		for (i = 0; set != NULL && i < set->n && n < max; i++) {
			s = profile_score(set->p[i], d);
			if (s == want)
				out[n++] = set->p[i];
		}
	return n;
}

static const struct rule *
profile_find_rule(const struct profile *p, const oid *o, size_t len)
{
	size_t lo = 0, hi = p->nrules, mid;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = snmp_oid_compare(o, len, p->rules[mid].oid.o,
		    p->rules[mid].oid.len);
		if (c == 0)
			return &p->rules[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static int
profile_var_int(const netsnmp_variable_list *v, long long *out)
{
	switch (v->type) {
	case ASN_INTEGER:
		*out = *v->val.integer;
		return 0;
	case ASN_COUNTER:
	case ASN_GAUGE:
	case ASN_TIMETICKS:
	case ASN_UINTEGER:
		*out = (long long)(unsigned long)*v->val.integer & 0xffffffffLL;
		return 0;
	default:
		return -1;
	}
}

/* The first varbind whose name is under prefix. */
static const netsnmp_variable_list *
profile_find_var(const netsnmp_variable_list *vars,
    const struct profile_oid *prefix)
{
	for (; vars != NULL; vars = vars->next_variable)
		if (vars->name_length >= prefix->len &&
		    snmp_oid_compare(vars->name, prefix->len, prefix->o,
		    prefix->len) == 0)
			return vars;
	return NULL;
}

/* Largest sane value of each location field (profile.h says why). */
static const long long loc_max[LOC_N] = { PROFILE_FRAME_MAX,
	PROFILE_SLOT_MAX, PROFILE_PORT_MAX, PROFILE_ONU_MAX,
	PROFILE_IFINDEX_MAX, PROFILE_IFINDEX_MAX };

/*
 * A location varbind's value. An ifIndex is 32 bits that agents send as an
 * INTEGER: a negative one (Huawei's 0xFA002300 arrives as -100654336) is
 * the same 32 bits read unsigned.
 */
static int
profile_loc_value(const netsnmp_variable_list *v, int field, long long *out)
{
	if (profile_var_int(v, out) != 0)
		return -1;
	if ((field == LOC_LINE || field == LOC_IFINDEX) &&
	    v->type == ASN_INTEGER && *out < 0 && *out >= -2147483648LL)
		*out += 4294967296LL;
	return 0;
}

/* 1: the trap does not carry it; 0: *out set; -1: carried, not an integer. */
static int
profile_read_loc(const netsnmp_variable_list *vars, const struct loc_spec *ls,
    int field, long long *out)
{
	const netsnmp_variable_list *v;
	size_t at;

	if (ls->prefix.len == 0 || (v = profile_find_var(vars, &ls->prefix)) ==
	    NULL)
		return 1;
	if (ls->index < 0)
		return profile_loc_value(v, field, out);
	at = ls->prefix.len + (size_t)ls->index;
	if (at >= v->name_length)
		return 1;
	/* Sub-identifiers are unsigned 32 bits: 2147483648 is no ONU id. */
	*out = (long long)(v->name[at] & 0xffffffffUL);
	return 0;
}

static long long
profile_field(unsigned long long x, const struct profile_bits *b,
    long long offset)
{
	unsigned long long mask;

	if (b->hi < 0)
		return EVENT_LOC_UNSET;
	mask = b->hi - b->lo >= 63 ? ~0ULL : (1ULL << (b->hi - b->lo + 1)) - 1;
	return (long long)((x >> b->lo) & mask) + offset;
}

static int
profile_in_range(long long x, int field)
{
	return x == EVENT_LOC_UNSET || (x >= 0 && x <= loc_max[field]);
}

int
profile_location_check(const struct herald_location *loc, const char **field,
    long long *value)
{
	const long long v[LOC_N] = { loc->frame, loc->slot, loc->port,
	    loc->onu, loc->line, loc->if_index };
	int i;

	for (i = 0; i < LOC_N; i++)
		if (!profile_in_range(v[i], i)) {
			*field = loc_names[i];
			*value = v[i];
			return -1;
		}
	return 0;
}

int
profile_decode_ifindex(const struct profile_decoder *d,
    unsigned long long ifindex, struct herald_location *loc)
{
	struct herald_location out = *loc;
	const char *field;
	long long value;

	if ((ifindex & d->match_mask) != d->match_value)
		return -1;
	if (d->frame.hi >= 0)
		out.frame = profile_field(ifindex, &d->frame, d->frame_offset);
	if (d->slot.hi >= 0)
		out.slot = profile_field(ifindex, &d->slot, d->slot_offset);
	if (d->port.hi >= 0)
		out.port = profile_field(ifindex, &d->port, d->port_offset);
	if (d->onu.hi >= 0)
		out.onu = profile_field(ifindex, &d->onu, d->onu_offset);
	/* A field wider than its range (or an offset) can decode too far. */
	if (profile_location_check(&out, &field, &value) != 0)
		return -2;
	*loc = out;
	return 0;
}

/* BITS (RFC 2578 7.1.4): bit 0 is the high bit of the first octet. */
static int
profile_bit_set(const netsnmp_variable_list *v, long long bit)
{
	size_t byte;

	if (v->type != ASN_OCTET_STR || bit < 0)
		return 0;
	byte = (size_t)bit / 8;
	if (byte >= v->val_len)
		return 0;
	return (v->val.string[byte] & (0x80 >> (bit % 8))) != 0;
}

static int
profile_in(long long x, const long long *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] == x)
			return 1;
	return 0;
}

/* The action a "varbind" rule reads; EVENT_RAW when the value fits none. */
static enum event_action
profile_var_action(const struct rule *r, const netsnmp_variable_list *vars)
{
	const netsnmp_variable_list *v = profile_find_var(vars, &r->action_from);
	long long x;
	size_t i;

	if (v == NULL)
		return EVENT_RAW;
	for (i = 0; i < r->n_raise_bits; i++)
		if (profile_bit_set(v, r->raise_bits[i]))
			return EVENT_RAISE;
	for (i = 0; i < r->n_clear_bits; i++)
		if (profile_bit_set(v, r->clear_bits[i]))
			return EVENT_CLEAR;
	if (profile_var_int(v, &x) != 0)
		return EVENT_RAW;
	if (profile_in(x, r->raise_values, r->n_raise))
		return EVENT_RAISE;
	if (profile_in(x, r->clear_values, r->n_clear))
		return EVENT_CLEAR;
	return EVENT_RAW;
}

/* Note the first location that does not fit; the event becomes raw. */
static void
profile_bad(struct profile_match *m, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
profile_bad(struct profile_match *m, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (m->bad_field != NULL)
		return;
	m->bad_field = field;
	va_start(ap, fmt);
	vsnprintf(m->bad_value, sizeof(m->bad_value), fmt, ap);
	va_end(ap);
}

/* Frame, slot, port, ONU, line and ifIndex, each checked for its range. */
static void
profile_read_locs(const struct rule *r, const netsnmp_variable_list *vars,
    struct profile_match *m)
{
	long long *dst[LOC_N], x;
	int i, rc;

	dst[LOC_FRAME] = &m->loc.frame;
	dst[LOC_SLOT] = &m->loc.slot;
	dst[LOC_PORT] = &m->loc.port;
	dst[LOC_ONU] = &m->loc.onu;
	dst[LOC_LINE] = &m->loc.line;
	dst[LOC_IFINDEX] = &m->loc.if_index;
	for (i = 0; i < LOC_N; i++) {
		if ((rc = profile_read_loc(vars, &r->loc[i], i, &x)) == 1)
			continue;
		if (rc != 0)
			profile_bad(m, loc_names[i], "not an integer");
		else if (x < 0 || x > loc_max[i])
			profile_bad(m, loc_names[i], "%lld", x);
		else
			*dst[i] = x;
	}
	if (r->decoder != NULL && m->loc.if_index != EVENT_LOC_UNSET &&
	    profile_decode_ifindex(r->decoder,
	    (unsigned long long)m->loc.if_index, &m->loc) == -2)
		profile_bad(m, "ifindex", "%lld (decodes out of range)",
		    m->loc.if_index);
}

/*
 * The ONUs an onu_mask names, BITS style (RFC 2578 7.1.4): the most
 * significant bit of the first octet is ONU 0. A bit beyond the port's
 * size names an ONU that cannot exist: the trap is then a bad location.
 */
static void
profile_read_mask(const struct rule *r, const netsnmp_variable_list *vars,
    struct profile_match *m)
{
	const netsnmp_variable_list *v;
	size_t i;
	int b;

	if (r->onu_mask.len == 0 ||
	    (v = profile_find_var(vars, &r->onu_mask)) == NULL)
		return;
	if (v->type != ASN_OCTET_STR) {
		profile_bad(m, "onu", "mask is not an OCTET STRING");
		return;
	}
	for (i = 0; i < v->val_len; i++)
		for (b = 0; b < 8; b++) {
			if ((v->val.string[i] & (0x80 >> b)) == 0)
				continue;
			if ((long long)(i * 8 + b) >= r->onu_mask_size) {
				profile_bad(m, "onu", "mask bit %zu (port of %lld)",
				    i * 8 + b, r->onu_mask_size);
				m->has_mask = 0;
				return;
			}
			m->mask[i] |= 0x80 >> b;
			m->has_mask = 1;
		}
}

/* An ONU count; -1 (the MIB's "invalid") or nonsense: not given. */
static long long
profile_read_count(const netsnmp_variable_list *vars,
    const struct profile_oid *o)
{
	const netsnmp_variable_list *v;
	long long x;

	if (o->len == 0 || (v = profile_find_var(vars, o)) == NULL ||
	    profile_var_int(v, &x) != 0 || x < 0 || x > PROFILE_COUNT_MAX)
		return EVENT_LOC_UNSET;
	return x;
}

long long
profile_mask_next(const struct profile_match *m, long long from)
{
	long long i;

	if (!m->has_mask || from < 0)
		return -1;
	for (i = from; i < PROFILE_MASK_ONUS; i++)
		if (m->mask[i / 8] & (0x80 >> (i % 8)))
			return i;
	return -1;
}

/*
 * The cause of a raise is the rule's (or its map's); a clear rule may name
 * its own; a clear read from a varbind has clear_cause, NULL by default: a
 * clear does not carry the cause of the raise it ends.
 */
static void
profile_set_cause(const struct rule *r, const netsnmp_variable_list *vars,
    struct profile_match *m)
{
	const struct profile_map_entry *e;
	const netsnmp_variable_list *v;
	long long x;

	m->cause = r->action == EVENT_RAW && m->action == EVENT_CLEAR ?
	    r->clear_cause : r->cause;
	if (r->cause_map == NULL ||
	    (v = profile_find_var(vars, &r->cause_from)) == NULL ||
	    profile_var_int(v, &x) != 0 ||
	    (e = profile_map_lookup(r->cause_map, x)) == NULL)
		return;
	if (e->cause != NULL && m->action != EVENT_CLEAR)
		m->cause = e->cause;
	if (e->kind != NULL)
		m->kind = e->kind;
	if (e->no_alarm)	/* kept, but as a raw event */
		m->action = EVENT_RAW;
}

static void
profile_apply_rule(const struct profile *p, const struct rule *r,
    const netsnmp_variable_list *vars, struct profile_match *m)
{
	m->profile = p;
	m->rule = r->name;
	m->kind = r->kind;
	m->verified = r->verified;
	m->action = r->action == EVENT_RAW ? profile_var_action(r, vars) :
	    r->action;
	profile_set_cause(r, vars, m);
	profile_read_locs(r, vars, m);
	profile_read_mask(r, vars, m);
	m->affected_onus = profile_read_count(vars, &r->affected_from);
	m->dying_gasp_onus = profile_read_count(vars, &r->dying_gasp_from);
	/* No alarm for a place that cannot exist; the trap is kept raw. */
	if (m->bad_field != NULL)
		m->action = EVENT_RAW;
}

int
profile_match_trap(const struct profile *const *cands, size_t n,
    const oid *trap_oid, size_t trap_oid_len,
    const netsnmp_variable_list *vars, struct profile_match *m)
{
	const struct rule *r;
	size_t i;

	memset(m, 0, sizeof(*m));
	events_location_clear(&m->loc);
	m->affected_onus = m->dying_gasp_onus = EVENT_LOC_UNSET;
	for (i = 0; i < n; i++)
		if ((r = profile_find_rule(cands[i], trap_oid,
		    trap_oid_len)) != NULL) {
			profile_apply_rule(cands[i], r, vars, m);
			return 1;
		}
	return 0;
}

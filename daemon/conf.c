/*
 * conf.c: the core option table, the parse with errors as "file:line:
 * message", and the checks that need more than one option. Modules add
 * their own sections through struct herald_module.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "module.h"
#include "snmpcred.h"
#include "xmalloc.h"

/* Errors counted during one conf_load(); loads happen on the loop thread. */
static int conf_errors;
static const char *conf_path;	/* sections do not carry the file name */

static cfg_opt_t database_opts[] = {
	CFG_STR("conninfo", "host=/run/postgresql dbname=herald", CFGF_NONE),
	CFG_INT("heartbeat", 10, CFGF_NONE),
	CFG_INT("connect_timeout", 10, CFGF_NONE),
	CFG_INT("queue_max", 100000, CFGF_NONE),
	CFG_INT("stall_timeout", 30, CFGF_NONE),
	CFG_INT("stall_restart", 300, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t snmp_opts[] = {
	CFG_STR_LIST("trap_listen", "{udp:162,udp6:162}", CFGF_NONE),
	CFG_STR_LIST("communities", "{public}", CFGF_NONE),
	CFG_INT("receive_buffer", 8 * 1024 * 1024, CFGF_NONE),
	/* Shared by the trap collector and the poller (collectors/). */
	CFG_STR("engine_id", "", CFGF_NONE),
	CFG_STR("profile_dir", PKGDATADIR "/profiles", CFGF_NONE),
	CFG_SEC("credentials", snmpcred_opts,
	    CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_END()
};

static cfg_opt_t http_opts[] = {
	CFG_STR("listen", "127.0.0.1:8080", CFGF_NONE),
	CFG_STR("web_root", PKGDATADIR "/web", CFGF_NONE),
	CFG_END()
};

/* heraldctl's own section: where the API is and the token it sends. */
static cfg_opt_t ctl_opts[] = {
	CFG_STR("url", NULL, CFGF_NONE),
	CFG_STR("token", NULL, CFGF_NONE),
	CFG_END()
};

static cfg_opt_t log_opts[] = {
	CFG_STR("level", "info", CFGF_NONE),
	CFG_STR("target", "stderr", CFGF_NONE),
	CFG_STR("debug", "", CFGF_NONE),
	CFG_END()
};

static cfg_opt_t core_opts[] = {
	CFG_STR("state_dir", "/var/lib/herald", CFGF_NONE),
	CFG_STR("timezone", "Asia/Shanghai", CFGF_NONE),
	CFG_SEC("database", database_opts, CFGF_NONE),
	CFG_SEC("snmp", snmp_opts, CFGF_NONE),
	CFG_SEC("http", http_opts, CFGF_NONE),
	CFG_SEC("log", log_opts, CFGF_NONE),
	CFG_SEC("ctl", ctl_opts, CFGF_NONE),	/* heraldd ignores it */
};

static void
conf_errfunc(cfg_t *cfg, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	conf_errors++;
	if (cfg != NULL && conf_path != NULL && cfg->line > 0)
		log_error("%s:%d: %s", conf_path, cfg->line, msg);
	else if (conf_path != NULL)
		log_error("%s: %s", conf_path, msg);
	else
		log_error("configuration: %s", msg);
}

void
conf_error(cfg_t *cfg, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_errfunc(cfg, fmt, ap);
	va_end(ap);
}

/*
 * Validators never fail the parse: they report and count, so that one run
 * of "heraldd -n" shows every problem, not just the first.
 */
int
conf_check_positive(cfg_t *cfg, cfg_opt_t *opt)
{
	unsigned i;

	for (i = 0; i < cfg_opt_size(opt); i++)
		if (cfg_opt_getnint(opt, i) <= 0)
			conf_error(cfg, "%s: must be a positive number, not %ld",
			    opt->name, cfg_opt_getnint(opt, i));
	return 0;
}

int
conf_check_port(cfg_t *cfg, cfg_opt_t *opt)
{
	unsigned i;
	long v;

	for (i = 0; i < cfg_opt_size(opt); i++)
		if ((v = cfg_opt_getnint(opt, i)) < 1 || v > 65535)
			conf_error(cfg, "%s: %ld is not a port number (1-65535)",
			    opt->name, v);
	return 0;
}

/* net-snmp transport specifications: "udp:162", "udp6:[::1]:162", "127.0.0.1:1162". */
static int
conf_check_snmp_address_one(cfg_t *cfg, cfg_opt_t *opt, const char *s)
{
	const char *port = strrchr(s, ':');
	char *end;
	long n;

	if (port == NULL)
		port = s - 1;
	n = strtol(port + 1, &end, 10);
	if (*s == '\0' || *end != '\0' || n < 1 || n > 65535)
		conf_error(cfg, "%s: \"%s\" is not an address like udp:162 or "
		    "udp6:[::1]:162", opt->name, s);
	return 0;
}

int
conf_check_snmp_address(cfg_t *cfg, cfg_opt_t *opt)
{
	unsigned i;

	for (i = 0; i < cfg_opt_size(opt); i++)
		conf_check_snmp_address_one(cfg, opt, cfg_opt_getnstr(opt, i));
	return 0;
}

/* "ADDRESS:PORT" with a numeric address: names would need a blocking lookup. */
static int
conf_check_host_port_one(cfg_t *cfg, cfg_opt_t *opt, const char *s)
{
	const char *colon = strrchr(s, ':');
	char host[64], *end;
	unsigned char buf[sizeof(struct in6_addr)];
	size_t hlen;
	long n;

	if (colon == NULL || (hlen = (size_t)(colon - s)) >= sizeof(host))
		goto bad;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
		memmove(host, host + 1, hlen - 2);
		host[hlen - 2] = '\0';
	}
	if (inet_pton(AF_INET, host, buf) != 1 &&
	    inet_pton(AF_INET6, host, buf) != 1)
		goto bad;
	n = strtol(colon + 1, &end, 10);
	if (*end != '\0' || n < 1 || n > 65535)
		goto bad;
	return 0;
bad:
	conf_error(cfg, "%s: \"%s\" is not a numeric ADDRESS:PORT", opt->name, s);
	return 0;
}

int
conf_check_host_port(cfg_t *cfg, cfg_opt_t *opt)
{
	unsigned i;

	for (i = 0; i < cfg_opt_size(opt); i++)
		conf_check_host_port_one(cfg, opt, cfg_opt_getnstr(opt, i));
	return 0;
}

static int
conf_check_level_one(cfg_t *cfg, cfg_opt_t *opt, const char *s)
{

	if (log_level_parse(s) < 0)
		conf_error(cfg, "%s: \"%s\" is not one of error, warning, info, "
		    "debug", opt->name, s);
	return 0;
}

static int
conf_check_level(cfg_t *cfg, cfg_opt_t *opt)
{
	unsigned i;

	for (i = 0; i < cfg_opt_size(opt); i++)
		conf_check_level_one(cfg, opt, cfg_opt_getnstr(opt, i));
	return 0;
}

static int
conf_check_target_one(cfg_t *cfg, cfg_opt_t *opt, const char *s)
{

	if (strcmp(s, "stderr") != 0 && strcmp(s, "syslog") != 0)
		conf_error(cfg, "%s: \"%s\" is not stderr or syslog", opt->name, s);
	return 0;
}

static int
conf_check_target(cfg_t *cfg, cfg_opt_t *opt)
{
	unsigned i;

	for (i = 0; i < cfg_opt_size(opt); i++)
		conf_check_target_one(cfg, opt, cfg_opt_getnstr(opt, i));
	return 0;
}

/* libpq's own parser says whether a conninfo string is well formed. */
static int
conf_check_conninfo_one(cfg_t *cfg, cfg_opt_t *opt, const char *s)
{
	PQconninfoOption *o;
	char *err = NULL;

	if ((o = PQconninfoParse(s, &err)) == NULL) {
		conf_error(cfg, "%s: %s", opt->name,
		    err ? strtok(err, "\n") : "cannot be parsed");
		PQfreemem(err);
		return 0;
	}
	PQconninfoFree(o);
	return 0;
}

static int
conf_check_conninfo(cfg_t *cfg, cfg_opt_t *opt)
{
	unsigned i;

	for (i = 0; i < cfg_opt_size(opt); i++)
		conf_check_conninfo_one(cfg, opt, cfg_opt_getnstr(opt, i));
	return 0;
}

static int
conf_check_timezone_one(cfg_t *cfg, cfg_opt_t *opt, const char *s)
{
	char path[512];
	FILE *f;

	if (strchr(s, '.') != NULL) {
		conf_error(cfg, "%s: \"%s\" is not a time zone name", opt->name, s);
		return 0;
	}
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", s);
	if ((f = fopen(path, "r")) == NULL)
		conf_error(cfg, "%s: unknown time zone \"%s\"", opt->name, s);
	else
		fclose(f);
	return 0;
}

static int
conf_check_timezone(cfg_t *cfg, cfg_opt_t *opt)
{
	unsigned i;

	for (i = 0; i < cfg_opt_size(opt); i++)
		conf_check_timezone_one(cfg, opt, cfg_opt_getnstr(opt, i));
	return 0;
}

static cfg_opt_t *
conf_build_opts(void)
{
	size_t ncore = sizeof(core_opts) / sizeof(*core_opts), n = ncore, i;
	cfg_opt_t *opts, end[] = { CFG_END() };

	for (i = 0; herald_modules[i] != NULL; i++)
		n++;
	opts = xcalloc(n + 1, sizeof(*opts));
	memcpy(opts, core_opts, sizeof(core_opts));
	n = ncore;
	for (i = 0; herald_modules[i] != NULL; i++) {
		const struct herald_module *m = herald_modules[i];
		cfg_opt_t sec[] = { CFG_SEC(m->name, m->opts, CFGF_NONE) };

		if (m->opts != NULL)
			opts[n++] = sec[0];
	}
	opts[n] = end[0];
	return opts;
}

static void
conf_install_validators(cfg_t *cfg)
{
	size_t i;

	cfg_set_validate_func(cfg, "timezone", conf_check_timezone);
	cfg_set_validate_func(cfg, "database|conninfo", conf_check_conninfo);
	cfg_set_validate_func(cfg, "database|heartbeat", conf_check_positive);
	cfg_set_validate_func(cfg, "database|connect_timeout",
	    conf_check_positive);
	cfg_set_validate_func(cfg, "database|queue_max", conf_check_positive);
	cfg_set_validate_func(cfg, "database|stall_timeout",
	    conf_check_positive);
	cfg_set_validate_func(cfg, "database|stall_restart",
	    conf_check_positive);
	cfg_set_validate_func(cfg, "snmp|trap_listen", conf_check_snmp_address);
	cfg_set_validate_func(cfg, "snmp|receive_buffer", conf_check_positive);
	cfg_set_validate_func(cfg, "http|listen", conf_check_host_port);
	cfg_set_validate_func(cfg, "log|level", conf_check_level);
	cfg_set_validate_func(cfg, "log|target", conf_check_target);
	for (i = 0; herald_modules[i] != NULL; i++)
		if (herald_modules[i]->validators != NULL)
			herald_modules[i]->validators(cfg);
}

static void
conf_extract(struct herald_conf *c)
{
	cfg_t *cfg = c->cfg, *db, *http, *log, *ctl;

	db = cfg_getsec(cfg, "database");
	http = cfg_getsec(cfg, "http");
	log = cfg_getsec(cfg, "log");
	ctl = cfg_getsec(cfg, "ctl");
	c->state_dir = cfg_getstr(cfg, "state_dir");
	c->timezone = cfg_getstr(cfg, "timezone");
	c->db_conninfo = cfg_getstr(db, "conninfo");
	c->db_heartbeat = (int)cfg_getint(db, "heartbeat");
	c->db_connect_timeout = (int)cfg_getint(db, "connect_timeout");
	c->db_queue_max = (int)cfg_getint(db, "queue_max");
	c->db_stall_timeout = (int)cfg_getint(db, "stall_timeout");
	c->db_stall_restart = (int)cfg_getint(db, "stall_restart");
	c->http_listen = cfg_getstr(http, "listen");
	c->http_web_root = cfg_getstr(http, "web_root");
	c->log_level = log_level_parse(cfg_getstr(log, "level"));
	c->log_syslog = strcmp(cfg_getstr(log, "target"), "syslog") == 0;
	c->log_debug = cfg_getstr(log, "debug");
	c->ctl_url = cfg_getstr(ctl, "url");
	c->ctl_token = cfg_getstr(ctl, "token");
}

struct herald_conf *
conf_load(const char *path)
{
	struct herald_conf *c;
	cfg_opt_t *opts;
	size_t i;
	int rc;

	c = xcalloc(1, sizeof(*c));
	c->path = xstrdup(path);
	opts = conf_build_opts();
	c->cfg = cfg_init(opts, CFGF_NONE);
	free(opts);
	cfg_set_error_function(c->cfg, conf_errfunc);
	conf_install_validators(c->cfg);

	conf_errors = 0;
	conf_path = path;
	rc = cfg_parse(c->cfg, path);
	if (rc == CFG_FILE_ERROR) {
		log_error("%s: %s", path, strerror(errno));
		conf_errors++;
	} else if (rc == CFG_PARSE_ERROR && conf_errors == 0)
		conf_error(c->cfg, "syntax error");
	if (conf_errors == 0) {
		/* Cross-option checks see the finished tree; no line to name. */
		c->cfg->line = 0;
		for (i = 0; herald_modules[i] != NULL; i++)
			if (herald_modules[i]->check != NULL)
				herald_modules[i]->check(c->cfg);
	}
	if (conf_errors > 0) {
		log_error("%s: %d error%s", path, conf_errors,
		    conf_errors == 1 ? "" : "s");
		conf_free(c);
		conf_path = NULL;
		return NULL;
	}
	conf_path = NULL;
	conf_extract(c);
	return c;
}

void
conf_free(struct herald_conf *c)
{
	if (c == NULL)
		return;
	if (c->cfg != NULL)
		cfg_free(c->cfg);
	free(c->path);
	free(c);
}

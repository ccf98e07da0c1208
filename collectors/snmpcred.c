/*
 * snmpcred.c: SNMP credentials from herald.conf. Secrets stay in the
 * configuration file; the database names a credential only by its title.
 * USM users are created with net-snmp's own "createUser" parser, so the
 * protocol names and key localisation are exactly net-snmp's.
 */
#include "config.h"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/snmpusm.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "log.h"
#include "snmpcred.h"
#include "snmplib.h"
#include "xmalloc.h"

cfg_opt_t snmpcred_opts[] = {
	CFG_STR("version", "2c", CFGF_NONE),
	CFG_STR("community", NULL, CFGF_NONE),
	CFG_STR("user", NULL, CFGF_NONE),
	CFG_STR("auth_protocol", NULL, CFGF_NONE),
	CFG_STR("auth_password", NULL, CFGF_NONE),
	CFG_STR("priv_protocol", NULL, CFGF_NONE),
	CFG_STR("priv_password", NULL, CFGF_NONE),
	CFG_STR_LIST("engine_id", "{}", CFGF_NONE),
	CFG_END()
};

static const char *const snmpcred_auth_names[] = {
	"MD5", "SHA", "SHA-224", "SHA-256", "SHA-384", "SHA-512", NULL
};
static const char *const snmpcred_priv_names[] = {
	"DES", "AES", "AES-192", "AES-256", NULL
};

static int
snmpcred_in(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcasecmp(s, *list) == 0)
			return 1;
	return 0;
}

static long
snmpcred_version(const char *v)
{
	if (strcmp(v, "1") == 0)
		return SNMP_VERSION_1;
	if (strcmp(v, "2c") == 0)
		return SNMP_VERSION_2c;
	if (strcmp(v, "3") == 0)
		return SNMP_VERSION_3;
	return -1;
}

/* USM needs 8+ characters; '"' would end net-snmp's quoted word. */
static void
snmpcred_check_password(cfg_t *sec, const char *what, const char *pw)
{
	if (pw == NULL)
		conf_error(sec, "credentials \"%s\": %s is required",
		    cfg_title(sec), what);
	else if (strlen(pw) < 8)
		conf_error(sec, "credentials \"%s\": %s must be at least 8 "
		    "characters", cfg_title(sec), what);
	else if (strpbrk(pw, "\"\\\n") != NULL)
		conf_error(sec, "credentials \"%s\": %s must not contain "
		    "quotes, backslashes or newlines", cfg_title(sec), what);
}

static void
snmpcred_check_v3(cfg_t *sec)
{
	const char *user = cfg_getstr(sec, "user");
	const char *auth = cfg_getstr(sec, "auth_protocol");
	const char *priv = cfg_getstr(sec, "priv_protocol");
	unsigned char buf[32];
	unsigned i;

	if (user == NULL || *user == '\0' || strpbrk(user, " \t\"\\") != NULL)
		conf_error(sec, "credentials \"%s\": version 3 needs a user "
		    "name without blanks or quotes", cfg_title(sec));
	if (auth != NULL && !snmpcred_in(auth, snmpcred_auth_names))
		conf_error(sec, "credentials \"%s\": auth_protocol \"%s\" is not "
		    "MD5, SHA, SHA-224, SHA-256, SHA-384 or SHA-512",
		    cfg_title(sec), auth);
	if (priv != NULL && !snmpcred_in(priv, snmpcred_priv_names))
		conf_error(sec, "credentials \"%s\": priv_protocol \"%s\" is not "
		    "DES, AES, AES-192 or AES-256", cfg_title(sec), priv);
	if (priv != NULL && auth == NULL)
		conf_error(sec, "credentials \"%s\": priv_protocol needs an "
		    "auth_protocol", cfg_title(sec));
	if (auth != NULL)
		snmpcred_check_password(sec, "auth_password",
		    cfg_getstr(sec, "auth_password"));
	if (priv != NULL)
		snmpcred_check_password(sec, "priv_password",
		    cfg_getstr(sec, "priv_password"));
	if (cfg_size(sec, "engine_id") > SNMPCRED_MAX_ENGINES)
		conf_error(sec, "credentials \"%s\": more than %d engine IDs",
		    cfg_title(sec), SNMPCRED_MAX_ENGINES);
	for (i = 0; i < cfg_size(sec, "engine_id"); i++)
		if (snmplib_parse_hex(cfg_getnstr(sec, "engine_id", i), buf,
		    sizeof(buf)) < 5)
			conf_error(sec, "credentials \"%s\": engine_id \"%s\" is "
			    "not 5 to 32 bytes of hex", cfg_title(sec),
			    cfg_getnstr(sec, "engine_id", i));
}

void
snmpcred_check(cfg_t *snmp)
{
	unsigned i;
	cfg_t *sec;
	long v;

	for (i = 0; i < cfg_size(snmp, "credentials"); i++) {
		sec = cfg_getnsec(snmp, "credentials", i);
		if ((v = snmpcred_version(cfg_getstr(sec, "version"))) < 0)
			conf_error(sec, "credentials \"%s\": version \"%s\" is "
			    "not 1, 2c or 3", cfg_title(sec),
			    cfg_getstr(sec, "version"));
		else if (v == SNMP_VERSION_3)
			snmpcred_check_v3(sec);
		else if (cfg_getstr(sec, "community") == NULL)
			conf_error(sec, "credentials \"%s\": version %s needs a "
			    "community", cfg_title(sec), cfg_getstr(sec, "version"));
	}
}

static char *
snmpcred_dup(cfg_t *sec, const char *name)
{
	const char *s = cfg_getstr(sec, name);

	return s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

static void
snmpcred_fill(struct snmpcred *c, cfg_t *sec)
{
	unsigned i;

	c->name = xstrdup(cfg_title(sec));
	c->version = snmpcred_version(cfg_getstr(sec, "version"));
	c->community = snmpcred_dup(sec, "community");
	c->user = snmpcred_dup(sec, "user");
	c->auth_protocol = snmpcred_dup(sec, "auth_protocol");
	c->auth_password = snmpcred_dup(sec, "auth_password");
	c->priv_protocol = snmpcred_dup(sec, "priv_protocol");
	c->priv_password = snmpcred_dup(sec, "priv_password");
	c->sec_level = c->priv_protocol ? SNMP_SEC_LEVEL_AUTHPRIV :
	    c->auth_protocol ? SNMP_SEC_LEVEL_AUTHNOPRIV :
	    SNMP_SEC_LEVEL_NOAUTH;
	for (i = 0; i < cfg_size(sec, "engine_id") &&
	    i < SNMPCRED_MAX_ENGINES; i++)
		c->engines[c->nengines++] =
		    xstrdup(cfg_getnstr(sec, "engine_id", i));
}

struct snmpcred_set *
snmpcred_load(cfg_t *snmp)
{
	struct snmpcred_set *set = xcalloc(1, sizeof(*set));
	unsigned i;

	set->n = cfg_size(snmp, "credentials");
	set->creds = xcalloc(set->n + 1, sizeof(*set->creds));
	for (i = 0; i < set->n; i++)
		snmpcred_fill(&set->creds[i], cfg_getnsec(snmp, "credentials", i));
	set->ncommunities = cfg_size(snmp, "communities");
	set->communities = xcalloc(set->ncommunities + 1, sizeof(char *));
	for (i = 0; i < set->ncommunities; i++)
		set->communities[i] = xstrdup(cfg_getnstr(snmp, "communities", i));
	return set;
}

void
snmpcred_free(struct snmpcred_set *set)
{
	struct snmpcred *c;
	size_t i, j;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++) {
		c = &set->creds[i];
		free(c->name);
		free(c->community);
		free(c->user);
		free(c->auth_protocol);
		free(c->auth_password);
		free(c->priv_protocol);
		free(c->priv_password);
		for (j = 0; j < c->nengines; j++)
			free(c->engines[j]);
	}
	for (i = 0; i < set->ncommunities; i++)
		free(set->communities[i]);
	free(set->communities);
	free(set->creds);
	free(set);
}

const struct snmpcred *
snmpcred_find(const struct snmpcred_set *set, const char *name)
{
	size_t i;

	if (set == NULL || name == NULL)
		return NULL;
	for (i = 0; i < set->n; i++)
		if (strcmp(set->creds[i].name, name) == 0)
			return &set->creds[i];
	return NULL;
}

static int
snmpcred_same(const char *a, const unsigned char *b, size_t len)
{
	return strlen(a) == len && memcmp(a, b, len) == 0;
}

int
snmpcred_community_ok(const struct snmpcred_set *set,
    const struct snmpcred *c, const char *community, size_t len)
{
	size_t i;

	if (community == NULL)
		return 0;
	if (c != NULL && c->community != NULL)
		return snmpcred_same(c->community,
		    (const unsigned char *)community, len);
	for (i = 0; set != NULL && i < set->ncommunities; i++)
		if (snmpcred_same(set->communities[i],
		    (const unsigned char *)community, len))
			return 1;
	return 0;
}

static void
snmpcred_usm_remove(const char *engine_hex, const char *user)
{
	unsigned char id[32];
	struct usmUser *u;
	int n;

	if (engine_hex == NULL)
		n = (int)snmpv3_get_engineID(id, sizeof(id));
	else
		n = snmplib_parse_hex(engine_hex, id, sizeof(id));
	if (n <= 0)
		return;
	if ((u = usm_get_user(id, (size_t)n, (char *)user)) != NULL) {
		usm_remove_user(u);
		usm_free_user(u);
	}
}

static int
snmpcred_usm_create(const struct snmpcred *c, const char *engine_hex)
{
	char line[1024], eng[80] = "";

	if (engine_hex != NULL)
		snprintf(eng, sizeof(eng), "-e %s ", engine_hex);
	if (c->priv_protocol != NULL)
		snprintf(line, sizeof(line), "%s%s %s \"%s\" %s \"%s\"", eng,
		    c->user, c->auth_protocol, c->auth_password,
		    c->priv_protocol, c->priv_password);
	else if (c->auth_protocol != NULL)
		snprintf(line, sizeof(line), "%s%s %s \"%s\"", eng, c->user,
		    c->auth_protocol, c->auth_password);
	else
		snprintf(line, sizeof(line), "%s%s", eng, c->user);
	usm_parse_create_usmUser("createUser", line);
	explicit_bzero(line, sizeof(line));
	return 1;
}

int
snmpcred_usm_update(const struct snmpcred_set *old,
    const struct snmpcred_set *new)
{
	const struct snmpcred *c;
	size_t i, j;
	int n = 0;

	for (i = 0; old != NULL && i < old->n; i++) {
		c = &old->creds[i];
		if (c->version != SNMP_VERSION_3)
			continue;
		snmpcred_usm_remove(NULL, c->user);
		for (j = 0; j < c->nengines; j++)
			snmpcred_usm_remove(c->engines[j], c->user);
	}
	for (i = 0; new != NULL && i < new->n; i++) {
		c = &new->creds[i];
		if (c->version != SNMP_VERSION_3)
			continue;
		n += snmpcred_usm_create(c, NULL);
		for (j = 0; j < c->nengines; j++)
			n += snmpcred_usm_create(c, c->engines[j]);
	}
	return n;
}

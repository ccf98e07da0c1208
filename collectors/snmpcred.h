/*
 * snmpcred.h: named SNMP credentials ("snmp { credentials NAME { ... } }"),
 * which devices refer to by devices.snmp_profile. The trap receiver checks
 * communities and USM users with them; the poller polls with them.
 */
#ifndef HERALD_SNMPCRED_H
#define HERALD_SNMPCRED_H

#include <confuse.h>
#include <stddef.h>

#define SNMPCRED_MAX_ENGINES	64

struct snmpcred {
	char		*name;
	long		 version;	/* SNMP_VERSION_1, _2c or _3 */
	char		*community;	/* v1/v2c; NULL: snmp.communities */
	char		*user;		/* v3 */
	char		*auth_protocol;	/* "SHA", ... or NULL: noAuthNoPriv */
	char		*auth_password;
	char		*priv_protocol;	/* "AES", ... or NULL: no privacy */
	char		*priv_password;
	int		 sec_level;	/* SNMP_SEC_LEVEL_* */
	size_t		 nengines;	/* device engine IDs, for v3 traps */
	char		*engines[SNMPCRED_MAX_ENGINES];
};

struct snmpcred_set {
	size_t		 n;
	struct snmpcred	*creds;
	size_t		 ncommunities;	/* snmp.communities: the fallback */
	char		**communities;
};

/* The options of one credentials section, for the core snmp section. */
extern cfg_opt_t snmpcred_opts[];

/* Check every credentials section under the snmp section (conf_error). */
void		 snmpcred_check(cfg_t *snmp);
/* Build the set from a checked snmp section. */
struct snmpcred_set *snmpcred_load(cfg_t *snmp);
void		 snmpcred_free(struct snmpcred_set *);
const struct snmpcred *snmpcred_find(const struct snmpcred_set *,
		    const char *name);
/* True when a v1/v2c community is accepted for a device with this cred. */
int		 snmpcred_community_ok(const struct snmpcred_set *,
		    const struct snmpcred *, const char *community, size_t len);
/*
 * Make net-snmp's USM user list match the set: users of old (may be NULL)
 * are removed, users of new are created for our local engine (informs) and
 * for each device engine ID (traps). Returns the number of users created.
 */
int		 snmpcred_usm_update(const struct snmpcred_set *old,
		    const struct snmpcred_set *new);

#endif

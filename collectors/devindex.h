/*
 * devindex.h: the known devices (the devices table), found by management
 * address in constant time, each with its SNMP credentials and the vendor
 * profiles that apply to it.
 */
#ifndef HERALD_DEVINDEX_H
#define HERALD_DEVINDEX_H

#include <sys/socket.h>

#include <libpq-fe.h>
#include <stddef.h>

#include "profile.h"
#include "snmpcred.h"

#define DEVINDEX_MAX_CANDS	8

struct device {
	long long		 id;
	char			*name;
	char			*kind;
	char			*vendor;
	char			*model;
	char			*addr;		/* text, as in mgmt_addr */
	char			*snmp_profile;	/* credentials name */
	char			*sys_object_id;
	int			 snmp_port;	/* where it answers SNMP (poller) */
	unsigned char		 key[16];	/* IPv6 or v4-mapped */
	const struct snmpcred	*cred;		/* NULL: snmp.communities */
	size_t			 ncands;
	const struct profile	*cands[DEVINDEX_MAX_CANDS];
};

/* The query whose rows devindex_load() takes, in this column order. */
extern const char devindex_sql[];

struct devindex	*devindex_new(void);
void		 devindex_free(struct devindex *);
/* Replace the contents with the rows of a devindex_sql result. */
size_t		 devindex_load(struct devindex *, const PGresult *);
/* Add one device (tests, heraldctl); the strings are copied. */
struct device	*devindex_add(struct devindex *, long long id, const char *name,
		    const char *kind, const char *vendor, const char *model,
		    const char *addr, const char *snmp_profile,
		    const char *sys_object_id);
/* Look up credentials and profiles again (after a reload). */
void		 devindex_resolve(struct devindex *, const struct profile_set *,
		    const struct snmpcred_set *);
const struct device *devindex_lookup(const struct devindex *,
		    const struct sockaddr *, size_t salen);
const struct device *devindex_lookup_text(const struct devindex *,
		    const char *addr);
size_t		 devindex_count(const struct devindex *);
/* The devices in id order, for those who visit them all (the poller). */
const struct device *devindex_get(const struct devindex *, size_t i);

/*
 * The last device list read from the database, kept in a file (JSON) so
 * that a heraldd started while PostgreSQL is away still knows whose traps
 * to accept. save: 0 or -1 (logged); load: devices read, -1 if none.
 */
int		 devindex_save(const struct devindex *, const char *path);
long		 devindex_load_file(struct devindex *, const char *path);

#endif

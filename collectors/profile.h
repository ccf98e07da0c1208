/*
 * profile.h: vendor profiles (collectors/profiles/NAME.conf), data not code.
 *
 * A profile says which devices it is for (vendor and model patterns,
 * sysObjectID prefixes, device kinds), how to turn each notification OID
 * into a normalised alarm (kind, raise or clear, cause, where), how a
 * vendor packs frame/slot/port into an ifIndex (decoders), and, in its
 * optional poll section, which tables the poller walks for the same facts.
 */
#ifndef HERALD_PROFILE_H
#define HERALD_PROFILE_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include "events.h"

struct profile;
struct profile_set;

struct profile_oid {
	oid		 o[MAX_OID_LEN];
	size_t		 len;		/* 0: not set */
};

/* An ifIndex bit layout: field = (ifindex >> lo) & mask(hi - lo + 1). */
struct profile_bits {
	int		 hi, lo;	/* -1: field not encoded */
};

struct profile_decoder {
	char			*name;
	unsigned long long	 match_mask;	/* ifindex & mask == value */
	unsigned long long	 match_value;
	struct profile_bits	 frame, slot, port, onu;
	long long		 frame_offset, slot_offset, port_offset, onu_offset;
};

/* A code -> cause (and optionally kind) table, e.g. a last-down-cause. */
struct profile_map_entry {
	long long	 code;
	char		*cause;
	char		*kind;		/* NULL: the rule's kind */
	int		 no_alarm;	/* kind "none": not an outage */
};

struct profile_map {
	char			*name;
	size_t			 n;
	struct profile_map_entry *e;
};

/*
 * The poll section, for the poller (all optional). Tables are indexed
 * <ponIfIndex>.<onuId> unless onu_index says otherwise.
 */
struct profile_poll {
	struct profile_oid	 onu_state;	/* ONU run/phase state column */
	size_t			 n_up, n_down;
	long long		 up_values[16];	/* onu_state values = online */
	long long		 down_values[16];
	struct profile_oid	 onu_down_cause; /* last down cause column */
	const struct profile_map *down_cause_map;
	struct profile_oid	 onu_admin;	/* ONU admin state column */
	size_t			 n_admin_down;
	long long		 admin_down_values[16]; /* = disabled: no outage */
	char			*onu_index;	/* "ifindex.onu" or "onuindex" */
	struct profile_oid	 pon_oper_status; /* usually IF-MIB ifOperStatus */
	const struct profile_decoder *decoder;	/* for the ifIndex in the index */
	int			 interval;	/* seconds; 0: poller default */
};

/* What a device looks like to profile matching. */
struct profile_device {
	const char	*kind;		/* "olt", "dslam" */
	const char	*vendor;
	const char	*model;
	const char	*sys_object_id;	/* numeric, may be NULL */
};

/*
 * Sane ranges of the location fields (doc/trap.md, "Locations that do not
 * fit"). A value outside them, or not an integer, names a place that
 * cannot exist: the event is kept as a raw event with that field unset
 * (counted as bad_location), so that no alarm is raised, and no SMS sent,
 * for the wrong place, and no row PostgreSQL would refuse is written.
 * Every bound also fits the column: frame/slot/port/onu are integer,
 * line and if_index bigint.
 */
#define PROFILE_FRAME_MAX	1024	/* hwFrameIndex 0..1024; ZTE shelf 4 bits */
#define PROFILE_SLOT_MAX	255	/* hwSlotIndex 0..255; ZTE slot 8 bits */
#define PROFILE_PORT_MAX	255	/* hwPortIndex 0..255; ZTE port 8 bits */
#define PROFILE_ONU_MAX		255	/* hwXponOntIndex 0..254; ZTE 1..128 */
#define PROFILE_IFINDEX_MAX	4294967295LL	/* an ifIndex is 32 bits */
/* ONU counts a PON trap carries (int4 columns); -1 is the MIB's invalid. */
#define PROFILE_COUNT_MAX	65535
/* ONU masks (hwXponOntMask): bits kept, and the default port size. */
#define PROFILE_MASK_ONUS	(PROFILE_ONU_MAX + 1)
#define PROFILE_MASK_DEFAULT	128	/* ONUs on one GPON port */

/* The result of matching a notification. */
struct profile_match {
	const struct profile	*profile;
	const char		*rule;		/* trap section title */
	const char		*kind;		/* NULL: no rule matched */
	enum event_action	 action;
	const char		*cause;
	struct herald_location	 loc;
	int			 verified;	/* the rule is not marked UNVERIFIED */
	/* A location that did not fit: then action is EVENT_RAW. */
	const char		*bad_field;	/* "slot", ...; NULL: all fit */
	char			 bad_value[48];	/* what was sent, as text */
	long long		 affected_onus;	/* EVENT_LOC_UNSET: not given */
	long long		 dying_gasp_onus;
	/*
	 * An onu_mask rule: the ONUs named in the mask, one event each (see
	 * profile_mask_next()). has_mask is 0 when the trap carried no mask
	 * or named no ONU: then one event for the port.
	 */
	int			 has_mask;
	unsigned char		 mask[PROFILE_MASK_ONUS / 8];
};

/*
 * Load every NAME.conf in dir (sorted). Errors are logged as "file:line:
 * message" and counted in *errors. An unreadable dir is only a warning
 * (an empty set): traps are then all kept as raw events.
 */
struct profile_set *profile_load_dir(const char *dir, int *errors);
/* Load one file (heraldctl, tests, fuzzing). */
struct profile_set *profile_load_file(const char *path, int *errors);
/* Load from a string (tests, fuzzing); name is used in messages. */
struct profile_set *profile_load_buf(const char *name, const char *buf,
		    int *errors);
void		 profile_set_free(struct profile_set *);
size_t		 profile_count(const struct profile_set *);
const struct profile *profile_at(const struct profile_set *, size_t);

/*
 * The profiles that apply to a device, best first: sysObjectID, then
 * vendor and model, then vendor, then kind-only, then generic profiles.
 * Returns how many were written to out (at most max).
 */
size_t		 profile_candidates(const struct profile_set *,
		    const struct profile_device *, const struct profile **out,
		    size_t max);

/*
 * Match a notification (its trap OID, numeric, as v2 sees it; for v1 the
 * RFC 3584 form) against the candidates in order. Returns 1 with m filled
 * when a rule matched, 0 when none did (m->kind is NULL).
 */
int		 profile_match_trap(const struct profile *const *cands,
		    size_t n, const oid *trap_oid, size_t trap_oid_len,
		    const netsnmp_variable_list *vars, struct profile_match *m);

const char	*profile_name(const struct profile *);
const char	*profile_file(const struct profile *);
const struct profile_poll *profile_get_poll(const struct profile *);
const struct profile_decoder *profile_get_decoder(const struct profile *,
		    const char *name);
const struct profile_map *profile_get_map(const struct profile *,
		    const char *name);
const struct profile_map_entry *profile_map_lookup(const struct profile_map *,
		    long long code);
/*
 * Fill loc's frame/slot/port(/onu) from an ifIndex: 0; -1 when it is not
 * of the decoder's layout, -2 when a field decodes outside its sane range
 * (loc is then not touched).
 */
int		 profile_decode_ifindex(const struct profile_decoder *,
		    unsigned long long ifindex, struct herald_location *loc);
/*
 * 0 when every field of loc is unset or within its range (the PROFILE_*_MAX
 * above); else -1 with the first field that is not and its value.
 */
int		 profile_location_check(const struct herald_location *,
		    const char **field, long long *value);
/* The first ONU named in m's mask at or after from; -1 when none is. */
long long	 profile_mask_next(const struct profile_match *, long long from);

/* The alarm kinds herald knows; profiles may use no others. */
int		 profile_kind_valid(const char *);

#endif

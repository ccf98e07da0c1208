/*
 * events.h: the normalised alarm event and the pipeline that carries it.
 *
 * Collectors (the trap receiver, the poller) turn what a device says into a
 * struct herald_event and hand it to events_submit(). The pipeline gives it
 * at once, in memory, to every subscriber (the rules engine) and queues it
 * for the append-only events table: written in batches with one COPY per
 * batch, held in a bounded memory buffer and then a spool file under
 * state_dir while PostgreSQL is away, and written back in order when it
 * returns. Nothing is dropped without being counted and logged.
 */
#ifndef HERALD_EVENTS_H
#define HERALD_EVENTS_H

#include <stdint.h>
#include <string.h>
#include <sys/time.h>

struct herald;

#define EVENT_LOC_UNSET		(-1)

enum event_action {
	EVENT_RAW = 0,		/* unknown trap: kept for profile writers */
	EVENT_RAISE,
	EVENT_CLEAR,
};

enum event_source {
	EVENT_SOURCE_TRAP = 0,
	EVENT_SOURCE_POLL,
};

/* Where on the device; EVENT_LOC_UNSET in fields that do not apply. */
struct herald_location {
	long long	 frame;
	long long	 slot;
	long long	 port;
	long long	 onu;
	long long	 line;		/* DSL line (usually its ifIndex) */
	long long	 if_index;	/* as received, before decoding */
};

struct herald_event {
	uint64_t		 uid;		/* set by events_submit() */
	struct timeval		 time;
	long long		 device_id;	/* devices.id; 0 when unknown */
	const char		*kind;		/* "onu.los" ...; NULL if raw */
	enum event_action	 action;
	struct herald_location	 loc;
	const char		*cause;		/* "dying-gasp", ... or NULL */
	enum event_source	 source;
	const char		*peer;		/* sender address, "192.0.2.1" */
	const char		*pdu;		/* "v2c-trap", "v3-inform", ... */
	const char		*trap_oid;	/* numeric */
	const char		*profile;	/* profile and rule that matched */
	const char		*rule;
	const char		*varbinds;	/* "OID TYPE VALUE" lines, or NULL */
	/*
	 * What a PON LOS trap counts (Huawei hwXponOltLosAffectOntNum and
	 * hwXponOltLosDgiOntNum): ONUs affected, and those that sent a dying
	 * gasp. EVENT_LOC_UNSET when not given; events_init() sets that.
	 */
	long long		 affected_onus;
	long long		 dying_gasp_onus;
};

/* Called for every event, synchronously, before events_submit returns. */
typedef void	(*events_cb)(const struct herald_event *, void *arg);

/* All locations unset. */
void		 events_location_clear(struct herald_location *);

/*
 * An empty event: zeroes, and EVENT_LOC_UNSET in every location and count
 * (0 is a real ONU count). Every builder of an event starts with this.
 */
static inline void
events_init(struct herald_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	events_location_clear(&ev->loc);
	ev->affected_onus = ev->dying_gasp_onus = EVENT_LOC_UNSET;
}
const char	*events_action_name(enum event_action);

/*
 * Hand an event to the subscribers and to the database queue. The strings
 * are copied; ev->uid is filled in. Never blocks and never fails: what
 * cannot be queued or spooled is counted as dropped.
 */
void		 events_submit(struct herald *, struct herald_event *);
void		 events_subscribe(struct herald *, events_cb, void *arg);

/* Counters for tests, metrics and the stats log line. */
struct events_stats {
	unsigned long long	submitted;
	unsigned long long	written;	/* rows acknowledged by the DB */
	unsigned long long	batches;	/* COPY batches acknowledged */
	unsigned long long	spooled;	/* rows written to the spool */
	unsigned long long	unspooled;	/* rows read back from it */
	unsigned long long	dropped;	/* rows lost, each one logged */
	unsigned long long	duplicates;	/* batches already in the DB */
	unsigned long long	pending;	/* rows in memory now */
	unsigned long long	spool_bytes;	/* spool file size now */
	unsigned long long	splits;		/* refused batches halved */
	unsigned long long	quarantined;	/* rows in events_quarantine */
	unsigned long long	stalls;		/* writer stalls (store) */
};
void		 events_get_stats(struct herald *, struct events_stats *);

/* Format one event as a COPY text row (for tests and the spool). */
struct evbuffer;
void		 events_format_row(struct evbuffer *, const struct herald_event *);

#endif

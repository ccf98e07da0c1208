/*
 * engine.h: the rules engine, from normalised events to incidents.
 *
 * The engine is a state machine driven from outside: engine_event() for
 * each event, engine_tick() when the time it asked for has come. It reads
 * no clock and does no I/O; "now" is passed in (event time in heraldd, the
 * recorded time in "heraldctl replay"), and what must be stored or done is
 * handed to a sink. So heraldd and the replay run the same decisions, and a
 * scenario is a deterministic test.
 *
 * Alarms (alarm.c): one per reduction key (kind.h); repeats fold into it, a
 * clear closes it, a clear that comes before its raise waits a short while
 * for it, an alarm that flaps is held as one long fault.
 *
 * Incidents (correlate.c): an alarm whose ancestor scope is in an incident
 * joins it as evidence; a PON, board or device alarm opens an incident at
 * its scope and absorbs the incidents below it; many ONUs down together on
 * a splitter or PON port open one there, with a cause inferred from the
 * evidence (LOS: fibre cut; dying gasps: power cut); several scopes down
 * under one board or device roll up. An incident is suspected, confirmed
 * after its hold-down, and resolved when its root clears and most of its
 * ONUs are back; one that clears within the hold-down is transient.
 */
#ifndef HERALD_ENGINE_H
#define HERALD_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "events.h"
#include "inventory.h"
#include "kind.h"

/* Microseconds since the epoch. */
typedef int64_t rtime_t;
#define RTIME_SEC	1000000LL

enum incident_state {
	INCIDENT_SUSPECTED = 0,	/* opened, not shown to subscribers */
	INCIDENT_CONFIRMED,	/* lasted its hold-down: tell people */
	INCIDENT_RESOLVED,	/* root cleared, most ONUs back */
	INCIDENT_TRANSIENT,	/* cleared within the hold-down */
	INCIDENT_MERGED,	/* absorbed by an incident above it */
};

enum incident_cause {
	CAUSE_UNKNOWN = 0,
	CAUSE_FIBRE_CUT,	/* mostly LOS, or a PON LOS */
	CAUSE_POWER_CUT,	/* mostly dying gasps: area power failure */
	CAUSE_DEVICE_DOWN,	/* OLT/DSLAM unreachable or without power */
	CAUSE_BOARD_FAULT,
	CAUSE_PORT_DOWN,	/* a DSLAM (or OLT) port down */
	CAUSE_ONU_LOS,		/* individual: one ONU lost its signal */
	CAUSE_ONU_POWER,	/* individual: a dying gasp that persisted */
	CAUSE_ONU_OFFLINE,	/* individual */
	CAUSE_LINE_DOWN,	/* individual: one DSL line */
	CAUSE_N
};

const char	*incident_state_name(enum incident_state);
const char	*incident_cause_name(enum incident_cause);
int		 incident_cause_parse(const char *, enum incident_cause *);
int		 incident_state_parse(const char *, enum incident_state *);

struct incident;

struct alarm {
	char			 key[KIND_KEY_MAX];	/* reduction key */
	int64_t			 device_id;
	enum alarm_kind		 kind;
	struct herald_location	 loc;
	enum event_source	 source;	/* of the last change */
	char			*cause;		/* of the last raise */
	int			 raised;	/* as herald holds it */
	int			 flapping;
	unsigned		 raise_count;
	rtime_t			 first_raised_at;
	rtime_t			 last_raised_at;
	rtime_t			 cleared_at;	/* 0 while raised */
	rtime_t			 changed_at;	/* last raise or clear */
	/* Counts a Huawei PON LOS trap carries (-1 when not given). */
	long long		 affected_onus, dying_gasp_onus;
	struct incident		*incident;	/* evidence of, or NULL */
	void			*priv;		/* the engine's */
};

#define INCIDENT_UID_MAX	160

struct incident {
	char			 uid[INCIDENT_UID_MAX];	/* scope key @ opened */
	char			 scope_key[KIND_KEY_MAX];
	struct inventory_scope	 scope;		/* kind, device, numbers */
	char			 splitter[64];	/* scope.splitter points here */
	long long		 line;		/* DSL line scope: its line */
	int			 individual;	/* one account's fault: repair */
	enum incident_state	 state;
	enum incident_cause	 cause;
	int			 planned;	/* in a maintenance window */
	char			 root[KIND_KEY_MAX];	/* root alarm, or "" */
	char			 title[256];
	rtime_t			 opened_at, confirmed_at, resolved_at;
	rtime_t			 hold_until;	/* suspected: confirm then */
	int64_t			*accounts;	/* subscribers.id, sorted */
	size_t			 naccounts;
	size_t			 nonus;		/* ONUs (or lines) affected */
	size_t			 nevidence;	/* alarms that are evidence */
	double			 subscriber_minutes;
	char			 merged_into[INCIDENT_UID_MAX];
	void			*priv;		/* the engine's */
};

/* A maintenance window: incidents at or under its scope are planned. */
struct maint_window {
	int64_t			 id;
	struct inventory_scope	 scope;		/* device_id and numbers */
	char			 splitter[64];
	rtime_t			 starts_at, ends_at;
};

/*
 * What the engine hands out. alarm: an alarm changed (raised, repeated,
 * cleared, flapping, joined an incident): store it. incident: an incident
 * was opened or changed (state, cause, accounts, evidence): store it; a
 * merged or finished incident is handed out once more, then forgotten.
 * read_port: ask the poller for a read of this PON or DSL port now, to
 * confirm or refute a suspected incident before its hold-down ends.
 * inventory: the topology index in force (may be NULL: no accounts known).
 */
struct engine_sink {
	void	(*alarm)(void *arg, const struct alarm *);
	void	(*incident)(void *arg, const struct incident *);
	void	(*read_port)(void *arg, int64_t device_id,
		    const struct herald_location *);
	const struct inventory_index *(*inventory)(void *arg);
};

struct policy;
struct engine;

struct engine	*engine_new(const struct policy *, const struct engine_sink *,
		    void *arg);
void		 engine_free(struct engine *);
/* A new policy (after a reload); the engine keeps a copy. */
void		 engine_set_policy(struct engine *, const struct policy *);
/* The maintenance windows in force (copied). */
void		 engine_set_windows(struct engine *, const struct maint_window *,
		    size_t);

/* One normalised event (raw events are ignored). */
void		 engine_event(struct engine *, const struct herald_event *,
		    rtime_t now);
/* Run what is due at now; returns the next time to call, or 0 for none. */
rtime_t		 engine_tick(struct engine *, rtime_t now);

/* What herald holds for a place (the poller asks); NULL if nothing. */
const struct alarm *engine_alarm(struct engine *, int64_t device_id,
		    enum alarm_kind, const struct herald_location *);

/*
 * Restore state saved in PostgreSQL at start, before the first event:
 * open incidents first (with their accounts), then open alarms, which
 * name their incident by uid (NULL: none). Nothing is handed to the sink.
 */
void		 engine_restore_incident(struct engine *, const struct incident *);
void		 engine_restore_alarm(struct engine *, const struct alarm *,
		    const char *incident_uid);
/* Open incidents get back their evidence's accounts from the index in
 * force (after the restore; when the first index comes). */
void		 engine_refill_accounts(struct engine *, rtime_t now);

/*
 * Forget a device's incidents and alarms (its early clears, deadlines,
 * repeats not yet handed out) without handing anything to the sink:
 * another heraldd instance acts for it now. The device may be restored
 * again later (engine_restore_*) or start afresh with its next event.
 */
void		 engine_drop_device(struct engine *, int64_t device_id);

/* Every incident the engine holds, in opening order. */
void		 engine_foreach_incident(struct engine *,
		    void (*)(const struct incident *, void *), void *);

struct engine_stats {
	unsigned long long	 events, alarms_open, alarms_raised,
				 alarms_cleared, repeats, early_clears,
				 flapping, incidents_open, incidents_opened,
				 confirmed, resolved, transient, merged;
};
void		 engine_get_stats(struct engine *, struct engine_stats *);

#endif

/*
 * alarm.h: the alarm table (private to the rules engine). One entry per
 * reduction key: repeats fold into it, a clear closes it, a clear that
 * comes before its raise waits early_clear_window for it, and an alarm
 * that changes more than flap.count times in flap.window is held raised
 * until it has stayed clear for flap.quiet.
 */
#ifndef HERALD_ALARM_H
#define HERALD_ALARM_H

#include <sys/queue.h>

#include "engine.h"

struct policy;

#define ALARM_FLAP_MAX	32

struct ealarm {
	struct alarm		 a;		/* what the sink sees */
	TAILQ_ENTRY(ealarm)	 ev_entry;	/* its incident's evidence */
	TAILQ_ENTRY(ealarm)	 port_entry;	/* raised ONU alarms of a port */
	TAILQ_ENTRY(ealarm)	 timed_entry;	/* has a deadline */
	TAILQ_ENTRY(ealarm)	 cl_entry;	/* cleared, kept a while */
	TAILQ_ENTRY(ealarm)	 dirty_entry;	/* repeats not yet handed out */
	int			 dirty;
	void			*port;		/* the port list it is on */
	int			 timed;
	char			 splitter[64];	/* ONU alarms: its splitter */
	int			 splitter_known;
	rtime_t			 flap[ALARM_FLAP_MAX];	/* transitions */
	int			 nflap;
	rtime_t			 clear_pending;	/* flapping: clear seen then */
	rtime_t			 dg_until;	/* lone dying gasp: fault then */
	rtime_t			 regrace_until;	/* straggler: looked at then */
};

enum alarm_change {
	ALARM_IGNORED = 0,	/* raw, unknown kind, a clear of nothing */
	ALARM_RAISED,		/* new, or raised again after a clear */
	ALARM_REPEATED,		/* raised again while raised */
	ALARM_CLEARED,
	ALARM_HELD,		/* a flapping alarm's clear: held raised */
	ALARM_EARLY,		/* a raise its early clear cancels */
};

struct alarm_table;

struct alarm_table *alarm_table_new(void);
void		 alarm_table_free(struct alarm_table *);
/* Apply one event; *out is the alarm it changed (or NULL). */
enum alarm_change alarm_apply(struct alarm_table *, const struct policy *,
		    const struct herald_event *, rtime_t now,
		    struct ealarm **out);
struct ealarm	*alarm_lookup(struct alarm_table *, const char *key);
/* A raised alarm from the database. */
struct ealarm	*alarm_restore(struct alarm_table *, const struct alarm *);
/*
 * Flapping alarms whose quiet period has passed are cleared (cb is told);
 * cleared alarms past the flap window are forgotten when no incident
 * holds them. Returns the next deadline, 0 for none.
 */
rtime_t		 alarm_tick(struct alarm_table *, const struct policy *,
		    rtime_t now, void (*cb)(struct ealarm *, void *), void *);
/* Put an alarm on (or take it off) the list of alarms with a deadline. */
void		 alarm_set_timed(struct alarm_table *, struct ealarm *, int);
/*
 * Forget every alarm of a device (and its early clears); unlink is told
 * of each alarm first, to take it out of the engine's own lists. Returns
 * how many alarms went.
 */
size_t		 alarm_drop_device(struct alarm_table *, int64_t device_id,
		    void (*unlink)(struct ealarm *, void *), void *);
size_t		 alarm_count_open(struct alarm_table *);
/* Every alarm with a deadline (dying gasps waiting to persist). */
struct ealarm	*alarm_timed_first(struct alarm_table *);
struct ealarm	*alarm_timed_next(struct ealarm *);

#endif

/*
 * rules.h: the rules engine inside heraldd (rules.c): what other modules
 * may ask of it. The alarm state lives in the engine alone; the poller
 * asks it what herald holds instead of keeping its own copy.
 */
#ifndef HERALD_RULES_H
#define HERALD_RULES_H

#include <stddef.h>
#include <stdint.h>

struct herald;
struct herald_location;
struct alarm;

/*
 * The alarm herald holds for a device, kind and place (raised, or cleared
 * a short while ago), or NULL: none, or no rules module running.
 */
const struct alarm *rules_alarm(struct herald *, int64_t device_id,
		    const char *kind, const struct herald_location *);

/*
 * Every incident the engine holds (open, or ended and not yet stored), in
 * opening order; nothing when no rules module runs. The incidents are the
 * engine's: valid only during the call.
 */
struct incident;
void		 rules_foreach_incident(struct herald *,
		    void (*)(const struct incident *, void *), void *);

/*
 * Cluster hooks, called by daemon/cluster.c (see cluster.h).
 *
 * rules_devices_lost: forget the engine's alarms and incidents of these
 * devices without writing anything (another instance acts for them now);
 * writes already decided for them stay queued and go out with the epoch
 * they carry.
 *
 * rules_devices_gained: load these devices' open state from PostgreSQL
 * (rules_load_open_devices) into the engine and call ready(arg) once it is
 * in, or given up on after a timeout (logged). No event of theirs reaches
 * the engine before that: cluster.c keeps them in its ring meanwhile.
 *
 * rules_barrier: done(arg) once every write decided before the call has
 * been handed to the decisions connection, so that a statement queued
 * there afterwards runs after them.
 *
 * Without a rules module, ready and done are called at once.
 */
void		 rules_devices_lost(struct herald *, const int64_t *, size_t);
void		 rules_devices_gained(struct herald *, const int64_t *, size_t,
		    void (*ready)(void *), void *arg);
void		 rules_barrier(struct herald *, void (*done)(void *), void *arg);

#endif

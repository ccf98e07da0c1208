/*
 * rules.h: the rules engine inside heraldd (rules.c): what other modules
 * may ask of it. The alarm state lives in the engine alone; the poller
 * asks it what herald holds instead of keeping its own copy.
 */
#ifndef HERALD_RULES_H
#define HERALD_RULES_H

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

#endif

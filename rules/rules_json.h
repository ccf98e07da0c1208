/*
 * rules_json.h: the rules engine's alarms, incidents and maintenance
 * windows as the JSON that schema/040_rules.sql's functions take and give.
 * Pure conversions (no I/O), so that the glue in rules.c stays about the
 * loop and the tests can check the encoding alone.
 *
 * Written: times as ISO 8601 UTC with microseconds, places as numbers or
 * null. Read back (rules_load_open, rules_load_windows): times as
 * microseconds since the epoch, the engine's rtime_t.
 */
#ifndef HERALD_RULES_JSON_H
#define HERALD_RULES_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "engine.h"

/* "2026-01-01T00:00:00.000001Z" (len >= 32), or "" for 0. */
void		 rules_time_iso(rtime_t, char *buf, size_t len);
/* The same as a JSON string, or JSON null for 0 (a new reference). */
json_t		*rules_time_json(rtime_t);
const char	*rules_scope_name(enum inventory_scope_kind);
int		 rules_scope_parse(const char *, enum inventory_scope_kind *);

/* One element of rules_write_alarms' array (a new reference). */
json_t		*rules_json_alarm(const struct alarm *);
/* rules_write_incident's argument (a new reference). */
json_t		*rules_json_incident(const struct incident *);

/*
 * An open incident of rules_load_open into *inc (accounts allocated: free
 * them with free(inc->accounts)); the hold-down of a suspected one is
 * counted again from its opening. 0, or -1 when it is malformed.
 */
int		 rules_json_to_incident(const json_t *, const int *hold_down,
		    struct incident *inc);
/* An open alarm; *uid is its incident's uid or NULL (points into json). */
int		 rules_json_to_alarm(const json_t *, struct alarm *,
		    const char **uid);
/* rules_load_windows' array; *out allocated (free it). -1: malformed. */
int		 rules_json_to_windows(const json_t *, struct maint_window **out,
		    size_t *n);

#endif

/*
 * policy.h: the rules engine's thresholds, read from rules/policy.conf
 * (libconfuse). Every figure the correlation uses lives here, so that an
 * operator can replay a night with "heraldctl replay" and tune them.
 */
#ifndef HERALD_POLICY_H
#define HERALD_POLICY_H

#include "engine.h"

struct policy {
	/* Incidents */
	int	 hold_down[CAUSE_N];	/* seconds suspected before confirmed */
	int	 infer_window;		/* seconds: ONUs down together */
	int	 infer_min_onus;	/* at least this many ONUs down ... */
	double	 infer_share;		/* ... and this share of the scope's */
	double	 cause_majority;	/* share of LOS (or dying gasps) */
	int	 rollup_min;		/* child scopes in incidents ... */
	double	 rollup_share;		/* ... and their share, to roll up */
	double	 resolve_share;		/* share of ONUs back to resolve */
	int	 straggler_grace;	/* seconds before a straggler is a fault */
	int	 dying_gasp_persist;	/* seconds: a lone dying gasp is a fault */
	/* Alarms */
	int	 early_clear_window;	/* seconds a clear waits for its raise */
	int	 repeat_interval;	/* seconds between writes of repeats */
	int	 flap_count;		/* more transitions than this ... */
	int	 flap_window;		/* ... within this many seconds: flapping */
	int	 flap_quiet;		/* seconds clear before a flapping alarm clears */
};

/* The built-in defaults (the values of the shipped policy.conf). */
void		 policy_defaults(struct policy *);
/*
 * Read a policy file over the defaults; 0, or -1 with every problem
 * logged (file, line, key).
 */
int		 policy_load(struct policy *, const char *path);

#endif

/*
 * modules.c: every module of heraldd, in start order (stopped in reverse).
 * Add a module here and its configuration section exists.
 */
#include "config.h"

#include <stddef.h>

#include "module.h"

extern const struct herald_module cluster_module;
extern const struct herald_module heartbeat_module;
extern const struct herald_module events_module;
extern const struct herald_module inventory_module;
extern const struct herald_module rules_module;
extern const struct herald_module sla_module;
extern const struct herald_module notify_module;
extern const struct herald_module api_module;
extern const struct herald_module trap_module;
extern const struct herald_module poll_module;

const struct herald_module *const herald_modules[] = {
	&cluster_module,	/* first: the instance name; stopped last */
	&heartbeat_module,
	&events_module,
	&inventory_module,
	&rules_module,
	&sla_module,
	&notify_module,
	&trap_module,
	&poll_module,
	&api_module,
	NULL
};

/*
 * cluster.h: several heraldd instances sharing the devices through lease
 * rows in PostgreSQL (daemon/cluster.c, schema/090_cluster.sql).
 *
 * With "cluster { enabled = true }" an instance acts only for the devices
 * it holds a lease on: their traps and poll results go through the events
 * pipeline and the rules engine; the traps of the other devices are kept
 * in a short ring per device and replayed, in order, if this instance takes
 * the device over. Every write for a device carries the lease's epoch and
 * PostgreSQL refuses a stale one. Standalone (the default) an instance acts
 * for every device, as if it held every lease with epoch 0.
 */
#ifndef HERALD_CLUSTER_H
#define HERALD_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

struct herald;
struct herald_event;

/* This instance's name (cluster.name, else the host name); never NULL. */
const char	*cluster_name(struct herald *);

/* The name to send with fenced writes: NULL when standalone. */
const char	*cluster_instance(struct herald *);

int		 cluster_enabled(struct herald *);

/*
 * Whether this instance acts for the device now: standalone always; in a
 * cluster while it holds a lease it has not lost or let run out (checked
 * against the monotonic clock on each call, so a process that wakes from
 * a pause does not act on a lease that ran out meanwhile).
 */
int		 cluster_owns(struct herald *, int64_t device_id);

/* The epoch held for the device: 0 when standalone or not held. */
int64_t		 cluster_epoch(struct herald *, int64_t device_id);

/*
 * The events pipeline's gate (events_submit): 1 when the event goes on;
 * 0 when it was taken (a trap of a device held by another instance goes
 * to that device's ring; a poll result of a device no longer held is
 * dropped and counted).
 */
int		 cluster_accept(struct herald *, const struct herald_event *);

/*
 * SIGTERM: give the held leases back once the writes decided for them are
 * out, then leave the loop (at most 3 s; standalone at once).
 */
void		 cluster_leave(struct herald *);

/* Writes refused by PostgreSQL for a stale epoch (rules.c reports them). */
void		 cluster_count_fenced(struct herald *, unsigned long long);

#endif

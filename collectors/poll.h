/*
 * poll.h: the poller's shared parts (collectors/poll.c runs the devices,
 * collectors/poll_onu.c reads and reconciles the ONU, PON and line tables).
 */
#ifndef HERALD_POLL_H
#define HERALD_POLL_H

#include <stddef.h>
#include <stdint.h>

#include "events.h"

struct event;
struct herald;
struct profile;
struct snmpsess;
struct snmpcred_set;
struct profile_decoder;

/* Counters, for the stats line and the tests. */
struct poll_stats {
	unsigned long	 reach_checks;
	unsigned long	 reach_failures;
	unsigned long	 cycles;		/* full ONU/line reads done */
	unsigned long	 confirms;		/* targeted port reads done */
	unsigned long	 confirms_merged;	/* asked for while queued */
	unsigned long	 rows;
	unsigned long	 bad_rows;		/* wrong type or index */
	unsigned long	 walk_failures;
	unsigned long	 raised;		/* corrections: raise */
	unsigned long	 cleared;		/* corrections: clear */
};

/* One polled device. */
struct pdev {
	struct poller		*poller;
	long long		 id;
	char			*name;
	char			*addr;
	char			*kind;
	char			*vendor;
	char			*model;
	char			*sys_object_id;
	char			*cred;
	const struct profile	*profile;	/* with a poll section, or NULL */
	struct snmpsess		*sess;
	struct event		*ev_reach;
	struct event		*ev_cycle;
	struct event		*ev_confirm;
	int			 failures;	/* consecutive reach failures */
	int			 unreachable;
	int			 reach_busy;
	int			 seen;		/* still in the device list */
	int			 first_done;	/* a full read has completed */
	int			 in_round;	/* counted in round_left */
	int			 dying;
	struct poll_read	*cycle;		/* full read in progress */
	struct poll_read	*confirm;	/* targeted read in progress */
	long long		*confirm_ports;	/* ponIfIndexes asked for */
	size_t			 nconfirm;
};

struct poller {
	struct herald		*h;
	struct pdev		**devs;
	size_t			 ndevs;
	int			 interval;
	int			 onu_interval;
	int			 unreachable_after;
	int			 confirm_delay;
	int			 spread;
	/* The first full read of every device, timed for operators. */
	struct timeval		 round_start;
	size_t			 round_left;
	unsigned long		 round_rows;
	struct poll_stats	 st;
	struct event		*ev_stats;
	struct snmpcred_set	*creds;
};

/*
 * Cluster (daemon/cluster.c): devices this instance now acts for are read
 * at once; those it no longer acts for are not read until they come back.
 */
void	poll_devices_gained(struct poller *, const int64_t *, size_t);
void	poll_devices_lost(struct poller *, const int64_t *, size_t);

/* poll_onu.c */
/* Start a full read (port NULL) or a read of these PON ifIndexes. */
void	poll_onu_read(struct pdev *, const long long *ports, size_t nports);
/* Does herald hold this alarm raised (the rules engine's alarm state)? */
int	poll_held_has(struct pdev *, const char *kind,
	    const struct herald_location *);
/* Submit a correction event for this device. */
void	poll_correct(struct pdev *, const char *kind, enum event_action,
	    const struct herald_location *, const char *cause);

/* The PON ifIndex a decoded location came from; -1 if it cannot be made. */
int	poll_encode_ifindex(const struct profile_decoder *,
	    const struct herald_location *, long long *);

/* poll.c */
/*
 * For the rules engine: read the PON port at loc now (merged with reads
 * already asked for), to confirm or refute a suspected incident. -1 when
 * the device is not polled or its profile cannot read one port (DSL).
 */
int	poll_read_port(struct poller *, long long device_id,
	    const struct herald_location *);
void	poll_device_done(struct pdev *);
void	poll_cycle_done(struct pdev *, size_t rows);

#endif

/*
 * sim.h: herald-sim, a fleet of simulated GPON OLTs and DSLAMs. Each device
 * is a real SNMP agent (net-snmp server session) on its own address or port;
 * faults change the device state and emit the vendor's traps. One libevent
 * loop carries every agent socket, the trap sender and the control inputs.
 *
 * Sections: sim_fleet.c (devices, vendors, locations), sim_mib.c (sorted OID
 * table per device, values), sim_agent.c (answering requests, misbehaviour,
 * request statistics), sim_trap.c (trap PDUs, drop share, rate), sim_fault.c
 * (fault injection and restoration), sim_cmd.c (command language on stdin,
 * scenario files and the control socket), sim_inventory.c (CSV files).
 */
#ifndef HERALD_SIM_H
#define HERALD_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <netinet/in.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

struct event_base;
struct event;
struct sim;

enum sim_kind {
	SIM_OLT,
	SIM_DSLAM,
};

/* What a column's value is made of; see mib_value() in sim_mib.c. */
enum col_kind {
	C_SYSDESCR, C_SYSOBJECTID, C_SYSUPTIME, C_SYSNAME,
	C_IFINDEX, C_IFDESCR, C_IFTYPE, C_IFADMIN, C_IFOPER, C_IFNAME,
	C_IFALIAS,
	C_HW_SLOT_OPER, C_HW_OLT_STATUS, C_HW_OLT_DOWNCAUSE,
	C_HW_ONT_SN, C_HW_ONT_DESC, C_HW_ONT_RUN, C_HW_ONT_CAUSE,
	C_ZTE_CARD_OPER, C_ZTE_ONU_TYPE, C_ZTE_ONU_NAME, C_ZTE_ONU_DESC,
	C_ZTE_ONU_SN, C_ZTE_ONU_ADMIN, C_ZTE_ONU_PHASE,
	C_FH_SLOT, C_FH_PON, C_FH_ONUID, C_FH_MAC, C_FH_STATUS,
	C_FH_PON_ENABLE, C_FH_PON_ONLINE, C_FH_CARD,
	C_ADSL_ATUC_STATUS, C_ADSL_ATUR_STATUS, C_ADSL_ATUR_LPRS,
};

/* Which objects a column has one row per. */
enum row_kind {
	R_SCALAR,	/* instance .0 */
	R_IF,		/* one per PON port (OLT) or DSL line (DSLAM) */
	R_BOARD,	/* one per board */
	R_PON,		/* one per PON port, vendor table */
	R_ONU,		/* one per ONU */
};

struct sim_column {
	const char	*name;
	oid		 base[24];
	size_t		 baselen;
	enum col_kind	 kind;
	enum row_kind	 rows;
};

struct pon;
struct board;

/* A vendor style: numbering, ifIndex layout, tables and trap family. */
struct vendor {
	const char		*style;		/* huawei, zte-c300, ... */
	const char		*vendor;	/* inventory: huawei, zte, ... */
	const char		*model;
	enum sim_kind		 kind;
	const char		*descr;		/* sysDescr */
	oid			 sysoid[16];
	size_t			 sysoidlen;
	int			 first_frame, first_slot, first_port;
	int			 first_onu;
	const char		*ifdescr;	/* + "frame/slot/port" */
	const char		*serial_vendor;	/* 4 ASCII letters */
	const struct sim_column	*cols;
	size_t			 ncols;
	uint32_t		 (*pon_ifindex)(int, int, int);
	/* instance of a board / ONU row (fills inst, returns its length) */
	int			 (*board_inst)(const struct board *, uint32_t *);
	int			 (*onu_inst)(const struct pon *, int, uint32_t *);
};

/* The own fault of one ONU or DSL line. */
enum fault {
	F_UP = 0,
	F_LOS,		/* ONU: LOSi (drop fibre); DSL line: lossOfSignal */
	F_POWER,	/* ONU: dying gasp; DSL line: CPE lossOfPower */
	F_PORT,		/* DSL only: the DSLAM port itself is down */
	F_ADMIN,	/* ONU: deactivated by the operator (no trap) */
};

/* Effective run state as the device reports it. */
enum onu_state {
	ONU_UP,
	ONU_LOS,
	ONU_DG,
	ONU_OFFLINE,	/* board failed */
};

struct onu {
	uint8_t		fault;		/* enum fault */
	int8_t		last_cause;	/* Huawei LastDownCause code, -1 none */
};

struct board {
	int		 frame, slot;
	int		 failed;
	struct pon	*pons;		/* npons in a row */
};

struct pon {
	struct board	*board;
	int		 frame, slot, port;
	uint32_t	 ifindex;
	int		 cut;
	struct onu	*onus;		/* dev->onus_per_pon */
	uint32_t	 first_sub;	/* subscriber number of onus[0] */
};

struct dsl_line {
	int		 slot, port;
	uint32_t	 ifindex;
	uint8_t		 fault;		/* enum fault */
	uint32_t	 lprs;		/* loss-of-power seconds counter */
	uint32_t	 sub;		/* subscriber number */
};

struct deferred;

struct mib_entry {
	uint32_t	 inst[3];
	uint16_t	 col;		/* index into vendor cols */
	uint8_t		 instlen;
	uint32_t	 obj;		/* board / pon / onu / line number */
};

enum misbehave {
	MB_NONE,
	MB_WRONG_TYPE,
	MB_TRUNCATE,
	MB_LOOP,
	MB_TIMEOUT,
};

enum snmp_access {
	ACCESS_BOTH,
	ACCESS_V2C,
	ACCESS_V3,
};

struct dev_stats {
	uint64_t	requests;	/* PDUs received */
	uint64_t	answered;
	uint64_t	ignored;	/* silent, timeout, bad community */
	uint64_t	get, getnext, getbulk, other;
	uint64_t	varbinds;	/* returned */
	time_t		cur_sec;
	unsigned	cur_count;
	unsigned	last_count;	/* the previous full second */
	unsigned	max_per_s;
	unsigned	inflight, max_inflight;
	uint64_t	traps_sent, traps_dropped, traps_suppressed;
	int64_t		last_req_ms;	/* monotonic ms of the last request, 0 none */
	int64_t		max_gap_ms;	/* longest time between two requests */
};

struct device {
	struct sim		*sim;
	int			 index;		/* 0.. in fleet order */
	char			 name[32];
	const struct vendor	*v;
	char			 region[32];
	struct sockaddr_in	 sin;
	char			 addr[64];	/* "127.1.0.1:161" */

	int			 nframes, nslots, npons, onus_per_pon;
	struct board		*boards;
	size_t			 nboards;
	struct pon		*pons;
	size_t			 npons_total;
	struct dsl_line		*lines;
	size_t			 nlines;

	struct mib_entry	*mib;
	size_t			 nmib;
	size_t			*colstart;	/* per column: first entry */
	size_t			*colcount;

	int			 silent;
	enum misbehave		 misbehave;
	unsigned		 delay_ms;
	enum snmp_access	 access;
	struct timespec		 boot;

	void			*sessp;
	netsnmp_transport	*transport;
	struct event		*ev;
	struct deferred		*deferred;	/* slow answers waiting */
	struct dev_stats	 st;
};

struct sim_opts {
	int		 olts, dslams;
	const char	*vendors;	/* comma separated styles, cycled */
	int		 frames, slots, pons, onus;
	int		 dsl_slots, dsl_ports;
	const char	*listen;	/* first address:port */
	int		 port_mode;	/* one address, consecutive ports */
	const char	*community;
	const char	*v3_user, *auth_pass, *priv_pass;
	const char	*auth_proto, *priv_proto;	/* SHA|MD5, AES|DES */
	const char	*engine_id;	/* hex, without 0x */
	const char	*target;	/* trap target, udp:host:port */
	int		 trap_v3;
	double		 drop;
	uint64_t	 seed;
	double		 rate;
	enum snmp_access access;
};

struct trapq;

struct sim {
	struct event_base	*base;
	struct sim_opts		 o;
	struct device		*devs;
	size_t			 ndevs;
	struct trapq		*tq;
	uint64_t		 rng;
	int			 quitting;
};

/* sim_fleet.c */
const struct vendor *fleet_vendor(const char *style);
const char	*fleet_styles(void);
int		 fleet_build(struct sim *, char *err, size_t errlen);
struct device	*fleet_find(struct sim *, const char *name);
struct pon	*fleet_pon(struct device *, int frame, int slot, int port);
struct board	*fleet_board(struct device *, int frame, int slot);
struct dsl_line	*fleet_line(struct device *, int slot, int port);
uint32_t	 fleet_sub_onu(const struct device *, const struct pon *, int);
void		 fleet_account(uint32_t sub, char *buf, size_t len);
void		 fleet_serial(const struct device *, const struct pon *, int,
		    char *buf, size_t len);
enum onu_state	 fleet_onu_state(const struct pon *, int);
uint32_t	 fleet_uptime(const struct device *);	/* centiseconds */
int		 fleet_onu_id(const struct device *, int);	/* vendor ONU id */

/* sim_mib.c */
void		 mib_build(struct device *);
void		 mib_free(struct device *);
/* Index of the exact entry, or -1; *incol is set when q names a column. */
ssize_t		 mib_find(const struct device *, const oid *, size_t, int *incol);
/* Index of the first entry after q, or -1 at the end of the view. */
ssize_t		 mib_next(const struct device *, const oid *, size_t);
size_t		 mib_oid(const struct device *, size_t, oid *);
int		 mib_value(const struct device *, size_t, u_char *type,
		    u_char *buf, size_t *len);

/* sim_agent.c */
int		 agent_open(struct device *, char *err, size_t errlen);
void		 agent_close(struct device *);
void		 agent_stats_line(struct device *, char *, size_t);
void		 agent_stats_reset(struct device *);
const char	*agent_misbehave_name(enum misbehave);
int		 agent_misbehave_parse(const char *);

/* sim_trap.c */
void		 trap_init(struct sim *);
void		 trap_free(struct sim *);
int		 trap_set_target(struct sim *, const char *, char *, size_t);
netsnmp_pdu	*trap_new(struct device *, const oid *, size_t);
void		 trap_add_int(netsnmp_pdu *, const oid *, size_t,
		    const uint32_t *, int, long);
void		 trap_add_str(netsnmp_pdu *, const oid *, size_t,
		    const uint32_t *, int, const char *, size_t);
/* Queue a trap from a device (drop share and silence applied here). */
void		 trap_queue(struct device *, netsnmp_pdu *);
size_t		 trap_pending(struct sim *);
void		 trap_stats_line(struct sim *, char *, size_t);

/* sim_fault.c: each returns 0, or -1 with a message in err. */
int		 fault_cut(struct device *, struct pon *, char *, size_t);
int		 fault_onus(struct device *, struct pon *, int, int,
		    enum fault, char *, size_t);
int		 fault_board(struct device *, struct board *, char *, size_t);
int		 fault_restore_pon(struct device *, struct pon *, char *, size_t);
int		 fault_restore_board(struct device *, struct board *, char *,
		    size_t);
int		 fault_restore_device(struct device *, char *, size_t);
int		 fault_lines(struct device *, int, int, int, enum fault,
		    char *, size_t);
int		 fault_restore_lines(struct device *, int, int, int,
		    char *, size_t);
void		 fault_silence(struct device *);
void		 fault_wake(struct device *);
void		 fault_trap_coldstart(struct device *);

/* sim_ctl.c: where commands come from and where their replies go */
struct src;
int		 ctl_start(struct sim *, const char *scenario, int use_stdin,
		    const char *ctlpath);
void		 ctl_stop(struct sim *);
int		 ctl_client(const char *path, int argc, char **argv);
struct sim	*src_sim(struct src *);
void		 src_printf(struct src *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
/* Hold the source until ready() is true (NULL: never) or seconds pass;
 * then "ok" (or "error: timeout" when ready was given) and go on. */
void		 src_wait(struct src *, double seconds, int (*ready)(struct sim *));
/* Reply "error: ..."; a scenario file stops there. */
void		 src_error(struct src *, const char *);

/* sim_cmd.c: run one line; 0 done (reply written), 1 held by src_wait */
int		 cmd_exec(struct src *, char *line);

/* sim_inventory.c */
int		 inventory_write(struct sim *, const char *dir);

#endif

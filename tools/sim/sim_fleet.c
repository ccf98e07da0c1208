/*
 * sim_fleet.c: the simulated fleet. Vendor styles (numbering, ifIndex bit
 * layouts and the tables each one answers, from shared/domain/
 * pon-dslam-oids.md), building the devices from the command-line options,
 * finding devices and locations, and the names, accounts and serial numbers
 * that the inventory files repeat.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim.h"
#include "xmalloc.h"

#define O(...)	{ __VA_ARGS__ }, sizeof((oid[]){ __VA_ARGS__ }) / sizeof(oid)

#define SYS_COLUMNS							\
	{ "sysDescr", O(1,3,6,1,2,1,1,1), C_SYSDESCR, R_SCALAR },	\
	{ "sysObjectID", O(1,3,6,1,2,1,1,2), C_SYSOBJECTID, R_SCALAR },	\
	{ "sysUpTime", O(1,3,6,1,2,1,1,3), C_SYSUPTIME, R_SCALAR },	\
	{ "sysName", O(1,3,6,1,2,1,1,5), C_SYSNAME, R_SCALAR },		\
	{ "ifIndex", O(1,3,6,1,2,1,2,2,1,1), C_IFINDEX, R_IF },		\
	{ "ifDescr", O(1,3,6,1,2,1,2,2,1,2), C_IFDESCR, R_IF },		\
	{ "ifType", O(1,3,6,1,2,1,2,2,1,3), C_IFTYPE, R_IF },		\
	{ "ifAdminStatus", O(1,3,6,1,2,1,2,2,1,7), C_IFADMIN, R_IF },	\
	{ "ifOperStatus", O(1,3,6,1,2,1,2,2,1,8), C_IFOPER, R_IF },	\
	{ "ifName", O(1,3,6,1,2,1,31,1,1,1,1), C_IFNAME, R_IF },	\
	{ "ifAlias", O(1,3,6,1,2,1,31,1,1,1,18), C_IFALIAS, R_IF }

/* HUAWEI-DEVICE-MIB and HUAWEI-XPON-MIB (profile mode), §1.6. */
static const struct sim_column huawei_cols[] = {
	SYS_COLUMNS,
	{ "hwSlotOperStatus", O(1,3,6,1,4,1,2011,6,3,3,2,1,8),
	    C_HW_SLOT_OPER, R_BOARD },
	{ "hwGponDeviceOltControlStatus",
	    O(1,3,6,1,4,1,2011,6,128,1,1,2,21,1,10), C_HW_OLT_STATUS, R_PON },
	{ "hwGponDeviceOltLastDownCause",
	    O(1,3,6,1,4,1,2011,6,128,1,1,2,21,1,19), C_HW_OLT_DOWNCAUSE, R_PON },
	{ "hwGponDeviceOntSn", O(1,3,6,1,4,1,2011,6,128,1,1,2,43,1,3),
	    C_HW_ONT_SN, R_ONU },
	{ "hwGponDeviceOntDespt", O(1,3,6,1,4,1,2011,6,128,1,1,2,43,1,9),
	    C_HW_ONT_DESC, R_ONU },
	{ "hwGponDeviceOntControlRunStatus",
	    O(1,3,6,1,4,1,2011,6,128,1,1,2,46,1,15), C_HW_ONT_RUN, R_ONU },
	{ "hwGponDeviceOntControlLastDownCause",
	    O(1,3,6,1,4,1,2011,6,128,1,1,2,46,1,24), C_HW_ONT_CAUSE, R_ONU },
};

/* ZTE-AN-EQUIP-MIB and ZXGPON-SERVICE-MIB, §2.4. */
static const struct sim_column zte_cols[] = {
	SYS_COLUMNS,
	{ "zxAnCardOperStatus", O(1,3,6,1,4,1,3902,1015,2,1,1,3,1,5),
	    C_ZTE_CARD_OPER, R_BOARD },
	{ "zxGponOntDevMgmtTypeName", O(1,3,6,1,4,1,3902,1012,3,28,1,1,1),
	    C_ZTE_ONU_TYPE, R_ONU },
	{ "zxGponOntDevMgmtName", O(1,3,6,1,4,1,3902,1012,3,28,1,1,2),
	    C_ZTE_ONU_NAME, R_ONU },
	{ "zxGponOntDevMgmtDescription", O(1,3,6,1,4,1,3902,1012,3,28,1,1,3),
	    C_ZTE_ONU_DESC, R_ONU },
	{ "zxGponOntDevMgmtProvisionSn", O(1,3,6,1,4,1,3902,1012,3,28,1,1,5),
	    C_ZTE_ONU_SN, R_ONU },
	{ "zxGponOntAdminState", O(1,3,6,1,4,1,3902,1012,3,28,2,1,1),
	    C_ZTE_ONU_ADMIN, R_ONU },
	{ "zxGponOntPhaseState", O(1,3,6,1,4,1,3902,1012,3,28,2,1,4),
	    C_ZTE_ONU_PHASE, R_ONU },
};

/* GEPON-OLT-COMMON-MIB, §3.3. */
static const struct sim_column fiberhome_cols[] = {
	SYS_COLUMNS,
	{ "oltPonEnableStatus", O(1,3,6,1,4,1,5875,800,3,9,3,4,1,4),
	    C_FH_PON_ENABLE, R_PON },
	{ "oltPonOnlineStatus", O(1,3,6,1,4,1,5875,800,3,9,3,4,1,5),
	    C_FH_PON_ONLINE, R_PON },
	{ "mgrCardWorkStatus", O(1,3,6,1,4,1,5875,800,3,9,8,1,1,4),
	    C_FH_CARD, R_BOARD },
	{ "authOnuListSlot", O(1,3,6,1,4,1,5875,800,3,10,1,1,2),
	    C_FH_SLOT, R_ONU },
	{ "authOnuListPon", O(1,3,6,1,4,1,5875,800,3,10,1,1,3),
	    C_FH_PON, R_ONU },
	{ "authOnuListOnuid", O(1,3,6,1,4,1,5875,800,3,10,1,1,4),
	    C_FH_ONUID, R_ONU },
	{ "authOnuListMac", O(1,3,6,1,4,1,5875,800,3,10,1,1,10),
	    C_FH_MAC, R_ONU },
	{ "onuStatus", O(1,3,6,1,4,1,5875,800,3,10,1,1,11),
	    C_FH_STATUS, R_ONU },
};

/* IF-MIB and ADSL-LINE-MIB (RFC 2662), §4. */
static const struct sim_column dslam_cols[] = {
	SYS_COLUMNS,
	{ "adslAtucCurrStatus", O(1,3,6,1,2,1,10,94,1,1,2,1,6),
	    C_ADSL_ATUC_STATUS, R_IF },
	{ "adslAturCurrStatus", O(1,3,6,1,2,1,10,94,1,1,3,1,6),
	    C_ADSL_ATUR_STATUS, R_IF },
	{ "adslAturPerfCurr15MinLprs", O(1,3,6,1,2,1,10,94,1,1,7,1,10),
	    C_ADSL_ATUR_LPRS, R_IF },
};

/* Huawei GPON port: type 125 in bits 31..25, frame 24..19 (UNVERIFIED),
 * slot 18..13, port 12..8 (§1.2). */
static uint32_t
huawei_ifindex(int frame, int slot, int port)
{
	return 0xFA000000u | (uint32_t)frame << 19 | (uint32_t)slot << 13 |
	    (uint32_t)port << 8;
}

/* ZTE layout A (C300/C320): type 1, shelf, slot, port; CLI shelf 1 is
 * field 0 (§2.2, gpon-olt_1/2/1 = 268566784). */
static uint32_t
zte_a_ifindex(int frame, int slot, int port)
{
	return 0x10000000u | (uint32_t)(frame - 1) << 24 |
	    (uint32_t)slot << 16 | (uint32_t)port << 8;
}

/* ZTE layout B (C600): type 1, rack 1, shelf, slot, port (§2.2). Which
 * layout a C600 uses in IF-MIB and traps is UNVERIFIED. */
static uint32_t
zte_b_ifindex(int frame, int slot, int port)
{
	return 0x11000000u | (uint32_t)frame << 16 | (uint32_t)slot << 8 |
	    (uint32_t)port;
}

/* FiberHome signed index with ONU and port 0 (§3.2); that IF-MIB and
 * oltPonTable use it for PON ports is UNVERIFIED. */
static uint32_t
fiberhome_ifindex(int frame, int slot, int port)
{
	return (uint32_t)slot << 25 | (uint32_t)port << 19;
}

static uint32_t
dslam_ifindex(int frame, int slot, int port)
{
	return (uint32_t)slot * 1000 + (uint32_t)port;
}

static int
huawei_board_inst(const struct board *b, uint32_t *inst)
{
	inst[0] = b->frame;
	inst[1] = b->slot;
	return 2;
}

/* zxAnCardTable INDEX rack.shelf.slot; rack is always 1 here. */
static int
zte_board_inst(const struct board *b, uint32_t *inst)
{
	inst[0] = 1;
	inst[1] = b->frame;
	inst[2] = b->slot;
	return 3;
}

static int
slot_board_inst(const struct board *b, uint32_t *inst)
{
	inst[0] = b->slot;
	return 1;
}

/* Huawei ONT rows: <ponIfIndex>.<ontId>, ONT ids from 0. */
static int
huawei_onu_inst(const struct pon *p, int i, uint32_t *inst)
{
	inst[0] = p->ifindex;
	inst[1] = (uint32_t)i;
	return 2;
}

/* ZTE ONU rows: <ponIfIndex>.<onuId>, ONU ids from 1. */
static int
zte_onu_inst(const struct pon *p, int i, uint32_t *inst)
{
	inst[0] = p->ifindex;
	inst[1] = (uint32_t)i + 1;
	return 2;
}

/* FiberHome authOnuListTable: one signed index slot|pon|onu (§3.2,
 * UNVERIFIED for this table). */
static int
fiberhome_onu_inst(const struct pon *p, int i, uint32_t *inst)
{
	inst[0] = (uint32_t)p->slot << 25 | (uint32_t)p->port << 19 |
	    (uint32_t)(i + 1) << 8;
	return 1;
}

/*
 * sysObjectIDs: MA5600T's 2011.2.80.8 is in public use; the MA5800, ZTE,
 * FiberHome values are UNVERIFIED. The DSLAM has no vendor and sits under
 * the documentation enterprise number 32473 (RFC 5612).
 */
static const struct vendor vendors[] = {
	{ "huawei", "huawei", "MA5800", SIM_OLT,
	    "Huawei Integrated Access Software (MA5800, simulated)",
	    O(1,3,6,1,4,1,2011,2,248), 0, 1, 0, 0, "GPON ", "HWTC",
	    huawei_cols, sizeof(huawei_cols) / sizeof(huawei_cols[0]),
	    huawei_ifindex, huawei_board_inst, huawei_onu_inst },
	{ "zte-c300", "zte", "C300", SIM_OLT,
	    "ZXA10 C300, ZTE (simulated)",
	    O(1,3,6,1,4,1,3902,1082,1001,300), 1, 1, 1, 1, "gpon-olt_",
	    "ZTEG", zte_cols, sizeof(zte_cols) / sizeof(zte_cols[0]),
	    zte_a_ifindex, zte_board_inst, zte_onu_inst },
	{ "zte-c600", "zte", "C600", SIM_OLT,
	    "ZXA10 C600, ZTE (simulated)",
	    O(1,3,6,1,4,1,3902,1082,1001,600), 1, 1, 1, 1, "gpon_olt-",
	    "ZTEG", zte_cols, sizeof(zte_cols) / sizeof(zte_cols[0]),
	    zte_b_ifindex, zte_board_inst, zte_onu_inst },
	{ "fiberhome", "fiberhome", "AN5516", SIM_OLT,
	    "FiberHome AN5516-06 (simulated)",
	    O(1,3,6,1,4,1,5875,800,1001,11), 1, 1, 1, 1, "PON ",
	    "FHTT", fiberhome_cols,
	    sizeof(fiberhome_cols) / sizeof(fiberhome_cols[0]),
	    fiberhome_ifindex, slot_board_inst, fiberhome_onu_inst },
	{ "dslam", "generic", "ADSL2+ DSLAM", SIM_DSLAM,
	    "ADSL2+ IP DSLAM (simulated)",
	    O(1,3,6,1,4,1,32473,1,1), 0, 1, 1, 0, "adsl ", NULL,
	    dslam_cols, sizeof(dslam_cols) / sizeof(dslam_cols[0]),
	    dslam_ifindex, slot_board_inst, NULL },
};

const struct vendor *
fleet_vendor(const char *style)
{
	size_t i;

	for (i = 0; i < sizeof(vendors) / sizeof(vendors[0]); i++)
		if (strcmp(vendors[i].style, style) == 0)
			return &vendors[i];
	return NULL;
}

const char *
fleet_styles(void)
{
	return "huawei, zte-c300, zte-c600, fiberhome";
}

/* The ONU id the vendor shows for the i-th ONU of a port (Huawei from 0). */
int
fleet_onu_id(const struct device *d, int i)
{
	if (d == NULL)
		return i;
	return d->v->first_onu + i;
}

static const char *const regions[] = { "north", "south", "east", "west" };

/* Bind address of the n-th device. */
static int
fleet_address(struct sim *s, struct device *d, char *err, size_t errlen)
{
	char host[64], ip[INET_ADDRSTRLEN], *colon;
	struct in_addr a;
	long port;

	snprintf(host, sizeof(host), "%s", s->o.listen);
	if ((colon = strrchr(host, ':')) == NULL) {
		snprintf(err, errlen, "--listen %s: want ADDRESS:PORT", host);
		return -1;
	}
	*colon = '\0';
	port = strtol(colon + 1, NULL, 10);
	if (inet_pton(AF_INET, host, &a) != 1 || port <= 0 || port > 65535) {
		snprintf(err, errlen, "--listen %s: want an IPv4 ADDRESS:PORT",
		    s->o.listen);
		return -1;
	}
	if (s->o.port_mode)
		port += d->index;
	else
		a.s_addr = htonl(ntohl(a.s_addr) + d->index);
	if (port > 65535) {
		snprintf(err, errlen, "--listen: too many devices for the ports");
		return -1;
	}
	d->sin.sin_family = AF_INET;
	d->sin.sin_addr = a;
	d->sin.sin_port = htons(port);
	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	snprintf(d->addr, sizeof(d->addr), "%s:%ld", ip, port);
	return 0;
}

static void
fleet_olt(struct sim *s, struct device *d, uint32_t *sub)
{
	const struct vendor *v = d->v;
	size_t b, p, n = 0;
	int f, sl, pt, i;

	d->nframes = s->o.frames;
	d->nslots = s->o.slots;
	d->npons = s->o.pons;
	d->onus_per_pon = s->o.onus;
	d->nboards = (size_t)d->nframes * d->nslots;
	d->npons_total = d->nboards * d->npons;
	d->boards = xcalloc(d->nboards, sizeof(*d->boards));
	d->pons = xcalloc(d->npons_total, sizeof(*d->pons));
	for (b = 0; b < d->nboards; b++) {
		f = v->first_frame + (int)(b / d->nslots);
		sl = v->first_slot + (int)(b % d->nslots);
		d->boards[b].frame = f;
		d->boards[b].slot = sl;
		d->boards[b].pons = &d->pons[n];
		for (p = 0; p < (size_t)d->npons; p++, n++) {
			struct pon *pon = &d->pons[n];

			pt = v->first_port + (int)p;
			pon->board = &d->boards[b];
			pon->frame = f;
			pon->slot = sl;
			pon->port = pt;
			pon->ifindex = v->pon_ifindex(f, sl, pt);
			pon->onus = xcalloc(d->onus_per_pon, sizeof(struct onu));
			for (i = 0; i < d->onus_per_pon; i++)
				pon->onus[i].last_cause = -1;
			pon->first_sub = *sub;
			*sub += d->onus_per_pon;
		}
	}
}

static void
fleet_dslam(struct sim *s, struct device *d, uint32_t *sub)
{
	size_t b, i;
	int p;

	d->nslots = s->o.dsl_slots;
	d->nboards = d->nslots;
	d->boards = xcalloc(d->nboards, sizeof(*d->boards));
	d->nlines = (size_t)d->nslots * s->o.dsl_ports;
	d->lines = xcalloc(d->nlines, sizeof(*d->lines));
	for (b = 0, i = 0; b < d->nboards; b++) {
		d->boards[b].slot = (int)b + 1;
		for (p = 1; p <= s->o.dsl_ports; p++, i++) {
			d->lines[i].slot = (int)b + 1;
			d->lines[i].port = p;
			d->lines[i].ifindex = dslam_ifindex(0, (int)b + 1, p);
			d->lines[i].sub = (*sub)++;
		}
	}
}

static int
fleet_check(struct sim *s, char *err, size_t errlen)
{
	const struct sim_opts *o = &s->o;

	if (o->olts < 0 || o->dslams < 0 || o->olts + o->dslams == 0 ||
	    o->olts + o->dslams > 4000)
		snprintf(err, errlen, "want 1 to 4000 devices");
	else if (o->frames < 1 || o->frames > 4 || o->slots < 1 ||
	    o->slots > 16 || o->pons < 1 || o->pons > 16)
		snprintf(err, errlen, "frames 1-4, slots 1-16, PON ports 1-16");
	else if (o->onus < 1 || o->onus > 128)
		snprintf(err, errlen, "ONUs per PON port: 1-128");
	else if (o->dsl_slots < 1 || o->dsl_slots > 16 || o->dsl_ports < 1 ||
	    o->dsl_ports > 72)
		snprintf(err, errlen, "DSLAM slots 1-16, ports 1-72");
	else
		return 0;
	return -1;
}

/* Build every device, its state and its OID table. */
int
fleet_build(struct sim *s, char *err, size_t errlen)
{
	const struct vendor *styles[8];
	char list[256], *tok, *save;
	size_t nstyles = 0, i;
	uint32_t sub = 0;
	struct device *d;

	if (fleet_check(s, err, errlen) == -1)
		return -1;
	snprintf(list, sizeof(list), "%s", s->o.vendors);
	for (tok = strtok_r(list, ", ", &save); tok != NULL && nstyles < 8;
	    tok = strtok_r(NULL, ", ", &save)) {
		styles[nstyles] = fleet_vendor(tok);
		if (styles[nstyles] == NULL ||
		    styles[nstyles]->kind != SIM_OLT) {
			snprintf(err, errlen, "unknown OLT style \"%s\" (know %s)",
			    tok, fleet_styles());
			return -1;
		}
		nstyles++;
	}
	if (nstyles == 0) {
		snprintf(err, errlen, "--vendors: empty");
		return -1;
	}
	s->ndevs = (size_t)s->o.olts + s->o.dslams;
	s->devs = xcalloc(s->ndevs, sizeof(*s->devs));
	for (i = 0; i < s->ndevs; i++) {
		d = &s->devs[i];
		d->sim = s;
		d->index = (int)i;
		d->access = s->o.access;
		clock_gettime(CLOCK_MONOTONIC, &d->boot);
		if (i < (size_t)s->o.olts) {
			d->v = styles[i % nstyles];
			snprintf(d->name, sizeof(d->name), "olt%zu", i + 1);
			fleet_olt(s, d, &sub);
		} else {
			d->v = fleet_vendor("dslam");
			snprintf(d->name, sizeof(d->name), "dslam%zu",
			    i + 1 - s->o.olts);
			fleet_dslam(s, d, &sub);
		}
		snprintf(d->region, sizeof(d->region), "%s",
		    regions[i % (sizeof(regions) / sizeof(regions[0]))]);
		if (fleet_address(s, d, err, errlen) == -1)
			return -1;
		mib_build(d);
	}
	return 0;
}

struct device *
fleet_find(struct sim *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->ndevs; i++)
		if (strcmp(s->devs[i].name, name) == 0)
			return &s->devs[i];
	return NULL;
}

struct pon *
fleet_pon(struct device *d, int frame, int slot, int port)
{
	struct board *b;
	int p;

	if (d->v->kind != SIM_OLT || (b = fleet_board(d, frame, slot)) == NULL)
		return NULL;
	p = port - d->v->first_port;
	if (p < 0 || p >= d->npons)
		return NULL;
	return &b->pons[p];
}

struct board *
fleet_board(struct device *d, int frame, int slot)
{
	size_t i;

	for (i = 0; i < d->nboards; i++)
		if (d->boards[i].slot == slot &&
		    (d->v->kind == SIM_DSLAM || d->boards[i].frame == frame))
			return &d->boards[i];
	return NULL;
}

struct dsl_line *
fleet_line(struct device *d, int slot, int port)
{
	size_t i;

	for (i = 0; i < d->nlines; i++)
		if (d->lines[i].slot == slot && d->lines[i].port == port)
			return &d->lines[i];
	return NULL;
}

uint32_t
fleet_sub_onu(const struct device *d, const struct pon *p, int i)
{
	return p->first_sub + (uint32_t)i;
}

void
fleet_account(uint32_t sub, char *buf, size_t len)
{
	snprintf(buf, len, "A%08u", sub + 1);
}

/* 4 vendor letters and 8 hex digits; the digits are unique in the fleet. */
void
fleet_serial(const struct device *d, const struct pon *p, int i, char *buf,
    size_t len)
{
	snprintf(buf, len, "%s%08X", d->v->serial_vendor,
	    fleet_sub_onu(d, p, i) + 1);
}

/* What the OLT reports for an ONU: a failed board hides everything, an
 * ONU's own fault wins over the PON's (it was down before the cut). */
enum onu_state
fleet_onu_state(const struct pon *p, int i)
{
	if (p->board->failed)
		return ONU_OFFLINE;
	switch (p->onus[i].fault) {
	case F_LOS:
		return ONU_LOS;
	case F_POWER:
		return ONU_DG;
	case F_ADMIN:
		return ONU_OFFLINE;
	default:
		break;
	}
	return p->cut ? ONU_LOS : ONU_UP;
}

uint32_t
fleet_uptime(const struct device *d)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint32_t)((now.tv_sec - d->boot.tv_sec) * 100 +
	    (now.tv_nsec - d->boot.tv_nsec) / 10000000);
}

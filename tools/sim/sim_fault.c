/*
 * sim_fault.c: fault injection. Every fault changes the device state that
 * the agent reports and queues the traps the vendor would send, in the
 * order the vendor sends them (a PON LOS before the ONU LOS of that port);
 * every restoration sends the matching clears. Trap OIDs and varbinds come
 * from shared/domain/pon-dslam-oids.md; the instance suffixes of the
 * varbinds are UNVERIFIED there, so this file picks the table index of the
 * object (ponIfIndex, ponIfIndex.onuId, frame.slot) and receivers should
 * match on the column and read the value.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "sim.h"

#define O(...)	(const oid[]){ __VA_ARGS__ }, \
	sizeof((oid[]){ __VA_ARGS__ }) / sizeof(oid)

/* Huawei HUAWEI-XPON-TRAP-MIB (profile mode) and HUAWEI-DEVICE-MIB. */
#define HW_PON_LOS		O(1,3,6,1,4,1,2011,6,128,1,1,12,2,1,0,108)
#define HW_PON_LOS_CLEAR	O(1,3,6,1,4,1,2011,6,128,1,1,12,2,1,0,109)
#define HW_ONT_LOS		O(1,3,6,1,4,1,2011,6,128,1,1,12,2,2,0,12)
#define HW_ONT_LOS_CLEAR	O(1,3,6,1,4,1,2011,6,128,1,1,12,2,2,0,13)
#define HW_ONT_DG		O(1,3,6,1,4,1,2011,6,128,1,1,12,2,2,0,18)
#define HW_ONT_DG_CLEAR		O(1,3,6,1,4,1,2011,6,128,1,1,12,2,2,0,19)
#define HW_BOARD_FAULT		O(1,3,6,1,4,1,2011,6,3,8,3,3,0,3)
#define HW_BOARD_RESTORE	O(1,3,6,1,4,1,2011,6,3,8,3,3,0,4)
#define HW_FRAME		O(1,3,6,1,4,1,2011,6,3,3,1,1,1)
#define HW_SLOT			O(1,3,6,1,4,1,2011,6,3,3,2,1,1)
#define HW_PORT			O(1,3,6,1,4,1,2011,6,3,3,4,1,1)
#define HW_SLOT_TYPE_NAME	O(1,3,6,1,4,1,2011,6,3,3,2,1,21)
#define HW_ONT_INDEX		O(1,3,6,1,4,1,2011,6,128,1,1,2,43,1,1)
#define HW_ONT_EQUIPMENT	O(1,3,6,1,4,1,2011,6,128,1,1,2,45,1,4)
#define HW_AFFECT_NUM		O(1,3,6,1,4,1,2011,6,145,2,48)
#define HW_DGI_NUM		O(1,3,6,1,4,1,2011,6,145,2,49)

/* ZTE ZXGPON-SERVICE-MIB (no .0 arc) and ZTE-AN-EQUIP-MIB. */
#define ZTE_PON_LOS		O(1,3,6,1,4,1,3902,1012,3,45,161)
#define ZTE_PON_LOS_CLEAR	O(1,3,6,1,4,1,3902,1012,3,45,162)
#define ZTE_ONU_LOS		O(1,3,6,1,4,1,3902,1012,3,45,101)
#define ZTE_ONU_LOS_CLEAR	O(1,3,6,1,4,1,3902,1012,3,45,102)
#define ZTE_ONU_DG		O(1,3,6,1,4,1,3902,1012,3,45,123)
#define ZTE_ONU_DG_CLEAR	O(1,3,6,1,4,1,3902,1012,3,45,124)
#define ZTE_CARD_DOWN		O(1,3,6,1,4,1,3902,1015,2,2,2,2)
#define ZTE_CARD_UP		O(1,3,6,1,4,1,3902,1015,2,2,2,1)
#define ZTE_CARD_OPER		O(1,3,6,1,4,1,3902,1015,2,1,1,3,1,5)
#define ZTE_ONU_TYPE		O(1,3,6,1,4,1,3902,1012,3,28,1,1,1)
#define ZTE_ONU_NAME		O(1,3,6,1,4,1,3902,1012,3,28,1,1,2)
#define ZTE_ONU_DESC		O(1,3,6,1,4,1,3902,1012,3,28,1,1,3)

/* IF-MIB, SNMPv2-MIB and ADSL-LINE-MIB. */
#define IF_INDEX		O(1,3,6,1,2,1,2,2,1,1)
#define IF_ADMIN		O(1,3,6,1,2,1,2,2,1,7)
#define IF_OPER			O(1,3,6,1,2,1,2,2,1,8)
#define LINK_DOWN		O(1,3,6,1,6,3,1,1,5,3)
#define LINK_UP			O(1,3,6,1,6,3,1,1,5,4)
#define COLD_START		O(1,3,6,1,6,3,1,1,5,1)
#define ADSL_ATUR_LPRS_TRAP	O(1,3,6,1,2,1,10,94,1,2,2,0,3)
#define ADSL_ATUR_LPRS		O(1,3,6,1,2,1,10,94,1,1,7,1,10)

/* Huawei LastDownCause codes (§1.7). */
#define CAUSE_LOSI		2
#define CAUSE_DYING_GASP	13
#define CAUSE_DEACTIVATED	8

static int
is_huawei(const struct device *d)
{
	return strcmp(d->v->vendor, "huawei") == 0;
}

static int
is_zte(const struct device *d)
{
	return strcmp(d->v->vendor, "zte") == 0;
}

static void
trap_link(struct device *d, uint32_t ifindex, int up)
{
	netsnmp_pdu *pdu;

	if (up)
		pdu = trap_new(d, LINK_UP);
	else
		pdu = trap_new(d, LINK_DOWN);
	trap_add_int(pdu, IF_INDEX, &ifindex, 1, ifindex);
	trap_add_int(pdu, IF_ADMIN, &ifindex, 1, 1);
	trap_add_int(pdu, IF_OPER, &ifindex, 1, up ? 1 : 2);
	trap_queue(d, pdu);
}

/* Huawei frame, slot, port varbinds, instance = the PON ifIndex. */
static void
hw_fsp(netsnmp_pdu *pdu, const struct pon *p)
{
	trap_add_int(pdu, HW_FRAME, &p->ifindex, 1, p->frame);
	trap_add_int(pdu, HW_SLOT, &p->ifindex, 1, p->slot);
	trap_add_int(pdu, HW_PORT, &p->ifindex, 1, p->port);
}

static void
trap_pon_los(struct device *d, struct pon *p, int raise, int affected)
{
	netsnmp_pdu *pdu;

	if (is_huawei(d)) {
		pdu = raise ? trap_new(d, HW_PON_LOS) :
		    trap_new(d, HW_PON_LOS_CLEAR);
		hw_fsp(pdu, p);
		if (raise) {
			/* all LOS, no DGi: a fibre cut, not area power */
			trap_add_int(pdu, HW_AFFECT_NUM, &p->ifindex, 1,
			    affected);
			trap_add_int(pdu, HW_DGI_NUM, &p->ifindex, 1, 0);
		}
	} else if (is_zte(d)) {
		pdu = raise ? trap_new(d, ZTE_PON_LOS) :
		    trap_new(d, ZTE_PON_LOS_CLEAR);
		trap_add_int(pdu, IF_INDEX, &p->ifindex, 1, p->ifindex);
	} else {
		/* FiberHome: no public trap MIB, so IF-MIB only */
		trap_link(d, p->ifindex, !raise);
		return;
	}
	trap_queue(d, pdu);
}

/* ONU LOS or dying gasp, raised or cleared. FiberHome sends none (no
 * public trap MIB): its ONU faults are found by polling onuStatus. */
static void
trap_onu(struct device *d, struct pon *p, int i, enum fault kind, int raise)
{
	netsnmp_pdu *pdu;
	uint32_t inst[2];
	char acct[32];
	int dg = kind == F_POWER;

	inst[0] = p->ifindex;
	inst[1] = (uint32_t)fleet_onu_id(d, i);
	if (is_huawei(d)) {
		if (dg)
			pdu = raise ? trap_new(d, HW_ONT_DG) :
			    trap_new(d, HW_ONT_DG_CLEAR);
		else
			pdu = raise ? trap_new(d, HW_ONT_LOS) :
			    trap_new(d, HW_ONT_LOS_CLEAR);
		hw_fsp(pdu, p);
		trap_add_int(pdu, HW_ONT_INDEX, inst, 2, inst[1]);
		trap_add_str(pdu, HW_ONT_EQUIPMENT, inst, 2, "HG8245H", 7);
	} else if (is_zte(d)) {
		if (dg)
			pdu = raise ? trap_new(d, ZTE_ONU_DG) :
			    trap_new(d, ZTE_ONU_DG_CLEAR);
		else
			pdu = raise ? trap_new(d, ZTE_ONU_LOS) :
			    trap_new(d, ZTE_ONU_LOS_CLEAR);
		fleet_account(fleet_sub_onu(d, p, i), acct, sizeof(acct));
		trap_add_int(pdu, IF_INDEX, &p->ifindex, 1, p->ifindex);
		trap_add_str(pdu, ZTE_ONU_NAME, inst, 2, acct, strlen(acct));
		trap_add_str(pdu, ZTE_ONU_TYPE, inst, 2, "ZTE-F660", 8);
		trap_add_str(pdu, ZTE_ONU_DESC, inst, 2, acct, strlen(acct));
	} else
		return;
	trap_queue(d, pdu);
}

static void
trap_board(struct device *d, struct board *b, int raise)
{
	netsnmp_pdu *pdu;
	uint32_t inst[3];
	size_t k;

	if (is_huawei(d)) {
		inst[0] = b->frame;
		inst[1] = b->slot;
		pdu = raise ? trap_new(d, HW_BOARD_FAULT) :
		    trap_new(d, HW_BOARD_RESTORE);
		trap_add_int(pdu, HW_FRAME, inst, 2, b->frame);
		trap_add_int(pdu, HW_SLOT, inst, 2, b->slot);
		trap_add_str(pdu, HW_SLOT_TYPE_NAME, inst, 2, "H901GPHF", 8);
	} else if (is_zte(d)) {
		/* only zxAnCardOperStatus of the MIB's six objects is known */
		inst[0] = 1;
		inst[1] = b->frame;
		inst[2] = b->slot;
		pdu = raise ? trap_new(d, ZTE_CARD_DOWN) :
		    trap_new(d, ZTE_CARD_UP);
		trap_add_int(pdu, ZTE_CARD_OPER, inst, 3, raise ? 9 : 1);
	} else if (d->v->kind == SIM_OLT) {
		for (k = 0; k < (size_t)d->npons; k++)
			if (!b->pons[k].cut)
				trap_link(d, b->pons[k].ifindex, !raise);
		return;
	} else {
		for (k = 0; k < d->nlines; k++)
			if (d->lines[k].slot == b->slot &&
			    d->lines[k].fault == F_UP)
				trap_link(d, d->lines[k].ifindex, !raise);
		return;
	}
	trap_queue(d, pdu);
}

int
fault_cut(struct device *d, struct pon *p, char *err, size_t errlen)
{
	uint8_t was_up[128];
	int i, n = 0;

	if (p->cut) {
		snprintf(err, errlen, "%d/%d/%d is already cut", p->frame,
		    p->slot, p->port);
		return -1;
	}
	for (i = 0; i < d->onus_per_pon; i++)
		if ((was_up[i] = fleet_onu_state(p, i) == ONU_UP))
			n++;
	p->cut = 1;
	if (p->board->failed)
		return 0;
	trap_pon_los(d, p, 1, n);
	for (i = 0; i < d->onus_per_pon; i++) {
		if (!was_up[i])
			continue;
		p->onus[i].last_cause = CAUSE_LOSI;
		trap_onu(d, p, i, F_LOS, 1);
	}
	return 0;
}

int
fault_restore_pon(struct device *d, struct pon *p, char *err, size_t errlen)
{
	int i;

	if (!p->cut) {
		snprintf(err, errlen, "%d/%d/%d is not cut", p->frame, p->slot,
		    p->port);
		return -1;
	}
	p->cut = 0;
	if (p->board->failed)
		return 0;
	trap_pon_los(d, p, 0, 0);
	for (i = 0; i < d->onus_per_pon; i++)
		if (fleet_onu_state(p, i) == ONU_UP)
			trap_onu(d, p, i, F_LOS, 0);
	return 0;
}

/*
 * Set the own fault of ONUs from..to (vendor ids) to kind, or back to up
 * with F_UP. Returns how many changed. ONUs already in another fault keep
 * it; a fault hidden by a cut PON or a failed board sends nothing.
 */
int
fault_onus(struct device *d, struct pon *p, int from, int to,
    enum fault kind, char *err, size_t errlen)
{
	int i, first = d->v->first_onu, changed = 0;
	enum onu_state before;
	enum fault old;

	if (from < first || to >= first + d->onus_per_pon || from > to) {
		snprintf(err, errlen, "ONU ids on %d/%d/%d are %d-%d", p->frame,
		    p->slot, p->port, first, first + d->onus_per_pon - 1);
		return -1;
	}
	for (i = from - first; i <= to - first; i++) {
		old = p->onus[i].fault;
		/* Deactivating overrides a fault; other faults do not. */
		if (kind == old || (kind != F_ADMIN &&
		    (kind == F_UP) == (old == F_UP)))
			continue;
		before = fleet_onu_state(p, i);
		p->onus[i].fault = kind;
		changed++;
		if (kind == F_ADMIN) {	/* the operator's command: no trap */
			p->onus[i].last_cause = CAUSE_DEACTIVATED;
		} else if (kind != F_UP && before == ONU_UP) {
			p->onus[i].last_cause = kind == F_POWER ?
			    CAUSE_DYING_GASP : CAUSE_LOSI;
			trap_onu(d, p, i, kind, 1);
		} else if (kind == F_UP && old != F_ADMIN &&
		    fleet_onu_state(p, i) == ONU_UP)
			trap_onu(d, p, i, old, 0);
	}
	return changed;
}

int
fault_board(struct device *d, struct board *b, char *err, size_t errlen)
{
	if (b->failed) {
		snprintf(err, errlen, "board %d/%d has already failed",
		    b->frame, b->slot);
		return -1;
	}
	trap_board(d, b, 1);
	b->failed = 1;
	return 0;
}

int
fault_restore_board(struct device *d, struct board *b, char *err,
    size_t errlen)
{
	if (!b->failed) {
		snprintf(err, errlen, "board %d/%d has not failed", b->frame,
		    b->slot);
		return -1;
	}
	b->failed = 0;
	trap_board(d, b, 0);
	return 0;
}

/* DSL lines slot/from..to go down with kind (F_LOS, F_POWER, F_PORT). */
int
fault_lines(struct device *d, int slot, int from, int to, enum fault kind,
    char *err, size_t errlen)
{
	struct dsl_line *l;
	netsnmp_pdu *pdu;
	int port, changed = 0;

	for (port = from; port <= to; port++) {
		if ((l = fleet_line(d, slot, port)) == NULL) {
			snprintf(err, errlen, "%s has no line %d/%d", d->name,
			    slot, port);
			return -1;
		}
		if (l->fault != F_UP)
			continue;
		l->fault = kind;
		changed++;
		if (d->boards[slot - 1].failed)
			continue;
		trap_link(d, l->ifindex, 0);
		if (kind != F_POWER)
			continue;
		/* the modem's loss-of-power seconds cross the threshold */
		l->lprs += 3;
		pdu = trap_new(d, ADSL_ATUR_LPRS_TRAP);
		trap_add_int(pdu, ADSL_ATUR_LPRS, &l->ifindex, 1, l->lprs);
		trap_queue(d, pdu);
	}
	return changed;
}

int
fault_restore_lines(struct device *d, int slot, int from, int to, char *err,
    size_t errlen)
{
	struct dsl_line *l;
	int port, changed = 0;

	for (port = from; port <= to; port++) {
		if ((l = fleet_line(d, slot, port)) == NULL) {
			snprintf(err, errlen, "%s has no line %d/%d", d->name,
			    slot, port);
			return -1;
		}
		if (l->fault == F_UP)
			continue;
		l->fault = F_UP;
		changed++;
		if (!d->boards[slot - 1].failed)
			trap_link(d, l->ifindex, 1);
	}
	return changed;
}

/* Everything back to normal, with every clear, boards first. */
int
fault_restore_device(struct device *d, char *err, size_t errlen)
{
	size_t i;
	int n = 0;

	for (i = 0; i < d->nboards; i++)
		if (d->boards[i].failed &&
		    fault_restore_board(d, &d->boards[i], err, errlen) == 0)
			n++;
	for (i = 0; i < d->npons_total; i++) {
		if (d->pons[i].cut &&
		    fault_restore_pon(d, &d->pons[i], err, errlen) == 0)
			n++;
		n += fault_onus(d, &d->pons[i], d->v->first_onu,
		    d->v->first_onu + d->onus_per_pon - 1, F_UP, err, errlen);
	}
	for (i = 0; i < d->nlines; i++)
		if (d->lines[i].fault != F_UP)
			n += fault_restore_lines(d, d->lines[i].slot,
			    d->lines[i].port, d->lines[i].port, err, errlen);
	return n;
}

/* Whole device power loss: no answer, no trap. */
void
fault_silence(struct device *d)
{
	d->silent = 1;
}

/* Power back: the agent answers again, uptime restarts, coldStart. */
void
fault_wake(struct device *d)
{
	d->silent = 0;
	clock_gettime(CLOCK_MONOTONIC, &d->boot);
	fault_trap_coldstart(d);
}

void
fault_trap_coldstart(struct device *d)
{
	trap_queue(d, trap_new(d, COLD_START));
}

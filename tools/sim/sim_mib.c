/*
 * sim_mib.c: the OID table of one simulated device. Each device keeps one
 * sorted array of (column, instance) entries built at start-up; GET and
 * GETNEXT are binary searches over it, so a GETBULK costs O(log n) per
 * varbind and 10 OLTs x 16 PON x 128 ONUs start in milliseconds. Values are
 * computed from the device state when asked, so a fault never has to
 * rebuild the table.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "xmalloc.h"

/* qsort has no context argument; the build runs on one thread. */
static const struct device *sort_dev;

static int
mib_inst_cmp(const void *a, const void *b)
{
	const struct mib_entry *x = a, *y = b;
	int i, n = x->instlen < y->instlen ? x->instlen : y->instlen;

	for (i = 0; i < n; i++)
		if (x->inst[i] != y->inst[i])
			return x->inst[i] < y->inst[i] ? -1 : 1;
	return (int)x->instlen - (int)y->instlen;
}

static int
mib_col_cmp(const void *a, const void *b)
{
	const struct sim_column *cols = sort_dev->v->cols;
	const struct sim_column *x = &cols[*(const uint16_t *)a];
	const struct sim_column *y = &cols[*(const uint16_t *)b];

	return snmp_oid_compare(x->base, x->baselen, y->base, y->baselen);
}

static size_t
mib_rows(const struct device *d, enum row_kind rk)
{
	switch (rk) {
	case R_SCALAR:
		return 1;
	case R_IF:
		return d->v->kind == SIM_OLT ? d->npons_total : d->nlines;
	case R_BOARD:
		/* a DSLAM answers no board table */
		return d->v->kind == SIM_OLT ? d->nboards : 0;
	case R_PON:
		return d->npons_total;
	case R_ONU:
		return d->npons_total * (size_t)d->onus_per_pon;
	}
	return 0;
}

/* Fill the rows of one column starting at e; returns how many. */
static size_t
mib_fill(const struct device *d, uint16_t col, struct mib_entry *e)
{
	enum row_kind rk = d->v->cols[col].rows;
	size_t i, n = mib_rows(d, rk);
	const struct pon *p;

	for (i = 0; i < n; i++, e++) {
		e->col = col;
		e->obj = (uint32_t)i;
		switch (rk) {
		case R_SCALAR:
			e->inst[0] = 0;
			e->instlen = 1;
			break;
		case R_IF:
			e->inst[0] = d->v->kind == SIM_OLT ?
			    d->pons[i].ifindex : d->lines[i].ifindex;
			e->instlen = 1;
			break;
		case R_BOARD:
			e->instlen = d->v->board_inst(&d->boards[i], e->inst);
			break;
		case R_PON:
			e->inst[0] = d->pons[i].ifindex;
			e->instlen = 1;
			break;
		case R_ONU:
			p = &d->pons[i / d->onus_per_pon];
			e->instlen = d->v->onu_inst(p, i % d->onus_per_pon,
			    e->inst);
			break;
		}
	}
	return n;
}

void
mib_build(struct device *d)
{
	size_t ncols = d->v->ncols, total = 0, i, n;
	uint16_t *order;

	order = xcalloc(ncols, sizeof(*order));
	for (i = 0; i < ncols; i++) {
		order[i] = (uint16_t)i;
		total += mib_rows(d, d->v->cols[i].rows);
	}
	sort_dev = d;
	qsort(order, ncols, sizeof(*order), mib_col_cmp);
	d->mib = xcalloc(total, sizeof(*d->mib));
	d->colstart = xcalloc(ncols, sizeof(size_t));
	d->colcount = xcalloc(ncols, sizeof(size_t));
	for (i = 0, n = 0; i < ncols; i++) {
		size_t got = mib_fill(d, order[i], &d->mib[n]);

		qsort(&d->mib[n], got, sizeof(*d->mib), mib_inst_cmp);
		d->colstart[order[i]] = n;
		d->colcount[order[i]] = got;
		n += got;
	}
	d->nmib = n;
	free(order);
}

void
mib_free(struct device *d)
{
	free(d->mib);
	free(d->colstart);
	free(d->colcount);
	d->mib = NULL;
	d->nmib = 0;
}

/* Compare entry e's full OID with q, without building it. */
static int
mib_cmp(const struct device *d, const struct mib_entry *e, const oid *q,
    size_t qlen)
{
	const struct sim_column *c = &d->v->cols[e->col];
	size_t i, n = c->baselen + e->instlen;
	oid a;

	for (i = 0; i < n && i < qlen; i++) {
		a = i < c->baselen ? c->base[i] : e->inst[i - c->baselen];
		if (a != q[i])
			return a < q[i] ? -1 : 1;
	}
	return n < qlen ? -1 : (n > qlen ? 1 : 0);
}

ssize_t
mib_find(const struct device *d, const oid *q, size_t qlen, int *incol)
{
	size_t lo = 0, hi = d->nmib, mid, i;
	const struct sim_column *c;
	int r;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		r = mib_cmp(d, &d->mib[mid], q, qlen);
		if (r == 0)
			return (ssize_t)mid;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*incol = 0;
	for (i = 0; i < d->v->ncols; i++) {
		c = &d->v->cols[i];
		if (qlen > c->baselen && d->colcount[i] > 0 &&
		    snmp_oid_compare(c->base, c->baselen, q, c->baselen) == 0)
			*incol = 1;
	}
	return -1;
}

ssize_t
mib_next(const struct device *d, const oid *q, size_t qlen)
{
	size_t lo = 0, hi = d->nmib, mid;

	/* first entry strictly greater than q */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (mib_cmp(d, &d->mib[mid], q, qlen) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < d->nmib ? (ssize_t)lo : -1;
}

/* The full OID of entry i into name (MAX_OID_LEN); returns its length. */
size_t
mib_oid(const struct device *d, size_t i, oid *name)
{
	const struct mib_entry *e = &d->mib[i];
	const struct sim_column *c = &d->v->cols[e->col];
	size_t k;

	memcpy(name, c->base, c->baselen * sizeof(oid));
	for (k = 0; k < e->instlen; k++)
		name[c->baselen + k] = e->inst[k];
	return c->baselen + e->instlen;
}

static int
set_int(u_char *type, u_char *buf, size_t *len, u_char t, long v)
{
	*type = t;
	memcpy(buf, &v, sizeof(v));
	*len = sizeof(v);
	return 0;
}

static int
set_str(u_char *type, u_char *buf, size_t *len, const void *s, size_t n)
{
	*type = ASN_OCTET_STR;
	memcpy(buf, s, n);
	*len = n;
	return 0;
}

/* Vendor serial number as the MIBs carry it: 4 ASCII + 4 binary octets. */
static int
set_sn(const struct device *d, const struct pon *p, int i, u_char *type,
    u_char *buf, size_t *len)
{
	uint32_t n = fleet_sub_onu(d, p, i) + 1;
	u_char sn[8];

	memcpy(sn, d->v->serial_vendor, 4);
	sn[4] = n >> 24;
	sn[5] = n >> 16;
	sn[6] = n >> 8;
	sn[7] = n;
	return set_str(type, buf, len, sn, 8);
}

static int
line_down(const struct device *d, const struct dsl_line *l)
{
	return l->fault != F_UP || d->boards[l->slot - 1].failed;
}

static int
pon_down(const struct pon *p)
{
	return p->cut || p->board->failed;
}

/* The interface and system columns, shared by every style. */
static int
mib_value_if(const struct device *d, const struct mib_entry *e,
    enum col_kind k, u_char *type, u_char *buf, size_t *len)
{
	const struct pon *p = NULL;
	const struct dsl_line *l = NULL;
	char s[64];

	if (d->v->kind == SIM_OLT)
		p = &d->pons[e->obj];
	else
		l = &d->lines[e->obj];
	switch (k) {
	case C_IFINDEX:
		return set_int(type, buf, len, ASN_INTEGER,
		    p ? p->ifindex : l->ifindex);
	case C_IFDESCR:
	case C_IFNAME:
		if (p)
			snprintf(s, sizeof(s), "%s%d/%d/%d", d->v->ifdescr,
			    p->frame, p->slot, p->port);
		else
			snprintf(s, sizeof(s), "%s%d/%d", d->v->ifdescr,
			    l->slot, l->port);
		return set_str(type, buf, len, s, strlen(s));
	case C_IFTYPE:
		return set_int(type, buf, len, ASN_INTEGER, p ? 250 : 94);
	case C_IFADMIN:
		return set_int(type, buf, len, ASN_INTEGER, 1);
	case C_IFOPER:
		return set_int(type, buf, len, ASN_INTEGER,
		    (p ? pon_down(p) : line_down(d, l)) ? 2 : 1);
	case C_IFALIAS:
		if (p)
			s[0] = '\0';
		else
			fleet_account(l->sub, s, sizeof(s));
		return set_str(type, buf, len, s, strlen(s));
	default:
		break;
	}
	return -1;
}

static int
mib_value_dsl(const struct device *d, const struct mib_entry *e,
    enum col_kind k, u_char *type, u_char *buf, size_t *len)
{
	const struct dsl_line *l = &d->lines[e->obj];
	/* ADSL-LINE-MIB BITS: bit 0 is the top bit of the first octet */
	static const u_char nodefect[] = { 0x80 }, los[] = { 0x20 },
	    lop[] = { 0x10 }, nopeer[] = { 0x00, 0x40 };
	int portdown = l->fault == F_PORT || d->boards[l->slot - 1].failed;

	switch (k) {
	case C_ADSL_ATUC_STATUS:
		if (portdown)
			return set_str(type, buf, len, los, sizeof(los));
		if (l->fault != F_UP)
			return set_str(type, buf, len, nopeer, sizeof(nopeer));
		return set_str(type, buf, len, nodefect, sizeof(nodefect));
	case C_ADSL_ATUR_STATUS:
		if (l->fault == F_POWER)
			return set_str(type, buf, len, lop, sizeof(lop));
		if (portdown || l->fault == F_LOS)
			return set_str(type, buf, len, los, sizeof(los));
		return set_str(type, buf, len, nodefect, sizeof(nodefect));
	case C_ADSL_ATUR_LPRS:
		return set_int(type, buf, len, ASN_GAUGE, l->lprs);
	default:
		break;
	}
	return -1;
}

/* Huawei LastDownCause, ZTE PhaseState and FiberHome onuStatus codes. */
static long
onu_code(enum col_kind k, enum onu_state st)
{
	static const long phase[] = { 3, 1, 4, 6 };	/* working los dg off */
	static const long fh[] = { 1, 0, 2, 3 };	/* online cut power off */

	if (k == C_ZTE_ONU_PHASE)
		return phase[st];
	if (k == C_FH_STATUS)
		return fh[st];
	return st == ONU_UP ? 1 : 2;			/* Huawei RunStatus */
}

static int
mib_value_onu(const struct device *d, const struct mib_entry *e,
    enum col_kind k, u_char *type, u_char *buf, size_t *len)
{
	const struct pon *p = &d->pons[e->obj / d->onus_per_pon];
	int i = (int)(e->obj % d->onus_per_pon);
	char s[64];

	switch (k) {
	case C_HW_ONT_SN:
	case C_ZTE_ONU_SN:
		return set_sn(d, p, i, type, buf, len);
	case C_HW_ONT_DESC:
	case C_ZTE_ONU_NAME:
		fleet_account(fleet_sub_onu(d, p, i), s, sizeof(s));
		return set_str(type, buf, len, s, strlen(s));
	case C_ZTE_ONU_DESC:
		fleet_account(fleet_sub_onu(d, p, i), s, sizeof(s));
		snprintf(s + strlen(s), sizeof(s) - strlen(s), " %s",
		    d->region);
		return set_str(type, buf, len, s, strlen(s));
	case C_ZTE_ONU_TYPE:
		return set_str(type, buf, len, "ZTE-F660", 8);
	case C_FH_MAC:
		fleet_serial(d, p, i, s, sizeof(s));
		return set_str(type, buf, len, s, strlen(s));
	case C_HW_ONT_CAUSE:
		return set_int(type, buf, len, ASN_INTEGER,
		    p->onus[i].last_cause);
	case C_ZTE_ONU_ADMIN:		/* enable(1), disable(2) */
		return set_int(type, buf, len, ASN_INTEGER,
		    p->onus[i].fault == F_ADMIN ? 2 : 1);
	case C_FH_SLOT:
		return set_int(type, buf, len, ASN_INTEGER, p->slot);
	case C_FH_PON:
		return set_int(type, buf, len, ASN_INTEGER, p->port);
	case C_FH_ONUID:
		return set_int(type, buf, len, ASN_INTEGER, i + 1);
	case C_HW_ONT_RUN:
	case C_ZTE_ONU_PHASE:
	case C_FH_STATUS:
		return set_int(type, buf, len, ASN_INTEGER,
		    onu_code(k, fleet_onu_state(p, i)));
	default:
		break;
	}
	return -1;
}

static int
pon_online(const struct device *d, const struct pon *p)
{
	int i;

	for (i = 0; i < d->onus_per_pon; i++)
		if (fleet_onu_state(p, i) == ONU_UP)
			return 1;
	return 0;
}

/* Value of entry i; buf holds at least 256 bytes. 0, or -1 if unknown. */
int
mib_value(const struct device *d, size_t idx, u_char *type, u_char *buf,
    size_t *len)
{
	const struct mib_entry *e = &d->mib[idx];
	const struct sim_column *c = &d->v->cols[e->col];
	const struct board *b = c->rows == R_BOARD ? &d->boards[e->obj] : NULL;
	const struct pon *p = c->rows == R_PON ? &d->pons[e->obj] : NULL;

	switch (c->kind) {
	case C_SYSDESCR:
		return set_str(type, buf, len, d->v->descr,
		    strlen(d->v->descr));
	case C_SYSOBJECTID:
		*type = ASN_OBJECT_ID;
		memcpy(buf, d->v->sysoid, d->v->sysoidlen * sizeof(oid));
		*len = d->v->sysoidlen * sizeof(oid);
		return 0;
	case C_SYSUPTIME:
		return set_int(type, buf, len, ASN_TIMETICKS,
		    (long)fleet_uptime(d));
	case C_SYSNAME:
		return set_str(type, buf, len, d->name, strlen(d->name));
	case C_HW_SLOT_OPER:
		return set_int(type, buf, len, ASN_INTEGER, b->failed ? 3 : 2);
	case C_ZTE_CARD_OPER:
		return set_int(type, buf, len, ASN_INTEGER, b->failed ? 9 : 1);
	case C_FH_CARD:
		return set_int(type, buf, len, ASN_INTEGER, b->failed ? 0 : 1);
	case C_HW_OLT_STATUS:
		return set_int(type, buf, len, ASN_INTEGER,
		    pon_down(p) ? 2 : 1);
	case C_HW_OLT_DOWNCAUSE:
		return set_int(type, buf, len, ASN_INTEGER, p->cut ? 1 : -1);
	case C_FH_PON_ENABLE:
		return set_int(type, buf, len, ASN_INTEGER, 1);
	case C_FH_PON_ONLINE:
		return set_int(type, buf, len, ASN_INTEGER,
		    pon_online(d, p));
	case C_ADSL_ATUC_STATUS:
	case C_ADSL_ATUR_STATUS:
	case C_ADSL_ATUR_LPRS:
		return mib_value_dsl(d, e, c->kind, type, buf, len);
	default:
		break;
	}
	if (c->rows == R_IF)
		return mib_value_if(d, e, c->kind, type, buf, len);
	return mib_value_onu(d, e, c->kind, type, buf, len);
}

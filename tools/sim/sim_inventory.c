/*
 * sim_inventory.c: herald-sim --write-inventory DIR writes devices.csv and
 * subscribers.csv describing exactly the fleet it simulates (same names,
 * addresses, locations, ONU serial numbers and accounts as the agents
 * report), so herald's inventory import and the simulator agree. The
 * column layout lives in inv_dev_row() and inv_sub_row() only, so a change
 * of the import format (doc/inventory.md) is a change of two functions.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>

#include "log.h"
#include "sim.h"

/* Second-stage splitters: ONUs 1-32, 33-64, ... of a port share one. */
#define INV_SPLIT	32

static const char *const surnames[] = { "王", "李", "张", "刘", "陈", "杨",
    "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭" };
static const char *const given[] = { "伟", "芳", "娜", "敏", "静", "丽",
    "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英",
    "霞", "平" };
static const char *const streets[] = { "人民路", "解放路", "中山路",
    "建设路", "和平路", "新华路", "文化路", "青年路" };

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* RFC 4180 quoting, only where a field needs it. */
static void
csv_field(FILE *f, const char *s, int last)
{
	const char *p;

	if (strpbrk(s, ",\"\r\n") == NULL)
		fputs(s, f);
	else {
		fputc('"', f);
		for (p = s; *p != '\0'; p++) {
			if (*p == '"')
				fputc('"', f);
			fputc(*p, f);
		}
		fputc('"', f);
	}
	fputc(last ? '\n' : ',', f);
}

static void
csv_row(FILE *f, const char *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		csv_field(f, v[i] != NULL ? v[i] : "", i == n - 1);
}

/* What one subscriber row says; names, phones, addresses are made up. */
struct inv_sub {
	uint32_t		 sub;
	const struct device	*d;
	int			 frame, slot, port, onu;	/* onu -1: DSL */
	const char		*serial;
	const char		*splitter;
	uint32_t		 ifindex;	/* DSL: the line's ifIndex */
};

static void
inv_dev_row(FILE *f, const struct device *d)
{
	static const char *const header[] = { "name", "kind", "vendor",
	    "model", "mgmt_addr", "snmp_profile", "region", "site",
	    "snmp_port" };
	char addr[INET_ADDRSTRLEN], site[64], port[8];
	const char *v[NELEM(header)];

	if (d == NULL) {
		csv_row(f, header, NELEM(header));
		return;
	}
	inet_ntop(AF_INET, &d->sin.sin_addr, addr, sizeof(addr));
	snprintf(site, sizeof(site), "site-%s", d->name);
	v[0] = d->name;
	v[1] = d->v->kind == SIM_OLT ? "olt" : "dslam";
	v[2] = d->v->vendor;
	v[3] = d->v->model;
	v[4] = addr;
	v[5] = d->access == ACCESS_V3 ? "sim-v3" : "sim-v2c";
	v[6] = d->region;
	v[7] = site;
	snprintf(port, sizeof(port), "%u", ntohs(d->sin.sin_port));
	v[8] = port;
	csv_row(f, v, NELEM(v));
}

static void
inv_sub_row(FILE *f, const struct inv_sub *s)
{
	static const char *const header[] = { "account", "name", "phones",
	    "address", "region", "device", "frame", "slot", "port", "onu_id",
	    "onu_serial", "splitter", "if_index" };
	char acct[32], name[32], phone[32], addr[96], fr[16], sl[16], pt[16];
	char onu[16], ifx[16];
	const char *v[NELEM(header)];
	uint32_t n;

	if (s == NULL) {
		csv_row(f, header, NELEM(header));
		return;
	}
	n = s->sub;
	fleet_account(n, acct, sizeof(acct));
	snprintf(name, sizeof(name), "%s%s", surnames[n % NELEM(surnames)],
	    given[(n / NELEM(surnames)) % NELEM(given)]);
	snprintf(phone, sizeof(phone), "139%08u", n + 1);
	snprintf(addr, sizeof(addr), "%s%u号%u室", streets[n % NELEM(streets)],
	    n / 64 + 1, (n % 64) / 4 * 100 + n % 4 + 101);
	snprintf(fr, sizeof(fr), "%d", s->frame);
	snprintf(sl, sizeof(sl), "%d", s->slot);
	snprintf(pt, sizeof(pt), "%d", s->port);
	snprintf(onu, sizeof(onu), "%d", s->onu);
	snprintf(ifx, sizeof(ifx), "%u", s->ifindex);
	v[0] = acct;
	v[1] = name;
	v[2] = phone;
	v[3] = addr;
	v[4] = s->d->region;
	v[5] = s->d->name;
	v[6] = s->onu >= 0 ? fr : "";
	v[7] = sl;
	v[8] = pt;
	v[9] = s->onu >= 0 ? onu : "";
	v[10] = s->serial;
	v[11] = s->splitter;
	/* The agent's ifIndex of the line, so linkDown reaches the account. */
	v[12] = s->onu < 0 ? ifx : "";
	csv_row(f, v, NELEM(v));
}

static void
inv_subs_olt(FILE *f, const struct device *d)
{
	struct inv_sub s;
	char serial[32], split[80];
	size_t p;
	int i;

	for (p = 0; p < d->npons_total; p++) {
		const struct pon *pon = &d->pons[p];

		for (i = 0; i < d->onus_per_pon; i++) {
			fleet_serial(d, pon, i, serial, sizeof(serial));
			snprintf(split, sizeof(split), "%s-%d/%d/%d-sp%d",
			    d->name, pon->frame, pon->slot, pon->port,
			    i / INV_SPLIT + 1);
			s.sub = fleet_sub_onu(d, pon, i);
			s.d = d;
			s.frame = pon->frame;
			s.slot = pon->slot;
			s.port = pon->port;
			s.onu = fleet_onu_id(d, i);
			s.serial = serial;
			s.splitter = split;
			s.ifindex = 0;
			inv_sub_row(f, &s);
		}
	}
}

static void
inv_subs_dslam(FILE *f, const struct device *d)
{
	struct inv_sub s;
	size_t i;

	for (i = 0; i < d->nlines; i++) {
		s.sub = d->lines[i].sub;
		s.d = d;
		s.frame = 0;
		s.slot = d->lines[i].slot;
		s.port = d->lines[i].port;
		s.onu = -1;
		s.serial = "";
		s.splitter = "";
		s.ifindex = d->lines[i].ifindex;
		inv_sub_row(f, &s);
	}
}

static FILE *
inv_open(const char *dir, const char *name, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		log_warn("%s", path);
	return f;
}

static int
inv_close(FILE *f, const char *path)
{
	if (ferror(f) || fclose(f) == EOF) {
		log_warnx("%s: write failed", path);
		return -1;
	}
	return 0;
}

int
inventory_write(struct sim *s, const char *dir)
{
	char path[4096];
	FILE *f;
	size_t i;

	if (s->o.port_mode) {
		log_warnx("--write-inventory: the inventory names devices by "
		    "address, so every device needs its own (no --port-mode)");
		return -1;
	}
	if ((f = inv_open(dir, "devices.csv", path, sizeof(path))) == NULL)
		return -1;
	inv_dev_row(f, NULL);
	for (i = 0; i < s->ndevs; i++)
		inv_dev_row(f, &s->devs[i]);
	if (inv_close(f, path) == -1)
		return -1;
	if ((f = inv_open(dir, "subscribers.csv", path, sizeof(path))) == NULL)
		return -1;
	inv_sub_row(f, NULL);
	for (i = 0; i < s->ndevs; i++) {
		if (s->devs[i].v->kind == SIM_OLT)
			inv_subs_olt(f, &s->devs[i]);
		else
			inv_subs_dslam(f, &s->devs[i]);
	}
	return inv_close(f, path);
}

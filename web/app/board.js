// board.js: the NOC board (index.html). Active incidents with their
// ticket and notices, the counters, the alarm rate, the maintenance
// windows. Nothing polls: heraldd's stream says what changed ("incident"
// events carry the incident itself and are shown at once; "change" events
// name the kinds of data to fetch again) and only that is fetched.
import { api } from "./api.js";
import { $, coalesce, fill, h } from "./dom.js";
import { age, num, t, time, w } from "./i18n.js";
import { RateChart } from "./rate.js";
import { scopeText } from "./scope.js";
import { setLive, start } from "./session.js";
import { openStream } from "./stream.js";

const state = {
	incidents: new Map(),	// uid -> incident (API shape, or event)
	notices: {},		// incident id -> {state: n}
	fresh: new Map(),	// uid -> when first seen live
};

function counters() {
	const keys = [["incidents", "sum.incidents"], ["accounts", "sum.accounts"],
	    ["queued", "sum.queued"], ["sent", "sum.sent"],
	    ["delivered", "sum.delivered"], ["failed", "sum.failed"],
	    ["overdue", "sum.overdue"], ["alarms", "sum.alarms"]];
	return h("section", { id: "summary", class: "counters" },
	    keys.map(([k, label]) => h("div", { class: ["counter", "c-" + k],
		dataset: { key: k } },
		h("span", { class: "value" }, "–"),
		h("span", { class: "label" }, t(label)),
		k === "incidents" ? h("span", { class: "sub" }) : null)));
}

function showSummary(s) {
	const n = s.notifications || {};
	const v = { incidents: s.incidents_active,
	    accounts: s.accounts_affected, queued: (n.queued || 0) +
	    (n.held || 0) + (n.sending || 0), sent: n.sent,
	    delivered: n.delivered, failed: (n.failed || 0) + (n.dead || 0),
	    overdue: s.tickets_overdue, alarms: s.alarms_active };
	for (const [k, val] of Object.entries(v)) {
		const c = $(`#summary [data-key="${k}"]`);
		c.querySelector(".value").textContent = num(val);
		c.classList.toggle("hot", (k === "overdue" || k === "failed") &&
		    val > 0);
	}
	$('#summary [data-key="incidents"] .sub').textContent =
	    s.incidents_planned ? `${t("sum.planned")} ${s.incidents_planned}`
	    : "";
	state.notices = s.notices_by_incident || {};
}

function noticeText(id) {
	const n = state.notices[id] || {};
	const sent = (n.sent || 0) + (n.delivered || 0) + (n.failed || 0) +
	    (n.dead || 0);
	return `${num(sent)} / ${num(n.delivered || 0)}`;
}

function row(inc) {
	const link = inc.id ? `incident.html?id=${inc.id}` : null;
	const st = inc.planned ? "planned" : inc.state;
	const tk = inc.ticket;
	return h("tr", { dataset: { uid: inc.uid, id: inc.id ?? "" },
	    class: [state.fresh.has(inc.uid) ? "fresh" : null,
		"s-" + st] },
	    h("td", { class: "num" }, link ? h("a", { href: link }, inc.id) :
		"…"),
	    h("td", { class: "scope" },
		h("span", { class: "scope-kind" }, w("scope", inc.scope)),
		" ", scopeText(inc)),
	    h("td", { class: "cause" }, w("cause", inc.cause || "unknown")),
	    h("td", {}, h("span", { class: ["badge", "st-" + st] },
		w("state", st)),
		inc.individual ? h("span", { class: "badge" },
		    t("individual")) : null),
	    h("td", { class: "num accounts" }, num(inc.affected_accounts)),
	    h("td", { class: "age", dataset: { since: inc.opened_at } },
		age(inc.opened_at)),
	    h("td", { class: "ticket" }, tk ? h("span",
		{ class: ["badge", "tk-" + tk.state] },
		`#${tk.id} ${w("ticket", tk.state)}`) : "–",
		tk && (tk.assignee || tk.team) ? h("span", { class: "crew" },
		    tk.assignee || "", tk.assignee && tk.team ? " · " : "",
		    tk.team || "") : null),
	    h("td", { class: "num notices" }, inc.id ? noticeText(inc.id) :
		"–"),
	    h("td", { class: "title" }, link ? h("a", { href: link },
		inc.title) : inc.title));
}

function showIncidents() {
	const list = [...state.incidents.values()]
	    .filter((i) => !i.individual)
	    .sort((a, b) => (b.affected_accounts - a.affected_accounts) ||
		(new Date(b.opened_at) - new Date(a.opened_at)));
	const body = $("#incidents tbody");
	if (!list.length) {
		fill(body, h("tr", { class: "empty" }, h("td",
		    { colspan: 9 }, t("incidents.none"))));
		return;
	}
	fill(body, list.map(row));
	// For bench/board: when the list was first drawn, in the page's time.
	if (!document.documentElement.dataset.firstRender)
		document.documentElement.dataset.firstRender =
		    Math.round(performance.now());
}

// The active incidents with their tickets (GET /summary?incidents=true
// &counts=false): what an incident or ticket change redraws.
async function loadIncidents() {
	const s = await api("/summary", { query: { incidents: "true",
	    counts: "false" } });
	const m = new Map();
	for (const inc of s.incidents)
		m.set(inc.uid, inc);
	// An incident only an event has told of yet (not stored) stays.
	for (const [uid, inc] of state.incidents)
		if (!inc.id && !m.has(uid) && isOpen(inc))
			m.set(uid, inc);
	state.incidents = m;
	showIncidents();
}

// The counters and each incident's notices: what notices, alarms and
// incidents change.
async function loadCounts() {
	showSummary(await api("/summary"));
	for (const tr of document.querySelectorAll("#incidents tr[data-id]"))
		if (tr.dataset.id)
			tr.querySelector("td.notices").textContent =
			    noticeText(tr.dataset.id);
}

const isOpen = (inc) => inc.state === "suspected" ||
    inc.state === "confirmed";

// An "incident" event: shown at once from the event, then fetched again
// for the ticket and the rest.
function onIncident(ev) {
	if (!ev || !ev.uid)
		return;
	const old = state.incidents.get(ev.uid);
	if (!isOpen(ev)) {
		state.incidents.delete(ev.uid);
	} else {
		if (!old)
			state.fresh.set(ev.uid, Date.now());
		state.incidents.set(ev.uid, Object.assign({}, old || {}, ev));
	}
	showIncidents();
}

async function loadRate(chart) {
	chart.show(await api("/alarm_rate", { query: { minutes: 60 } }));
}

function mwForm(reload) {
	const f = (id, type, extra) => h("input", Object.assign(
	    { id, name: id, type }, extra || {}));
	const msg = h("p", { id: "mw-msg", class: "msg" });
	const local = (d) => new Date(d.getTime() - d.getTimezoneOffset() *
	    60000).toISOString().slice(0, 16);
	const now = new Date();
	const form = h("form", { id: "mw-form", class: "mw-form",
	    onsubmit: async (e) => {
		e.preventDefault();
		const v = (id) => form.querySelector("#" + id).value.trim();
		const body = { device: v("mw-device"), reason: v("mw-reason"),
		    starts_at: new Date(v("mw-starts")).toISOString(),
		    ends_at: new Date(v("mw-ends")).toISOString() };
		for (const k of ["frame", "slot", "port"])
			if (v("mw-" + k) !== "")
				body[k] = Number(v("mw-" + k));
		try {
			const r = await api("/maintenance",
			    { method: "POST", body });
			msg.className = "msg ok";
			msg.textContent = t("mw.added", { id: r.id });
			reload();
		} catch (err) {
			msg.className = "msg error";
			msg.textContent = t("error", { detail: err.message });
		}
	} },
	    h("label", {}, t("mw.device"), f("mw-device", "text",
		{ required: true, size: 14 })),
	    h("label", {}, t("mw.frame"), f("mw-frame", "number",
		{ min: 0, class: "short" })),
	    h("label", {}, t("mw.slot"), f("mw-slot", "number",
		{ min: 0, class: "short" })),
	    h("label", {}, t("mw.port"), f("mw-port", "number",
		{ min: 0, class: "short" })),
	    h("label", {}, t("mw.starts"), f("mw-starts", "datetime-local",
		{ required: true, value: local(now) })),
	    h("label", {}, t("mw.ends"), f("mw-ends", "datetime-local",
		{ required: true, value: local(new Date(now.getTime() +
		    4 * 3600000)) })),
	    h("label", { class: "wide" }, t("mw.reason"), f("mw-reason",
		"text", { required: true })),
	    h("button", { type: "submit" }, t("mw.add")), msg);
	return form;
}

async function loadMaintenance() {
	const r = await api("/maintenance", { query: { limit: 100 } });
	const body = $("#mw-list tbody");
	if (!r.items.length) {
		fill(body, h("tr", {}, h("td", { colspan: 4, class: "empty" },
		    t("mw.none"))));
		return;
	}
	fill(body, r.items.map((m) => h("tr", { dataset: { id: m.id },
	    class: m.active ? "active" : null },
	    h("td", {}, m.device ? m.device.name : "–", " ",
		[m.frame, m.slot, m.port].filter((x) => x !== null)
		    .join("/"), m.splitter ? ` ${m.splitter}` : ""),
	    h("td", {}, `${time(m.starts_at, true)} – ${time(m.ends_at, true)}`,
		m.active ? h("span", { class: "badge st-planned" },
		    t("mw.active")) : null),
	    h("td", {}, m.reason),
	    h("td", {}, h("button", { type: "button", class: "small danger",
		onclick: async () => {
			await api(`/maintenance/${m.id}`,
			    { method: "DELETE" });
			loadMaintenance();
		} }, t("mw.remove"))))));
}

function page() {
	const chartBox = h("div", { id: "rate", class: "chart" });
	fill($("#main"), counters(),
	    h("div", { class: "board" },
		h("section", { class: "card incidents" },
		    h("table", { id: "incidents", class: "grid" },
			h("thead", {}, h("tr", {}, ["col.id", "col.scope",
			    "col.cause", "col.state", "col.accounts",
			    "col.age", "col.ticket", "col.notices",
			    "col.title"].map((k) => h("th", {}, t(k))))),
			h("tbody", {}, h("tr", {}, h("td", { colspan: 9 },
			    t("loading")))))),
		h("aside", {},
		    h("section", { class: "card" },
			h("h2", {}, t("rate.title")), chartBox),
		    h("section", { class: "card", id: "maintenance" },
			h("h2", {}, t("mw.title")),
			h("table", { id: "mw-list", class: "grid small" },
			    h("tbody")),
			mwForm(() => loadMaintenance())))));
	const chart = new RateChart(chartBox);
	const incidents = coalesce(() => loadIncidents().catch(() => {}), 10);
	const counts = coalesce(() => loadCounts().catch(() => {}), 10);
	const rate = coalesce(() => loadRate(chart).catch(() => {}), 200);
	const mw = coalesce(() => loadMaintenance().catch(() => {}), 50);
	incidents();
	counts();
	rate();
	mw();
	openStream({
		hello: () => {
			incidents();
			counts();
			rate();
			mw();
		},
		incident: (ev) => {
			onIncident(ev);
			incidents();
			counts();
		},
		change: (c) => {
			if (!c)
				return;
			if (c.incidents || c.tickets)
				incidents();
			if (c.incidents || c.notifications || c.alarms)
				counts();
			if (c.alarms)
				rate();
			if (c.maintenance)
				mw();
		},
	}, setLive);
	// The ages move with the clock, not with the data.
	setInterval(() => {
		for (const td of document.querySelectorAll("td.age"))
			td.textContent = age(td.dataset.since);
		const now = Date.now();
		for (const [uid, at] of state.fresh)
			if (now - at > 60000)
				state.fresh.delete(uid);
	}, 15000);
}

start("board.title", ["noc", "admin"], page);

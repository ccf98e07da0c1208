// incident.js: one incident (incident.html?id=N): what it is, its ticket
// with history and the steps the NOC takes, the topology under it, its
// alarms in time order, its accounts page by page and the texts sent.
// Kept current by the stream like the board.
import { api } from "./api.js";
import { $, coalesce, fill, h } from "./dom.js";
import { age, num, t, time, timeSec, w } from "./i18n.js";
import { scopeText } from "./scope.js";
import { setLive, start } from "./session.js";
import { openStream } from "./stream.js";

const id = Number(new URLSearchParams(location.search).get("id"));
const PAGE = 20;
let accOffset = 0;

function dl(pairs) {
	return h("dl", { class: "facts" }, pairs.filter((p) => p[1] !== null &&
	    p[1] !== undefined && p[1] !== "").map(([k, v]) =>
	    [h("dt", {}, t(k)), h("dd", {}, v)]));
}

function showHead(inc) {
	const st = inc.planned ? "planned" : inc.state;
	fill($("#head"),
	    h("h2", {}, h("span", { class: "num" }, `#${inc.id} `),
		h("span", { id: "inc-title" }, inc.title)),
	    h("p", { class: "badges" },
		h("span", { class: ["badge", "st-" + st], id: "inc-state" },
		    w("state", st)),
		h("span", { class: "badge cause" }, w("cause",
		    inc.cause || "unknown")),
		h("span", { class: "badge" }, w("scope", inc.scope), " ",
		    scopeText(inc)),
		h("span", { class: "badge" },
		    `${t("col.accounts")} ${num(inc.affected_accounts)}`)),
	    dl([["inc.device", inc.device ? inc.device.name : null],
		["inc.region", inc.device ? inc.device.region : null],
		["inc.opened", inc.opened_at ? `${time(inc.opened_at, true)}` +
		    ` (${age(inc.opened_at)})` : null],
		["inc.confirmed", time(inc.confirmed_at, true)],
		["inc.resolved", time(inc.resolved_at, true)],
		["inc.eta", time(inc.eta, true)]]));
}

function showAlarms(inc) {
	const alarms = [...inc.alarms].sort((a, b) =>
	    new Date(a.first_raised_at) - new Date(b.first_raised_at));
	fill($("#alarms"), h("h2", {}, t("inc.alarms"),
	    h("small", {}, " ", t("inc.alarm_count", { n: inc.alarm_count }))),
	    h("ol", { class: "timeline" }, alarms.map((a) => h("li",
		{ class: "al-" + a.state, dataset: { id: a.id } },
		h("time", {}, timeSec(a.first_raised_at)),
		h("span", { class: "kind" }, w("kind", a.kind)),
		h("span", { class: "place" }, [a.frame, a.slot, a.port]
		    .filter((x) => x !== null).join("/") +
		    (a.onu !== null ? `:${a.onu}` : "")),
		a.state === "cleared" ? h("span", { class: "cleared" },
		    "→ ", timeSec(a.cleared_at)) : null,
		a.raise_count > 1 ? h("span", { class: "count" },
		    `×${a.raise_count}`) : null))));
}

async function step(path, body, msg) {
	try {
		await api(path, { method: "POST", body });
		msg.className = "msg ok";
		msg.textContent = t("tk.done");
		refresh();
	} catch (err) {
		msg.className = "msg error";
		msg.textContent = t("error", { detail: err.message });
	}
}

function showTicket(tk) {
	const box = $("#ticket");
	if (!tk) {
		fill(box, h("h2", {}, t("tk.title")), h("p", {}, t("tk.none")));
		return;
	}
	const msg = h("p", { id: "tk-msg", class: "msg" });
	const note = h("input", { id: "tk-note", type: "text",
	    placeholder: t("tk.note") });
	const eta = h("input", { id: "tk-eta", type: "datetime-local" });
	const team = h("input", { id: "tk-team", type: "text",
	    placeholder: t("tk.team"), size: 10 });
	const go = (to) => step(`/tickets/${tk.id}/transition`,
	    { to, note: note.value || undefined }, msg);
	const btn = (to, key) => h("button", { type: "button",
	    id: "tk-" + to, onclick: () => go(to) }, t(key));
	fill(box, h("h2", {}, t("tk.title"), " ", h("span", { class: "num" },
	    `#${tk.id}`)),
	    h("p", { class: "badges" }, h("span", { id: "tk-state",
		class: ["badge", "tk-" + tk.state] }, w("ticket", tk.state)),
		h("span", { class: "badge" },
		    `${t("tk.priority")} ${tk.priority}`),
		tk.assignee ? h("span", { class: "badge" },
		    `${t("tk.assignee")} ${tk.assignee}`) : null,
		tk.team ? h("span", { class: "badge" },
		    `${t("tk.team")} ${tk.team}`) : null,
		tk.eta ? h("span", { class: "badge" },
		    `${t("inc.eta")} ${time(tk.eta, true)}`) : null),
	    tk.overdue && tk.overdue.length ? h("p", { class: "error" },
		t("tk.overdue", { list: tk.overdue.join(", ") })) : null,
	    h("div", { class: "actions" }, note,
		btn("acknowledged", "tk.acknowledge"),
		btn("in_progress", "tk.start"),
		btn("resolved", "tk.resolve"),
		btn("closed", "tk.close")),
	    h("div", { class: "actions" }, team,
		h("button", { type: "button", id: "tk-dispatched",
		    onclick: async () => {
			if (team.value.trim())
				await api(`/tickets/${tk.id}/assign`, {
				    method: "POST", body: { team:
				    team.value.trim() } }).catch(() => {});
			go("dispatched");
		    } }, t("tk.dispatch")),
		eta, h("button", { type: "button", id: "tk-set-eta",
		    onclick: () => step(`/tickets/${tk.id}/eta`, {
			eta: eta.value ? new Date(eta.value).toISOString() :
			    null, note: note.value || undefined }, msg) },
		    t("tk.set_eta"))),
	    msg,
	    h("h3", {}, t("tk.history")),
	    h("ol", { class: "history" }, tk.history.map((e) => h("li", {},
		h("time", {}, timeSec(e.at)),
		h("span", {}, e.from && e.from !== e.to ?
		    `${w("ticket", e.from)} → ` : "", w("ticket", e.to)),
		h("span", { class: "actor" }, `${e.actor} (${e.role})`),
		e.note ? h("q", {}, e.note) : null))));
}

function onuChip(o) {
	return h("span", { class: ["onu", o.affected ? "affected" : null,
	    o.down ? "down" : null], title: [o.serial, o.account]
	    .filter(Boolean).join(" "), dataset: { onu: o.onu } }, o.onu);
}

function showTopology(tp) {
	const tree = h("ul", { class: "tree" }, h("li", {},
	    h("span", { class: "node device" }, tp.device ?
		`${tp.device.name} ${tp.device.region || ""}` : "–"),
	    h("ul", {}, tp.boards.map((b) => h("li", {},
		h("span", { class: "node" }, `${w("scope", "board")} ` +
		    `${b.frame}/${b.slot}`),
		h("ul", {}, b.ports.map((p) => h("li", {},
		    h("span", { class: "node" }, `${p.kind.toUpperCase()} ` +
			`${b.frame}/${b.slot}/${p.port}`),
		    h("ul", {}, p.splitters.map((s) => h("li", {},
			h("span", { class: "node splitter" }, s.name ??
			    t("topo.no_splitter")),
			h("div", { class: "onus" },
			    s.onus.map(onuChip)))))))))))));
	fill($("#topology"), h("h2", {}, t("inc.topology"),
	    tp.truncated ? h("small", {}, " ", t("inc.truncated")) : null),
	    h("p", { class: "legend" }, h("span", { class: "onu affected" },
		t("topo.affected")), " ", h("span", { class: "onu affected down" },
		t("topo.down"))), tree);
}

async function loadAccounts() {
	const r = await api(`/incidents/${id}/accounts`,
	    { query: { limit: PAGE, offset: accOffset } });
	const nav = h("div", { class: "pager" },
	    h("button", { type: "button", id: "acc-prev", disabled:
		accOffset === 0, onclick: () => {
		    accOffset = Math.max(0, accOffset - PAGE);
		    loadAccounts();
		} }, t("page.prev")),
	    h("span", {}, t("page.of", { from: r.total ? accOffset + 1 : 0,
		to: accOffset + r.items.length, total: num(r.total) })),
	    h("button", { type: "button", id: "acc-next", disabled:
		accOffset + PAGE >= r.total, onclick: () => {
		    accOffset += PAGE;
		    loadAccounts();
		} }, t("page.next")));
	fill($("#accounts"), h("h2", {}, t("inc.accounts")),
	    h("table", { class: "grid small", id: "acc-table" },
		h("thead", {}, h("tr", {}, ["acc.account", "acc.name",
		    "acc.phones", "acc.address", "acc.place"].map((k) =>
		    h("th", {}, t(k))))),
		h("tbody", {}, r.items.map((a) => h("tr", {},
		    h("td", {}, a.account), h("td", {}, a.name),
		    h("td", {}, (a.phones || []).join(", ")),
		    h("td", { class: "address" }, a.address),
		    h("td", {}, a.place ? `${a.place.device} ${a.place.frame}/` +
			`${a.place.slot}/${a.place.port}` +
			(a.place.onu !== null ? `:${a.place.onu}` : "") +
			(a.place.splitter ? ` ${a.place.splitter}` : "") :
			"–"))))), nav);
}

function showMessages(m) {
	const pend = Object.entries(m.pending || {});
	fill($("#messages"), h("h2", {}, t("inc.messages")),
	    m.items.length ? h("ul", { class: "messages" }, m.items.map((x) =>
		h("li", {}, h("div", { class: "meta" },
		    h("span", { class: "badge" }, w("notice", x.kind)),
		    h("span", { class: "badge" }, x.language),
		    h("span", {}, t("msg.count", { n: num(x.count) })),
		    Object.entries(x.states).map(([s, n]) =>
			h("span", { class: ["badge", "n-" + s] },
			    `${w("notice", s)} ${num(n)}`)),
		    x.first_sent_at ? h("time", {},
			time(x.first_sent_at, true)) : null),
		    h("blockquote", { class: "sms" }, x.body)))) :
		h("p", {}, t("none")),
	    pend.length ? h("p", { class: "hint" }, t("inc.pending",
		{ list: pend.map(([s, n]) => `${w("notice", s)} ${n}`)
		    .join(", ") })) : null);
}

async function load() {
	let inc;
	try {
		inc = await api(`/incidents/${id}`);
	} catch (err) {
		fill($("#head"), h("p", { class: "error" }, err.status === 404 ?
		    t("inc.notfound", { id }) : t("error", { detail:
		    err.message })));
		return;
	}
	showHead(inc);
	showAlarms(inc);
	const tk = inc.ticket ? await api(`/tickets/${inc.ticket.id}`) : null;
	showTicket(tk);
	const [tp, m] = await Promise.all([
	    api(`/incidents/${id}/topology`).catch(() => null),
	    api(`/incidents/${id}/messages`).catch(() => null)]);
	if (tp)
		showTopology(tp);
	if (m)
		showMessages(m);
	await loadAccounts();
}

const refresh = coalesce(() => load().catch(() => {}), 100);

function page() {
	fill($("#main"), h("p", {}, h("a", { href: "index.html" },
	    "← ", t("inc.back"))),
	    h("div", { class: "incident" },
		h("div", { class: "col" },
		    h("section", { class: "card", id: "head" }, t("loading")),
		    h("section", { class: "card", id: "ticket" }),
		    h("section", { class: "card", id: "messages" }),
		    h("section", { class: "card", id: "alarms" })),
		h("div", { class: "col" },
		    h("section", { class: "card", id: "topology" }),
		    h("section", { class: "card", id: "accounts" }))));
	document.title = `#${id} · ${document.title}`;
	refresh();
	openStream({
		hello: refresh,
		incident: (ev) => {
			if (ev && ev.id === id)
				refresh();
		},
		change: (c) => {
			if (c && (c.incidents || c.tickets || c.notifications ||
			    c.alarms))
				refresh();
		},
	}, setLive);
}

start("incident.title", ["noc", "admin", "cs"], page);

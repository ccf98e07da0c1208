// cs.js: the customer-service page (cs.html). One box takes a phone
// number, an account or an ONU serial; the answer says at once whether
// the caller is in an outage, since when, why in plain words, until when,
// the ticket, and every text already sent with its delivery state, and
// offers the sentence to say. A complaint is registered from the same
// page and shows whether it was linked to the outage and pre-notified.
import { api, ApiError } from "./api.js";
import { $, coalesce, fill, h } from "./dom.js";
import { t, time, vocabulary, w } from "./i18n.js";
import { setLive, start } from "./session.js";
import { openStream } from "./stream.js";

let last = null;	// the last query, asked again on a change

// Digits, blanks, dashes and a leading + are a phone number; anything
// else is an account, or else an ONU serial.
async function lookup(q) {
	if (/^\+?[\d\s-]{5,}$/.test(q))
		return api("/lookup", { query: { phone: q } });
	try {
		return await api("/lookup", { query: { account: q } });
	} catch (err) {
		if (!(err instanceof ApiError) || err.status !== 404)
			throw err;
	}
	return api("/lookup", { query: { onu_serial: q } });
}

function placeText(p) {
	if (!p)
		return "–";
	return [p.device, [p.frame, p.slot, p.port].filter((x) => x !== null &&
	    x !== undefined).join("/") + (p.onu !== null && p.onu !==
	    undefined ? `:${p.onu}` : ""), p.splitter, p.serial]
	    .filter(Boolean).join(" ");
}

function sentAt(n) {
	return n.sent_at || n.delivered_at || n.created_at || n.at;
}

function outage(acc) {
	const inc = acc.incidents.find((i) => !i.individual) ||
	    acc.incidents[0];
	const eta = (inc.ticket && inc.ticket.eta) || inc.eta;
	const etaText = eta ? time(eta, true) : t("cs.eta_none");
	const etaSay = eta ? t("cs.say_eta", { eta: etaText }) :
	    t("cs.say_noeta");
	const told = acc.notifications.filter((n) => n.incident_id ===
	    inc.id && n.kind === "outage" && sentAt(n));
	const say = told.length ? t("cs.say_text", { sent: time(sentAt(told[0])),
	    cause: w("cause", inc.cause || "unknown"), eta: etaSay }) :
	    t("cs.say_nosms", { cause: w("cause", inc.cause || "unknown"),
		eta: etaSay });
	return h("div", { class: "outage-box", id: "outage" },
	    h("p", { class: "verdict bad", id: "verdict" }, t("cs.outage"),
		inc.planned ? h("span", { class: "badge st-planned" },
		    t("planned")) : null),
	    h("dl", { class: "facts big" },
		h("dt", {}, t("cs.since_label")), h("dd", { id: "since" },
		    time(inc.since || inc.opened_at, true)),
		h("dt", {}, t("cs.cause")), h("dd", { id: "cause" },
		    w("cause", inc.cause || "unknown")),
		h("dt", {}, t("cs.eta")), h("dd", { id: "eta" }, etaText),
		h("dt", {}, t("cs.ticket")), h("dd", { id: "cs-ticket" },
		    inc.ticket ? `#${inc.ticket.id} ` +
		    w("ticket", inc.ticket.state) : "–")),
	    h("p", { class: "incident-title" }, h("a",
		{ href: `incident.html?id=${inc.id}` }, `#${inc.id}`), " ",
		inc.title),
	    h("div", { class: "say" }, h("strong", {}, t("cs.say")), " ",
		h("span", { id: "say" }, say)));
}

// The lookup answers from heraldd's memory without the texts; the texts
// an incident sent are read from its messages, by kind and language.
async function withBodies(acc) {
	const ids = [...new Set(acc.notifications.filter((n) => !n.body &&
	    n.incident_id).map((n) => n.incident_id))];
	const texts = {};
	await Promise.all(ids.map(async (id) => {
		try {
			texts[id] = (await api(`/incidents/${id}/messages`))
			    .items;
		} catch (e) {
			texts[id] = [];
		}
	}));
	for (const n of acc.notifications) {
		if (n.body || !texts[n.incident_id])
			continue;
		const m = texts[n.incident_id].find((x) => x.kind === n.kind &&
		    x.language === (n.language || acc.language));
		if (m)
			n.body = m.body;
	}
	return acc;
}

function messages(acc) {
	const list = [...acc.notifications].sort((a, b) =>
	    new Date(sentAt(b) || 0) - new Date(sentAt(a) || 0));
	return h("section", { class: "card", id: "cs-messages" },
	    h("h2", {}, t("cs.messages")),
	    list.length ? h("ul", { class: "messages" }, list.map((n) =>
		h("li", { dataset: { state: n.state, kind: n.kind } },
		    h("div", { class: "meta" },
			h("time", {}, time(sentAt(n), true)),
			h("span", { class: "badge" }, w("notice", n.kind)),
			h("span", { class: ["badge", "n-" + n.state] },
			    w("notice", n.state)),
			n.phone ? h("span", {}, n.phone) : null,
			n.delivered_at ? h("span", {}, "✓ ",
			    time(n.delivered_at)) : null),
		    n.body ? h("blockquote", { class: "sms" }, n.body) :
			null))) :
		h("p", {}, t("cs.no_messages")));
}

function complaintForm(acc) {
	const sel = (id, vocab, def) => h("select", { id }, vocabulary(vocab)
	    .map((v) => h("option", { value: v, selected: v === def },
		w(vocab, v))));
	const res = h("div", { id: "cp-result" });
	const form = h("form", { id: "complaint", class: "complaint",
	    onsubmit: async (e) => {
		e.preventDefault();
		const v = (id) => form.querySelector("#" + id).value.trim();
		const body = { account: acc.account, channel: v("cp-channel"),
		    category: v("cp-category"),
		    sub_category: v("cp-sub"), content: v("cp-content"),
		    caller_name: v("cp-caller") || undefined };
		try {
			const tk = await api("/complaints",
			    { method: "POST", body });
			const c = tk.complaint || {};
			fill(res, h("p", { class: "msg ok", id: "cp-ticket" },
			    t("cs.registered", { id: tk.id })),
			    h("p", { class: "badges" },
				h("span", { id: "cp-linked", class: ["badge",
				    c.incident_id ? "st-confirmed" : null] },
				    c.incident_id ? `${t("cs.linked")} ` +
				    `#${c.incident_id}` : t("cs.not_linked")),
				h("span", { id: "cp-pre", class: "badge" },
				    c.pre_notified ? t("cs.pre_notified") :
				    t("cs.not_pre_notified")),
				h("span", { id: "cp-priority", class: "badge" },
				    t("cs.priority", { p: tk.priority })),
				c.repeat ? h("span", { class: "badge" },
				    t("cs.repeat")) : null));
			form.querySelector("#cp-content").value = "";
		} catch (err) {
			fill(res, h("p", { class: "msg error" },
			    t("error", { detail: err.message })));
		}
	} },
	    h("h2", {}, t("cs.complaint")),
	    h("div", { class: "row" },
		h("label", {}, t("cs.channel"), sel("cp-channel", "channel",
		    "hotline")),
		h("label", {}, t("cs.category"), sel("cp-category",
		    "category", "network")),
		h("label", {}, t("cs.sub_category"), sel("cp-sub",
		    "sub_category", "no_pages")),
		h("label", {}, t("cs.caller"), h("input", { id: "cp-caller",
		    type: "text", size: 10 }))),
	    h("label", { class: "wide" }, t("cs.content"), h("textarea",
		{ id: "cp-content", rows: 3, required: true, maxlength: 4000 })),
	    h("button", { type: "submit", id: "cp-submit" }, t("cs.submit")),
	    res);
	return h("section", { class: "card" }, form);
}

function account(acc) {
	return h("section", { class: "card account", dataset:
	    { account: acc.account } },
	    h("h2", {}, acc.account, acc.name ? ` ${acc.name}` : ""),
	    h("dl", { class: "facts" },
		h("dt", {}, t("acc.phones")), h("dd", {},
		    (acc.phones || []).join(", ")),
		h("dt", {}, t("cs.place")), h("dd", { class: "place" },
		    placeText(acc.place)),
		acc.address ? [h("dt", {}, t("acc.address")),
		    h("dd", {}, acc.address)] : null,
		h("dt", {}, t("cs.language")), h("dd", {}, acc.language),
		acc.sms_opt_out ? [h("dt", {}, t("cs.opt_out")),
		    h("dd", {}, t("yes"))] : null),
	    acc.in_outage && acc.incidents.length ? outage(acc) :
		h("p", { class: "verdict good", id: "verdict" },
		    t("cs.no_outage")));
}

async function search(q, keepForm) {
	const out = $("#result");
	let r;
	try {
		r = await lookup(q);
	} catch (err) {
		fill(out, h("p", { class: "error", id: "cs-error" },
		    err.status === 404 ? t("cs.notfound") :
		    t("error", { detail: err.message })));
		last = null;
		return;
	}
	last = q;
	await Promise.all(r.accounts.map(withBodies));
	if (keepForm && $("#complaint")) {
		// A refresh keeps what the agent is typing: only the
		// account and the messages are drawn again.
		const accs = out.querySelectorAll(".acc-view");
		r.accounts.forEach((acc, i) => {
			if (accs[i])
				fill(accs[i], account(acc), messages(acc));
		});
		return;
	}
	fill(out, r.accounts.map((acc) => h("div", { class: "cs-account" },
	    h("div", { class: "acc-view" }, account(acc), messages(acc)),
	    complaintForm(acc))));
}

function page() {
	const box = h("input", { id: "q", type: "search", autocomplete: "off",
	    placeholder: t("cs.search"), required: true });
	fill($("#main"), h("form", { id: "search", class: "search",
	    onsubmit: (e) => {
		e.preventDefault();
		search(box.value.trim(), false);
	} }, box, h("button", { type: "submit", id: "go" }, t("cs.go")),
	    h("p", { class: "hint" }, t("cs.hint"))),
	    h("div", { id: "result" }));
	box.focus();
	const again = coalesce(() => last ? search(last, true) : null, 200);
	openStream({
		incident: again,
		change: (c) => {
			if (c && (c.incidents || c.tickets || c.notifications))
				again();
		},
	}, setLive);
}

start("cs.title", ["cs", "noc", "admin"], page);

// session.js: what every page shares: the header (title, pages, live
// state, who is signed in, language, sign-out) and the sign-in. A token
// is typed once, checked with /api/v1/whoami and kept in sessionStorage;
// a token whose role may not use the page is refused on the page and not
// kept. The page itself starts only once a fitting token is known.
import { api, ApiError, setToken, token, whenUnauthorized } from "./api.js";
import { $, fill, h } from "./dom.js";
import { lang, setLang, t } from "./i18n.js";

const pages = [
	["index.html", "board.title", ["noc", "admin"]],
	["cs.html", "cs.title", ["cs", "noc", "admin"]],
];

function header(titleKey, me) {
	const here = location.pathname.split("/").pop() || "index.html";
	const nav = h("nav", {},
	    pages.filter(([, , roles]) => !me || roles.includes(me.role))
		.map(([href, key]) => h("a", { href,
		    class: href === here ? "here" : null }, t(key))));
	const right = h("div", { class: "who" },
	    h("span", { id: "live", class: "live off" }, ""),
	    me ? h("span", { id: "whoami" }, me.name,
		h("span", { class: "role" }, me.role)) : null,
	    h("button", { id: "lang", type: "button", class: "ghost",
		onclick: () => {
			setLang(lang() === "zh" ? "en" : "zh");
			location.reload();
		} }, t("lang")),
	    me ? h("button", { id: "logout", type: "button", class: "ghost",
		onclick: () => {
			setToken(null);
			location.reload();
		} }, t("logout")) : null);
	fill($("#top"), h("div", { class: "brand" }, t("app")),
	    h("h1", {}, t(titleKey)), nav, right);
	document.title = `${t(titleKey)} · Herald`;
}

export function setLive(on) {
	const el = $("#live");
	if (!el)
		return;
	el.className = on ? "live on" : "live off";
	el.textContent = on ? t("live") : t("reconnecting");
}

function refusal(me, roles) {
	return h("p", { id: "refused", class: "error", role: "alert" },
	    t("login.refused", { role: me.role, need: roles.join(", ") }));
}

function loginForm(titleKey, roles, proceed) {
	const input = h("input", { id: "token", type: "password",
	    autocomplete: "off", spellcheck: "false", required: true });
	const msg = h("p", { id: "login-msg", class: "error", role: "alert" });
	const form = h("form", { id: "login", class: "card login",
	    onsubmit: async (e) => {
		e.preventDefault();
		const tok = input.value.trim();
		msg.textContent = "";
		let me;
		try {
			me = await api("/whoami", { token: tok });
		} catch (err) {
			msg.textContent = err instanceof ApiError &&
			    err.status === 401 ? t("login.bad") :
			    t("login.error", { detail: err.message });
			return;
		}
		if (!roles.includes(me.role)) {
			msg.textContent = t("login.refused",
			    { role: me.role, need: roles.join(", ") });
			msg.classList.add("refused");
			return;
		}
		setToken(tok);
		input.value = "";
		proceed(me);
	} },
	    h("h2", {}, t("login.title")),
	    h("label", { for: "token" }, t("login.token")), input,
	    h("button", { type: "submit" }, t("login.submit")),
	    h("p", { class: "hint" }, t("login.hint")), msg);
	fill($("#main"), form);
	input.focus();
}

// start("board.title", ["noc", "admin"], (me) => { ...the page... })
export async function start(titleKey, roles, page) {
	const proceed = (me) => {
		header(titleKey, me);
		fill($("#main"));
		page(me);
	};
	whenUnauthorized(() => {
		setToken(null);
		header(titleKey, null);
		loginForm(titleKey, roles, proceed);
	});
	header(titleKey, null);
	if (!token()) {
		loginForm(titleKey, roles, proceed);
		return;
	}
	let me;
	try {
		me = await api("/whoami");
	} catch (err) {
		if (!(err instanceof ApiError && err.status === 401)) {
			fill($("#main"), h("p", { class: "error" },
			    t("login.error", { detail: err.message })));
			return;
		}
		setToken(null);
		loginForm(titleKey, roles, proceed);
		return;
	}
	if (!roles.includes(me.role)) {
		header(titleKey, me);
		fill($("#main"), refusal(me, roles));
		return;
	}
	proceed(me);
}

// api.js: every data call of the pages, through heraldd's API with the
// token in the Authorization header. The token lives in sessionStorage
// only: never in a URL, a cookie or localStorage, gone with the tab.

const KEY = "herald.token";

export class ApiError extends Error {
	constructor(status, body) {
		super(body && body.detail ? body.detail :
		    body && body.error ? body.error : `HTTP ${status}`);
		this.status = status;
		this.body = body;
	}
}

export function token() {
	return sessionStorage.getItem(KEY);
}

export function setToken(tok) {
	if (tok)
		sessionStorage.setItem(KEY, tok);
	else
		sessionStorage.removeItem(KEY);
}

// Called on a 401 (the token was revoked while the page was open).
let onUnauthorized = () => {};
export function whenUnauthorized(f) {
	onUnauthorized = f;
}

// api("/incidents", {query: {state: "open"}}) or
// api("/tickets/3/transition", {method: "POST", body: {to: "resolved"}})
export async function api(path, opts = {}) {
	const url = new URL("/api/v1" + path, location.origin);
	for (const [k, v] of Object.entries(opts.query || {}))
		if (v !== null && v !== undefined && v !== "")
			url.searchParams.set(k, v);
	const init = {
		method: opts.method || "GET",
		headers: { "Authorization": "Bearer " + (opts.token || token()) },
		cache: "no-store",
	};
	if (opts.body !== undefined) {
		init.headers["Content-Type"] = "application/json";
		init.body = JSON.stringify(opts.body);
	}
	const r = await fetch(url, init);
	let body = null;
	try {
		body = await r.json();
	} catch (e) {
		body = null;
	}
	if (!r.ok) {
		if (r.status === 401 && !opts.token)
			onUnauthorized();
		throw new ApiError(r.status, body);
	}
	return body;
}

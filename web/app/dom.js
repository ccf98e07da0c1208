// dom.js: building the page without HTML strings. Every value from the
// database goes in as a text node, so an address "<script>..." is shown
// as text and never parsed; the Content-Security-Policy forbids inline
// script and style attributes anyway, so nothing here sets either.

// h("td", {class: "num", dataset: {id: 3}, onclick: f}, "text", node, ...)
export function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === null || v === undefined || v === false)
			continue;
		if (k === "class")
			el.className = Array.isArray(v) ? v.filter(Boolean).join(" ") : v;
		else if (k === "dataset")
			Object.assign(el.dataset, v);
		else if (k.startsWith("on"))
			el.addEventListener(k.slice(2), v);
		else if (k === "text")
			el.textContent = v;
		else
			el.setAttribute(k, v === true ? "" : String(v));
	}
	append(el, children);
	return el;
}

function append(el, children) {
	for (const c of children) {
		if (c === null || c === undefined || c === false)
			continue;
		if (Array.isArray(c))
			append(el, c);
		else if (c instanceof Node)
			el.appendChild(c);
		else
			el.appendChild(document.createTextNode(String(c)));
	}
}

// Replace an element's children.
export function fill(el, ...children) {
	el.replaceChildren();
	append(el, children);
	return el;
}

export function $(sel, root) {
	return (root || document).querySelector(sel);
}

// Runs f at most once per "wait" ms, the last call winning; a call while
// f runs is kept for after it, so a burst of events costs one or two
// fetches and the last state always shows.
export function coalesce(f, wait) {
	let timer = null, running = false, again = false;
	async function run() {
		timer = null;
		if (running) {
			again = true;
			return;
		}
		running = true;
		try {
			await f();
		} finally {
			running = false;
			if (again) {
				again = false;
				run();
			}
		}
	}
	return () => {
		if (timer === null)
			timer = setTimeout(run, wait);
	};
}

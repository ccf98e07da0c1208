// stream.js: heraldd's Server-Sent Events (GET /api/v1/stream). The
// browser's EventSource cannot send an Authorization header, so the
// stream is read with fetch() and parsed here: "event:" and "data:" lines,
// a blank line ends an event, ":" lines are comments (the 15 s ping).
// When the stream ends or fails it is opened again, waiting 0.5 s, 1 s,
// 2 s ... up to 15 s; a stream that delivered something resets the wait.
import { token } from "./api.js";

export function openStream(handlers, onState) {
	let wait = 500, stopped = false, ctl = null;

	function dispatch(ev, data) {
		const f = handlers[ev];
		if (!f)
			return;
		let obj = null;
		try {
			obj = data === "" ? null : JSON.parse(data);
		} catch (e) {
			return;
		}
		f(obj);
	}

	async function once() {
		ctl = new AbortController();
		const r = await fetch("/api/v1/stream", {
			headers: { "Authorization": "Bearer " + token(),
			    "Accept": "text/event-stream" },
			cache: "no-store", signal: ctl.signal,
		});
		if (!r.ok || !r.body)
			throw new Error("stream: HTTP " + r.status);
		onState(true);
		const reader = r.body.pipeThrough(new TextDecoderStream())
		    .getReader();
		let buf = "", ev = "message", data = [];
		for (;;) {
			const { value, done } = await reader.read();
			if (done)
				break;
			wait = 500;
			buf += value;
			let nl;
			while ((nl = buf.indexOf("\n")) >= 0) {
				const line = buf.slice(0, nl).replace(/\r$/, "");
				buf = buf.slice(nl + 1);
				if (line === "") {
					if (data.length)
						dispatch(ev, data.join("\n"));
					ev = "message";
					data = [];
				} else if (line.startsWith(":")) {
					continue;
				} else {
					const c = line.indexOf(":");
					const field = c < 0 ? line : line.slice(0, c);
					let val = c < 0 ? "" : line.slice(c + 1);
					if (val.startsWith(" "))
						val = val.slice(1);
					if (field === "event")
						ev = val;
					else if (field === "data")
						data.push(val);
				}
			}
		}
	}

	async function loop() {
		while (!stopped) {
			try {
				await once();
			} catch (e) {
				/* reconnect below */
			}
			if (stopped)
				break;
			onState(false);
			// A reconnect may have missed changes: the page refetches.
			if (handlers.reconnect)
				handlers.reconnect();
			await new Promise((r) => setTimeout(r, wait));
			wait = Math.min(wait * 2, 15000);
		}
	}
	loop();
	return () => {
		stopped = true;
		if (ctl)
			ctl.abort();
	};
}

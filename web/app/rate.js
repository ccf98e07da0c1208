// rate.js: the alarm rate chart (alarms per minute by kind, last hour).
// Drawn with Debian's Chart.js (libjs-chart.js), which heraldd serves at
// /javascript/chart.js/; when that is not installed, a plain SVG bar chart
// drawn here takes its place.
import { h, fill } from "./dom.js";
import { w } from "./i18n.js";

const colours = {
	"onu.los": "#e8590c", "onu.dying_gasp": "#f59f00",
	"onu.offline": "#ffd43b", "pon.los": "#e03131",
	"device.unreachable": "#862e9c", "device.power": "#c2255c",
	"board.fault": "#5f3dc4", "port.down": "#1971c2",
	"dsl.line_down": "#0c8599",
};
const colour = (k) => colours[k] || "#868e96";
const label = (iso) => {
	const d = new Date(iso);
	return `${String(d.getHours()).padStart(2, "0")}:` +
	    `${String(d.getMinutes()).padStart(2, "0")}`;
};

let ChartLib = null, tried = false;

async function chartLib() {
	if (!tried) {
		tried = true;
		try {
			const m = await import("/javascript/chart.js/chart.esm.js");
			m.Chart.register(...m.registerables);
			ChartLib = m.Chart;
		} catch (e) {
			ChartLib = null;
		}
	}
	return ChartLib;
}

export class RateChart {
	constructor(box) {
		this.box = box;
		this.chart = null;
	}

	async show(rate) {
		const Chart = await chartLib();
		const kinds = Object.keys(rate.kinds).sort();
		const labels = rate.minutes.map(label);
		const datasets = kinds.map((k) => ({
			label: w("kind", k), data: rate.kinds[k],
			backgroundColor: colour(k), borderWidth: 0,
			stack: "a",
		}));
		if (!Chart) {
			this.svg(labels, kinds, rate);
			return;
		}
		if (this.chart) {
			this.chart.data.labels = labels;
			this.chart.data.datasets = datasets;
			this.chart.update("none");
			return;
		}
		const canvas = h("canvas", { id: "rate-canvas" });
		fill(this.box, canvas);
		this.chart = new Chart(canvas, {
			type: "bar",
			data: { labels, datasets },
			options: {
				animation: false, responsive: true,
				maintainAspectRatio: false,
				scales: {
					x: { stacked: true, ticks: { color: "#adb5bd",
					    maxTicksLimit: 12, maxRotation: 0 },
					    grid: { display: false } },
					y: { stacked: true, beginAtZero: true,
					    ticks: { color: "#adb5bd", precision: 0 },
					    grid: { color: "#343a40" } },
				},
				plugins: { legend: { position: "bottom",
				    labels: { color: "#dee2e6", boxWidth: 12 } } },
			},
		});
	}

	// The fallback: stacked bars in SVG, built node by node.
	svg(labels, kinds, rate) {
		const NS = "http://www.w3.org/2000/svg";
		const W = 600, H = 200, n = labels.length;
		const tot = labels.map((_, i) =>
		    kinds.reduce((s, k) => s + rate.kinds[k][i], 0));
		const max = Math.max(1, ...tot);
		const svg = document.createElementNS(NS, "svg");
		svg.setAttribute("viewBox", `0 0 ${W} ${H + 20}`);
		svg.setAttribute("class", "rate-svg");
		const bw = W / n;
		labels.forEach((lab, i) => {
			let y = H;
			for (const k of kinds) {
				const v = rate.kinds[k][i];
				if (!v)
					continue;
				const bh = v / max * (H - 10);
				y -= bh;
				const r = document.createElementNS(NS, "rect");
				r.setAttribute("x", i * bw + 1);
				r.setAttribute("y", y);
				r.setAttribute("width", Math.max(1, bw - 2));
				r.setAttribute("height", bh);
				r.setAttribute("fill", colour(k));
				const tt = document.createElementNS(NS, "title");
				tt.textContent = `${lab} ${w("kind", k)}: ${v}`;
				r.appendChild(tt);
				svg.appendChild(r);
			}
			if (i % 10 === 0) {
				const tx = document.createElementNS(NS, "text");
				tx.setAttribute("x", i * bw);
				tx.setAttribute("y", H + 15);
				tx.setAttribute("class", "axis");
				tx.textContent = lab;
				svg.appendChild(tx);
			}
		});
		const legend = h("div", { class: "legend" }, kinds.map((k) =>
		    h("span", { class: "key", dataset: { kind: k } },
			h("i", { class: "swatch k-" + k.replace(".", "-") }),
			w("kind", k))));
		fill(this.box, svg, legend);
	}
}

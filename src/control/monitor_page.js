/* The status page of vpntund's monitor: polls /status.json (and
 * /bridge.json when the site has a tap), keeps the last SAMPLES values of
 * each series in memory and draws them as SVG. Everything it shows is
 * written as text nodes, never parsed as markup. */
"use strict";

(function () {
	const SAMPLES = 120;
	const GRAPHED_PEERS = 12;       /* the busiest, on a large site */
	const SVG = "http://www.w3.org/2000/svg";
	const params = new URLSearchParams(window.location.search);
	const interval = Math.max(200, Number(params.get("interval")) || 1000);
	const series = new Map();       /* key -> array of the last samples */
	let last = null;                /* {peers, t}: the previous fetch */

	function $(id) { return document.getElementById(id); }

	function el(tag, cls, text) {
		const e = document.createElement(tag);

		if (cls)
			e.className = cls;
		if (text !== undefined)
			e.textContent = String(text);
		return e;
	}

	function numCell(value, text) {
		const td = el("td", "num", text !== undefined ? text :
		    value.toLocaleString("en-US"));

		td.dataset.value = String(value);
		return td;
	}

	function push(key, v) {
		let a = series.get(key);

		if (!a) {
			a = [];
			series.set(key, a);
		}
		a.push(v);
		if (a.length > SAMPLES)
			a.shift();
		return a;
	}

	function fmtBytes(n) {
		const u = ["B", "KiB", "MiB", "GiB", "TiB"];
		let i = 0;

		while (n >= 1024 && i < u.length - 1) {
			n /= 1024;
			i++;
		}
		return (i === 0 ? n.toFixed(0) : n.toFixed(1)) + " " + u[i];
	}

	function fmtBits(n) {
		const u = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s"];
		let i = 0;

		while (n >= 1000 && i < u.length - 1) {
			n /= 1000;
			i++;
		}
		return (i === 0 ? n.toFixed(0) : n.toFixed(1)) + " " + u[i];
	}

	function fmtMs(n) { return n.toFixed(0) + " ms"; }

	function fmtAge(s) {
		if (s < 120)
			return s + " s";
		if (s < 7200)
			return Math.floor(s / 60) + " min";
		if (s < 172800)
			return Math.floor(s / 3600) + " h";
		return Math.floor(s / 86400) + " d";
	}

	function svg(tag, attrs) {
		const e = document.createElementNS(SVG, tag);

		for (const k in attrs)
			e.setAttribute(k, attrs[k]);
		return e;
	}

	/* lines: [{label, color, data}], drawn right-aligned on one scale. */
	function graph(title, lines, fmt, w, h) {
		const top = 14, g = svg("svg", { width: w, height: h,
		    viewBox: "0 0 " + w + " " + h, class: "graph", role: "img",
		    "aria-label": title });
		let max = 0;

		for (const l of lines)
			for (const v of l.data)
				max = Math.max(max, v);
		for (const f of [0, 0.5, 1]) {
			const y = top + (h - top - 2) * f;

			g.appendChild(svg("line", { x1: 0, x2: w, y1: y, y2: y,
			    class: "grid" }));
		}
		const scale = max > 0 ? max : 1;
		for (const l of lines) {
			const n = l.data.length;
			const pts = l.data.map((v, i) => {
				const x = w - 1 - (n - 1 - i) * (w - 2) /
				    (SAMPLES - 1);
				const y = h - 2 - (h - top - 4) * v / scale;

				return x.toFixed(1) + "," + y.toFixed(1);
			});
			g.appendChild(svg("polyline", { points: pts.join(" "),
			    fill: "none", stroke: l.color, "stroke-width": 1.5 }));
		}
		const t = svg("text", { x: 4, y: 11 });
		t.textContent = title + " (max " + fmt(max) + ")  " +
		    lines.map((l) => l.label).filter((s) => s).join(" / ");
		g.appendChild(t);
		return g;
	}

	function peerDrops(p) {
		let n = 0;

		for (const k in p.drops)
			n += p.drops[k];
		for (const sa of p.sas)
			if (sa.drops)
				for (const k in sa.drops)
					n += sa.drops[k];
		return n;
	}

	function rate(p, field, dt) {
		const q = last ? last.peers.get(p.name) : undefined;

		if (!q || dt <= 0 || p[field] < q[field])
			return 0;
		return (p[field] - q[field]) * 8 / dt;
	}

	function renderPeers(s, dt) {
		const body = $("peers").tBodies[0], graphs = $("peer-graphs");
		const rows = [], busy = [];

		for (const p of s.peers) {
			const tr = el("tr");
			const st = p.liveness.state;
			const rin = rate(p, "bytes_in", dt);
			const rout = rate(p, "bytes_out", dt);
			const drops = peerDrops(p);

			tr.dataset.peer = p.name;
			tr.appendChild(el("td", "name", p.name));
			const sc = el("td");
			sc.appendChild(el("span", "state state-" + st, st));
			sc.dataset.state = st;
			tr.appendChild(sc);
			tr.appendChild(el("td", "mono", p.endpoint === null ?
			    (p.dynamic ? "dynamic, unknown" : "-") : p.endpoint));
			tr.appendChild(el("td", "", p.transport));
			tr.appendChild(el("td", "suite", p.suite.replace("/",
			    "/\u200b")));
			tr.appendChild(el("td", "mono spi-in", p.spi_in));
			tr.appendChild(el("td", "mono spi-out", p.spi_out));
			for (const f of ["packets_in", "packets_out"]) {
				const td = numCell(p[f]);

				td.classList.add(f.replace("_", "-"));
				tr.appendChild(td);
			}
			for (const f of ["bytes_in", "bytes_out"]) {
				const td = numCell(p[f], fmtBytes(p[f]));

				td.classList.add(f.replace("_", "-"));
				td.title = p[f].toLocaleString("en-US") + " bytes";
				tr.appendChild(td);
			}
			tr.appendChild(numCell(Math.round(rin), fmtBits(rin)));
			tr.appendChild(numCell(Math.round(rout), fmtBits(rout)));
			const dc = numCell(drops);
			dc.classList.add("drops");
			if (drops > 0)
				dc.classList.add("drops-nonzero");
			tr.appendChild(dc);
			rows.push(tr);
			busy.push({ name: p.name, rin: rin, rout: rout });
		}
		body.replaceChildren(...rows);
		/* A graph per peer while there are few; else the busiest. */
		if (busy.length > GRAPHED_PEERS)
			busy.sort((a, b) => (b.rin + b.rout) - (a.rin + a.rout));
		graphs.replaceChildren(...busy.slice(0, GRAPHED_PEERS).map((b) =>
		    graph(b.name + " traffic", [
		    { label: "in", color: "#1f6feb",
		      data: push("in:" + b.name, b.rin) },
		    { label: "out", color: "#d9480f",
		      data: push("out:" + b.name, b.rout) }],
		    fmtBits, 480, 120)));
	}

	function renderQos(s) {
		const sec = $("qos-section");

		if (!s.qos) {
			sec.hidden = true;
			return;
		}
		sec.hidden = false;
		$("qos-bw").textContent = "bandwidth " + fmtBits(s.qos.bandwidth);
		const rows = s.qos.classes.map((c) => {
			const tr = el("tr");
			const cell = el("td", "graphs-cell");

			tr.dataset.class = c.name;
			tr.appendChild(el("td", "name", c.name));
			tr.appendChild(numCell(c.rate, fmtBits(c.rate)));
			tr.appendChild(numCell(c.qlen));
			tr.appendChild(numCell(c.qdelay_ms, fmtMs(c.qdelay_ms)));
			tr.appendChild(numCell(c.packets));
			tr.appendChild(numCell(c.drops));
			tr.appendChild(numCell(c.marks));
			cell.appendChild(graph("rate", [{ color: "#2b8a3e",
			    data: push("rate:" + c.name, c.rate) }], fmtBits,
			    240, 60));
			cell.appendChild(graph("delay", [{ color: "#9c36b5",
			    data: push("delay:" + c.name, c.qdelay_ms) }], fmtMs,
			    180, 60));
			tr.appendChild(cell);
			return tr;
		});
		$("classes").tBodies[0].replaceChildren(...rows);
	}

	function renderSiteDrops(s) {
		const parts = [];

		for (const k in s.drops)
			parts.push(k.replace(/_/g, " ") + " " +
			    s.drops[k].toLocaleString("en-US"));
		$("site-drops").textContent = parts.join(" \u00b7 ");
	}

	async function renderBridge(s) {
		const sec = $("bridge-section");

		if (!s.bridge) {
			sec.hidden = true;
			return;
		}
		sec.hidden = false;
		$("bridge-summary").textContent = "tap " + s.bridge.tap +
		    ", mode " + s.bridge.mode + ", " + s.bridge.macs +
		    " MAC address" + (s.bridge.macs === 1 ? "" : "es");
		const r = await fetch("/bridge.json", { cache: "no-store" });
		if (!r.ok)
			return;
		const t = await r.json();
		const rows = t.macs.map((m) => {
			const tr = el("tr");

			tr.appendChild(el("td", "mono", m.mac));
			tr.appendChild(el("td", "", m.port));
			tr.appendChild(numCell(m.age, fmtAge(m.age)));
			return tr;
		});
		$("macs").tBodies[0].replaceChildren(...rows);
	}

	function render(s, t) {
		const dt = last ? (t - last.t) / 1000 : 0;

		document.title = "vpntund " + s.site;
		$("site").textContent = s.site;
		$("summary").textContent = s.role + " site, tun " + s.tun +
		    ", MTU " + s.mtu + ", up " + fmtAge(s.uptime) + ", " +
		    s.peers.length + " peer" + (s.peers.length === 1 ? "" : "s") +
		    ", " + s.rules + " rule" + (s.rules === 1 ? "" : "s");
		renderPeers(s, dt);
		renderQos(s);
		renderSiteDrops(s);
		last = { peers: new Map(s.peers.map((p) => [p.name, p])), t: t };
		return renderBridge(s);
	}

	async function tick() {
		try {
			const r = await fetch("/status.json", { cache: "no-store" });

			if (!r.ok)
				throw new Error("/status.json: HTTP " + r.status);
			await render(await r.json(), performance.now());
			$("error").hidden = true;
		} catch (e) {
			$("error").textContent = String(e.message || e);
			$("error").hidden = false;
		}
		window.setTimeout(tick, interval);
	}

	$("interval").textContent = interval / 1000 + " s";
	tick();
})();

#!/usr/bin/env bash
# The monitor's status page in a browser (headless chromium in the
# central's namespace): it loads with nothing from elsewhere, shows the
# running tunnel's peers with their state and SPIs, draws its graphs,
# and its counters move with the traffic between two loads.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init monitor_browser
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || vt_skip "no chromium"
vt_topology v4
VT_EXTRA_SITE_c=$'\tmonitor port 9180'
vt_write_configs udp v4 aes-gcm
vt_start c
vt_start r1
vt_ping l1 172.16.0.10 5

# dom FILE: the page after its script has run for 4 s of virtual time,
# fetching every 500 ms
dom() {
	local profile
	profile=$(mktemp -d "$VT_TMP/chromium.XXXXXX")
	ip netns exec "$(vt_ns c)" timeout 120 "$CHROMIUM" --headless \
	    --no-sandbox --disable-gpu --no-first-run --no-proxy-server --enable-logging=stderr --v=0 \
	    --user-data-dir="$profile" --virtual-time-budget=4000 \
	    --dump-dom 'http://127.0.0.1:9180/?interval=500' \
	    >"$1" 2>"$1.err" || fail "chromium: $(tail -n 5 "$1.err")"
	rm -rf "$profile"
	# what the Content-Security-Policy refused, or a script error
	! grep -E 'Refused to|Uncaught' "$1.err" ||
		fail "the page broke its policy or failed"
}

# page FILE: what the page shows, as JSON: per peer its cells by class,
# per cell its data-value if it has one; the graphs and their points
page() {
	$VT_PY - "$1" <<'PY'
import json, sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.peers, self.graphs, self.cur, self.cell = {}, [], None, None
        self.error_hidden = None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "data-peer" in a:
            self.cur = self.peers.setdefault(a["data-peer"], {})
        elif tag == "td" and self.cur is not None:
            self.cell = (a.get("class") or "").split()
            for c in self.cell:
                if c not in ("num", "mono", "drops-nonzero"):
                    self.cur[c] = a.get("data-value", "")
            if "data-state" in a:
                self.cur["state"] = a["data-state"]
        elif tag == "polyline":
            self.graphs.append(len(a.get("points", "").split()))
        elif tag == "p" and a.get("id") == "error":
            self.error_hidden = "hidden" in a
    def handle_endtag(self, tag):
        if tag == "tr":
            self.cur = None
    def handle_data(self, data):
        if self.cur is not None and self.cell:
            for c in self.cell:
                if c in ("name", "spi-in", "spi-out") or c == "":
                    self.cur.setdefault(c + "-text", data.strip())
            self.cell = None
p = P()
p.feed(open(sys.argv[1]).read())
print(json.dumps({"peers": p.peers, "graphs": p.graphs,
                  "error_hidden": p.error_hidden}))
PY
}

dom "$VT_TMP/dom1.html"
page "$VT_TMP/dom1.html" >"$VT_TMP/page1.json"
cat "$VT_TMP/page1.json" >&2
vt_status c >"$VT_TMP/status.json"
$VT_PY - "$VT_TMP/page1.json" "$VT_TMP/status.json" <<'PY' || fail "the page does not show the tunnel"
import json, sys
p = json.load(open(sys.argv[1]))
s = json.load(open(sys.argv[2]))
assert p["error_hidden"] is True, "the page shows an error"
assert sorted(p["peers"]) == ["r1", "r2"], p["peers"]
for q in s["peers"]:
    row = p["peers"][q["name"]]
    assert row["state"] == q["liveness"]["state"], (row, q)
    assert row["spi-in-text"] == q["spi_in"], (row, q)
    assert row["spi-out-text"] == q["spi_out"], (row, q)
    assert int(row["packets-in"]) <= q["packets_in"], (row, q)
assert p["peers"]["r1"]["state"] == "up"
assert p["peers"]["r2"]["state"] == "down"
assert int(p["peers"]["r1"]["packets-in"]) >= 5
# one traffic graph per peer, two lines each, several samples drawn
assert len(p["graphs"]) == 4 and max(p["graphs"]) >= 3, p["graphs"]
PY

vt_ping l1 172.16.0.10 20
vt_ping lc 10.2.1.10 10
dom "$VT_TMP/dom2.html"
page "$VT_TMP/dom2.html" >"$VT_TMP/page2.json"
$VT_PY - "$VT_TMP/page1.json" "$VT_TMP/page2.json" <<'PY' || fail "the page's counters did not move"
import json, sys
a, b = (json.load(open(f))["peers"]["r1"] for f in sys.argv[1:3])
for k, n in (("packets-in", 30), ("packets-out", 30)):
    assert int(b[k]) - int(a[k]) >= n, (k, a[k], b[k])
assert int(b["bytes-in"]) > int(a["bytes-in"])
PY
vt_stop r1
vt_stop c

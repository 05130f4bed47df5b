#!/usr/bin/env bash
# The monitor (vpntund(8) MONITORING): /status.json is the control
# socket's "status json", /metrics passes promtool and its counters lie
# between two status answers around it, writes are refused with 405, an
# unknown path is 404, the server listens only where site.conf says (the
# loopback default; an IPv6 address), connections are bounded, a reload
# cannot move it; vpntunctl top shows the peers and their rates.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init monitor
command -v curl >/dev/null || vt_skip "no curl"
command -v promtool >/dev/null || vt_skip "no promtool (Debian: prometheus)"
command -v ss >/dev/null || vt_skip "no ss"
vt_topology v4
VT_EXTRA_SITE_c=$'\tmonitor port 9180'
VT_EXTRA_SITE_r1=$'\tmonitor 2001:db8:1::2 port 9181'
vt_write_configs udp v4 aes-gcm
vt_start c
vt_start r1
vt_ping l1 172.16.0.10 5
vt_ping lc 10.2.1.10 3

C=http://127.0.0.1:9180
R1='http://[2001:db8:1::2]:9181'

# hget SITE URL [CURL-ARGS]: the body; hcode SITE URL [CURL-ARGS]: the
# status code (000: no connection)
hget() {
	ip netns exec "$(vt_ns "$1")" curl -sS --noproxy '*' --max-time 5 \
	    "${@:3}" "$2"
}
hcode() {
	ip netns exec "$(vt_ns "$1")" curl -s --noproxy '*' --max-time 5 \
	    -o /dev/null -w '%{http_code}' "${@:3}" "$2" || true
}

# /status.json: the same document as `vpntunctl status --json`: the same
# members everywhere, the same peers and SPIs, counters no higher than
# the control socket's answer a moment later
hget c "$C/status.json" >"$VT_TMP/http.json" || fail "GET /status.json"
vt_status c >"$VT_TMP/ctl.json"
$VT_PY - "$VT_TMP/http.json" "$VT_TMP/ctl.json" <<'PY' || fail "/status.json differs from status --json"
import json, sys
h = json.load(open(sys.argv[1]))
c = json.load(open(sys.argv[2]))
def paths(v, p=""):
    if isinstance(v, dict):
        for k, x in v.items():
            yield from paths(x, p + "/" + k)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from paths(x, p + "/%d" % i)
    yield p
assert sorted(paths(h)) == sorted(paths(c)), "members differ"
assert [p["name"] for p in h["peers"]] == ["r1", "r2"], h["peers"]
for a, b in zip(h["peers"], c["peers"]):
    for k in ("name", "endpoint", "suite", "spi_in", "spi_out", "keying",
              "transport"):
        assert a[k] == b[k], (k, a[k], b[k])
    assert [s["spi"] for s in a["sas"]] == [s["spi"] for s in b["sas"]]
    for k in ("packets_in", "bytes_in", "packets_out", "bytes_out"):
        assert a[k] <= b[k], (k, a[k], b[k])
r1 = h["peers"][0]
assert r1["packets_in"] >= 8 and r1["liveness"]["state"] == "up", r1
assert h["site"] == c["site"] == "central"
PY

# /metrics: promtool's checks, and each counter between the status before
# and the status after it
vt_status c >"$VT_TMP/s1.json"
hget c "$C/metrics" >"$VT_TMP/metrics" || fail "GET /metrics"
vt_status c >"$VT_TMP/s2.json"
promtool check metrics <"$VT_TMP/metrics" >"$VT_TMP/promtool.out" 2>&1 ||
	fail "promtool check metrics: $(cat "$VT_TMP/promtool.out")"
$VT_PY - "$VT_TMP/metrics" "$VT_TMP/s1.json" "$VT_TMP/s2.json" <<'PY' || fail "/metrics and status disagree"
import json, re, sys
m = {}
for line in open(sys.argv[1]):
    if line.startswith("#"):
        continue
    g = re.match(r'^([a-z_]+)(\{(.*)\})? (\S+)$', line.rstrip("\n"))
    assert g, line
    labels = tuple(sorted(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', g[3] or "")))
    m[(g[1], labels)] = float(g[4])
s1, s2 = (json.load(open(f)) for f in sys.argv[2:4])
def between(name, labels, get):
    v = m[(name, tuple(sorted(labels)))]
    lo, hi = get(s1), get(s2)
    assert lo <= v <= hi, (name, labels, lo, v, hi)
n = 0
for i, p in enumerate(s1["peers"]):
    peer = p["name"]
    for d in ("in", "out"):
        for k, name in (("packets", "vpntund_peer_packets_total"),
                        ("bytes", "vpntund_peer_bytes_total")):
            between(name, [("peer", peer), ("direction", d)],
                    lambda s: s["peers"][i]["%s_%s" % (k, d)])
            n += 1
        between("vpntund_peer_keepalives_total",
                [("peer", peer), ("direction", d)],
                lambda s: s["peers"][i]["liveness"]["keepalives_" + d])
    for r in p["drops"]:
        between("vpntund_peer_drops_total",
                [("peer", peer), ("direction", "in"), ("reason", r)],
                lambda s: s["peers"][i]["drops"][r])
    st = p["liveness"]["state"]
    assert m[("vpntund_peer_state", (("peer", peer), ("state", st)))] == 1
for r in s1["drops"]:
    between("vpntund_drops_total", [("reason", r)], lambda s: s["drops"][r])
assert m[("vpntund_peer_packets_total", (("direction", "in"), ("peer", "r1")))] >= 8
assert n == 8
PY
grep -q '^# TYPE vpntund_peer_packets_total counter$' "$VT_TMP/metrics" ||
	fail "no TYPE line for vpntund_peer_packets_total"

# headers, methods, paths
hget c "$C/metrics" -D "$VT_TMP/h.metrics" -o /dev/null
grep -qi '^Content-Type: text/plain; version=0.0.4' "$VT_TMP/h.metrics" ||
	fail "/metrics content type: $(cat "$VT_TMP/h.metrics")"
hget c "$C/" -D "$VT_TMP/h.page" -o "$VT_TMP/page.html"
grep -qi "^Content-Security-Policy: default-src 'none'; script-src 'self'" \
    "$VT_TMP/h.page" || fail "/ has no strict Content-Security-Policy"
grep -q '<script src="/monitor.js"' "$VT_TMP/page.html" || fail "/ is not the page"
! grep -Eqi '(src|href)="(https?:)?//' "$VT_TMP/page.html" ||
	fail "the page loads something from elsewhere"
assert_eq "$(hget c "$C/monitor.js" -o /dev/null -w '%{content_type}')" \
    "text/javascript; charset=utf-8" "type of /monitor.js"
assert_eq "$(hget c "$C/monitor.css" -o /dev/null -w '%{content_type}')" \
    "text/css; charset=utf-8" "type of /monitor.css"
assert_eq "$(hget c "$C/status.json" -o /dev/null -w '%{content_type}')" \
    "application/json" "type of /status.json"
assert_eq "$(hcode c "$C/nonexistent")" 404 "GET of an unknown path"
assert_eq "$(hcode c "$C/status.json/../x")" 404 "GET of a path around one"
assert_eq "$(hcode c "$C/bridge.json")" 404 "GET /bridge.json without a tap"
assert_eq "$(hcode c "$C/status.json" -X POST)" 405 "POST /status.json"
assert_eq "$(hcode c "$C/metrics" -d 'x=1')" 405 "POST with a body"
assert_eq "$(hcode c "$C/" -X PUT)" 405 "PUT /"
assert_eq "$(hcode c "$C/" -X DELETE)" 405 "DELETE /"
hget c "$C/" -X POST -D "$VT_TMP/h.post" -o /dev/null || true
grep -qi '^Allow: GET, HEAD' "$VT_TMP/h.post" || fail "405 without Allow"
hget c "$C/status.json" -I >"$VT_TMP/h.head"
grep -q '^HTTP/1.1 200' "$VT_TMP/h.head" || fail "HEAD: $(cat "$VT_TMP/h.head")"
big=$(head -c 12000 /dev/zero | tr '\0' a)
code=$(hcode c "$C/" -H "X-Big: $big")
[ "$code" != 200 ] || fail "a request with 12 KB of headers was answered"
vt_alive c || fail "the daemon died"

# where it listens: only the configured address and port
ss=$(ip netns exec "$(vt_ns c)" ss -Hltn 'sport = :9180')
assert_eq "$(wc -l <<<"$ss")" 1 "listening sockets on :9180 at c"
grep -q '127.0.0.1:9180' <<<"$ss" || fail "c listens on $ss"
assert_eq "$(hcode inet http://198.18.0.1:9180/)" 000 "c's monitor from outside"
assert_eq "$(hcode c http://198.18.0.1:9180/)" 000 "c's monitor on its outer address"
ss=$(ip netns exec "$(vt_ns r1)" ss -Hltn 'sport = :9181')
assert_eq "$(wc -l <<<"$ss")" 1 "listening sockets on :9181 at r1"
grep -q '\[2001:db8:1::2\]:9181' <<<"$ss" || fail "r1 listens on $ss"
assert_eq "$(hcode inet "$R1/metrics")" 200 "r1's monitor on its IPv6 address"
assert_eq "$(hcode r1 http://127.0.0.1:9181/)" 000 "r1's monitor on loopback"
assert_eq "$(hcode r1 'http://[::1]:9181/')" 000 "r1's monitor on ::1"

# at most 32 connections at once: 40 idle clients get 32 descriptors;
# once they go, the server answers again
pid=$(vt_packet_pid c)
fds0=$(ls /proc/"$pid"/fd | wc -l)
ip netns exec "$(vt_ns c)" $VT_PY - "$VT_TMP/hold" <<'PY' &
import socket, sys, time, os
ss = [socket.create_connection(("127.0.0.1", 9180)) for _ in range(40)]
open(sys.argv[1], "w").close()
while os.path.exists(sys.argv[1]):
    time.sleep(0.05)
PY
holder=$!
VT_BG_PIDS+=("$holder")
fds_up() { [ "$(ls /proc/"$pid"/fd | wc -l)" -ge $((fds0 + 32)) ]; }
wait_until 10 test -e "$VT_TMP/hold" || fail "the clients did not connect"
wait_until 10 fds_up || fail "32 clients not accepted: $(ls /proc/"$pid"/fd | wc -l) fds, $fds0 before"
# and no more for a second (one more: a file the daemon may have open)
for _ in $(seq 10); do
	fds=$(ls /proc/"$pid"/fd | wc -l)
	[ "$((fds - fds0))" -le 33 ] || fail "$((fds - fds0)) descriptors for 40 idle clients"
	sleep 0.1
done
rm -f "$VT_TMP/hold"
wait "$holder" || true
fds_down() { [ "$(ls /proc/"$pid"/fd | wc -l)" -le "$fds0" ]; }
wait_until 15 fds_down || fail "connections not freed: $(ls /proc/"$pid"/fd | wc -l) fds, $fds0 before"
assert_eq "$(hcode c "$C/metrics")" 200 "GET /metrics after the flood"

# a reload that moves the monitor is refused; the server stays
sed -i 's/monitor port 9180/monitor port 9182/' "$(vt_conf c)"
! out=$(vt_ctl c reload 2>&1) || fail "reload moving the monitor was applied: $out"
grep -q monitor <<<"$out" || fail "reload refusal does not name monitor: $out"
assert_eq "$(hcode c "$C/status.json")" 200 "the monitor after a refused reload"

# vpntunctl top: two frames a second apart while traffic flows
vt_bg ping ip netns exec "$(vt_ns l1)" ping -n -i 0.05 -s 1000 172.16.0.10
timeout 10 "$VPNTUND_BUILD/vpntunctl" -s "$(vt_sock c)" top -n 2 -d 1 \
    >"$VT_TMP/top.out" 2>&1 || fail "vpntunctl top: $(cat "$VT_TMP/top.out")"
kill "$VT_BG_PID"
cat "$VT_TMP/top.out" >&2
! grep -q $'\033' "$VT_TMP/top.out" || fail "top wrote escapes to a file"
assert_eq "$(grep -c '^vpntund central' "$VT_TMP/top.out")" 2 "frames of top"
# the second frame's r1 line: up, and packets per second in both directions
r1=$(grep '^r1 ' "$VT_TMP/top.out" | tail -n 1)
read -r _ state pin pout _ <<<"$r1"
assert_eq "$state" up "r1's state in top"
assert_ge "${pin%.*}" 5 "r1 packets/s in, in top"
assert_ge "${pout%.*}" 5 "r1 packets/s out, in top"
grep -q '^r2 ' "$VT_TMP/top.out" || fail "top does not show r2"
# on a terminal, each frame clears the screen first
if command -v script >/dev/null; then
	script -qec "$VPNTUND_BUILD/vpntunctl -s $(vt_sock c) top -n 2 -d 0.2" \
	    /dev/null >"$VT_TMP/top.tty" </dev/null || fail "top on a terminal"
	assert_eq "$(grep -o $'\033\\[H\033\\[2J' "$VT_TMP/top.tty" | wc -l)" 2 \
	    "screen clears of two frames on a terminal"
fi

# a stop with clients still connected is a clean stop
fds0=$(ls /proc/"$pid"/fd | wc -l)
ip netns exec "$(vt_ns c)" $VT_PY - <<'PY' &
import socket, time
ss = [socket.create_connection(("127.0.0.1", 9180)) for _ in range(3)]
ss[0].sendall(b"GET /status.json HTTP/1.1\r\nHost: x\r\n\r\n")
time.sleep(30)
PY
VT_BG_PIDS+=("$!")
fds3() { [ "$(ls /proc/"$pid"/fd | wc -l)" -ge $((fds0 + 3)) ]; }
wait_until 10 fds3 || fail "3 clients not accepted"
vt_stop r1
vt_stop c

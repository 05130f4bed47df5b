#!/usr/bin/env bash
# A central with 1,000 and then 10,000 peers, each with its own key file,
# SPIs and /24 (half of them at static addresses nobody answers, half
# dynamic): how long the start takes (exec to the "site central: N peers"
# line, and to the control socket answering) and how much memory the
# daemon holds (VmHWM, VmRSS), with generous bounds and a check that they
# grow about linearly; the one real remote among them synchronises and
# passes a ping. Then 10,000 peers with manual keying: a first start with
# -R writes a state file of 20,000 entries, a second start without -R
# takes it. Slow (ctest label "slow").
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib_live.sh"
set -u
vt_init scale_10k
vt_topology v4
VT_LOG_LEVEL=info
VT_SITES=(c r1)
inet=$(vt_ns inet)
# The static endpoints (198.19.0.0/16) lead nowhere: requests to them are
# dropped on the way, as for sites that are down.
ip -n "$inet" route add blackhole 198.19.0.0/16
mkdir -m 700 "$VT_TMP/keys"
TABLE=()

# gen N KEYING: the central's config with r1, r2 and N - 2 generated peers
# (one key file each, written once and kept for the next config)
gen() {
	local n=$1 keying=$2
	VT_EXTRA_PEER_c_r1=$'\tkeying '$keying VT_EXTRA_PEER_c_r2=$'\tkeying '$keying
	VT_EXTRA_PEER_r1=$'\tkeying '$keying
	vt_write_configs udp v4 aes-gcm
	"$VT_PY" - "$VT_TMP/keys" $((n - 2)) "$keying" "$(vt_conf c)" <<'EOF' || fail "generating $n peers"
import os, sys
kdir, n, keying, conf = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
out = [open(conf).read()]
os.umask(0o077)
for i in range(n):
    name = "p%05d" % i
    key = os.path.join(kdir, name + ".key")
    if not os.path.exists(key):
        with open(key, "w") as f:
            f.write("# %s\n%s\n%s\n" % (name, os.urandom(36).hex(), os.urandom(36).hex()))
    # 10.64.0.0 and up: apart from the site's and r1's and r2's networks
    # and funnels
    net = "10.%d.%d.0/24" % (64 + i // 256, i % 256)
    if i % 2 == 0:
        ep = "endpoint 198.19.%d.%d port 4500" % (i // 250, i % 250 + 1)
    else:
        ep = "endpoint dynamic"
    out.append('peer "%s" {\n\tnetwork %s\n\t%s\n\tcipher aes-gcm\n\tkey "%s"\n'
               '\tkeying %s\n}\n' % (name, net, ep, key, keying))
open(conf, "w").write("".join(out))
EOF
}

ctl_quiet() { vt_ctl "$@" >/dev/null 2>&1; }

line_or_died() { # LOG N BEFORE
	vt_alive c || return 0
	[ "$(grep -c "site central: $2 peers" "$1")" -gt "$3" ]
}

mem() { # PID FIELD: kB
	awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"
}

# start_measured N KEYING [ARG...]: starts the central; sets T_LINE,
# T_SOCK (ms from exec), HWM, RSS (kB)
start_measured() {
	local n=$1 keying=$2 t0 pid log
	shift 2
	log=$(vt_log c)
	echo "=== start $(date -u +%T.%N) $n $keying $* ===" >>"$log"
	local before
	before=$(grep -c "site central: $n peers" "$log") || true
	t0=$(vt_now_ms)
	ip netns exec "$(vt_ns c)" "$VPNTUND_BUILD/vpntund" -f -c "$(vt_conf c)" "$@" \
	    >>"$log" 2>&1 </dev/null &
	pid=$!
	VT_PID[c]=$pid
	# The line comes before the control socket answers (the loop runs
	# after the start-up is logged).
	wait_until 120 line_or_died "$log" "$n" "$before" ||
		fail "no 'site central: $n peers' line 120 s after the start"
	vt_alive c || fail "the central died during start-up: $(tail -n 3 "$log")"
	T_LINE=$(vtl_ms_since "$t0")
	wait_until 60 ctl_quiet c rules || fail "the control socket does not answer 60 s after the start-up line"
	T_SOCK=$(vtl_ms_since "$t0")
	HWM=$(mem "$pid" VmHWM) RSS=$(mem "$pid" VmRSS)
	vt_log_msg "$n peers, $keying $*: start-up line after $T_LINE ms, socket after $T_SOCK ms, VmHWM $HWM kB, VmRSS $RSS kB"
}

row() { # N KEYING WHAT
	TABLE+=("$(printf '%6s  %-7s %-12s %9s %9s %10s %10s' "$1" "$2" "$3" "$T_LINE" "$T_SOCK" "$HWM" "$RSS")")
}

# check_peers N KEYING: every peer in the status, SPIs distinct
check_peers() {
	vt_status c >"$VT_TMP/c.json" || fail "status of the central with $1 peers"
	"$VT_PY" - "$VT_TMP/c.json" "$1" "$2" <<'EOF' || fail "central status with $1 peers"
import json, sys
d = json.load(open(sys.argv[1]))
n, keying = int(sys.argv[2]), sys.argv[3]
peers = d["peers"]
assert len(peers) == n, "%d peers, expected %d" % (len(peers), n)
assert len({p["name"] for p in peers}) == n, "names not distinct"
spis = [p["spi_in"] for p in peers] + [p["spi_out"] for p in peers]
assert len(set(spis)) == 2 * n, "SPIs not distinct"
assert all(p["keying"] == keying for p in peers), "keying"
if keying == "derived":
    # it asked every peer whose address it knows at once
    asked = [p for p in peers if p["name"].startswith("p") and not p["dynamic"]]
    assert asked and all(p["sync"]["requests_out"] >= 1 for p in asked), \
        "static peers not asked: %d" % sum(p["sync"]["requests_out"] == 0 for p in asked)
EOF
}

# the real remote: synchronised (derived) and a ping through the central
remote_ok() {
	local t0
	t0=$(vt_now_ms)
	if [ "$1" = manual ]; then
		vtl_start r1 -R
	else
		vt_start r1
	fi
	vt_log_msg "r1 ready $(vtl_ms_since "$t0") ms after its start"
	vt_ping l1 172.16.0.10 3
	vt_ping lc 10.2.1.10 2
	assert_eq "$(vt_peer c r1 'p["liveness"]["state"]')" up "central: r1's liveness"
	vt_stop r1
}

# 1. derived keying, 1,000 and 10,000 peers
for n in 1000 10000; do
	gen "$n" derived
	start_measured "$n" derived
	row "$n" derived "first start"
	eval "T_$n=$T_LINE HWM_$n=$HWM"
	check_peers "$n" derived
	remote_ok derived
	vt_stop c
done
# generous for a busy 2-core machine and a sanitizer build; growth about
# linear: ten times the peers may not cost more than twenty times
[ "$T_1000" -le 20000 ] || fail "1,000 peers: start-up took $T_1000 ms"
[ "$T_10000" -le 120000 ] || fail "10,000 peers: start-up took $T_10000 ms"
[ "$T_10000" -le $((20 * T_1000 + 10000)) ] || fail "start-up: $T_1000 ms for 1,000 peers, $T_10000 ms for 10,000"
[ "$HWM_10000" -le $((2 * 1024 * 1024)) ] || fail "10,000 peers: VmHWM $HWM_10000 kB"
[ "$HWM_10000" -le $((20 * HWM_1000)) ] || fail "VmHWM: $HWM_1000 kB for 1,000 peers, $HWM_10000 kB for 10,000"
vt_log_msg "memory per peer: $(((HWM_10000 - HWM_1000) / 9)) bytes (VmHWM, 1,000 to 10,000 peers)"

# 2. manual keying, 10,000 peers: -R once, then the state file is enough
n=10000
gen "$n" manual
state=$VT_TMP/c.state
rm -f "$state"
start_measured "$n" manual -R
row "$n" manual "-R, no file"
t_r=$T_LINE
check_peers "$n" manual
assert_eq "$(vt_counter c 'd["state_file"]["entries"]')" $((2 * n)) "state file entries in the status"
"$VT_PY" - "$VT_TMP/c.json" "$state" <<'EOF' || fail "the state file after the first start"
import json, sys
d = json.load(open(sys.argv[1]))
lines = open(sys.argv[2]).read().splitlines()
assert lines[0] == "# vpntund state v2", lines[0]
got = {}
for l in lines[1:]:
    k, spi, mark = l.split(" ")
    got[(k, spi)] = int(mark)
want = {("out", p["spi_out"]) for p in d["peers"]} | {("in", p["spi_in"]) for p in d["peers"]}
assert len(lines) - 1 == len(want) == 20000, (len(lines) - 1, len(want))
assert set(got) == want, "entries differ: %d missing, %d extra" % (len(want - set(got)), len(set(got) - want))
assert all(m >= 1 for m in got.values()), "an entry reserves nothing"
EOF
remote_ok manual
vt_stop c
[ "$(($(wc -l <"$state") - 1))" -eq $((2 * n)) ] || fail "state file after a clean stop: $(wc -l <"$state") lines"
afresh=$(vtl_log_count c "starts afresh")
start_measured "$n" manual
row "$n" manual "from the file"
assert_eq "$(vtl_log_count c "starts afresh")" "$afresh" "SAs started afresh without -R"
assert_eq "$(vt_counter c 'd["state_file"]["entries"]')" $((2 * n)) "state file entries after the second start"
assert_eq "$(vt_counter c 'd["state_file"]["missing_at_start"]')" false "state file missing at the second start"
[ "$t_r" -le 120000 ] && [ "$T_LINE" -le 120000 ] || fail "manual keying, 10,000 peers: start-up $t_r ms (-R), $T_LINE ms"
remote_ok manual
vt_stop c

echo "peers  keying  start        line (ms) sock (ms) VmHWM (kB) VmRSS (kB)"
printf '%s\n' "${TABLE[@]}"

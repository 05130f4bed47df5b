#!/usr/bin/env bash
# Peer liveness and the peer hooks (site.conf(5) keepalive, dead, HOOKS):
# with keepalive 1 and dead 4 an idle tunnel carries keepalives both ways;
# a remote that falls silent (SIGSTOP) is stale after 2 x keepalive and
# down after dead, and up again when it resumes; peer-up and peer-down run
# once per change with exactly the documented environment; a peer-up hook
# that hangs is stopped after hook-timeout (SIGTERM, then SIGKILL, both
# logged) while the daemon goes on forwarding.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib_live.sh"
set -u
vt_init liveness
vt_topology v4
VT_LOG_LEVEL=debug
rec=$VT_TMP/hooks.rec hang=$VT_TMP/hang
vtl_hook_script "$VT_TMP/peer-up.sh" "$rec" "$hang"
vtl_hook_script "$VT_TMP/peer-down.sh" "$rec"
VT_EXTRA_SITE_c=$(printf '\tpeer-up "%s"\n\tpeer-down "%s"\n\thook-timeout 2' \
    "$VT_TMP/peer-up.sh" "$VT_TMP/peer-down.sh")
VT_EXTRA_PEER_c_r1=$'\tkeepalive 1\n\tdead 4'
VT_EXTRA_PEER_r1=$'\tkeepalive 1\n\tdead 4'
vt_write_configs udp v4 aes-gcm
VT_SITES=(c r1)
live() { vt_peer c r1 "p['liveness']['$1']"; }
ka_in() { live keepalives_in; }
ka_out() { live keepalives_out; }

vt_start c
vt_start r1
# Its packet process falls silent when stopped (its parent sends nothing).
r1pid=$(vt_packet_pid r1)
# A stopped daemon ignores the SIGTERM of the cleanup until SIGKILL.
vtl_at_exit "kill -CONT $r1pid"

# 1. r1 is up at the central, and peer-up ran once with exactly the
#    documented environment
wait_until 10 vtl_live_is c r1 up || fail "central: r1 not up: $(live state)"
wait_until 10 vt_cmp 'vtl_hook_count "$rec" peer-up' -ge 1 || fail "peer-up did not run"
env1=$(vtl_hook_env "$rec" 1)
want=$(LC_ALL=C sort <<EOF
PATH=/usr/sbin:/usr/bin:/sbin:/bin
VPNTUND_EVENT=peer-up
VPNTUND_PEER=r1
VPNTUND_PEER_ENDPOINT=198.18.1.2:4500
VPNTUND_PEER_NETWORK=10.1.1.0/24
VPNTUND_ROUTES=10.1.1.0/24 fd00:1:1::/64 10.2.1.0/24 fd00:2:1::/64
VPNTUND_SITE=central
VPNTUND_TUN=$VT_TUN
EOF
)
[ "$env1" = "$want" ] || fail "peer-up environment differs:
$(diff <(echo "$want") <(echo "$env1"))"
assert_eq "$(vtl_hook_count "$rec" peer-up)" 1 "peer-up runs after start"
assert_eq "$(vtl_hook_count "$rec" peer-down)" 0 "peer-down runs after start"
wait_until 10 grep -q "hook peer-up r1: $VT_TMP/peer-up.sh exited with 0" "$(vt_log c)" ||
	fail "central did not log the peer-up hook's exit"

# 2. an idle tunnel: keepalives both ways, and nothing else
in0=$(vt_peer_counter c r1 packets_in) out0=$(vt_peer_counter c r1 packets_out)
ko0=$(live keepalives_out) ki0=$(live keepalives_in)
t0=$(vt_now_ms)
wait_until 10 vt_cmp ka_in -ge $((ki0 + 3)) ||
	fail "central: keepalives_in $(live keepalives_in), expected >= $((ki0 + 3))"
wait_until 5 vt_cmp ka_out -ge $((ko0 + 3)) ||
	fail "central: keepalives_out $(live keepalives_out), expected >= $((ko0 + 3))"
ka_ms=$(vtl_ms_since "$t0")
ko1=$(live keepalives_out) ki1=$(live keepalives_in)
assert_eq "$(vt_peer_counter c r1 packets_in)" "$in0" "central: data packets in while idle"
assert_eq "$(vt_peer_counter c r1 packets_out)" "$out0" "central: data packets out while idle"
# keepalive 1 on a 1 s tick: one every 1 to 2 s, never a burst
[ $(((ki1 - ki0) * 1000)) -le $((ka_ms + 2000)) ] ||
	fail "central: $((ki1 - ki0)) keepalives in within $ka_ms ms: more than one a second"
assert_ge "$(vt_peer r1 central 'p["liveness"]["keepalives_in"]')" 3 "r1: keepalives_in"
vt_log_msg "idle: $((ko1 - ko0)) keepalives out, $((ki1 - ki0)) in within $ka_ms ms"

# 3. r1 falls silent: stale after 2 x keepalive, down after dead
since_up=$(live since) ch_up=$(live changes)
kill -STOP "$r1pid"
t0=$(vt_now_ms)
wait_until 10 vtl_live_is c r1 stale || fail "central: r1 not stale 10 s after SIGSTOP: $(live state)"
t_stale=$(vtl_ms_since "$t0")
since_stale=$(live since)
wait_until 10 vtl_live_is c r1 down || fail "central: r1 not down 10 s after SIGSTOP: $(live state)"
t_down=$(vtl_ms_since "$t0")
since_down=$(live since)
vt_log_msg "SIGSTOP r1: stale after $t_stale ms, down after $t_down ms (keepalive 1 s, dead 4 s)"
# The last packet left r1 0 to 2 s before the SIGSTOP (a keepalive every
# 1 to 2 s); the central looks once a second; each poll takes ~0.2 s.
[ "$t_stale" -le 4000 ] || fail "stale after $t_stale ms: expected within 2 x keepalive + 2 s"
[ "$t_down" -ge 2000 ] && [ "$t_down" -le 7000 ] ||
	fail "down after $t_down ms: expected between dead - 2 s and dead + 3 s"
[ $((t_down - t_stale)) -ge 1000 ] && [ $((t_down - t_stale)) -le 3500 ] ||
	fail "stale to down took $((t_down - t_stale)) ms: expected dead - 2 x keepalive = 2 s"
assert_eq "$(live changes)" $((ch_up + 2)) "liveness changes: up -> stale -> down"
assert_ge "$since_stale" "$since_up" "since at stale"
assert_gt "$since_stale" 0 "since at stale"
d=$((since_down - since_stale))
[ "$d" -ge 1 ] && [ "$d" -le 4 ] || fail "since moved by $d s from stale to down, expected about 2"
wait_until 5 vt_cmp 'vtl_hook_count "$rec" peer-down' -ge 1 || fail "peer-down did not run"
assert_eq "$(vtl_hook_env "$rec" 2 | grep -c '^VPNTUND_EVENT=peer-down$')" 1 "record 2 is peer-down"
assert_eq "$(vtl_hook_env "$rec" 2 | grep -v -e '^VPNTUND_EVENT=' -e '^VPNTUND_PEER_ENDPOINT=')" \
	"$(grep -v -e '^VPNTUND_EVENT=' -e '^VPNTUND_PEER_ENDPOINT=' <<<"$want")" "peer-down environment"
assert_eq "$(vtl_hook_env "$rec" 2 | grep '^VPNTUND_PEER_ENDPOINT=')" \
	"VPNTUND_PEER_ENDPOINT=198.18.1.2:4500" "peer-down: the endpoint last known"
assert_eq "$(vtl_hook_count "$rec" peer-up)" 1 "peer-up runs while r1 is silent"
grep -q "peer r1: stale (was up)" "$(vt_log c)" || fail "central did not log r1 stale"
grep -q "peer r1: down (was stale)" "$(vt_log c)" || fail "central did not log r1 down"

# 4. r1 resumes: up again, peer-up runs a second time
kill -CONT "$r1pid"
t0=$(vt_now_ms)
wait_until 10 vtl_live_is c r1 up || fail "central: r1 not up 10 s after SIGCONT: $(live state)"
t_up=$(vtl_ms_since "$t0")
vt_log_msg "SIGCONT r1: up after $t_up ms"
[ "$t_up" -le 4000 ] || fail "up after $t_up ms: expected within a keepalive and a tick"
wait_until 5 vt_cmp 'vtl_hook_count "$rec" peer-up' -ge 2 || fail "peer-up did not run again"
assert_eq "$(vtl_hook_env "$rec" 3)" "$want" "second peer-up environment"
assert_eq "$(live changes)" $((ch_up + 3)) "liveness changes: down -> up"
assert_ge "$(live since)" "$since_down" "since at up"
vt_ping l1 172.16.0.10 3

# 5. a peer-up hook that hangs and shrugs off SIGTERM: SIGTERM after
#    hook-timeout, SIGKILL a second later, both logged; the daemon serves
#    meanwhile
touch "$hang"
kill -STOP "$r1pid"
wait_until 10 vtl_live_is c r1 down || fail "central: r1 not down again: $(live state)"
wait_until 5 vt_cmp 'vtl_hook_count "$rec" peer-down' -ge 2 || fail "second peer-down did not run"
kill -CONT "$r1pid"
wait_until 10 vt_cmp 'vtl_hook_count "$rec" peer-up' -ge 3 || fail "third peer-up did not run"
t0=$(vt_now_ms)
hook_pid=$(sed -n "s|.*hook peer-up r1: running $VT_TMP/peer-up.sh (pid \([0-9]*\)).*|\1|p" "$(vt_log c)" | tail -n 1)
[ -n "$hook_pid" ] || fail "central did not log the hook's pid"
kill -0 "$hook_pid" 2>/dev/null || fail "the hanging hook (pid $hook_pid) is not running"
vt_ping l1 172.16.0.10 3
vt_ping lc 10.2.1.10 2
vtl_live_is c r1 up || fail "central: r1 not up while its hook hangs: $(live state)"
kill -0 "$hook_pid" 2>/dev/null || fail "the hook ended before the pings were done: no proof"
term_re="hook peer-up r1: $VT_TMP/peer-up.sh still running after 2 s: sending SIGTERM"
kill_re="hook peer-up r1: $VT_TMP/peer-up.sh still running 1 s after SIGTERM: sending SIGKILL"
wait_until 6 grep -qF "$term_re" "$(vt_log c)" || fail "no SIGTERM logged for the hanging hook"
t_term=$(vtl_ms_since "$t0")
wait_until 4 grep -qF "$kill_re" "$(vt_log c)" || fail "no SIGKILL logged for the hanging hook"
wait_until 4 grep -qF "hook peer-up r1: $VT_TMP/peer-up.sh killed by signal 9" "$(vt_log c)" ||
	fail "the hook's end (signal 9) not logged"
t_kill=$(vtl_ms_since "$t0")
wait_until 3 vt_dead "$hook_pid" || fail "hook pid $hook_pid still there after SIGKILL"
# What the script started (sleep) went with it; a zombie waiting for init
# to reap it is gone as far as the group goes.
left=$(ps -eo pgid=,stat=,pid=,args= | awk -v g="$hook_pid" '$1 == g && $2 !~ /^Z/') || true
[ -z "$left" ] || fail "the hook's process group $hook_pid outlived the SIGKILL: $left"
vt_log_msg "hanging hook: SIGTERM logged ${t_term} ms, SIGKILL and reap ${t_kill} ms after it started (hook-timeout 2)"
# t0 is when its record was seen, a poll after it started
[ "$t_term" -ge 1500 ] && [ "$t_term" -le 4000 ] || fail "SIGTERM $t_term ms after the hook started, hook-timeout 2 s"
[ $((t_kill - t_term)) -ge 500 ] && [ $((t_kill - t_term)) -le 3000 ] ||
	fail "SIGKILL $((t_kill - t_term)) ms after SIGTERM, expected 1 s"
assert_eq "$(grep -cF "$term_re" "$(vt_log c)")" 1 "SIGTERM lines"
assert_eq "$(grep -cF "$kill_re" "$(vt_log c)")" 1 "SIGKILL lines"
vt_ping l1 172.16.0.10 2
assert_eq "$(vtl_hook_count "$rec" peer-up)" 3 "peer-up runs in all"
assert_eq "$(vtl_hook_count "$rec" peer-down)" 2 "peer-down runs in all"
rm -f "$hang"

# 6. the keepalive cadence on an idle tunnel: "when nothing was sent for
#    keepalive seconds" a dummy goes out, so with keepalive 1 and a 1 s
#    tick one a second, never 2 s of silence, which is when the peer
#    turns stale
"$VT_PY" - "$VPNTUND_BUILD/vpntunctl" "$(vt_sock c)" 8 >"$VT_TMP/cadence" <<'EOF' ||
import json, subprocess, sys, time
ctl, sock, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
last, seen, gaps = {}, {}, {"keepalives_in": [], "keepalives_out": []}
end = time.monotonic() + secs
while time.monotonic() < end:
    out = subprocess.run([ctl, "-s", sock, "status", "--json"], capture_output=True, timeout=5).stdout
    t = time.monotonic()
    p = [x for x in json.loads(out)["peers"] if x["name"] == "r1"][0]["liveness"]
    for k in gaps:
        if k in last and p[k] != last[k]:
            if k in seen:
                gaps[k].append(t - seen[k])
            seen[k] = t
        last[k] = p[k]
    time.sleep(0.05)
for k, g in gaps.items():
    print(k, len(g), "%.0f" % (1000 * max(g)) if g else "-", " ".join("%.0f" % (1000 * x) for x in g))
EOF
	fail "measuring the keepalive cadence failed"
vt_log_msg "keepalive cadence (count, max gap and gaps in ms): $(tr '\n' ';' <"$VT_TMP/cadence")"
while read -r what n max _; do
	[ "$n" -ge 3 ] || fail "keepalive cadence: only $n gaps of $what measured"
	[ "$max" -le 1600 ] ||
		vtl_bug "keepalive 1: the central's $what came up to $max ms apart on an idle tunnel (gaps in ms: $(grep "^$what " "$VT_TMP/cadence" | cut -d' ' -f4-)), not every second; 2 s of silence is when a peer turns stale"
done <"$VT_TMP/cadence"

vt_stop r1
vt_stop c
echo "liveness: stale ${t_stale} ms, down ${t_down} ms after SIGSTOP; up ${t_up} ms after SIGCONT; hook SIGTERM ${t_term} ms, SIGKILL ${t_kill} ms"
vtl_done

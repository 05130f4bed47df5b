#!/usr/bin/env bash
# Without -f the daemon detaches once everything is up (start-up errors
# still reach the exit status), keeps working in the background with paths
# that were relative to where it was started (a reload too), and cleans up
# on SIGTERM.
# The control socket is for root only (mode 0600). r1 and the central key
# their SA manual, so that r1 has a state file whose relative path counts.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init daemonize
vt_topology v4
VT_EXTRA_PEER_c_r1=$'\tkeying manual' VT_EXTRA_PEER_r1=$'\tkeying manual'
vt_write_configs udp v4 aes-gcm
vt_start c
r1=$(vt_ns r1)

# r1's config with relative paths, started from $VT_TMP
sed -e "s|\"$VT_TMP/|\"|g" "$(vt_conf r1)" >"$VT_TMP/rel.conf"
grep -q '^	control "r1.sock"' "$VT_TMP/rel.conf" || fail "could not make the paths relative"

# a start-up error is reported by the exit status, before detaching (-R:
# the first start of a manual SA, so that the outer address is what fails)
sed 's/^\touter .*/\touter 198.18.1.99/' "$VT_TMP/rel.conf" >"$VT_TMP/bad.conf"
rc=0
(cd "$VT_TMP" && ip netns exec "$r1" timeout 20 "$VPNTUND_BUILD/vpntund" -R -c bad.conf) \
	>"$VT_TMP/bad.out" 2>&1 || rc=$?
if [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ]; then
	fail "detaching start with a bad outer address: exit $rc"
fi
grep -q "198.18.1.99" "$VT_TMP/bad.out" || fail "start-up error not on stderr: $(cat "$VT_TMP/bad.out")"
[ -z "$(ip netns pids "$r1")" ] || fail "a process is left in r1 after a failed start"
[ ! -e "$VT_TMP/r1.sock" ] || fail "control socket left after a failed start"

rc=0
(cd "$VT_TMP" && ip netns exec "$r1" timeout 20 "$VPNTUND_BUILD/vpntund" -R -c rel.conf) \
	>"$VT_TMP/start.out" 2>&1 || rc=$?
assert_eq "$rc" 0 "exit status of the detaching start ($(cat "$VT_TMP/start.out"))"
# Every process in our namespace r1 is the daemon we just started: with a
# user (VT_USER), its privileged parent and the packet process.
pids=$(ip netns pids "$r1")
want=1
[ -z "$VT_USER" ] || want=2
[ "$(wc -w <<<"$pids")" -eq "$want" ] || fail "expected $want processes of the daemon in r1, found: '$pids'"
pid=
for p in $pids; do
	ppid=$(sed -n 's/^PPid:[[:space:]]*//p' "/proc/$p/status")
	grep -qw -- "$ppid" <<<"$pids" || pid=$p
done
[ -n "$pid" ] || fail "no parent among the daemon's processes: $pids"
VT_BG_PIDS+=("$pid")
[ "$(readlink "/proc/$pid/exe")" = "$(readlink -f "$VPNTUND_BUILD/vpntund")" ] ||
	fail "process $pid in r1 is not vpntund"
for p in $pids; do
	[ "$(readlink "/proc/$p/cwd")" = / ] || fail "daemon process $p's cwd is $(readlink "/proc/$p/cwd"), not /"
done
assert_eq "$(timeout 5 "$VPNTUND_BUILD/vpntunctl" -s "$VT_TMP/r1.sock" status --json |
	"$VT_PY" -c 'import json,sys; print(json.load(sys.stdin)["site"])')" r1 "status of the detached daemon"
assert_eq "$(stat -c %a "$VT_TMP/r1.sock")" 600 "control socket mode"
assert_eq "$(stat -c %u "$VT_TMP/r1.sock")" 0 "control socket owner"

vt_ping l1 172.16.0.10 3
vt_ping lc 10.2.1.10 3
vt_tcp_xfer l1 lc 172.16.0.10 262144
pout=$(timeout 5 "$VPNTUND_BUILD/vpntunctl" -s "$VT_TMP/r1.sock" status --json |
	"$VT_PY" -c 'import json,sys; print(json.load(sys.stdin)["peers"][0]["packets_out"])')
assert_ge "$pout" 100 "detached r1: packets_out"
[ -s "$VT_TMP/r1.state" ] || fail "relative state file r1.state not written in $VT_TMP"
# it holds the marks of r1's SA, both directions
spis=$(timeout 5 "$VPNTUND_BUILD/vpntunctl" -s "$VT_TMP/r1.sock" status --json |
	"$VT_PY" -c 'import json,sys; p=json.load(sys.stdin)["peers"][0]; print(p["spi_out"], p["spi_in"])')
read -r spi_out spi_in <<<"$spis"
grep -qx "out $spi_out [0-9]*" "$VT_TMP/r1.state" ||
	fail "r1.state has no mark for the outbound SA $spi_out: $(cat "$VT_TMP/r1.state")"
grep -qx "in $spi_in [0-9]*" "$VT_TMP/r1.state" ||
	fail "r1.state has no mark for the inbound SA $spi_in: $(cat "$VT_TMP/r1.state")"

# A reload reads rel.conf from where the daemon was started, not from "/",
# and resolves its relative paths (state file, socket, key) as at start:
# an added rule is the only change it sees.
echo "block proto udp to port 7009" >>"$VT_TMP/rel.conf"
ans=$(timeout 5 "$VPNTUND_BUILD/vpntunctl" -s "$VT_TMP/r1.sock" reload 2>&1) ||
	fail "reload of the detached daemon: $ans"
assert_eq "$ans" "reloaded: 1 rules, 0 meters, no qos" "reload answer of the detached daemon"
assert_eq "$(timeout 5 "$VPNTUND_BUILD/vpntunctl" -s "$VT_TMP/r1.sock" status --json |
	"$VT_PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["rules"], d["reload"]["last"])')" 	"1 ok" "rules and last reload of the detached daemon"

kill -TERM "$pid"
wait_until 10 vt_dead "$pid" || fail "detached daemon did not exit within 10 s of SIGTERM"
if ip -n "$r1" link show "$VT_TUN" >/dev/null 2>&1; then
	fail "detached daemon left $VT_TUN"
fi
[ -z "$(ip -n "$r1" route show 172.16.0.0/24)" ] || fail "detached daemon left its route"
[ ! -e "$VT_TMP/r1.sock" ] || fail "detached daemon left its control socket"
vt_stop c

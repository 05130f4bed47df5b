#!/usr/bin/env bash
# Restarts with static keys (paper 6.1): after a remote or the central
# restarts, the tunnel works again within 2 s, the restarted sender never
# reuses a sequence number (its seq_out only grows, the peer counts no
# replays), and anti-replay still drops an old captured packet.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init restart
vt_topology v4
vt_write_configs udp v4 aes-gcm
vt_start c
vt_start r1
vt_ping l1 172.16.0.10 3
vt_udp_listen lc 7000 "$VT_TMP/udp.log"

# an old packet to replay later
vt_capture_start inet tor1 198.18.1.2 198.18.0.1 800 "$VT_TMP/old.pkt"
vt_udp_send l1 172.16.0.10 7000 "old" 1 900
vt_capture_wait "$VT_TMP/old.pkt"
wait_until 10 vt_cmp 'vt_lines "$VT_TMP/udp.log" "old 0"' -ge 1 || fail "datagram 'old' missing"

# traffic keeps flowing through the restarts
vt_bg bgping ip netns exec "$(vt_ns l1)" ping -n -i 0.2 -W 1 -w 120 172.16.0.10

# back within 2 s of SITE being up: l1 pings every 0.2 s from vt_start's return
vt_back_within_2s() {
	local t0 t
	t0=$(vt_now_ms)
	while :; do
		if vt_ping1 l1 172.16.0.10 0.3; then
			t=$(($(vt_now_ms) - t0))
			vt_log_msg "tunnel back after $1 restart in $t ms"
			[ "$t" -le 2000 ] || fail "tunnel back after $t ms (> 2000) after $1 restarted"
			return 0
		fi
		t=$(($(vt_now_ms) - t0))
		[ "$t" -le 2000 ] || fail "tunnel not back 2 s after $1 restarted"
		sleep 0.2
	done
}

vt_replay_dropped() { # what: the old packet is dropped as a replay again
	local rep0
	rep0=$(vt_peer_counter c r1 drops.replay)
	vt_inject inet "$VT_TMP/old.pkt"
	wait_until 10 vt_cmp 'vt_peer_counter c r1 drops.replay' -ge $((rep0 + 1)) ||
		fail "$1: old packet not dropped as a replay (drops.replay $(vt_peer_counter c r1 drops.replay))"
	assert_eq "$(vt_lines "$VT_TMP/udp.log" "old 0")" 1 "$1: old datagram delivered again"
}
vt_replay_dropped "before restarts"

# --- restart the remote
seq1=$(vt_peer_counter r1 central seq_out)
rep1=$(vt_peer_counter c r1 drops.replay)
assert_gt "$seq1" 0 "r1 seq_out before restart"
vt_stop r1
vt_start r1
vt_back_within_2s r1
vt_ping l1 172.16.0.10 5
seq2=$(vt_peer_counter r1 central seq_out)
assert_gt "$seq2" "$seq1" "r1 seq_out after its restart"
assert_eq "$(vt_peer_counter c r1 drops.replay)" "$rep1" "central: replay drops after r1 restarted"
assert_eq "$(vt_peer_counter c r1 drops.auth)" 0 "central: auth drops after r1 restarted"
vt_replay_dropped "after r1 restart"

# --- restart the central (its endpoint for r1 is dynamic: learnt again
# from r1's next packet)
cseq1=$(vt_peer_counter c r1 seq_out)
rrep1=$(vt_peer_counter r1 central drops.replay)
assert_gt "$cseq1" 0 "central seq_out to r1 before restart"
vt_stop c
vt_start c
vt_back_within_2s central
vt_ping l1 172.16.0.10 5
vt_ping lc 10.2.1.10 3
cseq2=$(vt_peer_counter c r1 seq_out)
assert_gt "$cseq2" "$cseq1" "central seq_out after its restart"
assert_eq "$(vt_peer_counter r1 central drops.replay)" "$rrep1" "r1: replay drops after the central restarted"
assert_eq "$(vt_peer_counter r1 central drops.auth)" 0 "r1: auth drops after the central restarted"
vt_replay_dropped "after central restart"

# --- a second instance with the same config is refused and disturbs
# nothing: the control socket answers, so it is in use
rc=0
out=$(ip netns exec "$(vt_ns r1)" timeout 20 "$VPNTUND_BUILD/vpntund" -f -c "$(vt_conf r1)" 2>&1) || rc=$?
if [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ]; then
	fail "a second r1 started (exit $rc): $out"
fi
vt_log_msg "second instance: exit $rc: $(tail -n 1 <<<"$out")"
vt_alive r1 || fail "the first r1 died"
vt_ctl r1 status >/dev/null || fail "the first r1's control socket no longer answers"
vt_ping l1 172.16.0.10 2

# --- a crash (SIGKILL): no clean-up ran, the control socket is stale; the
# next start must take it over and still never reuse a sequence number
seq3=$(vt_peer_counter r1 central seq_out)
rep3=$(vt_peer_counter c r1 drops.replay)
pid=${VT_PID[r1]}
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
unset "VT_PID[r1]"
[ -e "$(vt_sock r1)" ] || vt_log_msg "note: no stale socket left by SIGKILL"
wait_until 10 bash -c "! ip -n $(vt_ns r1) link show $VT_TUN >/dev/null 2>&1" ||
	fail "tun of the killed r1 still there"
vt_start r1
vt_back_within_2s "r1 (after SIGKILL)"
vt_ping l1 172.16.0.10 3
seq4=$(vt_peer_counter r1 central seq_out)
assert_gt "$seq4" "$seq3" "r1 seq_out after a crash"
assert_eq "$(vt_peer_counter c r1 drops.replay)" "$rep3" "central: replay drops after r1 crashed"
vt_replay_dropped "after r1 crash"

# the background ping saw replies after both restarts
kill -INT "$VT_BG_PID" 2>/dev/null || true
wait_until 5 vt_dead "$VT_BG_PID" || true
grep -q "bytes from 172.16.0.10" "$VT_TMP/bgping.out" || fail "background ping got no replies"
vt_stop r1
vt_stop c

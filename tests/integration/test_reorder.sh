#!/usr/bin/env bash
# The anti-replay window with packets out of order (RFC 4303 3.4.3,
# replay-window 64): packets that the "internet" held back from the
# central are captured and played to it in a shuffled order. Late packets
# inside the window are delivered once; duplicates and packets older than
# the window are dropped as replays.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init reorder
vt_topology v4
VT_LOG_LEVEL=info
# No keepalives from r1: one would move the window's top while the
# captured packets are played, and the test counts from that top.
VT_EXTRA_PEER_r1=$'\tkeepalive 0'
vt_write_configs udp v4 aes-cbc/hmac-sha1-96
vt_start c
vt_start r1
vt_ping l1 172.16.0.10 2
vt_udp_listen lc 7000 "$VT_TMP/udp.log"

# 80 packets r1 -> central, captured on their way and kept from the
# central (packets captured before a restart would be refused after it)
vt_cut 198.18.0.1
vt_capture_start inet tor1 198.18.1.2 198.18.0.1 600 "$VT_TMP/p" esp 80
vt_udp_send l1 172.16.0.10 7000 "p" 80 700
vt_capture_wait "$VT_TMP/p"
vt_uncut 198.18.0.1
assert_eq "$(vt_lines "$VT_TMP/udp.log" "^10.2.1.10 p ")" 0 "datagrams that reached lc while cut off"
declare -A file_of=()
top=0
for ((i = 0; i < 80; i++)); do
	read -r _ seq _ < <(vt_espinfo "$VT_TMP/p.$i")
	file_of[$seq]=$VT_TMP/p.$i
	[ "$seq" -gt "$top" ] && top=$seq
done
[ "${#file_of[@]}" -eq 80 ] || fail "captured ${#file_of[@]} distinct sequence numbers, want 80"
[ -n "${file_of[$((top - 79))]:-}" ] || fail "captured sequence numbers are not consecutive"

# play: SEQ_OFFSET (from the newest) and the expected outcome
delivered=0 replays=0
rep0=$(vt_peer_counter c r1 drops.replay)
play() {
	local off=$1 want=$2 seq=$((top - $1)) in0 rp0
	in0=$(vt_peer_counter c r1 packets_in)
	rp0=$(vt_peer_counter c r1 drops.replay)
	vt_inject inet "${file_of[$seq]}"
	if [ "$want" = ok ]; then
		wait_until 10 vt_cmp 'vt_peer_counter c r1 packets_in' -gt "$in0" ||
			fail "top-$off (seq $seq): not accepted (drops $(vt_peer c r1 'p["drops"]'))"
		delivered=$((delivered + 1))
	else
		wait_until 10 vt_cmp 'vt_peer_counter c r1 drops.replay' -gt "$rp0" ||
			fail "top-$off (seq $seq): not dropped as a replay (packets_in $(vt_peer_counter c r1 packets_in))"
		replays=$((replays + 1))
	fi
}
play 0 ok          # the newest first: the window's top
play 69 replay     # never seen, but older than the window
play 59 ok         # late, inside the window
play 1 ok
play 59 replay     # duplicate
play 0 replay      # duplicate of the top
play 63 ok         # the oldest number the window holds
play 64 replay     # just outside it
play 30 ok
play 2 ok
assert_eq "$(vt_peer_counter c r1 drops.replay)" $((rep0 + replays)) "central: replay drops"
assert_eq "$(vt_peer c r1 'sum(p["drops"].values())')" $((rep0 + replays)) "central: drops other than replay"
# what lc got: each accepted packet once (the datagram index is the
# packet's position among the 80)
wait_until 10 vt_cmp 'vt_lines "$VT_TMP/udp.log" "^10.2.1.10 p "' -ge "$delivered" ||
	fail "lc got $(vt_lines "$VT_TMP/udp.log" "^10.2.1.10 p ") datagrams, want $delivered"
assert_eq "$(vt_lines "$VT_TMP/udp.log" "^10.2.1.10 p ")" "$delivered" "datagrams delivered"
assert_eq "$(sort "$VT_TMP/udp.log" | uniq -d | wc -l)" 0 "datagrams delivered twice"
for off in 0 59 1 63 30 2; do
	grep -qx "10.2.1.10 p $((79 - off))" "$VT_TMP/udp.log" || fail "datagram $((79 - off)) (top-$off) missing"
done
# the live tunnel carries on above the replayed numbers
vt_ping l1 172.16.0.10 3
vt_stop r1
vt_stop c

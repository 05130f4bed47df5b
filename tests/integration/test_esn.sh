#!/usr/bin/env bash
# Sequence numbers near 2^32 (RFC 4303 2.2.1, 3.3.3, appendix A). Keying
# manual keeps its numbers in the state file, so primed state files make r1
# and r2 start 1000 numbers below 2^32 (and the central's windows just
# below that). With extended sequence numbers (esn yes) traffic crosses the
# boundary without a hitch, for an AEAD suite (r1) and an HMAC suite (r2);
# without ESN the sender stops at 2^32 - 1 (the largest `lifetime packets`
# allows there) instead of cycling, and the central never sees a repeated
# number. Derived keying begins every epoch at 1: with ESN and a small
# `lifetime packets` the epochs follow each other without a drop.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init esn
vt_topology v4
VT_LOG_LEVEL=info
start=$((4294967296 - 1000))

# prime SITE LINE...: a v2 state file with these marks (site.conf(5)
# KEYING AND RESTARTS: "out|in 0x<SPI> <mark>")
prime() {
	local f=$VT_TMP/$1.state
	shift
	printf '# vpntund state v2\n' >"$f"
	printf '%s\n' "$@" >>"$f"
	chmod 600 "$f"
}

# prime_all R...: the central's windows for R just below $start, R's
# next outbound number $start + 1. The SPIs come from a first, fresh start
# of the central (manual SAs use their base SPIs).
prime_all() {
	local r c_lines=() in out
	rm -f "$VT_TMP"/*.state
	vt_start c
	for r in "$@"; do
		in=$(vt_peer c "$r" 'p["spi_in"]') out=$(vt_peer c "$r" 'p["spi_out"]')
		assert_eq "$(vt_peer c "$r" 'p["keying"]')" manual "central: keying of $r"
		c_lines+=("out $out 0" "in $in $start")
		prime "$r" "out $in $start" "in $out 0"
	done
	vt_stop c
	prime c "${c_lines[@]}"
}

# --- with ESN
VT_EXTRA_PEER_c_r1=$'\tesn yes\n\tkeying manual' VT_EXTRA_PEER_c_r2=$'\tesn yes\n\tkeying manual'
VT_EXTRA_PEER_r1=$'\tesn yes\n\tkeying manual' VT_EXTRA_PEER_r2=$'\tesn yes\n\tkeying manual'
vt_write_configs udp v4 aes-gcm aes-cbc/hmac-sha256-128
prime_all r1 r2
vt_start c
vt_start r1
vt_start r2
vt_ping l1 172.16.0.10 2
vt_ping l2 172.16.0.10 2
assert_gt "$(vt_peer_counter r1 central seq_out)" "$start" "r1 starts above the state file's mark"
assert_gt "$(vt_peer_counter r2 central seq_out)" "$start" "r2 starts above the state file's mark"
vt_tcp_xfer l1 lc 172.16.0.10 2097152 6001 &
x1=$!
vt_tcp_xfer l2 lc 172.16.0.10 2097152 6002 &
x2=$!
wait "$x1" || fail "TCP from l1 across 2^32 failed"
wait "$x2" || fail "TCP from l2 across 2^32 failed"
vt_ping l1 172.16.0.10 3
vt_ping l2 172.16.0.10 3
for r in r1 r2; do
	assert_gt "$(vt_peer_counter "$r" central seq_out)" 4294967296 "$r seq_out crossed 2^32"
	assert_gt "$(vt_sa c "$r" in top)" 4294967296 "central: window top for $r crossed 2^32"
	assert_eq "$(vt_peer c "$r" 'sum(p["drops"].values())')" 0 "central: drops of $r across 2^32 with ESN"
done
vt_stop r2
vt_stop r1
vt_stop c

# --- without ESN: r1 stops at 2^32 - 1. A manual SA counts every packet
# under its key towards its lifetime, so the lifetime must allow them all.
VT_EXTRA_PEER_c_r1=$'\tkeying manual' VT_EXTRA_PEER_c_r2=""
VT_EXTRA_PEER_r1=$'\tkeying manual\n\tlifetime packets 4294967295' VT_EXTRA_PEER_r2=""
vt_write_configs udp v4 aes-gcm aes-cbc/hmac-sha256-128
prime_all r1
vt_start c
vt_start r1
vt_ping l1 172.16.0.10 2
vt_udp_listen lc 7000 "$VT_TMP/udp.log"
vt_udp_send l1 172.16.0.10 7000 "last" 1100 100
# what got through is below 2^32, and sending stopped there
wait_until 10 grep -q "reached its hard lifetime (4294967295 packets" "$(vt_log r1)" ||
	fail "r1 did not report that its SA reached the last sequence number"
seq=$(vt_peer_counter r1 central seq_out)
assert_eq "$seq" 4294967295 "r1 seq_out without ESN stops at 2^32 - 1"
assert_eq "$(vt_sa r1 central out spent)" true "r1: SA spent at 2^32 - 1"
assert_ge "$(vt_sa r1 central out drops.lifetime)" 1 "r1: packets held back at 2^32 - 1"
pin=$(vt_peer_counter c r1 packets_in)
vt_ping_fails l1 172.16.0.10
assert_eq "$(vt_peer_counter c r1 packets_in)" "$pin" "central: packets_in after the last number"
assert_ge 4294967295 "$(vt_sa c r1 in top)" "central: window top without ESN"
assert_eq "$(vt_peer c r1 'sum(p["drops"].values())')" 0 "central: drops of r1 (nothing cycled)"
got=$(vt_lines "$VT_TMP/udp.log" last)
assert_ge "$got" 900 "datagrams delivered before the last number"
[ "$got" -lt 1100 ] || fail "all 1100 datagrams delivered: the counter must have cycled"
# the reason is in the log once, not per packet
assert_eq "$(grep -c "reached its hard lifetime" "$(vt_log r1)")" 1 "r1: hard lifetime messages"
! grep -q "exhausted" "$(vt_log r1)" || fail "r1 reached ESP's own exhaustion check: the lifetime should stop it first"
vt_stop r1
vt_stop c

# --- derived keying with ESN: numbers begin at 1 in every epoch, and a
# small lifetime makes r1 move to new epochs while the window keeps up
VT_EXTRA_PEER_c_r1=$'\tesn yes' VT_EXTRA_PEER_r1=$'\tesn yes\n\tlifetime packets 64'
vt_write_configs udp v4 aes-gcm aes-cbc/hmac-sha256-128
vt_start c
vt_start r1
vt_tcp_xfer l1 lc 172.16.0.10 262144 6003
vt_ping l1 172.16.0.10 3
assert_ge "$(vt_sa r1 central out epochs_begun)" 3 "r1: epochs begun with lifetime packets 64"
assert_ge "$(vt_sa c r1 in epochs_taken)" 3 "central: r1's epochs taken"
assert_eq "$(vt_sa c r1 in epoch)" "$(vt_sa r1 central out epoch)" "epoch of r1 -> central on both ends"
assert_eq "$(vt_sa c r1 in spi)" "$(vt_sa r1 central out spi)" "SPI of r1 -> central on both ends"
assert_ge 64 "$(vt_sa r1 central out seq)" "r1: numbers of the current epoch"
assert_eq "$(vt_peer c r1 'sum(p["drops"].values())')" 0 "central: drops of r1 across epochs with ESN"
vt_stop r1
vt_stop c

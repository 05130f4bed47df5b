#!/usr/bin/env bash
# Sequence numbers near 2^32 (RFC 4303 2.2.1, 3.3.3, appendix A): the state
# file makes r1 and r2 start 1000 numbers below 2^32. With extended sequence
# numbers (esn yes) traffic crosses the boundary without a hitch, for an
# AEAD suite (r1) and an HMAC suite (r2); without ESN the sender stops at
# 2^32 - 1 instead of cycling, and the central never sees a repeated number.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init esn
vt_topology v4
VT_LOG_LEVEL=info
start=$((4294967296 - 1000))

# state files that put the next outbound number of r1 and r2 at $start + 1
prime_state() { # SITE SPI
	printf '# vpntund sequence state v1\nspi %s reserved %s\n' "$2" "$start" >"$VT_TMP/$1.state"
	chmod 600 "$VT_TMP/$1.state"
}

# --- with ESN
VT_EXTRA_PEER_c_r1=$'\tesn yes' VT_EXTRA_PEER_c_r2=$'\tesn yes'
VT_EXTRA_PEER_r1=$'\tesn yes' VT_EXTRA_PEER_r2=$'\tesn yes'
vt_write_configs udp v4 aes-gcm aes-cbc/hmac-sha256-128
vt_start c
prime_state r1 "$(vt_peer c r1 'p["spi_in"]')"
prime_state r2 "$(vt_peer c r2 'p["spi_in"]')"
vt_start r1
vt_start r2
vt_ping l1 172.16.0.10 2
vt_ping l2 172.16.0.10 2
assert_gt "$(vt_peer_counter r1 central seq_out)" "$start" "r1 starts above the state file's mark"
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
	assert_eq "$(vt_peer c "$r" 'sum(p["drops"].values())')" 0 "central: drops of $r across 2^32 with ESN"
done
vt_stop r2
vt_stop r1
vt_stop c

# --- without ESN: r1 stops at 2^32 - 1
VT_EXTRA_PEER_c_r1="" VT_EXTRA_PEER_c_r2="" VT_EXTRA_PEER_r1="" VT_EXTRA_PEER_r2=""
vt_write_configs udp v4 aes-gcm aes-cbc/hmac-sha256-128
vt_start c
prime_state r1 "$(vt_peer c r1 'p["spi_in"]')"
vt_start r1
vt_ping l1 172.16.0.10 2
vt_udp_listen lc 7000 "$VT_TMP/udp.log"
vt_udp_send l1 172.16.0.10 7000 "last" 1100 100
# what got through is below 2^32, and sending stopped there
wait_until 10 grep -q "exhausted" "$(vt_log r1)" || fail "r1 did not report exhausted sequence numbers"
seq=$(vt_peer_counter r1 central seq_out)
assert_eq "$seq" 4294967295 "r1 seq_out without ESN stops at 2^32 - 1"
pin=$(vt_peer_counter c r1 packets_in)
vt_ping_fails l1 172.16.0.10
assert_eq "$(vt_peer_counter c r1 packets_in)" "$pin" "central: packets_in after exhaustion"
assert_eq "$(vt_peer c r1 'sum(p["drops"].values())')" 0 "central: drops of r1 (nothing cycled)"
got=$(vt_lines "$VT_TMP/udp.log" last)
assert_ge "$got" 900 "datagrams delivered before exhaustion"
[ "$got" -lt 1100 ] || fail "all 1100 datagrams delivered: the counter must have cycled"
# the reason is in the log, once in a while, not per packet
n=$(grep -c "exhausted" "$(vt_log r1)")
[ "$n" -le 20 ] || fail "r1 logged 'exhausted' $n times: not rate-limited"
vt_stop r1
vt_stop c

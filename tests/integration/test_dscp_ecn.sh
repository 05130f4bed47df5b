#!/usr/bin/env bash
# DSCP and ECN across the tunnel (RFC 6040 normal mode, vpntund(8)): the
# outer header copies the inner DSCP and ECN; at decapsulation an outer CE
# marks an ECN-capable inner packet CE, and an outer CE over a Not-ECT inner
# packet is dropped (counted malformed). The outer TOS is not covered by the
# ICV, so the test rewrites it on captured packets and plays them to the
# central, whose window has not seen them: the "internet" held them back
# (packets captured before a restart are refused afterwards by design).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init dscp_ecn
vt_topology v4
vt_write_configs udp v4 aes-gcm
vt_start c
vt_start r1
vt_ping l1 172.16.0.10 2
vt_udp_listen lc 7000 "$VT_TMP/udp.log"

# 1. encapsulation copies DSCP and ECN to the outer header
for tos in 0xb8 0x2a 0x01; do    # EF + Not-ECT, AF11 + ECT(0), ECT(1)
	vt_capture_start inet tor1 198.18.1.2 198.18.0.1 600 "$VT_TMP/tos-$tos.pkt"
	vt_udp_send l1 172.16.0.10 7000 "tos-$tos" 1 700 "" "$tos"
	vt_capture_wait "$VT_TMP/tos-$tos.pkt"
	read -r _ _ _ otos < <(vt_espinfo "$VT_TMP/tos-$tos.pkt")
	assert_eq "$otos" "$tos" "outer TOS for inner TOS $tos"
	wait_until 10 grep -qx "tos-$tos 0 $tos" "$VT_TMP/udp.log.tos" ||
		fail "inner TOS $tos not delivered as sent: $(grep "tos-$tos" "$VT_TMP/udp.log.tos")"
done

# 2. capture three packets that never reach the central: one Not-ECT, one
#    ECT(0), one for the DSCP
vt_cut 198.18.0.1
vt_capture_start inet tor1 198.18.1.2 198.18.0.1 600 "$VT_TMP/notect.pkt"
vt_udp_send l1 172.16.0.10 7000 "notect" 1 700 "" 0x00
vt_capture_wait "$VT_TMP/notect.pkt"
vt_capture_start inet tor1 198.18.1.2 198.18.0.1 600 "$VT_TMP/ect.pkt"
vt_udp_send l1 172.16.0.10 7000 "ect" 1 700 "" 0x02
vt_capture_wait "$VT_TMP/ect.pkt"
vt_capture_start inet tor1 198.18.1.2 198.18.0.1 600 "$VT_TMP/dscp.pkt"
vt_udp_send l1 172.16.0.10 7000 "dscp" 1 700 "" 0x00
vt_capture_wait "$VT_TMP/dscp.pkt"
vt_settos "$VT_TMP/notect.pkt" "$VT_TMP/notect-ce.pkt" 0x03
vt_settos "$VT_TMP/ect.pkt" "$VT_TMP/ect-ce.pkt" 0x03
vt_settos "$VT_TMP/dscp.pkt" "$VT_TMP/dscp-ef.pkt" 0xb8
vt_uncut 198.18.0.1
for what in notect ect dscp; do
	assert_eq "$(vt_lines "$VT_TMP/udp.log" "$what")" 0 "datagram '$what' reached lc while cut off"
done

# 3. outer CE over Not-ECT: dropped, counted malformed on the peer
mal0=$(vt_peer_counter c r1 drops.malformed)
vt_inject inet "$VT_TMP/notect-ce.pkt"
wait_until 10 vt_cmp 'vt_peer_counter c r1 drops.malformed' -ge $((mal0 + 1)) ||
	fail "outer CE over Not-ECT: peer r1 drops.malformed $(vt_peer_counter c r1 drops.malformed), expected $((mal0 + 1))"
# 4. outer CE over ECT(0): delivered, marked CE
vt_inject inet "$VT_TMP/ect-ce.pkt"
wait_until 10 grep -q "^ect 0 " "$VT_TMP/udp.log.tos" || fail "ECT(0) packet under outer CE not delivered"
assert_eq "$(sed -n 's/^ect 0 //p' "$VT_TMP/udp.log.tos")" 0x03 "inner TOS of ECT(0) under outer CE"
# 5. an outer DSCP is not copied inward (RFC 6040: DSCP of the outer header
#    is the tunnel's business)
vt_inject inet "$VT_TMP/dscp-ef.pkt"
wait_until 10 grep -q "^dscp 0 " "$VT_TMP/udp.log.tos" || fail "packet with outer EF not delivered"
assert_eq "$(sed -n 's/^dscp 0 //p' "$VT_TMP/udp.log.tos")" 0x00 "inner TOS under outer EF"
assert_eq "$(vt_lines "$VT_TMP/udp.log" notect)" 0 "Not-ECT packet under outer CE delivered"
assert_eq "$(vt_peer_counter c r1 drops.auth)" 0 "central: auth drops (the outer TOS is not authenticated)"
vt_stop r1
vt_stop c

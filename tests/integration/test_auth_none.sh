#!/usr/bin/env bash
# Encryption without integrity (site.conf(5) auth none, the paper's suite):
# `vpntund -n` loads such peers, says what they give away and exits 0;
# traffic flows; a forged packet on the peer's SPI with sequence number
# 0xffffffff (40 bytes of random ciphertext, as anyone on the path can send
# it) decrypts to junk and is dropped and counted: it does not move the
# replay window (which would close the SA: nothing above 0xffffffff exists
# without ESN) nor the endpoint, and genuine traffic goes on. A forgery
# made from a captured packet by changing its sequence number decrypts to
# the genuine inner packet: nothing tells it from the original without an
# ICV, so it may be delivered again, but it must not close the SA or take
# the endpoint either.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib_live.sh"
set -u
vt_init auth_none
vt_topology v4
VT_LOG_LEVEL=info
vt_write_configs udp v4 aes-cbc/none blowfish-cbc/none
declare -A ORIGIN=([r1]=l1 [r2]=l2) LAN=([r1]=10.2.1.10 [r2]=10.2.2.10)

# forge SPI SEQ LEN COUNT: from the internet router, as a stranger
forge() {
	ip netns exec "$(vt_ns inet)" "$VT_PY" - "$@" <<'EOF' || fail "forging failed"
import os, socket, struct, sys
spi, seq, n, count = int(sys.argv[1], 0), int(sys.argv[2], 0), int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.0.254", 4500))
for _ in range(count):
    s.sendto(struct.pack("!II", spi, seq) + os.urandom(n - 8), ("198.18.0.1", 4500))
EOF
}
in_sa() { vt_peer c "$1" "[s for s in p['sas'] if s['kind'] == 'main' and s['dir'] == 'in'][0]['$2']"; }
drops() { vt_peer c "$1" 'sum(p["drops"].values())'; }

# 1. the check loads it, warns for each peer, exits 0
for s in c r1 r2; do
	rc=0
	out=$("$VPNTUND_BUILD/vpntund" -n -c "$(vt_conf "$s")" 2>&1) || rc=$?
	assert_eq "$rc" 0 "vpntund -n $s.conf with auth none: exit status ($out)"
	grep -qx "configuration OK" <<<"$out" || fail "vpntund -n $s.conf: $out"
	for p in $([ "$s" = c ] && echo r1 r2 || echo central); do
		grep -qxF "vpntund: warning: peer \"$p\": auth none: packets are not authenticated: anyone on the path can inject packets or flip bits of captured ones (CBC), and only the inner packet checks stand between them and the tunnel; they cannot read traffic or learn keys; use hmac-sha256-128 or an AEAD cipher" <<<"$out" ||
			fail "vpntund -n $s.conf: no auth-none warning for peer $p: $out"
	done
done

# 2. traffic flows both ways
vt_start c
vt_start r1
vt_start r2
grep -q 'peer "r1": auth none: packets are not authenticated' "$(vt_log c)" ||
	fail "the central did not warn at start"
for r in r1 r2; do
	vt_ping "${ORIGIN[$r]}" 172.16.0.10 3
	vt_ping lc "${LAN[$r]}" 2
done

# 3. forged packets with sequence number 0xffffffff on each peer's SPI,
#    and on the SPI of its next epoch
vt_udp_listen lc 7000 "$VT_TMP/udp.log"
for r in r1 r2; do
	ep=$(vt_peer c "$r" 'p["endpoint"]')
	spi=$(in_sa "$r" spi) top=$(in_sa "$r" top) epoch=$(in_sa "$r" epoch)
	d0=$(drops "$r") in0=$(vt_peer_counter c "$r" packets_in)
	forge "$spi" 0xffffffff 40 20
	forge "$(printf '0x%08x' $((spi ^ 1)))" 0xffffffff 40 20
	wait_until 10 vt_cmp "drops $r" -ge $((d0 + 40)) ||
		fail "$r: 40 forged packets, drops $(vt_peer c "$r" 'p["drops"]') (were $d0 in all)"
	vt_log_msg "$r ($spi): 40 forged packets dropped as $(vt_peer c "$r" 'p["drops"]')"
	assert_eq "$(vt_peer_counter c "$r" packets_in)" "$in0" "$r: packets_in after forgeries"
	assert_eq "$(in_sa "$r" top)" "$top" "$r: window top after forgeries"
	assert_eq "$(in_sa "$r" epoch)" "$epoch" "$r: epoch after forgeries"
	assert_eq "$(vt_peer c "$r" 'p["endpoint"]')" "$ep" "$r: endpoint after forgeries"
	# genuine traffic goes on above the old top
	vt_udp_send "${ORIGIN[$r]}" 172.16.0.10 7000 "after-$r" 5 100
	wait_until 10 vt_cmp "vt_lines '$VT_TMP/udp.log' after-$r" -ge 5 ||
		fail "$r: $(vt_lines "$VT_TMP/udp.log" "after-$r") of 5 datagrams after the forgeries"
	vt_ping "${ORIGIN[$r]}" 172.16.0.10 3
	vt_ping lc "${LAN[$r]}" 2
	t=$(in_sa "$r" top)
	assert_gt "$t" "$top" "$r: window top after genuine traffic"
	[ "$t" -lt 4294967295 ] || fail "$r: window top at $t"
	assert_eq "$(vt_peer c "$r" 'p["endpoint"]')" "$ep" "$r: endpoint after genuine traffic"
	assert_eq "$(vt_peer_counter c "$r" drops.replay)" 0 "$r: genuine packets dropped as replays"
done
vt_alive c || fail "the central died"

# 4. the same forgery made from a capture: one of r1's packets with its
#    sequence number set to 0xffffffff, sent by a stranger. Without an ICV
#    it decrypts to the genuine inner packet, which passes every inner
#    check; it must still neither move the window to its end (which closes
#    the SA) nor take the endpoint.
ep=$(vt_peer c r1 'p["endpoint"]') top=$(in_sa r1 top)
vt_capture_start inet tor1 198.18.1.2 198.18.0.1 300 "$VT_TMP/orig.pkt"
vt_udp_send l1 172.16.0.10 7000 "once-only" 1 300
vt_capture_wait "$VT_TMP/orig.pkt"
wait_until 10 vt_cmp 'vt_lines "$VT_TMP/udp.log" once-only' -ge 1 || fail "the captured datagram did not arrive"
read -r _ seq _ < <(vt_espinfo "$VT_TMP/orig.pkt")
vt_tamper "$VT_TMP/orig.pkt" "$VT_TMP/forged.pkt" 4294967295 198.18.0.254
d0=$(drops r1) in0=$(vt_peer_counter c r1 packets_in)
vt_inject inet "$VT_TMP/forged.pkt"
wait_until 5 vt_cmp 'echo $(($(drops r1) + $(vt_peer_counter c r1 packets_in)))' -gt $((d0 + in0)) ||
	fail "the resequenced capture was neither dropped nor delivered"
top2=$(in_sa r1 top) ep2=$(vt_peer c r1 'p["endpoint"]')
n=$(vt_lines "$VT_TMP/udp.log" once-only)
vt_log_msg "resequenced capture (seq $seq -> 4294967295): delivered $n times in all, window top $top -> $top2, endpoint $ep -> $ep2, drops $(vt_peer c r1 'p["drops"]')"
# Delivering the inner packet again cannot be helped without an ICV, nor
# can the window's move (site.conf(5) auth); the endpoint must not follow
# a packet nothing authenticates, and the window must come back: the
# replays that follow make the central ask r1 over the control channel,
# whose HMAC'd answer sets it back.
[ "$n" -eq 1 ] || vt_log_msg "the resequenced capture was delivered again, as auth none allows"
[ "$ep2" = "$ep" ] || fail "auth none: that packet moved r1's endpoint from $ep to $ep2: the central now sends r1's traffic to the forger"
i=0
while [ "$(vt_lines "$VT_TMP/udp.log" " later ")" -eq 0 ] && [ "$i" -lt 30 ]; do
	vt_udp_send l1 172.16.0.10 7000 "later" 1 100
	i=$((i + 1))
	wait_until 0.3 vt_cmp 'vt_lines "$VT_TMP/udp.log" " later "' -ge 1 || true
done
[ "$(vt_lines "$VT_TMP/udp.log" " later ")" -ge 1 ] ||
	fail "auth none: after the forged number, no genuine datagram from r1 crossed in $i tries: the SA stayed closed"
if [ "$top2" != "$top" ]; then
	grep -q "had been pushed to 4294967295, beyond what it sent" "$(vt_log c)" ||
		fail "auth none: the window went back without the warning"
	assert_eq "$(vt_peer c r1 'p["endpoint"]')" "$ep" "r1's endpoint after the window went back"
fi
vt_log_msg "auth none: genuine traffic back after $i tries"
vt_stop r2
vt_stop r1
vt_stop c
vtl_done

#!/usr/bin/env bash
# ESP in UDP (RFC 3948) over outer IPv4: a remote office host reaches the
# central hospital LAN through a funnel and the overlays reach each other;
# a 1 MB TCP transfer and UDP datagrams arrive intact; the daemons count it.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init ping_v4
vt_topology v4
vt_write_configs udp v4 aes-gcm
vt_start c
vt_start r1

# remote office -> hospital host (funnel), then the way back
vt_ping l1 172.16.0.10 5
vt_ping lc 10.2.1.10 3
# overlay <-> overlay: r1's tun address talks to the central's
vt_ping r1 10.1.0.1 3
vt_ping c 10.1.1.1 3

# the daemons installed routes into their tun for the remote networks
ip -n "$(vt_ns r1)" route show 172.16.0.0/24 | grep -q "dev $VT_TUN" ||
	fail "r1 has no route to 172.16.0.0/24 via $VT_TUN"
ip -n "$(vt_ns c)" route show 10.2.1.0/24 | grep -q "dev $VT_TUN" ||
	fail "central has no route to 10.2.1.0/24 via $VT_TUN"

vt_tcp_xfer l1 lc 172.16.0.10 1048576
vt_tcp_xfer lc l1 10.2.1.10 262144

vt_udp_listen lc 7000 "$VT_TMP/udp.log"
vt_udp_send l1 172.16.0.10 7000 "udp-over-esp" 20 1200
wait_until 10 vt_cmp 'vt_lines "$VT_TMP/udp.log"' -ge 20 ||
	fail "UDP: $(vt_lines "$VT_TMP/udp.log") of 20 datagrams arrived"
for i in 0 7 19; do
	grep -qx "10.2.1.10 udp-over-esp $i" "$VT_TMP/udp.log" ||
		fail "UDP datagram $i missing or altered"
done
assert_eq "$(vt_lines "$VT_TMP/udp.log")" 20 "UDP datagrams delivered exactly once"

# counters: central's view of r1 and r1's view of the central
pin=$(vt_peer_counter c r1 packets_in)
bin=$(vt_peer_counter c r1 bytes_in)
assert_ge "$pin" 700 "central: packets_in from r1"
assert_gt "$bin" 1000000 "central: bytes_in from r1"
assert_gt "$(vt_peer_counter r1 central bytes_out)" 1000000 "r1: bytes_out to central"
assert_gt "$(vt_peer_counter c r1 bytes_out)" 262144 "central: bytes_out to r1"
assert_eq "$(vt_peer c r1 'sum(p["drops"].values())')" 0 "central: drops of peer r1"
assert_eq "$(vt_peer r1 central 'sum(p["drops"].values())')" 0 "r1: drops of peer central"
# the text status answers too
vt_ctl c status | grep -q r1 || fail "text status does not name peer r1"
# keys appear nowhere: not in the logs (at debug level), not in the status
for k in "$VT_TMP/r1.key" "$VT_TMP/r2.key"; do
	while read -r hex; do
		for chunk in "${hex:0:16}" "${hex:32:16}" "${hex: -16}"; do
			for f in "$(vt_log c)" "$(vt_log r1)"; do
				! grep -qi -- "$chunk" "$f" || fail "key material of $k in $f"
			done
			! vt_status c | grep -qi -- "$chunk" || fail "key material of $k in the status"
		done
	done < <(grep -v '^#' "$k")
done
vt_stop r1
vt_stop c

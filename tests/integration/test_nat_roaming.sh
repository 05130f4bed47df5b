#!/usr/bin/env bash
# Dynamic endpoints (RFC 3948 NAT traversal, the paper's cable modems): the
# central learns where a remote is from the remote's fresh answer to its
# synchronisation request, and then answers where authenticated traffic
# that moves the window forward comes from, so a remote whose address or
# port changes keeps its tunnel; an RFC 3948 NAT keepalive (unauthenticated)
# and a replayed or forged packet from another address never move the
# endpoint. Keepalives are authenticated ESP dummy packets (next header 59)
# on the data SA, and they are not counted as errors.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init nat_roaming
vt_topology v4
VT_EXTRA_PEER_r1=$'\tkeepalive 1'
# Step 2 looks at vpntund's own check of a static peer's source: the
# kernel filter (test_socket_filter.sh) would not let the stranger in.
VT_EXTRA_SITE_r1=$'\tsocket-filter no'
vt_write_configs udp v4 aes-cbc/hmac-sha256-128
# r1 sends from whatever address it has (a DHCP lease that changes)
sed -i 's/^\touter .*/\touter any/' "$(vt_conf r1)"
r1=$(vt_ns r1)
vt_start c
vt_udp_listen lc 7000 "$VT_TMP/udp.log"

# 0. before r1 runs, the central does not know where r1 is: its packets
#    for r1 are dropped (no_endpoint); an RFC 3948 NAT keepalive from r1's
#    address, which anyone can send, teaches it nothing and costs nothing.
#    An ESP packet with an unknown SPI after it (no_sa) shows that the
#    keepalive was read.
mal0=$(vt_counter c 'd["drops"]["malformed"]')
nosa0=$(vt_counter c 'd["drops"]["no_sa"]')
ip netns exec "$r1" "$VT_PY" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.1.2", 4500))
s.sendto(b"\xff", ("198.18.0.1", 4500))
s.sendto(bytes.fromhex("0badf00d00000001") + bytes(48), ("198.18.0.1", 4500))
' || fail "sending a NAT keepalive from r1's address"
wait_until 10 vt_cmp 'vt_counter c "d[\"drops\"][\"no_sa\"]"' -ge $((nosa0 + 1)) ||
	fail "the packet after the NAT keepalive was not counted no_sa"
assert_eq "$(vt_peer c r1 'p["endpoint"]')" null "r1's endpoint after a NAT keepalive only"
assert_eq "$(vt_counter c 'd["drops"]["malformed"]')" "$mal0" "central: malformed drops from a NAT keepalive"
noep0=$(vt_counter c 'd["drops"]["no_endpoint"]')
vt_ping_fails lc 10.2.1.10
assert_ge "$(vt_counter c 'd["drops"]["no_endpoint"]')" $((noep0 + 2)) "central: no_endpoint drops"
assert_eq "$(vt_peer_counter c r1 packets_out)" 0 "central: packets_out to r1 without endpoint"

# 1. r1 starts: it asks the central, the central asks back, and r1's fresh
#    answer tells the central where r1 is, before any data
vt_start r1
assert_eq "$(vt_peer c r1 'p["endpoint"]')" 198.18.1.2:4500 "r1's endpoint as learnt from its answer"
assert_ge "$(vt_peer_counter c r1 sync.answers_in)" 1 "central: answers from r1"
assert_eq "$(vt_peer_counter c r1 packets_in)" 0 "central: packets_in from r1 before any data"
vt_ping l1 172.16.0.10 3

# 1b. keepalives: ESP dummy packets on r1's data SA after a second without
#     traffic, each with the next sequence number; the central counts
#     them as keepalives, not as packets or drops
ka0=$(vt_peer_counter c r1 liveness.keepalives_in)
pin0=$(vt_peer_counter c r1 packets_in)
vt_capture_start inet tor1 198.18.1.2 198.18.0.1 0 "$VT_TMP/ka" esp 2
vt_capture_wait "$VT_TMP/ka"
read -r kspi1 kseq1 _ < <(vt_espinfo "$VT_TMP/ka.0")
read -r kspi2 kseq2 _ < <(vt_espinfo "$VT_TMP/ka.1")
cur=$(vt_sa c r1 in spi)
assert_eq "$kspi1" "$((cur))" "keepalive 1: SPI of r1's data SA"
assert_eq "$kspi2" "$((cur))" "keepalive 2: SPI of r1's data SA"
assert_eq "$kseq2" $((kseq1 + 1)) "keepalive 2: sequence number"
wait_until 10 vt_cmp 'vt_peer_counter c r1 liveness.keepalives_in' -ge $((ka0 + 2)) ||
	fail "central: keepalives_in from r1 $(vt_peer_counter c r1 liveness.keepalives_in), expected >= $((ka0 + 2))"
assert_ge "$(vt_peer_counter r1 central liveness.keepalives_out)" 2 "r1: keepalives_out"
assert_eq "$(vt_peer_counter c r1 liveness.state)" up "central: r1's liveness"
assert_eq "$(vt_peer_counter c r1 packets_in)" "$pin0" "central: packets_in after keepalives"
assert_eq "$(vt_counter c 'd["drops"]["malformed"]')" "$mal0" "central: malformed drops after keepalives"
assert_eq "$(vt_peer c r1 'sum(p["drops"].values())')" 0 "central: drops of r1 after keepalives"

# 2. an old packet replayed, and a forgery, from another address
vt_capture_start inet tor1 198.18.1.2 198.18.0.1 600 "$VT_TMP/orig.pkt"
vt_udp_send l1 172.16.0.10 7000 "roam" 1 700
vt_capture_wait "$VT_TMP/orig.pkt"
read -r _ seq _ < <(vt_espinfo "$VT_TMP/orig.pkt")
vt_tamper "$VT_TMP/orig.pkt" "$VT_TMP/spoof.pkt" "$seq" 198.18.2.99
vt_tamper "$VT_TMP/orig.pkt" "$VT_TMP/forged.pkt" $((seq + 50)) 198.18.2.99
rep0=$(vt_peer_counter c r1 drops.replay)
auth0=$(vt_peer_counter c r1 drops.auth)
vt_inject inet "$VT_TMP/spoof.pkt"
vt_inject inet "$VT_TMP/forged.pkt"
wait_until 10 vt_cmp 'vt_peer_counter c r1 drops.replay' -ge $((rep0 + 1)) ||
	fail "spoofed replay not dropped as a replay"
wait_until 10 vt_cmp 'vt_peer_counter c r1 drops.auth' -ge $((auth0 + 1)) ||
	fail "spoofed forgery not dropped as auth"
assert_eq "$(vt_peer c r1 'p["endpoint"]')" 198.18.1.2:4500 "endpoint after spoofed packets"
assert_eq "$(vt_lines "$VT_TMP/udp.log" roam)" 1 "datagram delivered once"
vt_ping lc 10.2.1.10 2

# 2b. r1's peer, the central, is static: ESP on its SPI from any other
#     address is refused before authentication (counted policy)
vt_capture_start inet tor1 198.18.0.1 198.18.1.2 600 "$VT_TMP/c2r1.pkt"
vt_udp_listen l1 7001 "$VT_TMP/l1udp.log"
vt_udp_send lc 10.2.1.10 7001 "to-r1" 1 700
vt_capture_wait "$VT_TMP/c2r1.pkt"
read -r _ cseq _ < <(vt_espinfo "$VT_TMP/c2r1.pkt")
vt_tamper "$VT_TMP/c2r1.pkt" "$VT_TMP/c2r1-spoof.pkt" $((cseq + 10)) 198.18.0.77
pol0=$(vt_peer_counter r1 central drops.policy)
vt_inject inet "$VT_TMP/c2r1-spoof.pkt"
wait_until 10 vt_cmp 'vt_peer_counter r1 central drops.policy' -ge $((pol0 + 1)) ||
	fail "r1: ESP from 198.18.0.77 on the central's SPI not counted as policy (drops $(vt_peer r1 central 'p["drops"]'))"
assert_eq "$(vt_peer_counter r1 central drops.auth)" 0 "r1: auth drops (refused before the ICV)"
wait_until 10 vt_cmp 'vt_lines "$VT_TMP/l1udp.log" to-r1' -ge 1 || fail "datagram to l1 missing"
assert_eq "$(vt_lines "$VT_TMP/l1udp.log" to-r1)" 1 "datagram to l1 delivered once"
vt_ping l1 172.16.0.10 2

# 3. the remote's address changes (new lease): its next keepalive, which
#    is authenticated and moves the window forward, takes the central along
#    before any data is sent
ip netns exec "$r1" sysctl -qw net.ipv4.conf.wan0.promote_secondaries=1
ip -n "$r1" addr add 198.18.1.3/24 dev wan0
ip -n "$r1" addr del 198.18.1.2/24 dev wan0
ip -n "$r1" route replace default via 198.18.1.254
pin0=$(vt_peer_counter c r1 packets_in)
wait_until 10 vt_cmp 'vt_peer c r1 "p[\"endpoint\"]"' = 198.18.1.3:4500 ||
	fail "endpoint after r1's address changed: $(vt_peer c r1 'p["endpoint"]'), expected 198.18.1.3:4500"
assert_eq "$(vt_peer_counter c r1 packets_in)" "$pin0" "central: packets_in when it followed r1"
grep -q "peer r1: endpoint 198.18.1.3:4500 (was 198.18.1.2:4500)" "$(vt_log c)" ||
	fail "central did not log the endpoint change"
vt_ping lc 10.2.1.10 3            # the central's answers go to the new address
vt_ping l1 172.16.0.10 3

# 4. the remote's port changes (NAT rebinding, here with a restart): the
#    synchronisation at r1's start takes the central along
vt_stop r1
sed -i 's/^\tport 4500$/\tport 4501/' "$(vt_conf r1)"
grep -q "port 4501" "$(vt_conf r1)" || fail "could not change r1's port"
vt_start r1
assert_eq "$(vt_peer c r1 'p["endpoint"]')" 198.18.1.3:4501 "endpoint after r1's port changed"
grep -q "peer r1: endpoint 198.18.1.3:4501 (was 198.18.1.3:4500)" "$(vt_log c)" ||
	fail "central did not log the port change"
vt_ping l1 172.16.0.10 3
vt_ping lc 10.2.1.10 2
assert_eq "$(vt_peer c r1 'p["drops"]["replay"]')" $((rep0 + 1)) "central: replay drops"
vt_stop r1
vt_stop c

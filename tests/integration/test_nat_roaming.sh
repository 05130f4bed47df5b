#!/usr/bin/env bash
# Dynamic endpoints (RFC 3948 NAT traversal, the paper's cable modems): the
# central answers where authenticated traffic comes from, so a remote whose
# address or port changes keeps its tunnel; a replayed or forged packet from
# another address never moves the endpoint; NAT keepalives are sent and are
# not counted as errors.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init nat_roaming
vt_topology v4
VT_EXTRA_PEER_r1=$'\tkeepalive 1'
vt_write_configs udp v4 aes-cbc/hmac-sha256-128
# r1 sends from whatever address it has (a DHCP lease that changes)
sed -i 's/^\touter .*/\touter any/' "$(vt_conf r1)"
r1=$(vt_ns r1)
vt_start c
vt_start r1
vt_udp_listen lc 7000 "$VT_TMP/udp.log"

# 0. before r1 sent any ESP, the central does not know where r1 is: its
#    packets for r1 are dropped (no_endpoint); a NAT keepalive, which
#    is not authenticated, teaches it nothing
vt_capture_start inet tor1 198.18.1.2 198.18.0.1 0 "$VT_TMP/ka0.pkt" keepalive
vt_capture_wait "$VT_TMP/ka0.pkt"
assert_eq "$(vt_peer c r1 'p["endpoint"]')" null "r1's endpoint after a keepalive only"
noep0=$(vt_counter c 'd["drops"]["no_endpoint"]')
vt_ping_fails lc 10.2.1.10
assert_ge "$(vt_counter c 'd["drops"]["no_endpoint"]')" $((noep0 + 2)) "central: no_endpoint drops"
assert_eq "$(vt_peer_counter c r1 packets_out)" 0 "central: packets_out to r1 without endpoint"
vt_ping l1 172.16.0.10 3
assert_eq "$(vt_peer c r1 'p["endpoint"]')" 198.18.1.2:4500 "r1's endpoint as learnt"

# 1. NAT keepalives (RFC 3948 2.3) flow and cost nothing
mal0=$(vt_counter c 'd["drops"]["malformed"]')
vt_capture_start inet tor1 198.18.1.2 198.18.0.1 0 "$VT_TMP/ka.pkt" keepalive
vt_capture_wait "$VT_TMP/ka.pkt"
vt_capture_start inet tor1 198.18.1.2 198.18.0.1 0 "$VT_TMP/ka2.pkt" keepalive
vt_capture_wait "$VT_TMP/ka2.pkt"
assert_eq "$(vt_counter c 'd["drops"]["malformed"]')" "$mal0" "central: malformed drops from keepalives"
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

# 3. the remote's address changes (new lease): the central follows
ip netns exec "$r1" sysctl -qw net.ipv4.conf.wan0.promote_secondaries=1
ip -n "$r1" addr add 198.18.1.3/24 dev wan0
ip -n "$r1" addr del 198.18.1.2/24 dev wan0
ip -n "$r1" route replace default via 198.18.1.254
vt_ping l1 172.16.0.10 3
assert_eq "$(vt_peer c r1 'p["endpoint"]')" 198.18.1.3:4500 "endpoint after r1's address changed"
grep -q "peer r1: endpoint 198.18.1.3:4500 (was 198.18.1.2:4500)" "$(vt_log c)" ||
	fail "central did not log the endpoint change"
vt_ping lc 10.2.1.10 3            # the central's answers go to the new address

# 4. the remote's port changes (NAT rebinding): the central follows
vt_stop r1
sed -i 's/^\tport 4500$/\tport 4501/' "$(vt_conf r1)"
grep -q "port 4501" "$(vt_conf r1)" || fail "could not change r1's port"
vt_start r1
vt_ping l1 172.16.0.10 3
assert_eq "$(vt_peer c r1 'p["endpoint"]')" 198.18.1.3:4501 "endpoint after r1's port changed"
vt_ping lc 10.2.1.10 2
assert_eq "$(vt_peer c r1 'p["drops"]["replay"]')" $((rep0 + 1)) "central: replay drops"
vt_stop r1
vt_stop c

#!/usr/bin/env bash
# The hub: the central serves r1 and r2 at once, each on its own SA; both
# office LANs reach the hospital LAN. Traffic from r1's office to r2's is
# refused by the central (its policies for r1 do not cover it) even though
# r1 is willing to send it, until the central's config says so.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init many_peers
vt_topology v4
# Both remotes would send office-to-office traffic through the central.
VT_EXTRA_PEER_r1=$'\tfunnel 10.2.1.0/24 <-> 10.2.2.0/24'
VT_EXTRA_PEER_r2=$'\tfunnel 10.2.2.0/24 <-> 10.2.1.0/24'
vt_write_configs udp v4 aes-gcm aes-cbc/hmac-sha256-128
vt_start c
vt_start r1
vt_start r2

# 1. each remote reaches the central LAN, at the same time
vt_ping l1 172.16.0.10 3
vt_ping l2 172.16.0.10 3
vt_ping lc 10.2.1.10 2
vt_ping lc 10.2.2.10 2
vt_ping r2 10.1.0.1 2
vt_tcp_xfer l1 lc 172.16.0.10 524288 6001 &
x1=$!
vt_tcp_xfer l2 lc 172.16.0.10 524288 6002 &
x2=$!
wait "$x1" || fail "TCP transfer from l1 failed"
wait "$x2" || fail "TCP transfer from l2 failed"
assert_gt "$(vt_peer_counter c r1 bytes_in)" 524288 "central: bytes_in from r1"
assert_gt "$(vt_peer_counter c r2 bytes_in)" 524288 "central: bytes_in from r2"
assert_eq "$(vt_peer c r1 'sum(p["drops"].values())')" 0 "central: drops of r1"
assert_eq "$(vt_peer c r2 'sum(p["drops"].values())')" 0 "central: drops of r2"
assert_eq "$(vt_peer c r2 'p["suite"]')" "$(vt_peer r2 central 'p["suite"]')" "r2's suite on both ends"
[ "$(vt_peer c r1 'p["spi_in"]')" != "$(vt_peer c r2 'p["spi_in"]')" ] || fail "r1 and r2 share an SPI"

# 2. r1 office -> r2 office: r1 sends it, the central refuses it
vt_udp_listen l2 7000 "$VT_TMP/l2.log"
pol0=$(vt_peer_counter c r1 drops.policy)
out2=$(vt_peer_counter c r2 packets_out)
vt_udp_send l1 10.2.2.10 7000 "r1-to-r2" 5 200
vt_ping_fails l1 10.2.2.10
wait_until 10 vt_cmp 'vt_peer_counter c r1 drops.policy' -ge $((pol0 + 7)) ||
	fail "central: peer r1 drops.policy $(vt_peer_counter c r1 drops.policy), expected >= $((pol0 + 7))"
assert_eq "$(vt_peer_counter c r2 packets_out)" "$out2" "central forwarded r1's packets to r2"
assert_eq "$(vt_lines "$VT_TMP/l2.log" r1-to-r2)" 0 "r2's office host got r1's datagrams"

# 3. with the hub policy in the central's config it is forwarded
VT_EXTRA_PEER_c_r1=$'\tfunnel 10.2.2.0/24 <-> 10.2.1.0/24'
VT_EXTRA_PEER_c_r2=$'\tfunnel 10.2.1.0/24 <-> 10.2.2.0/24'
vt_write_configs udp v4 aes-gcm aes-cbc/hmac-sha256-128
vt_restart c
vt_ping l1 172.16.0.10 2       # the central learns r1's endpoint again
vt_ping l2 172.16.0.10 2
pol1=$(vt_peer_counter c r1 drops.policy)
vt_udp_send l1 10.2.2.10 7000 "hub" 5 200
wait_until 10 vt_cmp 'vt_lines "$VT_TMP/l2.log" "^10.2.1.10 hub"' -ge 5 ||
	fail "hub: $(vt_lines "$VT_TMP/l2.log" hub) of 5 datagrams r1 -> r2 arrived"
vt_ping l1 10.2.2.10 3
vt_ping l2 10.2.1.10 3
assert_eq "$(vt_peer_counter c r1 drops.policy)" "$pol1" "central: policy drops with the hub policy"
assert_ge "$(vt_peer_counter c r2 packets_out)" 8 "central: packets_out to r2"
assert_ge "$(vt_peer_counter r2 central packets_in)" 8 "r2: packets_in from the central"

# 4. overlapping policies: r1 (listed first) also claims all of 10.2.0.0/16;
#    the longest remote prefix wins, so r2's office still goes to r2
VT_EXTRA_PEER_c_r1=$'\tfunnel 172.16.0.0/24 <-> 10.2.0.0/16'
VT_EXTRA_PEER_c_r2=""
vt_write_configs udp v4 aes-gcm aes-cbc/hmac-sha256-128
vt_restart c
vt_ping l1 172.16.0.10 2
vt_ping l2 172.16.0.10 2
o1=$(vt_peer_counter c r1 packets_out)
o2=$(vt_peer_counter c r2 packets_out)
vt_ping lc 10.2.2.10 3
assert_eq "$(vt_peer_counter c r1 packets_out)" "$o1" "central: packets for 10.2.2.10 sent to r1"
assert_ge "$(vt_peer_counter c r2 packets_out)" $((o2 + 3)) "central: packets for 10.2.2.10 sent to r2"
vt_ping lc 10.2.1.10 3
assert_ge "$(vt_peer_counter c r1 packets_out)" $((o1 + 3)) "central: packets for 10.2.1.10 sent to r1"
vt_stop r2
vt_stop r1
vt_stop c

#!/usr/bin/env bash
# Funnel policies (paper 3.3): the office LAN of r1 reaches the hospital LAN;
# r1's private LAN never enters the VPN; and a remote that claims more than
# the central granted it (a funnel only r1's config has) is dropped by the
# central's inbound policy check, with nothing delivered.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init funnels
vt_topology v4
# r1 grants itself a funnel the central never agreed to.
VT_EXTRA_PEER_r1=$'\tfunnel 10.9.9.0/24 <-> 172.16.0.0/24'
vt_write_configs udp v4 aes-gcm
vt_start c
vt_start r1
ip -n "$(vt_ns l1)" addr add 10.9.9.10/24 dev eth0

vt_udp_listen lc 7000 "$VT_TMP/udp.log"

# 1. the configured funnel works both ways
vt_ping l1 172.16.0.10 3
vt_ping lc 10.2.1.10 3
vt_udp_send l1 172.16.0.10 7000 "funnel-ok" 3 200
wait_until 10 vt_cmp 'vt_lines "$VT_TMP/udp.log" "^10.2.1.10 funnel-ok"' -ge 3 ||
	fail "funnel 10.2.1.0/24 -> 172.16.0.0/24: datagrams missing"

# 2. the private LAN 192.168.1.0/24 is excluded: r1 drops it, nothing leaves
nopol0=$(vt_counter r1 'd["drops"]["no_policy"]')
out0=$(vt_peer_counter r1 central packets_out)
in0=$(vt_peer_counter c r1 packets_in)
vt_udp_send p1 172.16.0.10 7000 "private" 5 200
vt_ping_fails p1 172.16.0.10
wait_until 10 vt_cmp "vt_counter r1 'd[\"drops\"][\"no_policy\"]'" -ge $((nopol0 + 7)) ||
	fail "r1: drops.no_policy $(vt_counter r1 'd["drops"]["no_policy"]'), expected >= $((nopol0 + 7))"
assert_eq "$(vt_peer_counter r1 central packets_out)" "$out0" "r1 sent nothing from the private LAN"
assert_eq "$(vt_peer_counter c r1 packets_in)" "$in0" "central got nothing from the private LAN"
assert_eq "$(vt_lines "$VT_TMP/udp.log" private)" 0 "hospital host got private-LAN datagrams"

# 3. a funnel only r1 believes in: r1 encrypts, the central refuses
pol0=$(vt_peer_counter c r1 drops.policy)
vt_udp_send l1 172.16.0.10 7000 "spoofed" 4 200 10.9.9.10
wait_until 10 vt_cmp 'vt_peer_counter c r1 drops.policy' -ge $((pol0 + 4)) ||
	fail "central: peer r1 drops.policy $(vt_peer_counter c r1 drops.policy), expected >= $((pol0 + 4))"
vt_ping_fails l1 172.16.0.10 -I 10.9.9.10
assert_eq "$(vt_lines "$VT_TMP/udp.log" spoofed)" 0 "hospital host got datagrams from 10.9.9.10"
# the refused packets did authenticate: no auth or replay drops
assert_eq "$(vt_peer_counter c r1 drops.auth)" 0 "central: drops.auth"
assert_eq "$(vt_peer_counter c r1 drops.replay)" 0 "central: drops.replay"

# 4. the central only sends what its policies allow: no route, no packet
vt_ping_fails lc 10.9.9.10
# and the allowed funnel still works afterwards
vt_ping l1 172.16.0.10 2
vt_stop r1
vt_stop c

#!/usr/bin/env bash
# MTU: the derived tun MTU lets the largest packet through without outer
# fragmentation; when the tun MTU is larger than what fits the outer path,
# the daemon answers DF packets with ICMP "fragmentation needed" / ICMPv6
# "packet too big" (RFC 1191, RFC 8201) so that path MTU discovery works and
# TCP still gets through, over IPv4 and IPv6.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init mtu
vt_topology v4
vt_write_configs udp v4 aes-cbc/hmac-sha1-96
vt_start c
vt_start r1
l1=$(vt_ns l1) r1=$(vt_ns r1)

# Forgets what l1 learnt about path MTUs: the exceptions hang off the route.
forget_pmtu() {
	ip -n "$l1" route del default
	ip -n "$l1" route add default via 10.2.1.1
	ip -n "$l1" -6 route del default
	ip -n "$l1" -6 route add default via fd00:2:1::1
}

# 1. derived MTU: the biggest DF packet that the tun takes gets through
mtu=$(vt_counter r1 'd["mtu"]')
link_mtu=$(ip -n "$r1" -o link show dev "$VT_TUN" | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
assert_eq "$mtu" "$link_mtu" "status mtu vs the tun's MTU"
assert_ge "$mtu" 1280 "derived tun MTU"
[ "$mtu" -lt 1500 ] || fail "derived tun MTU $mtu leaves no room for ESP in 1500"
vt_ping l1 172.16.0.10 3 -M "do" -s $((mtu - 28))
vt_ping l1 fd00:172:16::10 3 -M "do" -s $((mtu - 48))
assert_eq "$(vt_counter r1 'd["drops"]["too_big"]')" 0 "r1: too_big drops at the derived MTU"
vt_tcp_xfer l1 lc 172.16.0.10 524288
vt_stop r1

# 2. the tun MTU above what fits the outer path: the daemon tells the sender
VT_EXTRA_SITE_r1=$'\tmtu 1500\n\touter-mtu 1400'
vt_write_configs udp v4 aes-cbc/hmac-sha1-96
vt_start r1
forget_pmtu
assert_eq "$(vt_counter r1 'd["mtu"]')" 1500 "configured tun MTU"
out=$(ip netns exec "$l1" ping -n -c 2 -i 0.2 -W 2 -M "do" -s 1400 172.16.0.10 2>&1) || true
grep -Eq "mtu ?= ?[0-9]+" <<<"$out" || fail "no ICMP fragmentation needed for a DF packet of 1428: $out"
fit=$(grep -Eo "mtu ?= ?[0-9]+" <<<"$out" | head -n 1 | grep -Eo "[0-9]+")
assert_ge "$fit" 1300 "MTU announced by the daemon"
[ "$fit" -lt 1400 ] || fail "announced MTU $fit does not leave room for ESP in 1400"
assert_ge "$(vt_counter r1 'd["drops"]["too_big"]')" 1 "r1: too_big drops"
# the announced size does fit
vt_ping l1 172.16.0.10 3 -M "do" -s $((fit - 28))
# TCP learns the path MTU from the daemon's ICMP
forget_pmtu
vt_tcp_xfer l1 lc 172.16.0.10 524288
# IPv6: packet too big
out=$(ip netns exec "$l1" ping -n -c 2 -i 0.2 -W 2 -M "do" -s 1400 fd00:172:16::10 2>&1) || true
grep -Eiq "mtu ?= ?[0-9]+|too big" <<<"$out" || fail "no ICMPv6 packet too big for 1448 bytes: $out"
vt_tcp_xfer l1 lc fd00:172:16::10 524288
assert_eq "$(vt_peer c r1 'sum(p["drops"].values())')" 0 "central: drops of r1"
vt_stop r1
vt_stop c

#!/usr/bin/env bash
# Named endpoints (site.conf(5) endpoint HOSTNAME): r1 names the central
# central.vpn.test, answered by dnsmasq on the "internet" with a TTL of 1 s.
# r1 starts while DNS is down (without an endpoint, nothing waits), comes
# up once DNS answers, keeps its address while DNS fails again, and when
# the name moves to a second central (c2, 198.18.3.1, with its own LAN
# host at 172.16.0.10) follows it within a bounded wait: status shows the
# new endpoint, and traffic and counters are at the new central. The
# AAAA record is never used: r1's outer address is IPv4. r2, whose outer
# family is open, names the central by a name with an AAAA record only
# and reaches it over IPv6.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init named_endpoint
command -v dnsmasq >/dev/null || vt_skip "no dnsmasq (apt-get install dnsmasq-base)"
vt_topology v4
VT_SITES+=(c2)
VT_EXTRA_SITE_r1=$'\tresolver 198.18.53.53\n\tresolve-interval 1 5'
VT_EXTRA_SITE_r2=$VT_EXTRA_SITE_r1
vt_write_configs udp v4 aes-gcm
sed -i 's/^\tendpoint 198.18.0.1 port 4500$/\tendpoint central.vpn.test port 4500/' "$(vt_conf r1)"
grep -q "endpoint central.vpn.test port 4500" "$(vt_conf r1)" || fail "could not name the central in r1.conf"
sed -i -e 's/^\tendpoint 198.18.0.1 port 4500$/\tendpoint central6.vpn.test port 4500/' \
    -e 's/^\touter 198.18.2.2$/\touter any/' "$(vt_conf r2)"
sed -i 's/^\touter 198.18.0.1$/\touter any/' "$(vt_conf c)"
grep -q "endpoint central6.vpn.test port 4500" "$(vt_conf r2)" && grep -q "outer any" "$(vt_conf r2)" &&
	grep -q "outer any" "$(vt_conf c)" || fail "could not write r2.conf and c.conf"
inet=$(vt_ns inet)

# The second central: same config and keys, another outer address, and a
# LAN of its own behind it with the same addresses.
c2=$(vt_ns c2)
vt_nsadd "$c2"
vt_router_on "$c2"
vt_link "$inet" toc2 "$c2" wan0
vt_addr "$inet" toc2 198.18.3.254/24
vt_addr "$c2" wan0 198.18.3.1/24
ip -n "$c2" route add default via 198.18.3.254
vt_nsadd "$(vt_ns lc2)"
vt_lan "$c2" lan0 "$(vt_ns lc2)" 172.16.0 fd00:172:16
sed -e 's/^\touter any$/\touter 198.18.3.1/' -e "s|$VT_TMP/c\\.|$VT_TMP/c2.|" \
    "$(vt_conf c)" >"$(vt_conf c2)"
grep -q "outer 198.18.3.1" "$(vt_conf c2)" && grep -q "c2.sock" "$(vt_conf c2)" ||
	fail "could not write c2.conf"

# The DNS server, on the "internet" router.
ip -n "$inet" addr add 198.18.53.53/32 dev lo
hosts=$VT_TMP/hosts
printf '198.18.0.1 central.vpn.test\n2001:db8::1 central.vpn.test central6.vpn.test\n' >"$hosts"
dns_pid=
dns_start() {
	vt_bg dnsmasq ip netns exec "$inet" dnsmasq --no-daemon --conf-file=/dev/null \
	    --user=root --no-resolv --no-hosts --addn-hosts="$hosts" \
	    --listen-address=198.18.53.53 --bind-interfaces --local-ttl=1 \
	    --pid-file="$VT_TMP/dnsmasq.pid" --log-queries
	dns_pid=$VT_BG_PID
}
dns_stop() {
	kill -TERM "$dns_pid"
	wait_until 10 vt_dead "$dns_pid" || fail "dnsmasq did not stop"
	wait "$dns_pid" 2>/dev/null || true
}

vt_start c
vt_udp_listen lc 7000 "$VT_TMP/udp.log"

# 1. DNS is down when r1 starts: it starts anyway, without an endpoint,
#    and keeps asking.
VT_NO_SYNC_WAIT=1 vt_start r1
wait_until 15 vt_cmp 'vt_peer_counter r1 central resolve.failures' -ge 1 ||
	fail "r1: no failed lookup while DNS is down"
assert_eq "$(vt_peer r1 central 'p["endpoint"]')" null "r1's endpoint before any answer"
assert_eq "$(vt_peer r1 central 'p["resolve"]["name"]')" central.vpn.test "status: the name"
assert_eq "$(vt_peer r1 central 'p["resolve"]["resolved"]')" null "status: never resolved"
vt_ctl r1 status | grep -q "name central.vpn.test, not resolved yet" ||
	fail "text status: $(vt_ctl r1 status)"

# 2. DNS answers: the endpoint is set, the two ends synchronise, and
#    traffic flows.
dns_start
wait_until 20 vt_cmp 'vt_peer r1 central "p[\"endpoint\"]"' = 198.18.0.1:4500 ||
	fail "r1 did not resolve the central: $(vt_peer r1 central 'p["resolve"]')"
grep -q "peer central: endpoint 198.18.0.1:4500 (central.vpn.test, was unknown)" "$(vt_log r1)" ||
	fail "r1 did not log its endpoint"
wait_until 15 vt_synced r1 || fail "r1 and the central did not synchronise"
t0=$(date +%s)
resolved=$(vt_peer r1 central 'p["resolve"]["resolved"]')
assert_ge "$resolved" $((t0 - 30)) "status: resolved time"
assert_eq "$(vt_peer r1 central 'p["resolve"]["moves"]')" 1 "status: moves"
cin0=$(vt_peer_counter c r1 packets_in)
vt_ping l1 172.16.0.10 3
vt_udp_send l1 172.16.0.10 7000 "named" 2
wait_until 10 vt_cmp 'vt_lines "$VT_TMP/udp.log" named' -ge 2 || fail "datagrams to lc missing"
assert_ge "$(vt_peer_counter c r1 packets_in)" $((cin0 + 5)) "central: packets_in from r1"
# r2 may use either family: the name has only an AAAA record, so it goes
# over IPv6.
vt_start r2
assert_eq "$(vt_peer r2 central 'p["endpoint"]')" "[2001:db8::1]:4500" "r2's endpoint"
assert_eq "$(vt_peer c r2 'p["endpoint"]')" "[2001:db8:2::2]:4500" "central: r2's endpoint"
vt_ping l2 172.16.0.10 3
assert_ge "$(vt_peer_counter c r2 packets_in)" 3 "central: packets_in from r2"
# TTL 1 s, clamped to resolve-interval 1..5: asked again and again.
look0=$(vt_peer_counter r1 central resolve.lookups)
wait_until 10 vt_cmp 'vt_peer_counter r1 central resolve.lookups' -ge $((look0 + 2)) ||
	fail "r1 does not look the name up again"
assert_eq "$(vt_peer r1 central 'p["resolve"]["interval"]')" 1 "interval: the TTL"

# 3. DNS fails: the last good address stays, and the tunnel with it; the
#    failure is logged once, not at every retry.
fail0=$(vt_peer_counter r1 central resolve.failures)
dns_stop
wait_until 30 vt_cmp 'vt_peer_counter r1 central resolve.failing' -ge 2 ||
	fail "r1: lookups do not fail without DNS: $(vt_peer r1 central 'p["resolve"]')"
assert_eq "$(vt_peer r1 central 'p["endpoint"]')" 198.18.0.1:4500 "endpoint while DNS fails"
vt_ping l1 172.16.0.10 2
n=$(grep -c "cannot resolve central.vpn.test" "$(vt_log r1)")
assert_eq "$n" 2 "failure messages (one at start-up, one now)"
dns_start
wait_until 20 vt_cmp 'vt_peer_counter r1 central resolve.failing' -eq 0 ||
	fail "r1 does not resolve again after DNS came back"
grep -q "central.vpn.test resolves again, after" "$(vt_log r1)" || fail "recovery not logged"
assert_ge "$(vt_peer_counter r1 central resolve.failures)" $((fail0 + 2)) "failures counted"

# 4. The name moves to the second central: r1 follows it within a bounded
#    wait, and its traffic goes there, not to the first.
VT_NO_SYNC_WAIT=1 vt_start c2 "$(vt_conf c2)"
vt_udp_listen lc2 7000 "$VT_TMP/udp2.log"
printf '198.18.3.1 central.vpn.test\n2001:db8::1 central.vpn.test central6.vpn.test\n' >"$hosts"
kill -HUP "$dns_pid"
cin1=$(vt_peer_counter c r1 packets_in)
wait_until 20 vt_cmp 'vt_peer r1 central "p[\"endpoint\"]"' = 198.18.3.1:4500 ||
	fail "r1 did not follow the name: $(vt_peer r1 central 'p["resolve"]')"
grep -q "peer central: endpoint 198.18.3.1:4500 (central.vpn.test, was 198.18.0.1:4500)" "$(vt_log r1)" ||
	fail "r1 did not log the move"
wait_until 15 vt_sync_one r1 central && wait_until 15 vt_sync_one c2 r1 ||
	fail "r1 and the second central did not synchronise"
assert_eq "$(vt_peer c2 r1 'p["endpoint"]')" 198.18.1.2:4500 "c2: r1's endpoint"
assert_eq "$(vt_peer r1 central 'p["resolve"]["moves"]')" 2 "status: moves"
c2in0=$(vt_peer_counter c2 r1 packets_in)
vt_ping l1 172.16.0.10 3
vt_udp_send l1 172.16.0.10 7000 "moved" 2
wait_until 10 vt_cmp 'vt_lines "$VT_TMP/udp2.log" moved' -ge 2 || fail "datagrams to lc2 missing"
assert_eq "$(vt_lines "$VT_TMP/udp.log" moved)" 0 "datagrams at the first central's LAN"
assert_ge "$(vt_peer_counter c2 r1 packets_in)" $((c2in0 + 5)) "c2: packets_in from r1"
assert_eq "$(vt_peer_counter c r1 packets_in)" "$cin1" "first central: packets_in after the move"
# The first central's keepalives, from an address that is no longer the
# endpoint, are refused before authentication.
assert_eq "$(vt_peer_counter r1 central drops.auth)" 0 "r1: auth drops"
vt_ctl r1 status | grep -q "name central.vpn.test, resolved" || fail "text status after the move"

vt_stop r2
vt_stop r1
vt_stop c2
vt_stop c
dns_stop

#!/usr/bin/env bash
# The outer sockets' kernel filter (site.conf(5) socket-filter): a remote
# whose only peer is the static central, and an attacker on a second link
# into the remote's namespace. Junk (ESP in UDP and raw ESP, random SPIs)
# from addresses other than the central's never reaches vpntund with the
# filter on: its site drops stay 0, while the kernel counts what a UDP
# socket's filter refused. After `socket-filter no` and a reload the same
# junk is counted by vpntund (no_sa). Forgeries on the central's SPI
# from the central's spoofed address pass the filter either way and are
# counted as auth drops (they also serve as the barrier behind which all
# junk sent before has been through the socket). The tunnel passes pings
# throughout, during a flood too. The central, whose peers are dynamic,
# has no filter. Over UDP and raw ESP, outer IPv4 and IPv6.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init sockfilter
vt_topology v4
VT_LOG_LEVEL=info
VT_SITES=(c r1)
FLOOD=$VPNTUND_BUILD/udp-flood
[ -x "$FLOOD" ] || vt_skip "no $FLOOD"
N=2000          # junk packets of each kind per phase
FORGED=50       # forgeries on the central's SPI per phase

atk=$(vt_ns atk)
r1ns=$(vt_ns r1)
vt_nsadd "$atk"
vt_link "$r1ns" atk0 "$atk" eth0
vt_addr "$r1ns" atk0 198.18.7.1/24 2001:db8:7::1/64
vt_addr "$atk" eth0 198.18.7.2/24 2001:db8:7::2/64
ip -n "$atk" route add default via 198.18.7.1
ip -n "$atk" -6 route add default via 2001:db8:7::1

# flood ARGS...: udp-flood in the attacker's namespace; prints its count
flood() {
	local out
	out=$(ip netns exec "$atk" "$FLOOD" "$@") || fail "udp-flood $*: $out"
	vt_log_msg "udp-flood $*: $out"
	set -- $out
	echo "$2"
}

sock() { # SITE KIND FIELD: a field of an outer socket's status
	vt_counter "$1" "[s for s in d['outer_sockets'] if s['kind'] == '$2'][0]['$3']"
}
site_drop() { vt_counter r1 "d['drops']['$1']"; }
auth() { vt_peer_counter r1 central drops.auth; }

# junk_and_barrier TR OUTER: N junk packets of each transport from
# strangers, then FORGED forgeries from the central's address on its SPI,
# and waits until vpntund has counted the forgeries (so it has read
# everything sent before). Sets SENT_SOCK: junk sent to r1's socket.
junk_and_barrier() {
	local tr=$1 dst=$2 central=$3 strangers=$4 spi a0 n_udp n_esp
	spi=$(vt_sa r1 central in spi)
	a0=$(auth)
	n_udp=$(flood -d "$dst" -t udp -j "$strangers" -n "$N" -r 20000)
	n_esp=$(flood -d "$dst" -t esp -j "$strangers" -n "$N" -r 20000)
	assert_eq "$n_udp" "$N" "junk over UDP sent"
	assert_eq "$n_esp" "$N" "junk over raw ESP sent"
	if [ "$tr" = udp ]; then SENT_SOCK=$n_udp; else SENT_SOCK=$n_esp; fi
	flood -d "$dst" -t "$tr" -s "$central" -i "$spi" -f 100 -n "$FORGED" \
	    -r 1000 >/dev/null
	wait_until 15 vt_cmp auth -ge $((a0 + FORGED)) ||
		fail "$tr: forgeries from the central's address: auth drops $(auth), expected $((a0 + FORGED))"
	assert_eq "$(auth)" $((a0 + FORGED)) "$tr: auth drops after $FORGED forgeries"
}

run() { # TR v4|v6
	local tr=$1 outer=$2 dst central strangers kind nosa0 mal0 kd0 kd1 nosa1 kd_delta
	if [ "$outer" = v4 ]; then
		dst=198.18.1.2 central=198.18.0.1 strangers=198.18.200.0/24
	else
		dst=2001:db8:1::2 central=2001:db8::1 strangers=2001:db8:200::/64
	fi
	kind=$tr${outer#v}
	VT_EXTRA_SITE_r1=""
	vt_write_configs "$tr" "$outer-outer" aes-gcm
	vt_start c
	vt_start r1
	vt_ping l1 172.16.0.10 2

	# r1 listens on one socket, filtered to the central's address; the
	# central's peers are dynamic: no filter there
	assert_eq "$(vt_counter r1 "[s['kind'] for s in d['outer_sockets']]")" \
	    "[\"$kind\"]" "$kind: r1's outer sockets"
	assert_eq "$(sock r1 "$kind" filter)" true "$kind: r1's filter"
	assert_eq "$(sock r1 "$kind" filter_state)" on "$kind: r1's filter state"
	assert_eq "$(sock r1 "$kind" filter_addrs)" 1 "$kind: r1's filter addresses"
	assert_eq "$(vt_counter c "all(not s['filter'] and s['filter_state'] == 'dynamic' for s in d['outer_sockets'])")" \
	    true "$kind: the central's sockets have no filter"

	# filter on: a flood while pings cross, then the counted run
	vt_bg "flood-$kind" ip netns exec "$atk" "$FLOOD" -d "$dst" -t "$tr" \
	    -j "$strangers" -T 3 -r 20000
	vt_ping l1 172.16.0.10 10
	wait_until 10 vt_dead "$VT_BG_PID" || fail "$kind: flood did not end"
	nosa0=$(site_drop no_sa) mal0=$(site_drop malformed)
	kd0=$(sock r1 "$kind" kernel_drops)
	junk_and_barrier "$tr" "$dst" "$central" "$strangers"
	assert_eq "$(site_drop no_sa)" "$nosa0" "$kind, filter on: vpntund saw junk (no_sa)"
	assert_eq "$(site_drop malformed)" "$mal0" "$kind, filter on: vpntund saw junk (malformed)"
	assert_eq "$nosa0" 0 "$kind, filter on: no_sa after the flood"
	kd1=$(sock r1 "$kind" kernel_drops)
	# UDP counts its filter's refusals as drops, raw sockets do not
	if [ "$tr" = udp ]; then
		assert_ge $((kd1 - kd0)) "$SENT_SOCK" "$kind, filter on: kernel drops"
	fi
	vt_log_msg "$kind filter on: no_sa $(site_drop no_sa), kernel drops $kd0 -> $kd1, auth $(auth)"
	vt_ping l1 172.16.0.10 3

	# filter off (a reload): the same junk reaches vpntund
	VT_EXTRA_SITE_r1=$'\tsocket-filter no'
	vt_write_configs "$tr" "$outer-outer" aes-gcm
	vt_ctl r1 reload >/dev/null || fail "$kind: reload of r1: $(vt_ctl r1 reload 2>&1)"
	assert_eq "$(sock r1 "$kind" filter)" false "$kind: r1's filter after socket-filter no"
	assert_eq "$(sock r1 "$kind" filter_state)" off "$kind: r1's filter state after socket-filter no"
	nosa0=$(site_drop no_sa)
	kd0=$(sock r1 "$kind" kernel_drops)
	junk_and_barrier "$tr" "$dst" "$central" "$strangers"
	nosa1=$(site_drop no_sa)
	kd1=$(sock r1 "$kind" kernel_drops)
	kd_delta=$((kd1 - kd0))
	# every junk packet either reached vpntund or overflowed its
	# receive buffer (which a busy machine may cause), most the former
	assert_eq $((nosa1 - nosa0 + kd_delta)) "$SENT_SOCK" \
	    "$kind, filter off: no_sa $nosa0 -> $nosa1 plus kernel drops $kd_delta"
	assert_ge $((nosa1 - nosa0)) $((SENT_SOCK / 2)) "$kind, filter off: junk counted by vpntund"
	vt_log_msg "$kind filter off: no_sa $nosa0 -> $nosa1, kernel drops +$kd_delta, auth $(auth)"
	vt_ping l1 172.16.0.10 3

	# and on again (once per transport is enough)
	if [ "$outer" = v4 ]; then
		VT_EXTRA_SITE_r1=""
		vt_write_configs "$tr" "$outer-outer" aes-gcm
		vt_ctl r1 reload >/dev/null || fail "$kind: second reload of r1"
		assert_eq "$(sock r1 "$kind" filter_state)" on "$kind: r1's filter after socket-filter yes"
		nosa0=$(site_drop no_sa)
		junk_and_barrier "$tr" "$dst" "$central" "$strangers"
		assert_eq "$(site_drop no_sa)" "$nosa0" "$kind, filter on again: vpntund saw junk"
		vt_ping l1 172.16.0.10 2
	fi
	vt_stop r1
	vt_stop c
}

run udp v4
run esp v4
run udp v6
run esp v6

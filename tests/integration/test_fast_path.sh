#!/usr/bin/env bash
# The batched send and receive path with each offload on and off: a bulk
# TCP transfer arrives intact either way, and the counters show what it
# cost: several datagrams per sendmmsg and recvmmsg call, runs of equal
# datagrams sent as UDP GSO messages when `udp-gso` is on, none when it
# is off, and none over raw ESP, which has no GSO; with `tun-offload` the
# sender reads TCP super-packets from tun and cuts them, the receiver
# writes coalesced ones, and without it neither happens; with `udp-gro`
# the central reads runs of datagrams that its wan0 coalesced as one
# message each and splits them, and without it reads datagram by datagram.
# A UDP flow of equal datagrams in bursts, over inner IPv4 and then IPv6,
# reaches its receiver whole (count and bytes of each), written to the
# central's tun as UDP super-packets (USO) with `tun-offload`, one
# datagram per write without it.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init fast_path
vt_topology v6
# The central's wan0 coalesces UDP like a NIC with GRO: NAPI on its veth
# (gro on), and no TSO on the router's end, without which a forwarded
# packet skips NAPI (veth_skb_is_eligible_for_gro). The kernel then
# hands a socket with UDP_GRO a run as one message, and any other
# socket its datagrams one by one.
ip netns exec "$(vt_ns c)" ethtool -K wan0 gro on >/dev/null &&
    ip netns exec "$(vt_ns inet)" ethtool -K toc tso off >/dev/null ||
	fail "ethtool: gro on at the central's wan0, tso off at toc"

sock() { # SITE SOCKET FIELD
	vt_counter "$1" "[s for s in d['outer_sockets'] if s['kind'] == '$2'][0]['$3']"
}

yn() { if [ "$1" = on ]; then echo yes; else echo no; fi; }

# udp_flow SRC_NS DST_NS DST_ADDR COUNT SIZE PORT: udpflow.py's datagrams,
# every one checked on arrival, their sha256 compared.
udp_flow() {
	local src=$1 dst=$2 addr=$3 count=$4 size=$5 port=$6 out spid sent got
	out=$VT_TMP/udpflow-$port
	vt_bg "udpflow-$port" ip netns exec "$(vt_ns "$dst")" \
	    "$VT_PY" "$VT_DIR/udpflow.py" serve "$port" "$count" "$size" "$out"
	spid=$VT_BG_PID
	wait_until 10 test -e "$out.ready" || fail "udp flow receiver on $dst:$port not ready"
	sent=$(ip netns exec "$(vt_ns "$src")" timeout 60 "$VT_PY" \
	    "$VT_DIR/udpflow.py" send "$addr" "$port" "$count" "$size" 2>&1) ||
		fail "udp flow $src -> $addr:$port: $sent"
	wait_until 40 vt_dead "$spid" || fail "udp flow receiver $dst:$port did not finish"
	wait "$spid" || fail "udp flow receiver $dst:$port failed: $(tail -n 3 "$VT_TMP/udpflow-$port.out")"
	got=$(cat "$out")
	vt_log_msg "udp flow $src -> $addr: $sent; $got"
	# received N distinct D bad B dup U sha256 H
	read -r _ _ _ d _ b _ u _ h <<<"$got"
	assert_eq "$d" "$count" "udp flow: distinct datagrams received"
	assert_eq "$b" 0 "udp flow: datagrams with wrong bytes"
	assert_eq "$u" 0 "udp flow: duplicated datagrams"
	assert_eq "$h" "${sent##* }" "udp flow: sha256 of the payloads"
}
UDP_FLOW_PORT=6001

tun() { # SITE FIELD
	vt_counter "$1" "d['tun_offload']['$2']"
}

# run TRANSPORT SUITE GSO(on|off) TUN-OFFLOAD(on|off) GRO(on|off)
run() {
	local tr=$1 suite=$2 gso=$3 to=$4 gro=$5 sk=udp4 sent calls gsomsg rx rxcalls
	local extra gromsg groseg
	[ "$tr" = esp ] && sk=esp4
	extra=$(printf '\tudp-gso %s\n\ttun-offload %s\n\tudp-gro %s' "$(yn "$gso")" "$(yn "$to")" "$(yn "$gro")")
	VT_EXTRA_SITE_r1=$extra VT_EXTRA_SITE_c=$extra \
	    vt_write_configs "$tr" v4 "$suite"
	vt_start c
	vt_start r1
	vt_tcp_xfer l1 lc 172.16.0.10 4194304
	sent=$(sock r1 $sk sent)
	calls=$(sock r1 $sk send_calls)
	gsomsg=$(sock r1 $sk send_gso_messages)
	rx=$(sock c $sk received)
	rxcalls=$(sock c $sk receive_calls)
	gromsg=$(sock c $sk receive_gro_messages)
	groseg=$(sock c $sk receive_gro_segments)
	vt_log_msg "$tr $suite gso $gso tun-offload $to gro $gro: sent $sent in $calls calls ($gsomsg GSO), received $rx in $rxcalls calls ($gromsg GRO runs of $groseg); r1 read $(tun r1 super_packets_read) super-packets into $(tun r1 segments_made), c wrote $(tun c super_packets_written) of $(tun c segments_merged)"
	assert_ge "$sent" 2900 "$tr/$gso: datagrams r1 sent"
	# A bulk transfer reaches tun in bursts: many per call, on average.
	assert_gt "$((sent * 10 / calls))" 15 "$tr/$gso: r1's datagrams per sendmmsg (x10)"
	assert_ge "$rx" 2900 "$tr/$gso: datagrams the central received"
	assert_gt "$rxcalls" 0 "$tr/$gso: the central's recvmmsg calls"
	assert_ge "$rx" "$rxcalls" "$tr/$gso: datagrams per recvmmsg"
	if [ "$tr" = udp ] && [ "$gso" = on ]; then
		assert_eq "$(sock r1 $sk gso)" true "$tr/$gso: GSO in use"
		assert_gt "$gsomsg" 0 "$tr/$gso: GSO messages"
	else
		assert_eq "$(sock r1 $sk gso)" false "$tr/$gso: GSO not in use"
		assert_eq "$gsomsg" 0 "$tr/$gso: GSO messages"
	fi
	if [ "$tr" = udp ] && [ "$gro" = on ]; then
		assert_eq "$(sock c $sk gro)" on "$tr/gro $gro: GRO in use"
		# Bulk ESP from one peer arrives in runs the veth coalesced.
		assert_gt "$gromsg" 0 "$tr/gro $gro: GRO runs received"
		assert_ge "$groseg" "$((2 * gromsg))" "$tr/gro $gro: datagrams in them"
		assert_ge "$rx" "$groseg" "$tr/gro $gro: received, runs included"
	else
		assert_eq "$(sock c $sk gro)" off "$tr/gro $gro: GRO not in use"
		assert_eq "$gromsg" 0 "$tr/gro $gro: GRO runs received"
		assert_eq "$groseg" 0 "$tr/gro $gro: datagrams in GRO runs"
	fi
	if [ "$to" = on ]; then
		assert_eq "$(tun r1 features)" "csum tso4 tso6 uso4 uso6" "r1's tun offloads"
		# Bulk TCP reaches a tun with TSO as super-packets.
		assert_gt "$(tun r1 super_packets_read)" 0 "$tr: super-packets r1 read"
		assert_gt "$(tun r1 segments_made)" "$(tun r1 super_packets_read)" "$tr: segments cut from them"
		assert_gt "$(tun c super_packets_written)" 0 "$tr: coalesced writes at the central"
		assert_gt "$(tun c segments_merged)" "$(tun c super_packets_written)" "$tr: segments merged into them"
	else
		assert_eq "$(tun r1 features)" "" "r1's tun offloads"
		assert_eq "$(tun r1 super_packets_read)" 0 "$tr: super-packets r1 read"
		assert_eq "$(tun c super_packets_written)" 0 "$tr: coalesced writes at the central"
	fi
	# 3000 datagrams of 200 bytes in bursts: at the central, runs of one
	# flow in a received batch.
	udp_flow l1 lc 172.16.0.10 3000 200 $UDP_FLOW_PORT
	UDP_FLOW_PORT=$((UDP_FLOW_PORT + 1))
	local merged4 written4
	merged4=$(tun c udp_datagrams_merged)
	written4=$(tun c udp_super_packets_written)
	vt_log_msg "$tr $suite tun-offload $to: c wrote $written4 UDP super-packets of $merged4 datagrams"
	# The same over inner IPv6 (USO6).
	udp_flow l1 lc fd00:172:16::10 2000 300 $UDP_FLOW_PORT
	UDP_FLOW_PORT=$((UDP_FLOW_PORT + 1))
	vt_log_msg "$tr $suite tun-offload $to: after IPv6, $(tun c udp_super_packets_written) UDP super-packets of $(tun c udp_datagrams_merged) datagrams"
	if [ "$to" = on ]; then
		assert_gt "$written4" 0 "$tr: UDP super-packets at the central (IPv4)"
		assert_gt "$merged4" "$written4" "$tr: IPv4 datagrams merged into them"
		assert_gt "$(tun c udp_super_packets_written)" "$written4" "$tr: UDP super-packets at the central (IPv6)"
		assert_gt "$(($(tun c udp_datagrams_merged) - merged4))" "$(($(tun c udp_super_packets_written) - written4))" "$tr: IPv6 datagrams merged into them"
	else
		assert_eq "$(tun c udp_super_packets_written)" 0 "$tr: UDP super-packets at the central"
		assert_eq "$(tun c udp_datagrams_merged)" 0 "$tr: UDP datagrams merged"
	fi
	assert_eq "$(vt_peer c r1 'sum(p["drops"].values())')" 0 "$tr/$gso: central's drops of r1"
	assert_eq "$(vt_peer r1 central 'sum(p["drops"].values())')" 0 "$tr/$gso: r1's drops of the central"
	vt_stop r1
	vt_stop c
}

run udp aes-gcm on on on
run udp aes-gcm on on off
run udp blowfish-cbc/hmac-sha1-96 off off off
run esp aes-gcm on on on
run udp chacha20-poly1305 on off on
run udp blowfish-cbc/none off on off

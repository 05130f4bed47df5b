#!/usr/bin/env bash
# The batched send and receive path with each offload on and off: a bulk
# TCP transfer arrives intact either way, and the socket counters show
# what it cost: several datagrams per sendmmsg and recvmmsg call, runs
# of equal datagrams sent as UDP GSO messages when `udp-gso` is on, none
# when it is off, and none over raw ESP, which has no GSO.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init fast_path
vt_topology v4

sock() { # SITE SOCKET FIELD
	vt_counter "$1" "[s for s in d['outer_sockets'] if s['socket'] == '$2'][0]['$3']"
}

# run TRANSPORT SUITE GSO(on|off)
run() {
	local tr=$1 suite=$2 gso=$3 sk=udp4 sent calls gsomsg rx rxcalls
	[ "$tr" = esp ] && sk=esp4
	VT_EXTRA_SITE_r1=$'\t'"udp-gso $gso" VT_EXTRA_SITE_c=$'\t'"udp-gso $gso" \
	    vt_write_configs "$tr" v4 "$suite"
	vt_start c
	vt_start r1
	vt_tcp_xfer l1 lc 172.16.0.10 4194304
	sent=$(sock r1 $sk sent)
	calls=$(sock r1 $sk send_calls)
	gsomsg=$(sock r1 $sk send_gso_messages)
	rx=$(sock c $sk received)
	rxcalls=$(sock c $sk receive_calls)
	vt_log_msg "$tr $suite gso $gso: sent $sent in $calls calls ($gsomsg GSO), received $rx in $rxcalls calls"
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
	assert_eq "$(vt_peer c r1 'sum(p["drops"].values())')" 0 "$tr/$gso: central's drops of r1"
	assert_eq "$(vt_peer r1 central 'sum(p["drops"].values())')" 0 "$tr/$gso: r1's drops of the central"
	vt_stop r1
	vt_stop c
}

run udp aes-gcm on
run udp blowfish-cbc/hmac-sha1-96 off
run esp aes-gcm on

#!/usr/bin/env bash
# Lifetimes (site.conf(5) lifetime, KEYING AND RESTARTS): with derived
# keying an SA that reaches its hard lifetime moves to its next epoch in
# step with the peer, and not a datagram is lost; the soft lifetime warns.
# Counted in packets (aes-gcm) and in bytes (blowfish-cbc, whose 64-bit
# blocks are what lifetimes guard); espcheck.py then finds every captured
# packet under the keys it derives for those epochs, none repeating. With
# manual keying the hard lifetime stops the SA.
set -u
. "$(dirname "$0")/lib.sh"

vt_init lifetime
command -v dumpcap >/dev/null || vt_skip "no dumpcap"
vt_topology
vt_udp_listen lc 7000 "$VT_TMP/at_lc"
vt_udp_listen l1 7000 "$VT_TMP/at_l1"

# derived SUITE LIFETIME COUNT PADLEN: COUNT datagrams each way, none lost,
# the epochs begun on one side taken on the other.
derived() {
	local suite=$1 life=$2 count=$3 pad=$4 tag=d${RANDOM} s a pid
	VT_EXTRA_PEER_c_r1="	$life"
	VT_EXTRA_PEER_r1="	$life"
	vt_write_configs udp v4 "$suite"
	vt_start c
	vt_start r1
	for s in c r1; do
		case $s in c) a=198.18.0.1 ;; r1) a=198.18.1.2 ;; esac
		vt_bg "dumpcap-$tag-$s" ip netns exec "$(vt_ns "$s")" dumpcap -q \
		    -i wan0 -P -f "src host $a and udp port 4500" -w "$VT_TMP/$tag-$s.pcap"
		eval "cap_$s=\$VT_BG_PID"
		wait_until 10 test -s "$VT_TMP/$tag-$s.pcap" || fail "dumpcap on $s"
	done
	vt_udp_send l1 172.16.0.10 7000 "$tag-up" "$count" "$pad"
	vt_udp_send lc 10.2.1.10 7000 "$tag-down" "$count" "$pad"
	wait_until 20 test "$(vt_lines "$VT_TMP/at_lc" " $tag-up ")" -ge "$count" ||
		fail "$suite: $(vt_lines "$VT_TMP/at_lc" " $tag-up ") of $count datagrams r1 -> central"
	wait_until 20 test "$(vt_lines "$VT_TMP/at_l1" " $tag-down ")" -ge "$count" ||
		fail "$suite: $(vt_lines "$VT_TMP/at_l1" " $tag-down ") of $count datagrams central -> r1"
	assert_eq "$(vt_lines "$VT_TMP/at_lc" " $tag-up ")" "$count" "$suite: datagrams r1 -> central, each once"
	assert_eq "$(vt_lines "$VT_TMP/at_l1" " $tag-down ")" "$count" "$suite: datagrams central -> r1, each once"
	local out_c out_r1 in_c in_r1
	out_c=$(vt_peer c r1 'p["sas"][0]["epochs_begun"]')
	out_r1=$(vt_peer r1 central 'p["sas"][0]["epochs_begun"]')
	in_c=$(vt_peer c r1 'p["sas"][1]["epochs_taken"]')
	in_r1=$(vt_peer r1 central 'p["sas"][1]["epochs_taken"]')
	assert_ge "$out_c" 5 "$suite: epochs begun by the central"
	assert_ge "$out_r1" 5 "$suite: epochs begun by r1"
	# The first epoch came with the synchronisation, each later one with
	# its first packet.
	assert_eq "$in_r1" "$((out_c + 1))" "$suite: epochs r1 took from the central"
	assert_eq "$in_c" "$((out_r1 + 1))" "$suite: epochs the central took from r1"
	grep -q "passed its soft lifetime" "$(vt_log c)" || fail "$suite: no soft-lifetime warning"
	grep -q "SA 0x[0-9a-f]*: epoch [0-9a-f]* after" "$(vt_log r1)" ||
		fail "$suite: the epoch switch is not logged"
	vt_status c >"$VT_TMP/$tag-c.json"
	vt_status r1 >"$VT_TMP/$tag-r1.json"
	for s in c r1; do
		eval "pid=\$cap_$s"
		kill -INT "$pid"
		wait "$pid" 2>/dev/null || true
	done
	out=$("$VT_PY" "$VT_DIR/espcheck.py" "$suite" 0 "$VT_TMP/r1.key" central,r1 \
	    "$VT_TMP/$tag-c.json" "$VT_TMP/$tag-r1.json" -- \
	    "$VT_TMP/$tag-c.pcap" "$VT_TMP/$tag-r1.pcap") || fail "$suite: espcheck: $out"
	vt_log_msg "$suite, $life: epochs begun $out_c and $out_r1; $out"
	vt_stop r1
	vt_stop c
}

derived aes-gcm "lifetime packets 40" 300 0
derived blowfish-cbc/hmac-sha1-96 "lifetime bytes 16KiB" 150 600

# Manual keying: explicit SPIs, a state file that knows them (as an older
# start would have left it), and a hard lifetime of 100 packets.
VT_EXTRA_PEER_c_r1="	keying manual
	spi in 0x5001 out 0x5002
	lifetime packets 100"
VT_EXTRA_PEER_r1="	keying manual
	spi in 0x5002 out 0x5001
	lifetime packets 100"
vt_write_configs udp v4 aes-gcm
printf '# vpntund state v2\nout 0x00005002 0\nin 0x00005001 0\n' >"$VT_TMP/c.state"
printf '# vpntund state v2\nout 0x00005001 0\nin 0x00005002 0\n' >"$VT_TMP/r1.state"
vt_start c
vt_start r1
vt_udp_send l1 172.16.0.10 7000 manual-up 150
wait_until 10 test "$(vt_peer r1 central 'p["sas"][0]["drops"]["lifetime"]')" -ge 50 ||
	fail "manual: packets past the hard lifetime not dropped as lifetime"
assert_eq "$(vt_peer r1 central 'p["sas"][0]["spent"]')" true "manual: SA spent"
assert_eq "$(vt_peer r1 central 'p["sas"][0]["seq"]')" 100 "manual: last sequence number sent"
wait_until 10 test "$(vt_lines "$VT_TMP/at_lc" " manual-up ")" -ge 99 ||
	fail "manual: datagrams before the lifetime's end"
assert_le() { [ "$1" -le "$2" ] || fail "$3: expected <= $2, got $1"; }
assert_le "$(vt_lines "$VT_TMP/at_lc" " manual-up ")" 100 "manual: datagrams delivered"
assert_eq "$(grep -c "reached its hard lifetime" "$(vt_log r1)")" 1 "manual: the end logged once"
vt_stop r1
vt_stop c

#!/usr/bin/env bash
# Junk from the internet: runts, keepalives, non-ESP markers, unknown SPIs,
# and the right SPI with random bodies of every awkward length, over UDP
# and raw ESP. The daemon (built with ASan/UBSan) survives,
# counts every one as a drop, delivers nothing, moves no endpoint or window,
# and the tunnel keeps working.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init garbage
vt_topology v4
VT_LOG_LEVEL=info
junk() { # KIND HOST PORT SPI COUNT SEED
	ip netns exec "$(vt_ns inet)" "$VT_PY" "$VT_DIR/pkt.py" garbage "$@" >/dev/null ||
		fail "junk sender failed"
}
site_drops() { vt_counter c 'sum(d["drops"].values())'; }
peer_drops() { vt_peer c "$1" 'sum(p["drops"].values())'; }

for tr in udp esp; do
	vt_write_configs "$tr" v4 aes-cbc/hmac-sha1-96 aes-gcm
	vt_start c
	vt_start r1
	vt_start r2
	vt_ping l1 172.16.0.10 2
	vt_ping l2 172.16.0.10 2
	ep1=$(vt_peer c r1 'p["endpoint"]')
	spi1=$(vt_peer c r1 'p["spi_in"]')
	spi2=$(vt_peer c r2 'p["spi_in"]')
	in1=$(vt_peer_counter c r1 packets_in)
	in2=$(vt_peer_counter c r2 packets_in)
	s0=$(site_drops)

	# unknown SPIs and runts: site-level drops
	junk "$tr" 198.18.0.1 4500 0 300 1
	# the SPIs of r1 (CBC + HMAC) and r2 (AEAD), from a stranger's address
	junk "$tr" 198.18.0.1 4500 "$spi1" 400 3
	junk "$tr" 198.18.0.1 4500 "$spi2" 400 4
	wait_until 10 vt_cmp 'echo $(($(peer_drops r1) + $(peer_drops r2)))' -ge 700 ||
		fail "$tr: junk on known SPIs: drops r1 $(vt_peer c r1 'p["drops"]') r2 $(vt_peer c r2 'p["drops"]')"
	assert_ge "$(site_drops)" $((s0 + 300)) "$tr: site drops after junk with unknown SPIs ($(vt_counter c 'd["drops"]'))"
	vt_alive c || fail "$tr: central died"
	assert_eq "$(vt_peer_counter c r1 packets_in)" "$in1" "$tr: packets_in of r1 after junk"
	assert_eq "$(vt_peer_counter c r2 packets_in)" "$in2" "$tr: packets_in of r2 after junk"
	assert_eq "$(vt_peer c r1 'p["endpoint"]')" "$ep1" "$tr: r1's endpoint after junk"
	vt_log_msg "$tr: site drops $(vt_counter c 'd["drops"]'), r1 $(vt_peer c r1 'p["drops"]'), r2 $(vt_peer c r2 'p["drops"]')"
	# the tunnel still works, the window was not moved by junk with high
	# sequence numbers (junk with old numbers counts as replay: the
	# replay check comes before the ICV, RFC 4303 3.4.3)
	rep1=$(vt_peer_counter c r1 drops.replay)
	rep2=$(vt_peer_counter c r2 drops.replay)
	vt_ping l1 172.16.0.10 3
	vt_ping l2 172.16.0.10 3
	vt_ping lc 10.2.1.10 2
	vt_ping lc 10.2.2.10 2
	assert_eq "$(vt_peer_counter c r1 drops.replay)" "$rep1" "$tr: r1 replay drops of real traffic after junk"
	assert_eq "$(vt_peer_counter c r2 drops.replay)" "$rep2" "$tr: r2 replay drops of real traffic after junk"
	vt_stop r2
	vt_stop r1
	vt_stop c
done

#!/usr/bin/env bash
# Raw ESP (IP protocol 50) instead of UDP: the same traffic as the UDP test,
# and what crosses the "internet" really is protocol 50 with the SPI both
# ends derived from the config (the base SPI, or it with the low bit flipped
# in an odd epoch of derived keying).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init esp_transport
vt_topology v4
vt_write_configs esp v4 aes-cbc/hmac-sha256-128
vt_start c
vt_start r1

vt_ping l1 172.16.0.10 5
vt_ping lc 10.2.1.10 3
vt_ping r1 10.1.0.1 3

# what goes over the wire: IP protocol 50, never UDP
vt_capture_start inet tor1 198.18.1.2 198.18.0.1 600 "$VT_TMP/esp.pkt"
vt_udp_listen lc 7000 "$VT_TMP/udp.log"
vt_udp_send l1 172.16.0.10 7000 "raw-esp" 5 700
vt_capture_wait "$VT_TMP/esp.pkt"
read -r spi seq proto _ < <(vt_espinfo "$VT_TMP/esp.pkt")
assert_eq "$proto" 50 "outer protocol of r1 -> central"
assert_ge "$spi" 256 "SPI is never 0-255"
assert_ge "$seq" 1 "sequence number"
# derived keying: the SPI of the current epoch, the central's base SPI for
# r1 with the low bit flipped in odd epochs
cur=$(vt_sa c r1 in spi) epoch=$(vt_sa c r1 in epoch) base=$(vt_peer c r1 'p["spi_in"]')
assert_eq "$spi" "$((cur))" "SPI on the wire is the central's inbound SPI for r1's epoch $epoch"
assert_eq "$((cur ^ base))" "$((0x$epoch & 1))" "epoch parity in the SPI (base $base, epoch $epoch)"
assert_eq "$(vt_sa r1 central out spi)" "$cur" "r1's outbound SPI"
wait_until 10 vt_cmp 'vt_lines "$VT_TMP/udp.log"' -ge 5 ||
	fail "UDP over raw ESP: $(vt_lines "$VT_TMP/udp.log") of 5 datagrams arrived"
grep -qx "10.2.1.10 raw-esp 4" "$VT_TMP/udp.log" || fail "datagram 4 missing or altered"

vt_tcp_xfer l1 lc 172.16.0.10 1048576

assert_ge "$(vt_peer_counter c r1 packets_in)" 700 "central: packets_in from r1"
assert_gt "$(vt_peer_counter c r1 bytes_in)" 1000000 "central: bytes_in from r1"
assert_eq "$(vt_peer c r1 'sum(p["drops"].values())')" 0 "central: drops of peer r1"
assert_eq "$(vt_peer r1 central 'sum(p["drops"].values())')" 0 "r1: drops of peer central"
assert_eq "$(vt_peer c r1 'p["endpoint"]')" 198.18.1.2:0 "raw ESP endpoint (no port)"
assert_eq "$(vt_peer c r1 'p["transport"]')" esp "central: r1's transport"
vt_stop r1
vt_stop c

# one central, r1 over UDP and r2 over raw ESP at the same time
vt_write_configs udp v4 aes-gcm
sed -i 's/^\ttransport udp$/\ttransport esp/; s/^\(\tendpoint 198.18.0.1\) port 4500$/\1/' "$(vt_conf r2)"
"$VT_PY" - "$(vt_conf c)" <<'PY'
import sys
path = sys.argv[1]
text = open(path).read()
head, r2 = text.split('peer "r2" {', 1)
open(path, "w").write(head + 'peer "r2" {' + r2.replace("transport udp", "transport esp", 1))
PY
grep -q "transport esp" "$(vt_conf c)" || fail "could not put the central's r2 on raw ESP"
grep -q "transport esp" "$(vt_conf r2)" || fail "could not put r2 on raw ESP"
# The first run left r1's raw ESP endpoint (port 0) in the central's
# <state-file>.peers, and r1 is now on UDP: that hint is stale, but the
# central must still synchronise with r1 as soon as r1 asks it. Checked at
# the end, so that the rest still runs.
later=""
vt_start c
VT_NO_SYNC_WAIT=1 vt_start r1
if ! wait_until 8 vt_synced r1; then
	later="the central did not synchronise with r1 within 8 s of r1's start: it kept asking at the hint the raw ESP run left ($(tail -n +2 "$VT_TMP/c.state.peers" | tr '\n' ' ')) over UDP ($(grep -c 'send to 198.18.1.2:0' "$(vt_log c)") sends failed: $(grep -m 1 'send to 198.18.1.2:0' "$(vt_log c)")), and r1's request did not make it ask r1 in turn (sync $(vt_peer c r1 'p["sync"]'); r1 sync $(vt_peer r1 central 'p["sync"]'))"
	vt_log_msg "deferred failure: $later"
	# r1 sends nothing until asked, so nothing corrects the central: start
	# both again without the stale hint for the rest of the test
	vt_stop r1
	vt_stop c
	rm -f "$VT_TMP/c.state.peers"
	vt_start c
	vt_start r1
fi
vt_start r2
vt_ping l1 172.16.0.10 3
vt_ping l2 172.16.0.10 3
vt_ping lc 10.2.1.10 2
vt_ping lc 10.2.2.10 2
assert_eq "$(vt_peer c r1 'p["endpoint"]')" 198.18.1.2:4500 "UDP peer's endpoint"
assert_eq "$(vt_peer c r2 'p["endpoint"]')" 198.18.2.2:0 "raw ESP peer's endpoint"
vt_tcp_xfer l2 lc 172.16.0.10 262144
assert_eq "$(vt_peer c r2 'sum(p["drops"].values())')" 0 "central: drops of r2 over raw ESP"
vt_stop r2
vt_stop r1
vt_stop c
[ -z "$later" ] || fail "$later"

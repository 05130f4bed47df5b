#!/usr/bin/env bash
# Anti-replay and authentication (RFC 4303 3.4.3, 3.4.4): a captured ESP
# packet sent again is dropped as a replay and its inner packet is not
# delivered twice; a forged packet (fresh sequence number, stale ICV) is
# dropped as auth and does not move the window; a remote with the wrong key
# gets nothing through: with derived keying it cannot even synchronise, so
# it sends no data at all, and its requests are refused by the central.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init replay
vt_topology v4
vt_write_configs udp v4 aes-cbc/hmac-sha1-96 aes-gcm
vt_start c
vt_start r1
vt_ping l1 172.16.0.10 3
vt_udp_listen lc 7000 "$VT_TMP/udp.log"

# 1. capture one ESP packet r1 -> central carrying a known datagram
vt_capture_start inet tor1 198.18.1.2 198.18.0.1 800 "$VT_TMP/orig.pkt"
vt_udp_send l1 172.16.0.10 7000 "once-only" 1 900
vt_capture_wait "$VT_TMP/orig.pkt"
read -r spi seq _ < <(vt_espinfo "$VT_TMP/orig.pkt")
vt_log_msg "captured spi $spi seq $seq"
wait_until 10 vt_cmp 'vt_lines "$VT_TMP/udp.log" once-only' -ge 1 ||
	fail "the original datagram did not arrive"

# 2. replay it three times from the "internet"
rep0=$(vt_peer_counter c r1 drops.replay)
pin0=$(vt_peer_counter c r1 packets_in)
for i in 1 2 3; do
	vt_inject inet "$VT_TMP/orig.pkt"
	wait_until 10 vt_cmp 'vt_peer_counter c r1 drops.replay' -ge $((rep0 + i)) ||
		fail "replay $i: central drops.replay $(vt_peer_counter c r1 drops.replay), expected $((rep0 + i))"
done
assert_eq "$(vt_lines "$VT_TMP/udp.log" once-only)" 1 "datagram delivered once only"
assert_eq "$(vt_peer_counter c r1 packets_in)" "$pin0" "central: packets_in after replays"
assert_eq "$(vt_peer_counter c r1 drops.auth)" 0 "central: drops.auth after replays"

# 3. a forgery far ahead of the window: auth drop, and the window must not
#    move (else the real traffic that follows would count as replays)
vt_tamper "$VT_TMP/orig.pkt" "$VT_TMP/forged.pkt" $((seq + 100000))
vt_inject inet "$VT_TMP/forged.pkt"
wait_until 10 vt_cmp 'vt_peer_counter c r1 drops.auth' -ge 1 ||
	fail "forged packet: central drops.auth $(vt_peer_counter c r1 drops.auth), expected 1"
vt_ping l1 172.16.0.10 3
assert_eq "$(vt_peer_counter c r1 drops.replay)" $((rep0 + 3)) "replay drops after the forgery"
assert_eq "$(vt_lines "$VT_TMP/udp.log" once-only)" 1 "datagram delivered once only"

# 4. r2 with the wrong key (config otherwise right): nothing gets through
vt_write_key "$VT_TMP/r2-wrong.key" aes-gcm
sed -i "s|\"$VT_TMP/r2.key\"|\"$VT_TMP/r2-wrong.key\"|" "$(vt_conf r2)"
grep -q r2-wrong.key "$(vt_conf r2)" || fail "could not point r2 at the wrong key"
VT_NO_SYNC_WAIT=1 vt_start r2
# r2 asks at start and again after 1 s: the central cannot verify either
wait_until 10 vt_cmp 'vt_peer_counter c r2 sync.rejected' -ge 2 ||
	fail "wrong key: central peer r2 sync.rejected $(vt_peer_counter c r2 sync.rejected), expected >= 2"
vt_udp_send l2 172.16.0.10 7000 "wrong-key" 3 200
vt_ping_fails l2 172.16.0.10
# r2 never synchronised, so it sent nothing: all 5 held back as unsynced
assert_ge "$(vt_sa r2 central out drops.unsynced)" 5 "r2: packets held back unsynchronised"
assert_eq "$(vt_sa r2 central out seq)" 0 "r2: ESP packets sent"
assert_eq "$(vt_peer r2 central 'p["sync"]["inbound"] or p["sync"]["outbound"] or p["sync"]["answers_in"] > 0')" false \
	"r2: synchronised with the wrong key ($(vt_peer r2 central 'p["sync"]'))"
assert_ge "$(vt_peer_counter r2 central sync.requests_out)" 2 "r2: requests sent"
assert_eq "$(vt_peer c r2 'p["sync"]["requests_in"] + p["sync"]["answers_out"]')" 0 "central: requests from r2 taken or answered"
assert_eq "$(vt_peer c r2 'p["endpoint"]')" null "central: endpoint learnt from r2's requests"
assert_eq "$(vt_peer c r2 'sum(p["drops"].values())')" 0 "central: ESP drops of r2 (none was sent)"
assert_eq "$(vt_peer_counter c r2 packets_in)" 0 "central: packets_in from r2 with the wrong key"
assert_eq "$(vt_lines "$VT_TMP/udp.log" wrong-key)" 0 "datagrams from r2 with the wrong key delivered"
# r1 is not affected
vt_ping l1 172.16.0.10 2
vt_stop r2
vt_stop r1
vt_stop c

#!/usr/bin/env bash
# ESN resynchronisation (RFC 4303 appendix A3) with manual keying: r1's
# state file puts its outbound SA above 2^32, the central starts afresh
# (-R) with a window at 0. A2.2 then infers the high half 0 and every
# packet of r1 fails authentication, until after a few failures the
# central tries the higher halves and finds 1: traffic is delivered. Forged
# packets (captures with another sequence number) never resynchronise it,
# neither then nor while it is lost.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib_live.sh"
set -u
vt_init esn_resync
vt_topology v4
VT_LOG_LEVEL=info
VT_SITES=(c r1)
VT_EXTRA_PEER_c_r1=$'\tkeying manual\n\tesn yes'
VT_EXTRA_PEER_r1=$'\tkeying manual\n\tesn yes'
vt_write_configs udp v4 "${VTL_SUITE:-aes-gcm}"
high=$((4294967296 + 100))       # r1's next number: 2^32 + 101
top() { vtl_sa c r1 in top; }
auth() { vt_peer_counter c r1 drops.auth; }
resyncs() { vtl_log_count c "ESN resynchronised"; }

# 1. the central afresh, r1 from a state file above 2^32
vtl_start c -R
spi_in=$(vt_peer c r1 'p["spi_in"]') spi_out=$(vt_peer c r1 'p["spi_out"]')
printf '# vpntund state v2\nout %s %s\nin %s 0\n' "$spi_in" "$high" "$spi_out" >"$VT_TMP/r1.state"
chmod 600 "$VT_TMP/r1.state"
vtl_start r1
assert_eq "$(vtl_sa r1 central out seq)" "$high" "r1's outbound SA starts at its mark"
assert_eq "$(top)" 0 "central: window top after -R"

# 2. r1 -> central, one datagram at a time: rejected under the high half
#    A2.2 infers, until the central resynchronises (ESP_RESYNC_THRESHOLD)
vt_udp_listen lc 7000 "$VT_TMP/lc.log"
vt_capture_start inet tor1 198.18.1.2 198.18.0.1 100 "$VT_TMP/r1.pkt"
sent=0
delivered() { vt_lines "$VT_TMP/lc.log" up; }
seen() { vtl_peer_q c r1 'p["drops"]["auth"] + p["drops"]["state"] + p["packets_in"]'; }
while [ "$(delivered)" -eq 0 ] && [ "$sent" -lt 12 ]; do
	s0=$(seen)
	sent=$((sent + 1))
	vt_udp_send l1 172.16.0.10 7000 "up" 1 100
	wait_until 5 vt_cmp seen -gt "$s0" || fail "datagram $sent from r1: the central saw nothing"
done
vt_capture_wait "$VT_TMP/r1.pkt"
vt_log_msg "resync: $(delivered) delivered after $sent datagrams; drops $(vt_peer c r1 'p["drops"]'), window top $(top)"
if [ "$(delivered)" -eq 0 ]; then
	# The 8th failure found the high half (logged), but that packet was
	# dropped as not yet durable in the state file, and A3 had moved on.
	vtl_bug "ESN resync: $sent datagrams from r1 (seq 2^32 + 101 ...), none delivered although the central logged \"$(grep -m 1 'ESN resynchronised' "$(vt_log c)")\": that packet was dropped (drops $(vt_peer c r1 'p["drops"]')) and the next ones fail again"
	# The first block of high halves comes round every 256 failures.
	vt_udp_send l1 172.16.0.10 7000 "more" 300 100
	wait_until 10 vt_cmp 'vt_lines "$VT_TMP/lc.log" more' -ge 1 ||
		fail "ESN resync: not delivered after 300 more datagrams: drops $(vt_peer c r1 'p["drops"]')"
	vt_log_msg "resync: delivered after $((sent + 300 - $(vt_lines "$VT_TMP/lc.log" more))) failing datagrams"
fi
t=$(top)
[ $((t >> 32)) -eq 1 ] || fail "central: window top $t after resync, expected in the high half 1"
assert_ge "$(resyncs)" 1 "'ESN resynchronised' log lines"
vt_ping l1 172.16.0.10 3
vt_ping lc 10.2.1.10 3

# 3. forged packets after the resync: r1's captured packet with sequence
#    numbers ahead of the window fail under the inferred high half and,
#    from the eighth on, under the higher ones A3 tries; the window stays
t=$(top) a0=$(auth) r0=$(resyncs) in0=$(vt_peer_counter c r1 packets_in)
read -r _ cseq _ < <(vt_espinfo "$VT_TMP/r1.pkt")
for ((i = 1; i <= 24; i++)); do
	vt_tamper "$VT_TMP/r1.pkt" "$VT_TMP/forged.pkt" $(((cseq + i * 1000) & 0xffffffff))
	vt_inject inet "$VT_TMP/forged.pkt"
done
wait_until 10 vt_cmp auth -ge $((a0 + 24)) || fail "24 forged packets: drops.auth $(auth), was $a0"
assert_eq "$(top)" "$t" "window top after forgeries"
assert_eq "$(resyncs)" "$r0" "'ESN resynchronised' lines after forgeries"
assert_eq "$(vt_peer_counter c r1 packets_in)" "$in0" "packets_in after forgeries"
vt_ping l1 172.16.0.10 3
assert_gt "$(top)" "$t" "window top after genuine traffic"

# 4. the central loses its inbound mark (the line gone, -R; its outbound
#    mark stays, or r1 would drop its numbers as replays): forged packets,
#    however many, never resynchronise it; r1's own packets do
vt_stop c
grep -q "^in $spi_in " "$VT_TMP/c.state" || fail "no in mark for $spi_in in $(cat "$VT_TMP/c.state")"
sed -i "/^in $spi_in /d" "$VT_TMP/c.state"
vtl_start c -R
assert_eq "$(top)" 0 "central: window top after a second -R"
a0=$(auth) r0=$(resyncs)
for ((i = 1; i <= 40; i++)); do
	vt_tamper "$VT_TMP/r1.pkt" "$VT_TMP/forged.pkt" $(((cseq + i * 7919) & 0xffffffff))
	vt_inject inet "$VT_TMP/forged.pkt"
done
wait_until 10 vt_cmp auth -ge $((a0 + 40)) || fail "40 forged packets while lost: drops.auth $(auth), was $a0"
assert_eq "$(top)" 0 "window top after forgeries while lost"
assert_eq "$(resyncs)" "$r0" "'ESN resynchronised' lines after forgeries while lost"
assert_eq "$(vt_peer_counter c r1 packets_in)" 0 "packets_in after forgeries while lost"
# The forgeries pushed A3's count on: its first block of high halves
# comes round at the 264th failure, so some 224 genuine packets fail.
vt_udp_send l1 172.16.0.10 7000 "again" 600 100
wait_until 10 vt_cmp 'vt_lines "$VT_TMP/lc.log" again' -ge 1 ||
	fail "not resynchronised by 600 genuine datagrams after the forgeries: drops $(vt_peer c r1 'p["drops"]'), top $(top)"
lost=$((600 - $(vt_lines "$VT_TMP/lc.log" again)))
vt_log_msg "lost again: 40 forgeries, then $lost of 600 genuine datagrams lost before the resync"
[ "$lost" -le 260 ] ||
	vtl_bug "ESN resync after 40 forgeries: $lost genuine datagrams lost, expected about 264 - 40 (the resynchronising packet was dropped as not durable again, and A3 moved on for another 256)"
[ $(($(top) >> 32)) -eq 1 ] || fail "central: window top $(top) after the second resync"
vt_ping l1 172.16.0.10 3
vt_stop r1
vt_stop c
vtl_done

#!/usr/bin/env bash
# Anti-replay and authentication (RFC 4303 3.4.3, 3.4.4): a captured ESP
# packet sent again is dropped as a replay and its inner packet is not
# delivered twice; a forged packet (fresh sequence number, stale ICV) is
# dropped as auth and does not move the window; a remote with the wrong key
# gets nothing through: with derived keying it cannot even synchronise, so
# it sends no data at all, and its requests are refused by the central.
# The central's log sums the replays and forgeries up, per peer, in one
# warning every 10 s with the interval's counts, not one per packet.
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

# The central's drop reports on r1 (3c): lines, replays, forgeries.
drop_report() {
	"$VT_PY" - "$(vt_log c)" <<'EOF'
import re, sys
n = r = a = 0
for line in open(sys.argv[1], errors="replace"):
    m = re.fullmatch(r"vpntund: warning: peer r1: (.*) in the last 10 s\n", line)
    if not m:
        continue
    n += 1
    for part in m.group(1).split(", "):
        k = int(part.split()[0])
        if re.fullmatch(r"\d+ packets? dropped as (replays|a replay)", part):
            r += k
        elif re.fullmatch(r"\d+( packets?)? failed authentication", part):
            a += k
        else:
            sys.exit("bad drop report: " + line)
print(n, r, a)
EOF
}
read -r nrep0 _ < <(drop_report)
t0=$SECONDS

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

# 3b. a burst of replays, in chunks that the socket buffer holds
for i in 1 2 3 4; do
	before=$(vt_peer_counter c r1 drops.replay)
	vt_inject inet "$VT_TMP/orig.pkt" 50
	wait_until 10 vt_cmp 'vt_peer_counter c r1 drops.replay' -ge $((before + 50)) ||
		fail "burst $i: central drops.replay $(vt_peer_counter c r1 drops.replay), expected $((before + 50))"
done
assert_eq "$(vt_lines "$VT_TMP/udp.log" once-only)" 1 "datagram delivered once only"

# 3c. the drop report: "peer r1: N packets dropped as replays, M failed
#     authentication in the last 10 s" lines whose counts add up to the
#     counters, at most one per 10 s
rep=$(vt_peer_counter c r1 drops.replay)
auth=$(vt_peer_counter c r1 drops.auth)
wait_until 25 vt_cmp 'drop_report | cut -d" " -f2-' = "$rep $auth" ||
	fail "drop report on r1 (lines, replays, auth): $(drop_report), expected replays $rep and auth $auth"
read -r nrep _ < <(drop_report)
elapsed=$((SECONDS - t0))
vt_log_msg "drop report: $nrep lines for $rep replays and $auth forgeries in $elapsed s"
assert_ge "$rep" $((rep0 + 203)) "central: replays counted"
[ $((nrep - nrep0)) -le $((elapsed / 10 + 1)) ] ||
	fail "drop report: $((nrep - nrep0)) lines in $elapsed s, expected at most one per 10 s"
grep -q "peer r1: [0-9]* packets dropped as replays" "$(vt_log c)" ||
	fail "drop report: no line summing several replays"
assert_eq "$(vt_peer_counter c r1 drops.replay)" "$rep" "central: replays after the report"

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

#!/usr/bin/env bash
# Bridged frames go through the same scheduler as IP: r1
# bridges IPX from its tap to the central router, and a storm of 1200-byte
# IPX SAP broadcasts (10 Mbit/s, the flood limits turned off so that only
# the scheduler stands in the way) runs together with audio-like UDP from
# l1. r1's 2 Mbit/s uplink has an "audio" class (EF, priority 0), a default
# "bulk" class and the "lan" class marked `bridge`, which takes the tap's
# frames. Asserts: no audio loss and a low audio p99 one-way delay; the lan
# class sent frames and dropped the excess at its limit; the central router
# received on r1's SA exactly the frames the lan class sent, and wrote
# them to its tap; the output stayed within the bandwidth. Bounds are
# loose: a busy machine must not make this flaky.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init qos_bridge
vt_topology v4
VT_EXTRA_SITE_c=$'\ttap vtq\n\tbridge ipx\n\tbridge-flood 0'
VT_EXTRA_SITE_r1=$'\ttap vtq\n\tbridge ipx\n\tbridge-flood 0'
vt_write_configs udp v4 aes-gcm
BW=2000000
cat >>"$(vt_conf r1)" <<EOF
qos {
	bandwidth 2mbit
	class "audio" rate 256kbit priority 0 limit 50 packets
	class "bulk" rate 1mbit priority 3 borrow limit 100 packets default
	class "lan" rate 256kbit priority 5 borrow ceil 1mbit limit 50 packets bridge
}
pass out proto udp dscp ef queue audio
EOF
vt_start c
vt_start r1
vt_ping l1 172.16.0.10 2
for s in c r1; do
	ip -n "$(vt_ns $s)" link show vtq >/dev/null || fail "$s: no tap vtq"
	assert_eq "$(vt_counter $s 'd["bridge"]["mode"]')" ipx "$s: bridge mode"
done

FLOW=$VT_DIR/qosflow.py
RES=$VT_TMP/flow.json
vt_bg recv ip netns exec "$(vt_ns lc)" "$VT_PY" "$FLOW" recv 7001 7000 "$RES"
wait_until 10 test -e "$RES.ready" || fail "receiver on lc not ready"
tap_rx() { ip -n "$(vt_ns "$1")" -j -s link show vtq | "$VT_PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'; }
tapc0=$(tap_rx c)
vt_bg storm ip netns exec "$(vt_ns r1)" "$VT_PY" "$VT_DIR/tapflood.py" vtq 7 1000 1200
SPID=$VT_BG_PID
# Audio starts once the storm has filled the lan class's queue.
wait_until 10 vt_cmp 'vt_class r1 lan qlen' -gt 10 || fail "r1: the storm did not fill the lan class ($(vt_class r1 lan qlen) queued)"
vt_bg audio ip netns exec "$(vt_ns l1)" "$VT_PY" "$FLOW" audio 172.16.0.10 7001 200 20 0xb8 200
APID=$VT_BG_PID
ip netns exec "$(vt_ns r1)" "$VT_PY" "$FLOW" snap "$VPNTUND_BUILD/vpntunctl" \
    "$(vt_sock r1)" 4 >"$VT_TMP/snap.json" || fail "status snapshots failed"
wait_until 20 vt_dead "$APID" || fail "audio sender did not finish"
wait_until 20 vt_dead "$SPID" || fail "frame storm did not finish"
written=$(tail -n 1 "$VT_TMP/storm.out")
vt_log_msg "storm: $written frames written to r1's tap"
assert_gt "$written" 3000 "frames written to r1's tap"
touch "$RES.stop"
wait_until 10 test -e "$RES" || fail "receiver wrote no result"
vt_log_msg "flows: $(cat "$RES")"
vt_log_msg "rate: $(cat "$VT_TMP/snap.json")"
vt_ctl r1 status >&2

val() { "$VT_PY" -c 'import json,sys; print(eval(sys.argv[2], {}, json.load(open(sys.argv[1]))))' "$@"; }
assert_eq "$(val "$RES" audio)" 200 "audio packets received (loss must be 0)"
p99=$(val "$RES" 'int(delay_p99_ms)')
[ "$p99" -lt 100 ] || fail "audio p99 one-way delay ${p99} ms under a frame storm, expected < 100 ms"

wait_until 10 vt_cmp 'vt_class r1 lan qlen' -eq 0 || fail "r1: the lan class still holds $(vt_class r1 lan qlen) frames"
classes=$(vt_counter r1 'd["qos"]["classes"]')
cls() { "$VT_PY" -c 'import json,sys; c={x["name"]: x for x in json.loads(sys.argv[1])}; print(eval(sys.argv[2], {}, c))' "$classes" "$1"; }
assert_eq "$(cls 'audio["drops"]')" 0 "audio class drops"
lan=$(cls 'lan["packets"]')
assert_gt "$lan" 100 "frames sent by the lan class"
assert_gt "$(cls 'lan["drops"]')" 1000 "frames dropped at the lan class's limit"
# Every frame the scheduler sent arrived on r1's SA and was bridged to the
# central's tap (its only other port, r2, has no endpoint), and nothing
# was dropped on the way in.
wait_until 10 vt_cmp 'vt_peer_counter c r1 bridge.frames_in' -ge "$lan" ||
	fail "central: bridge.frames_in from r1 $(vt_peer_counter c r1 bridge.frames_in), lan class sent $lan"
assert_eq "$(vt_peer_counter c r1 bridge.frames_in)" "$lan" "central: frames in from r1 = frames the lan class sent"
assert_eq "$(vt_peer_counter r1 central bridge.frames_out)" "$lan" "r1: frames out to central = lan class packets"
for r in not_selected too_big etherip flood no_tap; do
	assert_eq "$(vt_peer_counter c r1 bridge.drops.$r)" 0 "central: bridge drops.$r from r1"
done
assert_ge "$(( $(tap_rx c) - tapc0 ))" "$lan" "central: frames written to its tap"
rate=$(val "$VT_TMP/snap.json" 'int(bytes * 8 / short)')
vt_log_msg "output rate up to ${rate} bit/s (bandwidth $BW)"
[ "$rate" -le $((BW * 105 / 100)) ] || fail "output rate $rate bit/s above bandwidth $BW x 1.05"
assert_eq "$(vt_peer_counter c r1 drops.auth)" 0 "central: auth drops"

vt_stop r1
vt_stop c

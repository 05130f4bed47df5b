#!/usr/bin/env bash
# `bridge all` carries every frame, and the central router limits
# the flooded frames each port may send (`bridge-flood 10 burst 20`). The
# star of lib.sh, every router with a tap (vtap0) in `bridge all` mode; the
# central with the flood limit, r2 with none (`bridge-flood 0`), r1 with the
# default. Both remotes on aes-gcm. The test asserts:
#   1. ARP, IPv4, 0x88b5 (also at the largest frame that fits), 0x8138 and
#      IPX frames from r1 reach the central's and r2's taps byte for byte
#      (but an IPv4 frame that r1's `block out on tap ... port 7` matches,
#      counted `filter` on r1),
#      exactly once, never r1's; non-IPX unicast to a learned MAC from the
#      central and from r2 reaches that MAC's tap only; a VLAN-tagged frame
#      one tag longer than fits is dropped (too_big) and nothing of it
#      crosses; every bridge counter equals a ledger of what was sent;
#   2. the flood limit of a peer port: 100 IPX broadcasts sent at once from
#      r2 (no limit of its own: all 100 leave it) -- the central passes the
#      same frames to its tap and to r1, at least the first 20 (the burst)
#      and at most 20 + 10/s of the time it took, and counts the rest as
#      `flood` on peer r2;
#   3. the flood limit of the central's own tap: 60 broadcasts from it, the
#      same frames at both remotes, within the same bounds, the rest
#      counted as the central's site drop `flood`;
#   4. (central restarted with bridge-age 3) a MAC that moves from r2 to r1
#      is followed, and one not seen for 3 s is forgotten (no sooner) and
#      its frames flooded again;
#   0. an explicit `tap vtap0 mtu 9000` stops vpntund at start with
#      "tap mtu 9000 exceeds what fits in the tunnel (M)".
# shellcheck disable=SC2154 # frames are assigned by vt_br_frame (printf -v)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init bridge_all
command -v tshark >/dev/null || vt_skip "no tshark"
T0=$(vt_now_ms)

vt_topology v4
vt_quiet_new_devs c r1 r2
# An explicit tap mtu larger than what fits stops vpntund at start.
# shellcheck disable=SC2034 # read by vt_write_configs
VT_EXTRA_SITE_c=$'\ttap vtap0 mtu 9000\n\tbridge all'
vt_write_configs udp v4 aes-gcm aes-gcm
rc=0
timeout 20 ip netns exec "$(vt_ns c)" "$VPNTUND_BUILD/vpntund" -f -c "$(vt_conf c)" \
    >"$VT_TMP/badmtu.out" 2>&1 </dev/null || rc=$?
if [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ]; then
	fail "vpntund with tap mtu 9000: exit status $rc: $(tail -n 3 "$VT_TMP/badmtu.out")"
fi
grep -Eq "tap mtu 9000 exceeds what fits in the tunnel \([0-9]+\)" "$VT_TMP/badmtu.out" ||
	fail "vpntund with tap mtu 9000: no 'tap mtu 9000 exceeds what fits in the tunnel (M)': $(tail -n 3 "$VT_TMP/badmtu.out")"
ip -n "$(vt_ns c)" link show "$VT_TAP" >/dev/null 2>&1 && fail "tap mtu 9000: $VT_TAP left behind"
VT_EXTRA_SITE_c=$'\ttap vtap0\n\tbridge all\n\tbridge-flood 10 burst 20'
# shellcheck disable=SC2034
VT_EXTRA_SITE_r1=$'\ttap vtap0\n\tbridge all'
# r1 blocks one kind of IPv4 frame from its tap (an `out` rule on tap)
# shellcheck disable=SC2034
VT_EXTRA_RULES_r1='block out on tap inet proto udp to 10.99.0.1 port 7'
# shellcheck disable=SC2034
VT_EXTRA_SITE_r2=$'\ttap vtap0\n\tbridge all\n\tbridge-flood 0'
vt_write_configs udp v4 aes-gcm aes-gcm
printf '%s\n' "$VT_EXTRA_RULES_r1" >>"$(vt_conf r1)"
vt_start c
vt_start r1
vt_start r2
vt_ping l1 172.16.0.10 1
vt_ping l2 172.16.0.10 1

declare -A MTU
for s in c r1 r2; do
	MTU[$s]=$(ip -n "$(vt_ns "$s")" -o link show "$VT_TAP" | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
	got=$(vt_counter "$s" '"%s %s %s" % (d["bridge"]["tap"], d["bridge"]["mode"], d["bridge"]["mtu"])')
	assert_eq "$got" "$VT_TAP all ${MTU[$s]}" "$s: status bridge tap/mode/mtu vs the device"
done
assert_eq "${MTU[r1]}" "${MTU[c]}" "tap MTU of r1 vs the central (same suite)"
MAXF=$((MTU[c] + 14))
for s in c r1 r2; do
	vt_tap_capture "$s" "$VT_TMP/cap_$s"
done
A=$VT_BR_A B=$VT_BR_B C=$VT_BR_C U=$VT_BR_U BC=$VT_BR_BC
# flooded frames each port of the central has sent so far (flood tokens)
declare -A USED=([c]=0 [r1]=0 [r2]=0)

# --- 1. every frame crosses in `all` mode -------------------------------------
frames=()
vt_br_frame f other arp "$A" "$BC" 60 "r1-arp" && frames+=("$f")
vt_br_frame f other ipv4 "$A" "$U" 0 "r1-ipv4" && frames+=("$f")
vt_br_frame f other 0x88b5 "$A" "$U" 64 "r1-88b5" && frames+=("$f")
vt_br_frame f other 0x88b5 "$A" "$U" "$MAXF" "r1-88b5-max" && frames+=("$f")
vt_br_frame f other 0x8138 "$A" "$BC" 64 "r1-8138" && frames+=("$f")
vt_br_frame f ipx raw "$A" "$U" 80 "r1-ipx-raw" && frames+=("$f")
vt_br_frame blocked other ipv4:7 "$A" "$U" 0 "r1-ipv4-port7"
vt_br_send r1 "$blocked" "${frames[@]}"
vt_br_led r1/-/drops.filter 1
for f in "${frames[@]}"; do
	vt_br_flood r1 "$f"
	vt_br_expect_at "$f" "r1's $(vt_br_len "$f")-byte frame in all mode" c r2
	USED[r1]=$((USED[r1] + 1))
done
vt_br_never_at "$blocked" "IPv4 frame to UDP port 7, blocked by r1's rule" c r2
# the central's ARP broadcast teaches it C (local)
vt_br_frame carp other arp "$C" "$BC" 60 "c-arp"
vt_br_send c "$carp"
vt_br_flood c "$carp"
USED[c]=$((USED[c] + 1))
vt_br_expect_at "$carp" "the central's ARP broadcast" r1 r2
# r2 -> A (learned on r1) and -> C (local): known unicast, not flooded
vt_br_frame b2a other ipv4 "$B" "$A" 0 "B-to-A-ipv4"
vt_br_frame b2c other 0x88b5 "$B" "$C" 90 "B-to-C-88b5"
vt_br_send r2 "$b2a" "$b2c"
vt_br_hop r2 c "$b2a"
vt_br_hop c r1 "$b2a"
vt_br_hop r2 c "$b2c"
vt_br_expect_at "$b2a" "IPv4 unicast B -> A" r1
vt_br_expect_at "$b2c" "0x88b5 unicast B -> C" c
# the central -> B (learned on r2) and -> A (on r1)
vt_br_frame c2b other 0x88b5 "$C" "$B" 100 "C-to-B-88b5"
vt_br_frame c2a other arp "$C" "$A" 60 "C-to-A-arp"
vt_br_send c "$c2b" "$c2a"
vt_br_hop c r2 "$c2b"
vt_br_hop c r1 "$c2a"
vt_br_expect_at "$c2b" "0x88b5 unicast C -> B" r2
vt_br_expect_at "$c2a" "ARP unicast C -> A" r1
# too big in all mode too: one 802.1Q tag more than fits
vt_br_frame big other 0x88b5 "$A" "$U" $((MAXF + 4)) "r1-big"
big=${big:0:24}8100000588b5${big:36}        # a tag; the length stays MAXF + 4
vt_br_send r1 "$big"
vt_br_led r1/-/drops.too_big 1
vt_br_barrier r1 c r2
vt_br_barrier c r1 r2
vt_br_barrier r2 c r1
USED[r1]=$((USED[r1] + 1)) USED[c]=$((USED[c] + 1)) USED[r2]=$((USED[r2] + 1))
vt_br_never_at "$b2a" "IPv4 unicast B -> A" c r2
vt_br_never_at "$b2c" "0x88b5 unicast B -> C" r1 r2
vt_br_never_at "$c2b" "0x88b5 unicast C -> B" r1 c
vt_br_never_at "$c2a" "ARP unicast C -> A" r2 c
vt_br_never_at "$big" "frame one VLAN tag too big" c r2
for s in c r2; do
	n=$(awk -v m=$((MAXF + 1)) '$1 == "in" && length($2) / 2 >= m' "$VT_TMP/cap_$s" | wc -l)
	assert_eq "$n" 0 "frames longer than the largest that fits on $s's tap"
done
vt_br_check_ledger "all mode"
# `vpntunctl rules`: r1's rule decided that one frame, counted whole
assert_eq "$(vt_ctl r1 rules --json | "$VT_PY" -c '
import json, sys
print(" ".join("%s:%s:%d:%d" % (r["action"], r["dir"], r["packets"], r["bytes"])
               for r in json.load(sys.stdin)["rules"]))')" \
	"block:out:1:$(vt_br_len "$blocked")" "r1: frames and bytes its tap rule decided"
vt_br_no_echo r1 c r2

# --- flood bursts -------------------------------------------------------------------
# burst FROM N TAG: N IPX RIP broadcasts from FROM's tap, sent at once; sets
# BURST (their hex) and BURST_MS (from before the send until the counters
# of the two other taps stopped moving).
burst() {
	local from=$1 n=$2 tag=$3 mac list=$VT_TMP/burst-$3
	case $from in r2) mac=$B ;; c) mac=$C ;; esac
	vt_frame ipx ethii "$mac" "$BC" 0 "$tag" --count "$n" --dsock 0x0453 \
	    --ssock 0x0453 --meta "$VT_TMP/meta" >"$list"
	mapfile -t BURST <"$list"
	assert_eq "$(sort -u "$list" | wc -l)" "$n" "$tag: distinct frames"
	BURST_T=$(vt_now_ms)
	vt_tap_send "$from" "@$list"
}
# passed SITE TAG: "1" for each burst frame that came in on SITE's tap, "0" not
passed() {
	"$VT_PY" - "$VT_TMP/cap_$1" "$VT_TMP/burst-$2" <<'EOF'
import sys
got = set(l.split()[1] for l in open(sys.argv[1]) if l.startswith("in "))
print("".join("1" if l.strip() in got else "0" for l in open(sys.argv[2])))
EOF
}
# check_burst FROM TAG N USED DROPKEY SITES...: the flood limit held
check_burst() {
	local from=$1 tag=$2 n=$3 used=$4 dropkey=$5 s1=$6 s2=$7 p1 p2 k drops ms max
	settled() {
		local d
		d=$(vt_counter c "$DROPEXPR") || return 1
		p1=$(passed "$s1" "$tag") p2=$(passed "$s2" "$tag")
		k=${p1//0/}
		[ $(( ${#k} + d )) -eq "$n" ] && [ "$p1" = "$p2" ]
	}
	wait_until 15 settled || fail "$tag: after 15 s, $s1 got $(tr -cd 1 <<<"$p1" | wc -c), $s2 $(tr -cd 1 <<<"$p2" | wc -c) of $n, flood drops $(vt_counter c "$DROPEXPR") (frames passed: $p1 / $p2)"
	ms=$(($(vt_now_ms) - BURST_T))
	k=${p1//0/}
	k=${#k}
	drops=$((n - k))
	# the bucket held at least 20 - used tokens, and at most 20; it gained
	# at most 10 a second while the burst went through
	max=$((20 + (10 * ms + 999) / 1000 + 1))
	[ "$k" -ge $((20 - used)) ] || fail "$tag: $k of $n passed, expected >= $((20 - used)) (burst 20, $used used before)"
	[ "$k" -le "$max" ] || fail "$tag: $k of $n passed in $ms ms, expected <= $max (burst 20 + 10/s)"
	local first=${p1:0:$((20 - used))}
	[ "${first//1/}" = "" ] || fail "$tag: the first $((20 - used)) frames (the bucket's) did not all pass: $p1"
	vt_br_led "$dropkey" "$drops"
	vt_log_msg "$tag: $k of $n passed to $s1 and $s2 (the same ones) in $ms ms, $drops counted flood; passed: $p1"
	PASSED_N=$k
}

# --- 2. from r2 (no limit of its own), limited by the central's port r2 -----------
N=100
burst r2 $N r2flood
DROPEXPR='[p for p in d["peers"] if p["name"] == "r2"][0]["bridge"]["drops"]["flood"]'
check_burst r2 r2flood $N "${USED[r2]}" c/r2/drops.flood c r1
assert_eq "$(vt_peer_counter r2 central bridge.frames_out)" $((${VT_BR_EXP[r2/central/frames_out]:-0} + N)) \
    "r2: frames_out (no flood limit of its own)"
for f in "${BURST[@]}"; do
	vt_br_led r2/central/frames_out 1
	vt_br_led r2/central/bytes_out "$(vt_br_len "$f")"
done
for f in "${BURST[@]}"; do
	[ "$(vt_frames_in "$VT_TMP/cap_c" "$f")" -gt 0 ] || continue
	vt_br_led c/r2/frames_in 1
	vt_br_led c/r2/bytes_in "$(vt_br_len "$f")"
	vt_br_hop c r1 "$f"
done
# frames_in on the central for frames it dropped for the flood limit: the
# spec does not say; either reading is accepted (and reported)
fin=$(vt_peer_counter c r2 bridge.frames_in)
if [ "$fin" != "${VT_BR_EXP[c/r2/frames_in]}" ]; then
	assert_eq "$fin" $((VT_BR_EXP[c/r2/frames_in] + N - PASSED_N)) "central: frames_in from r2 (with the flood drops or without)"
	for f in "${BURST[@]}"; do
		[ "$(vt_frames_in "$VT_TMP/cap_c" "$f")" -gt 0 ] && continue
		vt_br_led c/r2/frames_in 1
		vt_br_led c/r2/bytes_in "$(vt_br_len "$f")"
	done
	vt_log_msg "note: the central counts frames it drops for the flood limit in frames_in"
fi
vt_br_check_ledger "flood from r2"

# --- 3. from the central's own tap ----------------------------------------------------
N=60
burst c $N cflood
DROPEXPR='d["bridge"]["drops"]["flood"]'
check_burst c cflood $N "${USED[c]}" c/-/drops.flood r1 r2
for f in "${BURST[@]}"; do
	[ "$(vt_frames_in "$VT_TMP/cap_r1" "$f")" -gt 0 ] && vt_br_flood c "$f"
done
vt_br_check_ledger "flood from the central's tap"
vt_br_no_echo r1 c r2

for s in c r1; do
	vt_tap_capture_stop "$VT_TMP/cap_$s"
done
vt_br_tshark_check c 20
vt_br_tshark_check r1 20

# --- 4. ageing and moves (the central restarted with bridge-age 3) ---------------------
for s in c r1; do
	mv "$VT_TMP/cap_$s" "$VT_TMP/cap_$s.1"
	mv "$VT_TMP/cap_$s.pcap" "$VT_TMP/cap_$s.1.pcap"
done
VT_EXTRA_SITE_c=$'\ttap vtap0\n\tbridge all\n\tbridge-age 3\n\tbridge-flood 0'
vt_write_configs udp v4 aes-gcm aes-gcm
vt_restart c
for k in "${!VT_BR_EXP[@]}"; do
	[[ $k == c/* ]] && unset "VT_BR_EXP[$k]"
done
vt_ping l1 172.16.0.10 1
vt_ping l2 172.16.0.10 1
for s in c r1; do
	vt_tap_capture "$s" "$VT_TMP/cap_$s"
done
# mac_port MAC: B's port in the central's table ("-" if not there)
mac_port() {
	vt_ctl c bridge --json | "$VT_PY" -c '
import json, sys
d = json.load(sys.stdin)
print(([m["port"] for m in d["macs"] if m["mac"] == sys.argv[1]] + ["-"])[0])' "$1"
}
vt_br_frame x1 ipx ethii "$B" "$U" 70 "age-B-on-r2"
vt_br_send r2 "$x1"
vt_br_flood r2 "$x1"
vt_br_expect_at "$x1" "B's frame from r2" c r1
assert_eq "$(mac_port "$B")" r2 "central: B's port after B's frame from r2"
vt_br_frame a2b ipx ethii "$A" "$B" 70 "age-A-to-B"
vt_br_send r1 "$a2b"
vt_br_hop r1 c "$a2b"
vt_br_hop c r2 "$a2b"
vt_br_expect_at "$a2b" "A -> B while B is on r2" r2
vt_br_barrier r1 c r2
vt_br_never_at "$a2b" "A -> B while B is on r2" c
# B moves behind r1: the central follows it
T_B=$(vt_now_ms)
vt_br_frame mv1 ipx ethii "$B" "$U" 70 "age-B-moved-to-r1"
vt_br_send r1 "$mv1"
vt_br_flood r1 "$mv1"
vt_br_expect_at "$mv1" "B's frame from r1" c r2
assert_eq "$(mac_port "$B")" r1 "central: B's port after B's frame from r1"
vt_br_frame c2b ipx ethii "$C" "$B" 70 "age-C-to-B-on-r1"
vt_br_send c "$c2b"
vt_br_hop c r1 "$c2b"
vt_br_expect_at "$c2b" "C -> B after B moved to r1" r1
vt_br_barrier c r1 r2
vt_br_never_at "$c2b" "C -> B after B moved to r1" r2
vt_br_check_ledger "B moved"
# B ages out 3 s after it was last seen, no sooner; C -> B is flooded again
# shellcheck disable=SC2016 # vt_cmp evaluates it
wait_until 10 vt_cmp 'mac_port "$B"' = - || fail "central: B still in the table 10 s after it was last seen (bridge-age 3)"
gone=$(($(vt_now_ms) - T_B))
assert_ge "$gone" 3000 "ms from B's last frame until the central forgot it (bridge-age 3)"
vt_br_frame c2b2 ipx ethii "$C" "$B" 70 "age-C-to-B-aged"
vt_br_send c "$c2b2"
vt_br_hop c r1 "$c2b2"
vt_br_led c/r2/frames_out 1
vt_br_led c/r2/bytes_out "$(vt_br_len "$c2b2")"
# r1 has B on its tap; r2 has it behind the central (B's frame from r1
# came that way), so r2's bridge sends it nowhere: the central's flood is
# seen in its frames_out to r2, and r2's frames_in
vt_br_expect_at "$c2b2" "C -> B after B aged out (flooded)" r1
vt_br_barrier c r1 r2
vt_br_never_at "$c2b2" "C -> B at r2, whose bridge has B behind the central" r2
# (the barrier is in the ledger: once r2 counted it, it counted what came before)
wait_until 10 vt_cmp 'vt_peer_counter r2 central bridge.frames_in' -ge "${VT_BR_EXP[r2/central/frames_in]}" ||
	fail "r2: frames_in $(vt_peer_counter r2 central bridge.frames_in), expected >= ${VT_BR_EXP[r2/central/frames_in]}"
fin=$(vt_peer_counter r2 central bridge.frames_in)
if [ "$fin" != "${VT_BR_EXP[r2/central/frames_in]}" ]; then
	assert_eq "$fin" $((VT_BR_EXP[r2/central/frames_in] + 1)) "r2: frames_in (with the frame for B or without)"
	vt_br_led r2/central/frames_in 1
	vt_br_led r2/central/bytes_in "$(vt_br_len "$c2b2")"
	vt_log_msg "note: r2 counts in frames_in a frame its bridge sends nowhere"
fi
vt_br_check_ledger "ageing"
vt_br_no_echo r1 c r2
vt_log_msg "ageing: B followed from r2 to r1, forgotten after $gone ms (bridge-age 3), then flooded"

vt_stop r1
vt_stop r2
vt_stop c
for s in c r1 r2; do
	ip -n "$(vt_ns "$s")" link show "$VT_TAP" >/dev/null 2>&1 &&
		fail "vpntund for $s left $VT_TAP behind"
done
vt_log_msg "done in $((($(vt_now_ms) - T0) / 1000)) s"

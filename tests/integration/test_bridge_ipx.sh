#!/usr/bin/env bash
# IPX bridged through tap devices, EtherIP inside ESP, by a central
# router that learns MAC addresses. The star of lib.sh, every router with a
# tap (vtap0) and `bridge ipx`; r1 on aes-gcm, r2 on aes-cbc/hmac-sha1-96,
# so the central's tap MTU is r2's (the smaller) and r1's is larger.
#
# Frames are built here (ipxframes.py), transmitted on a tap with an
# AF_PACKET socket (vpntund reads them), and recorded on every tap with the
# direction the kernel gives (PACKET_OUTGOING = ours, anything else = written
# by vpntund). Hosts: A behind r1, B behind r2, C behind the central, U never
# seen. The test asserts:
#   1. the four Novell framings (Ethernet II, raw 802.3, 802.2 LLC, SNAP,
#      one with an 802.1Q tag, one at the largest frame that fits) cross
#      byte for byte from r1, from r2 and from the central to the other two
#      taps, exactly once, and never come back to the tap they came from;
#   2. RIP (Ethernet II, socket 0x0453) and SAP (raw 802.3, 0x0452)
#      broadcasts from r1 reach the central's and r2's taps once each and
#      never r1's (a broadcast from the central after them reaches r1 first);
#   3. unicast follows the learned MAC: A -> B reaches r2 only, B -> A r1
#      only, A -> C the central only; `vpntunctl bridge` (text and --json)
#      lists A on r1, B on r2, C local with an age, and each remote lists
#      the others on "central";
#   4. ARP, IPv4, 0x88b5 and 0x8138 frames are dropped at the tap they come
#      from and counted not_selected there; nothing of them crosses;
#      a remote in `bridge all` mode sends them anyway and the central
#      (`bridge ipx`) drops them, counted not_selected on that peer;
#   5. a frame longer than what fits (VLAN-tagged at the MTU; one sent after
#      the tap MTU was raised behind vpntund's back) is dropped and counted
#      too_big, and nothing of it arrives anywhere; a frame that fits r1's
#      tunnel but not r2's never reaches r2 and is counted too_big;
#   6. the per-peer bridge counters of all three (frames and bytes, in and
#      out) and every drop counter equal a ledger kept of what was sent;
#   7. tshark dissects every IPX frame recorded on the central's and r2's
#      taps as IPX in the framing sent, with its sockets, network and type.
# shellcheck disable=SC2154 # frames are assigned by vt_br_frame (printf -v)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init bridge_ipx
command -v tshark >/dev/null || vt_skip "no tshark"
T0=$(vt_now_ms)

vt_topology v4
vt_quiet_new_devs c r1 r2
BR=$'\ttap vtap0\n\tbridge ipx'
# shellcheck disable=SC2034 # read by vt_write_configs
VT_EXTRA_SITE_c=$BR VT_EXTRA_SITE_r1=$BR VT_EXTRA_SITE_r2=$BR
vt_write_configs udp v4 aes-gcm aes-cbc:128/hmac-sha1-96
vt_start c
vt_start r1
vt_start r2
# The central learns the remotes' endpoints (dynamic) from their traffic.
vt_ping l1 172.16.0.10 1
vt_ping l2 172.16.0.10 1

# --- the taps and their MTU -------------------------------------------------
declare -A MTU
for s in c r1 r2; do
	ip -n "$(vt_ns "$s")" link show "$VT_TAP" | grep -q "state UP\|,UP" ||
		fail "$s: $VT_TAP is not up: $(ip -n "$(vt_ns "$s")" link show "$VT_TAP" 2>&1)"
	MTU[$s]=$(ip -n "$(vt_ns "$s")" -o link show "$VT_TAP" | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
	got=$(vt_counter "$s" '"%s %s %s" % (d["bridge"]["tap"], d["bridge"]["mode"], d["bridge"]["mtu"])')
	assert_eq "$got" "$VT_TAP ipx ${MTU[$s]}" "$s: status bridge tap/mode/mtu vs the device"
done
# The central's tap MTU is its worst peer's (r2, CBC); r1's tunnel (GCM)
# carries more.
assert_eq "${MTU[c]}" "${MTU[r2]}" "tap MTU of the central vs r2 (same SA suite)"
assert_gt "${MTU[r1]}" "${MTU[c]}" "tap MTU of r1 (aes-gcm) vs the central's (aes-cbc)"
# The agreed formula: outer MTU 1500 - (IPv4 20 + UDP 8 + SPI/seq 8 + IV +
# worst padding + pad length/next header 2 + ICV) - EtherIP 2 - Ethernet 14
assert_eq "${MTU[r1]}" $((1500 - (20 + 8 + 8 + 8 + 3 + 2 + 16) - 2 - 14)) "r1's tap MTU (aes-gcm: IV 8, ICV 16, 4-byte blocks)"
assert_eq "${MTU[c]}" $((1500 - (20 + 8 + 8 + 16 + 15 + 2 + 12) - 2 - 14)) "central's tap MTU (aes-cbc/hmac-sha1-96: IV 16, ICV 12, 16-byte blocks)"
MAXF=$((MTU[c] + 14))      # the largest frame that crosses everywhere
MAXF1=$((MTU[r1] + 14))    # the largest that fits r1's tunnel

for s in c r1 r2; do
	vt_tap_capture "$s" "$VT_TMP/cap_$s"
done

A=$VT_BR_A B=$VT_BR_B C=$VT_BR_C U=$VT_BR_U BC=$VT_BR_BC
frame() { vt_br_frame "$@"; }
flen() { vt_br_len "$1"; }
send() { vt_br_send "$@"; }
led() { vt_br_led "$@"; }
hop() { vt_br_hop "$@"; }
flood() { vt_br_flood "$@"; }
check_ledger() { vt_br_check_ledger "$@"; }
expect_at() { vt_br_expect_at "$@"; }
never_at() { vt_br_never_at "$@"; }
barrier() { vt_br_barrier "$@"; }

# --- 1. the four framings, flooded (unknown destination U) -------------------
frames=()
frame f ipx ethii "$A" "$U" 60 "r1-ethii" && frames+=("$f")
frame f ipx raw "$A" "$U" 64 "r1-raw" --dnet 0000beef --ssock 0x4001 && frames+=("$f")
frame f ipx llc "$A" "$U" 100 "r1-llc" --snet 0a000001 --dsock 0x4002 && frames+=("$f")
frame f ipx snap "$A" "$U" 200 "r1-snap" --dnet 00000002 --ptype 17 && frames+=("$f")
frame f ipx ethii "$A" "$U" "$MAXF" "r1-ethii-max" && frames+=("$f")
frame f ipx snap "$A" "$U" "$MAXF" "r1-snap-vlan-max" --vlan 42 && frames+=("$f")
frame f ipx llc "$A" "$U" 1000 "r1-llc-vlan" --vlan 7 && frames+=("$f")
send r1 "${frames[@]}"
for f in "${frames[@]}"; do
	flood r1 "$f"
	expect_at "$f" "r1's $(flen "$f")-byte frame" c r2
done
frames=()
frame f ipx ethii "$B" "$U" 80 "r2-ethii" --dsock 0x4010 && frames+=("$f")
frame f ipx raw "$B" "$U" "$MAXF" "r2-raw-max" && frames+=("$f")
frame f ipx llc "$B" "$U" 61 "r2-llc" && frames+=("$f")
frame f ipx snap "$B" "$U" 300 "r2-snap" --dnet 12345678 && frames+=("$f")
send r2 "${frames[@]}"
for f in "${frames[@]}"; do
	flood r2 "$f"
	expect_at "$f" "r2's $(flen "$f")-byte frame" c r1
done
frames=()
frame f ipx ethii "$C" "$U" 70 "c-ethii" && frames+=("$f")
frame f ipx raw "$C" "$U" 90 "c-raw" && frames+=("$f")
frame f ipx llc "$C" "$U" "$MAXF" "c-llc-max" && frames+=("$f")
frame f ipx snap "$C" "$U" 128 "c-snap" --ssock 0x0451 && frames+=("$f")
send c "${frames[@]}"
for f in "${frames[@]}"; do
	flood c "$f"
	expect_at "$f" "the central's $(flen "$f")-byte frame" r1 r2
done
check_ledger "framings"

# --- 2. RIP and SAP broadcasts from r1 -----------------------------------------
T_C=$(vt_now_ms)     # C is seen for the last time after this
frame rip ipx ethii "$A" "$BC" 0 "RIP1" --dsock 0x0453 --ssock 0x0453 --dnode "$BC" --dnet 00000000
frame sap ipx raw "$A" "$BC" 0 "FS-R1" --dsock 0x0452 --ssock 0x0452 --dnode "$BC"
send r1 "$rip" "$sap"
flood r1 "$rip"
flood r1 "$sap"
expect_at "$rip" "RIP broadcast from r1" c r2
expect_at "$sap" "SAP broadcast from r1" c r2
barrier c r1 r2        # the central -> r1 path is empty now
never_at "$rip" "RIP broadcast from r1, back to r1" r1
never_at "$sap" "SAP broadcast from r1, back to r1" r1
check_ledger "RIP/SAP"

# --- 3. unicast follows the learned MAC ------------------------------------------
frame b2a ipx ethii "$B" "$A" 100 "B-to-A" --dsock 0x0451
send r2 "$b2a"
hop r2 c "$b2a"
hop c r1 "$b2a"
expect_at "$b2a" "unicast B -> A (A behind r1)" r1
frame a2b ipx llc "$A" "$B" 100 "A-to-B" --dsock 0x0451
frame a2c ipx snap "$A" "$C" 100 "A-to-C" --dsock 0x0451
send r1 "$a2b" "$a2c"
hop r1 c "$a2b"
hop c r2 "$a2b"
hop r1 c "$a2c"
expect_at "$a2b" "unicast A -> B (B behind r2)" r2
expect_at "$a2c" "unicast A -> C (C behind the central)" c
T_B=$(vt_now_ms)     # A and B are seen for the last time after this
barrier r1 c r2
barrier r2 c r1
never_at "$a2b" "unicast A -> B" c r1
never_at "$b2a" "unicast B -> A" c r2
never_at "$a2c" "unicast A -> C" r2 r1
check_ledger "unicast"

# The central's table: A on r1, B on r2, C local, each with an age.
out=$(vt_ctl c bridge) || fail "vpntunctl bridge on the central failed"
head -n 1 <<<"$out" | grep -Eq '^MAC +PORT +AGE *$' ||
	fail "vpntunctl bridge: header line: $(head -n 1 <<<"$out")"
for m in "$A r1" "$B r2" "$C local"; do
	grep -Eq "^${m% *} +${m#* } +[0-9]+s *$" <<<"$out" ||
		fail "vpntunctl bridge on the central: no line '${m% *}  ${m#* }  Ns' in: $out"
done
assert_eq "$(($(wc -l <<<"$out") - 1))" 3 "vpntunctl bridge on the central: MAC lines"
# In columns (the port as wide as "local"), our tap first, then the peers
# in the configuration's order.
assert_eq "$(sed 's/[0-9]*s$//' <<<"$out")" \
	"$(printf '%-17s  %-5s  AGE\n%s  %-5s  \n%s  %-5s  \n%s  %-5s  ' \
	    MAC PORT "$C" local "$A" r1 "$B" r2)" \
	"vpntunctl bridge on the central: columns and order"
json=$(vt_ctl c bridge --json) || fail "vpntunctl bridge --json on the central failed"
now=$(vt_now_ms)
"$VT_PY" - "$json" "$A" "$B" "$C" $(((now - T_B) / 1000 + 1)) $(((now - T_C) / 1000 + 1)) <<'EOF' ||
import json, sys
d = json.loads(sys.argv[1])
a, b, c = sys.argv[2:5]
max_ab, max_c = int(sys.argv[5]), int(sys.argv[6])
got = {m["mac"]: (m["port"], m["age"]) for m in d["macs"]}
want = {a: "r1", b: "r2", c: "local"}
if {k: v[0] for k, v in got.items()} != want:
    sys.exit("macs/ports %s, expected %s" % (got, want))
for k, (port, age) in got.items():
    maxage = max_c if k == c else max_ab
    if not isinstance(age, int) or not 0 <= age <= maxage:
        sys.exit("%s: age %r, expected 0..%d (seen within that)" % (k, age, maxage))
EOF
	fail "vpntunctl bridge --json on the central: $json"
assert_eq "$(vt_counter c 'd["bridge"]["macs"]')" 3 "central: status bridge.macs"
json=$(vt_ctl r1 bridge --json) || fail "vpntunctl bridge --json on r1 failed"
"$VT_PY" - "$json" "$A" "$B" "$C" <<'EOF' || fail "vpntunctl bridge --json on r1: $json"
import json, sys
d = json.loads(sys.argv[1])
got = {m["mac"]: m["port"] for m in d["macs"]}
want = {sys.argv[2]: "local", sys.argv[3]: "central", sys.argv[4]: "central"}
if got != want:
    sys.exit("%s, expected %s" % (got, want))
EOF

# --- 4. frames that are not IPX ---------------------------------------------------
frame arp other arp "$A" "$BC" 60 "r1-arp"
frame ip4 other ipv4 "$A" "$U" 0 "r1-ipv4"
frame exp other 0x88b5 "$A" "$U" 64 "r1-88b5"
frame t38 other 0x8138 "$A" "$BC" 64 "r1-8138"
frame carp other arp "$C" "$BC" 60 "c-arp"
frame cexp other 0x88b5 "$C" "$B" 100 "c-88b5"
send r1 "$arp" "$ip4" "$exp" "$t38"
send c "$carp" "$cexp"
led r1/-/drops.not_selected 4
led c/-/drops.not_selected 2
barrier r1 c r2
barrier c r1 r2
for f in "$arp" "$ip4" "$exp" "$t38"; do
	never_at "$f" "r1's non-IPX frame in ipx mode" c r2
done
never_at "$carp" "the central's ARP in ipx mode" r1 r2
never_at "$cexp" "the central's 0x88b5 frame in ipx mode" r1 r2
check_ledger "non-IPX frames in ipx mode"

# --- 5. too big -------------------------------------------------------------------
# a) one 802.1Q tag on a frame at the MTU: 4 bytes more than fits
frame tag1 ipx ethii "$A" "$U" $((MAXF1 + 4)) "r1-too-big-vlan" --vlan 5
send r1 "$tag1"
led r1/-/drops.too_big 1
# b) the tap MTU raised behind vpntund's back: whatever the MTU says
ip -n "$(vt_ns r1)" link set "$VT_TAP" mtu 4000
frame huge ipx ethii "$A" "$U" 3000 "r1-too-big-3000"
send r1 "$huge"
ip -n "$(vt_ns r1)" link set "$VT_TAP" mtu "${MTU[r1]}"
led r1/-/drops.too_big 1
barrier r1 c r2
never_at "$tag1" "VLAN-tagged frame over the MTU from r1" c r2
never_at "$huge" "3000-byte frame from r1" c r2
# no part of them either: nothing of that size or bigger came in
for s in c r2; do
	n=$(awk -v m=$((MAXF1 + 1)) '$1 == "in" && length($2) / 2 >= m' "$VT_TMP/cap_$s" | wc -l)
	assert_eq "$n" 0 "frames longer than r1's largest on $s's tap"
done
check_ledger "too big at r1's tap"
# c) fits r1's tunnel (GCM), not the central's to r2 (CBC): r2 gets
# nothing of it; the central counts it too_big (on some counter).
frame fit1 ipx ethii "$A" "$U" "$MAXF1" "r1-fits-r1-only"
before=$(vt_counter c 'd["bridge"]["drops"]["too_big"] + sum(p["bridge"]["drops"]["too_big"] for p in d["peers"])')
send r1 "$fit1"
hop r1 c "$fit1"
barrier r1 c r2
# (whether the central writes it to its own tap, whose MTU is smaller, the
# spec does not say; it is reported, not asserted)
vt_log_msg "r1's $MAXF1-byte frame on the central's tap: $(vt_frames_in "$VT_TMP/cap_c" "$fit1") time(s)"
never_at "$fit1" "r1's largest frame, to r2 (too big for that tunnel)" r2
n=$(awk -v m=$((MAXF + 1)) '$1 == "in" && length($2) / 2 >= m' "$VT_TMP/cap_r2" | wc -l)
assert_eq "$n" 0 "frames longer than the central's largest on r2's tap"
after=$(vt_counter c 'd["bridge"]["drops"]["too_big"] + sum(p["bridge"]["drops"]["too_big"] for p in d["peers"])')
assert_eq "$after" $((before + 1)) "central: too_big drops (site + peers) for r1's frame that does not fit r2's tunnel"
where=$(vt_counter c '" ".join(["c/-/drops.too_big"] * d["bridge"]["drops"]["too_big"] + ["c/%s/drops.too_big" % p["name"] for p in d["peers"] for i in range(p["bridge"]["drops"]["too_big"])])')
led "$where" 1
vt_log_msg "too big for r2's tunnel: counted as $where"
check_ledger "too big at the central"

# The text status says the same as the JSON (site line, drops, peer lines).
for s in c r1 r2; do
	text=$(vt_ctl "$s" status) || fail "$s: vpntunctl status failed"
	"$VT_PY" - "$(vt_status "$s")" "$text" <<'EOF' || fail "$s: text status vs JSON: $text"
import json, re, sys
d, text = json.loads(sys.argv[1]), sys.argv[2]
b = d["bridge"]
m = re.search(r"bridge: tap (\S+), MTU (\d+), mode (\w+), (\d+) MAC", text)
if not m or m.groups() != (b["tap"], str(b["mtu"]), b["mode"], str(b["macs"])):
    sys.exit("site line %s, JSON %s" % (m and m.groups(), b))
m = re.search(r"bridge drops:((?: \w+ \d+)+)", text)
got = dict(zip(*[iter(m.group(1).split())] * 2)) if m else None
if got != {k: str(v) for k, v in b["drops"].items()}:
    sys.exit("site drops %s, JSON %s" % (got, b["drops"]))
lines = re.findall(r"bridge: frames in (\d+) \((\d+) bytes\), out (\d+) "
                   r"\((\d+) bytes\); drops:((?: \w+ \d+)+)", text)
got = sorted((tuple(map(int, l[:4])), tuple(sorted(zip(*[iter(l[4].split())] * 2))))
             for l in lines)
want = sorted(((p["bridge"]["frames_in"], p["bridge"]["bytes_in"],
                p["bridge"]["frames_out"], p["bridge"]["bytes_out"]),
               tuple(sorted((k, str(v)) for k, v in p["bridge"]["drops"].items())))
              for p in d["peers"]
              if p["bridge"]["frames_in"] or p["bridge"]["frames_out"] or
              sum(p["bridge"]["drops"].values()))     # idle peers: no line
if got != want or not want:
    sys.exit("peer lines %s, JSON %s" % (got, want))
EOF
done
vt_log_msg "text status: the same bridge numbers as the JSON on c, r1, r2"

# --- 6. a remote in `bridge all` mode, the central in `bridge ipx` ---------------
vt_tap_capture_stop "$VT_TMP/cap_r1"
mv "$VT_TMP/cap_r1" "$VT_TMP/cap_r1.1"
mv "$VT_TMP/cap_r1.pcap" "$VT_TMP/cap_r1.1.pcap"
VT_EXTRA_SITE_r1=$'\ttap vtap0\n\tbridge all'
vt_write_configs udp v4 aes-gcm aes-cbc:128/hmac-sha1-96
vt_restart r1
assert_eq "$(vt_counter r1 'd["bridge"]["mode"]')" all "r1: status bridge.mode"
for k in "${!VT_BR_EXP[@]}"; do
	[[ $k == r1/* ]] && unset "VT_BR_EXP[$k]"
done
vt_tap_capture r1 "$VT_TMP/cap_r1"
vt_ping l1 172.16.0.10 1
frame arp2 other arp "$A" "$BC" 60 "r1-all-arp"
frame exp2 other 0x88b5 "$A" "$U" 64 "r1-all-88b5"
send r1 "$arp2" "$exp2"
led r1/central/frames_out 2
led r1/central/bytes_out $(($(flen "$arp2") + $(flen "$exp2")))
led c/r1/drops.not_selected 2
# frames_in on the central for frames it dropped: either reading is fine
wait_until 10 vt_cmp 'vt_peer_counter c r1 bridge.drops.not_selected' = 2 ||
	fail "central: not_selected on peer r1 in all mode: $(vt_peer c r1 'p["bridge"]')"
fin=$(vt_peer_counter c r1 bridge.frames_in)
if [ "$fin" != "${VT_BR_EXP[c/r1/frames_in]}" ]; then
	assert_eq "$fin" $((VT_BR_EXP[c/r1/frames_in] + 2)) "central: frames_in from r1 (with the 2 dropped or without)"
	led c/r1/frames_in 2
	led c/r1/bytes_in $(($(flen "$arp2") + $(flen "$exp2")))
	vt_log_msg "note: the central counts frames it drops as not_selected in frames_in"
fi
barrier r1 c r2
never_at "$arp2" "ARP from r1 (all) through the central (ipx)" c r2
never_at "$exp2" "0x88b5 from r1 (all) through the central (ipx)" c r2
check_ledger "r1 in all mode"

# --- no frame ever came back to the tap it was sent on -----------------------
vt_br_no_echo r1 c r2

# --- 7. tshark dissects what came in as IPX, in the framing sent ------------------
for s in c r2; do
	vt_tap_capture_stop "$VT_TMP/cap_$s"
	vt_br_tshark_check "$s" 18
done

vt_stop r1
vt_stop r2
vt_stop c
for s in c r1 r2; do
	ip -n "$(vt_ns "$s")" link show "$VT_TAP" >/dev/null 2>&1 &&
		fail "vpntund for $s left $VT_TAP behind"
done
vt_log_msg "done in $((($(vt_now_ms) - T0) / 1000)) s"

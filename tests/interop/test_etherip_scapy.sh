#!/bin/bash
# Interop for the bridge: EtherIP (RFC 3378) inside ESP, against implementations
# we did not write: scapy's ESP and EtherIP layers one way, tshark's ESP,
# EtherIP and IPX dissectors the other.
#
#   namespace c: vpntund "central" 10.1.0.0/24, tun 10.1.0.1, tap vtap0
#                (`bridge ipx`), wan0 198.18.0.1
#   namespace s: etherip_esp.py as the remote peer "scapy" 10.1.1.0/24,
#                wan0 198.18.0.2, UDP 4500
#
# Suite aes-cbc:128/hmac-sha1-96 (scapy and tshark 4.0 both have it). The
# peer is keyed `manual`: scapy and tshark use the key file's keys as they
# are. Every configuration has a state file of its own, so each first
# start is a fresh one (-R, by vt_start) and scapy's numbers begin at 1.
#   1. scapy builds ESP(EtherIP(Ethernet/IPX)) -- next header 97, scapy's
#      EtherIP layer -- for IPX in its four framings and one at the largest
#      frame that fits; each comes out of vpntund's tap once, byte for byte;
#      the byte-swapped header 0x00 0x30 (old FreeBSD gif(4)) is accepted
#      too; a header of version 4, one with a reserved bit set and a frame
#      shorter than an Ethernet header are dropped, counted `etherip`, and
#      never reach the tap; the counters say frames_in = the frames
#      delivered, bytes_in their bytes, packets_in 0 (frames are not IP);
#   2. frames read from the tap come to scapy as ESP next header 97 with
#      the RFC header 0x30 0x00 and the frame byte for byte; dumpcap
#      captures them on wan0 and tshark decrypts them (esp_sa UAT from the
#      key file): ICV good, etherip.ver 3, and the IPX header as sent
#      (framing, sockets, destination network, source node); the largest
#      frame's ESP packet fits the outer MTU (1500), not fragmented;
#   3. `tap-sa dedicated`: the frames ride an SA pair with SPIs from the tap
#      formula ("vpntund-spi-tap-v1") and keys of their own, both ways; an
#      IP packet on the tap SA is dropped (malformed), EtherIP on the
#      peer's own SA is still accepted;
#   4. a site without a tap counts EtherIP as `no_tap`, and so does a site
#      with a tap for a peer with `bridge no` (which gets no frames either).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
vt_init etherip_scapy
# shellcheck disable=SC2034 # lib.sh reads it: whose logs to show on failure
VT_SITES=(c)
HELPER=$VT_DIR/etherip_esp.py
SCAPY=$(dirname "${BASH_SOURCE[0]}")/scapy_esp.py      # the SPI formula
for b in tshark dumpcap; do
	command -v "$b" >/dev/null || vt_skip "no $b"
done
"$VT_PY" -c 'from scapy.layers.ipsec import CRYPT_ALGOS
from scapy.contrib.etherip import EtherIP
assert "AES-CBC" in CRYPT_ALGOS' 2>/dev/null ||
	vt_skip "no scapy with python3-cryptography and contrib.etherip for $VT_PY"
T0=$(vt_now_ms)

C_OUT=198.18.0.1 S_OUT=198.18.0.2
C_NET=10.1.0.0/24 S_NET=10.1.1.0/24
SUITE=aes-cbc:128/hmac-sha1-96
vt_suite_parse "$SUITE"
CIPHER=$VT_CIPHER BITS=$VT_KEYBITS AUTH=$VT_AUTH KLEN=$((VT_KEYLEN + VT_SALTLEN))

vt_nsadd "$(vt_ns c)"
vt_nsadd "$(vt_ns s)"
vt_quiet_new_devs c
vt_link "$(vt_ns c)" wan0 "$(vt_ns s)" wan0
vt_addr "$(vt_ns c)" wan0 "$C_OUT/24"
vt_addr "$(vt_ns s)" wan0 "$S_OUT/24"
ip netns exec "$(vt_ns s)" ping -c 1 -W 2 "$C_OUT" >/dev/null ||
	fail "outer network: s cannot reach $C_OUT"
vt_write_key "$VT_TMP/scapy.key" "$SUITE"
vt_write_key "$VT_TMP/tap.key" "$SUITE"

# write_conf TAG SITE-EXTRA PEER-EXTRA
write_conf() {
	cat >"$VT_TMP/$1.conf" <<EOF
site "central" {
	role central
	network $C_NET
	address 10.1.0.1/24
	tun $VT_TUN
	outer $C_OUT
	port 4500
	state-file "$VT_TMP/$1.state"
	control "$(vt_sock c)"
	log stderr
	log-level ${VT_LOG_LEVEL:-debug}
$2
}
peer "scapy" {
	role remote
	network $S_NET
	endpoint $S_OUT port 4500
	transport udp
	keepalive 0
$(vt_suite_conf "$SUITE")
	key "$VT_TMP/scapy.key"
	keying manual
	tunnel $C_NET <-> $S_NET
$3
}
EOF
}

SPI_S2C=$("$VT_PY" "$SCAPY" spi "$S_NET" remote "$C_NET")
SPI_C2S=$("$VT_PY" "$SCAPY" spi "$C_NET" central "$S_NET")
TSPI_S2C=$("$VT_PY" "$SCAPY" spi "$S_NET" remote "$C_NET" --tap)
TSPI_C2S=$("$VT_PY" "$SCAPY" spi "$C_NET" central "$S_NET" --tap)
# shellcheck disable=SC2034 # set and read through scapy_send's SEQVAR
SEQ=1 TSEQ=1    # our next outbound sequence numbers: peer's SA, tap SA

# scapy_send SPI FILE HEADER KEYFILE SEQVAR [--ip]: ESP from s to c, one
# packet per frame of FILE, sequence numbers from $SEQVAR on
scapy_send() {
	local spi=$1 file=$2 hdr=$3 key=$4 seqvar=$5 out n
	shift 5
	out=$(ip netns exec "$(vt_ns s)" "$VT_PY" "$HELPER" send --keyfile "$key" \
	    --cipher "$CIPHER" --keybits "$BITS" --auth "$AUTH" --local "$S_OUT" \
	    --peer "$C_OUT" --spi "$spi" --frames "$file" --header "$hdr" \
	    --first-seq "${!seqvar}" "$@" 2>&1) ||
		fail "scapy send ($hdr): $out"
	n=$(wc -l <"$file")
	printf -v "$seqvar" '%s' $((${!seqvar} + n))
}
# scapy_recv SPI COUNT FILE [KEYFILE]: background receiver, ready on return
scapy_recv() {
	rm -f "$3" "$3.ready"
	vt_bg "recv-$(basename "$3")" ip netns exec "$(vt_ns s)" "$VT_PY" "$HELPER" recv \
	    --keyfile "${4:-$VT_TMP/scapy.key}" --cipher "$CIPHER" --keybits "$BITS" \
	    --auth "$AUTH" --local "$S_OUT" --peer "$C_OUT" --spi "$1" --count "$2" \
	    --out "$3" --timeout 20
	RECV_PID=$VT_BG_PID
	wait_until 10 test -e "$3.ready" || fail "scapy receiver not ready"
}
scapy_recv_wait() {
	wait_until 25 vt_dead "$RECV_PID" || fail "scapy receiver still waiting"
	wait "$RECV_PID" || fail "scapy receiver: $(cat "$VT_TMP/recv-$(basename "$1").out") (got: $(cat "$1" 2>/dev/null))"
}
pb() { vt_peer c scapy "p[\"bridge\"]$1"; }

A=02:00:00:00:01:0a C=02:00:00:00:00:0c U=02:00:00:00:09:09 BC=ff:ff:ff:ff:ff:ff
META=$VT_TMP/meta

# --- 1. scapy -> vpntund -> tap ------------------------------------------------------
write_conf main $'\ttap vtap0\n\tbridge ipx' ""
vt_start c "$VT_TMP/main.conf"
assert_eq "$(vt_peer c scapy 'p["spi_in"] + " " + p["spi_out"]')" "$SPI_S2C $SPI_C2S" \
    "daemon's SPIs vs the formula"
MTU=$(vt_counter c 'd["bridge"]["mtu"]')
MAXF=$((MTU + 14))
vt_tap_capture c "$VT_TMP/cap_c"

{
	vt_frame ipx ethii "$A" "$U" 70 "s-ethii" --dsock 0x0453 --ssock 0x4001 --meta "$META"
	vt_frame ipx raw "$A" "$BC" 0 "FS-SCAPY" --dsock 0x0452 --ssock 0x0452 --dnode "$BC" --meta "$META"
	vt_frame ipx llc "$A" "$U" 100 "s-llc" --dnet 0000cafe --meta "$META"
	vt_frame ipx snap "$A" "$U" 333 "s-snap" --vlan 9 --meta "$META"
	vt_frame ipx ethii "$A" "$U" "$MAXF" "s-max" --meta "$META"
} >"$VT_TMP/in.rfc"
vt_frame ipx ethii "$A" "$U" 77 "s-swapped" --meta "$VT_TMP/meta" >"$VT_TMP/in.swapped"
vt_frame ipx raw "$A" "$U" 64 "s-v4" >"$VT_TMP/in.v4"
vt_frame ipx raw "$A" "$U" 64 "s-reserved" >"$VT_TMP/in.reserved"
printf '%s\n' "${A//:/}0000000a" >"$VT_TMP/in.short"     # 10 bytes
vt_frame ipx llc "$A" "$U" 90 "s-after" >"$VT_TMP/in.after"

K=$VT_TMP/scapy.key
scapy_send "$SPI_S2C" "$VT_TMP/in.rfc" rfc "$K" SEQ
scapy_send "$SPI_S2C" "$VT_TMP/in.swapped" swapped "$K" SEQ
scapy_send "$SPI_S2C" "$VT_TMP/in.v4" 4000 "$K" SEQ
scapy_send "$SPI_S2C" "$VT_TMP/in.reserved" 3001 "$K" SEQ
scapy_send "$SPI_S2C" "$VT_TMP/in.short" 3000 "$K" SEQ
scapy_send "$SPI_S2C" "$VT_TMP/in.after" rfc "$K" SEQ
good=$(cat "$VT_TMP/in.rfc" "$VT_TMP/in.swapped" "$VT_TMP/in.after")
for f in $good; do
	# shellcheck disable=SC2016 # vt_cmp evaluates it
	wait_until 10 vt_cmp 'vt_frames_in "$VT_TMP/cap_c" "$f"' -ge 1 ||
		fail "scapy's $((${#f} / 2))-byte frame not delivered to the tap: ${f:0:60}..."
	assert_eq "$(vt_frames_in "$VT_TMP/cap_c" "$f")" 1 "times scapy's frame came out of the tap"
done
# the frame after the bad ones is in, so they were handled: none came out
for f in "$(cat "$VT_TMP/in.v4")" "$(cat "$VT_TMP/in.reserved")"; do
	assert_eq "$(vt_frames_in "$VT_TMP/cap_c" "$f")" 0 "frame with a bad EtherIP header on the tap"
done
n=$(vt_lines "$VT_TMP/cap_c" '^in ')
assert_eq "$n" "$(wc -w <<<"$good")" "frames that came out of the tap"
bytes=0
for f in $good; do bytes=$((bytes + ${#f} / 2)); done
wait_until 5 vt_cmp "pb '[\"drops\"][\"etherip\"]'" = 3 ||
	fail "etherip drops: $(pb '["drops"]')"
assert_eq "$(pb '["frames_in"]') $(pb '["bytes_in"]')" "$(wc -w <<<"$good") $bytes" \
    "central: bridge frames_in, bytes_in from scapy"
assert_eq "$(vt_peer c scapy 'sum(p["bridge"]["drops"].values()) + sum(p["drops"].values())')" 3 \
    "central: all drops of peer scapy (3 etherip)"
assert_eq "$(vt_peer c scapy 'p["packets_in"]')" 0 "central: packets_in (frames are not IP packets)"
vt_log_msg "scapy -> tap: $(wc -w <<<"$good") frames byte for byte (RFC and swapped headers), 3 bad EtherIP counted"

# --- 2. tap -> vpntund -> scapy, and tshark on the wire ----------------------------------
{
	vt_frame ipx ethii "$C" "$BC" 0 "RIP-C" --dsock 0x0453 --ssock 0x0453 --dnode "$BC" --meta "$META"
	vt_frame ipx raw "$C" "$U" 120 "c-raw" --dnet 0a0b0c0d --ssock 0x4005 --meta "$META"
	vt_frame ipx llc "$C" "$U" 200 "c-llc" --dnet 00000010 --dsock 0x0452 --meta "$META"
	vt_frame ipx snap "$C" "$U" 150 "c-snap" --dnet ffffffff --ssock 0x8000 --meta "$META"
	vt_frame ipx ethii "$C" "$U" "$MAXF" "c-max" --dnet 00000001 --meta "$META"
} >"$VT_TMP/out.frames"
NOUT=$(wc -l <"$VT_TMP/out.frames")
vt_bg dumpcap ip netns exec "$(vt_ns c)" dumpcap -P -q -i wan0 -c "$NOUT" \
    -f "udp port 4500 and udp[4:2] > 9" -w "$VT_TMP/wire.pcap"
DPID=$VT_BG_PID
wait_until 10 grep -q "Capturing on" "$VT_TMP/dumpcap.out" ||
	fail "dumpcap did not start: $(cat "$VT_TMP/dumpcap.out")"
scapy_recv "$SPI_C2S" "$NOUT" "$VT_TMP/rx"
vt_tap_send c "@$VT_TMP/out.frames"
scapy_recv_wait "$VT_TMP/rx"
wait_until 10 vt_dead "$DPID" || fail "dumpcap did not see $NOUT ESP packets"
"$VT_PY" - "$VT_TMP/rx" "$VT_TMP/out.frames" <<'EOF' || fail "scapy: what vpntund sent"
import json, sys
rx = [json.loads(l) for l in open(sys.argv[1])]
sent = [l.strip() for l in open(sys.argv[2]) if l.strip()]
bad = []
for i, (r, f) in enumerate(zip(rx, sent)):
    if r["nh"] != 97:
        bad.append("packet %d: next header %d" % (i, r["nh"]))
        continue
    if r["etherip"] != "3000" or r["ver"] != 3 or r["reserved"] != 0:
        bad.append("packet %d: EtherIP %s (version %s, reserved %s), not the RFC 30 00"
                   % (i, r["etherip"], r["ver"], r["reserved"]))
    if r["frame"] != f:
        bad.append("packet %d: frame %s..., sent %s..." % (i, r["frame"][:60], f[:60]))
    if r["len"] > 1500:
        bad.append("packet %d: outer IP packet of %d bytes > 1500" % (i, r["len"]))
if len(rx) != len(sent):
    bad.append("%d packets, %d frames sent" % (len(rx), len(sent)))
if [r["seq"] for r in rx] != sorted(r["seq"] for r in rx):
    bad.append("sequence numbers out of order")
if bad:
    sys.exit("; ".join(bad))
EOF
assert_eq "$(pb '["frames_out"]')" "$NOUT" "central: bridge frames_out to scapy"

# tshark: the esp_sa UAT from the key file (block 1: central -> remote)
tshark_decrypt() { # PCAP KEYFILE SPI OUT
	local b
	b=$(vt_key_block "$2" 1)
	mkdir -p "$VT_TMP/ws/wireshark"
	printf '"IPv4","%s","%s","%s","AES-CBC [RFC3602]","0x%s","HMAC-SHA-1-96 [RFC2404]","0x%s"\n' \
	    "$C_OUT" "$S_OUT" "$3" "${b:0:$((KLEN * 2))}" "${b:$((KLEN * 2))}" \
	    >"$VT_TMP/ws/wireshark/esp_sa"
	XDG_CONFIG_HOME=$VT_TMP/ws HOME=$VT_TMP/ws tshark -r "$1" \
	    -o esp.enable_encryption_decode:TRUE -o esp.enable_authentication_check:TRUE \
	    -T fields -E separator='|' -E occurrence=l \
	    -e frame.number -e esp.spi -e esp.icv_good -e esp.protocol -e etherip.ver \
	    -e etherip.reserved -e frame.protocols -e ip.len -e ip.flags.mf -e ip.frag_offset \
	    -e eth.src -e ipx.src.socket -e ipx.dst.socket -e ipx.dst.net -e ipx.src.node \
	    -e ipx.packet_type >"$4" 2>"$4.err" ||
		fail "tshark: $(head -n 3 "$4.err")"
}
# tshark_check FILE SPI FRAMES: every row decrypted, EtherIP 3, IPX as sent
tshark_check() {
	"$VT_PY" - "$1" "$2" "$3" "$META" <<'EOF'
import sys
tsh, spi, frames, meta = sys.argv[1:5]
want = {}
for l in open(meta):
    h, kind, vlan, ssock, dsock, dnet, ptype, ilen = l.split()
    want[h] = (kind, ssock, dsock, dnet, ptype)
sent = [l.strip() for l in open(frames) if l.strip()]
rows = [l.rstrip("\n").split("|") for l in open(tsh) if l.strip()]
if len(rows) != len(sent):
    sys.exit("tshark: %d ESP packets, %d frames sent" % (len(rows), len(sent)))
for r, f in zip(rows, sent):
    (num, rspi, good, nh, ver, res, protos, iplen, mf, frag, esrc,
     ss, ds, dnet, snode, pt) = r
    kind, wss, wds, wdnet, wpt = want[f]
    why = []
    if rspi != spi:
        why.append("SPI %s" % rspi)
    if good != "1":
        why.append("ICV not good (%r): not decrypted" % good)
    if nh not in ("97", "0x61") or ver != "3" or res not in ("0", "0x0000"):
        why.append("ESP next header %s, EtherIP version %s reserved %s" % (nh, ver, res))
    pl = [p for p in protos.split(":") if p not in ("ethertype", "vlan")]
    exp = {"ethii": "eth:ipx", "raw": "eth:ipx", "llc": "eth:llc:ipx",
           "snap": "eth:llc:ipx"}[kind]
    if ":".join(pl).find("esp:etherip:" + exp) < 0:
        why.append("protocols %s, expected ...esp:etherip:%s" % (protos, exp))
    if int(iplen) > 1500 or mf != "0" or frag not in ("0", ""):
        why.append("outer IP length %s MF %s offset %s" % (iplen, mf, frag))
    snode_want = ":".join(f[12 + i:14 + i] for i in range(0, 12, 2))
    if [ss, ds, dnet, pt] != [wss, wds, wdnet, wpt] or snode != snode_want or esrc != snode_want:
        why.append("eth.src %s ipx src/dst socket, dst net, type, src node %s, expected %s"
                   % (esrc, [ss, ds, dnet, pt, snode], [wss, wds, wdnet, wpt, snode_want]))
    if why:
        sys.exit("frame %s (%s): %s" % (num, kind, "; ".join(why)))
print(len(rows))
EOF
}
tshark_decrypt "$VT_TMP/wire.pcap" "$VT_TMP/scapy.key" "$SPI_C2S" "$VT_TMP/tshark"
res=$(tshark_check "$VT_TMP/tshark" "$SPI_C2S" "$VT_TMP/out.frames") ||
	fail "tshark: $res: $(head -c 800 "$VT_TMP/tshark")"
vt_log_msg "tap -> scapy: $NOUT frames, ESP nh 97, EtherIP 30 00, byte for byte; tshark decrypts all $res to IPX as sent"
vt_stop c
vt_tap_capture_stop "$VT_TMP/cap_c"

# --- 3. tap-sa dedicated -----------------------------------------------------------------
write_conf ded $'\ttap vtap0\n\tbridge ipx' "	tap-sa dedicated key \"$VT_TMP/tap.key\""
SEQ=1
vt_start c "$VT_TMP/ded.conf"
mv "$VT_TMP/cap_c" "$VT_TMP/cap_c.1"
vt_tap_capture c "$VT_TMP/cap_c"
vt_frame ipx ethii "$A" "$U" 80 "s-tap-sa" >"$VT_TMP/in.tapsa"
vt_frame ipx snap "$A" "$U" 90 "s-own-sa" >"$VT_TMP/in.ownsa"
printf '%s\n' 4500001c00010000400100000a0101020a01000108004d5600010001 >"$VT_TMP/in.ip"
"$VT_PY" - "$VT_TMP/in.ip" <<'EOF'
import sys, struct
b = bytearray.fromhex(open(sys.argv[1]).read().strip())
def ck(x):
    s = sum(struct.unpack("!%dH" % (len(x) // 2), bytes(x)))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
b[10:12] = b"\0\0"
b[10:12] = struct.pack("!H", ck(b[:20]))
open(sys.argv[1], "w").write(b.hex() + "\n")
EOF
scapy_send "$TSPI_S2C" "$VT_TMP/in.tapsa" rfc "$VT_TMP/tap.key" TSEQ
scapy_send "$TSPI_S2C" "$VT_TMP/in.ip" rfc "$VT_TMP/tap.key" TSEQ --ip
scapy_send "$SPI_S2C" "$VT_TMP/in.ownsa" rfc "$VT_TMP/scapy.key" SEQ
for f in "$(cat "$VT_TMP/in.tapsa")" "$(cat "$VT_TMP/in.ownsa")"; do
	# shellcheck disable=SC2016 # vt_cmp evaluates it
	wait_until 10 vt_cmp 'vt_frames_in "$VT_TMP/cap_c" "$f"' -ge 1 ||
		fail "dedicated tap SA: frame ${f:0:40}... not delivered"
done
wait_until 5 vt_cmp 'vt_peer_counter c scapy drops.malformed' = 1 ||
	fail "dedicated tap SA: an IP packet on it: drops $(vt_peer c scapy 'p["drops"]')"
assert_eq "$(pb '["frames_in"]')" 2 "dedicated tap SA: frames_in"
# and vpntund sends frames on it, with its tap SPI and key
vt_frame ipx ethii "$C" "$U" 100 "c-tap-sa" >"$VT_TMP/out.tapsa"
vt_bg dumpcap2 ip netns exec "$(vt_ns c)" dumpcap -P -q -i wan0 -c 1 \
    -f "udp port 4500 and udp[4:2] > 9" -w "$VT_TMP/wire2.pcap"
DPID=$VT_BG_PID
wait_until 10 grep -q "Capturing on" "$VT_TMP/dumpcap2.out" || fail "dumpcap did not start"
scapy_recv "$TSPI_C2S" 1 "$VT_TMP/rx2" "$VT_TMP/tap.key"
vt_tap_send c "@$VT_TMP/out.tapsa"
scapy_recv_wait "$VT_TMP/rx2"
wait_until 10 vt_dead "$DPID" || fail "dumpcap did not see the tap SA's packet"
"$VT_PY" - "$VT_TMP/rx2" "$(cat "$VT_TMP/out.tapsa")" <<'EOF' || fail "dedicated tap SA, vpntund -> scapy: $(cat "$VT_TMP/rx2")"
import json, sys
r = json.loads(open(sys.argv[1]).readline())
if (r["nh"], r["etherip"], r["frame"]) != (97, "3000", sys.argv[2]):
    sys.exit("nh %s etherip %s frame %s" % (r["nh"], r.get("etherip"), r.get("frame")))
EOF
tshark_decrypt "$VT_TMP/wire2.pcap" "$VT_TMP/tap.key" "$TSPI_C2S" "$VT_TMP/tshark2"
awk -F"|" -v s="$TSPI_C2S" '$2 == s && $3 == "1" && ($4 == "97" || $4 == "0x61") && $5 == "3"' "$VT_TMP/tshark2" | grep -q . ||
	fail "tshark on the tap SA: $(cat "$VT_TMP/tshark2")"
vt_log_msg "dedicated tap SA: SPIs $TSPI_S2C/$TSPI_C2S from the tap formula, both ways, tshark decrypts; IP on it dropped as malformed"
vt_stop c
vt_tap_capture_stop "$VT_TMP/cap_c"

# --- 4. a site without a tap ---------------------------------------------------------------
write_conf notap "" ""
# shellcheck disable=SC2034 # read through scapy_send's SEQVAR
SEQ=1
vt_start c "$VT_TMP/notap.conf"
assert_eq "$(vt_counter c 'd["bridge"]')" null "status bridge without a tap"
scapy_send "$SPI_S2C" "$VT_TMP/in.after" rfc "$K" SEQ
wait_until 5 vt_cmp "pb '[\"drops\"][\"no_tap\"]'" = 1 ||
	fail "no tap: EtherIP from scapy: $(vt_peer c scapy 'p["bridge"]')"
assert_eq "$(pb '["frames_in"]')" 0 "no tap: frames_in"
vt_stop c

# --- 5. a tap, but the peer is not a bridge port (`bridge no`) ------------------------------
write_conf nobr $'\ttap vtap0\n\tbridge ipx' $'\tbridge no'
# shellcheck disable=SC2034 # read through scapy_send's SEQVAR
SEQ=1
vt_start c "$VT_TMP/nobr.conf"
mv "$VT_TMP/cap_c" "$VT_TMP/cap_c.2"
vt_tap_capture c "$VT_TMP/cap_c"
scapy_send "$SPI_S2C" "$VT_TMP/in.after" rfc "$K" SEQ
# shellcheck disable=SC2016 # vt_cmp evaluates it
wait_until 5 vt_cmp "pb '[\"drops\"][\"no_tap\"]'" = 1 ||
	fail "bridge no: EtherIP from scapy: $(vt_peer c scapy 'p["bridge"]')"
# and nothing read from the tap goes to it
vt_tap_send c "@$VT_TMP/out.frames"
wait_until 5 vt_cmp "vt_counter c 'd[\"bridge\"][\"macs\"]'" -ge 1 ||
	fail "bridge no: the central's frames were not read from the tap"
assert_eq "$(pb '["frames_in"]') $(pb '["frames_out"]')" "0 0" "bridge no: frames in, out"
assert_eq "$(vt_lines "$VT_TMP/cap_c" '^in ')" 0 "bridge no: frames written to the tap"
vt_stop c
vt_log_msg "no tap, bridge no: EtherIP counted no_tap, nothing bridged"
vt_log_msg "done in $((($(vt_now_ms) - T0) / 1000)) s"

#!/usr/bin/env bash
# vpntunctl decrypt-pcap on a pcapng capture made without our code
# (decrypt_pcap_craft.py) for the manual SAs of a site.conf: every counter
# of the summary, the SAs' lines, and the written packets' bytes and
# timestamps. The capture holds ESP of two peers in both directions, in
# UDP 4500 over IPv4 (one behind a VLAN tag) and raw over IPv6 behind a
# destination options header, a duplicate, a flipped ICV byte and a
# flipped GCM tag byte, bad padding, an unknown SPI, a packet the
# snaplen cut, an ESP fragment, an EtherIP frame, a dummy packet (next
# header 59), TFC padding, IKE, a NAT-T keepalive and ARP; a third
# peer's `sa in` and `sa out` differ in suite, and it takes KAME's zero
# padding. A peer with derived keying is skipped with a message. A
# second capture holds ESP of a peer with ESN across 2^32 and a
# duplicate there: the high halves are inferred as the daemon infers
# them, from the numbers seen, without refusing the copy. Then the same SAs by --sa, a wrong
# --sa before the config's (each SPI's SAs are tried in turn), and the
# usage, file and config errors (exit 2), which never print key bytes.
set -euo pipefail
B=${VPNTUND_BUILD:?set VPNTUND_BUILD}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
T=$(mktemp -d /tmp/vpntund-dpcap.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; [ "${CI:-}" = true ] && exit 1; exit 77; }
"$PY" -c 'import cryptography' 2>/dev/null || skip "python3-cryptography missing"

# expect STATUS CMD...: stdout in $T/out, stderr in $T/err
expect() {
	local want=$1 rc=0
	shift
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" = "$want" ] || fail "$* exited $rc, expected $want: $(cat "$T/err")"
}
# count LABEL: the number on the summary's line LABEL
count() {
	awk -v l="$1" '{ s = $0; sub(/^ +/, "", s) }
	    index(s, l) == 1 {
		r = substr(s, length(l) + 1)
		if (r ~ /^ +[0-9]+( |$)/) { split(r, a, " "); print a[1]; exit }
	    }' "$T/err"
}
want_count() { # LABEL N
	local got
	got=$(count "$1")
	[ "$got" = "$2" ] || fail "summary \"$1\": $got, expected $2: $(cat "$T/err")"
}

# Fixed keys (different per SA), so that a failure can be replayed.
keyhex() { printf '%s' "$1" | sha256sum | cut -c1-"$2"; }
R_C2R=$(keyhex r1 32)$(keyhex r1a 64) R_R2C=$(keyhex r2 32)$(keyhex r2a 64)
G_C2R=$(keyhex g1 64)$(keyhex g1s 8) G_R2C=$(keyhex g2 64)$(keyhex g2s 8)
K_IN=$(keyhex k1 48)$(keyhex k1a 40) K_OUT=$(keyhex k2 64)$(keyhex k2a 64)
E_R2C=$(keyhex e2 32)$(keyhex e2s 8)
(umask 077
printf '%s\n%s\n' "$(keyhex e1 32)$(keyhex e1s 8)" "$E_R2C" >"$T/e.key"
printf '%s\n%s\n' "$R_C2R" "$R_R2C" >"$T/r.key"
printf '%s\n%s\n' "$G_C2R" "$G_R2C" >"$T/g.key"
printf '%s\n%s\n' "$(keyhex d1 64)$(keyhex d1s 8)" "$(keyhex d2 64)$(keyhex d2s 8)" >"$T/d.key"
echo "$K_IN" >"$T/k.in"
echo "$K_OUT" >"$T/k.out")
cat >"$T/c.conf" <<EOF
site "c" {
	role central
	network 10.1.0.0/24
	state-file "$T/c.state"
}
peer "r" {
	network 10.1.1.0/24
	endpoint 198.18.0.2
	cipher aes-cbc keysize 128
	auth hmac-sha256-128
	key "$T/r.key"
	keying manual
	spi in 0x1001 out 0x1002
}
peer "g" {
	network 10.1.2.0/24
	endpoint 2001:db8::2
	transport esp
	cipher aes-gcm keysize 256
	key "$T/g.key"
	keying manual
	spi in 0x2001 out 0x2002
}
peer "k" {
	network 10.1.4.0/24
	endpoint 198.18.0.5
	keying manual
	padding zero
	replay-window 0
	sa in spi 0x3001 cipher 3des-cbc auth hmac-sha1-96 key "$T/k.in"
	sa out spi 0x3002 cipher aes-cbc keysize 256 auth hmac-sha256-128 key "$T/k.out"
}
peer "e" {
	network 10.1.5.0/24
	endpoint 198.18.0.6
	cipher aes-gcm keysize 128
	key "$T/e.key"
	keying manual
	esn yes
	spi in 0x4001 out 0x4002
}
peer "d" {
	network 10.1.3.0/24
	endpoint 198.18.0.4
	cipher aes-gcm keysize 256
	key "$T/d.key"
}
EOF
"$PY" "$HERE/decrypt_pcap_craft.py" "$T"

# pcap_records FILE: "SEC NSEC HEX" per record of a pcap file; checks its
# link type ($2) and that it keeps nanoseconds.
pcap_records() {
	"$PY" - "$1" "$2" <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read()
magic, = struct.unpack("<I", b[:4])
if magic != 0xa1b23c4d:
    sys.exit("%s: magic %#x, not a nanosecond pcap" % (sys.argv[1], magic))
lt, = struct.unpack("<I", b[20:24])
if lt != int(sys.argv[2]):
    sys.exit("%s: link type %d, expected %s" % (sys.argv[1], lt, sys.argv[2]))
o = 24
while o < len(b):
    s, ns, cl, wl = struct.unpack("<IIII", b[o:o + 16])
    if cl != wl:
        sys.exit("record at %d: caplen %d != len %d" % (o, cl, wl))
    print(s, ns, b[o + 16:o + 16 + cl].hex())
    o += 16 + cl
EOF
}

check_summary() {
	want_count "packets read" 19
	want_count "ESP found" 16
	want_count "decrypted" 10
	want_count "written" 8
	want_count "not decrypted" 6
	want_count "no SA for the SPI" 1
	want_count "ICV/tag failed" 2
	want_count "malformed (length, padding)" 1
	want_count "decrypt error" 0
	want_count "truncated by snaplen" 1
	want_count "IP fragment" 1
	want_count "sequence number 0 or too old" 0
	want_count "not IP" 0
	want_count "dummy (next header 59)" 1
	want_count "duplicate" 1
	want_count "not ESP" 3
	grep -q 'not ESP  *3 (other 3, bad headers 0, not handled 0)$' "$T/err" ||
		fail "not ESP breakdown: $(grep 'not ESP' "$T/err")"
	local sa
	for sa in \
	    'SA 0x00001001 in  peer "r": 3 decrypted, 1 failed, 0 duplicate' \
	    'SA 0x00001002 out peer "r": 2 decrypted, 1 failed, 0 duplicate' \
	    'SA 0x00002001 in  peer "g": 1 decrypted, 0 failed, 0 duplicate' \
	    'SA 0x00002002 out peer "g": 2 decrypted, 1 failed, 1 duplicate' \
	    'SA 0x00003001 in  peer "k": 1 decrypted, 0 failed, 0 duplicate' \
	    'SA 0x00003002 out peer "k": 1 decrypted, 0 failed, 0 duplicate' \
	    'SA 0x00004001 in  peer "e": 0 decrypted, 0 failed, 0 duplicate' \
	    'SA 0xdead0001 unknown: 1 packets'; do
		grep -qxF "  $sa" "$T/err" || fail "no line '$sa': $(cat "$T/err")"
	done
}

# 1. The config's SAs, EtherIP frames to -W.
expect 1 "$B/vpntunctl" decrypt-pcap -c "$T/c.conf" -r "$T/cap.pcapng" \
    -w "$T/out.pcap" -W "$T/frames.pcap"
check_summary
want_count "frames written" 1
want_count "EtherIP frames (no -W)" 0
grep -q "c.conf:[0-9]*: peer \"d\" skipped: keying derived" "$T/err" ||
	fail "no message for the derived peer: $(cat "$T/err")"
grep -q 'peer "d"' <(grep '^  SA' "$T/err") && fail "derived peer has SAs"
pcap_records "$T/out.pcap" 101 >"$T/got.ip" || fail "out.pcap: $(cat "$T/got.ip")"
cmp -s "$T/got.ip" "$T/want.ip" ||
	fail "inner IP packets differ: $(diff "$T/got.ip" "$T/want.ip" | head -6)"
pcap_records "$T/frames.pcap" 1 >"$T/got.frames" || fail "frames.pcap: $(cat "$T/got.frames")"
cmp -s "$T/got.frames" "$T/want.frames" ||
	fail "EtherIP frames differ: $(diff "$T/got.frames" "$T/want.frames" | head -4)"
for k in "$R_C2R" "$R_R2C" "$G_C2R" "$G_R2C" "$K_IN" "$K_OUT"; do
	grep -qi "${k:0:16}" "$T/err" && fail "a key in the output"
done
echo "ok config: 19 frames, 16 ESP, 10 decrypted, 8 IP packets (one without its TFC padding) and 1 frame written byte for byte with their ns timestamps, each failure counted"

# 2. Without -W the frame is counted, not written; tshark (if there)
#    reads what we wrote as the same IPv4/IPv6 packets.
expect 1 "$B/vpntunctl" decrypt-pcap -c "$T/c.conf" -r "$T/cap.pcapng" -w "$T/out2.pcap"
check_summary
want_count "EtherIP frames (no -W)" 1
grep -q "frames written" "$T/err" && fail "frames written without -W"
cmp -s "$T/out.pcap" "$T/out2.pcap" || fail "out.pcap differs between runs"
if command -v tshark >/dev/null; then
	got=$(tshark -r "$T/out.pcap" -T fields -e ip.src -e ipv6.src -e frame.protocols 2>/dev/null | tr '\t' ' ')
	want="10.1.0.5  raw:ip:icmp:data
 fd00::5 raw:ipv6:udp:dns
10.1.0.7  raw:ip:tcp
10.1.0.7  raw:ip:tcp
10.1.1.9  raw:ip:icmp:data
10.1.1.9  raw:ip:icmp:data
10.1.1.9  raw:ip:icmp:data
 fd00::5 raw:ipv6:udp:dns"
	[ "$got" = "$want" ] || fail "tshark reads out.pcap as: $got"
	echo "ok tshark reads the written packets as IPv4 ICMP, IPv6 UDP, TCP"
fi

# 3. The same SAs by --sa; a wrong --sa given first for 0x1002 does not
#    keep the config's from decrypting.
expect 1 "$B/vpntunctl" decrypt-pcap \
    --sa "0x1002:aes-cbc:128:$(keyhex x 32):hmac-sha256-128:$(keyhex y 64)" \
    -c "$T/c.conf" -r "$T/cap.pcapng" -w "$T/out3.pcap" -W "$T/frames3.pcap"
check_summary
grep -qxF '  SA 0x00001002 -   --sa: 0 decrypted, 0 failed, 0 duplicate' "$T/err" ||
	fail "wrong --sa: $(grep 0x00001002 "$T/err")"
cmp -s "$T/out.pcap" "$T/out3.pcap" || fail "a wrong --sa changed what was written"
expect 1 "$B/vpntunctl" decrypt-pcap \
    --sa "0x1001:aes-cbc:${R_R2C:0:32}:hmac-sha256-128:${R_R2C:32}" \
    --sa "4098:aes-cbc:128:${R_C2R:0:32}:hmac-sha256-128:${R_C2R:32}" \
    --sa "0x2001:aes-gcm:${G_R2C}" --sa "0x2002:aes-gcm:256:${G_C2R}" \
    --sa "0x3001:3des-cbc:${K_IN:0:48}:hmac-sha1-96:${K_IN:48}" \
    --sa "0x3002:aes-cbc:256:${K_OUT:0:64}:hmac-sha256-128:${K_OUT:64}" \
    --padding zero -r "$T/cap.pcapng" -w "$T/out4.pcap"
want_count "decrypted" 10
want_count "written" 8
want_count "duplicate" 1
cmp -s "$T/out.pcap" "$T/out4.pcap" || fail "--sa wrote other packets than -c"
echo "ok --sa: the same 10 decrypted and 8 written; a wrong SA of an SPI is tried, then the right one"
# Strict padding (the default) refuses KAME's zeros.
expect 1 "$B/vpntunctl" decrypt-pcap --sa "0x3001:3des-cbc:${K_IN:0:48}:hmac-sha1-96:${K_IN:48}" \
    -r "$T/cap.pcapng" -w "$T/x.pcap"
want_count "decrypted" 0
want_count "malformed (length, padding)" 1
want_count "no SA for the SPI" 13     # 16 ESP, less the cut one and the fragment
expect 2 "$B/vpntunctl" decrypt-pcap --sa "0x3001:3des-cbc:${K_IN:0:48}" --padding ones \
    -r "$T/cap.pcapng" -w "$T/x.pcap"
echo "ok --padding zero takes KAME's zero padding, which strict refuses"

# 3b. The same SAs from a setkey(8) script, as a KAME router holds them:
#     hmac-sha2-256 is tried as RFC 4868's 128 bits and older KAME's 96,
#     -f zero-pad takes zero padding, an AH SA is skipped with a message.
cat >"$T/setkey.conf" <<EOF
flush;
spdflush;
add 198.18.0.2 198.18.0.1 esp 0x1001 -m tunnel
	-E rijndael-cbc 0x${R_R2C:0:32} -A hmac-sha2-256 0x${R_R2C:32};
add 198.18.0.1 198.18.0.2 esp 4098 -E aes-cbc 0x${R_C2R:0:32}
	-A hmac-sha2-256 0x${R_C2R:32};
add 2001:db8::2 2001:db8::1 esp 0x2001 -E aes-gcm-16 0x${G_R2C};
add 2001:db8::1 2001:db8::2 esp 0x2002 -E aes-gcm-16 0x${G_C2R};
add 198.18.0.5 198.18.0.1 esp 0x3001 -f zero-pad
	-E 3des-cbc 0x${K_IN:0:48} -A hmac-sha1 0x${K_IN:48};
add 198.18.0.1 198.18.0.5 esp 0x3002 -E rijndael-cbc 0x${K_OUT:0:64}
	-A hmac-sha2-256 0x${K_OUT:64};
add 198.18.0.1 198.18.0.5 ah 0x5001 -A hmac-sha1 0x${K_IN:48};
EOF
expect 1 "$B/vpntunctl" decrypt-pcap --setkey "$T/setkey.conf" -r "$T/cap.pcapng" \
    -w "$T/out5.pcap" -W "$T/frames5.pcap"
check_summary_counts() {
	want_count "decrypted" 10
	want_count "written" 8
	want_count "duplicate" 1
	want_count "no SA for the SPI" 1
	want_count "ICV/tag failed" 2
	want_count "malformed (length, padding)" 1
}
check_summary_counts
cmp -s "$T/out.pcap" "$T/out5.pcap" || fail "--setkey wrote other packets than -c"
cmp -s "$T/frames.pcap" "$T/frames5.pcap" || fail "--setkey wrote other frames than -c"
grep -q "setkey.conf:13: SA 0x00005001 skipped: not ESP" "$T/err" ||
	fail "AH SA: $(cat "$T/err")"
for sa in \
    'SA 0x00001001 -   '"$T"'/setkey.conf:3 hmac-sha256-128: 3 decrypted, 1 failed, 0 duplicate' \
    'SA 0x00001001 -   '"$T"'/setkey.conf:3 hmac-sha256-96: 0 decrypted, 0 failed, 0 duplicate' \
    'SA 0x00003001 -   '"$T"'/setkey.conf:9: 1 decrypted, 0 failed, 0 duplicate'; do
	grep -qxF "  $sa" "$T/err" || fail "no line '$sa': $(cat "$T/err")"
done
for k in "$R_C2R" "$R_R2C" "$G_C2R" "$G_R2C" "$K_IN" "$K_OUT"; do
	grep -qi "${k:0:16}" "$T/err" && fail "a key in the output"
done
printf 'add 198.18.0.1 198.18.0.2 esp 0x6001 -E rijndael-cbc 0x%s -A hmac-sha2-256 0x%s;\n' \
    "${R_C2R:0:32}" "${R_C2R:32}" >"$T/sha96.setkey"
expect 0 "$B/vpntunctl" decrypt-pcap --setkey "$T/sha96.setkey" -r "$T/sha96.pcapng" -w "$T/sha96.pcap"
grep -qxF '  SA 0x00006001 -   '"$T"'/sha96.setkey:1 hmac-sha256-96: 1 decrypted, 0 failed, 0 duplicate' "$T/err" ||
	fail "96-bit hmac-sha2: $(cat "$T/err")"
pcap_records "$T/sha96.pcap" 101 | cmp -s - "$T/want.sha96" || fail "96-bit hmac-sha2: inner packet"
echo "ok --setkey: the same 10 decrypted, 8 packets and 1 frame written as with -c; hmac-sha2 tried at 128 and 96 bits, -f zero-pad kept, AH skipped"

# 4. Errors: exit 2, "vpntunctl: ..." or "file:line: ...", no key bytes.
expect 2 "$B/vpntunctl" decrypt-pcap -c "$T/c.conf" -r "$T/cap.pcapng"
grep -q "^usage: vpntunctl decrypt-pcap" "$T/err" || fail "no -w: $(cat "$T/err")"
expect 2 "$B/vpntunctl" decrypt-pcap -r "$T/cap.pcapng" -w "$T/x.pcap"
expect 2 "$B/vpntunctl" decrypt-pcap -c "$T/c.conf" -r "$T/none.pcap" -w "$T/x.pcap"
grep -q "^vpntunctl: .*none.pcap" "$T/err" || fail "missing input: $(cat "$T/err")"
expect 2 "$B/vpntunctl" decrypt-pcap -c "$T/none.conf" -r "$T/cap.pcapng" -w "$T/x.pcap"
grep -q "none.conf" "$T/err" || fail "missing config: $(cat "$T/err")"
sed 's/keysize 128/keysize 129/' "$T/c.conf" >"$T/bad.conf"
expect 2 "$B/vpntunctl" decrypt-pcap -c "$T/bad.conf" -r "$T/cap.pcapng" -w "$T/x.pcap"
grep -q "^$T/bad.conf:[0-9]*: " "$T/err" || fail "config error without file:line: $(cat "$T/err")"
expect 2 "$B/vpntunctl" decrypt-pcap --sa "0x1001:aes-cbc:${R_R2C:0:30}:hmac-sha256-128:${R_R2C:32}" \
    -r "$T/cap.pcapng" -w "$T/x.pcap"
grep -q "^vpntunctl: --sa 0x00001001: a key of 15 bytes does not fit aes-cbc" "$T/err" ||
	fail "short key: $(cat "$T/err")"
grep -qi "${R_R2C:0:16}" "$T/err" && fail "key bytes in an error"
expect 2 "$B/vpntunctl" decrypt-pcap --sa "0x1001:aes-cbc:${R_R2C:0:32}:hmac-sha256-128" \
    -r "$T/cap.pcapng" -w "$T/x.pcap"
grep -q "without its key: give it, or --skip-icv" "$T/err" || fail "no auth key: $(cat "$T/err")"
expect 2 "$B/vpntunctl" decrypt-pcap --sa "0x1001:rot13:${R_R2C:0:32}" -r "$T/cap.pcapng" -w "$T/x.pcap"
expect 2 "$B/vpntunctl" decrypt-pcap --sa "0:aes-cbc:${R_R2C:0:32}" -r "$T/cap.pcapng" -w "$T/x.pcap"
expect 2 "$B/vpntunctl" decrypt-pcap --sa "0x1001:aes-cbc:${R_R2C:0:32}" --udp-port 0 -r "$T/cap.pcapng" -w "$T/x.pcap"
expect 2 "$B/vpntunctl" -s "$T/s.sock" decrypt-pcap -c "$T/c.conf" -r "$T/cap.pcapng" -w "$T/x.pcap"
# The capture is never written over; -w and -W differ.
cp "$T/cap.pcapng" "$T/keep.pcapng"
expect 2 "$B/vpntunctl" decrypt-pcap -c "$T/c.conf" -r "$T/keep.pcapng" -w "$T/keep.pcapng"
grep -q "keep.pcapng is read, not written" "$T/err" || fail "-w = -r: $(cat "$T/err")"
expect 2 "$B/vpntunctl" decrypt-pcap -c "$T/c.conf" -r "$T/keep.pcapng" -w "$T/x.pcap" -W "$T/keep.pcapng"
cmp -s "$T/cap.pcapng" "$T/keep.pcapng" || fail "the capture was written over"
expect 2 "$B/vpntunctl" decrypt-pcap -c "$T/c.conf" -r "$T/cap.pcapng" -w "$T/x.pcap" -W "$T/x.pcap"
# A capture that breaks off in a block: what came before is decrypted
# and counted, and the exit status says the file is broken.
head -c "$(($(stat -c %s "$T/cap.pcapng") - 10))" "$T/cap.pcapng" >"$T/short.pcapng"
expect 2 "$B/vpntunctl" decrypt-pcap -c "$T/c.conf" -r "$T/short.pcapng" -w "$T/x.pcap"
want_count "packets read" 18
want_count "decrypted" 9
grep -q "^vpntunctl: .*short.pcapng: " "$T/err" || fail "broken capture: $(cat "$T/err")"
printf 'add 1.2.3.4 5.6.7.8 esp 0x10 -E rijndael-cbc 0x0011;\n' >"$T/badkey.setkey"
expect 2 "$B/vpntunctl" decrypt-pcap --setkey "$T/badkey.setkey" -r "$T/cap.pcapng" -w "$T/x.pcap"
grep -q "^$T/badkey.setkey:1: " "$T/err" || fail "setkey error without file:line: $(cat "$T/err")"
expect 0 "$B/vpntunctl" decrypt-pcap --help
grep -q "^usage: vpntunctl decrypt-pcap" "$T/out" || fail "--help: $(cat "$T/out")"

# 5. --skip-icv: the flipped ICV of 0x1001 passes unchecked (its inner
#    packet is intact); the flipped GCM tag still fails: a tag cannot be
#    skipped.
expect 1 "$B/vpntunctl" decrypt-pcap -c "$T/c.conf" --skip-icv -r "$T/cap.pcapng" -w "$T/x.pcap"
want_count "decrypted" 11
want_count "ICV/tag failed" 1
grep -qxF '  SA 0x00001001 in  peer "r": 4 decrypted, 0 failed, 0 duplicate' "$T/err" ||
	fail "--skip-icv: $(grep 0x00001001 "$T/err")"
echo "ok errors exit 2 without key bytes; --skip-icv skips an HMAC, never a GCM tag"

# 6. ESN: 1, 2^31, 2^32 - 1, 2^32 + 1 and that again, whose low halves
#    alone are on the wire; the AEAD tag covers the high half, so only
#    the right inference decrypts.
expect 0 "$B/vpntunctl" decrypt-pcap -c "$T/c.conf" -r "$T/esn.pcapng" -w "$T/esn.pcap"
want_count "decrypted" 5
want_count "written" 5
want_count "duplicate" 1
grep -qxF '  SA 0x00004001 in  peer "e": 5 decrypted, 0 failed, 1 duplicate' "$T/err" ||
	fail "ESN: $(grep 0x00004001 "$T/err")"
pcap_records "$T/esn.pcap" 101 >"$T/got.esn" || fail "esn.pcap: $(cat "$T/got.esn")"
cmp -s "$T/got.esn" "$T/want.esn" || fail "ESN: inner packets differ"
expect 0 "$B/vpntunctl" decrypt-pcap --sa "0x4001:aes-gcm:$E_R2C" --esn -r "$T/esn.pcapng" -w "$T/esn2.pcap"
cmp -s "$T/esn.pcap" "$T/esn2.pcap" || fail "ESN: --sa --esn wrote other packets"
expect 1 "$B/vpntunctl" decrypt-pcap --sa "0x4001:aes-gcm:$E_R2C" -r "$T/esn.pcapng" -w "$T/esn3.pcap"
want_count "ICV/tag failed" 5
echo "ok ESN across 2^32 with a duplicate: 5 decrypted (config and --sa --esn), none without --esn"
echo "PASS: decrypt-pcap"

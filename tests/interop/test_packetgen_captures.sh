#!/bin/bash
# Interop: ESP captures of two Linux hosts from PacketGen's test suite
# (tests/interop/captures/packetgen/README.md: source, licence, keys),
# decrypted by vpntunctl decrypt-pcap. Each capture also holds the
# request as the receiving kernel delivered it after decryption: what we
# write for the request's SA must be that IP packet byte for byte (for
# esp-tfc.pcapng without the 916 bytes of TFC padding behind it). The
# replies of the others decrypt with the same key and must be the ICMP
# echo reply to it, with good checksums; the GCM tag and the HMAC-SHA-256
# ICV of AES-CTR verify.
set -u
CAPS=${VPNTUND_SRC:?}/tests/interop/captures/packetgen
CTL=${VPNTUND_BUILD:?}/vpntunctl
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -x "$CTL" ] || fail "no $CTL"

# count FILE LABEL: the number on the summary's line LABEL
count() {
	awk -v l="$2" '{ s = $0; sub(/^ +/, "", s) }
	    index(s, l) == 1 { r = substr(s, length(l) + 1)
		if (r ~ /^ +[0-9]+( |$)/) { split(r, a, " "); print a[1]; exit } }' "$1"
}

# check NAME RC DECRYPTED NOSA SA...: decrypt-pcap with the SAs, its
# counts, then the written packets against the capture's own frame 2.
check() {
	local name=$1 want_rc=$2 want_dec=$3 want_nosa=$4 rc=0 l what
	shift 4
	"$CTL" decrypt-pcap "$@" -r "$CAPS/$name.pcapng" -w "$T/$name.pcap" \
	    2>"$T/$name.err" || rc=$?
	[ "$rc" = "$want_rc" ] || fail "$name: exit $rc, expected $want_rc: $(cat "$T/$name.err")"
	for l in "ESP found:2" "decrypted:$want_dec" "written:$want_dec" \
	    "no SA for the SPI:$want_nosa" "ICV/tag failed:0" \
	    "malformed (length, padding):0"; do
		[ "$(count "$T/$name.err" "${l%:*}")" = "${l##*:}" ] ||
			fail "$name: ${l%:*} not ${l##*:}: $(cat "$T/$name.err")"
	done
	what=$("$PY" - "$CAPS/$name.pcapng" "$T/$name.pcap" <<'PYEOF'
import socket, struct, sys

def pcapng_frames(path):
    b, o, out = open(path, "rb").read(), 0, []
    while o < len(b):
        t, n = struct.unpack("<II", b[o:o + 8])
        if t == 6:
            cl, = struct.unpack("<I", b[o + 20:o + 24])
            out.append(b[o + 28:o + 28 + cl])
        o += n
    return out

def pcap_records(path):
    b, o, out = open(path, "rb").read(), 24, []
    while o < len(b):
        cl, = struct.unpack("<I", b[o + 8:o + 12])
        out.append(b[o + 16:o + 16 + cl])
        o += 16 + cl
    return out

def csum(d):
    d += b"\0" * (len(d) & 1)
    s = sum(struct.unpack("!%dH" % (len(d) // 2), d))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s

frames, ours = pcapng_frames(sys.argv[1]), pcap_records(sys.argv[2])
red = frames[1][14:]                   # the kernel's decrypted request
red = red[:struct.unpack("!H", red[2:4])[0]]
if ours[0] != red:
    sys.exit("request: we wrote %s, the kernel delivered %s" % (ours[0].hex(), red.hex()))
for p in ours[1:]:
    ihl = (p[0] & 15) * 4
    if p[12:16] != red[16:20] or p[16:20] != red[12:16] or p[9] != 1:
        sys.exit("reply: not ICMP from %s to %s" % (socket.inet_ntoa(red[16:20]), socket.inet_ntoa(red[12:16])))
    if csum(p[:ihl]) != 0xFFFF or csum(p[ihl:]) != 0xFFFF or p[ihl] != 0:
        sys.exit("reply: not an echo reply with good checksums: %s" % p.hex())
    if p[ihl + 4:ihl + 8] != red[(red[0] & 15) * 4 + 4:][:4]:
        sys.exit("reply: id and sequence differ from the request's")
print("the request as the kernel delivered it%s" % (", the echo reply to it" if len(ours) > 1 else ""))
PYEOF
) || fail "$name: written packets: $what"
	echo "ok $name: $want_dec decrypted, $want_nosa SA without a key; wrote $what"
}

K=000102030405060708090a0b0c0d0e0f
check esp4-cbc 0 2 0 --sa "0x87654321:aes-cbc:$K" --sa "0x12345678:aes-cbc:$K"
check esp4-gcm 0 2 0 --sa "0x87654321:aes-gcm:${K}80818283" \
    --sa "0x12345678:aes-gcm:${K}80818283"
# A 16-byte HMAC key is the same key as itself padded with zeros to 32
# bytes (RFC 2104 2), the length hmac-sha256-96 takes.
A=101112131415161718191a1b1c1d1e1f00000000000000000000000000000000
check esp4-ctr-hmac 0 2 0 --sa "0x87654321:aes-ctr:${K}80818283:hmac-sha256-96:$A" \
    --sa "0x12345678:aes-ctr:${K}80818283:hmac-sha256-96:$A"
check esp-tfc 1 1 1 --sa "0xc1e69148:aes-gcm:d5a4eee309983f2da6f52fe84353ab16e6971987"
echo PASS

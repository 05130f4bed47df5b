#!/bin/bash
# Interop: ESP captures made by FreeS/WAN (shared/interop/captures), which we
# did not write, decrypted twice independently -- by our esp_decap() through
# esp-pcap-decrypt and by tshark's own ESP dissector -- must give the same
# inner packets byte for byte, and those must be well-formed IPv4 ICMP echo
# requests from the sunset network to the sunrise network. The installed
# `vpntunctl decrypt-pcap`, given every SA of both key files at once (the
# two keys of SPI 0x12345678 tried in turn), must write the same packets
# and count all of them decrypted, none failed.
#
#   02-sunrise-sunset-esp.pcap   3DES-CBC, SPI 0x12345678 (esp_sa.public)
#   08-sunrise-sunset-aes.pcap   AES-256-CBC, SPI 0xd1234567 (esp_sa.public)
#   espudp1.pcap                 the 3DES SA of esp_sa.public in UDP 4500
#   08-sunrise-sunset-esp2.pcap  ESP in ESP: outer SPI 0x12345678 and inner
#                                SPI 0xabcdabcd, keys from esp-secrets.txt
#                                (its 0x12345678 key differs from the
#                                other captures')
# The HMAC keys were never published: the ICV is present (96 bits) but not
# checked, on both sides (--skip-icv, "ANY 96 bit authentication").
set -u

CAPS=${VPNTUND_SRC:?}/../shared/interop/captures
TOOL=${VPNTUND_BUILD:?}/esp-pcap-decrypt
CTL=$VPNTUND_BUILD/vpntunctl
PY=/usr/bin/python3
WANT_SRC=192.0.2.1
WANT_DST=192.0.1.1

skip() {
	echo "SKIP: $*"
	if [ "${CI:-}" = true ]; then exit 1; fi
	exit 77
}
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

[ -x "$TOOL" ] || skip "no $TOOL (libpcap missing at build time?)"
command -v tshark >/dev/null || skip "tshark not installed"
[ -x "$PY" ] || skip "$PY not installed"
if [ ! -r "$CAPS/esp_sa.public" ] || [ ! -r "$CAPS/esp-secrets.txt" ]; then
	skip "no captures in $CAPS"
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# Key sets, one line per SA: "SPI CIPHER HEXKEY UAT-LINE". esp_sa.public is
# already Wireshark's esp_sa UAT; esp-secrets.txt ("0xSPI@dst alg:0xkey") is
# converted to one. Both name the same keys by Wireshark's and our names.
"$PY" - "$CAPS" "$TMP" <<'EOF' || fail "cannot read the key files"
import csv, sys, os
caps, tmp = sys.argv[1], sys.argv[2]
ours = {"TripleDES-CBC [RFC2451]": "3des-cbc", "AES-CBC [RFC3602]": "aes-cbc",
        "3des-cbc-hmac96": "3des-cbc", "aes256-cbc-hmac96": "aes-cbc",
        "aes128-cbc-hmac96": "aes-cbc"}
ws = {"3des-cbc": "TripleDES-CBC [RFC2451]", "aes-cbc": "AES-CBC [RFC3602]"}
def uat(dst, spi, cipher, key):
    return ('"IPv4","*","%s","%s","%s","0x%s",'
            '"ANY 96 bit authentication [no checking]",""' %
            (dst, spi, ws[cipher], key))
out = {}
with open(os.path.join(caps, "esp_sa.public")) as f:
    out["public"] = [(r[3].lower(), ours[r[4]], r[5][2:].lower(),
                      uat(r[2], r[3], ours[r[4]], r[5][2:].lower()))
                     for r in csv.reader(f) if r and not r[0].startswith("#")]
out["secrets"] = []
with open(os.path.join(caps, "esp-secrets.txt")) as f:
    for line in f:
        line = line.split("#")[0].strip()
        if not line:
            continue
        sa, alg = line.split()
        spi, dst = sa.split("@")
        name, key = alg.split(":")
        c = ours[name]
        out["secrets"].append((spi.lower(), c, key[2:].lower(),
                               uat(dst, spi.lower(), c, key[2:].lower())))
for name, rows in out.items():
    os.makedirs(os.path.join(tmp, name, "wireshark"))
    with open(os.path.join(tmp, name, "keys"), "w") as k, \
         open(os.path.join(tmp, name, "wireshark", "esp_sa"), "w") as u:
        for spi, c, key, line in rows:
            k.write("%s %s %s\n" % (spi, c, key))
            u.write(line + "\n")
EOF

# key KEYSET SPI -> "CIPHER HEXKEY"
key() {
	awk -v s="$2" '$1 == s { print $2, $3; exit }' "$TMP/$1/keys"
}

# tshark with the esp_sa UAT of a key set (its own profile directory).
tshark_ks() {
	local ks=$1
	shift
	XDG_CONFIG_HOME=$TMP/$ks HOME=$TMP/$ks \
		tshark -o esp.enable_encryption_decode:TRUE "$@" 2>/dev/null
}

# ours CAPTURE KEYSET SPI OUTFILE [-w inner.pcap]: runs our decryption.
ours() {
	local cap=$1 ks=$2 spi=$3 out=$4 c k
	shift 4
	read -r c k < <(key "$ks" "$spi")
	[ -n "${k:-}" ] || fail "no key for SPI $spi in key set $ks"
	"$TOOL" -f "$cap" -s "$spi" -c "$c" -k "$k" -a hmac-sha1-96 \
		--skip-icv "$@" >"$out" 2>"$out.err"
	return 0
}

# Checks a list of "N HEX" inner packets: IPv4, header checksum, ICMP echo
# request with a valid checksum, addresses as expected. Prints a summary.
check_inner() {
	"$PY" - "$1" "$WANT_SRC" "$WANT_DST" <<'EOF'
import sys, socket, struct
path, want_src, want_dst = sys.argv[1:4]
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s
n = 0
for line in open(path):
    num, hx = line.split()
    p = bytes.fromhex(hx)
    err = lambda m: sys.exit("pkt %s: %s: %s" % (num, m, hx))
    if len(p) < 20 or p[0] >> 4 != 4:
        err("not IPv4")
    ihl = (p[0] & 15) * 4
    if struct.unpack("!H", p[2:4])[0] != len(p):
        err("IPv4 total length %d != %d" % (struct.unpack("!H", p[2:4])[0], len(p)))
    if csum(p[:ihl]) != 0xffff:
        err("bad IPv4 header checksum")
    if p[9] != 1:
        err("protocol %d, not ICMP" % p[9])
    src, dst = socket.inet_ntoa(p[12:16]), socket.inet_ntoa(p[16:20])
    if (src, dst) != (want_src, want_dst):
        err("addresses %s -> %s, expected %s -> %s" % (src, dst, want_src, want_dst))
    icmp = p[ihl:]
    if len(icmp) < 8 or icmp[0] != 8 or icmp[1] != 0:
        err("not an ICMP echo request")
    if csum(icmp) != 0xffff:
        err("bad ICMP checksum")
    n += 1
if n == 0:
    sys.exit("no inner packets")
print("%d ICMP echo requests %s -> %s, IPv4 and ICMP checksums good" % (n, want_src, want_dst))
EOF
}

# decrypt-pcap's --sa for every key of both key sets, public first.
DP_SAS=()
dp_sas() {
	local ks spi c k
	for ks in public secrets; do
		while read -r spi c k; do
			DP_SAS+=(--sa "$spi:$c:$k:hmac-sha1-96")
		done <"$TMP/$ks/keys"
	done
}

# dp IN OUT N: runs decrypt-pcap on IN, which must decrypt and write all
# of its N packets and count no failure.
dp() {
	local in=$1 out=$2 n=$3 l got
	"$CTL" decrypt-pcap "${DP_SAS[@]}" --skip-icv -r "$in" -w "$out" \
		2>"$out.err" || fail "decrypt-pcap $in: exit $?: $(cat "$out.err")"
	for l in "ESP found" decrypted written; do
		got=$(awk -v l="$l" '{ s = $0; sub(/^ +/, "", s) }
		    index(s, l) == 1 { print $NF; exit }' "$out.err")
		[ "$got" = "$n" ] || fail "decrypt-pcap $in: $l $got, expected $n: $(cat "$out.err")"
	done
	grep -q "^  not decrypted  *0$" "$out.err" ||
		fail "decrypt-pcap $in: failures: $(cat "$out.err")"
}

# pcap_hex FILE: "N HEX" per record of a pcap file, N from 1.
pcap_hex() {
	"$PY" - "$1" <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read()
o, n = 24, 0
while o < len(b):
    cl, = struct.unpack("<I", b[o + 8:o + 12])
    n += 1
    print(n, b[o + 16:o + 16 + cl].hex())
    o += 16 + cl
EOF
}

# case NAME CAPTURE KEYSET OUTER_SPI [INNER_SPI] [UDP]
check_capture() {
	local name=$1 cap=$CAPS/$2 ks=$3 spi=$4 inner_spi=${5:-} udp=${6:-}
	local d=$TMP/$name nframes spis

	mkdir -p "$d"
	# Which SA is in this capture, by tshark's own reading.
	nframes=$(tshark -r "$cap" 2>/dev/null | wc -l)
	[ "$nframes" -gt 0 ] || fail "$name: tshark reads no frames"
	spis=$(tshark -r "$cap" -T fields -e esp.spi 2>/dev/null | sort -u)
	[ "$spis" = "$spi" ] || fail "$name: tshark sees SPIs '$spis', expected $spi"
	if [ -n "$udp" ]; then
		[ "$(tshark -r "$cap" -Y 'udp.port == 4500 && esp' 2>/dev/null |
			wc -l)" = "$nframes" ] ||
			fail "$name: not all frames are ESP in UDP 4500"
	fi

	# Ours: one or two layers of ESP.
	ours "$cap" "$ks" "$spi" "$d/l1"
	if [ -n "$inner_spi" ]; then
		ours "$cap" "$ks" "$spi" "$d/l1" -w "$d/l1.pcap"
		grep -c ' nh 4 ' "$d/l1" | grep -qx "$nframes" ||
			fail "$name: outer layer: $(grep -c ' inner ' "$d/l1")/$nframes decrypted: $(head -3 "$d/l1" "$d/l1.err")"
		ours "$d/l1.pcap" "$ks" "$inner_spi" "$d/l2"
		last=$d/l2
		tspi=$inner_spi
	else
		last=$d/l1
		tspi=$spi
	fi
	awk '$3 == "spi" && $5 == "seq" && $7 == "nh" && $8 == 4 &&
	    $11 == "inner" { print $2, $12 }' "$last" >"$d/ours"
	[ "$(wc -l <"$d/ours")" = "$nframes" ] ||
		fail "$name: we decrypted $(wc -l <"$d/ours")/$nframes packets: $(head -5 "$last" "$last.err")"
	awk '{ print $1 }' "$d/ours" | paste -sd' ' | grep -qx "$(seq -s' ' 1 "$nframes")" ||
		fail "$name: frame numbers out of order"

	# Theirs: tshark's decryption, innermost ESP payload of every frame.
	tshark_ks "$ks" -r "$cap" -T fields -E occurrence=l -e frame.number \
		-e esp.spi -e esp.contained_data >"$d/tshark.raw"
	awk -v s="$tspi" '$2 == s && $3 != "" { print $1, $3 }' \
		"$d/tshark.raw" >"$d/tshark"
	[ "$(wc -l <"$d/tshark")" = "$nframes" ] ||
		fail "$name: tshark decrypted $(wc -l <"$d/tshark")/$nframes: $(head -3 "$d/tshark.raw")"

	cmp -s "$d/ours" "$d/tshark" ||
		fail "$name: our inner packets differ from tshark's: $(diff "$d/ours" "$d/tshark" | head -4)"
	summary=$(check_inner "$d/ours") || fail "$name: $summary"
	echo "ok $name: $nframes/$nframes decrypted by esp_decap, identical to tshark; $summary"

	# vpntunctl decrypt-pcap: the same packets, one layer per run.
	dp "$cap" "$d/dp1.pcap" "$nframes"
	last=$d/dp1.pcap
	if [ -n "$inner_spi" ]; then
		dp "$d/dp1.pcap" "$d/dp2.pcap" "$nframes"
		last=$d/dp2.pcap
	fi
	pcap_hex "$last" >"$d/dp"
	cmp -s "$d/dp" "$d/tshark" ||
		fail "$name: decrypt-pcap wrote other packets than tshark decrypts: $(diff "$d/dp" "$d/tshark" | head -4)"
	echo "ok $name: vpntunctl decrypt-pcap: $nframes decrypted and written, 0 failed, identical to tshark"
}

[ -x "$CTL" ] || fail "no $CTL"
dp_sas
check_capture 3des    02-sunrise-sunset-esp.pcap  public  0x12345678
check_capture aes256  08-sunrise-sunset-aes.pcap  public  0xd1234567
check_capture espudp  espudp1.pcap                public  0x12345678 "" udp
check_capture esp2    08-sunrise-sunset-esp2.pcap secrets 0x12345678 0xabcdabcd

# The wrong key must not "decrypt": the 3DES key of esp_sa.public on the
# esp2 capture yields garbage padding, so every packet is dropped.
ours "$CAPS/08-sunrise-sunset-esp2.pcap" public 0x12345678 "$TMP/neg"
if grep -q ' inner ' "$TMP/neg"; then
	fail "wrong key: esp2 decrypted with the esp_sa.public 3DES key"
fi
[ "$(grep -c ' drop malformed$' "$TMP/neg")" -gt 0 ] ||
	fail "wrong key: expected malformed drops: $(head -3 "$TMP/neg")"
echo "ok wrong key: every packet dropped ($(sort "$TMP/neg" | awk '{print $4}' | sort | uniq -c | xargs))"
echo PASS

#!/bin/bash
# Interop without a daemon: scapy's ESP (an implementation we did not
# write) encrypts ICMP packets for every suite both know, over UDP 4500 and
# raw protocol 50, IPv4 and IPv6 outer headers, into pcap files of three link
# types; our esp_decap (esp-pcap-decrypt) must return each inner packet
# byte for byte. Key sizes at the edges of each suite are included: scapy
# passes Blowfish keys to cryptography at their full length, so a 448-bit
# key only decrypts if our side honours the key length too.
# Negative checks: a flipped ICV byte gives "auth" drops, a wrong key never
# yields an inner packet.
set -u

TOOL=${VPNTUND_BUILD:?}/esp-pcap-decrypt
PY=/usr/bin/python3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

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
# scapy imports without python3-cryptography but then knows no cipher.
if [ ! -x "$PY" ] || ! "$PY" -c 'from scapy.layers.ipsec import CRYPT_ALGOS
assert "AES-GCM" in CRYPT_ALGOS' 2>/dev/null; then
	skip "$PY with scapy and python3-cryptography not installed"
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# One case per line: NAME CIPHER KEYBITS AUTH OUTER(udp|raw) FAMILY LINKTYPE [esn]
cat >"$TMP/cases" <<'EOF'
bf128-sha1-udp4-eth       blowfish-cbc       128 hmac-sha1-96    udp 4 eth
bf448-sha256-raw4-eth     blowfish-cbc       448 hmac-sha256-128 raw 4 eth
bf128-none-udp6-sll       blowfish-cbc       128 none            udp 6 sll
3des-sha1-raw4-raw        3des-cbc           192 hmac-sha1-96    raw 4 raw
aes128-sha1-udp4-eth      aes-cbc            128 hmac-sha1-96    udp 4 eth
aes192-sha256-udp6-raw    aes-cbc            192 hmac-sha256-128 udp 6 raw
aes256-sha256-raw6-eth    aes-cbc            256 hmac-sha256-128 raw 6 eth
gcm128-udp4-eth           aes-gcm            128 none            udp 4 eth
gcm256-raw4-sll           aes-gcm            256 none            raw 4 sll
gcm256-esn-udp6-eth       aes-gcm            256 none            udp 6 eth esn
chacha-udp4-eth           chacha20-poly1305  256 none            udp 4 eth
chacha-raw6-raw           chacha20-poly1305  256 none            raw 6 raw
EOF

# Writes for each case: $TMP/NAME.pcap, NAME.args (our tool's options),
# NAME.want ("N HEX" of every inner packet), and NAME.tamper.pcap with
# the last ICV byte of every packet flipped.
"$PY" - "$HERE" "$TMP" <<'EOF' || fail "scapy could not build the captures"
import os, sys
sys.path.insert(0, sys.argv[1])
tmp = sys.argv[2]
import scapy_esp as se
from scapy.all import (IP, IPv6, ICMP, ICMPv6EchoRequest, Raw, Ether,
                       CookedLinux, raw, wrpcap, PcapWriter)

for line in open(os.path.join(tmp, "cases")):
    f = line.split()
    if not f:
        continue
    name, cipher, bits, auth, outer, fam, lt = f[:7]
    esn = len(f) > 7 and f[7] == "esn"
    if not se.scapy_supports(cipher):
        open(os.path.join(tmp, name + ".unsupported"), "w").close()
        continue
    bits = int(bits)
    salt = se.CIPHERS[cipher][1]
    key = os.urandom(bits // 8 + salt)
    akey = os.urandom(se.AUTHS[auth][1])
    spi = 0x7a000000 | int.from_bytes(os.urandom(2), "big")
    if fam == "4":
        osrc, odst = "198.51.100.1", "198.51.100.2"
    else:
        osrc, odst = "2001:db8::1", "2001:db8::2"
    sa = se.make_sa(cipher, spi, key, auth, akey, osrc, odst, esn=esn)
    pkts, tampered, want = [], [], []
    for i in range(6):
        # Sizes that cross block boundaries: padding 0 .. block-1.
        body = bytes((i * 7 + j) & 0xff for j in range(20 + i * 5))
        if i % 2:
            inner = raw(IPv6(src="fd00:1:1::2", dst="fd00:1::1") /
                        ICMPv6EchoRequest(id=0x77, seq=i, data=body))
        else:
            inner = raw(IP(src="10.1.1.2", dst="10.1.0.1") /
                        ICMP(id=0x77, seq=i) / Raw(body))
        esp = se.encrypt(sa, inner, i + 1)
        outp = raw(se.outer_packet(esp, osrc, odst, outer))
        bad = bytearray(outp)
        bad[-1] ^= 0x01
        frames = []
        for b in (outp, bytes(bad)):
            if lt == "eth":
                et = 0x0800 if fam == "4" else 0x86dd
                frames.append(raw(Ether(src="02:00:00:00:00:01",
                                        dst="02:00:00:00:00:02", type=et) / Raw(b)))
            elif lt == "sll":
                proto = 0x0800 if fam == "4" else 0x86dd
                frames.append(raw(CookedLinux(pkttype=0, lladdrtype=1,
                                              lladdrlen=6, src=b"\2\0\0\0\0\1\0\0",
                                              proto=proto) / Raw(b)))
            else:
                frames.append(b)
        pkts.append(frames[0])
        tampered.append(frames[1])
        want.append("%d %s" % (i + 1, inner.hex()))
    linktype = {"eth": 1, "sll": 113, "raw": 101}[lt]
    for suffix, data in ((".pcap", pkts), (".tamper.pcap", tampered)):
        w = PcapWriter(os.path.join(tmp, name + suffix), linktype=linktype, sync=True)
        for d in data:
            w.write(d)
        w.close()
    with open(os.path.join(tmp, name + ".want"), "w") as fw:
        fw.write("\n".join(want) + "\n")
    args = ["-s", "0x%08x" % spi, "-c", cipher, "-k", key.hex()]
    if auth != "none":
        args += ["-a", auth, "-A", akey.hex()]
    if esn:
        args += ["--esn"]
    # a wrong key of the same size, for the negative check
    wrong = bytes(b ^ 0x5a for b in key)
    with open(os.path.join(tmp, name + ".args"), "w") as fa:
        fa.write(" ".join(args) + "\n")
        fa.write(" ".join(args[:5] + [wrong.hex()] + args[6:]) + "\n")
EOF

pass=0
while read -r name cipher _ auth _; do
	[ -n "$name" ] || continue
	if [ -e "$TMP/$name.unsupported" ]; then
		[ "${CI:-}" != true ] || fail "$name: this scapy has no $cipher"
		echo "skip $name: this scapy has no $cipher"
		continue
	fi
	{ read -r -a args; read -r -a wrong; } <"$TMP/$name.args"
	"$TOOL" -f "$TMP/$name.pcap" "${args[@]}" >"$TMP/$name.out" 2>"$TMP/$name.err"
	awk '$3 == "spi" && $11 == "inner" { print $2, $12 }' "$TMP/$name.out" >"$TMP/$name.got"
	cmp -s "$TMP/$name.got" "$TMP/$name.want" ||
		fail "$name: our inner packets differ from scapy's: $(diff "$TMP/$name.want" "$TMP/$name.got" | head -4) $(head -3 "$TMP/$name.out" "$TMP/$name.err")"
	# Next headers: 4 for IPv4 inner, 41 for IPv6 (RFC 4303 2.6 tunnel mode).
	awk '$3 == "spi" { print $8 }' "$TMP/$name.out" | paste -sd' ' |
		grep -qx '4 41 4 41 4 41' || fail "$name: next headers $(awk '{print $8}' "$TMP/$name.out" | paste -sd' ')"

	"$TOOL" -f "$TMP/$name.tamper.pcap" "${args[@]}" >"$TMP/$name.t.out" 2>/dev/null
	n=$(grep -c ' drop auth$' "$TMP/$name.t.out")
	if [ "$auth" = none ] && [ "$cipher" != aes-gcm ] && [ "$cipher" != chacha20-poly1305 ]; then
		# No integrity: a flipped last byte corrupts the next header or
		# padding; it must not decrypt to the same packet.
		! cmp -s <(awk '$3 == "spi" { print $2, $12 }' "$TMP/$name.t.out") "$TMP/$name.want" ||
			fail "$name: tampered packets decrypted unchanged"
	else
		[ "$n" = 6 ] || fail "$name: tampered ICV: expected 6 auth drops, got $n: $(head -3 "$TMP/$name.t.out")"
	fi

	"$TOOL" -f "$TMP/$name.pcap" "${wrong[@]}" >"$TMP/$name.w.out" 2>/dev/null
	if awk '$3 == "spi" { print $2, $12 }' "$TMP/$name.w.out" | grep -qFf "$TMP/$name.want"; then
		fail "$name: decrypted with the wrong key"
	fi
	echo "ok $name: 6/6 scapy packets decrypted by esp_decap, identical; tampered and wrong-key rejected"
	pass=$((pass + 1))
done <"$TMP/cases"
[ "$pass" -gt 0 ] || fail "no case ran"
echo "PASS ($pass cases)"

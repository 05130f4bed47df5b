#!/bin/bash
# Interop: what two vpntund daemons put on the wire, decrypted by tshark's
# ESP dissector (an implementation we did not write) and by our esp_decap
# (esp-pcap-decrypt), must be the ping we sent.
#
#   namespace c: vpntund "central" 10.1.0.0/24, tun 10.1.0.1, wan0 198.18.0.1
#   namespace r: vpntund "r"       10.1.1.0/24, tun 10.1.1.1, wan0 198.18.0.2
#
# dumpcap captures c's wan0 while r pings 10.1.0.1 with a data pattern
# (ping -p). tshark then decrypts the capture with an esp_sa UAT written
# from the key file (a profile of its own under a temporary XDG_CONFIG_HOME)
# and must show, for both SPIs, the inner ICMP echo requests and replies
# with the pattern bytes, valid IPv4 and ICMP checksums, and "Good" ICV /
# AEAD tag checks. Our own decryption of the same capture must give the same
# inner packets byte for byte.
#
# Keying (site.conf(5) KEYING AND RESTARTS): with `keying manual` tshark is
# given the key file's blocks as they are. With `keying derived` the test
# derives the epoch's keys itself (HKDF-SHA256 written out with Python's
# hmac and hashlib, not our code) from the key file, the base SPIs and the
# epochs `vpntunctl status --json` reports, and tshark must decrypt with
# those: the derivation is the documented one.
#
# vpntunctl decrypt-pcap, given c's site.conf, must decrypt every packet
# of a manual-keying capture to the same bytes, and skip a derived peer
# with a message (its keys are the epoch's, not the key file's).
#
# Suites: those tshark 4.0 can decrypt -- Blowfish only with 128-bit keys,
# no ChaCha20-Poly1305.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
vt_init tshark_decrypt
# shellcheck disable=SC2034 # lib.sh reads it: whose logs to show on failure
VT_SITES=(c r)
TOOL=$VPNTUND_BUILD/esp-pcap-decrypt
for b in tshark dumpcap; do
	command -v "$b" >/dev/null || vt_skip "no $b"
done
[ -x "$TOOL" ] || vt_skip "no $TOOL (libpcap missing at build time?)"

C_OUT=198.18.0.1 R_OUT=198.18.0.2
C_NET=10.1.0.0/24 R_NET=10.1.1.0/24
C_TUN=10.1.0.1 R_TUN=10.1.1.1
COUNT=4
PATTERN=c0ffee0ddba11f00

vt_nsadd "$(vt_ns c)"
vt_nsadd "$(vt_ns r)"
vt_link "$(vt_ns c)" wan0 "$(vt_ns r)" wan0
vt_addr "$(vt_ns c)" wan0 "$C_OUT/24"
vt_addr "$(vt_ns r)" wan0 "$R_OUT/24"
ip netns exec "$(vt_ns r)" ping -c 1 -W 2 "$C_OUT" >/dev/null ||
	fail "outer network: r cannot reach $C_OUT"

# site_conf NAME ROLE NET TUN OUTER TAG / peer_conf NAME ROLE NET ENDPOINT TR SUITE KEY
site_conf() {
	cat <<EOF
site "$1" {
	role $2
	network $3
	address $4/24
	tun $VT_TUN
	outer $5
	port 4500
	state-file "$VT_TMP/$6.state"
	control "$VT_TMP/$7.sock"
	log stderr
	log-level ${VT_LOG_LEVEL:-debug}
}
EOF
}
peer_conf() {
	cat <<EOF
peer "$1" {
	role $2
	network $3
	endpoint $4$([ "$5" = udp ] && echo " port 4500")
	transport $5
	keepalive 0
	keying $9
$(vt_suite_conf "$6")
	key "$7"
	tunnel $8
}
EOF
}

# epoch_block KEYFILE N BASE_SPI EPOCH: hex of the keys of epoch EPOCH
# derived from block N of KEYFILE, for the SA whose base SPI is BASE_SPI
# (site.conf(5) KEYING AND RESTARTS; RFC 5869 with SHA-256, written out):
#   prk  = HMAC-SHA256(key "vpntund keying v1", block)
#   T(i) = HMAC-SHA256(prk, T(i-1) || "epoch" || spi (4 bytes BE) ||
#          epoch (8 bytes BE) || i), the keys the first len(block) bytes
#          of T(1) || T(2) ..., split as the block is
epoch_block() {
	"$VT_PY" - "$(vt_key_block "$1" "$2")" "$3" "$4" <<'PYEOF'
import hashlib, hmac, struct, sys
block = bytes.fromhex(sys.argv[1])
spi, epoch = int(sys.argv[2], 16), int(sys.argv[3], 16)
prk = hmac.new(b"vpntund keying v1", block, hashlib.sha256).digest()
info = b"epoch" + struct.pack("!IQ", spi, epoch)
okm, t, i = b"", b"", 1
while len(okm) < len(block):
    t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
    okm += t
    i += 1
print(okm[:len(block)].hex())
PYEOF
}

# tshark's names for our suites (esp_sa UAT, Wireshark 4.0).
ws_cipher() {
	case $1 in
	blowfish-cbc) echo "BLOWFISH-CBC [RFC2451]" ;;
	3des-cbc) echo "TripleDES-CBC [RFC2451]" ;;
	aes-cbc) echo "AES-CBC [RFC3602]" ;;
	aes-gcm) echo "AES-GCM with 16 octet ICV [RFC4106]" ;;
	*) return 1 ;;
	esac
}
ws_auth() {
	case $1 in
	"" | none) echo "NULL" ;;
	hmac-sha1-96) echo "HMAC-SHA-1-96 [RFC2404]" ;;
	hmac-sha256-128) echo "HMAC-SHA-256-128 [RFC4868]" ;;
	hmac-md5-96) echo "HMAC-MD5-96 [RFC2403]" ;;
	hmac-sha256-96) echo "HMAC-SHA-256-96 [draft-ietf-ipsec-ciph-sha-256-00]" ;;
	hmac-sha384-192) echo "HMAC-SHA-384-192 [RFC4868]" ;;
	hmac-sha512-256) echo "HMAC-SHA-512-256 [RFC4868]" ;;
	*) return 1 ;;
	esac
}


# run_case TRANSPORT SUITE manual|derived
run_case() {
	local tr=$1 suite=$2 keying=$3 tag d key b1 b2 klen cipher auth spi_c2r spi_r2c
	tag=$(echo "$tr-$suite-$keying" | tr ':/' '__')
	# INTEROP_ONLY=REGEX runs the matching cases only (when debugging).
	[ -z "${INTEROP_ONLY:-}" ] || [[ $tag =~ $INTEROP_ONLY ]] || return 0
	d=$VT_TMP/$tag
	mkdir -p "$d/wireshark"
	key=$d/key
	vt_write_key "$key" "$suite"
	vt_suite_parse "$suite"
	cipher=$VT_CIPHER auth=${VT_AUTH:-none}
	klen=$((VT_KEYLEN + VT_SALTLEN))
	{
		site_conf central central "$C_NET" "$C_TUN" "$C_OUT" "$tag-c" c
		peer_conf r remote "$R_NET" "$R_OUT" "$tr" "$suite" "$key" "$C_NET <-> $R_NET" "$keying"
	} >"$d/c.conf"
	{
		site_conf r remote "$R_NET" "$R_TUN" "$R_OUT" "$tag-r" r
		peer_conf central central "$C_NET" "$C_OUT" "$tr" "$suite" "$key" "$R_NET <-> $C_NET" "$keying"
	} >"$d/r.conf"
	vt_start c "$d/c.conf"     # manual: first starts, -R (lib.sh)
	vt_start r "$d/r.conf"
	# The SPIs on the wire (derived: the current epoch's) as both ends
	# report them, and the keys tshark gets: the blocks, or the epochs'.
	local c_out c_in r_out r_in
	c_out="$(vt_sa c r out spi) $(vt_sa c r out epoch)" c_in="$(vt_sa c r in spi) $(vt_sa c r in epoch)"
	r_out="$(vt_sa r central out spi) $(vt_sa r central out epoch)"
	r_in="$(vt_sa r central in spi) $(vt_sa r central in epoch)"
	assert_eq "$r_in" "$c_out" "$tag: SA c -> r (SPI, epoch) on both ends"
	assert_eq "$c_in" "$r_out" "$tag: SA r -> c (SPI, epoch) on both ends"
	spi_c2r=${c_out% *} spi_r2c=${r_out% *}
	b1=$(vt_key_block "$key" 1) b2=$(vt_key_block "$key" 2)
	if [ "$keying" = derived ]; then
		local base_c2r base_r2c e_c2r=${c_out#* } e_r2c=${r_out#* }
		base_c2r=$(vt_peer r central 'p["spi_in"]') base_r2c=$(vt_peer c r 'p["spi_in"]')
		assert_eq "$((spi_c2r ^ base_c2r)) $((spi_r2c ^ base_r2c))" \
		    "$((0x$e_c2r & 1)) $((0x$e_r2c & 1))" "$tag: SPIs vs base SPIs and the epochs' parity"
		b1=$(epoch_block "$key" 1 "$base_c2r" "$e_c2r")
		b2=$(epoch_block "$key" 2 "$base_r2c" "$e_r2c")
	else
		assert_eq "$c_out $r_out" \
		    "$(vt_peer c r 'p["spi_out"]') 0000000000000000 $(vt_peer c r 'p["spi_in"]') 0000000000000000" \
		    "$tag: manual SAs use the base SPIs, epoch 0"
	fi

	# Capture c's outer interface; dumpcap says "Capturing on" once the
	# capture is open.
	vt_bg "dumpcap-$tag" ip netns exec "$(vt_ns c)" dumpcap -P -q -i wan0 \
	    -c $((2 * COUNT)) -f "(udp port 4500 and udp[4:2] > 9) or ip proto 50" -w "$d/cap.pcap"
	local dpid=$VT_BG_PID
	wait_until 10 grep -q "Capturing on" "$VT_TMP/dumpcap-$tag.out" ||
		fail "$tag: dumpcap did not start: $(cat "$VT_TMP/dumpcap-$tag.out")"
	ip netns exec "$(vt_ns r)" ping -n -c "$COUNT" -i 0.2 -W 2 -s 100 \
	    -p "$PATTERN" -I "$R_TUN" "$C_TUN" >"$d/ping" 2>&1 || true
	grep -q " $COUNT received" "$d/ping" ||
		fail "$tag: ping through the tunnel: $(tail -n 2 "$d/ping")"
	# Keepalives are off (one-byte NAT keepalives are filtered out too),
	# and derived keying's synchronisation was over before the capture
	# began, so the only packets are the pings'. dumpcap stops after
	# 2 x COUNT (-c): a SIGINT could lose what the kernel still holds in a
	# TPACKET_V3 block.
	wait_until 10 vt_dead "$dpid" ||
		fail "$tag: dumpcap did not see $((2 * COUNT)) ESP packets: $(cat "$VT_TMP/dumpcap-$tag.out")"
	vt_stop r
	vt_stop c

	# tshark's profile: esp_sa UAT from the keys above.
	{
		printf '"IPv4","%s","%s","%s","%s","0x%s","%s","%s"\n' \
		    "$C_OUT" "$R_OUT" "$spi_c2r" "$(ws_cipher "$cipher")" \
		    "${b1:0:$((klen * 2))}" "$(ws_auth "$auth")" \
		    "$([ -n "${b1:$((klen * 2))}" ] && echo "0x${b1:$((klen * 2))}")"
		printf '"IPv4","%s","%s","%s","%s","0x%s","%s","%s"\n' \
		    "$R_OUT" "$C_OUT" "$spi_r2c" "$(ws_cipher "$cipher")" \
		    "${b2:0:$((klen * 2))}" "$(ws_auth "$auth")" \
		    "$([ -n "${b2:$((klen * 2))}" ] && echo "0x${b2:$((klen * 2))}")"
	} >"$d/wireshark/esp_sa"
	XDG_CONFIG_HOME=$d HOME=$d tshark -r "$d/cap.pcap" \
	    -o esp.enable_encryption_decode:TRUE \
	    -o esp.enable_authentication_check:TRUE \
	    -o ip.check_checksum:TRUE \
	    -T fields -E occurrence=l -E separator='|' \
	    -e frame.number -e esp.spi -e esp.icv_good -e esp.icv_bad \
	    -e ip.checksum.status -e icmp.type -e icmp.checksum.status \
	    -e data.data -e esp.contained_data \
	    >"$d/tshark" 2>"$d/tshark.err"

	# Every ESP frame decrypted by tshark, ICV good, pattern present.
	"$VT_PY" - "$d/tshark" "$spi_c2r" "$spi_r2c" "$PATTERN" "$COUNT" <<'EOF' || fail "$tag: tshark: $(head -c 600 "$d/tshark") $(head -c 300 "$d/tshark.err")"
import sys
path, c2r, r2c, pat, count = sys.argv[1:6]
count = int(count)
req = rep = 0
rows = [l.rstrip("\n").split("|") for l in open(path) if l.strip()]
if not rows:
    sys.exit("no frames")
for r in rows:
    n, spi, good, bad, ipck, itype, ick, data, inner = r
    if spi not in (c2r, r2c):
        sys.exit("frame %s: SPI %r" % (n, spi))
    if not inner:
        sys.exit("frame %s: tshark did not decrypt" % n)
    if good != "1" or bad == "1":
        sys.exit("frame %s: tshark's ICV check: good=%r bad=%r" % (n, good, bad))
    if ipck != "1" or ick != "1":      # PROTO_CHECKSUM_E_GOOD
        sys.exit("frame %s: inner checksum status ip=%r icmp=%r" % (n, ipck, ick))
    if pat * 4 not in data:
        sys.exit("frame %s: ping pattern not in the ICMP data %r" % (n, data))
    if itype == "8" and spi == r2c:
        req += 1
    elif itype == "0" and spi == c2r:
        rep += 1
    else:
        sys.exit("frame %s: ICMP type %s on SPI %s" % (n, itype, spi))
if req != count or rep != count:
    sys.exit("%d echo requests, %d replies, expected %d each" % (req, rep, count))
print("%d requests r->c on %s, %d replies c->r on %s" % (req, r2c, rep, c2r))
EOF

	# Ours on the same capture, per SPI, must equal tshark byte for byte.
	local dir spi blk
	: >"$d/ours.all"
	for dir in 1 2; do
		if [ "$dir" = 1 ]; then spi=$spi_c2r blk=$b1; else spi=$spi_r2c blk=$b2; fi
		local aargs=()
		[ "$auth" != none ] && aargs=(-a "$auth" -A "${blk:$((klen * 2))}")
		"$TOOL" -f "$d/cap.pcap" -s "$spi" -c "$cipher" -k "${blk:0:$((klen * 2))}" \
		    "${aargs[@]}" >"$d/ours.$dir" 2>"$d/ours.$dir.err" ||
			fail "$tag: esp-pcap-decrypt SPI $spi: $(head -n 3 "$d/ours.$dir" "$d/ours.$dir.err")"
		awk '$3 == "spi" && $11 == "inner" { print $2, $12 }' "$d/ours.$dir" >>"$d/ours.all"
	done
	sort -n "$d/ours.all" >"$d/ours"
	awk -F'|' '{ print $1, $9 }' "$d/tshark" | sort -n >"$d/theirs"
	cmp -s "$d/ours" "$d/theirs" ||
		fail "$tag: esp_decap and tshark disagree: $(diff "$d/ours" "$d/theirs" | head -4)"

	# decrypt-pcap with c's config: manual SAs decrypt, derived skipped.
	local rc=0 l n
	"$VPNTUND_BUILD/vpntunctl" decrypt-pcap -c "$d/c.conf" -r "$d/cap.pcap" \
	    -w "$d/dp.pcap" 2>"$d/dp.err" || rc=$?
	if [ "$keying" = derived ]; then
		assert_eq "$rc" 2 "$tag: decrypt-pcap with only a derived peer: $(cat "$d/dp.err")"
		grep -q "peer \"r\" skipped: keying derived" "$d/dp.err" ||
			fail "$tag: decrypt-pcap: no message for the derived peer: $(cat "$d/dp.err")"
	else
		assert_eq "$rc" 0 "$tag: decrypt-pcap exit: $(cat "$d/dp.err")"
		for l in "ESP found" decrypted written; do
			n=$(awk -v l="$l" '{ s = $0; sub(/^ +/, "", s) }
			    index(s, l) == 1 { print $NF; exit }' "$d/dp.err")
			assert_eq "$n" $((2 * COUNT)) "$tag: decrypt-pcap $l"
		done
		"$VT_PY" - "$d/dp.pcap" >"$d/dp" <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read()
o = 24
while o < len(b):
    cl, = struct.unpack("<I", b[o + 8:o + 12])
    print(b[o + 16:o + 16 + cl].hex())
    o += 16 + cl
EOF
		awk '{ print $2 }' "$d/theirs" | cmp -s - "$d/dp" ||
			fail "$tag: decrypt-pcap and tshark disagree: $(awk '{ print $2 }' "$d/theirs" | diff - "$d/dp" | head -4)"
	fi
	echo "ok $tr $suite $keying: tshark decrypts all $((2 * COUNT)) ESP frames, ICV/tag good, checksums good, ping pattern present; esp_decap agrees byte for byte; decrypt-pcap -c $([ "$keying" = manual ] && echo "writes the same packets" || echo "skips the derived peer")" >&2
	PASSED+=("$tr/$suite/$keying")
}

PASSED=()
# Every suite with the configured keys; an AEAD suite (key and salt
# derived) and an HMAC one (cipher and auth key derived) with epoch keys.
for s in blowfish-cbc:128/hmac-sha1-96 aes-cbc:128/hmac-sha1-96 \
    aes-cbc:256/hmac-sha256-128 aes-gcm:128 3des-cbc/hmac-sha1-96; do
	run_case udp "$s" manual
done
run_case udp aes-gcm:256 derived
run_case esp aes-cbc:128/hmac-sha1-96 derived
run_case esp aes-gcm:256 manual
# KAME's authenticators that tshark 4.0 checks (it has no SHA-384/512
# with 96-bit ICVs and no AES-XCBC-MAC-96).
for s in aes-cbc:128/hmac-md5-96 aes-cbc:128/hmac-sha256-96 \
    aes-cbc:256/hmac-sha384-192 3des-cbc/hmac-sha512-256; do
	run_case udp "$s" manual
done
echo "passed: ${PASSED[*]}" >&2

#!/bin/bash
# Interop with scapy's ESP (an implementation we did not write), both
# directions, through a running vpntund.
#
#   namespace c: vpntund, site "central" 10.1.0.0/24 + fd00:1::/64, tun
#                10.1.0.1 fd00:1::1, outer 198.18.0.1 or 2001:db8::1 (wan0)
#   namespace s: scapy_esp.py as the remote peer "scapy" 10.1.1.0/24 +
#                fd00:1:1::/64, outer 198.18.0.2 or 2001:db8::2 (wan0),
#                UDP 4500 or raw protocol 50
#
# For every suite scapy knows and for both transports: scapy encrypts ICMP
# echo requests 10.1.1.2 -> 10.1.0.1 with its own SecurityAssociation and
# sends them (IPv4 in IPv4; a few suites also ICMPv6 in IPv6); vpntund decrypts them onto its tun, the kernel answers, vpntund
# encrypts the echo replies; scapy decrypts those with its own SA and checks
# the checksums, id, sequence and payload bytes. The key file is written
# once per suite and read by both (docs/DESIGN.md "Keys": block 1 central ->
# remote, block 2 remote -> central); the SPIs scapy uses come from the
# formula in docs/DESIGN.md, re-implemented in python, and must match the
# ones the daemon reports. The peer is keyed `manual` (scapy is a third
# party with the configured keys): an AEAD suite's IV is then the sequence
# number plus a base that is the same for all packets of one start and
# differs between starts (the keys do not). Then the daemon's counters
# must agree: packets in and out as sent, no drops; a request with an
# altered ICV/tag is dropped and counted as auth, not answered.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
vt_init scapy_esp
# shellcheck disable=SC2034 # lib.sh reads it: whose logs to show on failure
VT_SITES=(c)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCAPY=$HERE/scapy_esp.py
# scapy imports without python3-cryptography but then knows no cipher.
"$VT_PY" -c 'from scapy.layers.ipsec import CRYPT_ALGOS
assert "AES-GCM" in CRYPT_ALGOS' 2>/dev/null ||
	vt_skip "no scapy with python3-cryptography for $VT_PY"

C_OUT4=198.18.0.1 S_OUT4=198.18.0.2
C_OUT6=2001:db8::1 S_OUT6=2001:db8::2
C_NET=10.1.0.0/24 S_NET=10.1.1.0/24
C_NET6=fd00:1::/64 S_NET6=fd00:1:1::/64
C_TUN4=10.1.0.1 S_HOST4=10.1.1.2
C_TUN6=fd00:1::1 S_HOST6=fd00:1:1::2
COUNT=4

vt_nsadd "$(vt_ns c)"
vt_nsadd "$(vt_ns s)"
vt_link "$(vt_ns c)" wan0 "$(vt_ns s)" wan0
vt_addr "$(vt_ns c)" wan0 "$C_OUT4/24" "$C_OUT6/64"
vt_addr "$(vt_ns s)" wan0 "$S_OUT4/24" "$S_OUT6/64"
ip netns exec "$(vt_ns s)" ping -c 1 -W 2 "$C_OUT4" >/dev/null ||
	fail "outer network: s cannot reach $C_OUT4"
wait_until 10 ip netns exec "$(vt_ns s)" ping -c 1 -W 1 "$C_OUT6" >/dev/null ||
	fail "outer network: s cannot reach $C_OUT6"

SPI_C2S=$("$VT_PY" "$SCAPY" spi "$C_NET" central "$S_NET")
SPI_S2C=$("$VT_PY" "$SCAPY" spi "$S_NET" remote "$C_NET")

# write_conf TRANSPORT SUITE TAG: dual-stack overlay; the outer family is
# that of $C_OUT. PEER_EXTRA, if set, is one more statement for the peer
# block (PEER_EXTRA="allow-weak-cipher yes" run_case ...).
write_conf() {
	local tr=$1 suite=$2 tag=$3
	vt_write_key "$VT_TMP/$tag.key" "$suite"
	cat >"$VT_TMP/$tag.conf" <<EOF
site "central" {
	role central
	network $C_NET
	network $C_NET6
	address $C_TUN4/24
	address $C_TUN6/64
	tun $VT_TUN
	outer $C_OUT
	port 4500
	state-file "$VT_TMP/$tag.state"
	control "$(vt_sock c)"
	log stderr
	log-level ${VT_LOG_LEVEL:-debug}
}
peer "scapy" {
	role remote
	network $S_NET
	endpoint $S_OUT$([ "$tr" = udp ] && echo " port 4500")
	transport $tr
$(vt_suite_conf "$suite")
$([ -z "${PEER_EXTRA:-}" ] || printf '\t%s\n' "$PEER_EXTRA")
	key "$VT_TMP/$tag.key"
	keying manual
	keepalive 0
	replay-window 64
	esn $([ -n "$esn" ] && echo yes || echo no)
	tunnel $C_NET <-> $S_NET
	tunnel $C_NET6 <-> $S_NET6
}
EOF
}

p() { vt_peer c scapy "$1"; }
auth_drops_are() { [ "$(p 'p["drops"]["auth"]')" = "$1" ]; }

# check_status TAG "PYEXPR|what"...: every expression (over d, the status,
# and p, peer "scapy") must hold on one status read.
check_status() {
	local tag=$1 json
	shift
	json=$(vt_status c) || fail "$tag: status failed"
	"$VT_PY" - "$json" "$@" <<'PYEOF' || fail "$tag: status: $json"
import json, sys
d = json.loads(sys.argv[1])
p = [x for x in d["peers"] if x["name"] == "scapy"][0]
bad = []
for arg in sys.argv[2:]:
    expr, what = arg.split("|", 1)
    if not eval(expr):
        bad.append("%s: %s is false" % (what, expr))
if bad:
    sys.exit("; ".join(bad))
PYEOF
}

# run_case TRANSPORT SUITE [4|6|6in4 [esn]]: outer and inner family (6in4:
# IPv6 inside, IPv4 outside); ESN (AEAD only: scapy 2.5 leaves the high
# bits out of ESP HMACs).
run_case() {
	local tr=$1 suite=$2 fam=${3:-4} esn=${4:-} tag out res
	local C_OUT S_OUT C_TUN S_HOST
	tag=$(echo "$tr-$suite-v$fam$esn" | tr ':/' '__')
	# INTEROP_ONLY=REGEX runs the matching cases only (when debugging).
	[ -z "${INTEROP_ONLY:-}" ] || [[ $tag =~ $INTEROP_ONLY ]] || return 0
	if [ "$fam" = 6 ]; then
		C_OUT=$C_OUT6 S_OUT=$S_OUT6 C_TUN=$C_TUN6 S_HOST=$S_HOST6
	elif [ "$fam" = 6in4 ]; then
		C_OUT=$C_OUT4 S_OUT=$S_OUT4 C_TUN=$C_TUN6 S_HOST=$S_HOST6
	else
		C_OUT=$C_OUT4 S_OUT=$S_OUT4 C_TUN=$C_TUN4 S_HOST=$S_HOST4
	fi
	vt_suite_parse "$suite"
	local cipher=$VT_CIPHER bits=${VT_KEYBITS:-$((VT_KEYLEN * 8))} auth=${VT_AUTH:-none}
	if ! "$VT_PY" "$SCAPY" supports "$cipher"; then
		[ "${CI:-}" != true ] || fail "$tag: this scapy has no $cipher"
		echo "skip $tr $suite IPv$fam: this scapy has no $cipher" >&2
		SKIPPED+=("$tr/$suite/v$fam")
		return 0
	fi
	write_conf "$tr" "$suite" "$tag"
	vt_start c "$VT_TMP/$tag.conf"

	# One status read, several checks (each vpntunctl + python costs).
	check_status "$tag" \
	    "p['spi_in'] == '$SPI_S2C'|daemon's inbound SPI vs the formula $SPI_S2C" \
	    "p['spi_out'] == '$SPI_C2S'|daemon's outbound SPI vs the formula $SPI_C2S" \
	    "p['transport'] == '$tr'|transport"

	# COUNT echo requests, then one more with its last ICV/tag byte
	# flipped, which must not be answered.
	out=$VT_TMP/$tag.exchange
	ip netns exec "$(vt_ns s)" timeout 60 "$VT_PY" "$SCAPY" exchange \
	    --keyfile "$VT_TMP/$tag.key" --cipher "$cipher" --keybits "$bits" \
	    --auth "$auth" --transport "$tr" --local "$S_OUT" --peer "$C_OUT" \
	    --spi-out "$SPI_S2C" --spi-in "$SPI_C2S" --inner-src "$S_HOST" \
	    --inner-dst "$C_TUN" --count "$COUNT" --size 56 --tamper ${esn:+--esn} \
	    >"$out" 2>"$out.err" || true
	res=$(tail -n 1 "$out")
	[ -n "$res" ] || fail "$tag: scapy exchange printed nothing: $(tail -n 5 "$out.err")"
	"$VT_PY" - "$res" "$COUNT" "$cipher" "${IV_BASES[@]}" <<'PYEOF' || fail "$tag: scapy: $res"
import json, sys
d, count, cipher = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
earlier = sys.argv[4:]
bad = list(d["errors"])
if d["replies"] != count:
    bad.append("%d echo replies decrypted, expected %d" % (d["replies"], count))
bases = set(d["iv_bases"])
if cipher in ("aes-gcm", "chacha20-poly1305", "aes-ctr"):
    # Manual keying reuses the key at every start: IV = seq + a random
    # base of this start, so IVs never repeat across starts.
    if len(bases) != 1:
        bad.append("IV - seq differs between packets of one start: %s" % sorted(bases))
    elif bases & {"0" * 16} or bases & set(earlier):
        bad.append("IV base %s is zero or that of an earlier start (%s)"
                   % (bases.pop(), " ".join(earlier)))
if d.get("tampered_answered") is not False:
    bad.append("the request with an altered ICV was answered")
if bad:
    sys.exit("; ".join(bad))
PYEOF

	# The daemon saw exactly what scapy sent and answered every one; the
	# only drop is the altered packet, counted as auth (every suite here
	# has integrity). The count is polled: it may trail the last reply.
	wait_until 5 auth_drops_are 1 ||
		fail "$tag: altered ICV: expected drops.auth 1, got $(p 'p["drops"]')"
	check_status "$tag" \
	    "p['packets_in'] == $COUNT|daemon packets_in" \
	    "p['packets_out'] >= $COUNT|daemon packets_out" \
	    "p['drops'] == dict(p['drops'], auth=1) and sum(p['drops'].values()) == 1|peer drops other than one auth" \
	    "sum(d['drops'].values()) == 0|site drops"
	vt_stop c
	local base
	base=$("$VT_PY" -c 'import json, sys; print(" ".join(json.loads(sys.argv[1])["iv_bases"][:1]))' "$res")
	[ -z "$base" ] || IV_BASES+=("$base")
	echo "ok $tr $suite IPv$fam${esn:+ ESN}: $COUNT echo requests scapy -> vpntund and $COUNT replies vpntund -> scapy, bytes match; SPIs $SPI_S2C/$SPI_C2S match the formula; counters in $COUNT out >= $COUNT, no drop but the altered ICV (auth)${base:+; IV = seq + $base}" >&2
	PASSED+=("$tr/$suite/v$fam${esn:+/esn}")
}

PASSED=() SKIPPED=() IV_BASES=()
# The first argument picks a half, so that ctest runs the two side by
# side: "rfc" (the suites of the RFCs the daemon started with) or
# "kame" (KAME's ciphers and authenticators); no argument, both.
SET=${1:-all}
case $SET in rfc | kame | all) ;; *) fail "usage: $0 [rfc|kame]" ;; esac
if [ "$SET" != kame ]; then
# Key sizes explicit where the suite has a choice: the defaults are the
# daemon's business, here
# both sides must agree on what is written (3DES and ChaCha20 are fixed).
SUITES=(
	blowfish-cbc:128/hmac-sha1-96
	blowfish-cbc:448/hmac-sha256-128
	3des-cbc/hmac-sha1-96
	aes-cbc:128/hmac-sha1-96
	aes-cbc:256/hmac-sha256-128
	aes-gcm:256
	aes-gcm:128
	chacha20-poly1305
)
for tr in udp esp; do
	for s in "${SUITES[@]}"; do
		run_case "$tr" "$s"
	done
done
# IPv6 outside and inside (ICMPv6 echo), one CBC and one AEAD suite each.
run_case udp blowfish-cbc:128/hmac-sha1-96 6
# RFC 2451's shortest Blowfish key, 40 bits, as KAME's setkey takes it.
run_case udp blowfish-cbc:40/hmac-sha1-96
run_case udp aes-gcm:256 6
run_case esp aes-cbc:128/hmac-sha256-128 6
run_case esp chacha20-poly1305 6
# ESN: AAD = SPI || seq high (0 here) || seq low (RFC 4106 5, RFC 7634 2.1).
run_case udp aes-gcm:256 4 esn
run_case udp chacha20-poly1305 4 esn
fi
if [ "$SET" != rfc ]; then
# KAME's authenticators: HMAC-MD5-96 (RFC 2403), the RFC 4868 lengths of
# SHA-384/512, and the 96-bit SHA-2 truncations of the older stacks,
# which scapy_esp.py adds to scapy. aes-xcbc-mac-96 is not here: scapy
# has no XCBC (only AES-CMAC-96), so the RFC 3566 known answers of
# tests/unit/test_crypto_kat.c stand for it.
run_case udp aes-cbc:128/hmac-md5-96
run_case udp aes-cbc:128/hmac-sha384-192
run_case udp aes-cbc:128/hmac-sha512-256
run_case udp aes-cbc:128/hmac-sha256-96
run_case udp aes-cbc:128/hmac-sha512-96
run_case esp aes-cbc:128/hmac-md5-96
# KAME's ciphers: DES (weak, so only when the peer block allows it),
# CAST-128 at its longest and shortest key, AES-CTR at each key size
# (key || nonce in the key file, IV = seq + base) and NULL, each with an
# HMAC, which CTR and NULL require.
PEER_EXTRA="allow-weak-cipher yes" run_case udp des-cbc/hmac-sha1-96
run_case udp cast128-cbc:128/hmac-sha1-96
run_case udp cast128-cbc:40/hmac-sha1-96
run_case udp aes-ctr:128/hmac-sha1-96
run_case udp aes-ctr:192/hmac-sha1-96
run_case udp aes-ctr:256/hmac-sha1-96
run_case udp null/hmac-sha1-96
run_case esp aes-ctr:128/hmac-sha1-96
run_case esp null/hmac-sha1-96
# The gif form with IPv6 inside: KAME's gif(4) wraps the IPv6 packet in
# IPv4 (protocol 41) and transport-mode ESP encrypts what follows that
# header, which is these bytes: ESP with next header 41 over raw IPv4
# (the IPv4 case in transport mode is in test_setkey_import.sh).
run_case esp aes-cbc:128/hmac-sha1-96 6in4
fi
echo "passed: ${PASSED[*]}" >&2
[ "${#SKIPPED[@]}" -eq 0 ] || echo "skipped (scapy lacks the cipher): ${SKIPPED[*]}" >&2

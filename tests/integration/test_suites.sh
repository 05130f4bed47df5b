#!/usr/bin/env bash
# Every cipher and integrity suite site.conf offers, end to end: r1 and r2
# each on a different suite at the same time, ping with a data pattern and a
# TCP transfer checked by sha256, and both ends agree on the suite.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init suites
vt_topology v4
VT_LOG_LEVEL=info

# pairs: the suite of r1, the suite of r2
pairs=(
	"blowfish-cbc/hmac-sha1-96 3des-cbc/hmac-sha1-96"
	"aes-cbc:256/hmac-sha256-128 aes-gcm:128"
	"chacha20-poly1305 blowfish-cbc:128/hmac-sha256-128"
	"aes-cbc:192/none 3des-cbc/hmac-sha256-128"
	# KAME's authenticators; XCBC has no other peer to test against
	"aes-cbc:128/aes-xcbc-mac-96 3des-cbc/hmac-md5-96"
	"aes-cbc:256/hmac-sha512-256 blowfish-cbc:128/hmac-sha384-192"
	"aes-cbc/hmac-sha256-96 aes-cbc:192/hmac-sha384-96"
	"blowfish-cbc/hmac-sha512-96 aes-cbc:256/aes-xcbc-mac-96"
)
for pair in "${pairs[@]}"; do
	read -r s1 s2 <<<"$pair"
	vt_log_msg "r1: $s1, r2: $s2"
	vt_write_configs udp v4 "$s1" "$s2"
	vt_start c
	vt_start r1
	vt_start r2
	vt_ping l1 172.16.0.10 3
	vt_ping l2 172.16.0.10 3
	vt_ping lc 10.2.1.10 2
	vt_ping lc 10.2.2.10 2
	vt_tcp_xfer l1 lc 172.16.0.10 131072
	vt_tcp_xfer lc l2 10.2.2.10 131072
	# both ends name the same suite, and it is the one configured
	for r in r1 r2; do
		suite=$(vt_peer c "$r" 'p["suite"]')
		assert_eq "$(vt_peer "$r" central 'p["suite"]')" "$suite" "suite of $r on both ends"
		cfg=$s1
		[ "$r" = r2 ] && cfg=$s2
		want=${cfg%%[:/]*}
		[[ $suite == "$want"* ]] || fail "suite of $r: '$suite', configured $want"
		# and the auth, where the pair names one
		[[ $cfg != */* || $suite == */"${cfg#*/}" ]] ||
			fail "suite of $r: '$suite', configured auth ${cfg#*/}"
		assert_eq "$(vt_peer c "$r" 'sum(p["drops"].values())')" 0 "central: drops of $r ($suite)"
		assert_eq "$(vt_peer "$r" central 'sum(p["drops"].values())')" 0 "$r: drops ($suite)"
	done
	# encryption without integrity works, and the daemon warns about it
	if [[ $s1 == */none ]]; then
		grep -q "peer \"r1\": auth none: packets are not authenticated: anyone on the path can inject packets" "$(vt_log c)" ||
			fail "no warning for $s1 without integrity"
		! grep -q "peer \"r2\": auth none" "$(vt_log c)" || fail "a warning for $s2, which has integrity"
	fi
	vt_stop r2
	vt_stop r1
	vt_stop c
done

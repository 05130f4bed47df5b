#!/bin/bash
# A manual SA pair as a KAME (FreeBSD setkey) peer keys it, against
# scapy's ESP in the peer's place (docs/site.conf.5.md: sa, replay-window
# 0, padding).
#
#   namespace c: vpntund, site "central" 10.1.0.0/24, tun 10.1.0.1, outer
#                198.18.0.1 (wan0); its peer "kame":
#                  sa in  spi 0x1001 3des-cbc / hmac-sha1-96
#                  sa out spi 0x2002 blowfish-cbc keysize 128 / hmac-sha256-128
#                  replay-window 0, padding strict, then zero
#   namespace s: scapy_sa.py as "kame" 10.1.1.0/24, outer 198.18.0.2,
#                keyed from the same two key files (one block each)
#
# 1. padding strict: a zero-padded request (KAME -f zero-pad) is malformed:
#    counted, not answered.
# 2. padding zero: zero-padded echo requests from sequence number 1 are
#    answered, the replies decrypt with scapy's SA of the other direction;
#    one request sent again as captured is answered again (anti-replay
#    off: a packet in, no replay drop).
# 3. a clean restart without -R (no inbound mark is needed): scapy starts
#    again at 1, as a KAME peer whose SAs were re-added, and is answered;
#    the daemon's own numbers go on above the last it sent.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
vt_init scapy_sa
# shellcheck disable=SC2034 # lib.sh reads it: whose logs to show on failure
VT_SITES=(c)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCAPY=$HERE/scapy_sa.py
"$VT_PY" -c 'from scapy.layers.ipsec import CRYPT_ALGOS
assert "3DES" in CRYPT_ALGOS and "Blowfish" in CRYPT_ALGOS' 2>/dev/null ||
	vt_skip "no scapy with 3DES and Blowfish (python3-cryptography) for $VT_PY"

C_OUT=198.18.0.1 S_OUT=198.18.0.2
C_NET=10.1.0.0/24 S_NET=10.1.1.0/24
C_TUN=10.1.0.1 S_HOST=10.1.1.2
SPI_IN=0x00001001 SPI_OUT=0x00002002
COUNT=4

vt_nsadd "$(vt_ns c)"
vt_nsadd "$(vt_ns s)"
vt_link "$(vt_ns c)" wan0 "$(vt_ns s)" wan0
vt_addr "$(vt_ns c)" wan0 "$C_OUT/24"
vt_addr "$(vt_ns s)" wan0 "$S_OUT/24"
ip netns exec "$(vt_ns s)" ping -c 1 -W 2 "$C_OUT" >/dev/null ||
	fail "outer network: s cannot reach $C_OUT"

# One block each: cipher key || auth key (3DES 24 + SHA-1 20; Blowfish
# 16 + SHA-256 32).
(umask 077
 openssl rand -hex 44 >"$VT_TMP/kame.in"
 openssl rand -hex 48 >"$VT_TMP/kame.out")

write_conf() { # PADDING
	cat >"$VT_TMP/c.conf" <<EOF
site "central" {
	role central
	network $C_NET
	address $C_TUN/24
	tun $VT_TUN
	outer $C_OUT
	port 4500
	state-file "$VT_TMP/c.state"
	control "$(vt_sock c)"
	log stderr
	log-level ${VT_LOG_LEVEL:-debug}
}
peer "kame" {
	role remote
	network $S_NET
	endpoint $S_OUT port 4500
	keying manual
	sa in spi 0x1001 cipher 3des-cbc auth hmac-sha1-96 key "kame.in"
	sa out key "kame.out" auth hmac-sha256-128 cipher blowfish-cbc keysize 128 spi 8194
	replay-window 0
	padding $1
	keepalive 0
}
EOF
}

p() { vt_peer c kame "$1"; }
peer_is() { [ "$(p "$1")" = True ]; }

# check_status TAG "PYEXPR|what"...: every expression (over p, the peer,
# and i, its inbound main SA) must hold on one status read.
check_status() {
	local tag=$1 json
	shift
	json=$(vt_status c) || fail "$tag: status failed"
	"$VT_PY" - "$json" "$@" <<'PYEOF' || fail "$tag: status: $json"
import json, sys
d = json.loads(sys.argv[1])
p = [x for x in d["peers"] if x["name"] == "kame"][0]
i = [s for s in p["sas"] if s["kind"] == "main" and s["dir"] == "in"][0]
bad = ["%s: %s is false" % tuple(reversed(a.split("|", 1)))
       for a in sys.argv[2:] if not eval(a.split("|", 1)[0])]
if bad:
    sys.exit("; ".join(bad))
PYEOF
}

# kame TAG ARGS...: scapy_sa.py exchange as the peer; its JSON in $RES.
kame() {
	local tag=$1 out=$VT_TMP/$1.exchange
	shift
	ip netns exec "$(vt_ns s)" timeout 60 "$VT_PY" "$SCAPY" exchange \
	    --send-key "$VT_TMP/kame.in" --send-cipher 3des-cbc \
	    --send-auth hmac-sha1-96 --send-spi "$SPI_IN" \
	    --recv-key "$VT_TMP/kame.out" --recv-cipher blowfish-cbc \
	    --recv-keybits 128 --recv-auth hmac-sha256-128 --recv-spi "$SPI_OUT" \
	    --local "$S_OUT" --peer "$C_OUT" --inner-src "$S_HOST" \
	    --inner-dst "$C_TUN" --zero-pad "$@" >"$out" 2>"$out.err" || true
	RES=$(tail -n 1 "$out")
	[ -n "$RES" ] || fail "$tag: scapy printed nothing: $(tail -n 5 "$out.err")"
}

# res_ok TAG "PYEXPR|what"...: over r, the last exchange's JSON.
res_ok() {
	local tag=$1
	shift
	"$VT_PY" - "$RES" "$@" <<'PYEOF' || fail "$tag: scapy: $RES"
import json, sys
r = json.loads(sys.argv[1])
bad = list(r["errors"])
bad += ["%s: %s is false" % tuple(reversed(a.split("|", 1)))
        for a in sys.argv[2:] if not eval(a.split("|", 1)[0])]
if bad:
    sys.exit("; ".join(bad))
PYEOF
}

# 1. padding strict refuses what a -f zero-pad sender sends.
write_conf strict
vt_start c
check_status strict \
    "p['spi_in'] == '$SPI_IN' and p['spi_out'] == '$SPI_OUT'|SPIs as written" \
    "p['suite_in'] == '3des-cbc-192/hmac-sha1-96'|in suite" \
    "p['suite'] == 'blowfish-cbc-128/hmac-sha256-128'|out suite" \
    "p['replay_window'] == 0 and i['window'] == 0|window off" \
    "p['padding'] == 'strict'|padding"
kame strict --count 1 --no-wait
res_ok strict "r['sent'] == 1 and r['padlens'] == [6]|one request, 6 zero bytes of padding"
wait_until 5 vt_cmp 'p "p[\"drops\"][\"malformed\"]"' = 1 ||
	fail "strict: expected drops.malformed 1, got $(p 'p["drops"]')"
check_status strict \
    "p['packets_in'] == 0 and p['seq_out'] == 0|nothing delivered, nothing answered" \
    "sum(p['drops'].values()) == 1|no other drop"
vt_stop c
vt_log_msg "padding strict: a zero-padded request is malformed and not answered"

# 2. padding zero: answered; a captured request answered again.
write_conf zero
vt_start c
kame zero --count "$COUNT" --save "$VT_TMP/req2.json" --save-index 1
res_ok zero \
    "r['sent_seqs'] == list(range(1, $COUNT + 1))|scapy's numbers from 1" \
    "r['replies'] == $COUNT|$COUNT replies decrypted by scapy's out SA" \
    "r['reply_seqs'] == list(range(1, $COUNT + 1))|the daemon's numbers from 1" \
    "len(r['padlens']) == $COUNT and min(r['padlens']) > 0|zero padding in every request"
kame replay --resend "$VT_TMP/req2.json"
res_ok replay \
    "r['sent_seqs'] == [2]|the captured request, number 2" \
    "r['replies'] == 1 and r['reply_seqs'] == [$COUNT + 1]|answered again"
wait_until 5 vt_cmp 'p "p[\"packets_in\"]"' = $((COUNT + 1)) ||
	fail "zero: expected packets_in $((COUNT + 1)), got $(p 'p["packets_in"]')"
check_status zero \
    "sum(p['drops'].values()) == 0|no drop (replay, malformed or other)" \
    "p['seq_out'] == $COUNT + 1|replies sent" \
    "p['padding'] == 'zero' and i['window'] == 0|padding zero, window off" \
    "i['top'] == $COUNT|highest number taken"
vt_stop c
grep -q "replay-window 0: a captured packet from this peer can be delivered again" \
    "$(vt_log c)" || fail "no replay-window 0 warning in the log"
vt_log_msg "padding zero: $COUNT zero-padded requests and one replayed one answered, no drop"

# 3. A clean restart, no -R: no inbound mark is needed, the peer starts
# again at 1, and our numbers continue above the last sent.
VT_NO_FRESH=1 vt_start c
kame restart --count "$COUNT"
res_ok restart \
    "r['sent_seqs'] == list(range(1, $COUNT + 1))|scapy's numbers from 1 again" \
    "r['replies'] == $COUNT|$COUNT replies after the restart" \
    "r['reply_seqs'] == list(range($COUNT + 2, 2 * $COUNT + 2))|the daemon's numbers go on"
check_status restart \
    "p['packets_in'] == $COUNT and sum(p['drops'].values()) == 0|all in, no drop"
assert_eq "$(vt_lines "$(vt_log c)" "starts afresh")" 1 \
    "starts afresh (-R) in the log: the first start only"
vt_stop c
echo "ok: sa in/out (3des-cbc/hmac-sha1-96 in, blowfish-cbc-128/hmac-sha256-128 out, SPIs $SPI_IN/$SPI_OUT), replay-window 0, padding strict/zero with scapy; restart without -R" >&2

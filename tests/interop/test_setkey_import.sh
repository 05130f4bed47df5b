#!/bin/bash
# vpntunctl import-setkey against the KAME end it imports from: the
# paper's setkey snippets, with their variables filled in, imported into
# a site.conf that `vpntund -n` accepts, and a vpntund running it that
# exchanges ICMP echo both ways with scapy keyed from the SAME script by
# a parser of its own (setkey_scapy.py: the add lines, nothing of ours).
#
#   namespace c: vpntund, the imported site: outer 198.18.0.1 (wan0),
#                tun 10.1.0.1, network 10.1.0.0/24
#   namespace s: setkey_scapy.py as the KAME router, outer 198.18.0.2 and
#                198.18.0.10.. for the matrix (wan0), raw ESP (KAME's)
#
# 1. The tunnel form: two add lines with blowfish-cbc keys (no -A, as the
#    paper ran them) and spdadd $mynet $hisnet ... -P out ipsec
#    esp/tunnel/$myend-$hisend/require with its -P in, in `setkey -c
#    <<END` here-documents.
# 2. The funnels: the paper's `for i in $funnel` loop unrolled for two
#    networks, with hmac-sha1; echo requests come from a host of the
#    first funnel network and the daemon's side pings one of the second.
# 3. The gif form: ifconfig gif0 ... tunnel, route add NET -interface
#    gif0 and transport-mode policies between the endpoints. scapy does
#    what KAME's gif + transport ESP does: IP(A -> B, protocol 4) /
#    IP(inner) / ICMP with the SA applied in transport mode, the replies
#    decrypted in transport mode into IP(4) / IP(inner): the wire format
#    is a tunnel's, which the daemon takes and answers.
# 4. --sha2-96: hmac-sha2-256/384/512 as older KAME truncated them, to
#    96 bits, on both sides.
# 5. A matrix of ciphers, key sizes and authenticators as FreeBSD's IPsec
#    regression scripts have them, one peer each in one script: imported,
#    checked with vpntund -n -v (SPIs, suites), then one daemon start and
#    echo both ways with every peer scapy can key (all but aes-xcbc-mac).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
vt_init setkey_import
# shellcheck disable=SC2034 # lib.sh reads it: whose logs to show on failure
VT_SITES=(c)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KAME=$HERE/setkey_scapy.py
CTL=$VPNTUND_BUILD/vpntunctl
"$VT_PY" -c 'from scapy.layers.ipsec import CRYPT_ALGOS
assert "Blowfish" in CRYPT_ALGOS and "CAST" in CRYPT_ALGOS' 2>/dev/null ||
	vt_skip "no scapy with Blowfish and CAST (python3-cryptography) for $VT_PY"

MYEND=198.18.0.1 HISEND=198.18.0.2
MYNET=10.1.0.0/24 HISNET=10.1.1.0/24
MYTUN=10.1.0.1 HISHOST=10.1.1.2

vt_nsadd "$(vt_ns c)"
vt_nsadd "$(vt_ns s)"
vt_link "$(vt_ns c)" wan0 "$(vt_ns s)" wan0
vt_addr "$(vt_ns c)" wan0 "$MYEND/24"
vt_addr "$(vt_ns s)" wan0 "$HISEND/24"
ip netns exec "$(vt_ns s)" ping -c 1 -W 2 "$MYEND" >/dev/null ||
	fail "outer network: s cannot reach $MYEND"

# hex N: N random bytes as hex (every SA needs its own key).
hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# import TAG SCRIPT [OPTIONS...]: imports into $VT_TMP/TAG and makes the
# site.conf fit this test (tun, state file, control socket, log).
import() {
	local tag=$1 script=$2 dir=$VT_TMP/$1
	shift 2
	"$CTL" import-setkey "$@" -o "$dir" "$script" 2>"$dir.import" ||
		fail "$tag: import-setkey: $(cat "$dir.import")"
	grep -q "first start: \`vpntund -R -c $dir/site.conf\`, the state file is new" \
	    "$dir.import" || fail "$tag: no word of -R: $(cat "$dir.import")"
	[ "$(stat -c %a "$dir/keys")" = 700 ] || fail "$tag: keys/ not mode 700"
	local k
	for k in "$dir"/keys/*; do
		[ "$(stat -c %a "$k")" = 600 ] || fail "$tag: $k not mode 600"
	done
	sed -i -e "s|^\ttun vpn0\$|\ttun $VT_TUN\n\tcontrol \"$(vt_sock c)\"\n\tlog stderr\n\tlog-level ${VT_LOG_LEVEL:-debug}|" \
	    -e "s|^\tstate-file .*|\tstate-file \"$dir/state\"|" "$dir/site.conf"
	"$VPNTUND_BUILD/vpntund" -n -c "$dir/site.conf" >"$dir.check" 2>&1 ||
		fail "$tag: vpntund -n refuses the import: $(cat "$dir.check")"
	"$VPNTUND_BUILD/vpntund" -n -v -c "$dir/site.conf" >"$dir.show" 2>&1 ||
		fail "$tag: vpntund -n -v: $(cat "$dir.show")"
}

# shows TAG LINE...: vpntund -n -v of the import shows every line (a
# regular expression, whole line, blanks as written).
shows() {
	local tag=$1 l
	shift
	for l in "$@"; do
		grep -Eq "^[[:space:]]*$l([[:space:]]*#.*)?\$" "$VT_TMP/$tag.show" ||
			fail "$tag: vpntund -n -v lacks '$l':
$(cat "$VT_TMP/$tag.show")"
	done
}

# exchange TAG MODE COUNT PEER_SPEC... -- PING_DST...: scapy sends COUNT
# requests per peer and answers one ping per PING_DST from namespace c.
# KAME_ARGS: more options for setkey_scapy.py.
exchange() {
	local tag=$1 mode=$2 count=$3 out=$VT_TMP/$1.kame specs=() dsts=() d
	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do specs+=(--peer "$1"); shift; done
	shift
	dsts=("$@")
	rm -f "$out.ready"
	# shellcheck disable=SC2086 # KAME_ARGS: options, split on blanks
	ip netns exec "$(vt_ns s)" timeout 80 "$VT_PY" "$KAME" run \
	    --script "$VT_TMP/$tag.sh" --daemon "$MYEND" --inner-dst "$MYTUN" \
	    --mode "$mode" --count "$count" --serve 1 --ready "$out.ready" \
	    ${KAME_ARGS:-} "${specs[@]}" >"$out" 2>"$out.err" &
	local kpid=$!
	wait_until 60 test -e "$out.ready" ||
		fail "$tag: scapy never got to the daemon's requests: $(tail -n 5 "$out.err")"
	for d in "${dsts[@]}"; do
		ip netns exec "$(vt_ns c)" ping -c 1 -W 5 -p 6b616d65 "$d" >/dev/null ||
			fail "$tag: ping $d from the daemon's side: no reply; scapy: $(cat "$out")"
	done
	wait "$kpid" || true
	local res
	res=$(tail -n 1 "$out")
	[ -n "$res" ] || fail "$tag: scapy printed nothing: $(tail -n 5 "$out.err")"
	"$VT_PY" - "$res" "$count" <<'PYEOF' || fail "$tag: scapy: $res"
import json, sys
d, count = json.loads(sys.argv[1]), int(sys.argv[2])
bad = list(d["errors"])
for p in d["peers"]:
    if p["replies"] != count:
        bad.append("%s: %d replies, expected %d" % (p["endpoint"], p["replies"], count))
    if p["answered"] != 1:
        bad.append("%s: answered %d requests, expected 1" % (p["endpoint"], p["answered"]))
if bad:
    sys.exit("; ".join(bad))
PYEOF
}

# counters TAG PEER IN OUT: the daemon's count of the peer's packets and
# that it dropped none.
counters() {
	local json
	json=$(vt_status c) || fail "$1: status"
	"$VT_PY" - "$json" "$2" "$3" "$4" <<'PYEOF' || fail "$1: status: $json"
import json, sys
d = json.loads(sys.argv[1])
p = [x for x in d["peers"] if x["name"] == sys.argv[2]][0]
bad = []
if p["packets_in"] != int(sys.argv[3]):
    bad.append("packets_in %d, expected %s" % (p["packets_in"], sys.argv[3]))
if p["packets_out"] < int(sys.argv[4]):
    bad.append("packets_out %d, expected >= %s" % (p["packets_out"], sys.argv[4]))
if sum(p["drops"].values()) != 0:
    bad.append("drops %s" % p["drops"])
if p["transport"] != "esp" or p["keying"] != "manual":
    bad.append("transport %s keying %s" % (p["transport"], p["keying"]))
if bad:
    sys.exit("; ".join(bad))
PYEOF
}

PEER=kame-198-18-0-2
K_OUT=$(hex 32) K_IN=$(hex 32)

# --- 1. the tunnel form, as the paper's section 3.3 writes it ------------
cat >"$VT_TMP/tunnel.sh" <<EOF
#!/bin/sh
# myend=$MYEND hisend=$HISEND mynet=$MYNET hisnet=$HISNET
setkey -c <<END
  add $MYEND $HISEND esp 0x1001
    -E blowfish-cbc 0x$K_OUT;

  add $HISEND $MYEND esp 0x1002
    -E blowfish-cbc 0x$K_IN;
END

setkey -c <<END
  spdadd $MYNET $HISNET any -P out ipsec
    esp/tunnel/$MYEND-$HISEND/require;

  spdadd $HISNET $MYNET any -P in ipsec
    esp/tunnel/$HISEND-$MYEND/require;
END
EOF
import tunnel "$VT_TMP/tunnel.sh"
shows tunnel "site \"tunnel\" \\{" "role remote" "network $MYNET" \
    "outer $MYEND" "peer \"$PEER\" \\{" "endpoint $HISEND" "transport esp" \
    "keying manual" "network $HISNET" "replay-window 0" \
    "sa in spi 0x00001002 cipher blowfish-cbc keysize 256 auth none key \"[^\"]*/keys/$PEER.in\"" \
    "sa out spi 0x00001001 cipher blowfish-cbc keysize 256 auth none key \"[^\"]*/keys/$PEER.out\"" \
    "tunnel $MYNET <-> $HISNET"
grep -q "check: peer $PEER: replay-window 0 (setkey's default)" "$VT_TMP/tunnel.import" ||
	fail "tunnel: no word of replay-window 0: $(cat "$VT_TMP/tunnel.import")"
# The key files hold setkey's bytes, one block each.
[ "$(grep -v '^#' "$VT_TMP/tunnel/keys/$PEER.out" | tr -d '\n')" = "$K_OUT" ] ||
	fail "tunnel: keys/$PEER.out does not hold the key of add $MYEND $HISEND"
vt_start c "$VT_TMP/tunnel/site.conf"
exchange tunnel tunnel 3 "$HISEND,$HISHOST" -- "$HISHOST"
counters tunnel "$PEER" 4 4
vt_stop c
echo "ok tunnel form: blowfish-cbc-256/none, 3 echo requests scapy -> vpntund answered, 1 ping vpntund side -> scapy answered" >&2

# --- 2. the funnels of the paper's loop, unrolled -------------------------
F1=172.16.0.0/16 F2=172.17.0.0/16
K_OUT=$(hex 24) K_IN=$(hex 24) A_OUT=$(hex 20) A_IN=$(hex 20)
cat >"$VT_TMP/funnel.sh" <<EOF
#!/bin/sh
setkey -c <<END
  flush;
  add $MYEND $HISEND esp 4097 -E 3des-cbc 0x$K_OUT -A hmac-sha1 0x$A_OUT;
  add $HISEND $MYEND esp 4098 -r 16 -E 3des-cbc 0x$K_IN
      -A hmac-sha1 0x$A_IN;
  spdadd $MYNET $HISNET any -P out ipsec esp/tunnel/$MYEND-$HISEND/require;
  spdadd $HISNET $MYNET any -P in ipsec esp/tunnel/$HISEND-$MYEND/require;
END
funnel="$F1 $F2"
# for i in \$funnel; do, unrolled:
setkey -c <<END
  spdadd $MYNET $F1 any -P out ipsec esp/tunnel/$MYEND-$HISEND/require;
  spdadd $F1 $MYNET any -P in ipsec esp/tunnel/$HISEND-$MYEND/require;
END
setkey -c <<END
  spdadd $MYNET $F2 any -P out ipsec esp/tunnel/$MYEND-$HISEND/require;
  spdadd $F2 $MYNET any -P in ipsec esp/tunnel/$HISEND-$MYEND/require;
END
EOF
import funnel "$VT_TMP/funnel.sh"
shows funnel "tunnel $MYNET <-> $HISNET" "funnel $MYNET <-> $F1" \
    "funnel $MYNET <-> $F2" "replay-window 128" \
    "sa in spi 0x00001002 cipher 3des-cbc keysize 192 auth hmac-sha1-96 key .*" \
    "sa out spi 0x00001001 cipher 3des-cbc keysize 192 auth hmac-sha1-96 key .*"
if ! grep -q '^#   line 3: flush: not carried over' "$VT_TMP/funnel/site.conf" ||
    ! grep -q "^#   line 10: shell: not carried over: funnel=\"$F1 $F2\"" "$VT_TMP/funnel/site.conf"; then
	fail "funnel: the comments on what is not carried over: $(head -n 12 "$VT_TMP/funnel/site.conf")"
fi
vt_start c "$VT_TMP/funnel/site.conf"
# Requests from a host of the first funnel, a ping to one of the second.
exchange funnel tunnel 2 "$HISEND,172.16.0.5,172.17.0.5" -- 172.17.0.5
counters funnel "$PEER" 3 3
vt_stop c
echo "ok funnels: 3des-cbc/hmac-sha1-96, requests from $F1 answered, a ping to $F2 answered, replay-window 128 from -r 16" >&2

# --- 3. the gif form -----------------------------------------------------
K_OUT=$(hex 16) K_IN=$(hex 16) A_OUT=$(hex 32) A_IN=$(hex 32)
G2=172.20.0.0/16
cat >"$VT_TMP/gif.sh" <<EOF
#!/bin/sh
ifconfig gif0 create
ifconfig gif0 $MYTUN 10.1.1.1 netmask 255.255.255.0 \\
    tunnel $MYEND $HISEND link1
route add -net $HISNET -interface gif0
route add -net 172.20.0.0 -netmask 255.255.0.0 -interface gif0
setkey -c <<END
  add $MYEND $HISEND esp 0x3001 -m transport -E rijndael-cbc 0x$K_OUT
      -A hmac-sha2-256 0x$A_OUT;
  add $HISEND $MYEND esp 0x3002 -m transport -E rijndael-cbc 0x$K_IN
      -A hmac-sha2-256 0x$A_IN;
  spdadd $MYEND $HISEND any -P out ipsec esp/transport//require;
  spdadd $HISEND $MYEND any -P in ipsec esp/transport//require;
END
EOF
# Without --network the gif form names no network of this site.
if "$CTL" import-setkey -o "$VT_TMP/gif-no" "$VT_TMP/gif.sh" 2>"$VT_TMP/gif-no.err"; then
	fail "gif: imported without --network"
fi
assert_eq "$(cat "$VT_TMP/gif-no.err")" \
    "vpntunctl: import-setkey: $VT_TMP/gif.sh:3: gif0 is the gif form of a tunnel to $HISEND, but nothing names this site's network: give --network PREFIX" \
    "gif without --network"
[ ! -e "$VT_TMP/gif-no" ] || fail "gif: a refused import wrote $VT_TMP/gif-no"
import gif "$VT_TMP/gif.sh" --network "$MYNET"
shows gif "tunnel $MYNET <-> $HISNET" "tunnel $MYNET <-> $G2" "network $HISNET" \
    "sa in spi 0x00003002 cipher aes-cbc keysize 128 auth hmac-sha256-128 key .*"
vt_start c "$VT_TMP/gif/site.conf"
exchange gif gif 3 "$HISEND,$HISHOST,172.20.0.7" -- 172.20.0.7
counters gif "$PEER" 4 4
vt_stop c
echo "ok gif form: IP-in-IP in transport ESP from scapy taken as a tunnel, replies decrypted in transport mode into IP(4)/IP; routes as tunnels" >&2

# --- 4. --sha2-96: hmac-sha2-* of older KAME ------------------------------
{
	echo "setkey -c <<END"
	for i in 0 1 2; do
		bits=$((256 + 128 * i)) ep=198.18.0.$((50 + i))
		echo "add $MYEND $ep esp $((0x5000 + 2 * i)) -E aes-cbc 0x$(hex 16) -A hmac-sha2-$bits 0x$(hex $((bits / 8)));"
		echo "add $ep $MYEND esp $((0x5001 + 2 * i)) -E aes-cbc 0x$(hex 16) -A hmac-sha2-$bits 0x$(hex $((bits / 8)));"
		echo "spdadd $MYNET 10.8.$i.0/24 any -P out ipsec esp/tunnel/$MYEND-$ep/require;"
		echo "spdadd 10.8.$i.0/24 $MYNET any -P in ipsec esp/tunnel/$ep-$MYEND/require;"
		ip -n "$(vt_ns s)" addr add "$ep/24" dev wan0
	done
	echo "END"
} >"$VT_TMP/sha96.sh"
import sha96 "$VT_TMP/sha96.sh" --sha2-96
shows sha96 \
    "sa in spi 0x00005001 cipher aes-cbc keysize 128 auth hmac-sha256-96 key .*" \
    "sa in spi 0x00005003 cipher aes-cbc keysize 128 auth hmac-sha384-96 key .*" \
    "sa in spi 0x00005005 cipher aes-cbc keysize 128 auth hmac-sha512-96 key .*"
grep -q "^	# --sha2-96: hmac-sha2-\* as the 96-bit truncation of older KAME" \
    "$VT_TMP/sha96/site.conf" || fail "sha96: no comment on --sha2-96"
vt_start c "$VT_TMP/sha96/site.conf"
KAME_ARGS=--sha2-96 exchange sha96 tunnel 1 198.18.0.50,10.8.0.2 \
    198.18.0.51,10.8.1.2 198.18.0.52,10.8.2.2 -- 10.8.0.2 10.8.1.2 10.8.2.2
vt_stop c
echo "ok --sha2-96: hmac-sha2-256/384/512 truncated to 96 bits both ways" >&2

# --- 5. the matrix --------------------------------------------------------
# CIPHER KEYBYTES AUTH [notraffic]: FreeBSD's regression suites' names.
MATRIX=(
	"blowfish-cbc 5 hmac-sha1" "blowfish-cbc 16 hmac-sha1"
	"blowfish-cbc 56 hmac-sha1" "3des-cbc 24 hmac-sha1"
	"aes-cbc 16 hmac-sha1" "rijndael-cbc 24 hmac-sha1"
	"aes-cbc 32 hmac-sha1" "cast128-cbc 5 hmac-sha1"
	"cast128-cbc 16 hmac-sha1" "aes-ctr 20 hmac-sha1"
	"aes-ctr 28 hmac-sha1" "aes-ctr 36 hmac-sha1" "des-cbc 8 hmac-sha1"
	"null 0 hmac-sha1" "aes-cbc 16 hmac-md5" "aes-cbc 16 hmac-sha2-256"
	"aes-cbc 16 hmac-sha2-384" "aes-cbc 16 hmac-sha2-512"
	"aes-gcm-16 20 null" "aes-gcm-16 36 null"
	"aes-cbc 16 aes-xcbc-mac notraffic"
)
declare -A ALEN=([hmac-sha1]=20 [hmac-md5]=16 [hmac-sha2-256]=32
    [hmac-sha2-384]=48 [hmac-sha2-512]=64 [aes-xcbc-mac]=16 [null]=0)
declare -A VNAME=([blowfish-cbc]=blowfish-cbc [3des-cbc]=3des-cbc
    [aes-cbc]=aes-cbc [rijndael-cbc]=aes-cbc [cast128-cbc]=cast128-cbc
    [aes-ctr]=aes-ctr [des-cbc]=des-cbc [null]=null [aes-gcm-16]=aes-gcm)
declare -A ANAME=([null]=none
    [hmac-sha1]=hmac-sha1-96 [hmac-md5]=hmac-md5-96
    [hmac-sha2-256]=hmac-sha256-128 [hmac-sha2-384]=hmac-sha384-192
    [hmac-sha2-512]=hmac-sha512-256 [aes-xcbc-mac]=aes-xcbc-mac-96)
key() { [ "$1" = 0 ] && return; echo "0x$(hex "$1")"; }
auth() { [ "$1" = null ] && echo "-A null" || echo "-A $1 0x$(hex "${ALEN[$1]}")"; }
{
	echo "setkey -c <<END"
	i=0
	for m in "${MATRIX[@]}"; do
		read -r alg len aalg _ <<<"$m"
		ep=198.18.0.$((10 + i)) net=10.9.$i.0/24
		echo "add $MYEND $ep esp $((0x4000 + 2 * i)) -E $alg $(key "$len") $(auth "$aalg");"
		echo "add $ep $MYEND esp $((0x4001 + 2 * i)) -E $alg $(key "$len") $(auth "$aalg");"
		echo "spdadd $MYNET $net any -P out ipsec esp/tunnel/$MYEND-$ep/require;"
		echo "spdadd $net $MYNET any -P in ipsec esp/tunnel/$ep-$MYEND/require;"
		i=$((i + 1))
	done
	echo "END"
} >"$VT_TMP/matrix.sh"
import matrix "$VT_TMP/matrix.sh"
shows matrix "role central"
specs=() dsts=() i=0 traffic=() notraffic=()
for m in "${MATRIX[@]}"; do
	read -r alg len aalg nt <<<"$m"
	ep=198.18.0.$((10 + i)) name=kame-198-18-0-$((10 + i))
	c=${VNAME[$alg]} bits=$((len * 8))
	case $alg in aes-ctr|aes-gcm-16) bits=$(((len - 4) * 8)) ;; esac
	printf -v spi_in '0x%08x' $((0x4001 + 2 * i))
	shows matrix "peer \"$name\" \\{" \
	    "sa in spi $spi_in cipher $c keysize $bits auth ${ANAME[$aalg]} key .*"
	if [ -z "$nt" ]; then
		ip -n "$(vt_ns s)" addr add "$ep/24" dev wan0
		specs+=("$ep,10.9.$i.2")
		dsts+=("10.9.$i.2")
		traffic+=("$alg-$bits/$aalg")
	else
		notraffic+=("$alg-$bits/$aalg")
	fi
	i=$((i + 1))
done
grep -q "allow-weak-cipher yes" "$VT_TMP/matrix/site.conf" ||
	fail "matrix: des-cbc without allow-weak-cipher"
vt_start c "$VT_TMP/matrix/site.conf"
exchange matrix tunnel 1 "${specs[@]}" -- "${dsts[@]}"
vt_stop c
echo "ok matrix: ${#MATRIX[@]} suites imported and loaded (vpntund -n -v: SPIs and suites); echo both ways with ${traffic[*]}; imported and loaded only: ${notraffic[*]} (scapy lacks it)" >&2

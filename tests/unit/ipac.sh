#!/usr/bin/env bash
# ipac(1): exact output and exit status for IPv4 and IPv6, the edges (/0,
# /31, /32, /127, /128, the ends of both address spaces), conversions,
# stepping by networks, containment, and the errors, which must never
# wrap around. Usage: ipac.sh PATH-TO-IPAC
set -u
IPAC=${1:?usage: ipac.sh PATH-TO-IPAC}
nfail=0
errf=$(mktemp)
trap 'rm -f "$errf"' EXIT

# ok WANT ARGS...: exit 0 and stdout exactly WANT, nothing on stderr
ok() {
	local want=$1 out err rc=0
	shift
	out=$("$IPAC" "$@" 2>"$errf") || rc=$?
	err=$(cat "$errf")
	if [ "$rc" -ne 0 ] || [ "$out" != "$want" ] || [ -n "$err" ]; then
		printf 'FAIL: ipac %s\n  exit %s, stderr: %s\n  got:\n%s\n  want:\n%s\n' \
		    "$*" "$rc" "$err" "$out" "$want" >&2
		nfail=$((nfail + 1))
	fi
}

# st STATUS WANT-STDOUT WANT-STDERR ARGS...
st() {
	local status=$1 want=$2 wanterr=$3 out err rc=0
	shift 3
	out=$("$IPAC" "$@" 2>"$errf") || rc=$?
	err=$(cat "$errf")
	if [ "$rc" -ne "$status" ] || [ "$out" != "$want" ] || [ "$err" != "$wanterr" ]; then
		printf 'FAIL: ipac %s\n  got exit %s, stdout "%s", stderr "%s"\n  want exit %s, stdout "%s", stderr "%s"\n' \
		    "$*" "$rc" "$out" "$err" "$status" "$want" "$wanterr" >&2
		nfail=$((nfail + 1))
	fi
}

# bad ARGS...: exit 2, nothing on stdout, "ipac: MSG" on stderr
bad() {
	local msg=$1
	shift
	st 2 "" "ipac: $msg" "$@"
}

# --- IPv4 -------------------------------------------------------------------
ok "family=inet
address=10.1.0.77
length=24
prefix=10.1.0.77/24
netmask=255.255.255.0
hostmask=0.0.0.255
network=10.1.0.0/24
broadcast=10.1.0.255
first=10.1.0.1
last=10.1.0.254
addresses=256
hosts=254
hex=0x0a01004d
decimal=167837773" 10.1.0.77/24

# the config's arithmetic, as one argument or as words
ok "10.1.1.0/24" -f prefix 10.1.0.0/24 + 256
ok "10.1.1.0/24" -f prefix '10.1.0.0/24 + 256'
ok "10.1.2.7/24" -f prefix 'host(10.1.0.0/24 + 512, 7)'
ok "10.1.0.0/24" -f prefix 'net(10.1.0.77/24)'
ok "10.0.255.255/24" -f prefix 10.1.0.0/24 - 1
ok "10.1.1.0/16" -f prefix '(10.1.0.0/24 + 256) / 16'
ok "255.255.240.0" -f address 'mask(10.1.0.0/20)'
# netmask <-> length
ok "20" -f length 10.1.0.0/255.255.240.0
ok "255.255.240.0" -f netmask 10.1.0.0/20
ok "0.0.15.255" -f hostmask 10.1.0.0/20
# representations: dotted, hex, decimal, in and out
ok "0x0a010001
167837697" -f hex,decimal 10.1.0.1
ok "10.1.0.1" -f address 0x0a010001
ok "10.1.0.1" -f address 167837697
ok "10.1.0.0/24" -f network 167837697/24
ok "10.1.0.5/24" -f prefix 'host(0x0a010000/24, 5)'
ok "0.0.0.10" -f address 10
ok "::a" -f address -6 10
ok "0xffffffff
255.255.255.255
4294967295" -f hex,address -f decimal 4294967295   # in the order asked
ok "0.0.0.0" -f address 0
ok "255.255.255.255" -f address 4294967295
ok "::1:0:0" -f address 4294967296             # above 32 bits: IPv6
# edges: /0, /31, /32, the ends of the space
ok "family=inet
address=0.0.0.0
length=0
prefix=0.0.0.0/0
netmask=0.0.0.0
hostmask=255.255.255.255
network=0.0.0.0/0
broadcast=255.255.255.255
first=0.0.0.1
last=255.255.255.254
addresses=4294967296
hosts=4294967294
hex=0x00000000
decimal=0" 0.0.0.0/0
ok "10.1.0.0/31
10.1.0.1
10.1.0.0
10.1.0.1
2
2" -f network,broadcast,first,last,addresses,hosts 10.1.0.1/31
ok "10.1.0.1/32
10.1.0.1
10.1.0.1
10.1.0.1
1
1" -f network,broadcast,first,last,addresses,hosts 10.1.0.1
ok "10.1.0.1
10.1.0.2
4
2" -f first,last,addresses,hosts 10.1.0.0/30
ok "255.255.255.255/32" -f prefix 255.255.255.254 + 1
ok "0.0.0.0/32" -f prefix 0.0.0.1 - 1
# overflow is an error, never a wrap-around
bad "255.255.255.255 + 1 leaves the IPv4 address space" 255.255.255.255 + 1
bad "255.255.255.0/24 + 256 leaves the IPv4 address space" 255.255.255.0/24 + 256
bad "0.0.0.0 - 1 leaves the IPv4 address space" 0.0.0.0 - 1
bad "10.1.0.0/24 + 4294967296 leaves the IPv4 address space" 10.1.0.0/24 + 4294967296
bad "0x100000000 does not fit in an IPv4 address" -4 0x100000000
bad "host(10.1.0.0/24, 256): 256 does not fit in a /24" 'host(10.1.0.0/24, 256)'
bad "host(10.1.0.1/32, 1): 1 does not fit in a /32" 'host(10.1.0.1/32, 1)'

# --- stepping by networks (-n) ----------------------------------------------
ok "10.1.3.77/24" -f prefix -n 3 10.1.0.77/24
ok "10.0.255.0/24" -f prefix -n -1 10.1.0.0/24
ok "10.1.0.0/24" -f prefix -n 0 10.1.0.0/24
ok "255.255.255.0/24" -f prefix -n 255 255.255.0.0/24
ok "10.1.0.1/32" -f prefix -n 1 10.1.0.0/32
ok "fd00:0:0:2::/64" -f prefix -n 2 fd00::/64
ok "fd00::/64" -f prefix -n -65536 fd00:0:1::/64
bad "255.255.255.0/24 moved by 1 networks of /24 leaves the IPv4 address space" -n 1 255.255.255.0/24
bad "0.0.0.0/24 moved by -1 networks of /24 leaves the IPv4 address space" -n -1 0.0.0.0/24
bad "0.0.0.0/0 moved by 1 networks of /0 leaves the IPv4 address space" -n 1 0.0.0.0/0
bad "ffff:ffff:ffff:ffff::/64 moved by 1 networks of /64 leaves the IPv6 address space" -n 1 ffff:ffff:ffff:ffff::/64
bad "-n 1x: expected a whole number of networks" -n 1x 10.1.0.0/24

# --- IPv6 -------------------------------------------------------------------
ok "family=inet6
address=fd00::1
full=fd00:0000:0000:0000:0000:0000:0000:0001
length=64
prefix=fd00::1/64
netmask=ffff:ffff:ffff:ffff::
hostmask=::ffff:ffff:ffff:ffff
network=fd00::/64
first=fd00::1
last=fd00::ffff:ffff:ffff:ffff
addresses=18446744073709551616
hosts=18446744073709551615
hex=0xfd000000000000000000000000000001
decimal=336294682933583715844663186250927177729" fd00::1/64
ok "family=inet6
address=::
full=0000:0000:0000:0000:0000:0000:0000:0000
length=0
prefix=::/0
netmask=::
hostmask=ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff
network=::/0
first=::1
last=ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff
addresses=340282366920938463463374607431768211456
hosts=340282366920938463463374607431768211455
hex=0x00000000000000000000000000000000
decimal=0" ::/0
ok "fd00::
fd00::1
2
2" -f first,last,addresses,hosts fd00::1/127
ok "fd00::1
fd00::1
1
1" -f first,last,addresses,hosts fd00::1
ok "fd00:0:0:1::/64" -f prefix fd00::ffff:ffff:ffff:ffff/64 + 1
ok "fd00::1:0:0/64" -f prefix 'host(fd00::/64, 4294967296)'
ok "fd00::/56" -f prefix fd00::/ffff:ffff:ffff:ff00::
ok "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" -f address 0xffffffffffffffffffffffffffffffff
ok "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" -f address 340282366920938463463374607431768211455
ok "340282366920938463463374607431768211455" -f decimal ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff
bad "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff + 1 leaves the IPv6 address space" ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff + 1
bad ":: - 1 leaves the IPv6 address space" :: - 1
bad "340282366920938463463374607431768211456 does not fit in an IPv6 address" 340282366920938463463374607431768211456
bad "IPv6 has no broadcast" -f broadcast fd00::/64
bad "IPv4 has no full" -f full 10.1.0.0
bad "fd00::1 is not an IPv4 address" -4 fd00::1
bad "10.1.0.1 is not an IPv6 address" -6 10.1.0.1

# --- containment (-c): exit 0 yes, 1 no --------------------------------------
st 0 "contains=yes" "" -c 10.1.0.0/16 10.1.2.0/24
st 0 "contains=yes" "" -c 10.1.0.0/16 10.1.0.0/16
st 0 "contains=yes" "" -c 10.1.0.0/16 10.1.255.255
st 0 "contains=yes" "" -c 0.0.0.0/0 255.255.255.255
st 0 "contains=yes" "" -c 10.1.0.0/16 10.1.0.0/24 + 512
st 1 "contains=no" "" -c 10.1.0.0/16 10.0.0.0/8
st 1 "contains=no" "" -c 10.1.0.0/16 10.2.0.0/24
st 1 "contains=no" "" -c 10.1.0.0/16 fd00::/64
st 0 "contains=yes" "" -c fd00::/48 fd00:0:0:5::/64
st 1 "contains=no" "" -c fd00::/64 fd00::/48
st 0 "" "" -q -c 10.1.0.0/16 10.1.2.3
st 1 "" "" -q -c 10.1.0.0/16 10.2.2.3
bad "expected an address or prefix after \"ipac\", got \"x\"" -c x 10.1.0.0

# --- usage and parse errors: exit 2, the message, nothing on stdout -----------
bad "expected an address or prefix after \"ipac\", got \"x\"" x
bad "expected a number after '+', got nothing" 10.1.0.0 +
bad "expected the end of the expression, got \"garbage\"" 10.1.0.0/24 garbage
bad "expected a prefix length 0..32 or a netmask after '/', got \"33\"" 10.1.0.0/33
bad "expected a prefix length 0..128 or a netmask after '/', got \"129\"" fd00::/129
bad "netmask \"255.0.255.0\" after \"ipac\" is not a contiguous IPv4 netmask" 10.1.0.0/255.0.255.0
bad "10.1.0.0/24 # x: unexpected character '#'" '10.1.0.0/24 # x'
bad "undefined macro \$x" '$x'
bad "unknown field \"bogus\"" -f bogus 10.1.0.0
usage="usage: ipac [-46q] [-f field[,field]...] [-n count] expression...
       ipac [-46q] -c outer expression..."
st 2 "" "$usage"
st 2 "" "$usage" -c 10.1.0.0/16
st 2 "" "ipac: unknown option -z
$usage" -z 10.1.0.0
st 2 "" "ipac: option -f needs an argument
$usage" -f
st 2 "" "$usage" -c 10.0.0.0/8 -f prefix 10.1.0.0
# -q: the exit status alone
st 0 "" "" -q 10.1.0.0/24
bad "255.255.255.255 + 1 leaves the IPv4 address space" -q 255.255.255.255 + 1

if [ "$nfail" -ne 0 ]; then
	echo "$nfail ipac case(s) failed" >&2
	exit 1
fi
echo "ipac: all cases passed"

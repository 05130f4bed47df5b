#!/usr/bin/env bash
# `vpntund -n -v` prints the configuration as loaded: on the shipped
# examples (copied, with a key file of their suite written here), the
# macros after arithmetic, the derived addresses, the SPIs of the formula
# in site.conf(5) (computed here with Python's hashlib, independently of
# conf/spi.c) and the order of policies and rules; never a byte of the
# key. `vpntund -n` without -v still prints only the OK line.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init config_show
VTD=$VPNTUND_BUILD/vpntund
ex=$VT_TMP/ex
mkdir -p "$ex/keys"
cp "$VPNTUND_SRC/conf/examples/central.conf" "$VPNTUND_SRC/conf/examples/remote.conf" "$ex/"
vt_write_key "$ex/keys/physician1.key" blowfish-cbc:256/hmac-sha256-128
# The examples' user is the package's; the check looks it up, so a machine
# without it refuses the file, naming the line.
out=$("$VTD" -n -c "$ex/central.conf" 2>&1) && getent passwd vpntund >/dev/null ||
	grep -q "central.conf:[0-9]*: user vpntund: no such user" <<<"$out" ||
	fail "a missing user: $out"
sed -i 's/^\tuser vpntund$/\tuser nobody/' "$ex/central.conf" "$ex/remote.conf"

# spi FROM ROLE TO: "0x%08x (%u)" of the documented formula
spi() {
	"$VT_PY" - "$@" <<'EOF'
import hashlib, ipaddress, sys
frm, role, to = sys.argv[1:4]
def put(p):
    n = ipaddress.ip_network(p, strict=False)
    return n.network_address.packed + bytes([n.prefixlen])
f = ipaddress.ip_network(frm, strict=False)
msg = (b"vpntund-spi-v1" + (b"C" if role == "central" else b"R") +
       bytes([f.version]) + put(frm) + put(to))
v = int.from_bytes(hashlib.sha256(msg).digest()[:4], "big")
if v < 256:
    v |= 0x80000000
print("0x%08x (%u)" % (v, v))
EOF
}

# has OUT LINE: OUT holds LINE as a whole line
has() {
	grep -qxF -- "$2" <<<"$1" || fail "no line '$2' in: $1"
}

# 1. without -v: only the OK line, as before
out=$("$VTD" -n -c "$ex/remote.conf" 2>/dev/null)
assert_eq "$out" "configuration OK" "vpntund -n stdout"

# 2. the remote end
rc=0
out=$("$VTD" -n -v -c "$ex/remote.conf" 2>/dev/null) || rc=$?
assert_eq "$rc" 0 "vpntund -n -v remote.conf exit status"
assert_eq "$(head -n 1 <<<"$out")" "configuration OK" "first line"
has "$out" "home = 10.1.0.0/24"
has "$out" "mine = 10.1.1.0/24"                # $home + 256
has "$out" "private = 192.168.1.0/24"
has "$out" 'site "physician1" {'
has "$out" $'\trole remote'
has "$out" $'\tnetwork 10.1.1.0/24\t# primary'
has "$out" $'\taddress 10.1.1.1/24'            # host($mine, 1)
has "$out" $'\texclude 192.168.1.0/24'
has "$out" $'\ttun vpn0'
has "$out" $'\ttap ipx0\t# mtu derived from the tunnel'
has "$out" $'\touter 198.19.1.2'
has "$out" $'\tcontrol "/run/vpntund/remote.sock"'
has "$out" $'\tstate-file "/var/lib/vpntund/physician1.state"'
has "$out" 'peer "nursing-home" {'
has "$out" $'\tendpoint 198.18.0.1'
has "$out" $'\ttransport udp port 4500'
has "$out" $'\tcipher blowfish-cbc keysize 256'
has "$out" $'\tauth hmac-sha256-128'
has "$out" $'\tkeying derived'
has "$out" $'\tkey "'"$ex"$'/keys/physician1.key"\t# 64 bytes per direction'
r_out=$(spi 10.1.1.0/24 remote 10.1.0.0/24)
r_in=$(spi 10.1.0.0/24 central 10.1.1.0/24)
has "$out" "$(printf '\t%-24s %s' 'spi out' "$r_out")"
has "$out" "$(printf '\t%-24s %s' 'spi in' "$r_in")"
# policies: all three remote prefixes... the /24s as written, then the /16
pol=$(grep -E $'^#\t[0-9]+\\. ' <<<"$out")
assert_eq "$pol" $'#\t1. peer "nursing-home": tunnel 10.1.1.0/24 <-> 10.1.0.0/24
#\t2. peer "nursing-home": funnel 10.2.1.0/24 <-> 10.1.0.0/24
#\t3. peer "nursing-home": funnel 10.2.1.0/24 <-> 172.16.0.0/16' "remote.conf policy order"
has "$out" $'\tclass "audio" rate 104kbit priority 0 limit 30 packets'
has "$out" 'meter "video-in" trtcm cir 20kbit cbs 3000 pir 100kbit pbs 6000 green mark 34 yellow mark 36 red mark 38'
rules=$(grep -E '^(pass|block) ' <<<"$out" | sed 's/\t#.*//')
assert_eq "$rules" 'pass out proto udp dscp 46 queue "audio"
pass out inet proto tcp to 10.1.0.0/24 port 5000 queue "camera"
pass out inet proto tcp from 10.2.1.0/24 to 172.16.0.0/16 port 80 queue "web"
pass out inet proto tcp from 10.2.1.0/24 to 172.16.0.0/16 port 443 queue "web"
pass out inet proto udp to 10.1.0.0/24 port 5004 meter "video-in"' "remote.conf rules"
remote_out=$out

# 3. the central end: the same SPIs the other way round
out=$("$VTD" -n -v -c "$ex/central.conf" 2>/dev/null)
has "$out" "physician1 = 10.1.1.0/24"          # $home + 256
has "$out" $'\taddress 10.1.0.1/24'
has "$out" $'\tendpoint dynamic'
has "$out" "$(printf '\t%-24s %s' 'spi out' "$r_in")"
has "$out" "$(printf '\t%-24s %s' 'spi in' "$r_out")"
pol=$(grep -E $'^#\t[0-9]+\\. ' <<<"$out")
assert_eq "$pol" $'#\t1. peer "physician1": tunnel 10.1.0.0/24 <-> 10.1.1.0/24
#\t2. peer "physician1": funnel 10.1.0.0/24 <-> 10.2.1.0/24
#\t3. peer "physician1": funnel 172.16.0.0/16 <-> 10.2.1.0/24' "central.conf policy order"

# 4. not a byte of the key, in any case, on either end
for hex in $(grep -v '^#' "$ex/keys/physician1.key"); do
	for o in "$remote_out" "$out"; do
		! grep -qi -- "$hex" <<<"$o" || fail "key bytes in the output"
		! grep -qi -- "${hex:0:16}" <<<"$o" || fail "key bytes in the output"
	done
done
vt_log_msg "config show: examples shown as loaded, SPIs $r_out / $r_in"

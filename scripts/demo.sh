#!/usr/bin/env bash
# The paper's topology in network namespaces, run with the shipped example
# configs (conf/examples/): the nursing home's central router and
# physician1's remote router behind a "cable modem", an "internet" between
# them, and hosts on the hospital LAN, the physician's office LAN and the
# physician's private LAN; IPX bridged between the routers' taps. Installs
# what is missing and builds first.
#
#   ./scripts/demo.sh            (as root, on Debian 12)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$src/build

"$src/scripts/install-deps.sh"
"$src/scripts/build.sh" "$build" >/dev/null

P=vtd$$                   # namespace prefix, unique to this run
tmp=$(mktemp -d)
pids=()

cleanup() {
	local pid
	for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	for ns in inet central phys hosp office priv; do
		ip netns del "$P$ns" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
nsx() { local ns=$1; shift; ip netns exec "$P$ns" "$@"; }

# link NS1 IF1 ADDR1 NS2 IF2 ADDR2: a veth pair between two namespaces
link() {
	ip link add "$2" netns "$P$1" type veth peer name "$5" netns "$P$4"
	ip -n "$P$1" addr add "$3" dev "$2"
	ip -n "$P$4" addr add "$6" dev "$5"
	ip -n "$P$1" link set "$2" up
	ip -n "$P$4" link set "$5" up
}

say "building the topology (namespaces prefixed $P)"
for ns in inet central phys hosp office priv; do
	ip netns add "$P$ns"
	ip -n "$P$ns" link set lo up
done
link inet  i-c   198.18.0.254/24 central c-out 198.18.0.1/24
link inet  i-p   198.19.1.1/24   phys    p-out 198.19.1.2/24
link central c-lan 172.16.0.1/16 hosp    h0    172.16.0.10/16
link phys  p-off 10.2.1.1/24     office  o0    10.2.1.10/24
link phys  p-prv 192.168.1.1/24  priv    v0    192.168.1.10/24
ip -n "${P}central" route add default via 198.18.0.254
ip -n "${P}phys"    route add default via 198.19.1.1
ip -n "${P}hosp"    route add default via 172.16.0.1
ip -n "${P}office"  route add default via 10.2.1.1
ip -n "${P}priv"    route add default via 192.168.1.1
for ns in inet central phys; do
	nsx "$ns" sysctl -qw net.ipv4.ip_forward=1
done

say "making the key file both routers share (vpntunctl genkey)"
# The examples name their key file relative to the config. The repository
# ships no key: one file, made fresh for this run, serves both routers.
cp -r "$src/conf/examples" "$tmp/conf"
mkdir -p "$tmp/conf/keys"
"$build/vpntunctl" genkey --cipher blowfish-cbc --keysize 256 \
	--auth hmac-sha256-128 "$tmp/conf/keys/physician1.key"
# The demo leaves nothing behind: its state files go to $tmp. The
# examples' packet processes run as `vpntund`, the user the package makes;
# the demo, which installs nothing, has them run as nobody, in whose group
# the state directory is.
sed -i "s#\"/var/lib/vpntund/#\"$tmp/state/#" "$tmp/conf/"*.conf
sed -i 's/^\tuser vpntund$/\tuser nobody/' "$tmp/conf/"*.conf
chmod 711 "$tmp"
install -d -m 770 -g "$(id -g nobody)" "$tmp/state"

say "checking both configs (vpntund -n)"
"$build/vpntund" -n -c "$tmp/conf/central.conf"
"$build/vpntund" -n -c "$tmp/conf/remote.conf"

say "starting vpntund on the central and the remote router"
# Not through nsx: $! must be the daemon itself, not a subshell.
ip netns exec "${P}central" "$build/vpntund" -f -c "$tmp/conf/central.conf" 2>"$tmp/central.log" &
pids+=($!)
ip netns exec "${P}phys" "$build/vpntund" -f -c "$tmp/conf/remote.conf" 2>"$tmp/remote.log" &
pids+=($!)

up=0
for _ in $(seq 50); do
	if nsx office ping -c1 -W1 172.16.0.10 >/dev/null 2>&1; then up=1; break; fi
	sleep 0.2
done
[ "$up" = 1 ] || { echo "demo: the tunnel did not come up" >&2; cat "$tmp"/*.log >&2; exit 1; }

say "office LAN (10.2.1.10) -> hospital LAN (172.16.0.10), through the tunnel"
nsx office ping -c 3 -i 0.2 172.16.0.10
say "hospital LAN -> office LAN"
nsx hosp ping -c 3 -i 0.2 10.2.1.10
say "overlay to overlay: 10.1.1.1 -> 10.1.0.1"
nsx phys ping -c 3 -i 0.2 -I 10.1.1.1 10.1.0.1

say "the private LAN (192.168.1.10) must not enter the VPN"
if nsx priv ping -c 2 -W 1 172.16.0.10; then
	echo "demo: the private LAN reached the hospital: policy broken" >&2
	exit 1
fi
echo "(dropped, as it should be)"

say "IPX through the tunnel: a NetWare SAP broadcast into the remote's ipx0"
# Stand-ins for a NetWare server: a raw packet socket writes an Ethernet II
# IPX frame into the remote router's tap, and one on the central router's
# tap waits for it (both from Python's standard library).
nsx central python3 - "$tmp/ipx.ready" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
s.bind(("ipx0", 0))
s.settimeout(10)
open(sys.argv[1], "w").close()          # bound: the sender may go
end = time.monotonic() + 10
while time.monotonic() < end:
    try:
        f = s.recv(2048)
    except socket.timeout:
        break
    if len(f) >= 44 and f[12:14] == b"\x81\x37":
        print("central ipx0 got %d bytes: dst %s src %s, IPX to socket 0x%s"
              % (len(f), f[0:6].hex(":"), f[6:12].hex(":"), f[30:32].hex()))
        sys.exit(0)
sys.exit("central ipx0: no IPX frame within 10 s")
PY
rx=$!
for _ in $(seq 50); do [ -e "$tmp/ipx.ready" ] && break; sleep 0.1; done
nsx phys python3 - <<'PY'
import socket, struct
src = bytes.fromhex("020000000a01")
# SAP general response (operation 2): file server FS1 on net 0x0a0b0c0d
sap = struct.pack("!HH48s4s6sHH", 2, 0x0004, b"FS1", bytes.fromhex("0a0b0c0d"),
                  src, 0x0451, 1)
ipx = struct.pack("!HHBB4s6sH4s6sH", 0xFFFF, 30 + len(sap), 0, 4, b"\0" * 4,
                  b"\xff" * 6, 0x0452, bytes.fromhex("0a0b0c0d"), src, 0x0452) + sap
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("ipx0", 0))
s.send(b"\xff" * 6 + src + b"\x81\x37" + ipx)
print("remote ipx0 sent a %d-byte SAP broadcast from %s" % (14 + len(ipx), src.hex(":")))
PY
wait "$rx"
# The central example leaves the control socket at its default, so a bare
# vpntunctl finds it; the remote's is found through its config.
say "vpntunctl bridge on the central router: the MAC it learned, behind physician1"
nsx central "$build/vpntunctl" bridge

say "five voice datagrams (DSCP EF) from the office: the first rule queues them as audio"
nsx office python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, 0xb8)   # EF
for i in range(5):
    s.sendto(b"voice %d" % i, ("172.16.0.10", 5006))
PY
say "vpntunctl rules on the remote router: what each of its rules decided"
nsx phys "$build/vpntunctl" -c "$tmp/conf/remote.conf" rules
say "vpntunctl reload on the remote router (its file unchanged): the tunnel goes on"
nsx phys "$build/vpntunctl" -c "$tmp/conf/remote.conf" reload

say "the central router crashes (SIGKILL) and starts again"
# Its packet process (the child running as the site's user) dies with it;
# like a supervisor, wait for both before starting again.
child=$(cat /proc/"${pids[0]}"/task/*/children)
kill -KILL "${pids[0]}"
wait "${pids[0]}" 2>/dev/null || true
for _ in $(seq 100); do
	kill -0 $child 2>/dev/null || break
	sleep 0.05
done
t0=$(date +%s%N)
ip netns exec "${P}central" "$build/vpntund" -f -c "$tmp/conf/central.conf" 2>>"$tmp/central.log" &
pids[0]=$!
up=0
for _ in $(seq 100); do
	if nsx office ping -c1 -W 0.1 172.16.0.10 >/dev/null 2>&1; then up=1; break; fi
done
[ "$up" = 1 ] || { echo "demo: the tunnel did not come back" >&2; cat "$tmp"/*.log >&2; exit 1; }
echo "back after $((($(date +%s%N) - t0) / 1000000)) ms: new keys (a new epoch), and"
echo "the two routers told each other where their SAs stand (central.log):"
grep -E "synchronised|told our epochs|up \(was" "$tmp/central.log" | tail -n 3

say "vpntunctl status on the central router"
nsx central "$build/vpntunctl" status
say "vpntunctl status --json on the remote router"
nsx phys "$build/vpntunctl" -c "$tmp/conf/remote.conf" status --json
echo

say "stopping the daemons"
for pid in "${pids[@]}"; do kill -TERM "$pid"; done
for pid in "${pids[@]}"; do wait "$pid"; done
pids=()
echo "demo finished: both daemons exited cleanly"

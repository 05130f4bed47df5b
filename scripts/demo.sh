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

. "$src/scripts/paper_site.sh"

cleanup() {
	local pid
	for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	paper_net_down
	rm -rf "$tmp"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "building the topology (namespaces prefixed $P)"
paper_net_up

say "making the key file both routers share (vpntunctl genkey)"
# The examples name their key file relative to the config. The repository
# ships no key: one file, made fresh for this run, serves both routers.
# The demo leaves nothing behind: its state files go to $tmp.
paper_configs "$src" "$build" "$tmp"

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

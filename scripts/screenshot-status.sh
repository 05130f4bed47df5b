#!/usr/bin/env bash
# Takes docs/status-page.png: the monitor's page of physician1's router
# (conf/examples/remote.conf, with `monitor port 9180` added) in the
# topology of scripts/demo.sh, while its office sends a voice call, video
# and web traffic through the tunnel's QoS classes and an IPX frame
# crosses the bridge. Headless chromium in the router's namespace.
#
#   ./scripts/screenshot-status.sh [OUT.png] [BUILD-DIR]   (as root)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$src/docs/status-page.png}
build=${2:-$src/build}
[ -x "$build/vpntund" ] || { echo "no $build/vpntund: build first" >&2; exit 1; }

P=vts$$
tmp=$(mktemp -d)
pids=()
. "$src/scripts/paper_site.sh"

cleanup() {
	local pid
	# A background job of bg() leads a process group of its own: what
	# it started (chromium's helpers, a loop's current command) goes too.
	for pid in "${pids[@]}"; do
		kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	paper_net_down
	rm -rf "$tmp"
}
trap cleanup EXIT
# bg NS CMD...: CMD in namespace $P<NS>, in the background, in a process
# group of its own whose id is its pid (setsid execs it: no fork).
bg() {
	setsid ip netns exec "$P$1" "${@:2}" >/dev/null 2>&1 </dev/null &
	pids+=($!)
}

paper_net_up
paper_configs "$src" "$build" "$tmp" 2>/dev/null
# The control sockets in $tmp too: the central's is the default, which a
# vpntund running on this machine may hold.
sed -i "s#\"/run/vpntund/#\"$tmp/#" "$tmp/conf/"*.conf
sed -i 's#^\tstate-file .*#&\n\tcontrol "'"$tmp"'/central.sock"#' "$tmp/conf/central.conf"
sed -i 's/^\tlog-level info$/&\n\tmonitor port 9180/' "$tmp/conf/remote.conf"
grep -q 'monitor port 9180' "$tmp/conf/remote.conf"
ip netns exec "${P}central" "$build/vpntund" -f -c "$tmp/conf/central.conf" \
    2>"$tmp/central.log" &
pids+=($!)
ip netns exec "${P}phys" "$build/vpntund" -f -c "$tmp/conf/remote.conf" \
    2>"$tmp/remote.log" &
pids+=($!)
for _ in $(seq 50); do
	nsx office ping -c1 -W1 172.16.0.10 >/dev/null 2>&1 && break
	sleep 0.2
done
nsx office ping -c1 -W1 172.16.0.10 >/dev/null

# The voice call (EF, 160 bytes every 20 ms), video to the home's port
# 5004 (more than the line takes: it queues and CoDel drops), and the
# record's web pages over HTTP from the hospital.
head -c 300000 /dev/urandom >"$tmp/record.bin"
bg hosp python3 -m http.server -d "$tmp" -b 172.16.0.10 80
bg office python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, 0xb8)
while True:
    s.sendto(b"v" * 160, ("172.16.0.10", 4000)); time.sleep(0.02)'
bg office python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
t = time.monotonic()
while True:
    burst = 12 if int(time.monotonic() - t) % 8 < 4 else 3
    for _ in range(burst):
        s.sendto(b"f" * 500, ("10.1.0.1", 5004))
    time.sleep(0.5)'
bg office sh -c 'while :; do
	python3 -c "import urllib.request as u; u.urlopen(\"http://172.16.0.10/record.bin\", timeout=20).read()"
	sleep 2; done'
# an IPX frame into the remote's tap: the bridge learns its MAC
nsx phys python3 -c '
import socket
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("ipx0", 0))
src = bytes.fromhex("020000000a01")
s.send(b"\xff" * 6 + src + b"\x81\x37" + b"\xff\xff\x00\x1e\x00\x04" + bytes(24))'

# The page keeps its samples in the browser: let it gather a minute in
# real time, then ask chromium for the picture over its DevTools socket.
profile=$tmp/chromium
mkdir -m 700 "$profile"
bg phys chromium --headless --no-sandbox --disable-gpu --no-first-run \
    --no-proxy-server --hide-scrollbars --user-data-dir="$profile" \
    --window-size=1280,1600 --remote-debugging-port=9222 \
    'http://127.0.0.1:9180/'
sleep "${SHOT_WAIT:-60}"
nsx phys python3 - "$tmp/shot.png" <<'PY'
import base64, json, os, socket, struct, sys, urllib.request
op = urllib.request.build_opener(urllib.request.ProxyHandler({}))
pages = json.load(op.open("http://127.0.0.1:9222/json/list", timeout=10))
url = [p for p in pages if p["type"] == "page"][0]["webSocketDebuggerUrl"]
host, path = url[len("ws://"):].split("/", 1)
s = socket.create_connection(tuple(host.rsplit(":", 1)), timeout=30)
key = base64.b64encode(os.urandom(16)).decode()
s.sendall(("GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
           "Sec-WebSocket-Version: 13\r\n\r\n" % (path, host, key)).encode())
f = s.makefile("rb")
while f.readline() not in (b"\r\n", b""):
    pass
msg = json.dumps({"id": 1, "method": "Page.captureScreenshot",
                  "params": {"format": "png"}}).encode()
mask = os.urandom(4)
hdr = b"\x81" + (bytes([0x80 | 126]) + struct.pack("!H", len(msg))
                 if len(msg) > 125 else bytes([0x80 | len(msg)]))
s.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(msg)))
data = b""
while True:
    b0, b1 = f.read(2)
    n = b1 & 0x7f
    if n == 126:
        n = struct.unpack("!H", f.read(2))[0]
    elif n == 127:
        n = struct.unpack("!Q", f.read(8))[0]
    data += f.read(n)
    if b0 & 0x80:
        r = json.loads(data)
        data = b""
        if r.get("id") == 1:
            break
open(sys.argv[1], "wb").write(base64.b64decode(r["result"]["data"]))
PY
cp "$tmp/shot.png" "$out"
echo "wrote $out"

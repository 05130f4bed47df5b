#!/usr/bin/env bash
# A central with many remotes (the paper's nursing home and its physicians):
# twelve remote routers, each with its own SA, key and overlay network, all
# talk to the central at once; every peer is counted separately, every SPI
# is distinct, and after the central restarts all of them come back.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init scale
N=12
VT_LOG_LEVEL=info
inet=$(vt_ns inet) c=$(vt_ns c)
vt_nsadd "$inet"
vt_nsadd "$c"
vt_router_on "$inet"
vt_router_on "$c"
vt_link "$inet" toc "$c" wan0
vt_addr "$inet" toc 198.18.0.254/24
vt_addr "$c" wan0 198.18.0.1/24
ip -n "$c" route add default via 198.18.0.254
suites=(aes-gcm chacha20-poly1305 aes-cbc/hmac-sha256-128 blowfish-cbc/hmac-sha1-96)

{
	vt_site_block central central 10.1.0.0/24 fd00:1:0::/64 10.1.0.1/24 \
	    fd00:1:0::1/64 198.18.0.1 c ""
} >"$VT_TMP/c.conf"
for ((i = 1; i <= N; i++)); do
	r=r$i ns=$(vt_ns "r$i")
	s=${suites[$((i % ${#suites[@]}))]}
	vt_nsadd "$ns"
	vt_link "$inet" "to$r" "$ns" wan0
	vt_addr "$inet" "to$r" "198.18.$i.254/24"
	vt_addr "$ns" wan0 "198.18.$i.2/24"
	ip -n "$ns" route add default via "198.18.$i.254"
	vt_write_key "$VT_TMP/$r.key" "$s"
	vt_peer_block "$r" remote "10.1.$i.0/24" dynamic udp "$s" "$r" \
	    "10.1.0.0/24 <-> 10.1.$i.0/24" "fd00:1:0::/64 <-> fd00:1:$i::/64" \
	    "172.16.0.0/24 <-> 10.2.$i.0/24" "fd00:172:16::/64 <-> fd00:2:$i::/64" "" \
	    >>"$VT_TMP/c.conf"
	{
		vt_site_block "$r" remote "10.1.$i.0/24" "fd00:1:$i::/64" "10.1.$i.1/24" \
		    "fd00:1:$i::1/64" "198.18.$i.2" "$r" ""
		vt_peer_block central central 10.1.0.0/24 198.18.0.1 udp "$s" "$r" \
		    "10.1.$i.0/24 <-> 10.1.0.0/24" "fd00:1:$i::/64 <-> fd00:1:0::/64" \
		    "10.2.$i.0/24 <-> 172.16.0.0/24" "fd00:2:$i::/64 <-> fd00:172:16::/64" ""
	} >"$VT_TMP/$r.conf"
done
VT_SITES=(c)
vt_start c
for ((i = 1; i <= N; i++)); do
	VT_SITES+=("r$i")
	vt_start "r$i"
done

# all at once: each remote router pings the central's tun address
ping_all() {
	local i pids=() rc=0
	for ((i = 1; i <= N; i++)); do
		ip netns exec "$(vt_ns "r$i")" ping -n -c 3 -i 0.2 -W 2 10.1.0.1 \
		    >"$VT_TMP/ping-r$i.out" 2>&1 &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || { rc=1; echo "r$((i + 1)): $(tail -n 2 "$VT_TMP/ping-r$((i + 1)).out" | tr '\n' ' ')" >&2; }
	done
	return "$rc"
}
ping_all || fail "not every remote reached the central"

vt_status c >"$VT_TMP/c.json"
"$VT_PY" - "$VT_TMP/c.json" "$N" <<'PY' || fail "central status: $(cat "$VT_TMP/c.json")"
import json, sys
d = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
peers = {p["name"]: p for p in d["peers"]}
assert len(peers) == n, "%d peers" % len(peers)
spis = [p["spi_in"] for p in peers.values()] + [p["spi_out"] for p in peers.values()]
assert len(set(spis)) == 2 * n, "SPIs not distinct: %s" % spis
for i in range(1, n + 1):
    p = peers["r%d" % i]
    assert p["endpoint"] == "198.18.%d.2:4500" % i, (i, p["endpoint"])
    assert p["packets_in"] == 3 and p["packets_out"] == 3, (i, p["packets_in"], p["packets_out"])
    assert sum(p["drops"].values()) == 0, (i, p["drops"])
PY
# derived keying: each SA's epoch is the same on both ends, its SPI the
# base SPI with the epoch's parity in the low bit
for ((i = 1; i <= N; i++)); do
	read -r spi epoch <<<"$(vt_peer "r$i" central '[s["spi"] + " " + s["epoch"] for s in p["sas"] if s["dir"] == "out"][0]')"
	read -r cspi cepoch <<<"$(vt_peer c "r$i" '[s["spi"] + " " + s["epoch"] for s in p["sas"] if s["dir"] == "in"][0]')"
	base=$(vt_peer c "r$i" 'p["spi_in"]')
	assert_eq "$cspi $cepoch" "$spi $epoch" "SPI and epoch of r$i -> central on both ends"
	assert_eq "$(vt_peer "r$i" central 'p["spi_out"]')" "$spi" "r$i: spi_out is its SA's"
	assert_eq "$((spi ^ base))" "$((0x$epoch & 1))" "r$i -> central: SPI $spi vs base $base in epoch $epoch"
done

# the central restarts: every remote is back
vt_restart c
ping_all || fail "not every remote came back after the central restarted"
assert_eq "$(vt_counter c 'sum(p["packets_in"] for p in d["peers"])')" $((3 * N)) "central: packets_in after restart"
# A keepalive that arrives between the central's start and a remote's
# answer is refused as unsynced, by design; nothing else may be dropped.
assert_eq "$(vt_counter c 'sum(sum(v for k, v in p["drops"].items() if k != "unsynced") for p in d["peers"])')" 0 "central: drops after restart"
for ((i = N; i >= 1; i--)); do
	vt_stop "r$i"
done
vt_stop c

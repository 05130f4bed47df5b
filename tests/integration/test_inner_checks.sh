#!/usr/bin/env bash
# The central against a hand-made remote (espcraft.py: ESP built with the
# standard library and the openssl command line, not with our code): valid
# echo requests over IPv4 and IPv6 are answered with ESP that an independent
# implementation can verify and decrypt; then packets that authenticate but
# carry what a correct peer never sends are dropped, each counted under its
# reason (RFC 4303 3.4.4 padding, inner header checks, the paper's policy:
# a remote site cannot speak for the central network), and never delivered.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init inner_checks
vt_topology v4
# espcraft.py keys its ESP with the key file as it is: keying manual, and
# the central's first start is a fresh one (-R, by vt_start)
VT_EXTRA_PEER_c_r1=$'\tkeying manual'
vt_write_configs udp v4 aes-cbc/hmac-sha256-128
vt_start c
assert_eq "$(vt_peer c r1 'p["keying"]')" manual "central: keying of r1"
key=$VT_TMP/r1.key
spi_out=$(vt_peer c r1 'p["spi_in"]')       # what "r1" sends with
spi_in=$(vt_peer c r1 'p["spi_out"]')       # what the central answers with
craft() { ip netns exec "$(vt_ns r1)" "$VT_PY" "$VT_DIR/espcraft.py" "$@"; }
drops() { vt_peer c r1 'p["drops"]'; }
seq=0
next() { seq=$((seq + 1)); }

# 1. valid requests, answered by the central's kernel through the daemon
next
out=$(craft echo "$key" "$spi_out" "$spi_in" "$seq" v4) || fail "IPv4 echo through the central: $out"
vt_log_msg "echo v4: $out"
next
out=$(craft echo "$key" "$spi_out" "$spi_in" "$seq" v6) || fail "IPv6 echo through the central: $out"
assert_eq "$(vt_peer_counter c r1 packets_in)" 2 "central: packets_in from the hand-made remote"
assert_eq "$(vt_peer_counter c r1 packets_out)" 2 "central: packets_out to the hand-made remote"
assert_eq "$(vt_peer c r1 'p["endpoint"]')" 198.18.1.2:4500 "endpoint learnt from hand-made ESP"
assert_eq "$(vt_peer c r1 'sum(p["drops"].values())')" 0 "central: drops after valid packets"

# 2. authenticated but wrong: CASE REASON
check() {
	local case=$1 reason=$2 before in0 total0
	before=$(vt_peer_counter c r1 "drops.$reason")
	total0=$(vt_peer c r1 'sum(p["drops"].values())')
	in0=$(vt_peer_counter c r1 packets_in)
	next
	craft send "$key" "$spi_out" "$seq" "$case" >/dev/null || fail "crafting $case failed"
	wait_until 10 vt_cmp 'vt_peer_counter c r1 "drops.$reason"' -ge $((before + 1)) ||
		fail "$case: not counted as $reason; drops now $(drops)"
	assert_eq "$(vt_peer c r1 'sum(p["drops"].values())')" $((total0 + 1)) "$case: counted once ($(drops))"
	assert_eq "$(vt_peer_counter c r1 packets_in)" "$in0" "$case: packets_in"
	vt_log_msg "$case: dropped as $reason"
}
check badpad malformed
check padlen malformed
check shortip malformed
check version malformed
check spoofsrc policy
check baddst policy
assert_eq "$(vt_peer_counter c r1 drops.auth)" 0 "central: none of them failed authentication"

# 3. a TFC dummy packet (next header 59) is discarded quietly
total0=$(vt_peer c r1 'sum(p["drops"].values())')
next
craft send "$key" "$spi_out" "$seq" dummy >/dev/null || fail "crafting dummy failed"
# a valid packet after it shows it was processed (and the window moved on)
next
out=$(craft echo "$key" "$spi_out" "$spi_in" "$seq" v4) || fail "echo after the dummy: $out"
assert_eq "$(vt_peer c r1 'sum(p["drops"].values())')" "$total0" "central: drops after a dummy packet ($(drops))"

# 4. nothing of it reached the hospital host: only our echo requests did
#    (the kernel's ICMP statistics in lc's namespace)
# shellcheck disable=SC2016 # awk programs
echos=$(ip netns exec "$(vt_ns lc)" awk '/^Icmp:/ { if (!n) { for (i = 1; i <= NF; i++) col[$i] = i; n = 1 } else print $col["InEchos"] }' /proc/net/snmp)
# shellcheck disable=SC2016
echos6=$(ip netns exec "$(vt_ns lc)" awk '$1 == "Icmp6InEchos" { print $2 }' /proc/net/snmp6)
assert_eq "$echos" 2 "echo requests that reached lc over IPv4"
assert_eq "$echos6" 1 "echo requests that reached lc over IPv6"
vt_stop c

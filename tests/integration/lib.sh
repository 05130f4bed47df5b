# shellcheck shell=bash
# Integration test harness for vpntund: the paper's star topology in network
# namespaces. Sourced by tests/integration/test_*.sh and tests/interop/.
#
# Environment: VPNTUND_BUILD (dir holding vpntund and vpntunctl),
# VPNTUND_SRC (source dir), CI ("true" turns a missing prerequisite into a
# failure instead of a skip), VT_KEEP=1 (keep $VT_TMP and print its path),
# VT_KEEP_ON_FAIL=1 (keep it only when the test fails), VT_LOG_LEVEL (the
# daemons' log-level, default debug), VT_LOG_LINES (log lines shown on failure).
#
# Stable interface (other test suites depend on these names):
#
#   vt_init NAME            prefix $P, temp dir $VT_TMP, EXIT trap (stops the
#                           daemons and helpers we started, by PID, deletes
#                           our namespaces, removes $VT_TMP); checks root,
#                           /dev/net/tun, binaries; exit 77 (skip) if missing
#                           and $CI != true.
#   vt_ns SITE              namespace name of c r1 r2 inet lc l1 p1 l2
#   vt_skip MSG             exit 77 (or 1 when $CI = true)
#   vt_nsadd NS             a namespace (lo up, rp_filter and DAD off),
#                           deleted on exit
#   vt_router_on NS         IPv4/IPv6 forwarding on, no redirects
#   vt_link NS1 DEV1 NS2 DEV2   veth pair created inside the namespaces
#   vt_addr NS DEV ADDR/LEN...  IPv4 or IPv6 (nodad) addresses
#   vt_topology [v4|v6]     builds the star (always dual-stack; the argument
#                           is accepted for compatibility):
#       inet  router: 198.18.{0,1,2}.254/24, 2001:db8:{0,1,2}::fe/64
#       c     wan0 198.18.0.1/24 2001:db8::1/64   lan0 172.16.0.1/24 fd00:172:16::1/64
#       r1    wan0 198.18.1.2/24 2001:db8:1::2/64 lan0 10.2.1.1/24 fd00:2:1::1/64
#                                                 priv0 192.168.1.1/24
#       r2    wan0 198.18.2.2/24 2001:db8:2::2/64 lan0 10.2.2.1/24 fd00:2:2::1/64
#       lc 172.16.0.10 fd00:172:16::10, l1 10.2.1.10 fd00:2:1::10,
#       p1 192.168.1.10, l2 10.2.2.10 fd00:2:2::10 (default route via router)
#   vt_write_configs [udp|esp] [v4|v6-outer] [SUITE_R1 [SUITE_R2]]
#                           writes $VT_TMP/{c,r1,r2}.conf and key files
#                           $VT_TMP/{r1,r2}.key (shared by both ends).
#                           SUITE is CIPHER[:KEYBITS][/AUTH], e.g. aes-gcm,
#                           chacha20-poly1305, aes-cbc:256/hmac-sha256-128,
#                           blowfish-cbc/hmac-sha1-96. Default aes-gcm.
#                           Extra statements are spliced in from the
#                           variables VT_EXTRA_SITE_{c,r1,r2},
#                           VT_EXTRA_PEER_{c_r1,c_r2,r1,r2} if set.
#                           Key files of the same suite are kept when the
#                           configs are written again.
#   vt_suite_parse SUITE    sets VT_CIPHER VT_KEYBITS VT_AUTH VT_KEYLEN
#                           VT_SALTLEN VT_AUTHLEN (bytes)
#   vt_suite_conf SUITE     prints the cipher/auth statements of a peer
#   vt_write_key FILE SUITE [keep]  random key file (mode 600) sized for
#                           SUITE; "keep": leave an existing one of SUITE
#   vt_conf SITE / vt_sock SITE / vt_log SITE   paths
#   vt_start SITE [CONF]    starts vpntund -f in the site's namespace, waits
#                           until its control socket answers and (derived
#                           keying) it has synchronised with its running
#                           peers (VT_NO_SYNC_WAIT=1: not that). Manual
#                           keying's first start: -R is passed when
#                           VT_FRESH=1, or when CONF has a `keying manual`
#                           peer and its state-file does not exist yet,
#                           unless VT_NO_FRESH=1 (to see the refusal)
#   vt_synced SITE          that condition
#   vt_stop SITE            SIGTERM, waits, asserts exit 0, tun gone and no
#                           sanitizer report in its log
#   vt_restart SITE
#   vt_alive SITE / vt_dead PID   process checks (for wait_until)
#   vt_packet_pid SITE      the process that handles packets (the child
#                           running as VT_USER, else the daemon)
#   vt_crash SITE           SIGKILL, waits for the daemon and its child
#   vt_ctl SITE ARGS...     vpntunctl -s SOCK ARGS (5 s timeout)
#   vt_status SITE          prints `vpntunctl status --json`
#   vt_counter SITE EXPR    python expression over the JSON as d
#   vt_peer SITE PEER EXPR  python expression over that peer's object as p
#   vt_peer_counter SITE PEER FIELD   dotted field, e.g. drops.replay
#   wait_until SECS CMD...  polls CMD every 0.1 s; status 1 on timeout
#   fail MSG / assert_eq A B MSG / assert_ge A B MSG / assert_gt A B MSG
#   vt_bg NAME CMD...       runs CMD in the background, killed on exit;
#                           sets VT_BG_PID
#   vt_ping NS DST [COUNT [PING ARGS...]]  ping with a data pattern;
#                           asserts 0% loss and no "wrong data byte"
#   vt_ping_fails NS DST [PING ARGS...]  asserts that no echo reply comes back
#   vt_ping1 NS DST [WAIT]  one quiet try (for polling)
#   vt_tcp_xfer SRC_NS DST_NS DST_ADDR [BYTES [PORT]]  random file over
#                           TCP, asserts the sha256 matches
#   vt_udp_listen NS PORT FILE / vt_udp_send NS HOST PORT TEXT [COUNT [PADLEN [SRC [TOS]]]]
#                           FILE gets one line "SRC TEXT I" per datagram,
#                           FILE.tos "TEXT I 0xTOS" (SRC "" = any)
#   vt_lines FILE [PATTERN] number of lines (matching PATTERN)
#   vt_capture_start NS IFACE SRC DST MINLEN FILE [esp|keepalive [COUNT]]
#                           sniffs the first ESP (UDP 4500 or proto 50) IP
#                           packet SRC->DST of at least MINLEN bytes (or a
#                           NAT keepalive) into FILE (COUNT > 1: the first
#                           COUNT into FILE.0 ...); then vt_capture_wait FILE
#   vt_inject NS FILE       re-sends a captured IP packet as is (replay)
#   vt_espinfo FILE         prints "SPI SEQ PROTO TOS" of a captured packet
#   vt_settos IN OUT TOS    a copy with another outer TOS / traffic class
#   vt_tamper IN OUT SEQ [SRC]  a copy with ESP sequence number SEQ (and
#                           IPv4 source SRC): a forgery or a spoofed replay
#   vt_cut ADDR / vt_uncut ADDR  the "internet" drops (blackhole) what it
#                           would forward to ADDR, so that packets can be
#                           captured on their way without reaching it
#   vt_sa SITE PEER DIR FIELD  a field of the peer's main SA in direction
#                           in|out (sas[] of the status: spi, epoch,
#                           drops.unsynced, ...)
#
# Tap devices and bridged frames (built by ipxframes.py):
#
#   VT_TAP                  the tap the bridge tests configure (vtap0)
#   vt_quiet_new_devs SITE...  devices created from now on in those
#                           namespaces send nothing of their own: no IPv6
#                           link-local address and host behaviour (a tap
#                           would send MLD reports); IPv6 still works and
#                           is forwarded (all.forwarding stays on)
#   vt_frame ipx|other ARGS...  prints a frame's hex (see ipxframes.py)
#   vt_tap_send SITE HEX... transmits the frames on SITE's tap, in order
#                           (AF_PACKET), so that its vpntund reads them
#   vt_tap_capture SITE FILE  records SITE's tap until vt_tap_capture_stop
#                           FILE or exit: lines "in HEX" (written to the
#                           tap by vpntund) and "out HEX" (sent by us);
#                           FILE.pcap holds the "in" frames
#   vt_frames_in FILE HEX   how many times the frame came in (exact bytes)
#
# The bridging star (c, r1, r2, each with a tap; peers named as in
# vt_write_configs): hosts A behind r1, B behind r2, C behind the central,
# U never seen ($VT_BR_A ...). Captures are $VT_TMP/cap_SITE. A ledger
# (VT_BR_EXP, keys SITE/PEER/FIELD, SITE/-/drops.R for site drops) says what
# every bridge counter must be:
#
#   vt_br_frame VAR ipx|other ARGS...  a frame's hex into VAR; IPX frames
#                           go to the meta file vt_br_tshark_check reads
#   vt_br_send SITE HEX...  transmit on SITE's tap (remembered for the echo
#                           check)
#   vt_br_led KEY N / vt_br_hop X Y HEX / vt_br_flood SITE HEX
#                           ledger: N more; one frame carried router X -> Y;
#                           flooded from SITE to the two other routers
#   vt_br_check_ledger TAG  polls until every counter equals the ledger
#                           (those not in it: 0); fails with the diff
#   vt_br_expect_at HEX WHAT SITE...  comes in exactly once on each tap
#   vt_br_never_at HEX WHAT SITE...   never came in (after a barrier)
#   vt_br_barrier FROM TO...  an IPX broadcast from FROM that reaches every
#                           TO: what FROM sent before on those paths is in
#   vt_br_no_echo SITE...   no frame sent on a tap came back to it
#   vt_br_tshark_check SITE MIN  tshark dissects every IPX frame that came
#                           in on SITE's tap in the framing and with the
#                           fields it was built with, at least MIN of them

VT_PY=/usr/bin/python3
VT_TUN=vtun0
VT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${VPNTUND_SRC:=$(cd "$VT_DIR/../.." && pwd)}"
: "${VPNTUND_BUILD:=$VPNTUND_SRC/build}"
VT_SITES=(c r1 r2)
declare -A VT_PID=()
VT_BG_PIDS=()
VT_NETNS=()
VT_TMP=
P=

vt_log_msg() { printf '%s [%s] %s\n' "$(date -u +%T.%N | cut -c1-12)" "${VT_NAME:-vt}" "$*" >&2; }

vt_skip() {
	if [ "${CI:-}" = true ]; then
		echo "FAIL (prerequisite missing under CI): $*" >&2
		exit 1
	fi
	echo "SKIP: $*" >&2
	exit 77
}

vt_ns() { echo "${P}$1"; }
vt_conf() { echo "$VT_TMP/$1.conf"; }
vt_sock() { echo "$VT_TMP/$1.sock"; }
vt_log() { echo "$VT_TMP/$1.log"; }

vt_dump_logs() {
	local s f
	for s in "${VT_SITES[@]}"; do
		f=$VT_TMP/$s.log
		[ -f "$f" ] || continue
		echo "----- last lines of $s.log -----" >&2
		tail -n "${VT_LOG_LINES:-40}" "$f" >&2
	done
	for f in "$VT_TMP"/*.out; do
		[ -s "$f" ] || continue
		echo "----- $(basename "$f") -----" >&2
		tail -n 10 "$f" >&2
	done
}

fail() {
	trap - ERR
	echo "FAIL: $*" >&2
	[ -n "$VT_TMP" ] && vt_dump_logs
	exit 1
}

vt_on_err() {
	fail "command failed (status $1) at line $2: $3"
}

assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-assert_eq}: expected '$2', got '$1'"
}
assert_ge() {
	[[ "$1" =~ ^-?[0-9]+$ && "$2" =~ ^-?[0-9]+$ ]] ||
		fail "${3:-assert_ge}: not integers: '$1' '$2'"
	[ "$1" -ge "$2" ] || fail "${3:-assert_ge}: expected >= $2, got $1"
}
assert_gt() {
	[[ "$1" =~ ^-?[0-9]+$ && "$2" =~ ^-?[0-9]+$ ]] ||
		fail "${3:-assert_gt}: not integers: '$1' '$2'"
	[ "$1" -gt "$2" ] || fail "${3:-assert_gt}: expected > $2, got $1"
}

# wait_until SECS CMD...: runs CMD every 0.1 s until it succeeds (0) or SECS
# have passed (1). Wall-clock bound, so a slow CMD does not stretch it.
# CMD's arguments are expanded once, by the caller: to poll a value, use
# vt_cmp, not `test "$(...)"`, which would compare one reading forever.
wait_until() {
	local secs=$1 deadline now
	shift
	deadline=$(vt_now_ms)
	deadline=$((deadline + ${secs%.*} * 1000))
	while :; do
		if "$@"; then
			return 0
		fi
		now=$(vt_now_ms)
		[ "$now" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}

# vt_cmp 'COMMAND' OP VALUE: runs COMMAND (eval'd, so put it in single
# quotes) and compares what it prints with VALUE (test(1)'s OP). A condition
# for wait_until that reads afresh each time.
vt_cmp() {
	local got
	got=$(eval "$1") || return 1
	test "$got" "$2" "$3"
}

vt_now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	echo $((t / 1000))
}

vt_cleanup() {
	local rc=$? s pid i ns
	trap - EXIT ERR INT TERM
	for s in "${!VT_PID[@]}"; do
		pid=${VT_PID[$s]}
		kill -TERM "$pid" 2>/dev/null || continue
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	for pid in "${VT_BG_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${VT_BG_PIDS[@]}"; do
		for ((i = 0; i < 20; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	for ns in "${VT_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null || true
	done
	if [ -n "$VT_TMP" ] && [ -d "$VT_TMP" ]; then
		if [ "${VT_KEEP:-0}" = 1 ] || { [ "$rc" -ne 0 ] && [ "${VT_KEEP_ON_FAIL:-0}" = 1 ]; }; then
			echo "kept $VT_TMP" >&2
		else
			rm -rf "$VT_TMP"
		fi
	fi
	if [ "$rc" -eq 0 ]; then
		echo "PASS: ${VT_NAME:-}" >&2
	fi
	exit "$rc"
}

vt_init() {
	VT_NAME=${1:?vt_init NAME}
	set -E -o pipefail
	[ "$(id -u)" -eq 0 ] || vt_skip "needs root"
	[ -c /dev/net/tun ] || vt_skip "no /dev/net/tun"
	[ -x "$VT_PY" ] || vt_skip "no $VT_PY"
	local b
	for b in ip ping openssl sha256sum; do
		command -v "$b" >/dev/null || vt_skip "no $b"
	done
	for b in vpntund vpntunctl; do
		[ -x "$VPNTUND_BUILD/$b" ] || vt_skip "no $VPNTUND_BUILD/$b (set VPNTUND_BUILD)"
	done
	# Short: namespace names carry it, and with a suffix stay readable.
	local short=${VT_NAME//[^a-zA-Z0-9]/}
	P="vt${short:0:6}$$"
	VT_TMP=$(mktemp -d "/tmp/vt-${short:0:12}.XXXXXX")
	chmod 700 "$VT_TMP"
	# The daemons drop to this user after start-up (site.conf `user`;
	# VT_USER= runs them as root throughout) and write their state files
	# and hints here: the directory is the user's group's. Root keeps it,
	# for tools that drop their privileges as root (dumpcap).
	VT_USER=${VT_USER-nobody}
	if [ -n "$VT_USER" ]; then
		chgrp "$(id -g "$VT_USER")" "$VT_TMP"
		chmod 770 "$VT_TMP"
	fi
	trap vt_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'vt_on_err $? $LINENO "$BASH_COMMAND"' ERR
	vt_log_msg "prefix $P, tmp $VT_TMP, build $VPNTUND_BUILD"
}

vt_nsadd() {
	local ns=$1
	ip netns add "$ns" || fail "ip netns add $ns"
	VT_NETNS+=("$ns")
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
	    net.ipv4.conf.default.rp_filter=0 \
	    net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
	    net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
	    >/dev/null
}

vt_router_on() {
	ip netns exec "$1" sysctl -qw net.ipv4.ip_forward=1 \
	    net.ipv6.conf.all.forwarding=1 net.ipv4.conf.all.send_redirects=0 \
	    net.ipv4.conf.default.send_redirects=0 >/dev/null
}

# vt_link NS1 DEV1 NS2 DEV2: a veth pair created directly inside the two
# namespaces (no name ever exists in the root namespace).
vt_link() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" ||
		fail "veth $1/$2 - $3/$4"
	# vpntund sends runs of ESP datagrams as one UDP GSO message. A veth
	# would carry it whole into the next namespace, where a capture sees
	# one 64 KB datagram; cut it at the device, as a NIC does, so that
	# what crosses between the namespaces is what a wire would carry.
	ip netns exec "$1" ethtool -K "$2" tx-udp-segmentation off >/dev/null &&
	    ip netns exec "$3" ethtool -K "$4" tx-udp-segmentation off >/dev/null ||
		fail "ethtool -K tx-udp-segmentation off on $2/$4 (apt-get install ethtool)"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

vt_addr() { # NS DEV ADDR/LEN...
	local ns=$1 dev=$2 a
	shift 2
	for a in "$@"; do
		if [[ $a == *:* ]]; then
			ip -n "$ns" -6 addr add "$a" dev "$dev" nodad
		else
			ip -n "$ns" addr add "$a" dev "$dev"
		fi
	done
}

vt_topology() {
	local n inet c r1 r2
	for n in inet c r1 r2 lc l1 p1 l2; do
		vt_nsadd "$(vt_ns $n)"
	done
	inet=$(vt_ns inet) c=$(vt_ns c) r1=$(vt_ns r1) r2=$(vt_ns r2)
	for n in "$inet" "$c" "$r1" "$r2"; do
		vt_router_on "$n"
	done
	# the "internet"
	vt_link "$inet" toc "$c" wan0
	vt_link "$inet" tor1 "$r1" wan0
	vt_link "$inet" tor2 "$r2" wan0
	vt_addr "$inet" toc 198.18.0.254/24 2001:db8:0::fe/64
	vt_addr "$inet" tor1 198.18.1.254/24 2001:db8:1::fe/64
	vt_addr "$inet" tor2 198.18.2.254/24 2001:db8:2::fe/64
	vt_addr "$c" wan0 198.18.0.1/24 2001:db8:0::1/64
	vt_addr "$r1" wan0 198.18.1.2/24 2001:db8:1::2/64
	vt_addr "$r2" wan0 198.18.2.2/24 2001:db8:2::2/64
	ip -n "$c" route add default via 198.18.0.254
	ip -n "$c" -6 route add default via 2001:db8:0::fe
	ip -n "$r1" route add default via 198.18.1.254
	ip -n "$r1" -6 route add default via 2001:db8:1::fe
	ip -n "$r2" route add default via 198.18.2.254
	ip -n "$r2" -6 route add default via 2001:db8:2::fe
	# LANs
	vt_lan "$c" lan0 "$(vt_ns lc)" 172.16.0 fd00:172:16
	vt_lan "$r1" lan0 "$(vt_ns l1)" 10.2.1 fd00:2:1
	vt_lan "$r1" priv0 "$(vt_ns p1)" 192.168.1 ""
	vt_lan "$r2" lan0 "$(vt_ns l2)" 10.2.2 fd00:2:2
	# the outer network works before any daemon runs
	ip netns exec "$r1" ping -c 1 -W 2 198.18.0.1 >/dev/null ||
		fail "topology: r1 cannot reach central's outer address"
	ip netns exec "$r2" ping -c 1 -W 2 2001:db8::1 >/dev/null ||
		fail "topology: r2 cannot reach central's outer IPv6 address"
}

# vt_lan ROUTER DEV HOSTNS V4PREFIX(3 octets) V6PREFIX(or ""): router .1, host .10
vt_lan() {
	local r=$1 dev=$2 h=$3 v4=$4 v6=$5
	vt_link "$r" "$dev" "$h" eth0
	vt_addr "$r" "$dev" "$v4.1/24"
	vt_addr "$h" eth0 "$v4.10/24"
	ip -n "$h" route add default via "$v4.1"
	if [ -n "$v6" ]; then
		vt_addr "$r" "$dev" "$v6::1/64"
		vt_addr "$h" eth0 "$v6::10/64"
		ip -n "$h" -6 route add default via "$v6::1"
	fi
}

# --- keys and configs -------------------------------------------------------

# vt_suite_parse SUITE: sets VT_CIPHER VT_KEYBITS VT_AUTH VT_KEYLEN VT_SALTLEN
# VT_AUTHLEN (bytes); VT_SALTLEN is aes-ctr's nonce too (RFC 3686 5).
vt_suite_parse() {
	local s=$1 c kb="" a="" aead=""
	c=${s%%/*}
	[[ $s == */* ]] && a=${s#*/}
	if [[ $c == *:* ]]; then
		kb=${c#*:}
		c=${c%%:*}
	fi
	VT_SALTLEN=0
	case $c in
	blowfish-cbc) VT_KEYLEN=32 ;;
	3des-cbc) VT_KEYLEN=24 ;;
	aes-cbc | rijndael-cbc) VT_KEYLEN=16 ;;
	aes-gcm) VT_KEYLEN=32 VT_SALTLEN=4 aead=1 ;;
	chacha20-poly1305) VT_KEYLEN=32 VT_SALTLEN=4 aead=1 ;;
	des-cbc) VT_KEYLEN=8 ;;
	cast128-cbc) VT_KEYLEN=16 ;;
	aes-ctr) VT_KEYLEN=16 VT_SALTLEN=4 ;;
	null) VT_KEYLEN=0 ;;
	*) fail "unknown cipher in suite '$s'" ;;
	esac
	[ -n "$kb" ] && VT_KEYLEN=$((kb / 8))
	case ${a:-none} in
	none) VT_AUTHLEN=0 ;;
	hmac-md5-96 | aes-xcbc-mac-96) VT_AUTHLEN=16 ;;
	hmac-sha1-96) VT_AUTHLEN=20 ;;
	hmac-sha256-128 | hmac-sha256-96) VT_AUTHLEN=32 ;;
	hmac-sha384-192 | hmac-sha384-96) VT_AUTHLEN=48 ;;
	hmac-sha512-256 | hmac-sha512-96) VT_AUTHLEN=64 ;;
	*) fail "unknown auth in suite '$s'" ;;
	esac
	if [ -z "$a" ] && [ -z "$aead" ]; then
		a=hmac-sha256-128 VT_AUTHLEN=32   # CBC without auth only if asked
	fi
	VT_CIPHER=$c VT_KEYBITS=$kb VT_AUTH=$a
}

# The statements of a peer block that select the suite.
vt_suite_conf() {
	vt_suite_parse "$1"
	if [ -n "$VT_KEYBITS" ]; then
		printf '\tcipher %s keysize %s\n' "$VT_CIPHER" "$VT_KEYBITS"
	else
		printf '\tcipher %s\n' "$VT_CIPHER"
	fi
	[ -n "$VT_AUTH" ] && printf '\tauth %s\n' "$VT_AUTH"
	return 0
}

vt_write_key() {
	local file=$1 n
	vt_suite_parse "$2"
	# Rewriting configs (a test's second phase) keeps the keys of the
	# suite: a daemon that keeps running must still match.
	if [ "${3:-}" = keep ] && [ -f "$file" ] &&
	    [ "$(head -n 1 "$file")" = "# $2: key material" ]; then
		return 0
	fi
	n=$((VT_KEYLEN + VT_SALTLEN + VT_AUTHLEN))
	(
		umask 077
		{
			echo "# $2: key material"
			echo "# two blocks of cipher key || salt || auth key ($n bytes each)"
			openssl rand -hex "$n"
			openssl rand -hex "$n"
		} >"$file"
	)
	chmod 600 "$file"
}

# vt_write_configs [udp|esp] [v4|v6-outer] [SUITE_R1 [SUITE_R2]]
vt_write_configs() {
	local tr=${1:-udp} outer=${2:-v4} s1=${3:-aes-gcm} s2=${4:-${3:-aes-gcm}}
	local c_out r1_out r2_out
	case $tr in udp | esp) ;; *) fail "vt_write_configs: transport '$tr'" ;; esac
	case $outer in
	v4 | v4-outer) c_out=198.18.0.1 r1_out=198.18.1.2 r2_out=198.18.2.2 ;;
	v6 | v6-outer) c_out=2001:db8::1 r1_out=2001:db8:1::2 r2_out=2001:db8:2::2 ;;
	*) fail "vt_write_configs: outer '$outer'" ;;
	esac
	# shellcheck disable=SC2034 # read by the tests
	VT_TRANSPORT=$tr VT_OUTER=$outer
	vt_write_key "$VT_TMP/r1.key" "$s1" keep
	vt_write_key "$VT_TMP/r2.key" "$s2" keep

	{
		vt_site_block central central "10.1.0.0/24" "fd00:1:0::/64" \
		    "10.1.0.1/24" "fd00:1:0::1/64" "$c_out" c "${VT_EXTRA_SITE_c:-}"
		vt_peer_block r1 remote 10.1.1.0/24 dynamic "$tr" "$s1" r1 \
		    "10.1.0.0/24 <-> 10.1.1.0/24" "fd00:1:0::/64 <-> fd00:1:1::/64" \
		    "172.16.0.0/24 <-> 10.2.1.0/24" "fd00:172:16::/64 <-> fd00:2:1::/64" \
		    "${VT_EXTRA_PEER_c_r1:-}"
		vt_peer_block r2 remote 10.1.2.0/24 dynamic "$tr" "$s2" r2 \
		    "10.1.0.0/24 <-> 10.1.2.0/24" "fd00:1:0::/64 <-> fd00:1:2::/64" \
		    "172.16.0.0/24 <-> 10.2.2.0/24" "fd00:172:16::/64 <-> fd00:2:2::/64" \
		    "${VT_EXTRA_PEER_c_r2:-}"
	} >"$VT_TMP/c.conf"
	{
		vt_site_block r1 remote "10.1.1.0/24" "fd00:1:1::/64" \
		    "10.1.1.1/24" "fd00:1:1::1/64" "$r1_out" r1 \
		    "$(printf '\texclude 192.168.1.0/24\n%s' "${VT_EXTRA_SITE_r1:-}")"
		vt_peer_block central central 10.1.0.0/24 "$c_out" "$tr" "$s1" r1 \
		    "10.1.1.0/24 <-> 10.1.0.0/24" "fd00:1:1::/64 <-> fd00:1:0::/64" \
		    "10.2.1.0/24 <-> 172.16.0.0/24" "fd00:2:1::/64 <-> fd00:172:16::/64" \
		    "${VT_EXTRA_PEER_r1:-}"
	} >"$VT_TMP/r1.conf"
	{
		vt_site_block r2 remote "10.1.2.0/24" "fd00:1:2::/64" \
		    "10.1.2.1/24" "fd00:1:2::1/64" "$r2_out" r2 "${VT_EXTRA_SITE_r2:-}"
		vt_peer_block central central 10.1.0.0/24 "$c_out" "$tr" "$s2" r2 \
		    "10.1.2.0/24 <-> 10.1.0.0/24" "fd00:1:2::/64 <-> fd00:1:0::/64" \
		    "10.2.2.0/24 <-> 172.16.0.0/24" "fd00:2:2::/64 <-> fd00:172:16::/64" \
		    "${VT_EXTRA_PEER_r2:-}"
	} >"$VT_TMP/r2.conf"
}

# vt_site_block NAME ROLE NET4 NET6 ADDR4 ADDR6 OUTER FILEBASE EXTRA
vt_site_block() {
	cat <<EOF
# generated by tests/integration/lib.sh ($VT_NAME)
site "$1" {
	role $2
	network $3
	network $4
	address $5
	address $6
	tun $VT_TUN
	outer $7
	port 4500
	state-file "$VT_TMP/$8.state"
	control "$VT_TMP/$8.sock"
	log stderr
	log-level ${VT_LOG_LEVEL:-debug}
EOF
	[ -n "${VT_USER:-}" ] && printf '\tuser %s\n' "$VT_USER"
	[ -n "$9" ] && printf '%s\n' "$9"
	echo "}"
}

# vt_peer_block NAME ROLE NET ENDPOINT TRANSPORT SUITE KEYBASE TUN4 TUN6 FUN4 FUN6 EXTRA
vt_peer_block() {
	local ep
	if [ "$4" = dynamic ]; then
		ep="endpoint dynamic"
	elif [ "$5" = esp ]; then
		ep="endpoint $4"
	else
		ep="endpoint $4 port 4500"
	fi
	cat <<EOF
peer "$1" {
	role $2
	network $3
	$ep
	transport $5
EOF
	vt_suite_conf "$6"
	cat <<EOF
	key "$VT_TMP/$7.key"
	replay-window 64
	tunnel $8
	tunnel $9
	funnel ${10}
	funnel ${11}
EOF
	[ -n "${12}" ] && printf '%s\n' "${12}"
	echo "}"
}

# --- daemons ----------------------------------------------------------------

vt_ctl() { # SITE ARGS...
	local s=$1
	shift
	timeout 5 "$VPNTUND_BUILD/vpntunctl" -s "$(vt_sock "$s")" "$@"
}

vt_alive() { kill -0 "${VT_PID[$1]}" 2>/dev/null; }

# True when the daemon answers on its socket, or has died (stop waiting).
vt_answers_or_died() {
	vt_alive "$1" || return 0
	vt_ctl "$1" status >/dev/null 2>&1
}

vt_start() {
	local s=$1 conf=${2:-$(vt_conf "$1")} ns pid
	ns=$(vt_ns "$s")
	[ -z "${VT_PID[$s]:-}" ] || fail "vt_start $s: already running"
	local fresh=()
	vt_wants_fresh "$conf" && fresh=(-R)
	echo "=== start $(date -u +%T.%N) ${fresh[*]} ===" >>"$(vt_log "$s")"
	ip netns exec "$ns" "$VPNTUND_BUILD/vpntund" -f "${fresh[@]}" -c "$conf" \
	    >>"$(vt_log "$s")" 2>&1 </dev/null &
	pid=$!
	VT_PID[$s]=$pid
	wait_until 15 vt_answers_or_died "$s" ||
		fail "vpntund for $s: control socket $(vt_sock "$s") does not answer after 15 s"
	if ! vt_alive "$s"; then
		local rc=0
		wait "$pid" || rc=$?
		unset "VT_PID[$s]"
		fail "vpntund for $s exited with status $rc during start-up"
	fi
	vt_log_msg "started $s (pid $pid)"
	# Derived keying: nothing crosses until the two ends have told each
	# other their epochs (site.conf(5) KEYING AND RESTARTS).
	[ "${VT_NO_SYNC_WAIT:-0}" = 1 ] || wait_until 10 vt_synced "$s" ||
		fail "vpntund for $s: not synchronised with its running peers after 10 s"
}

# vt_wants_fresh CONF: whether vt_start passes -R. A manual SA without
# marks in the state file stops the start unless -R (site.conf(5) KEYING
# AND RESTARTS); a test's first start of such a site has none to give.
vt_wants_fresh() {
	local sf
	[ "${VT_FRESH:-0}" = 1 ] && return 0
	[ "${VT_NO_FRESH:-0}" = 1 ] && return 1
	grep -Eq '^[[:space:]]*keying[[:space:]]+manual' "$1" || return 1
	sf=$(sed -n 's/^[[:space:]]*state-file[[:space:]]*"\(.*\)"[[:space:]]*$/\1/p' "$1" | tail -n 1)
	[ -n "$sf" ] || return 1
	[ ! -e "$sf" ]
}

# The peer name a site has in the other sites' configs (vt_write_configs).
vt_peer_name() { if [ "$1" = c ]; then echo central; else echo "$1"; fi; }
vt_peer_site() { if [ "$1" = central ]; then echo c; else echo "$1"; fi; }

# True when SITE and every running site it has a derived peer for have
# synchronised both ways.
vt_synced() {
	local s=$1 t json names
	json=$(vt_status "$s" 2>/dev/null) || return 1
	names=$($VT_PY -c '
import json, sys
d = json.loads(sys.stdin.read())
print(" ".join(p["name"] for p in d["peers"] if p.get("keying") == "derived"))
' <<<"$json") || return 1
	for t in $names; do
		t=$(vt_peer_site "$t")
		[ -n "${VT_PID[$t]:-}" ] || continue
		vt_sync_one "$s" "$(vt_peer_name "$t")" || return 1
		vt_sync_one "$t" "$(vt_peer_name "$s")" || return 1
	done
}

vt_sync_one() { # SITE PEER: both directions of SITE's SAs with PEER ready
	local json
	json=$(vt_status "$1" 2>/dev/null) || return 1
	$VT_PY -c '
import json, sys
d = json.loads(sys.stdin.read())
p = [x for x in d["peers"] if x["name"] == sys.argv[1]]
sys.exit(0 if not p or (p[0]["sync"]["inbound"] and p[0]["sync"]["outbound"]) else 1)
' "$2" <<<"$json"
}

vt_stop() {
	local s=$1 pid rc ns
	pid=${VT_PID[$s]:?vt_stop: $s not running}
	ns=$(vt_ns "$s")
	kill -TERM "$pid"
	wait_until 10 vt_dead "$pid" || {
		fail "vpntund for $s did not exit within 10 s of SIGTERM"
	}
	rc=0
	wait "$pid" || rc=$?
	unset "VT_PID[$s]"
	[ "$rc" -eq 0 ] || fail "vpntund for $s exited with status $rc after SIGTERM"
	vt_log_clean "$s"
	if ip -n "$ns" link show "$VT_TUN" >/dev/null 2>&1; then
		fail "vpntund for $s left its tun device $VT_TUN behind"
	fi
	vt_log_msg "stopped $s"
}

# The sanitizers, the seccomp filter and the daemon's own invariant checks
# report in the log.
vt_log_clean() {
	local bad
	bad=$(grep -E "AddressSanitizer|LeakSanitizer|runtime error:|refused by the sandbox|outside its sandbox" "$(vt_log "$1")" | head -n 5) || true
	[ -z "$bad" ] || fail "vpntund for $1 reported: $bad"
}

vt_dead() { ! kill -0 "$1" 2>/dev/null; }

# vt_packet_pid SITE: the process that handles the site's packets: with a
# user (site.conf `user`, VT_USER), the daemon's child running as that
# user; without, the daemon itself.
vt_packet_pid() {
	local pid=${VT_PID[$1]:?vt_packet_pid: $1 not running} c
	if [ -n "$VT_USER" ]; then
		for c in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
			if [ "$(stat -c %u /proc/"$c" 2>/dev/null)" = "$(id -u "$VT_USER")" ]; then
				echo "$c"
				return 0
			fi
		done
	fi
	echo "$pid"
}

# vt_crash SITE: SIGKILL to the daemon, as a crash; returns once it and
# its packet process (which dies with it) are gone, like a supervisor
# that waits for the whole service before starting it again.
vt_crash() {
	local pid=${VT_PID[$1]:?vt_crash: $1 not running} child
	child=$(vt_packet_pid "$1")
	kill -KILL "$pid"
	wait_until 10 vt_dead "$pid" || fail "$1 survived SIGKILL"
	wait "$pid" 2>/dev/null || true
	wait_until 10 vt_dead "$child" || fail "$1's packet process $child outlived its parent"
	unset "VT_PID[$1]"
}

vt_restart() {
	vt_stop "$1"
	vt_start "$@"
}

vt_status() {
	vt_ctl "$1" status --json
}

vt_counter() {
	local json
	json=$(vt_status "$1") || fail "vt_counter: status of $1 failed"
	$VT_PY -c '
import json, sys
d = json.loads(sys.stdin.read())
v = eval(sys.argv[1])
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)
' "$2" <<<"$json" || fail "vt_counter $1 '$2': cannot evaluate on: $json"
}

# vt_peer SITE PEER EXPR: EXPR over p, the peer's object (peers may be a
# list of objects with "name" or an object keyed by name).
vt_peer() {
	local json
	json=$(vt_status "$1") || fail "vt_peer: status of $1 failed"
	$VT_PY -c '
import json, sys
d = json.loads(sys.stdin.read())
peers = d["peers"]
if isinstance(peers, dict):
    p = peers[sys.argv[1]]
else:
    p = [x for x in peers if x.get("name") == sys.argv[1]][0]
v = eval(sys.argv[2])
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)
' "$2" "$3" <<<"$json" || fail "vt_peer $1 $2 '$3': cannot evaluate on: $json"
}

# vt_class SITE CLASS FIELD: a field of a qos class in SITE's status JSON
# (packets, drops, qlen, ...).
vt_class() {
	vt_counter "$1" "[c for c in d['qos']['classes'] if c['name'] == '$2'][0]['$3']"
}

vt_peer_counter() {
	local expr=p f
	local IFS=.
	for f in $3; do
		expr+="[\"$f\"]"
	done
	vt_peer "$1" "$2" "$expr"
}

# --- traffic ----------------------------------------------------------------

vt_bg() {
	local name=$1
	shift
	"$@" >"$VT_TMP/$name.out" 2>&1 </dev/null &
	VT_BG_PID=$!
	VT_BG_PIDS+=("$VT_BG_PID")
}

# vt_ping NS DST [COUNT]: echo requests with a data pattern; ping itself
# compares the echoed data with the pattern and reports "wrong data byte".
vt_ping() {
	local ns=$1 dst=$2 count=${3:-3} out
	out=$(ip netns exec "$(vt_ns "$ns")" ping -n -c "$count" -i 0.2 -W 2 \
	    -p "${VT_PING_PATTERN:-c0ffee0ddba11}" "${@:4}" "$dst" 2>&1) || true
	if ! grep -q " 0% packet loss" <<<"$out" || grep -qi "wrong data" <<<"$out"; then
		fail "ping $ns -> $dst: $(tail -n 3 <<<"$out" | tr '\n' ' ')"
	fi
}

# Quiet single try, for polling.
vt_ping1() {
	ip netns exec "$(vt_ns "$1")" ping -n -c 1 -W "${3:-1}" "$2" >/dev/null 2>&1
}

vt_ping_fails() {
	local ns=$1 dst=$2 out
	out=$(ip netns exec "$(vt_ns "$ns")" ping -n -c 2 -i 0.2 -W 1 "${@:3}" "$dst" 2>&1) || true
	if grep -q " 0 received" <<<"$out"; then
		return 0
	fi
	fail "ping $ns -> $dst should fail but: $(tail -n 2 <<<"$out" | tr '\n' ' ')"
}

# vt_tcp_xfer SRC_NS DST_NS DST_ADDR [BYTES [PORT]]: random file, sha256
# compared. Give distinct PORTs to transfers run in parallel (&).
VT_TCP_PORT=5001
vt_tcp_xfer() {
	local src=$1 dst=$2 addr=$3 bytes=${4:-1048576} in out port
	port=${5:-$VT_TCP_PORT}
	VT_TCP_PORT=$((port + 1))
	in=$VT_TMP/xfer-$port.in out=$VT_TMP/xfer-$port.rx
	head -c "$bytes" /dev/urandom >"$in"
	vt_bg "tcpserve-$port" ip netns exec "$(vt_ns "$dst")" \
	    "$VT_PY" "$VT_DIR/tcpxfer.py" serve "$port" "$out"
	local spid=$VT_BG_PID
	wait_until 10 test -e "$out.ready" || fail "tcp server on $dst:$port not ready"
	ip netns exec "$(vt_ns "$src")" timeout 60 \
	    "$VT_PY" "$VT_DIR/tcpxfer.py" send "$addr" "$port" "$in" \
	    >"$VT_TMP/tcpsend-$port.out" 2>&1 ||
		fail "tcp send $src -> $addr:$port failed: $(tail -n 3 "$VT_TMP/tcpsend-$port.out")"
	wait_until 30 vt_dead "$spid" || fail "tcp server $dst:$port did not finish"
	wait "$spid" || fail "tcp server $dst:$port failed: $(tail -n 3 "$VT_TMP/tcpserve-$port.out")"
	local h1 h2
	h1=$(sha256sum <"$in" | cut -d' ' -f1)
	h2=$(sha256sum <"$out" | cut -d' ' -f1)
	assert_eq "$h2" "$h1" "sha256 of $bytes bytes over TCP $src -> $addr"
	vt_log_msg "tcp $src -> $addr: $bytes bytes, sha256 ok"
}

vt_udp_listen() { # NS PORT FILE
	vt_bg "udprecv-$2" ip netns exec "$(vt_ns "$1")" \
	    "$VT_PY" "$VT_DIR/pkt.py" udprecv "$2" "$3"
	wait_until 10 test -e "$3.ready" || fail "udp listener $1:$2 not ready"
}

vt_udp_send() { # NS HOST PORT TEXT [COUNT [PADLEN [SRCADDR [TOS]]]]
	ip netns exec "$(vt_ns "$1")" "$VT_PY" "$VT_DIR/pkt.py" udpsend "$2" "$3" "$4" "${5:-1}" "${6:-0}" "${@:7}" ||
		fail "udp send from $1 to $2:$3 failed"
}

vt_lines() { # FILE [PATTERN]: number of lines (matching)
	if [ ! -e "$1" ]; then
		echo 0
	elif [ -n "${2:-}" ]; then
		grep -c -- "$2" "$1" || true
	else
		wc -l <"$1"
	fi
}

vt_capture_start() { # NS IFACE SRC DST MINLEN FILE [KIND [COUNT]]
	rm -f "$6" "$6.ready"
	vt_bg "capture-$(basename "$6")" ip netns exec "$(vt_ns "$1")" \
	    "$VT_PY" "$VT_DIR/pkt.py" capture "$2" "$3" "$4" "$5" "$6" 30 "${7:-esp}" "${8:-1}"
	VT_CAPTURE_PID=$VT_BG_PID
	wait_until 10 test -e "$6.ready" || fail "capture on $1/$2 not ready"
}

vt_capture_wait() { # FILE
	wait_until 20 vt_dead "$VT_CAPTURE_PID" || fail "capture: nothing captured in 20 s"
	wait "$VT_CAPTURE_PID" || fail "capture failed: $(cat "$VT_TMP/capture-$(basename "$1").out")"
	[ -s "$1" ] || fail "capture: empty $1"
}

vt_inject() { # NS FILE [COUNT]
	ip netns exec "$(vt_ns "$1")" "$VT_PY" "$VT_DIR/pkt.py" inject "$2" ${3:+"$3"} >/dev/null ||
		fail "inject $2 from $1 failed"
}

# vt_key_block FILE N: hex of key block N of a vpntund key file (1 =
# central -> remote, 2 = back), for tools given keys by hand (tshark).
vt_key_block() {
	"$VT_PY" - "$1" "$2" <<'EOF'
import re, sys
hx = re.sub(r"\s+", "", "".join(l.split("#")[0] for l in open(sys.argv[1])))
half = len(hx) // 2
print(hx[:half] if sys.argv[2] == "1" else hx[half:])
EOF
}

vt_espinfo() {
	"$VT_PY" "$VT_DIR/pkt.py" espinfo "$1"
}

vt_cut() { # ADDR: forwarded packets to ADDR are dropped by the "internet"
	ip -n "$(vt_ns inet)" route add blackhole "$1" || fail "vt_cut $1"
}
vt_uncut() {
	ip -n "$(vt_ns inet)" route del blackhole "$1" || fail "vt_uncut $1"
}

# vt_sa SITE PEER in|out FIELD: the main SA's FIELD (dotted, e.g.
# drops.lifetime) in that direction.
vt_sa() {
	local expr="[s for s in p['sas'] if s['kind'] == 'main' and s['dir'] == '$3'][0]" f
	local IFS=.
	for f in $4; do
		expr+="['$f']"
	done
	vt_peer "$1" "$2" "$expr"
}

vt_tamper() { # IN OUT SEQ [SRC]
	"$VT_PY" "$VT_DIR/pkt.py" tamper "$@" || fail "tamper $1"
}

vt_settos() {
	"$VT_PY" "$VT_DIR/pkt.py" settos "$1" "$2" "$3" || fail "settos $1"
}

# --- tap devices and bridged frames ----------------------------------

VT_TAP=vtap0
declare -A VT_TAPCAP_PID=()

vt_quiet_new_devs() {
	local s
	for s in "$@"; do
		ip netns exec "$(vt_ns "$s")" sysctl -qw \
		    net.ipv6.conf.default.addr_gen_mode=1 \
		    net.ipv6.conf.default.forwarding=0 >/dev/null
	done
}

vt_frame() {
	"$VT_PY" "$VT_DIR/ipxframes.py" "$@" || fail "ipxframes.py $*"
}

vt_tap_send() { # SITE HEX...
	local s=$1
	shift
	ip netns exec "$(vt_ns "$s")" "$VT_PY" "$VT_DIR/ipxframes.py" send "$VT_TAP" "$@" ||
		fail "sending $# frame(s) on $s's $VT_TAP failed"
}

vt_tap_capture() { # SITE FILE
	rm -f "$2" "$2.ready" "$2.pcap"
	vt_bg "tapcap-$(basename "$2")" ip netns exec "$(vt_ns "$1")" \
	    "$VT_PY" "$VT_DIR/ipxframes.py" capture "$VT_TAP" "$2"
	VT_TAPCAP_PID[$2]=$VT_BG_PID
	wait_until 10 test -e "$2.ready" ||
		fail "capture on $1's $VT_TAP not ready: $(cat "$VT_TMP/tapcap-$(basename "$2").out")"
}

vt_tap_capture_stop() { # FILE
	local pid=${VT_TAPCAP_PID[$1]:?vt_tap_capture_stop: no capture into $1}
	kill -TERM "$pid" 2>/dev/null || true
	wait_until 5 vt_dead "$pid" || kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	unset "VT_TAPCAP_PID[$1]"
}

vt_frames_in() { # FILE HEX
	[ -e "$1" ] || { echo 0; return 0; }
	grep -cxF "in $2" "$1" || true
}

# --- the bridging star --------------------------------------------------------

# shellcheck disable=SC2034 # used by the tests and through eval
VT_BR_A=02:00:00:00:01:0a VT_BR_B=02:00:00:00:02:0b VT_BR_C=02:00:00:00:00:0c
# shellcheck disable=SC2034
VT_BR_U=02:00:00:00:09:09 VT_BR_BC=ff:ff:ff:ff:ff:ff
declare -A VT_BR_EXP=()
VT_BR_NBAR=0
# shellcheck disable=SC2034 # used through eval
VT_BR_SENT_c=() VT_BR_SENT_r1=() VT_BR_SENT_r2=()

vt_br_frame() {
	local _fv=$1 _fk=$2 _fh
	shift 2
	if [ "$_fk" = ipx ]; then
		_fh=$(vt_frame ipx "$@" --meta "$VT_TMP/meta")
	else
		_fh=$(vt_frame other "$@")
	fi
	printf -v "$_fv" '%s' "$_fh"
}

vt_br_len() { echo $((${#1} / 2)); }

vt_br_send() {
	local s=$1 h
	shift
	vt_tap_send "$s" "$@"
	for h in "$@"; do
		eval "VT_BR_SENT_$s+=(\"\$h\")"
	done
}

vt_br_led() { VT_BR_EXP[$1]=$((${VT_BR_EXP[$1]:-0} + $2)); }
vt_br_pname() { if [ "$1" = c ]; then echo "$2"; else echo central; fi; }

vt_br_hop() { # X Y HEX
	local len px py
	len=$(vt_br_len "$3") px=$(vt_br_pname "$1" "$2") py=$(vt_br_pname "$2" "$1")
	vt_br_led "$1/$px/frames_out" 1
	vt_br_led "$1/$px/bytes_out" "$len"
	vt_br_led "$2/$py/frames_in" 1
	vt_br_led "$2/$py/bytes_in" "$len"
}

vt_br_flood() { # SITE HEX
	case $1 in
	r1) vt_br_hop r1 c "$2"; vt_br_hop c r2 "$2" ;;
	r2) vt_br_hop r2 c "$2"; vt_br_hop c r1 "$2" ;;
	c) vt_br_hop c r1 "$2"; vt_br_hop c r2 "$2" ;;
	esac
}

vt_br_ledger_diff() {
	local s k j args=()
	for s in c r1 r2; do
		j=$(vt_status "$s") || { echo "status of $s failed"; return 1; }
		args+=("$s=$j")
	done
	for k in "${!VT_BR_EXP[@]}"; do
		args+=("$k:${VT_BR_EXP[$k]}")
	done
	"$VT_PY" - "${args[@]}" <<'EOF'
import json, sys
st, exp = {}, {}
for a in sys.argv[1:]:
    if "=" in a.split(":")[0]:
        s, j = a.split("=", 1)
        st[s] = json.loads(j)
    else:
        k, v = a.rsplit(":", 1)
        exp[k] = int(v)
got = {}
for s, d in st.items():
    for r, v in d["bridge"]["drops"].items():
        got["%s/-/drops.%s" % (s, r)] = v
    for p in d["peers"]:
        b = p["bridge"]
        for f in ("frames_in", "bytes_in", "frames_out", "bytes_out"):
            got["%s/%s/%s" % (s, p["name"], f)] = b[f]
        for r, v in b["drops"].items():
            got["%s/%s/drops.%s" % (s, p["name"], r)] = v
bad = ["%s: %s, expected %s" % (k, got.get(k), exp.get(k, 0))
       for k in sorted(set(got) | set(exp)) if got.get(k) != exp.get(k, 0)]
print("; ".join(bad))
EOF
}

# True when every counter is as the ledger says (the status is
# read afresh each time).
vt_br_ledger_ok() {
	local d
	d=$(vt_br_ledger_diff 2>&1) && [ -z "$d" ]
}

vt_br_check_ledger() {
	local d
	wait_until 10 vt_br_ledger_ok || {
		d=$(vt_br_ledger_diff 2>&1) || true
		fail "$1: bridge counters differ from what was sent: $d"
	}
	vt_log_msg "$1: all bridge counters as sent"
}

vt_br_arrived() { [ "$(vt_frames_in "$1" "$2")" -ge "$3" ]; }

vt_br_expect_at() { # HEX WHAT SITE...
	local hex=$1 what=$2 s
	shift 2
	for s in "$@"; do
		wait_until 10 vt_br_arrived "$VT_TMP/cap_$s" "$hex" 1 ||
			fail "$what: not received on $s's tap (frame ${hex:0:60}..., $(vt_br_len "$hex") bytes)"
	done
	for s in "$@"; do
		assert_eq "$(vt_frames_in "$VT_TMP/cap_$s" "$hex")" 1 "$what: times received on $s's tap"
	done
}

vt_br_never_at() { # HEX WHAT SITE...
	local hex=$1 what=$2 s
	shift 2
	for s in "$@"; do
		assert_eq "$(vt_frames_in "$VT_TMP/cap_$s" "$hex")" 0 "$what: times received on $s's tap"
	done
}

vt_br_barrier() { # FROM TO...
	local from=$1 hex mac
	shift
	VT_BR_NBAR=$((VT_BR_NBAR + 1))
	case $from in r1) mac=$VT_BR_A ;; r2) mac=$VT_BR_B ;; c) mac=$VT_BR_C ;; esac
	vt_br_frame hex ipx ethii "$mac" "$VT_BR_BC" 64 "BARRIER-$VT_BR_NBAR"
	vt_br_send "$from" "$hex"
	vt_br_flood "$from" "$hex"
	vt_br_expect_at "$hex" "barrier $VT_BR_NBAR from $from" "$@"
}

vt_br_no_echo() { # SITE...: captures cap_SITE and cap_SITE.N (earlier runs)
	local s f cf list
	for s in "$@"; do
		eval "list=(\"\${VT_BR_SENT_${s}[@]}\")"
		for f in "${list[@]}"; do
			for cf in "$VT_TMP/cap_$s" "$VT_TMP/cap_$s".[0-9]*; do
				[ -e "$cf" ] || continue
				[[ $cf == *.pcap ]] && continue
				assert_eq "$(vt_frames_in "$cf" "$f")" 0 \
				    "frame ${f:0:40}... sent on $s's tap, received back on it ($(basename "$cf"))"
			done
		done
	done
}

vt_br_tshark_check() { # SITE MIN (the capture stopped)
	local s=$1 res
	tshark -r "$VT_TMP/cap_$s.pcap" -T fields -E separator='|' \
	    -e frame.number -e frame.protocols -e llc.dsap -e llc.type \
	    -e ipx.src.socket -e ipx.dst.socket -e ipx.dst.net -e ipx.packet_type \
	    -e ipx.len >"$VT_TMP/tshark_$s" 2>"$VT_TMP/tshark_$s.err" ||
		fail "tshark on $s's capture: $(head -n 3 "$VT_TMP/tshark_$s.err")"
	res=$("$VT_PY" - "$VT_TMP/cap_$s" "$VT_TMP/tshark_$s" "$VT_TMP/meta" <<'EOF'
import sys
cap, tsh, meta = sys.argv[1:4]
want = {}
for l in open(meta):
    h, kind, vlan, ssock, dsock, dnet, ptype, ilen = l.split()
    want[h] = (kind, vlan == "1", ssock, dsock, dnet, ptype, ilen)
frames = [l.split()[1] for l in open(cap) if l.startswith("in ")]
rows = [l.rstrip("\n").split("|") for l in open(tsh) if l.strip()]
if len(rows) != len(frames):
    sys.exit("tshark read %d frames, the capture has %d" % (len(rows), len(frames)))
n = 0
for r, h in zip(rows, frames):
    if h not in want:
        continue
    num, protos, dsap, ltype, ss, ds, dnet, pt, ilen = r
    kind, vlan, *fields = want[h]
    pl = [p for p in protos.split(":") if p not in ("ethertype", "vlan")]
    exp_pl = {"ethii": ["eth", "ipx"], "raw": ["eth", "ipx"],
              "llc": ["eth", "llc", "ipx"], "snap": ["eth", "llc", "ipx"]}[kind]
    why = []
    if pl[:len(exp_pl)] != exp_pl:
        why.append("protocols %s, expected %s..." % (protos, ":".join(exp_pl)))
    if ("vlan" in protos.split(":")) != vlan:
        why.append("802.1Q tag %s" % protos)
    if kind == "llc" and dsap != "0xe0":
        why.append("LLC DSAP %s" % dsap)
    if kind == "snap" and (dsap != "0xaa" or ltype != "0x8137"):
        why.append("SNAP DSAP %s type %s" % (dsap, ltype))
    if [ss, ds, dnet, pt, ilen] != fields:
        why.append("ipx src/dst socket, dst net, type, length %s, expected %s"
                   % ([ss, ds, dnet, pt, ilen], fields))
    if why:
        sys.exit("frame %s (%s): %s" % (num, kind, "; ".join(why)))
    n += 1
print(n)
EOF
	) || fail "tshark on $s's tap: $res"
	assert_ge "$res" "$2" "IPX frames tshark dissected on $s's tap"
	vt_log_msg "tshark: $res IPX frames on $s's tap dissected in the framing sent"
}

#!/usr/bin/env bash
# Restarts, in every way a router can go down, with derived keying (the
# default): the central, the remote or both, by SIGTERM and SIGKILL, with
# the files vpntund keeps (<state-file>.peers; derived keying has no
# sequence state) kept, deleted, or replaced by a copy from the start of
# the run. For each case:
#   - traffic crosses both ways again, and the time from the restart to
#     that (the recovery) is measured;
#   - every ESP packet captured before the restart is sent again to the
#     router it was for, and none of the datagrams it carried is
#     delivered a second time (the receivers log every datagram);
# and at the end espcheck.py, with keys it derives itself from the key
# file and the epochs the statuses show, checks that no (key, IV) pair
# and no (key, sequence number) was ever sent twice, on both routers'
# outbound captures. Arguments: SUITE ESN (0 or 1); MATRIX_ONLY=REGEX
# runs only the cases whose name (side-signal-files) matches.
set -u
. "$(dirname "$0")/lib.sh"

SUITE=${1:-aes-gcm}
ESN=${2:-0}
vt_init "matrix-${SUITE//[^a-z0-9]/}-$ESN"
command -v dumpcap >/dev/null || vt_skip "no dumpcap"
vt_topology
if [ "$ESN" = 1 ]; then
	VT_EXTRA_PEER_c_r1="	esn yes"
	VT_EXTRA_PEER_r1="	esn yes"
fi
vt_write_configs udp v4 "$SUITE"
vt_start c
vt_start r1

mkdir -p "$VT_TMP/st"
snaps=0
snap() { # SITE: the status as espcheck.py reads it
	vt_status "$1" >"$VT_TMP/st/$snaps-$1.json" || fail "status of $1"
	snaps=$((snaps + 1))
}
snap c
snap r1

# Each router's outbound ESP, captured on its own side: packets we send
# again later enter from the router in between and are not captured.
for s in c r1; do
	case $s in c) a=198.18.0.1 ;; r1) a=198.18.1.2 ;; esac
	vt_bg "dumpcap-$s" ip netns exec "$(vt_ns "$s")" dumpcap -q -i wan0 \
	    -P -f "src host $a and udp port 4500" -w "$VT_TMP/$s.pcap"
	eval "cap_$s=\$VT_BG_PID"
	wait_until 10 test -s "$VT_TMP/$s.pcap" || fail "dumpcap on $s"
done

# The receivers: lc behind the central hears l1 behind r1, and back.
vt_udp_listen lc 7000 "$VT_TMP/at_lc"
vt_udp_listen l1 7000 "$VT_TMP/at_l1"
UP_DST=172.16.0.10
DOWN_DST=10.2.1.10

# The control channel's SPIs (from the config: they never change).
ctl="$(vt_peer c r1 'p["sync"]["spi_in"]'),$(vt_peer c r1 'p["sync"]["spi_out"]')"

# The copy "older" cases put back: taken now, before any restart.
cp -a "$VT_TMP/c.state.peers" "$VT_TMP/c.state.peers.orig" 2>/dev/null ||
	fail "the central keeps no hint file for its dynamic peer"

# Every drop both routers counted, of every reason: packets, site and SA.
drops() {
	local s total=0 n
	for s in c r1; do
		n=$(vt_counter "$s" 'sum(d["drops"].values()) + sum(sum(p["drops"].values()) + sum(sum(a.get("drops", {}).values()) for a in p["sas"]) for p in d["peers"])')
		total=$((total + n))
	done
	echo "$total"
}

send_both() { # TAG COUNT: COUNT datagrams each way, all delivered
	vt_udp_send l1 "$UP_DST" 7000 "$1-up" "$2"
	vt_udp_send lc "$DOWN_DST" 7000 "$1-down" "$2"
	wait_until 10 test "$(vt_lines "$VT_TMP/at_lc" " $1-up ")" -ge "$2" ||
		fail "$1: $(vt_lines "$VT_TMP/at_lc" " $1-up ") of $2 datagrams r1 -> central"
	wait_until 10 test "$(vt_lines "$VT_TMP/at_l1" " $1-down ")" -ge "$2" ||
		fail "$1: $(vt_lines "$VT_TMP/at_l1" " $1-down ") of $2 datagrams central -> r1"
}

down() { # SITE SIG
	local pid=${VT_PID[$1]}
	if [ "$2" = TERM ]; then
		vt_stop "$1"
		return
	fi
	vt_crash "$1"
	vt_log_clean "$1"
}

files() { # SITE kept|deleted|older
	local f="$VT_TMP/$1.state" g
	for g in "$f" "$f.peers"; do
		case $2 in
		deleted) rm -f "$g" ;;
		older) [ "$g" != "$f.peers" ] || [ ! -e "$g.orig" ] || cp -a "$g.orig" "$g" ;;
		esac
	done
	if [ "$2" = older ] && [ "$1" = c ]; then
		cmp -s "$f.peers" "$f.peers.orig" || fail "older copy not in place"
	fi
}

printf '%-28s %10s %10s %8s\n' case recovery replayed control >"$VT_TMP/table"
k=0
for side in c r1 both; do
	for sig in TERM KILL; do
		for st in kept deleted older; do
			k=$((k + 1))
			name="$side-$sig-$st"
			# MATRIX_ONLY=REGEX runs only the cases whose name matches.
			[[ $name =~ ${MATRIX_ONLY:-.} ]] || continue
			send_both "k$k-pre" 5
			sites=$side
			[ "$side" = both ] && sites="c r1"
			for s in $sites; do down "$s" "$sig"; done
			for s in $sites; do files "$s" "$st"; done
			# Probes both ways from before the start: the recovery
			# ends when a datagram has crossed in each direction.
			t0=$(date +%s.%N)
			vt_bg "probe-up-$k" ip netns exec "$(vt_ns l1)" "$VT_PY" \
			    "$VT_DIR/matrix.py" probe "$UP_DST" 7000 "k$k-probe-up" \
			    "$VT_TMP/at_lc" 30
			pu=$VT_BG_PID
			vt_bg "probe-down-$k" ip netns exec "$(vt_ns lc)" "$VT_PY" \
			    "$VT_DIR/matrix.py" probe "$DOWN_DST" 7000 "k$k-probe-down" \
			    "$VT_TMP/at_l1" 30
			pd=$VT_BG_PID
			for s in $sites; do VT_NO_SYNC_WAIT=1 vt_start "$s"; done
			wait "$pu" || fail "$name: nothing crossed r1 -> central within 30 s"
			wait "$pd" || fail "$name: nothing crossed central -> r1 within 30 s"
			rec=$("$VT_PY" -c 'import sys; print("%.3f" % (max(float(open(f).read()) for f in sys.argv[2:]) - float(sys.argv[1])))' \
			    "$t0" "$VT_TMP/probe-up-$k.out" "$VT_TMP/probe-down-$k.out") ||
				fail "$name: probe times"
			for s in $sites; do snap "$s"; done
			send_both "k$k-post" 5
			# Everything captured before the restart, this case's and
			# the earlier ones', sent again from the router between.
			d0=$(drops)
			read -r n nctl < <(ip netns exec "$(vt_ns inet)" "$VT_PY" \
			    "$VT_DIR/matrix.py" replay "$t0" "$ctl" "$VT_TMP/c.pcap" \
			    "$VT_TMP/r1.pcap") || fail "$name: replay"
			# Behind a barrier, the replays have been dealt with.
			send_both "k$k-barrier" 1
			dup=$("$VT_PY" "$VT_DIR/matrix.py" dups "$VT_TMP/at_lc" "$VT_TMP/at_l1") ||
				fail "$name: delivered twice after $n replayed packets: $dup"
			# ... and each data packet was refused and counted (control
			# packets are never delivered: an old request is answered,
			# an old answer counted stale).
			d1=$(drops)
			assert_eq "$((d1 - d0))" "$n" "$name: drops counted for $n replayed packets"
			printf '%-28s %9ss %10s %8s\n' "$name" "$rec" "$n" "$nctl" >>"$VT_TMP/table"
			"$VT_PY" -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= 5 else 1)' "$rec" ||
				fail "$name: recovery took ${rec} s"
			vt_log_msg "$name: recovered in ${rec} s; $n data and $nctl control packets replayed, none delivered"
		done
	done
done

for s in c r1; do
	eval "pid=\$cap_$s"
	kill -INT "$pid"
	wait "$pid" 2>/dev/null || true
done
out=$("$VT_PY" "$VT_DIR/espcheck.py" "$SUITE" "$ESN" "$VT_TMP/r1.key" central,r1 \
    "$VT_TMP"/st/*.json -- "$VT_TMP/c.pcap" "$VT_TMP/r1.pcap") ||
	fail "espcheck: $out"
cat "$VT_TMP/table" >&2
vt_log_msg "$out"
vt_stop r1
vt_stop c

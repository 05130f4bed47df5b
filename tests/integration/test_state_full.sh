#!/usr/bin/env bash
# Manual keying and a full disk (site.conf(5) KEYING AND RESTARTS, manual;
# state-ahead): the central keeps its state file in a 64 KiB tmpfs. A
# manual SA without marks stops the start unless -R is given. With the
# tmpfs full, numbers beyond the reservation are refused (counted `state`
# on the SA and the peer), the writer's failure is logged a handful of
# times however many packets wait, and the status shows the error; once
# there is room again the writer catches up, traffic flows and the file
# holds marks above every number sent and received.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib_live.sh"
set -u
vt_init state_full
vt_topology v4
VT_LOG_LEVEL=info
VT_SITES=(c r1)
ahead=1024
mnt=$VT_TMP/st
mkdir -m 700 "$mnt"
mount -t tmpfs -o size=64k,mode=0700 vtl-state "$mnt" || vt_skip "cannot mount a tmpfs"
# The packet process writes the state file as the test's user.
[ -z "$VT_USER" ] || chown "$VT_USER" "$mnt"
# Lazily: the central may still hold the directory when this runs.
vtl_at_exit "umount -l '$mnt'"
VT_EXTRA_SITE_c=$'\tstate-ahead '$ahead
VT_EXTRA_SITE_r1=$'\tstate-ahead '$ahead
VT_EXTRA_PEER_c_r1=$'\tkeying manual'
VT_EXTRA_PEER_r1=$'\tkeying manual'
vt_write_configs udp v4 aes-gcm
sed -i "s|state-file \"$VT_TMP/c.state\"|state-file \"$mnt/c.state\"|" "$(vt_conf c)"
grep -q "state-file \"$mnt/c.state\"" "$(vt_conf c)" || fail "could not move the central's state file"
state=$mnt/c.state
cline=$(grep -n '^peer "r1"' "$(vt_conf c)" | cut -d: -f1)
st() { vt_counter c "d['state_file']['$1']"; }
sa_out_state() { vtl_sa c r1 out drops | "$VT_PY" -c 'import json,sys; print(json.load(sys.stdin)["state"])'; }

# 1. without -R a manual SA without marks stops the start, naming the peer
#    at its line; nothing is written
vtl_run_fails c 20
assert_eq "$VTL_RC" 1 "exit status without -R and without a state file"
grep -Eq "^vpntund: warning: $(vt_conf c):$cline: peer \"r1\" \(keying manual\): the state file $state has no marks for its SA 0x[0-9a-f]{8}/0x[0-9a-f]{8}, so it cannot tell what it sent and received before; restore the file, or if the SAs are new on both ends start once with -R$" \
    <<<"$VTL_OUT" || fail "refusal without -R: $VTL_OUT"
grep -q "state file $state is missing" <<<"$VTL_OUT" || fail "no warning about the missing file: $VTL_OUT"
[ ! -e "$(vt_sock c)" ] || fail "a refused start left its control socket"
vt_log_msg "refused without -R in $VTL_MS ms"
if [ -e "$state" ]; then
	vtl_bug "a start refused for missing marks wrote $state on its way out ($(tr '\n' ' ' <"$state")): marks it never had"
	# What that file does: the next start without -R takes the refused
	# SA's marks as real, sends from 1 and accepts any number.
	rc=0
	ip netns exec "$(vt_ns c)" timeout 4 "$VPNTUND_BUILD/vpntund" -f -c "$(vt_conf c)" \
	    >"$VT_TMP/retry.out" 2>&1 </dev/null || rc=$?
	if [ "$rc" -eq 124 ]; then
		vtl_bug "so a second start without -R ran (killed after 4 s): the refusal is undone by retrying: $(tr '\n' ' ' <"$VT_TMP/retry.out")"
	else
		vt_log_msg "the second start without -R exited $rc: $(head -n 2 "$VT_TMP/retry.out")"
	fi
	rm -f "$state"
fi
# a file that holds marks, but none for this SA, is no better
printf '# vpntund state v2\nout 0x0000abcd 7\nin 0x0000abce 9\n' >"$state"
vtl_run_fails c 20
grep -q "$(vt_conf c):$cline: peer \"r1\" (keying manual): the state file $state has no marks" <<<"$VTL_OUT" ||
	fail "refusal with foreign marks only: $VTL_OUT"
[ "$(cat "$state")" = "$(printf '# vpntund state v2\nout 0x0000abcd 7\nin 0x0000abce 9')" ] ||
	vtl_bug "a start refused for missing marks rewrote $state: $(tr '\n' ' ' <"$state")"
rm -f "$state"

# 2. with -R both start afresh; traffic flows
vtl_start c -R
vtl_start r1 -R
grep -q "peer r1: SA 0x[0-9a-f]*/0x[0-9a-f]* starts afresh (-R)" "$(vt_log c)" || fail "the central did not log the fresh start"
vt_ping l1 172.16.0.10 3
spi_out=$(vt_peer c r1 'p["spi_out"]') spi_in=$(vt_peer c r1 'p["spi_in"]')
assert_eq "$(vtl_state_mark "$state" out "$spi_out")" "$ahead" "out mark after the start"
assert_eq "$(vtl_state_mark "$state" in "$spi_in")" "$ahead" "in mark after the start"
assert_eq "$(st entries)" 2 "state file entries"
w0=$(st writes) e0=$(st errors)
assert_eq "$e0" 0 "state file errors before the disk fills"

# 3. fill the tmpfs, then more traffic than one reservation covers: from
#    the central's LAN (its outbound SA) and to it (its inbound SA)
dd if=/dev/zero of="$mnt/fill" bs=4k 2>/dev/null || true
avail=$(df --output=avail -k "$mnt" | tail -n 1 | tr -d ' ')
assert_eq "$avail" 0 "KiB free in the tmpfs after filling it"
vt_udp_listen l1 7000 "$VT_TMP/udp.log"
sent_out=1500
vt_udp_send lc 10.2.1.10 7000 "full" "$sent_out" 64
wait_until 15 vt_cmp 'st errors' -ge 1 || fail "no write error counted: $(vt_counter c 'd["state_file"]')"
wait_until 10 vt_cmp sa_out_state -ge 400 ||
	fail "central: SA out drops.state $(sa_out_state), expected >= 400 of $sent_out"
got=$(vt_lines "$VT_TMP/udp.log" full)
vt_log_msg "disk full: $got of $sent_out datagrams lc -> l1 delivered, SA out drops.state $(sa_out_state)"
[ "$got" -le "$ahead" ] || fail "$got datagrams crossed, more than the $ahead numbers reserved"
assert_ge "$got" $((ahead - 64)) "datagrams that crossed within the reservation"
out_seq=$(vtl_sa c r1 out seq)
[ "$out_seq" -le "$ahead" ] || fail "central sent seq $out_seq above the durable mark $ahead"
# and inbound: r1's numbers pass the central's reservation too
vt_udp_listen lc 7001 "$VT_TMP/udp-in.log"
sent_in=2000
vt_udp_send l1 172.16.0.10 7001 "full" "$sent_in" 64
wait_until 10 vt_cmp 'vt_peer_counter c r1 drops.state' -ge 500 ||
	fail "central: peer drops.state $(vt_peer_counter c r1 drops.state), expected >= 500 of $sent_in"
got_in=$(vt_lines "$VT_TMP/udp-in.log" full)
vt_log_msg "disk full: $got_in of $sent_in datagrams l1 -> lc delivered, peer drops.state $(vt_peer_counter c r1 drops.state)"
[ "$got_in" -le "$ahead" ] || fail "$got_in datagrams came in, more than the $ahead numbers reserved"
in_top=$(vtl_sa c r1 in top)
[ "$in_top" -le "$ahead" ] || fail "central accepted seq $in_top above the durable in mark $ahead"
vt_alive c || fail "the central died with a full disk"
err=$(st error)
grep -q "No space left on device" <<<"$err" || fail "status error: '$err'"
e1=$(st errors)
assert_ge "$e1" 2 "state file errors while full"
assert_eq "$(st writes)" "$w0" "state file writes while full"
vt_log_msg "while full: errors $e1, error '$err', peer drops.state $(vt_peer_counter c r1 drops.state), SA out drops.state $(sa_out_state)"

# 4. room again: the writer catches up (its back-off is at most 30 s),
#    traffic flows, the file holds marks above everything sent
rm -f "$mnt/fill"
t0=$(vt_now_ms)
wait_until 40 vt_cmp 'st writes' -gt "$w0" || fail "no state file write 40 s after freeing space"
vt_log_msg "writer caught up $(vtl_ms_since "$t0") ms after space was freed"
wait_until 20 vt_ping1 l1 172.16.0.10 || fail "no ping through after the disk was freed"
vt_ping l1 172.16.0.10 5
vt_ping lc 10.2.1.10 5
vt_udp_send lc 10.2.1.10 7000 "again" 200 64
wait_until 10 vt_cmp 'vt_lines "$VT_TMP/udp.log" again' -ge 200 ||
	fail "after recovery: $(vt_lines "$VT_TMP/udp.log" again) of 200 datagrams lc -> l1"
wait_until 10 grep -q "state file $state written again after [0-9]* failed writes" "$(vt_log c)" ||
	fail "recovery not logged"
grep -q "peer r1: SA $spi_out: sending again after [0-9]* packets dropped for the state file" "$(vt_log c)" ||
	fail "the end of the outbound block not logged"
out_seq=$(vtl_sa c r1 out seq) in_top=$(vtl_sa c r1 in top)
assert_gt "$out_seq" "$ahead" "central out seq after recovery"
wait_until 10 vt_cmp "vtl_state_mark '$state' out $spi_out" -ge "$out_seq" ||
	fail "state file out mark $(vtl_state_mark "$state" out "$spi_out") below seq $out_seq sent"
wait_until 10 vt_cmp "vtl_state_mark '$state' in $spi_in" -ge "$in_top" ||
	fail "state file in mark $(vtl_state_mark "$state" in "$spi_in") below seq $in_top received"
vt_log_msg "after recovery: out seq $out_seq <= mark $(vtl_state_mark "$state" out "$spi_out"), in top $in_top <= mark $(vtl_state_mark "$state" in "$spi_in")"
e2=$(st errors)

# 5. the log: the failure a handful of times for the whole run, not per
#    packet; the blocks once each way
nerr=$(vtl_log_count c "state file: cannot .*No space left on device")
nout=$(vtl_log_count c "the state file has not reserved sequence number")
nin=$(vtl_log_count c "is not yet durable in the state file")
nall=$(vtl_log_count c "state file")
vt_log_msg "log: $nerr write-error lines for $e2 failed writes, $nout outbound and $nin inbound block lines, $nall lines naming the state file"
[ "$nerr" -ge 1 ] && [ "$nerr" -le 6 ] || fail "$nerr write-error lines for $e2 failed writes"
[ "$nout" -ge 1 ] && [ "$nout" -le 4 ] || fail "$nout 'not reserved' lines"
[ "$nin" -ge 1 ] && [ "$nin" -le 4 ] || fail "$nin 'not yet durable' lines"
[ "$nall" -le 30 ] || fail "$nall log lines about the state file"

# 6. a clean stop writes the exact marks, not the reservation; a start
#    without -R takes them
s1=$(vtl_sa c r1 out seq)
vt_stop c
out_last=$(vtl_state_mark "$state" out "$spi_out")
# a keepalive may leave between the status and the SIGTERM
[ "$out_last" -ge "$s1" ] && [ "$out_last" -le $((s1 + 2)) ] ||
	fail "out mark $out_last after a clean stop, the last number sent was $s1"
fresh=$(vtl_log_count c "starts afresh")
vtl_start c
assert_eq "$(vtl_log_count c "starts afresh")" "$fresh" "SAs started afresh without -R"
wait_until 10 vt_ping1 l1 172.16.0.10 || fail "no ping through after the restart"
vt_ping l1 172.16.0.10 3
assert_gt "$(vtl_sa c r1 out seq)" "$out_last" "out seq after the restart"
vt_stop r1
vt_stop c
echo "state full: $got of $sent_out datagrams out and $got_in of $sent_in in crossed while full; $e2 failed writes, $nerr logged"
vtl_done

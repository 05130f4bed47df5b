#!/usr/bin/env bash
# Clean start and stop: the up hook runs once the tun device, its addresses
# and routes exist, with the documented environment; after SIGTERM (and
# SIGINT) the down hook runs, the routes, the tun device and the control
# socket are gone and the exit status is 0; a route the daemon did not add
# is left alone. What a stop leaves on disk: nothing for derived keying
# (r1), the exact marks in the state file for manual keying (r2), and the
# dynamic peers' last endpoints in the central's <state-file>.peers.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init teardown
vt_topology v4

# The hook records its environment (it gets a clean one) and what the
# kernel shows at that moment.
cat >"$VT_TMP/hook.sh" <<HOOK
#!/bin/sh
out=$VT_TMP/hook-\$VPNTUND_SITE-\$VPNTUND_EVENT
env | grep '^VPNTUND_' | sort >"\$out.env"
env | grep -v '^VPNTUND_' | grep -v '^PWD=' | grep -v '^SHLVL=' | grep -v '^_=' | sort >"\$out.other"
ip -o link show dev "\$VPNTUND_TUN" >"\$out.link" 2>&1
ip route show dev "\$VPNTUND_TUN" >"\$out.routes" 2>&1
ip -6 route show dev "\$VPNTUND_TUN" >>"\$out.routes" 2>&1
echo ran >>"$VT_TMP/hook-\$VPNTUND_SITE-\$VPNTUND_EVENT.count"
HOOK
chmod 755 "$VT_TMP/hook.sh"
VT_EXTRA_SITE_r1=$(printf '\tup "%s"\n\tdown "%s"' "$VT_TMP/hook.sh" "$VT_TMP/hook.sh")
VT_EXTRA_PEER_c_r2=$'\tkeying manual' VT_EXTRA_PEER_r2=$'\tkeying manual'
vt_write_configs udp v4 aes-gcm
vt_start c
vt_start r1
vt_ping l1 172.16.0.10 3
r1=$(vt_ns r1)

# --- up hook
route_of() { # NS PREFIX [ARGS...]: `ip route show` of that family
	local fam=-4
	[[ $2 == *:* ]] && fam=-6
	ip -n "$1" "$fam" route show "${@:2}"
}
env_of() { sed -n "s/^$2=//p" "$VT_TMP/hook-r1-$1.env"; }
wait_until 10 test -s "$VT_TMP/hook-r1-up.env" || fail "up hook did not run"
assert_eq "$(env_of up VPNTUND_EVENT)" up "up hook: VPNTUND_EVENT"
assert_eq "$(env_of up VPNTUND_SITE)" r1 "up hook: VPNTUND_SITE"
assert_eq "$(env_of up VPNTUND_TUN)" "$VT_TUN" "up hook: VPNTUND_TUN"
mtu=$(ip -n "$r1" -o link show dev "$VT_TUN" | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
assert_eq "$(env_of up VPNTUND_MTU)" "$mtu" "up hook: VPNTUND_MTU = the tun's MTU"
assert_eq "$(vt_counter r1 'd["mtu"]')" "$mtu" "status mtu = the tun's MTU"
for a in 10.1.1.1/24 fd00:1:1::1/64; do
	grep -qw -- "$a" <<<" $(env_of up VPNTUND_ADDRESSES) " || fail "up hook: VPNTUND_ADDRESSES lacks $a: $(env_of up VPNTUND_ADDRESSES)"
done
routes="10.1.0.0/24 fd00:1::/64 172.16.0.0/24 fd00:172:16::/64"
for r in $routes; do
	grep -q -- " $r " <<<" $(env_of up VPNTUND_ROUTES) " || fail "up hook: VPNTUND_ROUTES lacks $r: $(env_of up VPNTUND_ROUTES)"
	grep -q "^${r%/*}" "$VT_TMP/hook-r1-up.routes" || fail "route $r was not there when the up hook ran"
	[ -n "$(route_of "$r1" "$r" dev "$VT_TUN")" ] || fail "route $r dev $VT_TUN missing"
done
grep -q "UP" "$VT_TMP/hook-r1-up.link" || fail "tun not up when the up hook ran: $(cat "$VT_TMP/hook-r1-up.link")"
assert_eq "$(sed -n 's/^PATH=//p' "$VT_TMP/hook-r1-up.other")" /usr/sbin:/usr/bin:/sbin:/bin "hook PATH"
if grep -qv '^PATH=' "$VT_TMP/hook-r1-up.other"; then
	fail "hook environment is not clean: $(grep -v '^PATH=' "$VT_TMP/hook-r1-up.other" | tr '\n' ' ')"
fi
assert_eq "$(vt_lines "$VT_TMP/hook-r1-up.count")" 1 "up hook runs"
[ ! -e "$VT_TMP/hook-r1-down.env" ] || fail "down hook ran while up"

# --- SIGHUP is logged and ignored (vpntund(8))
kill -HUP "${VT_PID[r1]}"
wait_until 10 grep -q "SIGHUP" "$(vt_log r1)" || fail "r1 did not log SIGHUP"
vt_alive r1 || fail "r1 died of SIGHUP"
vt_ping l1 172.16.0.10 2
assert_eq "$(vt_lines "$VT_TMP/hook-r1-up.count")" 1 "up hook runs after SIGHUP"

# --- SIGTERM
[ -S "$(vt_sock r1)" ] || fail "no control socket $(vt_sock r1)"
vt_stop r1      # exit status 0 and no tun device, or it fails
assert_eq "$(vt_lines "$VT_TMP/hook-r1-down.count")" 1 "down hook runs"
assert_eq "$(env_of down VPNTUND_EVENT)" down "down hook: VPNTUND_EVENT"
assert_eq "$(env_of down VPNTUND_TUN)" "$VT_TUN" "down hook: VPNTUND_TUN"
assert_eq "$(env_of down VPNTUND_ROUTES)" "$(env_of up VPNTUND_ROUTES)" "down hook: VPNTUND_ROUTES"
for r in $routes; do
	[ -z "$(route_of "$r1" "$r")" ] || fail "route $r still there after SIGTERM: $(route_of "$r1" "$r")"
done
! ip -n "$r1" -6 route show | grep -q "$VT_TUN" || fail "IPv6 routes via $VT_TUN left"
[ ! -e "$(vt_sock r1)" ] || fail "control socket $(vt_sock r1) left after SIGTERM"
rc=0
out=$("$VPNTUND_BUILD/vpntunctl" -s "$(vt_sock r1)" status 2>&1) || rc=$?
[ "$rc" -ne 0 ] || fail "vpntunctl status succeeded with no daemon: $out"
grep -q "$(vt_sock r1)" <<<"$out" || fail "vpntunctl does not name the socket it could not reach: $out"
# derived keying keeps nothing across restarts
[ ! -e "$VT_TMP/r1.state" ] || fail "r1 (derived keying only) wrote a state file: $(cat "$VT_TMP/r1.state")"
# the LAN is no longer routed anywhere near the tunnel
vt_ping_fails l1 172.16.0.10

# --- a route the daemon did not add stays (r2: someone's route to the
# hospital LAN through its office LAN)
r2=$(vt_ns r2)
ip -n "$r2" route add 172.16.0.0/24 via 10.2.2.10
# and its up hook fails: a warning, not a reason to stop
printf '#!/bin/sh\nexit 3\n' >"$VT_TMP/fail.sh"
chmod 755 "$VT_TMP/fail.sh"
sed -i "s|^\ttun $VT_TUN\$|&\n\tup \"$VT_TMP/fail.sh\"|" "$(vt_conf r2)"
grep -q "fail.sh" "$(vt_conf r2)" || fail "could not add the failing hook to r2"
vt_start r2     # keying manual, first start: -R (lib.sh)
grep -q "exited with 3" "$(vt_log r2)" || fail "r2 did not report its failing up hook"
vt_ping r2 10.1.0.1 2
r2_out=$(vt_peer r2 central 'p["spi_out"]') r2_in=$(vt_peer r2 central 'p["spi_in"]')
vt_stop r2
# a clean stop writes the exact marks: the last number r2 sent (the last
# the central got) and the last it received
mark=$(sed -n "s/^out $r2_out //p" "$VT_TMP/r2.state")
assert_ge "$mark" 2 "r2's outbound mark after a clean stop ($(tr '\n' '|' <"$VT_TMP/r2.state"))"
wait_until 5 vt_cmp 'vt_sa c r2 in top' = "$mark" ||
	fail "r2's outbound mark $mark is not the last number the central got, $(vt_sa c r2 in top)"
mark=$(sed -n "s/^in $r2_in //p" "$VT_TMP/r2.state")
assert_ge "$mark" 2 "r2's inbound mark after a clean stop ($(tr '\n' '|' <"$VT_TMP/r2.state"))"
assert_ge "$(vt_sa c r2 out seq)" "$mark" "central's seq_out to r2 vs r2's inbound mark"
# (checked at the end, so that the SIGINT checks below still run)
later=""
ip -n "$r2" route show 172.16.0.0/24 | grep -q "via 10.2.2.10" ||
	later="r2: the route 172.16.0.0/24 via 10.2.2.10 that the daemon did not add is gone after it stopped (now: '$(ip -n "$r2" route show 172.16.0.0/24)')"

# --- SIGINT stops the central as cleanly
c=$(vt_ns c)
c_r1=$(vt_peer c r1 'p["spi_in"]') c_r2=$(vt_peer c r2 'p["spi_in"]')
pid=${VT_PID[c]}
kill -INT "$pid"
wait_until 10 vt_dead "$pid" || fail "central did not exit within 10 s of SIGINT"
rc=0
wait "$pid" || rc=$?
unset "VT_PID[c]"
assert_eq "$rc" 0 "central exit status after SIGINT"
if ip -n "$c" link show "$VT_TUN" >/dev/null 2>&1; then
	fail "central left $VT_TUN after SIGINT"
fi
[ -z "$(ip -n "$c" route show 10.2.1.0/24)" ] || fail "central left its route to 10.2.1.0/24"
[ ! -e "$(vt_sock c)" ] || fail "central left its control socket after SIGINT"
if grep -qi "error\|sanitizer" "$(vt_log c)"; then
	fail "central logged an error: $(grep -i "error\|sanitizer" "$(vt_log c)" | head -3)"
fi
# where the dynamic peers were last heard, for the next start to ask
for l in "$c_r1 198.18.1.2 4500" "$c_r2 198.18.2.2 4500"; do
	grep -qx "$l" "$VT_TMP/c.state.peers" ||
		fail "c.state.peers lacks '$l': $(tr '\n' '|' <"$VT_TMP/c.state.peers" 2>&1)"
done
[ -z "$later" ] || fail "$later"

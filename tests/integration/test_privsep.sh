#!/usr/bin/env bash
# Privilege separation: with `user nobody`, the process that handles the
# network's packets runs as nobody with every capability set empty,
# NoNewPrivs and a seccomp filter, while its parent stays root and reads
# nothing from the network. Through the parent: a peer-up hook runs as
# root; a reload reads the configuration and key files the start-up read
# (and is refused another key file); the down hook, the routes and the
# control socket's path are undone when the packet process is gone,
# killed or stopped.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init privsep
[ "$VT_USER" = nobody ] || vt_skip "VT_USER is not nobody"
vt_topology v4

# Hooks record the uid they ran as.
for h in up down peer-up; do
	cat >"$VT_TMP/$h.sh" <<EOF
#!/bin/sh
echo "\$VPNTUND_EVENT \$(id -u)" >>"$VT_TMP/hooks.log"
EOF
	chmod 700 "$VT_TMP/$h.sh"
done
VT_EXTRA_SITE_c=$(printf '\tup "%s"\n\tdown "%s"\n\tpeer-up "%s"\n\tmonitor port 9180' \
    "$VT_TMP/up.sh" "$VT_TMP/down.sh" "$VT_TMP/peer-up.sh")
vt_write_configs udp v4 aes-gcm
vt_start c
vt_start r1
vt_ping l1 172.16.0.10 3

parent=${VT_PID[c]}
child=$(cat "/proc/$parent/task/$parent/children" 2>/dev/null | tr -s ' ' '\n' | grep -v '^$' || true)
assert_eq "$(echo "$child" | wc -w)" 1 "the central's parent has one child"

field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | tr -s '\t ' ' ' | sed 's/ $//'; }
nobody=$(id -u nobody)
nogroup=$(id -g nobody)
assert_eq "$(field "$child" Uid)" "$nobody $nobody $nobody $nobody" "packet process uids"
assert_eq "$(field "$child" Gid)" "$nogroup $nogroup $nogroup $nogroup" "packet process gids"
assert_eq "$(field "$child" Groups)" "$nogroup" "packet process groups"
for c in CapInh CapPrm CapEff CapBnd CapAmb; do
	assert_eq "$(field "$child" $c)" 0000000000000000 "packet process $c"
done
assert_eq "$(field "$child" NoNewPrivs)" 1 "packet process NoNewPrivs"
assert_eq "$(field "$child" Seccomp)" 2 "packet process seccomp mode (filter)"
assert_eq "$(field "$parent" Uid)" "0 0 0 0" "the parent stays root"
# The parent holds no socket of the network (outer UDP, the monitor's
# TCP listener); the child holds them.
inet=$(ip netns exec "$(vt_ns c)" ss -Hnutap)
echo "$inet" | grep -q "udp.*pid=$child," || fail "the packet process holds no UDP socket: $inet"
echo "$inet" | grep -q "LISTEN.*127.0.0.1:9180.*pid=$child," || fail "the packet process does not hold the monitor's socket: $inet"
if echo "$inet" | grep -q "pid=$parent,"; then
	fail "the parent holds a network socket: $inet"
fi

# Hooks ran as root, through the parent.
wait_until 10 grep -q '^peer-up 0$' "$VT_TMP/hooks.log" || fail "peer-up did not run as root"
assert_eq "$(grep -c '^up 0$' "$VT_TMP/hooks.log")" 1 "up hook ran once, as root"

# A reload is read through the parent: a new rule takes effect.
conf=$(vt_conf c)
echo "block proto icmp from 10.2.1.10" >>"$conf"
out=$(vt_ctl c reload) || fail "reload failed: $out"
vt_ping_fails l1 172.16.0.10
blocked=$(vt_peer_counter c r1 drops.filter)
assert_ge "$blocked" 1 "the reloaded rule blocks l1's pings"
# A key file the start-up did not read is not opened for the child.
cp "$VT_TMP/r1.key" "$VT_TMP/other.key"
sed -i "s|$VT_TMP/r1.key|$VT_TMP/other.key|" "$conf"
if out=$(vt_ctl c reload); then
	fail "a reload naming a new key file was accepted: $out"
fi
grep -q "refused to open $VT_TMP/other.key" "$(vt_log c)" ||
	fail "the parent did not say why it refused the key file"

# Killed, the packet process takes nothing with it: the parent runs the
# down hook, removes the routes and the socket, and exits non-zero.
ns=$(vt_ns c)
assert_ge "$(ip -n "$ns" route show dev "$VT_TUN" | wc -l)" 1 "routes before"
kill -KILL "$child"
wait_until 10 vt_dead "$parent" || fail "the parent did not exit after its child was killed"
rc=0
wait "$parent" || rc=$?
unset "VT_PID[c]"
assert_eq "$rc" 1 "the parent's exit status"
grep -q "packet process $child killed by signal 9" "$(vt_log c)" ||
	fail "the parent did not log how its child died"
assert_eq "$(grep -c '^down 0$' "$VT_TMP/hooks.log")" 1 "down hook ran once, as root"
[ ! -e "$(vt_sock c)" ] || fail "the control socket was left behind"
if ip -n "$ns" link show "$VT_TUN" >/dev/null 2>&1; then
	fail "the tun device was left behind"
fi

# A clean stop of the remote: exit 0, nothing left (vt_stop checks).
vt_stop r1

#!/usr/bin/env bash
# Configuration reload: `vpntunctl reload` and SIGHUP make a running vpntund
# re-read its site.conf and apply new `rule` statements and a new `qos`
# block without touching the tunnel: the same process and tun device, the
# same SPIs, sequence numbers that keep growing (the central counts no
# replay or auth drops). A file with a syntax error is refused with its
# FILE:LINE, a change that needs a restart (a peer's replay-window) is
# refused naming the field; both leave the previous rules and classes in
# force and are counted in the status's "reload" object. `vpntunctl rules`
# counts what each rule decided, from zero for rules a reload brings.
# Reloads are logged; key material never is.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init reload
vt_topology v4
vt_write_configs udp v4 aes-gcm
CONF=$(vt_conf r1)
# The generated file without rules: the variants below are built from it.
cp "$CONF" "$VT_TMP/r1.base"

# A: block 7009 (the file r1 starts with)
{ cat "$VT_TMP/r1.base"; echo "block proto udp to port 7009"; } >"$VT_TMP/r1.a"
# B: block 7010 instead
{ cat "$VT_TMP/r1.base"; echo "block proto udp to port 7010"; } >"$VT_TMP/r1.b"
# qos_file NAME BANDWIDTH AUDIO BULK: B's rule plus a qos block of an
# "audio" class and the default "bulk" at those rates, and a rule that
# queues EF in "audio"
qos_file() {
	{
		cat "$VT_TMP/r1.base"
		cat <<EOF
qos {
	bandwidth $2
	class "audio" rate $3 priority 0 limit 50 packets
	class "bulk" rate $4 priority 3 borrow limit 100 packets default
}
block proto udp to port 7010
pass out proto udp dscp ef queue audio
EOF
	} >"$VT_TMP/$1"
}
# C: B with a qos block
qos_file r1.c 2mbit 256kbit 1mbit
# Slow: the same on a 64 kbit/s link, where 40 datagrams of 1000 bytes
# queue for about 5 s: a reload from it replaces a scheduler that holds
# packets
qos_file r1.slow 64kbit 32kbit 16kbit
# Bad: C plus a port that is not one, on a known line
BADLINE=$(($(wc -l <"$VT_TMP/r1.c") + 1))
{ cat "$VT_TMP/r1.c"; echo "block proto udp to port banana"; } >"$VT_TMP/r1.bad"
assert_eq "$(sed -n "${BADLINE}p" "$VT_TMP/r1.bad")" "block proto udp to port banana" \
	"the bad rule is line $BADLINE"
# Replay: C with the peer's replay-window changed (needs a restart)
sed 's/^\([[:space:]]*\)replay-window 64$/\1replay-window 128/' "$VT_TMP/r1.c" >"$VT_TMP/r1.replay"
assert_eq "$(grep -c 'replay-window 128$' "$VT_TMP/r1.replay")" 1 "replay-window lines changed"
assert_eq "$(grep -c 'replay-window' "$VT_TMP/r1.replay")" 1 "replay-window lines in r1.conf"

cp "$VT_TMP/r1.a" "$CONF"
vt_start c
vt_start r1
vt_ping l1 172.16.0.10 2
vt_udp_listen lc 7009 "$VT_TMP/udp7009.log"
vt_udp_listen lc 7010 "$VT_TMP/udp7010.log"

R1LOG=$(vt_log r1)
ANSWERS=$VT_TMP/answers    # every answer of `vpntunctl reload`, for step 7

# --- helpers ------------------------------------------------------------------

filt() { vt_counter r1 'd["drops"]["filter"]'; }
# rx PORT TAG: datagrams "TAG I" from l1 received on lc's PORT
rx() { vt_lines "$VT_TMP/udp$1.log" "^10\.2\.1\.10 $2 [0-9]*\$"; }
rl() { vt_counter r1 "d[\"reload\"][\"$1\"]"; }
nreload() { grep -ci -- reload "$R1LOG" || true; }
tun_ifindex() { ip -n "$(vt_ns r1)" -o link show "$VT_TUN" | cut -d: -f1; }

# check_filter TAG BLOCKED PASSED [TOS]: 5 datagrams from l1 to lc's port
# BLOCKED are dropped by r1's filter (counted, none arrives); 5 to PASSED
# (with TOS if given) then arrive.
check_filter() {
	local tag=$1 blk=$2 pas=$3 tos=${4:-} f0
	f0=$(filt)
	vt_udp_send l1 172.16.0.10 "$blk" "$tag-blk" 5 64
	wait_until 10 vt_cmp filt -ge $((f0 + 5)) ||
		fail "$tag: r1 drops.filter $(filt), expected $((f0 + 5)) after 5 datagrams to port $blk"
	if [ -n "$tos" ]; then
		vt_udp_send l1 172.16.0.10 "$pas" "$tag-ok" 5 64 "" "$tos"
	else
		vt_udp_send l1 172.16.0.10 "$pas" "$tag-ok" 5 64
	fi
	wait_until 10 vt_cmp "rx $pas $tag-ok" -ge 5 ||
		fail "$tag: $(rx "$pas" "$tag-ok") of 5 datagrams to port $pas arrived"
	assert_eq "$(rx "$pas" "$tag-ok")" 5 "$tag: datagrams to port $pas received"
	assert_eq "$(rx "$blk" "$tag-blk")" 0 "$tag: datagrams to the blocked port $blk received"
	assert_eq "$(filt)" $((f0 + 5)) "$tag: r1 drops.filter"
	vt_log_msg "$tag: port $blk blocked, port $pas passes"
}

# check_qos_rules TAG: the rules and classes of file C are in force: 7010
# blocked; EF to 7009 arrives (TOS intact) through "audio", plain
# datagrams to 7009 through the default "bulk".
check_qos_rules() {
	local tag=$1 a0 b0
	assert_eq "$(vt_counter r1 '[c["name"] for c in d["qos"]["classes"]]')" \
	    '["audio", "bulk"]' "$tag: r1 qos classes"
	assert_eq "$(vt_counter r1 'd["qos"]["bandwidth"]')" 2000000 "$tag: r1 qos.bandwidth"
	assert_eq "$(vt_counter r1 'd["rules"]')" 2 "$tag: r1 rules in force"
	a0=$(vt_class r1 audio packets)
	b0=$(vt_class r1 bulk packets)
	check_filter "$tag" 7010 7009 0xb8
	assert_eq "$(vt_lines "$VT_TMP/udp7009.log.tos" "^$tag-ok [0-9]* 0xb8\$")" 5 \
		"$tag: EF datagrams received with TOS 0xb8"
	wait_until 10 vt_cmp 'vt_class r1 audio packets' -ge $((a0 + 5)) ||
		fail "$tag: audio class packets $(vt_class r1 audio packets), expected >= $((a0 + 5))"
	vt_udp_send l1 172.16.0.10 7009 "$tag-bulk" 5 64
	wait_until 10 vt_cmp "rx 7009 $tag-bulk" -ge 5 ||
		fail "$tag: $(rx 7009 "$tag-bulk") of 5 plain datagrams to port 7009 arrived"
	wait_until 10 vt_cmp 'vt_class r1 bulk packets' -ge $((b0 + 5)) ||
		fail "$tag: bulk class packets $(vt_class r1 bulk packets), expected >= $((b0 + 5))"
	vt_log_msg "$tag: qos classes audio/bulk and their rules in force"
}

# reload_state TAG DONE FAILED: the status's reload counters
reload_state() {
	assert_eq "$(rl "done")" "$2" "$1: reload.done"
	assert_eq "$(rl failed)" "$3" "$1: reload.failed"
}

# log_grew TAG N0: a line mentioning the reload was logged since N0
log_grew() {
	wait_until 5 vt_cmp nreload -gt "$2" ||
		fail "$1: no line mentioning 'reload' in r1's log (still $(nreload))"
}

# reload_ok TAG: `vpntunctl reload` answers one line "reloaded: ..." on
# standard output, exit 0
reload_ok() {
	local tag=$1 rc=0 out err n0
	n0=$(nreload)
	out=$(vt_ctl r1 reload 2>"$VT_TMP/reload.err") || rc=$?
	err=$(cat "$VT_TMP/reload.err")
	printf '%s\n' "$out" "$err" >>"$ANSWERS"
	assert_eq "$rc" 0 "$tag: vpntunctl reload exit status (answer: $out $err)"
	assert_eq "$err" "" "$tag: vpntunctl reload's standard error"
	assert_eq "$(wc -l <<<"$out")" 1 "$tag: lines in vpntunctl reload's answer ($out)"
	[[ $out == reloaded:* ]] || fail "$tag: vpntunctl reload answered: $out"
	assert_eq "$(rl last)" ok "$tag: reload.last"
	log_grew "$tag" "$n0"
	vt_log_msg "$tag: $out"
}

# reload_refused TAG ERE...: `vpntunctl reload` answers one line
# "error: ..." matching each extended regex ERE, exit 1; reload.last is
# that message without "error: "
reload_refused() {
	local tag=$1 rc=0 out n0 p
	shift
	n0=$(nreload)
	out=$(vt_ctl r1 reload 2>&1) || rc=$?
	printf '%s\n' "$out" >>"$ANSWERS"
	assert_eq "$rc" 1 "$tag: vpntunctl reload exit status (answer: $out)"
	assert_eq "$(wc -l <<<"$out")" 1 "$tag: lines in vpntunctl reload's answer ($out)"
	[[ $out == "error: "* ]] || fail "$tag: vpntunctl reload answered: $out"
	for p in "$@"; do
		grep -Eq -- "$p" <<<"$out" || fail "$tag: answer lacks /$p/: $out"
	done
	assert_eq "$(rl last)" "${out#error: }" "$tag: reload.last"
	log_grew "$tag" "$n0"
	vt_log_msg "$tag: refused: $out"
}

# rule_hits LINE: "ACTION DIR QUEUE PACKETS BYTES" of r1's rule at LINE, from
# `vpntunctl rules --json`
rule_hits() {
	vt_ctl r1 rules --json | "$VT_PY" -c '
import json, sys
for r in json.load(sys.stdin)["rules"]:
    if r["line"] == int(sys.argv[1]):
        print(r["action"], r["dir"], r["queue"], r["packets"], r["bytes"])' "$1"
}
# the rule appended to the base file is its next line; datagrams of 64
# bytes are IPv4 packets of 92
RLINE=$(($(wc -l <"$VT_TMP/r1.base") + 1))

# --- 1. before any reload: 7009 blocked, 7010 passes ----------------------------

assert_eq "$(vt_counter r1 'd["rules"]')" 1 "initial: r1 rules in force"
assert_eq "$(vt_counter r1 'd["qos"]')" null "initial: r1 qos without a qos block"
reload_state initial 0 0
assert_eq "$(rl last)" "" "initial: reload.last"
check_filter before 7009 7010
# the block rule decided exactly the 5 datagrams to 7009
assert_eq "$(rule_hits "$RLINE")" "block any None 5 460" "rule at line $RLINE before the reload"
vt_ctl r1 rules >"$VT_TMP/rules.txt"
assert_eq "$(head -n 1 "$VT_TMP/rules.txt" | tr -s ' ' | sed 's/^ //')" \
	"LINE ACTION DIR QUEUE METER PACKETS BYTES" "vpntunctl rules: header"
assert_eq "$(sed -n 2p "$VT_TMP/rules.txt" | tr -s ' ' | sed 's/^ //')" \
	"$RLINE block any - - 5 460" "vpntunctl rules: the block rule"

PID1=${VT_PID[r1]}
IFX1=$(tun_ifindex)
MTU1=$(vt_counter r1 'd["mtu"]')
SPIO1=$(vt_peer r1 central 'p["spi_out"]')
SPII1=$(vt_peer r1 central 'p["spi_in"]')
SEQ1=$(vt_peer_counter r1 central seq_out)
REP1=$(vt_peer_counter c r1 drops.replay)
AUTH1=$(vt_peer_counter c r1 drops.auth)
PIN1=$(vt_peer_counter c r1 packets_in)
assert_gt "$SEQ1" 0 "r1 seq_out before the reload"
assert_eq "$REP1" 0 "central: replay drops before the reload"
assert_eq "$AUTH1" 0 "central: auth drops before the reload"
NREL0=$(nreload)

# the tunnel is as it was: same process, tun, SAs; the central saw no
# replay (a sequence number reused) and no forgery
tunnel_continued() {
	local tag=$1
	vt_alive r1 || fail "$tag: r1 died"
	assert_eq "${VT_PID[r1]}" "$PID1" "$tag: r1 pid"
	assert_eq "$(tun_ifindex)" "$IFX1" "$tag: r1's tun ifindex (recreated?)"
	assert_eq "$(vt_counter r1 'd["mtu"]')" "$MTU1" "$tag: r1 tun MTU"
	assert_eq "$(vt_peer r1 central 'p["spi_out"]')" "$SPIO1" "$tag: r1 spi_out"
	assert_eq "$(vt_peer r1 central 'p["spi_in"]')" "$SPII1" "$tag: r1 spi_in"
	assert_eq "$(vt_peer_counter c r1 drops.replay)" "$REP1" "$tag: central replay drops"
	assert_eq "$(vt_peer_counter c r1 drops.auth)" "$AUTH1" "$tag: central auth drops"
}

# --- 2. vpntunctl reload: now 7010 blocked, 7009 passes --------------------------

cp "$VT_TMP/r1.b" "$CONF"
reload_ok "reload 1"
reload_state "reload 1" 1 0
assert_eq "$(vt_ctl r1 status | grep '^rules ')" "rules 1; reloads 1 done, 0 refused; last: ok" \
	"reload 1: the text status's rules line"
assert_eq "$(vt_counter r1 'd["rules"]')" 1 "reload 1: r1 rules in force"
assert_eq "$(vt_counter r1 'd["qos"]')" null "reload 1: r1 qos without a qos block"
check_filter after 7010 7009
# a reloaded rule counts from zero: only the 5 datagrams to 7010 since
assert_eq "$(rule_hits "$RLINE")" "block any None 5 460" "rule at line $RLINE after the reload"
tunnel_continued "reload 1"
# 5 datagrams went out since SEQ1: numbering went on, it did not restart
SEQ2=$(vt_peer_counter r1 central seq_out)
assert_ge "$SEQ2" $((SEQ1 + 5)) "r1 seq_out after the reload (before: $SEQ1)"
assert_ge "$(vt_peer_counter c r1 packets_in)" $((PIN1 + 5)) "central: packets_in from r1"

# --- 3. SIGHUP: a qos block and an EF rule -------------------------------------

cp "$VT_TMP/r1.c" "$CONF"
n0=$(nreload)
kill -HUP "${VT_PID[r1]}"
wait_until 10 vt_cmp "vt_counter r1 'd[\"reload\"][\"done\"] + d[\"reload\"][\"failed\"]'" -ge 2 ||
	fail "SIGHUP: no reload within 10 s (reload: $(vt_counter r1 'd["reload"]'))"
reload_state SIGHUP 2 0
assert_eq "$(rl last)" ok "SIGHUP: reload.last"
log_grew SIGHUP "$n0"
assert_eq "$(vt_counter r1 'd["qos"]["tunnel_mtu"]')" 0 "SIGHUP: qos.tunnel_mtu"
check_qos_rules sighup
# the EF rule (the line after the block rule, below the qos block) queued
# the 5 EF datagrams into audio
ELINE=$(grep -n '^pass out proto udp dscp ef queue audio$' "$VT_TMP/r1.c" | cut -d: -f1)
assert_eq "$(rule_hits "$ELINE")" "pass out audio 5 460" "EF rule at line $ELINE"
tunnel_continued SIGHUP

# --- 4. a syntax error: refused with FILE:LINE, nothing changes ----------------

cp "$VT_TMP/r1.bad" "$CONF"
reload_refused "syntax error" "r1\.conf:$BADLINE:" "banana"
reload_state "syntax error" 2 1
[[ $(rl last) == *"r1.conf:$BADLINE:"* ]] ||
	fail "syntax error: reload.last lacks r1.conf:$BADLINE: $(rl last)"
vt_alive r1 || fail "r1 died on a bad file"
check_qos_rules "bad"

# --- 5. a change that needs a restart: refused, nothing changes -----------------

cp "$VT_TMP/r1.replay" "$CONF"
reload_refused "replay-window" "r1\.conf:[0-9]+:" "replay-window" "restart"
reload_state "replay-window" 2 2
[[ $(rl last) == *replay-window* ]] ||
	fail "replay-window: reload.last lacks replay-window: $(rl last)"
check_qos_rules "rw"
tunnel_continued "refused reloads"

# --- 6. the valid file again ----------------------------------------------------

cp "$VT_TMP/r1.c" "$CONF"
reload_ok "reload 3"
reload_state "reload 3" 3 2
check_qos_rules "again"
tunnel_continued "reload 3"
assert_gt "$(vt_peer_counter r1 central seq_out)" "$SEQ2" "r1 seq_out at the end"
vt_ping l1 172.16.0.10 2
vt_ping lc 10.2.1.10 2

# --- 6b. packets queued when the scheduler is replaced are not lost ------------

# queue_then_reload TAG FILE WHAT: 40 datagrams of 1000 bytes queue in the
# slow file's "bulk"; reloading FILE answers "N queued packets WHAT"
# (N >= 1, and nothing dropped), and all 40 arrive.
queue_then_reload() {
	local tag=$1 file=$2 what=$3 ans n
	cp "$VT_TMP/r1.slow" "$CONF"
	reload_ok "$tag: slow link"
	vt_udp_send l1 172.16.0.10 7009 "$tag" 40 1000
	wait_until 10 vt_cmp 'vt_class r1 bulk qlen' -ge 10 ||
		fail "$tag: bulk qlen $(vt_class r1 bulk qlen), expected >= 10 on the slow link"
	cp "$VT_TMP/$file" "$CONF"
	reload_ok "$tag"
	ans=$(tail -n 2 "$ANSWERS" | head -n 1)
	[[ $ans =~ \;\ ([0-9]+)\ queued\ packets\ $what ]] ||
		fail "$tag: the answer does not say queued packets $what: $ans"
	n=${BASH_REMATCH[1]}
	assert_ge "$n" 1 "$tag: queued packets $what"
	wait_until 15 vt_cmp "rx 7009 $tag" -ge 40 ||
		fail "$tag: $(rx 7009 "$tag") of 40 datagrams arrived ($n were queued at the reload)"
	assert_eq "$(rx 7009 "$tag")" 40 "$tag: datagrams received"
	vt_log_msg "$tag: $n queued packets $what, all 40 arrived"
}
# into a new scheduler (file C: other bandwidth and rates, same names)
queue_then_reload moved r1.c "moved, 0 dropped"
check_qos_rules after-move
# no scheduler any more (file B): what was queued goes at once
queue_then_reload sent r1.b "sent at once"
reload_state "queues" 7 2
assert_eq "$(vt_counter r1 'd["qos"]')" null "after file B: r1 qos"
tunnel_continued "queues"

# --- 6c. log-level: the one statement of the site block a reload applies ------

# file B is in force, at log-level debug: a blocked datagram is logged
nblk() { grep -c "blocked by the rule" "$R1LOG" || true; }
assert_gt "$(nblk)" 0 "debug lines for blocked datagrams at log-level debug"
sed 's/^\([[:space:]]*\)log-level debug$/\1log-level info/' "$VT_TMP/r1.b" >"$CONF"
assert_eq "$(grep -c 'log-level info$' "$CONF")" 1 "log-level lines changed"
reload_ok "log-level info"
b0=$(nblk)
f0=$(filt)
vt_udp_send l1 172.16.0.10 7010 quiet 5 64
wait_until 10 vt_cmp filt -ge $((f0 + 5)) ||
	fail "log-level info: r1 drops.filter $(filt), expected $((f0 + 5))"
assert_eq "$(nblk)" "$b0" "debug lines for blocked datagrams at log-level info"
tunnel_continued "log-level"

# --- 7. the log: the reloads are in it, key material is not -----------------------

assert_ge "$(nreload)" $((NREL0 + 9)) "lines mentioning 'reload' in r1's log"
vt_status r1 >"$VT_TMP/status.json"
vt_status c >>"$VT_TMP/status.json"
# No 8 bytes of a key block (16 hex digits, in any case, whatever separates
# the digits) in the log, the answers or the status.
leak=$("$VT_PY" - "$VT_TMP/r1.key" "$R1LOG" "$(vt_log c)" "$ANSWERS" "$VT_TMP/status.json" 2>&1 <<'EOF'
import re, sys
key = "".join(l.split("#")[0] for l in open(sys.argv[1]))
key = re.sub(r"\s+", "", key).lower()
if len(key) < 64 or re.search(r"[^0-9a-f]", key):
    sys.exit("unexpected key file contents")
for path in sys.argv[2:]:
    text = open(path, errors="replace").read().lower()
    hexonly = re.sub(r"[^0-9a-f]", "", text)
    for i in range(len(key) - 15):
        if key[i:i + 16] in hexonly:
            print("%s holds key digits %s..." % (path, key[i:i + 16]))
            sys.exit(0)
EOF
) || fail "key check: $leak"
[ -z "$leak" ] || fail "key material leaked: $leak"

# --- 8. clean exit -----------------------------------------------------------------

vt_stop r1
vt_stop c

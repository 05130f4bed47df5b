#!/usr/bin/env bash
# Start-up checks: `vpntund -n` accepts a good config and says so; a bad
# config is refused with file:line before anything is created (no tun, no
# control socket); key files that others can read, or of the wrong size, are
# refused with a message that says why; so is a tap MTU that does not fit
# in the tunnel, by -n as by a start.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
set -u
vt_init config_check
vt_nsadd "$(vt_ns c)"
ns=$(vt_ns c)
# just the outer address the central binds to
ip -n "$ns" link add wan0 type veth peer name wan1
ip -n "$ns" link set wan0 up && ip -n "$ns" link set wan1 up
ip -n "$ns" addr add 198.18.0.1/24 dev wan0
ndev=$(ip -n "$ns" -o link show | wc -l)
vt_write_configs udp v4 aes-gcm blowfish-cbc/hmac-sha1-96
VTD=$VPNTUND_BUILD/vpntund

# vt_refused WHAT CONF PATTERN...: a real start in the namespace fails, its
# message matches each PATTERN (extended regex), and nothing was left.
vt_refused() {
	local what=$1 conf=$2 rc=0 out p sock
	shift 2
	out=$(ip netns exec "$ns" timeout 20 "$VTD" -f -c "$conf" 2>&1 </dev/null) || rc=$?
	[ "$rc" -ne 0 ] || fail "$what: vpntund started (exit 0) with $conf"
	[ "$rc" -ne 124 ] || fail "$what: vpntund still running after 20 s with $conf"
	for p in "$@"; do
		grep -Eq -- "$p" <<<"$out" || fail "$what: message lacks /$p/: $out"
	done
	if [ "$(ip -n "$ns" -o link show | wc -l)" -ne "$ndev" ]; then
		fail "$what: left a device behind: $(ip -n "$ns" -o link show)"
	fi
	sock=$(sed -n 's/^[[:space:]]*control "\(.*\)"$/\1/p' "$conf")
	[ -n "$sock" ] || fail "$what: no control line in $conf"
	[ ! -e "$sock" ] || fail "$what: left its control socket $sock"
	vt_log_msg "$what: refused: $(head -n 1 <<<"$out")"
}

# vt_check_fails WHAT CONF PATTERN...: the same with -n
vt_check_fails() {
	local what=$1 conf=$2 rc=0 out p
	shift 2
	out=$("$VTD" -n -c "$conf" 2>&1 </dev/null) || rc=$?
	[ "$rc" -ne 0 ] || fail "$what: vpntund -n accepted $conf: $out"
	for p in "$@"; do
		grep -Eq -- "$p" <<<"$out" || fail "$what: -n message lacks /$p/: $out"
	done
}

# vt_check_ok WHAT CONF: vpntund -n accepts it and says so
vt_check_ok() {
	local rc=0 out
	out=$("$VTD" -n -c "$2" 2>&1) || rc=$?
	assert_eq "$rc" 0 "$1: vpntund -n $(basename "$2") exit status ($out)"
	grep -q "OK" <<<"$out" || fail "$1: vpntund -n $(basename "$2") does not say OK: $out"
}

# 1. good configs
for s in c r1 r2; do
	vt_check_ok "good config" "$(vt_conf "$s")"
done
[ ! -e "$(vt_sock c)" ] || fail "vpntund -n created a control socket"

# 2. a syntax error on line 3
sed '3s/^\([[:space:]]*\)role central/\1rol central/' "$(vt_conf c)" >"$VT_TMP/bad.conf"
grep -q "rol central" "$VT_TMP/bad.conf" || fail "could not break line 3"
vt_check_fails "unknown keyword" "$VT_TMP/bad.conf" "bad\.conf:3:" "rol"
vt_refused "unknown keyword" "$VT_TMP/bad.conf" "bad\.conf:3:" "rol"

# 3. an error found by the whole-config pass: a peer without a key
grep -v '^[[:space:]]*key ' "$(vt_conf r1)" >"$VT_TMP/nokey.conf"
vt_check_fails "peer without key" "$VT_TMP/nokey.conf" "nokey\.conf:[0-9]+:" "key"
vt_refused "peer without key" "$VT_TMP/nokey.conf" "nokey\.conf:[0-9]+:" "key"

# 4. a macro used before it is defined, at a known line
{ echo "# line 1"; echo "site_net = \$undefined_thing"; } >"$VT_TMP/macro.conf"
vt_check_fails "undefined macro" "$VT_TMP/macro.conf" "macro\.conf:2:" "undefined_thing"

# 5. key file readable by others
cp "$VT_TMP/r1.key" "$VT_TMP/open.key"
chmod 644 "$VT_TMP/open.key"
sed "s|\"$VT_TMP/r1.key\"|\"$VT_TMP/open.key\"|" "$(vt_conf r1)" >"$VT_TMP/openkey.conf"
vt_check_fails "key mode 644" "$VT_TMP/openkey.conf" "openkey\.conf:[0-9]+:" "open\.key" \
	"(mode|readable|permission|group|others)"
vt_refused "key mode 644" "$VT_TMP/openkey.conf" "open\.key" "(mode|readable|permission|group|others)"
# the same key with mode 600 is fine
chmod 600 "$VT_TMP/open.key"
"$VTD" -n -c "$VT_TMP/openkey.conf" >/dev/null 2>&1 || fail "key mode 600 refused"

# 6. key file of the wrong length for the suite (blowfish-256 + sha1: 2 x 52)
{ echo "# too short"; openssl rand -hex 40; openssl rand -hex 40; } >"$VT_TMP/short.key"
chmod 600 "$VT_TMP/short.key"
sed "s|\"$VT_TMP/r2.key\"|\"$VT_TMP/short.key\"|" "$(vt_conf r2)" >"$VT_TMP/shortkey.conf"
vt_check_fails "short key" "$VT_TMP/shortkey.conf" "shortkey\.conf:[0-9]+:" "short\.key" "80"
vt_refused "short key" "$VT_TMP/shortkey.conf" "short\.key"

# 7. a key file that is not hex
{ echo "not hex at all"; } >"$VT_TMP/junk.key"
chmod 600 "$VT_TMP/junk.key"
sed "s|\"$VT_TMP/r2.key\"|\"$VT_TMP/junk.key\"|" "$(vt_conf r2)" >"$VT_TMP/junkkey.conf"
vt_check_fails "junk key" "$VT_TMP/junkkey.conf" "junk\.key"

# 8. a missing config file
vt_check_fails "missing config" "$VT_TMP/nonexistent.conf" "nonexistent\.conf"

# 9. a valid config that fails at start-up (r1's outer address does not
#    exist here): refused after the control socket was opened, and undone
vt_refused "outer address missing" "$(vt_conf r1)" "198\.18\.1\.2"

# 10. a corrupt state file: a manual SA starting at 1 could reuse sequence
#     numbers, so the start stops at the bad line. Derived keying does not
#     use the file at all (checked at the end).
sed '0,/^[[:space:]]*replay-window /s//\tkeying manual\n&/' "$(vt_conf c)" >"$VT_TMP/manual.conf"
assert_eq "$(grep -c '^[[:space:]]*keying manual$' "$VT_TMP/manual.conf")" 1 "manual.conf: keying manual lines"
printf '# vpntund sequence state v1\nspi 0x1234 reserved banana\n' >"$VT_TMP/c.state"
vt_check_ok "manual peer" "$VT_TMP/manual.conf"
vt_refused "corrupt state file" "$VT_TMP/manual.conf" "c\.state:2:"

# 11. a tap whose explicit MTU does not fit in the tunnel: derived from the
#     peers' suites without an SA, so -n refuses it as a start would, at
#     the tap's line; without the explicit MTU the same config passes
sed 's/^\([[:space:]]*\)role central$/&\n\1tap vtap0 mtu 9000\n\1bridge ipx/' \
    "$(vt_conf c)" >"$VT_TMP/tapmtu.conf"
assert_eq "$(sed -n 4p "$VT_TMP/tapmtu.conf" | tr -d '[:space:]')" "tapvtap0mtu9000" \
	"the tap line is line 4"
vt_check_fails "tap mtu 9000" "$VT_TMP/tapmtu.conf" \
	"tapmtu\.conf:4: tap mtu 9000 exceeds what fits in the tunnel \([0-9]+\)" \
	"configuration check failed"
vt_refused "tap mtu 9000" "$VT_TMP/tapmtu.conf" \
	"tapmtu\.conf:4: tap mtu 9000 exceeds what fits in the tunnel \([0-9]+\)"
sed 's/ mtu 9000$//' "$VT_TMP/tapmtu.conf" >"$VT_TMP/tapok.conf"
rc=0
out=$("$VTD" -n -c "$VT_TMP/tapok.conf" 2>&1) || rc=$?
assert_eq "$rc" 0 "vpntund -n with a derived tap MTU: exit status ($out)"
grep -q "configuration OK" <<<"$out" || fail "vpntund -n with a derived tap MTU: $out"

# the good config still starts and stops cleanly in that namespace; its
# peers are keyed derived, so the corrupt state file of step 10 is neither
# read nor written
sum0=$(sha256sum <"$VT_TMP/c.state")
vt_start c
assert_eq "$(vt_counter c 'd["state_file"]["in_use"]')" false "state file in use with derived keying only"
vt_stop c
assert_eq "$(sha256sum <"$VT_TMP/c.state")" "$sum0" "state file after a derived-only start and stop"

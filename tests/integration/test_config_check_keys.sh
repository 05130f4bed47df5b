#!/usr/bin/env bash
# What `vpntund -n` refuses about keys, networks, files and hooks
# (site.conf(5) KEY FILES, CHECKS, HOOKS), each with exit status 1, the
# exact `file:line: ...` message and "configuration check failed", and at
# once (a FIFO is never waited on): two peers on one key file, a key file
# whose blocks are equal, a peer network overlapping the site's, a config,
# an include or a key file that is a FIFO, key files and hook scripts
# owned by another user or writable by others. And what it says about
# lifetimes: nothing for the defaults, a warning for a CBC cipher of 64-bit
# blocks above 64 MiB, a refusal for more packets than numbers.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib_live.sh"
set -u
vt_init config_check_keys
VTD=$VPNTUND_BUILD/vpntund
vt_write_configs udp v4 aes-gcm
conf=$VT_TMP/t.conf
nobody=65534

# check CONF: runs `vpntund -n -c CONF`; RC, OUT, MS
check() {
	local t0
	RC=0
	t0=$(vt_now_ms)
	OUT=$(timeout 10 "$VTD" -n -c "$1" 2>&1 </dev/null) || RC=$?
	MS=$(vtl_ms_since "$t0")
	[ "$RC" -ne 124 ] || fail "vpntund -n -c $1 still running after 10 s"
	vtl_text_clean check "$OUT"
}

# refused WHAT CONF MESSAGE: exit 1, exactly MESSAGE and the closing line,
# within 2 s
refused() {
	check "$2"
	assert_eq "$RC" 1 "$1: exit status ($OUT)"
	assert_eq "$OUT" "$3"$'\n'"configuration check failed" "$1: output"
	[ "$MS" -le 2000 ] || fail "$1: took $MS ms"
	vt_log_msg "$1: refused in $MS ms: $3"
}

accepted() { # WHAT CONF
	check "$2"
	assert_eq "$RC" 0 "$1: exit status ($OUT)"
	grep -qx "configuration OK" <<<"$OUT" || fail "$1: $OUT"
}

# line CONF REGEX [NTH]: the number of the NTH line matching REGEX
line() { grep -nE -- "$2" "$1" | sed -n "${3:-1}p" | cut -d: -f1; }
# peer_line CONF PEER REGEX: the first line matching REGEX in PEER's block
peer_line() {
	awk -v p="peer \"$2\" {" -v re="$3" '$0 == p {in_p = 1} in_p && $0 ~ re {print NR; exit}' "$1"
}

# edit SRC PYTHON: t.conf from SRC (c.conf), changed by a Python statement on s
edit() {
	"$VT_PY" - "$(vt_conf "$1")" "$conf" "$2" <<'EOF' || fail "edit: $2"
import sys
s = open(sys.argv[1]).read()
exec(sys.argv[3])
open(sys.argv[2], "w").write(s)
EOF
}

accepted "the configs as written" "$(vt_conf c)"

# 1. two peers sharing a key file: r2 on r1's (same suite)
edit c "s = s.replace('key \"$VT_TMP/r2.key\"', 'key \"$VT_TMP/r1.key\"')"
l=$(line "$conf" 'key "' 2)
refused "two peers, one key file" "$conf" \
	"$conf:$l: peer \"r2\": key file $VT_TMP/r1.key repeats the cipher key of peer \"r1\" (key file $VT_TMP/r1.key); every SA needs its own key"
# a copy of it is no better: the bytes count, not the name
cp -p "$VT_TMP/r1.key" "$VT_TMP/copy.key"
edit c "s = s.replace('key \"$VT_TMP/r2.key\"', 'key \"$VT_TMP/copy.key\"')"
refused "two peers, a copied key file" "$conf" \
	"$conf:$l: peer \"r2\": key file $VT_TMP/copy.key repeats the cipher key of peer \"r1\" (key file $VT_TMP/r1.key); every SA needs its own key"

# 2. a key file whose two blocks are the same
blk=$(openssl rand -hex 36)
printf '# equal blocks\n%s\n%s\n' "$blk" "$blk" >"$VT_TMP/same.key"
chmod 600 "$VT_TMP/same.key"
edit c "s = s.replace('key \"$VT_TMP/r1.key\"', 'key \"$VT_TMP/same.key\"')"
l=$(line "$conf" 'key "' 1)
refused "equal blocks" "$conf" \
	"$conf:$l: key file $VT_TMP/same.key: both blocks hold the same key; each direction needs its own"

# 3. a peer network inside, around or on the site's (either family)
for net in 10.1.0.128/25 10.0.0.0/8 10.1.0.0/24 fd00:1::/48; do
	site=10.1.0.0/24
	[[ $net == *:* ]] && site=fd00:1::/64
	edit c "s = s.replace('network 10.1.1.0/24', 'network $net', 1)"
	l=$(peer_line "$conf" r1 "^[[:space:]]*network $net\$")
	refused "peer network $net" "$conf" \
		"$conf:$l: peer \"r1\": network $net overlaps this site's network $site"
done
edit c "s = s.replace('network 10.1.1.0/24', 'network 10.1.1.0/25', 1)"
accepted "a peer network next to the site's" "$conf"

# 4. FIFOs: the config itself, an include, a key file; refused at once
mkfifo -m 600 "$VT_TMP/fifo.conf" "$VT_TMP/fifo.key"
refused "config is a FIFO" "$VT_TMP/fifo.conf" "$VT_TMP/fifo.conf: not a regular file"
cp "$(vt_conf c)" "$conf"
echo "include \"$VT_TMP/fifo.conf\"" >>"$conf"
refused "include of a FIFO" "$conf" "$conf:$(wc -l <"$conf"): $VT_TMP/fifo.conf is not a regular file"
edit c "s = s.replace('key \"$VT_TMP/r1.key\"', 'key \"$VT_TMP/fifo.key\"')"
refused "key file is a FIFO" "$conf" "$conf:$(line "$conf" 'key "' 1): key file $VT_TMP/fifo.key is not a regular file"

# 5. key files: another owner, group- or other-writable or -readable
cp -p "$VT_TMP/r1.key" "$VT_TMP/k.key"
edit c "s = s.replace('key \"$VT_TMP/r1.key\"', 'key \"$VT_TMP/k.key\"')"
l=$(line "$conf" 'key "' 1)
accepted "a key file of root's, mode 0600" "$conf"
chown "$nobody" "$VT_TMP/k.key"
refused "key file owned by uid $nobody" "$conf" \
	"$conf:$l: key file $VT_TMP/k.key is owned by uid $nobody, expected root; run chown root $VT_TMP/k.key"
chown 0:"$nobody" "$VT_TMP/k.key"
chmod 600 "$VT_TMP/k.key"
accepted "a key file of root's in another group, mode 0600" "$conf"
for m in 0620 0602 0640 0400; do
	chmod "$m" "$VT_TMP/k.key"
	if [ "$m" = 0400 ]; then
		accepted "a key file of mode 0400" "$conf"
		continue
	fi
	refused "key file mode $m" "$conf" \
		"$conf:$l: key file $VT_TMP/k.key has mode $m, it must not be readable or writable by group or others; run chmod 600 $VT_TMP/k.key"
done

# 6. hook scripts: another owner, writable by group or others, not executable
vtl_hook_script "$VT_TMP/hook.sh" "$VT_TMP/hook.rec"
for h in up down peer-up peer-down; do
	cp "$(vt_conf c)" "$conf"
	sed -i "s|^\([[:space:]]*\)role central\$|&\n\1$h \"$VT_TMP/hook.sh\"|" "$conf"
	l=$(line "$conf" "^[[:space:]]*$h \"")
	[ -n "$l" ] || fail "could not add the $h hook"
	chown 0:0 "$VT_TMP/hook.sh"
	chmod 700 "$VT_TMP/hook.sh"
	accepted "$h hook of root's, mode 0700" "$conf"
	chown "$nobody" "$VT_TMP/hook.sh"
	refused "$h hook owned by uid $nobody" "$conf" \
		"$conf:$l: $h script $VT_TMP/hook.sh is owned by uid $nobody, expected root; run chown root $VT_TMP/hook.sh"
	chown 0:"$nobody" "$VT_TMP/hook.sh"
	chmod 750 "$VT_TMP/hook.sh"
	accepted "$h hook of root's in another group, mode 0750" "$conf"
	for m in 0770 0702; do
		chmod "$m" "$VT_TMP/hook.sh"
		refused "$h hook mode $m" "$conf" \
			"$conf:$l: $h script $VT_TMP/hook.sh has mode $m, it must not be writable by group or others; run chmod go-w $VT_TMP/hook.sh"
	done
	chmod 600 "$VT_TMP/hook.sh"
	refused "$h hook not executable" "$conf" \
		"$conf:$l: $h script $VT_TMP/hook.sh is not executable (mode 0600); run chmod u+x $VT_TMP/hook.sh"
done

# 7. lifetimes: the defaults pass without a word, for every suite
for s in aes-gcm chacha20-poly1305 aes-cbc/hmac-sha1-96 blowfish-cbc/hmac-sha256-128 3des-cbc/hmac-sha256-128; do
	vt_write_configs udp v4 "$s"
	accepted "default lifetimes, $s" "$(vt_conf c)"
	! grep -qi "lifetime" <<<"$OUT" || fail "vpntund -n speaks of lifetimes for the defaults of $s: $OUT"
	VT_EXTRA_PEER_c_r1=$'\tesn yes'
	vt_write_configs udp v4 "$s"
	accepted "default lifetimes with esn, $s" "$(vt_conf c)"
	! grep -qi "lifetime" <<<"$OUT" || fail "vpntund -n speaks of lifetimes for the defaults of $s with esn: $OUT"
	VT_EXTRA_PEER_c_r1=
done
# a 64-bit block cipher above the SWEET32 bound loads, with a warning
VT_EXTRA_PEER_c_r1=$'\tlifetime bytes 1GB'
vt_write_configs udp v4 blowfish-cbc/hmac-sha256-128
accepted "blowfish-cbc, lifetime bytes 1GB" "$(vt_conf c)"
grep -qxF "vpntund: warning: peer \"r1\": lifetime bytes 1000000000 exceeds 64 MiB, the SWEET32 bound for blowfish-cbc, a cipher of 64-bit blocks: under one key, colliding ciphertext blocks begin to leak plaintext; keep lifetime bytes at 64 MiB or below, or use aes-cbc, aes-gcm or chacha20-poly1305" <<<"$OUT" ||
	fail "no SWEET32 warning for lifetime bytes 1GB: $OUT"
VT_EXTRA_PEER_c_r1=$'\tlifetime bytes 64MiB'
vt_write_configs udp v4 blowfish-cbc/hmac-sha256-128
accepted "blowfish-cbc, lifetime bytes 64MiB" "$(vt_conf c)"
! grep -qi "lifetime" <<<"$OUT" || fail "vpntund -n warns at exactly 64 MiB: $OUT"
# more packets than sequence numbers without esn
VT_EXTRA_PEER_c_r1=$'\tlifetime packets 5000000000'
vt_write_configs udp v4 aes-gcm
refused "lifetime packets 5000000000 without esn" "$(vt_conf c)" \
	"$(vt_conf c):$(line "$(vt_conf c)" 'lifetime packets'): lifetime packets 5000000000 exceeds 4294967295, the last sequence number without esn"
VT_EXTRA_PEER_c_r1=$'\tlifetime packets 5000000000\n\tesn yes'
vt_write_configs udp v4 aes-gcm
accepted "lifetime packets 5000000000 with esn" "$(vt_conf c)"
VT_EXTRA_PEER_c_r1=

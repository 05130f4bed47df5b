#!/usr/bin/env bash
# The two programs' command lines, without a daemon or root: --help,
# --version and bad usage (exit 0 / 0 / 2); vpntunctl genkey's files for
# several suites, which `vpntund -n` (the real loader) accepts, mode
# 0600, new bytes each run, an existing file refused unless --force;
# vpntunctl -c finding the control socket from a config whose keys do
# not exist, and exit 3 when nobody answers there.
set -euo pipefail
B=${VPNTUND_BUILD:?set VPNTUND_BUILD}
T=$(mktemp -d /tmp/vpntund-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect STATUS CMD...: runs CMD, its stdout in $T/out, stderr in $T/err
expect() {
	local want=$1 rc=0
	shift
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" = "$want" ] || fail "$* exited $rc, expected $want: $(cat "$T/err")"
}

for p in vpntund vpntunctl; do
	expect 0 "$B/$p" --help
	grep -q "^usage: $p" "$T/out" || fail "$p --help: no usage on stdout"
	[ ! -s "$T/err" ] || fail "$p --help wrote to stderr"
	expect 0 "$B/$p" -h
	grep -q "^usage: $p" "$T/out" || fail "$p -h: no usage on stdout"
	expect 0 "$B/$p" --version
	[ "$(cat "$T/out")" = "$p 0.1.0" ] || fail "$p --version: $(cat "$T/out")"
	expect 2 "$B/$p" --no-such-option
	grep -q "usage: $p" "$T/err" || fail "$p bad option: no usage on stderr"
	[ ! -s "$T/out" ] || fail "$p bad option wrote to stdout"
done
expect 2 "$B/vpntund"
expect 2 "$B/vpntunctl"
expect 2 "$B/vpntunctl" frobnicate
expect 2 "$B/vpntunctl" status --yaml
expect 2 "$B/vpntunctl" -s "$T/a.sock" -c "$T/a.conf" status

# genkey: each suite as a peer block names it, loaded by vpntund -n.
conf() { # CIPHER_LINE AUTH_LINE KEY CONTROL_LINE
	cat <<EOF
site "c" {
	role central
	network 10.1.0.0/24
	state-file "$T/c.state"
	$4
}
peer "r" {
	network 10.1.1.0/24
	endpoint 198.18.1.2
	$1
	$2
	key "$3"
}
EOF
}
n=0
while read -r cipher bits auth; do
	n=$((n + 1))
	args=(--cipher "$cipher")
	cl="cipher $cipher"
	[ "$bits" = - ] || { args+=(--keysize "$bits"); cl+=" keysize $bits"; }
	al=""
	[ "$auth" = - ] || { args+=(--auth "$auth"); al="auth $auth"; }
	expect 0 "$B/vpntunctl" genkey "${args[@]}" "$T/k$n.key"
	[ "$(stat -c %a "$T/k$n.key")" = 600 ] || fail "k$n.key: mode $(stat -c %a "$T/k$n.key")"
	grep -q "key \"$T/k$n.key\"" "$T/err" || fail "genkey $cipher: no key line in the hint: $(cat "$T/err")"
	grep -q "cipher $cipher" "$T/err" || fail "genkey $cipher: no cipher line in the hint"
	conf "$cl" "$al" "k$n.key" "" >"$T/k$n.conf"
	expect 0 "$B/vpntund" -n -c "$T/k$n.conf"
	grep -q "configuration OK" "$T/out" || fail "k$n.conf: $(cat "$T/out" "$T/err")"
	# Another run: other bytes.
	expect 0 "$B/vpntunctl" genkey "${args[@]}" "$T/k$n-2.key"
	[ "$(grep -v '^#' "$T/k$n.key")" != "$(grep -v '^#' "$T/k$n-2.key")" ] ||
		fail "genkey $cipher: two runs wrote the same keys"
done <<'EOF'
blowfish-cbc 128 hmac-sha256-128
blowfish-cbc 256 hmac-sha256-128
blowfish-cbc 448 hmac-sha1-96
aes-gcm - -
aes-gcm 128 none
chacha20-poly1305 - -
3des-cbc - hmac-sha1-96
3des-cbc - none
aes-cbc 256 none
aes-cbc 128 hmac-md5-96
aes-cbc 128 hmac-sha384-192
aes-cbc 256 hmac-sha512-256
blowfish-cbc 128 hmac-sha256-96
3des-cbc - hmac-sha384-96
aes-cbc 192 hmac-sha512-96
aes-cbc 128 aes-xcbc-mac-96
cast128-cbc 40 hmac-sha1-96
cast128-cbc - -
aes-ctr 256 -
aes-ctr 192 hmac-sha1-96
null - hmac-sha1-96
EOF
# The hint's lines, as printed, make a config that loads.
expect 0 "$B/vpntunctl" genkey --cipher aes-cbc --keysize 192 "$T/hint.key"
conf "$(grep -P '^\tcipher ' "$T/err")" "$(grep -P '^\tauth ' "$T/err")" \
    "$T/hint.key" "" >"$T/hint.conf"
expect 0 "$B/vpntund" -n -c "$T/hint.conf"

# des-cbc: refused without allow-weak-cipher, which genkey's hint names;
# with it the config loads and vpntund -n warns.
expect 0 "$B/vpntunctl" genkey --cipher des-cbc --auth hmac-sha1-96 "$T/des.key"
grep -qP '^\tallow-weak-cipher yes\t# 56-bit key, found by exhaustive search in hours$' "$T/err" ||
	fail "genkey des-cbc: no allow-weak-cipher in the hint: $(cat "$T/err")"
conf "cipher des-cbc" "auth hmac-sha1-96" "$T/des.key" "" >"$T/des.conf"
expect 1 "$B/vpntund" -n -c "$T/des.conf"
grep -qF "des.conf:10: des-cbc is a weak cipher (56-bit key, found by exhaustive search in hours); to use it anyway, add \"allow-weak-cipher yes\" to peer \"r\"" "$T/err" ||
	fail "des-cbc without allow-weak-cipher: $(cat "$T/err")"
conf "cipher des-cbc" $'allow-weak-cipher yes\n\tauth hmac-sha1-96' \
    "$T/des.key" "" >"$T/des.conf"
expect 0 "$B/vpntund" -n -c "$T/des.conf"
grep -qF 'vpntund: warning: peer "r": des-cbc is a weak cipher (56-bit key, found by exhaustive search in hours)' "$T/err" ||
	fail "des-cbc with allow-weak-cipher: no warning: $(cat "$T/err")"

# An existing file is refused and left alone; --force replaces it.
before=$(cat "$T/k1.key")
expect 1 "$B/vpntunctl" genkey --cipher blowfish-cbc --keysize 128 "$T/k1.key"
grep -q "File exists" "$T/err" || fail "overwrite: $(cat "$T/err")"
[ "$(cat "$T/k1.key")" = "$before" ] || fail "a refused genkey changed the file"
(umask 0; expect 0 "$B/vpntunctl" genkey --force --cipher blowfish-cbc --keysize 128 "$T/k1.key")
[ "$(stat -c %a "$T/k1.key")" = 600 ] || fail "--force: mode $(stat -c %a "$T/k1.key")"
[ "$(cat "$T/k1.key")" != "$before" ] || fail "--force did not replace the keys"
expect 0 "$B/vpntund" -n -c "$T/k1.conf"
[ -z "$(find "$T" -name '.vpntund-key.*')" ] || fail "--force left a temporary file"
# Suites a peer block refuses.
expect 2 "$B/vpntunctl" genkey --cipher aes-gcm --auth hmac-sha1-96 "$T/bad.key"
expect 2 "$B/vpntunctl" genkey --cipher 3des-cbc --keysize 128 "$T/bad.key"
expect 2 "$B/vpntunctl" genkey --cipher rot13 "$T/bad.key"
expect 2 "$B/vpntunctl" genkey
expect 2 "$B/vpntunctl" -s "$T/a.sock" genkey "$T/bad.key"
[ ! -e "$T/bad.key" ] || fail "a refused suite left a file"

# -c: the socket from the config, its key file never read (none exists);
# relative to the current directory, as for the daemon.
conf "" "" "missing.key" "control \"$T/ctl.sock\"" >"$T/ctl.conf"
expect 3 "$B/vpntunctl" -c "$T/ctl.conf" status
grep -q "cannot connect to $T/ctl.sock" "$T/err" || fail "-c: $(cat "$T/err")"
conf "" "" "missing.key" 'control "rel/ctl.sock"' >"$T/rel.conf"
(cd "$T" && expect 3 "$B/vpntunctl" -c rel.conf status)
grep -q "cannot connect to rel/ctl.sock" "$T/err" || fail "-c relative: $(cat "$T/err")"
conf "" "" "missing.key" "" >"$T/default.conf"
expect 3 "$B/vpntunctl" -c "$T/default.conf" status
grep -q "cannot connect to /run/vpntund/vpntund.sock" "$T/err" || fail "-c default: $(cat "$T/err")"
expect 1 "$B/vpntunctl" -c "$T/no-such.conf" status
expect 3 "$B/vpntunctl" -s "$T/none.sock" status
echo "PASS: cli"

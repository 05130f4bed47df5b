#!/usr/bin/env bash
# vpntunctl import-setkey's command line, without a daemon or root: bad
# usage (exit 2), a file it cannot read or convert (exit 1, its
# file:line message, nothing written), an existing file refused and
# nothing written, --force replacing every file, modes 0600 and 0700,
# and a result that `vpntund -n` (the real loader) accepts.
set -euo pipefail
B=${VPNTUND_BUILD:?set VPNTUND_BUILD}
T=$(mktemp -d /tmp/vpntund-import.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect STATUS CMD...: runs CMD, its stdout in $T/out, stderr in $T/err
expect() {
	local want=$1 rc=0
	shift
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" = "$want" ] || fail "$* exited $rc, expected $want: $(cat "$T/err")"
}
I=("$B/vpntunctl" import-setkey)

cat >"$T/rc.ipsec" <<'EOF'
#!/bin/sh
setkey -c <<END
flush;
add 198.18.1.2 198.18.0.1 esp 0x1001 -E aes-cbc 0x000102030405060708090a0b0c0d0e0f
    -A hmac-sha1 0x000102030405060708090a0b0c0d0e0f10111213;
add 198.18.0.1 198.18.1.2 esp 0x1002 -r 8 -E aes-cbc 0x101112131415161718191a1b1c1d1e1f
    -A hmac-sha1 0x101112131415161718191a1b1c1d1e1f20212223;
spdadd 10.1.1.0/24 10.1.0.0/24 any -P out ipsec esp/tunnel/198.18.1.2-198.18.0.1/require;
spdadd 10.1.0.0/24 10.1.1.0/24 any -P in ipsec esp/tunnel/198.18.0.1-198.18.1.2/require;
END
EOF

expect 0 "${I[@]}" --help
grep -q "^usage: vpntunctl import-setkey" "$T/out" || fail "--help: $(cat "$T/out")"
expect 2 "${I[@]}" "$T/rc.ipsec"                      # no -o
expect 2 "${I[@]}" -o "$T/x"                          # no file
expect 2 "${I[@]}" -o "$T/x" "$T/rc.ipsec" "$T/rc.ipsec"
expect 2 "${I[@]}" --role middle -o "$T/x" "$T/rc.ipsec"
expect 2 "${I[@]}" --local 10.1.0.0/24 -o "$T/x" "$T/rc.ipsec"
expect 2 "${I[@]}" --network banana -o "$T/x" "$T/rc.ipsec"
expect 2 "$B/vpntunctl" -s "$T/a.sock" import-setkey -o "$T/x" "$T/rc.ipsec"
[ ! -e "$T/x" ] || fail "usage errors wrote $T/x"

# Unreadable: the message names the line; nothing written.
sed 's/0x000102030405060708090a0b0c0d0e0f$/0x0001/' "$T/rc.ipsec" >"$T/bad.sh"
expect 1 "${I[@]}" -o "$T/x" "$T/bad.sh"
[ "$(cat "$T/err")" = "vpntunctl: import-setkey: $T/bad.sh:4: aes-cbc key of 2 bytes (16 bits), expected 16, 24 or 32 bytes (128, 192 or 256 bits)" ] ||
	fail "bad key: $(cat "$T/err")"
expect 1 "${I[@]}" -o "$T/x" "$T/none.sh"
[ "$(cat "$T/err")" = "vpntunctl: import-setkey: $T/none.sh: No such file or directory" ] ||
	fail "missing file: $(cat "$T/err")"
[ ! -e "$T/x" ] || fail "a refused import wrote $T/x"

# The import: what it wrote, modes, and the loader's verdict.
expect 0 "${I[@]}" -o "$T/x" "$T/rc.ipsec"
grep -qx 'vpntunctl: import-setkey: wrote '"$T"'/x/site.conf (site "rc", 1 peer) and 2 key files in '"$T"'/x/keys, mode 600' "$T/err" ||
	fail "import: $(cat "$T/err")"
grep -qx "vpntunctl: import-setkey: first start: \`vpntund -R -c $T/x/site.conf\`, the state file is new" "$T/err" ||
	fail "import: no word of -R: $(cat "$T/err")"
[ "$(stat -c %a "$T/x/keys")" = 700 ] || fail "keys/ is not mode 700"
for k in in out; do
	[ "$(stat -c %a "$T/x/keys/kame-198-18-0-1.$k")" = 600 ] ||
		fail "keys/kame-198-18-0-1.$k is not mode 600"
done
[ "$(grep -v '^#' "$T/x/keys/kame-198-18-0-1.in" | tr -d '\n')" = \
    101112131415161718191a1b1c1d1e1f101112131415161718191a1b1c1d1e1f20212223 ] ||
	fail "keys/kame-198-18-0-1.in: $(cat "$T/x/keys/kame-198-18-0-1.in")"
grep -q "^	replay-window 64	# -r 8 at line 6: 8 bytes, 64 packets" "$T/x/site.conf" ||
	fail "replay-window: $(cat "$T/x/site.conf")"
sed -i "s|^\tstate-file .*|\tstate-file \"$T/rc.state\"|" "$T/x/site.conf"
expect 0 "$B/vpntund" -n -c "$T/x/site.conf"

# Existing files: refused, nothing written; --force replaces them all.
cp "$T/x/site.conf" "$T/site.conf.before"
rm "$T/x/keys/kame-198-18-0-1.out"
expect 1 "${I[@]}" -o "$T/x" "$T/rc.ipsec"
grep -q "x/keys/kame-198-18-0-1.in exists (--force replaces it); nothing written" "$T/err" ||
	fail "existing file: $(cat "$T/err")"
[ ! -e "$T/x/keys/kame-198-18-0-1.out" ] || fail "a refused import wrote a key file"
cmp -s "$T/x/site.conf" "$T/site.conf.before" || fail "a refused import changed site.conf"
expect 0 "${I[@]}" --force --role central -o "$T/x" "$T/rc.ipsec"
grep -q "^	role central$" "$T/x/site.conf" || fail "--force: site.conf not replaced"
[ "$(stat -c %a "$T/x/keys/kame-198-18-0-1.out")" = 600 ] || fail "--force: key not mode 600"
[ -z "$(find "$T/x" -name '.import.*')" ] || fail "--force left temporary files"
echo "PASS: import-setkey command line" >&2

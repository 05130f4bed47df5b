#!/usr/bin/env bash
# The man pages rendered from docs/*.md: each must pass mandoc's lint
# without a warning and groff without one (all warnings on, but for
# lines that cannot be broken: JSON examples), and must have a NAME
# that whatis(1) can read and a SYNOPSIS with text in it.
#
#   test_man_render.sh page...
set -euo pipefail

for tool in mandoc groff preconv lexgrog col; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP: $tool not installed"
		exit 77
	fi
done
[ "$#" -gt 0 ] || { echo "FAIL: no pages given"; exit 1; }

fail=0
bad() { echo "FAIL: $page: $*"; fail=1; page_ok=0; }

# The text of section $2 in the rendered page $1: the lines after its
# heading, up to the next heading (headings start in column 0).
section_text() {
	awk -v want="$2" '
		/^[A-Z]/ { on = ($0 == want); next }
		on && NF { print }' "$1"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for page in "$@"; do
	page_ok=1
	if [ ! -s "$page" ]; then
		bad "missing or empty"
		continue
	fi
	lint=$(mandoc -Tlint -Wwarning "$page" 2>&1) || true
	[ -z "$lint" ] || bad "mandoc: $lint"
	warn=$(preconv "$page" | groff -man -ww -Wbreak -z -Tutf8 2>&1) ||
		bad "groff failed"
	[ -z "$warn" ] || bad "groff: $warn"

	# lexgrog reads NAME as mandb does for whatis(1) and apropos(1).
	name=${page##*/}
	name=${name%.[0-9]}
	whatis=$(lexgrog "$page" 2>&1) || true
	case "$whatis" in
	*": \"$name - "?*) ;;
	*) bad "NAME is not \"$name - what it is\": $whatis" ;;
	esac

	mandoc -Tascii "$page" | col -b >"$tmp/page.txt"
	grep -q "^NAME\$" "$tmp/page.txt" || bad "no NAME section"
	grep -q "^SYNOPSIS\$" "$tmp/page.txt" || bad "no SYNOPSIS section"
	[ -n "$(section_text "$tmp/page.txt" SYNOPSIS)" ] ||
		bad "empty SYNOPSIS"
	[ "$page_ok" = 0 ] ||
		echo "ok: $page: $(wc -l <"$tmp/page.txt") lines, $whatis"
done
exit "$fail"

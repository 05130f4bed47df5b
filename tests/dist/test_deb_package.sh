#!/usr/bin/env bash
# The Debian package: `cpack -G DEB` from the build directory makes
# vpntund_<version>_<arch>.deb whose control fields and file list are
# checked here; then it is installed with dpkg -i, used, removed and
# purged in a copy of this system, never on it: an overlay over / whose
# writes go to a tmpfs, in a mount namespace of its own, entered with
# chroot. The namespace and all it mounted go when the test ends.
#
#   test_deb_package.sh build-dir
set -euo pipefail
build=$(cd "${1:?usage: test_deb_package.sh build-dir}" && pwd)

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root (mount namespace, overlay, chroot)"
	exit 77
fi
for tool in cpack dpkg-deb dpkg-shlibdeps unshare chroot; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP: $tool not installed"
		exit 77
	fi
done
if ! grep -qw overlay /proc/filesystems && ! modprobe overlay 2>/dev/null; then
	echo "SKIP: no overlayfs"
	exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' \
    "$build/CPackConfig.cmake")
arch=$(dpkg --print-architecture)
cpack --config "$build/CPackConfig.cmake" -G DEB -B "$tmp/pkg" \
    >"$tmp/cpack.log" 2>&1 || { cat "$tmp/cpack.log"; exit 1; }
deb=$tmp/pkg/vpntund_${version}_${arch}.deb
if [ ! -f "$deb" ]; then
	ls "$tmp/pkg"
	echo "FAIL: no vpntund_${version}_${arch}.deb"
	exit 1
fi
echo "built $(basename "$deb"), $(stat -c %s "$deb") bytes"

# Control fields: name, version and architecture, and the libraries'
# packages from dpkg-shlibdeps.
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = vpntund ] || bad "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || bad "Version: $(field Version)"
[ "$(field Architecture)" = "$arch" ] ||
	bad "Architecture: $(field Architecture)"
[ -n "$(field Maintainer)" ] || bad "no Maintainer"
[ -n "$(field Description)" ] || bad "no Description"
depends=$(field Depends)
echo "Depends: $depends"
for dep in libc6 libssl3 libevent-core-2.1-7 libpcap0.8 'systemd | adduser'; do
	case ", $depends," in
	*", $dep"[\ ,]*) ;;
	*) bad "Depends lacks $dep" ;;
	esac
done
info=$(dpkg-deb -I "$deb")
for script in postinst prerm postrm; do
	grep -qE "^ .* \* +$script +#!/bin/sh" <<<"$info" ||
		bad "no $script maintainer script"
done

# The file list: what must be there, and nothing in /etc, no key.
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$tmp/files"
for f in /usr/sbin/vpntund /usr/bin/vpntunctl \
    /usr/share/man/man8/vpntund.8 /usr/share/man/man8/vpntunctl.8 \
    /usr/share/man/man5/site.conf.5 \
    /usr/share/doc/vpntund/examples/central.conf \
    /usr/share/doc/vpntund/examples/remote.conf \
    /lib/systemd/system/vpntund.service \
    /lib/systemd/system/vpntund@.service \
    /usr/lib/sysusers.d/vpntund.conf /usr/lib/tmpfiles.d/vpntund.conf; do
	grep -qxF "$f" "$tmp/files" || bad "package lacks $f"
done
! grep -q '^/etc' "$tmp/files" || bad "package ships files in /etc"
! grep -q '\.key$' "$tmp/files" || bad "package ships a key file"
if grep -q '^/usr/local' "$tmp/files"; then
	bad "package has files under /usr/local"
fi
[ "$fail" = 0 ] || exit 1

# Install, use, remove and purge in the copy. The upper layer is a
# tmpfs: overlayfs takes no upper directory on most file systems a
# /tmp may be on. /run/systemd/system is absent in the copy as on a
# build machine, so the maintainer scripts leave systemctl alone.
host_state() {
	printf '%s|%s|%s' "$(dpkg-query -W -f='${Status}' vpntund 2>/dev/null)" \
	    "$(ls /usr/sbin/vpntund /lib/systemd/system/vpntund.service 2>/dev/null)" \
	    "$(getent passwd vpntund)"
}
before=$(host_state)
cp "$deb" "$tmp/vpntund.deb"
cat >"$tmp/inside.sh" <<'INSIDE'
set -u
fail=0
bad() { echo "FAIL (installed): $*"; fail=1; }
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
dpkg -i /vpntund.deb >/dpkg.log 2>&1 || { cat /dpkg.log; exit 1; }
dpkg -s vpntund | grep -qx 'Status: install ok installed' ||
	bad "dpkg -s: not installed"

# --version where the daemon has it; before that, a usage error (2).
rc=0
out=$(vpntund --version 2>&1) || rc=$?
case "$rc" in
0) case "$out" in *"$VERSION"*) ;; *) bad "vpntund --version: $out" ;; esac ;;
2) ;;
*) bad "vpntund --version exits $rc: $out" ;;
esac
echo "vpntund --version: exit $rc"
rc=0
vpntunctl -h >/dev/null 2>&1 || rc=$?
[ "$rc" = 0 ] || bad "vpntunctl -h exits $rc"
# decrypt-pcap, which links libpcap: its usage, from the installed copy.
rc=0
out=$(vpntunctl decrypt-pcap --help 2>&1) || rc=$?
case "$rc $out" in
"0 usage: vpntunctl decrypt-pcap"*) ;;
*) bad "vpntunctl decrypt-pcap --help exits $rc: $out" ;;
esac

for page in "8 vpntund" "8 vpntunctl" "5 site.conf"; do
	where=$(man -w $page 2>&1) || bad "man -w $page: $where"
	case "$where" in /usr/share/man/*) ;; *) bad "man -w $page: $where" ;; esac
	echo "man -w $page: $where"
done

pw=$(getent passwd vpntund) || bad "no user vpntund"
case "$pw" in
vpntund:*:/nonexistent:*) ;;
*) bad "user vpntund: $pw" ;;
esac
echo "user: $pw"
uid=$(id -u vpntund)
[ "$uid" -lt 1000 ] || bad "vpntund is not a system user (uid $uid)"
getent group vpntund >/dev/null || bad "no group vpntund"
# The state directory is the packet process's (tmpfiles.d).
st=$(stat -c '%U:%G %a' /var/lib/vpntund 2>&1) || bad "no /var/lib/vpntund: $st"
[ "$st" = "vpntund:vpntund 700" ] || bad "/var/lib/vpntund is $st"

# The units as packaged, against the installed binary and pages.
if command -v systemd-analyze >/dev/null; then
	out=$(systemd-analyze verify /lib/systemd/system/vpntund.service 2>&1) ||
		bad "verify: $out"
	[ -z "$out" ] || bad "verify: $out"
fi
grep -qx 'ExecStart=/usr/sbin/vpntund -f -c /etc/vpntund/vpntund.conf' \
    /lib/systemd/system/vpntund.service || bad "ExecStart in vpntund.service"

# Remove, then purge: the files go, the state directory with the purge,
# the user stays (Debian leaves system users).
mkdir -p /var/lib/vpntund
echo 'x' >/var/lib/vpntund/site.state
dpkg -r vpntund >/dpkg.log 2>&1 || { cat /dpkg.log; bad "dpkg -r"; }
[ ! -e /usr/sbin/vpntund ] || bad "vpntund left after dpkg -r"
[ ! -e /lib/systemd/system/vpntund.service ] || bad "unit left after dpkg -r"
[ -e /var/lib/vpntund/site.state ] || bad "dpkg -r removed the state"
dpkg -P vpntund >/dpkg.log 2>&1 || { cat /dpkg.log; bad "dpkg -P"; }
[ ! -e /var/lib/vpntund ] || bad "/var/lib/vpntund left after purge"
getent passwd vpntund >/dev/null || bad "purge removed the user"
[ "$fail" = 0 ] && echo "ok: installed, ran, removed and purged in the copy"
exit "$fail"
INSIDE

unshare -m --propagation private -- bash -euc '
	tmp=$1 version=$2
	mkdir -p "$tmp/ovl" "$tmp/root"
	mount -t tmpfs -o mode=0755 vpntund-deb-test "$tmp/ovl"
	mkdir "$tmp/ovl/upper" "$tmp/ovl/work"
	mount -t overlay overlay -o "lowerdir=/,upperdir=$tmp/ovl/upper,workdir=$tmp/ovl/work" "$tmp/root"
	mount -t proc proc "$tmp/root/proc"
	mount --rbind /dev "$tmp/root/dev"
	mount -t tmpfs tmpfs "$tmp/root/run"
	mount -t tmpfs tmpfs "$tmp/root/tmp"
	cp "$tmp/vpntund.deb" "$tmp/inside.sh" "$tmp/root/"
	VERSION=$version chroot "$tmp/root" /bin/bash /inside.sh
' vpntund-deb-test "$tmp" "$version" || fail=1

# Nothing of it on this system.
[ "$(host_state)" = "$before" ] ||
	bad "this system changed: $before -> $(host_state)"
[ "$fail" = 0 ] && echo "ok: the package, and this system untouched"
exit "$fail"

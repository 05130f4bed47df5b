#!/usr/bin/env bash
# Installs what building and testing vpntund needs on Debian 12, if missing.
set -euo pipefail

pkgs=(build-essential cmake pkg-config libssl-dev libevent-dev libcmocka-dev
      libpcap-dev iproute2 iputils-ping procps openssl tshark python3-scapy
      python3-cryptography
      iperf3 ethtool dnsmasq-base curl prometheus chromium
      lowdown mandoc groff-base man-db systemd libseccomp-dev)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}; run as root" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; the answer does not matter here.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"

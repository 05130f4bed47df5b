# Sourced by scripts/demo.sh and scripts/screenshot-status.sh: the paper's
# topology in network namespaces named $P<name>, and the shipped example
# configs made runnable in a scratch directory. Needs $P set.
#
#   inet     the "internet": 198.18.0.254 to the central, 198.19.1.1 to
#            the cable modem
#   central  the nursing home's router, 198.18.0.1; hosp 172.16.0.10 behind
#   phys     physician1's router, 198.19.1.2; office 10.2.1.10 (in the VPN)
#            and priv 192.168.1.10 (kept out) behind it

PAPER_NS=(inet central phys hosp office priv)

nsx() { local ns=$1; shift; ip netns exec "$P$ns" "$@"; }

# link NS1 IF1 ADDR1 NS2 IF2 ADDR2: a veth pair between two namespaces
paper_link() {
	ip link add "$2" netns "$P$1" type veth peer name "$5" netns "$P$4"
	ip -n "$P$1" addr add "$3" dev "$2"
	ip -n "$P$4" addr add "$6" dev "$5"
	ip -n "$P$1" link set "$2" up
	ip -n "$P$4" link set "$5" up
}

paper_net_up() {
	local ns
	for ns in "${PAPER_NS[@]}"; do
		ip netns add "$P$ns"
		ip -n "$P$ns" link set lo up
	done
	paper_link inet  i-c   198.18.0.254/24 central c-out 198.18.0.1/24
	paper_link inet  i-p   198.19.1.1/24   phys    p-out 198.19.1.2/24
	paper_link central c-lan 172.16.0.1/16 hosp    h0    172.16.0.10/16
	paper_link phys  p-off 10.2.1.1/24     office  o0    10.2.1.10/24
	paper_link phys  p-prv 192.168.1.1/24  priv    v0    192.168.1.10/24
	ip -n "${P}central" route add default via 198.18.0.254
	ip -n "${P}phys"    route add default via 198.19.1.1
	ip -n "${P}hosp"    route add default via 172.16.0.1
	ip -n "${P}office"  route add default via 10.2.1.1
	ip -n "${P}priv"    route add default via 192.168.1.1
	for ns in inet central phys; do
		nsx "$ns" sysctl -qw net.ipv4.ip_forward=1
	done
}

paper_net_down() {
	local ns
	for ns in "${PAPER_NS[@]}"; do
		ip netns del "$P$ns" 2>/dev/null || true
	done
}

# paper_configs SRC BUILD DIR: conf/examples copied to DIR/conf with a key
# made for this run (the repository ships none), state files in DIR/state.
# The examples' packet processes run as `vpntund`, the user the package
# makes; here, where nothing is installed, as nobody, in whose group the
# state directory is.
paper_configs() {
	local src=$1 build=$2 dir=$3
	cp -r "$src/conf/examples" "$dir/conf"
	mkdir -p "$dir/conf/keys"
	"$build/vpntunctl" genkey --cipher blowfish-cbc --keysize 256 \
		--auth hmac-sha256-128 "$dir/conf/keys/physician1.key"
	sed -i "s#\"/var/lib/vpntund/#\"$dir/state/#" "$dir/conf/"*.conf
	sed -i 's/^\tuser vpntund$/\tuser nobody/' "$dir/conf/"*.conf
	chmod 711 "$dir"
	install -d -m 770 -g "$(id -g nobody)" "$dir/state"
}

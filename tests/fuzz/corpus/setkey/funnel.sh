# the central router (nursing home): tunnel plus the funnels, unrolled
setkey -c <<END
add 198.18.0.1 198.19.1.2 esp 4097 -E 3des-cbc 0x0123456789abcdef0123456789abcdef0123456789abcdef -A hmac-sha1 "12345678901234567890";
add 198.19.1.2 198.18.0.1 esp 4098 -r 4 -f random-pad -E 3des-cbc 0xf123456789abcdef0123456789abcdef0123456789abcdef -A hmac-sha1 "abcdefghijklmnopqrst";
spdadd 10.1.0.0/24 10.1.1.0/24 any -P out ipsec esp/tunnel/198.18.0.1-198.19.1.2/require;
spdadd 10.1.1.0/24 10.1.0.0/24 any -P in ipsec esp/tunnel/198.19.1.2-198.18.0.1/require;
END
for i in 172.16.0.0/16 172.17.0.0/16; do echo $i; done
setkey -c <<END
spdadd 172.16.0.0/16 10.2.1.0/24 any -P out ipsec esp/tunnel/198.18.0.1-198.19.1.2/require;
spdadd 10.2.1.0/24 172.16.0.0/16 any -P in ipsec esp/tunnel/198.19.1.2-198.18.0.1/require;
spdadd 172.17.0.0/16 10.2.1.0/24 tcp -P out ipsec esp/tunnel/198.18.0.1-198.19.1.2/require;
spdadd 10.2.1.0/24 172.17.0.0/16 tcp -P in ipsec esp/tunnel/198.19.1.2-198.18.0.1/require;
END

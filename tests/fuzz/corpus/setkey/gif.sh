ifconfig gif0 10.1.1.1 255.255.255.0 \
    tunnel 198.19.1.2 198.18.0.1 link1
route add -net 10.1.0.0/24 -interface gif0
route add -net 172.16.0.0 -netmask 255.255.0.0 -interface gif0
setkey -c <<END
add 198.19.1.2 198.18.0.1 esp 0x2001 -m transport -E aes-ctr 0x00112233445566778899aabbccddeeff01020304 -A hmac-sha2-256 0x000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f;
add 198.18.0.1 198.19.1.2 esp 0x2002 -m transport -E aes-ctr 0x10112233445566778899aabbccddeeff01020304 -A hmac-sha2-256 0x100102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f;
spdadd 198.19.1.2 198.18.0.1 any -P out ipsec esp/transport//require;
spdadd 198.18.0.1 198.19.1.2 any -P in ipsec esp/transport//require;
END

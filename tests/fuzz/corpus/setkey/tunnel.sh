#!/bin/sh
# the remote router (physician's home) of the paper, variables filled in
setkey -c <<END
  flush;
  spdflush;
  add 198.19.1.2 198.18.0.1 esp 0x1001
    -E blowfish-cbc 0x0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef;

  add 198.18.0.1 198.19.1.2 esp 0x1002
    -E blowfish-cbc 0xfedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210;
END

setkey -c <<END
  spdadd 10.1.1.0/24 10.1.0.0/24 any -P out ipsec
    esp/tunnel/198.19.1.2-198.18.0.1/require;

  spdadd 10.1.0.0/24 10.1.1.0/24 any -P in ipsec
    esp/tunnel/198.18.0.1-198.19.1.2/require;
END
echo done

/* vpntunctl decrypt-pcap: the inner packets of the ESP in a capture,
 * decrypted with esp_decap() and the SAs of site.conf files or of the
 * command line (vpntunctl(8)). */
#ifndef VPNTUND_DECRYPT_PCAP_H
#define VPNTUND_DECRYPT_PCAP_H

/* argv[0] is "decrypt-pcap". Returns the exit status: 0 every ESP packet
 * decrypted, 1 some did not, 2 a usage, file or config error. */
int decrypt_pcap_main(int argc, char **argv);

#endif

/* What loads but deserves a word at start (vpntund and vpntund -n):
 * choices that are allowed on purpose, such as the paper's encryption
 * without integrity, said plainly so that nobody mistakes them for safe
 * ones. */
#include "conf/conf_int.h"
#include "util/log.h"

void
config_warn(const struct config *cf)
{
	const struct peer_conf *pc;
	size_t i;

	for (i = 0; i < cf->npeers; i++) {
		pc = &cf->peers[i];
		/* Without an ICV a forged or altered packet still decrypts
		 * (RFC 4303 3.4.4); only the inner header and policy checks
		 * judge it. Confidentiality and the keys are not at stake. */
		if (!pc->cipher->aead && (pc->auth == NULL ||
		    pc->auth->id == AUTH_NONE))
			log_warnx("peer \"%s\": auth none: packets are not "
			    "authenticated: anyone on the path can inject "
			    "packets or flip bits of captured ones (CBC), and "
			    "only the inner packet checks stand between them "
			    "and the tunnel; they cannot read traffic or learn "
			    "keys; use hmac-sha256-128 or an AEAD cipher",
			    pc->name);
		/* Allowed, since tests and short-lived links may want it,
		 * but past the bound the hard limit was meant to keep. */
		if (pc->cipher->block == 8 &&
		    pc->life_bytes > CONF_LIFE_BYTES_64BIT)
			log_warnx("peer \"%s\": lifetime bytes %llu exceeds "
			    "64 MiB, the SWEET32 bound for %s, a cipher of "
			    "64-bit blocks: under one key, colliding "
			    "ciphertext blocks begin to leak plaintext; keep "
			    "lifetime bytes at 64 MiB or below, or use "
			    "aes-cbc, aes-gcm or chacha20-poly1305", pc->name,
			    (unsigned long long)pc->life_bytes,
			    pc->cipher->name);
	}
}

/* What loads but deserves a word at start (vpntund and vpntund -n):
 * choices that are allowed on purpose, such as the paper's encryption
 * without integrity, said plainly so that nobody mistakes them for safe
 * ones. */
#include <netinet/in.h>

#include "conf/conf_int.h"
#include "util/log.h"

static bool
loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *sin = (const void *)ss;
	const struct sockaddr_in6 *sin6 = (const void *)ss;

	if (ss->ss_family == AF_INET)
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	return ss->ss_family == AF_INET6 &&
	    IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
}

static bool
integrity(const struct sa_suite *su)
{
	return cipher_is_aead(su->cipher) || (su->auth != NULL &&
	    su->auth->id != AUTH_NONE);
}

/* What one direction's transforms give away. */
static void
warn_suite(const struct peer_conf *pc, const struct sa_suite *su,
    const char *dir)
{
	/* Without an ICV a forged or altered packet still decrypts
	 * (RFC 4303 3.4.4); only the inner header and policy checks
	 * judge it. Confidentiality and the keys are not at stake. */
	if (!integrity(su))
		log_warnx("peer \"%s\": %sauth none: packets are not "
		    "authenticated: anyone on the path can inject "
		    "packets or flip bits of captured ones (CBC), and "
		    "only the inner packet checks stand between them "
		    "and the tunnel; they cannot read traffic or learn "
		    "keys; use hmac-sha256-128 or an AEAD cipher",
		    pc->name, dir);
	/* RFC 2451 allows Blowfish and CAST keys from 40 bits, and KAME's
	 * setkey makes them; a search of 2^40 keys is an afternoon. */
	if ((su->cipher->id == CIPHER_BLOWFISH_CBC ||
	    su->cipher->id == CIPHER_CAST128_CBC) && su->key_bits < 128)
		log_warnx("peer \"%s\": %s%s keysize %zu: a key this short "
		    "can be found by trying them all; use keysize 128 or "
		    "more", pc->name, dir, su->cipher->name, su->key_bits);
	/* Allowed by allow-weak-cipher yes, for peers (KAME) that know
	 * nothing better; said at every start. */
	if (su->cipher->weak != NULL)
		log_warnx("peer \"%s\": %s%s is a weak cipher (%s): anyone "
		    "who records the traffic can read it; allowed by "
		    "allow-weak-cipher yes; use aes-cbc or aes-gcm where the "
		    "peer can", pc->name, dir, su->cipher->name,
		    su->cipher->weak);
	/* RFC 2410: integrity without confidentiality. */
	if (su->cipher->mode == CIPHER_MODE_NULL)
		log_warnx("peer \"%s\": %scipher null: packets are not "
		    "encrypted (RFC 2410): anyone on the path reads the "
		    "traffic; %s only proves who sent it", pc->name, dir,
		    su->auth != NULL ? su->auth->name : "none");
}

void
config_warn(const struct config *cf)
{
	const struct peer_conf *pc;
	size_t i;

	/* The page and /metrics show addresses, SPIs and counters to
	 * whoever reaches the port. */
	if (cf->site.monitor.ss_family != AF_UNSPEC &&
	    !loopback(&cf->site.monitor))
		log_warnx("monitor: not on loopback: anyone who reaches its "
		    "address may read the status (no authentication); keep "
		    "it on a management network or behind a firewall");

	for (i = 0; i < cf->npeers; i++) {
		pc = &cf->peers[i];
		warn_suite(pc, &pc->suite_out, pc->sa_split ? "sa out: " : "");
		if (pc->sa_split)
			warn_suite(pc, &pc->suite_in, "sa in: ");
		/* Allowed, since tests and short-lived links may want it,
		 * but past the bound the hard limit was meant to keep. The
		 * limit is on what we send. */
		if (pc->suite_out.cipher->block == 8 &&
		    pc->life_bytes > CONF_LIFE_BYTES_64BIT)
			log_warnx("peer \"%s\": lifetime bytes %llu exceeds "
			    "64 MiB, the SWEET32 bound for %s, a cipher of "
			    "64-bit blocks: under one key, colliding "
			    "ciphertext blocks begin to leak plaintext; keep "
			    "lifetime bytes at 64 MiB or below, or use "
			    "aes-cbc, aes-gcm or chacha20-poly1305", pc->name,
			    (unsigned long long)pc->life_bytes,
			    pc->suite_out.cipher->name);
		/* RFC 4303 3.4.3 lets a receiver go without; the operator
		 * chose it for a peer whose counter restarts. */
		if (pc->replay_window == 0)
			log_warnx("peer \"%s\": replay-window 0: a captured "
			    "packet from this peer can be delivered again, at "
			    "any time; use it only for a peer that restarts "
			    "its counter (KAME's setkey default -r 0)",
			    pc->name);
		/* Without an ICV the padding is one of the few checks a
		 * forged packet must pass (RFC 4303 2.4). */
		if (pc->padding == PADDING_ANY && !integrity(&pc->suite_in))
			log_warnx("peer \"%s\": padding any with auth none: "
			    "the padding bytes are one of the few checks left "
			    "against forged packets; use padding strict or "
			    "zero, or an auth algorithm", pc->name);
	}
}

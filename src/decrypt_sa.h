/* The SAs `vpntunctl decrypt-pcap` decrypts with: the manual SAs of a
 * site.conf's peers, keyed as the daemon keys them, those of a setkey
 * script, and SAs given on the command line. Each is keyed to decrypt, in either direction, and
 * counts what happened to its packets. */
#ifndef VPNTUND_DECRYPT_SA_H
#define VPNTUND_DECRYPT_SA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"
#include "src/esp/esp.h"

/* Sequence numbers an SA has decrypted, to tell duplicates. */
struct dsa_seen {
	uint64_t *slot;         /* open addressing; 0 is free (no ESP
	                           packet carries number 0) */
	size_t    size, n;
};

struct dsa {
	uint32_t        spi;
	struct esp_sa   esp;            /* keyed to decrypt */
	bool            skip_icv;
	const char     *dir;            /* "in", "out" (site.conf), "-" */
	char            from[PATH_MAX + 64];    /* peer "x", --sa, file:line */
	uint64_t        decrypted, failed, dups;
	struct dsa_seen seen;
	size_t          order;          /* as given, among equal SPIs */
};

struct dsa_set {
	struct dsa *v;
	size_t      n, cap;
};

/* Adds the manual SAs (both directions, and the dedicated tap SAs) of
 * every peer of the site.conf at path; says on stderr which peers it
 * skips (derived keying). -1 with err->msg ("file:line: ..."). */
int  dsa_add_config(struct dsa_set *s, const char *path, bool skip_icv,
    struct conf_error *err);
/* Adds the ESP SAs of a setkey(8) script (conf/setkey.h), as KAME would
 * receive them (-f's padding); an hmac-sha2-* SA twice, as RFC 4868 and
 * as older KAME's 96-bit truncation. Says on stderr which SAs it skips
 * (AH, IPComp, RFC 1827 ESP). -1 with err->msg ("file:line: ..."). */
int  dsa_add_setkey(struct dsa_set *s, const char *path, bool skip_icv,
    struct conf_error *err);
/* What the command line says of its SAs beyond their spec. */
struct dsa_spec_opts {
	bool         skip_icv;  /* AUTHKEYHEX may be left out */
	bool         esn;       /* 64-bit sequence numbers */
	enum esp_pad pad;       /* what the padding may hold */
};
/* Adds an SA given as SPI:CIPHER[:BITS]:KEYHEX[:AUTH[:AUTHKEYHEX]].
 * -1 with err->msg, never naming key bytes. */
int  dsa_add_spec(struct dsa_set *s, const char *spec,
    const struct dsa_spec_opts *o, struct conf_error *err);
/* Sorts the SAs by SPI (stable: the order given among equal SPIs); then
 * dsa_find gives the first SA of spi and *n, how many share it. */
void dsa_sort(struct dsa_set *s);
struct dsa *dsa_find(struct dsa_set *s, uint32_t spi, size_t *n);
/* Whether seq was decrypted on this SA before; records it. -1: no
 * memory. */
int  dsa_seen(struct dsa *d, uint64_t seq);
void dsa_free(struct dsa_set *s);

/* "0x0102..." or "0102...": whole bytes that fit in max, at least one
 * unless empty_ok. -1 otherwise, buf wiped. */
int  hex_decode(const char *s, uint8_t *buf, size_t max, size_t *len);
int  hex_decode_empty(const char *s, uint8_t *buf, size_t max, size_t *len,
    bool empty_ok);

#endif

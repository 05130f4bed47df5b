/* The whole-config pass: defaults that depend on other statements, then
 * the checks that need every block (names and SPIs unique, every peer
 * complete), then the SPIs and key files. Runs once, after parsing. */
#include <sys/stat.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf_int.h"

const char *
role_name(enum site_role r)
{
	return r == ROLE_CENTRAL ? "central" : "remote";
}

const char *
transport_name(enum transport t)
{
	return t == TRANSPORT_UDP ? "udp" : "esp";
}

const char *
padding_name(enum padding p)
{
	return p == PADDING_ZERO ? "zero" : p == PADDING_ANY ? "any" :
	    "strict";
}

static int
site_finish(struct lexer *lx, struct site_conf *s, const char *file, int line)
{
	size_t i;

	if (s->nnetworks == 0) {
		conf_err(lx, file, line, "site \"%s\" has no network; expected "
		    "at least one \"network\" statement", s->name);
		return -1;
	}
	/* Host 1 of each network, as the paper's routers are numbered. */
	if (s->naddresses == 0) {
		for (i = 0; i < s->nnetworks; i++) {
			struct prefix a = s->networks[i];

			prefix_network(&a);
			if (a.len < addr_bits(a.af))
				(void)addr_add(&a, 1, false);
			s->addresses[s->naddresses++] = a;
		}
	}
	if (s->state_file[0] == '\0' && (size_t)snprintf(s->state_file,
	    sizeof(s->state_file), "/var/lib/vpntund/%s.state", s->name) >=
	    sizeof(s->state_file)) {
		conf_err(lx, file, line, "state file path too long");
		return -1;
	}
	/* In a directory of its own: systemd's RuntimeDirectory=, the one
	 * place under /run a sandboxed unit may write. */
	if (s->control[0] == '\0')
		snprintf(s->control, sizeof(s->control), "%s",
		    CONF_CONTROL_DEFAULT);
	return 0;
}

/* A hook runs with vpntund's privileges: a script that someone else may
 * change is code they run as root. It must be there at load, not found
 * missing when a tunnel goes up. Opened rather than stat(2)ed: after
 * privilege separation a reload reads it through the privileged parent,
 * which runs the hooks. */
static int
check_hook(struct lexer *lx, const char *what, const char *path,
    const char *file, int line)
{
	struct stat st;
	int fd;

	if (path[0] == '\0')
		return 0;
	if ((fd = conf_open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		conf_err(lx, file, line, "%s %s: %s", what, path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	if (!S_ISREG(st.st_mode)) {
		conf_err(lx, file, line, "%s %s is not a regular file",
		    what, path);
		return -1;
	}
	if (check_owner(lx, file, line, what, path, st.st_uid) == -1)
		return -1;
	if (st.st_mode & 022) {
		conf_err(lx, file, line, "%s %s has mode %04o, it must "
		    "not be writable by group or others; run chmod go-w %s",
		    what, path, (unsigned)(st.st_mode & 07777), path);
		return -1;
	}
	/* The owner is root or the daemon's user (check_owner): the
	 * owner's bit is the one that counts. */
	if (!(st.st_mode & S_IXUSR)) {
		conf_err(lx, file, line, "%s %s is not executable "
		    "(mode %04o); run chmod u+x %s", what, path,
		    (unsigned)(st.st_mode & 07777), path);
		return -1;
	}
	return 0;
}

static int
site_hooks(struct lexer *lx, const struct site_conf *s,
    const struct site_extra *sx)
{
	const char *const path[HOOK_MAX] = { s->up, s->down, s->peer_up,
	    s->peer_down };
	static const char *const name[HOOK_MAX] = { "up script",
	    "down script", "peer-up script", "peer-down script" };
	int h;

	for (h = 0; h < HOOK_MAX; h++)
		if (check_hook(lx, name[h], path[h], sx->hook_file[h],
		    sx->hook_line[h]) == -1)
			return -1;
	return 0;
}

static void
set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

/* Whether a and b share an address: one holds the other. */
static bool
overlaps(const struct prefix *a, const struct prefix *b)
{
	if (a->af != b->af)
		return false;
	return a->len <= b->len ? prefix_contains(a, b->af, b->addr.b) :
	    prefix_contains(b, a->af, a->addr.b);
}

/* The key file's block order and the SPI formula both rank the two
 * ends by their networks: a peer inside the site's own would pick the
 * same key block and SPIs as the site. */
static int
peer_network_apart(struct lexer *lx, const struct site_conf *s,
    const struct peer_conf *pc, const struct peer_extra *x)
{
	char n[INET6_ADDRSTRLEN + 8], m[INET6_ADDRSTRLEN + 8];
	size_t i;

	for (i = 0; i < s->nnetworks; i++) {
		if (!overlaps(&pc->network, &s->networks[i]))
			continue;
		conf_err(lx, x->network_file, x->network_line, "peer \"%s\": "
		    "network %s overlaps this site's network %s", pc->name,
		    prefix_ntop(&pc->network, n, sizeof(n)),
		    prefix_ntop(&s->networks[i], m, sizeof(m)));
		return -1;
	}
	return 0;
}

static uint64_t
three_quarters(uint64_t v)
{
	return v / 4 * 3 + v % 4 * 3 / 4;
}

/* Lifetimes not written take their defaults from the cipher and esn; a
 * soft limit not written is 3/4 of the hard one. They limit what we
 * send (the peer limits its own SA): the out direction's cipher. */
static int
peer_lifetimes(struct lexer *lx, struct peer_conf *pc,
    const struct peer_extra *x)
{
	if (x->life_line[LIFE_BYTES] == 0) {
		/* SWEET32: 64-bit blocks collide after about 2^32 blocks;
		 * stay far below the birthday bound. */
		bool small = pc->suite_out.cipher->block == 8;

		pc->life_bytes = small ? CONF_LIFE_BYTES_64BIT :
		    CONF_LIFE_BYTES;
		pc->life_bytes_soft = small ? CONF_LIFE_BYTES_64BIT_SOFT :
		    CONF_LIFE_BYTES_SOFT;
	} else if (!x->life_soft[LIFE_BYTES])
		pc->life_bytes_soft = three_quarters(pc->life_bytes);
	if (x->life_line[LIFE_PACKETS] == 0) {
		pc->life_packets = pc->esn ? CONF_LIFE_PACKETS_ESN :
		    CONF_LIFE_PACKETS;
		pc->life_packets_soft = pc->esn ? CONF_LIFE_PACKETS_ESN_SOFT :
		    CONF_LIFE_PACKETS_SOFT;
	} else if (!x->life_soft[LIFE_PACKETS])
		pc->life_packets_soft = three_quarters(pc->life_packets);
	/* RFC 4303 2.2: without ESN the counter must not cycle. */
	if (!pc->esn && pc->life_packets > CONF_SEQ_MAX_NO_ESN) {
		conf_err(lx, x->life_file[LIFE_PACKETS],
		    x->life_line[LIFE_PACKETS], "lifetime packets %llu exceeds "
		    "%llu, the last sequence number without esn",
		    (unsigned long long)pc->life_packets,
		    (unsigned long long)CONF_SEQ_MAX_NO_ESN);
		return -1;
	}
	return 0;
}

static bool
suite_integrity(const struct sa_suite *su)
{
	return cipher_is_aead(su->cipher) || (su->auth != NULL &&
	    su->auth->id != AUTH_NONE);
}

int
suite_check(struct lexer *lx, const struct peer_conf *pc,
    const struct sa_suite *su, const char *file, int auth_line,
    int cipher_line)
{
	/* RFC 4106 / 7634: the AEAD tag is the integrity check. */
	if (cipher_is_aead(su->cipher) && su->auth->id != AUTH_NONE) {
		conf_err(lx, file, auth_line, "auth %s cannot be used with "
		    "the AEAD cipher %s, expected \"auth none\"",
		    su->auth->name, su->cipher->name);
		return -1;
	}
	/* RFC 3686 2: CTR MUST NOT go without integrity; RFC 4303 3.2:
	 * NULL encryption and no integrity MUST NOT be used together. */
	if (cipher_needs_auth(su->cipher) && su->auth->id == AUTH_NONE) {
		conf_err(lx, file, auth_line, "auth none cannot be used "
		    "with the cipher %s, which needs an integrity algorithm "
		    "(%s); expected hmac-sha256-128 or hmac-sha1-96",
		    su->cipher->name, su->cipher->mode == CIPHER_MODE_CTR ?
		    "RFC 3686 2" : "RFC 4303 3.2");
		return -1;
	}
	if (su->cipher->weak != NULL && !pc->allow_weak_cipher) {
		conf_err(lx, file, cipher_line, "%s is a weak cipher (%s); "
		    "to use it anyway, add \"allow-weak-cipher yes\" to peer "
		    "\"%s\"", su->cipher->name, su->cipher->weak, pc->name);
		return -1;
	}
	return 0;
}

/* replay-window 0: anti-replay off, which only a manual SA can do
 * without: with derived keying the window is what keeps a restart from
 * taking old packets, and ESN infers its high half from the window
 * (RFC 4303 2.2.1). With an endpoint learned from packets a replayed
 * one could move it. */
static int
peer_window(struct lexer *lx, const struct peer_conf *pc,
    const struct peer_extra *x)
{
	if (pc->replay_window != 0)
		return 0;
	if (pc->keying != KEYING_MANUAL) {
		conf_err(lx, x->replay_file, x->replay_line, "peer \"%s\": "
		    "replay-window 0 needs \"keying manual\": with derived "
		    "keying the window keeps a restart from taking old "
		    "packets", pc->name);
		return -1;
	}
	if (pc->esn) {
		conf_err(lx, x->replay_file, x->replay_line, "peer \"%s\": "
		    "replay-window 0 cannot be used with \"esn yes\": the "
		    "receiver infers the high half of the sequence number from "
		    "its window", pc->name);
		return -1;
	}
	if (pc->dynamic) {
		conf_err(lx, x->replay_file, x->replay_line, "peer \"%s\": "
		    "replay-window 0 cannot be used with \"endpoint dynamic\": "
		    "a replayed packet could move the endpoint", pc->name);
		return -1;
	}
	return 0;
}

static int
peer_finish(struct lexer *lx, const struct site_conf *s, struct peer_conf *pc,
    struct peer_extra *x)
{
	if (!x->have_network) {
		conf_err(lx, x->file, pc->line, "peer \"%s\" has no network; "
		    "expected a \"network\" statement", pc->name);
		return -1;
	}
	if (!x->have_endpoint) {
		conf_err(lx, x->file, pc->line, "peer \"%s\" has no endpoint; "
		    "expected \"endpoint ADDRESS\", \"endpoint HOSTNAME\" or "
		    "\"endpoint dynamic\"",
		    pc->name);
		return -1;
	}
	if (sa_finish(lx, pc, x) == -1 || peer_window(lx, pc, x) == -1)
		return -1;
	if (!x->have_key && !pc->sa_split) {
		conf_err(lx, x->file, pc->line, "peer \"%s\" has no key; "
		    "expected a \"key\" statement naming its key file",
		    pc->name);
		return -1;
	}
	if (pc->suite_out.cipher == NULL) {
		conf_err(lx, x->file, pc->line, "peer \"%s\": the default "
		    "cipher blowfish-cbc is not available", pc->name);
		return -1;
	}
	if (peer_network_apart(lx, s, pc, x) == -1)
		return -1;
	if (!x->have_role)
		pc->role = s->role == ROLE_CENTRAL ? ROLE_REMOTE : ROLE_CENTRAL;
	if (!x->have_auth && !pc->sa_split)
		pc->suite_in.auth = pc->suite_out.auth =
		    conf_auth_default(pc->suite_out.cipher);
	if (pc->suite_out.auth == NULL) {
		conf_err(lx, x->file, pc->line, "peer \"%s\": no default auth "
		    "algorithm available", pc->name);
		return -1;
	}
	if (!pc->sa_split && suite_check(lx, pc, &pc->suite_out, x->file,
	    x->auth_line, x->cipher_line != 0 ? x->cipher_line : pc->line) == -1)
		return -1;
	if (peer_lifetimes(lx, pc, x) == -1)
		return -1;
	/* Without an ICV no data packet proves who sent it; derived keying
	 * confirms a new address over its authenticated control channel,
	 * manual keying has nothing to confirm it with. */
	if (pc->dynamic && pc->keying == KEYING_MANUAL &&
	    (!suite_integrity(&pc->suite_in) ||
	    !suite_integrity(&pc->suite_out))) {
		conf_err(lx, x->file, pc->line, "peer \"%s\": endpoint dynamic "
		    "with auth none needs keying derived: nothing else could "
		    "tell the peer's address from a forger's", pc->name);
		return -1;
	}
	if (pc->transport == TRANSPORT_ESP && x->have_port) {
		conf_err(lx, x->file, x->port_line, "peer \"%s\": a port is "
		    "only meaningful with transport udp", pc->name);
		return -1;
	}
	/* Keepalives are ESP dummy packets (RFC 4303 2.6): they keep NAT
	 * open and tell the peer we are alive over either transport. */
	if (!x->have_keepalive)
		pc->keepalive = CONF_KEEPALIVE_DEFAULT;
	if (!x->have_dead)
		pc->dead = 4 * pc->keepalive;
	/* A peer is stale after 2 x keepalive: dead comes later. */
	if (pc->dead != 0 && pc->keepalive != 0 &&
	    pc->dead <= 2 * pc->keepalive) {
		conf_err(lx, x->dead_file, x->dead_line, "peer \"%s\": dead %u "
		    "must exceed 2 x keepalive %u, when the peer becomes stale",
		    pc->name, pc->dead, pc->keepalive);
		return -1;
	}
	/* A named endpoint's family is the answer's: the daemon skips
	 * answers of a family it has no socket for. */
	if (!pc->dynamic && pc->endpoint_name == NULL) {
		set_port(&pc->endpoint, pc->port);
		if (s->outer.ss_family != AF_UNSPEC &&
		    s->outer.ss_family != pc->endpoint.ss_family) {
			conf_err(lx, x->file, pc->line, "peer \"%s\": endpoint "
			    "and the site's outer address are of different "
			    "address families", pc->name);
			return -1;
		}
	}
	if (pc->npolicies == 0) {
		if (s->networks[0].af != pc->network.af) {
			conf_err(lx, x->file, pc->line, "peer \"%s\": its "
			    "network and the site's primary network are of "
			    "different families; add \"tunnel\" statements",
			    pc->name);
			return -1;
		}
		if ((pc->policies = calloc(1, sizeof(*pc->policies))) == NULL) {
			conf_err(lx, x->file, pc->line, "out of memory");
			return -1;
		}
		pc->policies[0].local = s->networks[0];
		pc->policies[0].remote = pc->network;
		pc->policies[0].line = pc->line;
		pc->policies[0].implied = true;
		pc->npolicies = 1;
	}
	if (!pc->spi_explicit) {
		pc->spi_out = spi_derive(&s->networks[0], s->role, &pc->network);
		pc->spi_in = spi_derive(&pc->network, pc->role, &s->networks[0]);
	}
	return 0;
}

struct twins {
	int         (*cmp)(const struct peer_conf *, const struct peer_conf *);
	const struct peer_conf *peers;
};

static int
twin_cmp(const void *a, const void *b, void *arg)
{
	const struct twins *t = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = t->cmp(&t->peers[x], &t->peers[y]);

	if (c != 0)
		return c;
	return x < y ? -1 : x > y;
}

/* For each peer, the first earlier peer equal to it by cmp, or
 * SIZE_MAX: one sort instead of comparing every pair, so that 10,000
 * peers cost n log n. NULL if out of memory. */
static size_t *
earlier_twins(const struct config *cf,
    int (*cmp)(const struct peer_conf *, const struct peer_conf *))
{
	struct twins t = { cmp, cf->peers };
	size_t *ix, *first, i, start;

	ix = calloc(cf->npeers, sizeof(*ix));
	first = calloc(cf->npeers, sizeof(*first));
	if (ix == NULL || first == NULL) {
		free(ix);
		free(first);
		return NULL;
	}
	for (i = 0; i < cf->npeers; i++)
		ix[i] = i;
	qsort_r(ix, cf->npeers, sizeof(*ix), twin_cmp, &t);
	for (start = 0, i = 0; i < cf->npeers; i++) {
		if (i > start && cmp(&cf->peers[ix[i]],
		    &cf->peers[ix[start]]) != 0)
			start = i;
		first[ix[i]] = i == start ? SIZE_MAX : ix[start];
	}
	free(ix);
	return first;
}

static int
name_cmp(const struct peer_conf *a, const struct peer_conf *b)
{
	return strcmp(a->name, b->name);
}

const struct auth_info *
conf_auth_default(const struct cipher_info *ci)
{
	return auth_by_name(cipher_is_aead(ci) ? "none" : "hmac-sha256-128");
}

static int
spi_in_cmp(const struct peer_conf *a, const struct peer_conf *b)
{
	return a->spi_in < b->spi_in ? -1 : a->spi_in > b->spi_in;
}

int
conf_finish(struct lexer *lx, struct config *cf, struct peer_extra *px,
    struct qos_extra *qx, const struct bridge_extra *bx,
    const struct site_extra *sx, bool keys)
{
	size_t i, j, *twin;

	if (site_finish(lx, &cf->site, sx->file, sx->line) == -1 ||
	    site_addresses_inside(lx, &cf->site, sx) == -1 ||
	    site_hooks(lx, &cf->site, sx) == -1)
		return -1;
	if ((twin = earlier_twins(cf, name_cmp)) == NULL) {
		conf_err(lx, sx->file, sx->line, "out of memory");
		return -1;
	}
	for (i = 0; i < cf->npeers; i++) {
		if ((j = twin[i]) != SIZE_MAX) {
			conf_err(lx, px[i].file, cf->peers[i].line,
			    "peer \"%s\" is defined twice, first at %s:%d",
			    cf->peers[i].name, px[j].file, cf->peers[j].line);
			free(twin);
			return -1;
		}
		if (peer_finish(lx, &cf->site, &cf->peers[i], &px[i]) == -1) {
			free(twin);
			return -1;
		}
	}
	free(twin);
	if (policies_not_excluded(lx, cf, px, sx) == -1)
		return -1;
	/* Inbound SPIs pick the SA of an arriving packet (RFC 4303 2.1). */
	if ((twin = earlier_twins(cf, spi_in_cmp)) == NULL) {
		conf_err(lx, sx->file, sx->line, "out of memory");
		return -1;
	}
	for (i = 0; i < cf->npeers; i++) {
		if ((j = twin[i]) == SIZE_MAX)
			continue;
		conf_err(lx, px[i].file, cf->peers[i].line, "inbound SPI "
		    "0x%08x of peer \"%s\" is also used by peer \"%s\" "
		    "(%s:%d); set distinct SPIs with %s",
		    cf->peers[i].spi_in, cf->peers[i].name, cf->peers[j].name,
		    px[j].file, cf->peers[j].line, cf->peers[i].sa_split ?
		    "\"sa in spi N\"" : "\"spi in N out N\"");
		free(twin);
		return -1;
	}
	free(twin);
	if (qos_finish(lx, cf, qx) == -1 ||
	    bridge_finish(lx, cf, px, qx, bx) == -1 ||
	    spis_distinct(lx, cf, px) == -1)
		return -1;
	if (!keys)
		return 0;
	for (i = 0; i < cf->npeers; i++)
		if ((cf->peers[i].sa_split ? keyfile_load_sa(lx, &cf->peers[i],
		    &px[i]) : keyfile_load(lx, &cf->peers[i], &cf->site,
		    px[i].key_file_conf, px[i].key_line)) == -1)
			return -1;
	if (bridge_keys(lx, cf, px) == -1 || keys_distinct(lx, cf, px) == -1)
		return -1;
	for (i = 0; i < cf->npeers; i++)
		if (keyfile_fingerprint(&cf->peers[i]) == -1) {
			conf_err(lx, px[i].file, cf->peers[i].line, "no random "
			    "bytes for the keys' fingerprint");
			return -1;
		}
	return 0;
}

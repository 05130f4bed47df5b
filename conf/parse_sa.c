/* `sa in|out spi N cipher C [keysize B] auth A key "F"`: a manual SA
 * pair whose directions differ in SPI, transforms and key, as setkey(8)
 * configures one. The words come in any order, each once; spi, cipher
 * and key are needed, auth defaults as the peer's `auth` does. What the
 * rest of the peer block decides (keying, the peer-level statements the
 * pair replaces) is checked by sa_finish once the block is read. */
#include <stdio.h>
#include <string.h>

#include "conf/conf_int.h"

#define DESC(t, d) tok_describe((t), (d), sizeof(d))

static const char *const dir_name[] = { "in", "out" };

enum { W_SPI, W_CIPHER, W_AUTH, W_KEY };

int
peer_sa(struct parser *p, const struct token *kw)
{
	static const char *const dirs[] = { "in", "out", NULL };
	static const char *const words[] = { "spi", "cipher", "auth", "key",
	    NULL };
	char d[CONF_TOKEN_MAX + 8];
	struct peer_conf *pc = p->peer;
	struct peer_extra *x = p->extra;
	struct sa_suite *su;
	struct token t;
	unsigned seen = 0;
	uint64_t v;
	int dir, w;

	if (get_choice(p, kw, dirs, &dir) == -1)
		return -1;
	if (x->sa_line[dir] != 0) {
		conf_errt(&p->lx, kw, "peer \"%s\": \"sa %s\" is given twice, "
		    "first at line %d", pc->name, dir_name[dir],
		    x->sa_line[dir]);
		return -1;
	}
	su = dir == SA_IN ? &pc->suite_in : &pc->suite_out;
	su->auth = NULL;
	while ((w = next_option(p, words, &t)) != OPT_END) {
		if (w == OPT_UNKNOWN) {
			conf_errt(&p->lx, &t, "expected spi, cipher, auth or "
			    "key in \"sa %s\", got %s", dir_name[dir],
			    DESC(&t, d));
			return -1;
		}
		if (seen & (1u << w)) {
			conf_errt(&p->lx, &t, "\"sa %s\": \"%s\" is given "
			    "twice", dir_name[dir], words[w]);
			return -1;
		}
		seen |= 1u << w;
		switch (w) {
		case W_SPI:
			/* RFC 4303 2.1: 1..255 are reserved, 0 is none. */
			if (get_number(p, &t, 256, UINT32_MAX, &v) == -1)
				return -1;
			if (dir == SA_IN)
				pc->spi_in = (uint32_t)v;
			else
				pc->spi_out = (uint32_t)v;
			break;
		case W_CIPHER:
			if (get_cipher(p, &t, su) == -1)
				return -1;
			break;
		case W_AUTH:
			if (get_auth(p, &t, su) == -1)
				return -1;
			x->sa_have_auth[dir] = true;
			break;
		case W_KEY:
			if (get_path(p, &t, "a key file path", dir == SA_IN ?
			    &pc->sa_key_file_in : &pc->sa_key_file_out) == -1)
				return -1;
			break;
		}
	}
	for (w = W_SPI; w <= W_KEY; w++) {
		if (w == W_AUTH || (seen & (1u << w)))
			continue;
		conf_errt(&p->lx, kw, "\"sa %s\" needs \"%s\"%s", dir_name[dir],
		    words[w], w == W_SPI ? " N (256..4294967295)" :
		    w == W_CIPHER ? " and a cipher name" : " \"FILE\"");
		return -1;
	}
	x->sa_file[dir] = kw->file;
	x->sa_line[dir] = kw->line;
	return 0;
}

/* A peer-level statement that an `sa` pair replaces. */
static int
replaced(struct lexer *lx, const struct peer_conf *pc, const char *file,
    int line, const char *what)
{
	if (line == 0)
		return 0;
	conf_err(lx, file, line, "peer \"%s\": \"sa in\" and \"sa out\" set "
	    "the SAs; \"%s\" is not used with them", pc->name, what);
	return -1;
}

int
sa_finish(struct lexer *lx, struct peer_conf *pc, struct peer_extra *x)
{
	struct sa_suite *su;
	int dir, at;

	if (x->sa_line[SA_IN] == 0 && x->sa_line[SA_OUT] == 0)
		return 0;
	at = x->sa_line[SA_IN] != 0 ? SA_IN : SA_OUT;
	if (pc->keying != KEYING_MANUAL) {
		conf_err(lx, x->sa_file[at], x->sa_line[at], "peer \"%s\": "
		    "\"sa %s\" needs \"keying manual\": derived keying draws "
		    "both directions from one key file", pc->name,
		    dir_name[at]);
		return -1;
	}
	if (x->sa_line[!at] == 0) {
		conf_err(lx, x->sa_file[at], x->sa_line[at], "peer \"%s\": "
		    "\"sa %s\" without \"sa %s\"; set both directions",
		    pc->name, dir_name[at], dir_name[!at]);
		return -1;
	}
	if (replaced(lx, pc, x->cipher_file, x->cipher_line, "cipher") == -1 ||
	    replaced(lx, pc, x->auth_file, x->have_auth ? x->auth_line : 0,
	    "auth") == -1 ||
	    replaced(lx, pc, x->key_file_conf, x->have_key ? x->key_line : 0,
	    "key") == -1 ||
	    replaced(lx, pc, x->spi_file, x->spi_line, "spi") == -1)
		return -1;
	/* Its frames would need SAs of their own, which `sa` cannot name. */
	if (pc->tap_sa) {
		conf_err(lx, x->file, x->tap_sa_line, "peer \"%s\": \"tap-sa "
		    "dedicated\" is not used with \"sa in\" and \"sa out\": "
		    "frames ride the peer's SAs", pc->name);
		return -1;
	}
	for (dir = SA_IN; dir <= SA_OUT; dir++) {
		su = dir == SA_IN ? &pc->suite_in : &pc->suite_out;
		if (!x->sa_have_auth[dir])
			su->auth = conf_auth_default(su->cipher);
		if (su->auth == NULL) {
			conf_err(lx, x->sa_file[dir], x->sa_line[dir], "peer "
			    "\"%s\": no default auth algorithm available",
			    pc->name);
			return -1;
		}
		if (suite_check(lx, pc, su, x->sa_file[dir], x->sa_line[dir],
		    x->sa_line[dir]) == -1)
			return -1;
	}
	pc->sa_split = true;
	pc->spi_explicit = true;
	return 0;
}

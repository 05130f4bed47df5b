/* The shell script around setkey, as the paper's routers had it: the
 * bodies of `setkey -c <<END` here-documents are setkey input; outside
 * them, `ifconfig gifN ... tunnel A B` and `route add NET -interface
 * gifN` describe the gif(4) form of a tunnel; every other command is
 * noted as not carried over. The shell is not run: what it would have
 * filled in ($x) must be filled in first. */
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/setkey_int.h"

#define SH_WORDS_MAX 64
#define SH_LINE_MAX  4096

/* A command's name without its directory. */
static const char *
base(const char *w)
{
	const char *s = strrchr(w, '/');

	return s != NULL ? s + 1 : w;
}

static size_t
first_word(const char *l, char *w, size_t size)
{
	size_t n = 0;

	while (isspace((unsigned char)*l))
		l++;
	while (l[n] != '\0' && !isspace((unsigned char)l[n]) && n + 1 < size) {
		w[n] = l[n];
		n++;
	}
	w[n] = '\0';
	return n;
}

/* Whether a command line runs setkey: as its command, or behind a pipe
 * (`cat <<END | setkey -c`). */
static bool
runs_setkey(const char *line)
{
	const char *l = line;
	char w[64];

	for (;;) {
		first_word(l, w, sizeof(w));
		if (strcmp(base(w), "setkey") == 0)
			return true;
		if ((l = strchr(l, '|')) == NULL)
			return false;
		l++;
	}
}

bool
sk_shell_is_script(const char *text)
{
	const char *l = text, *nl;
	char line[256];
	size_t n;

	for (; *l != '\0'; l = nl + 1) {
		nl = strchr(l, '\n');
		n = nl != NULL ? (size_t)(nl - l) : strlen(l);
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, l, n);
		line[n] = '\0';
		if (runs_setkey(line) && strstr(line, "<<"))
			return true;
		if (nl == NULL)
			break;
	}
	return false;
}

/* Splits a command line into words, quotes removed (no expansion). */
static size_t
split(char *l, char **w)
{
	size_t n = 0;
	char q, *o;

	while (n < SH_WORDS_MAX) {
		while (isspace((unsigned char)*l))
			l++;
		if (*l == '\0' || *l == '#')
			break;
		w[n++] = o = l;
		while (*l != '\0' && !isspace((unsigned char)*l)) {
			if (*l == '"' || *l == '\'') {
				q = *l++;
				while (*l != '\0' && *l != q)
					*o++ = *l++;
				if (*l == q)
					l++;
			} else
				*o++ = *l++;
		}
		if (*l != '\0')
			l++;
		*o = '\0';
	}
	return n;
}

static bool
is_gif(const char *s)
{
	return strncmp(s, "gif", 3) == 0 && s[3] != '\0' &&
	    strspn(s + 3, "0123456789") == strlen(s + 3) &&
	    strlen(s) < IFNAMSIZ;
}

static int
check_vars(struct sk_parser *p, int line, char **w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (sk_check_var(p, line, w[i]) == -1)
			return -1;
	return 0;
}

/* ifconfig gifN [...] tunnel A B [...] */
static int
ifconfig_line(struct sk_parser *p, int line, char **w, size_t n,
    const char *text)
{
	struct setkey_gif *g;
	size_t i;

	if (n < 2 || !is_gif(w[1]))
		return sk_note(p, line, "shell: not carried over: %.120s",
		    text);
	for (i = 2; i < n && strcmp(w[i], "tunnel") != 0; i++)
		;
	if (i == n)
		return sk_note(p, line, "ifconfig %s without tunnel: not "
		    "carried over (vpntund's tun takes site.conf's "
		    "addresses)", w[1]);
	if (check_vars(p, line, w, n) == -1)
		return -1;
	if (i + 2 >= n) {
		sk_err(p, line, "expected two addresses after tunnel");
		return -1;
	}
	if ((g = sk_grow(p, (void **)&p->s->gifs, &p->s->ngifs, sizeof(*g),
	    line)) == NULL)
		return -1;
	g->line = line;
	snprintf(g->ifname, sizeof(g->ifname), "%s", w[1]);
	if (sk_parse_addr(w[i + 1], &g->src) == -1 ||
	    sk_parse_addr(w[i + 2], &g->dst) == -1 ||
	    g->src.af != g->dst.af) {
		sk_err(p, line, "expected two addresses of one family after "
		    "tunnel, got %s %s", w[i + 1], w[i + 2]);
		return -1;
	}
	return 0;
}

/* A netmask as a prefix length; -1 if it is not contiguous. */
static int
mask_len(const char *s, sa_family_t af)
{
	struct prefix m;
	int len = 0, i, bits = af == AF_INET ? 32 : 128;

	if (sk_parse_addr(s, &m) == -1 || m.af != af)
		return -1;
	for (i = 0; i < bits; i++) {
		if (m.addr.b[i / 8] & (0x80 >> (i % 8))) {
			if (len != i)
				return -1;
			len++;
		}
	}
	return len;
}

/* route add [-net|-host] NET [-netmask M | -prefixlen N] -interface gifN */
static int
route_line(struct sk_parser *p, int line, char **w, size_t n,
    const char *text)
{
	const char *net = NULL, *mask = NULL, *plen = NULL, *ifn = NULL;
	struct setkey_route *r;
	struct prefix pfx;
	bool host = false;
	char buf[128], *sl;
	uint64_t v;
	size_t i;
	int len;

	if (n < 2 || strcmp(w[1], "add") != 0)
		return sk_note(p, line, "shell: not carried over: %.120s",
		    text);
	for (i = 2; i < n; i++) {
		if (strcmp(w[i], "-netmask") == 0 && i + 1 < n)
			mask = w[++i];
		else if (strcmp(w[i], "-prefixlen") == 0 && i + 1 < n)
			plen = w[++i];
		else if ((strcmp(w[i], "-interface") == 0 ||
		    strcmp(w[i], "-iface") == 0) && i + 1 < n)
			ifn = w[++i];
		else if (strcmp(w[i], "-host") == 0)
			host = true;
		else if (w[i][0] != '-' && net == NULL)
			net = w[i];
	}
	if (ifn == NULL || !is_gif(ifn))
		return sk_note(p, line, "shell: not carried over: %.120s",
		    text);
	if (check_vars(p, line, w, n) == -1)
		return -1;
	if (net == NULL) {
		sk_err(p, line, "route add: expected a destination before "
		    "-interface %s", ifn);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", strcmp(net, "default") == 0 ?
	    "0.0.0.0/0" : net);
	if ((sl = strchr(buf, '/')) != NULL)
		*sl++ = '\0';
	if (sk_parse_addr(buf, &pfx) == -1) {
		sk_err(p, line, "route add: expected an address or "
		    "address/len, got %s", net);
		return -1;
	}
	if (sl != NULL) {
		if (sk_number(sl, false, pfx.af == AF_INET ? 32 : 128,
		    &v) == -1) {
			sk_err(p, line, "route add: expected a prefix length "
			    "after /, got %s", sl);
			return -1;
		}
		pfx.len = (uint8_t)v;
	} else if (mask != NULL) {
		if ((len = mask_len(mask, pfx.af)) == -1) {
			sk_err(p, line, "route add: expected a contiguous "
			    "netmask after -netmask, got %s", mask);
			return -1;
		}
		pfx.len = (uint8_t)len;
	} else if (plen != NULL) {
		if (sk_number(plen, false, pfx.af == AF_INET ? 32 : 128,
		    &v) == -1) {
			sk_err(p, line, "route add: expected a prefix length "
			    "after -prefixlen, got %s", plen);
			return -1;
		}
		pfx.len = (uint8_t)v;
	} else if (!host) {
		sk_err(p, line, "route add %s: expected %s/len or -netmask "
		    "(route(8) would guess the mask from the address's "
		    "class)", net, net);
		return -1;
	}
	if ((r = sk_grow(p, (void **)&p->s->routes, &p->s->nroutes,
	    sizeof(*r), line)) == NULL)
		return -1;
	r->line = line;
	r->net = pfx;
	snprintf(r->ifname, sizeof(r->ifname), "%s", ifn);
	return 0;
}

/* The delimiter of a here-document begun on this line ("" if none) and
 * whether it is <<- (leading tabs stripped). */
static void
heredoc_of(const char *l, char *delim, size_t size, bool *tabs)
{
	const char *s = strstr(l, "<<");
	size_t n = 0;
	char q = 0;

	delim[0] = '\0';
	*tabs = false;
	if (s == NULL)
		return;
	s += 2;
	if (*s == '-') {
		*tabs = true;
		s++;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\'' || *s == '"')
		q = *s++;
	while (s[n] != '\0' && n + 1 < size && (q != 0 ? s[n] != q :
	    !isspace((unsigned char)s[n]) && s[n] != ';' && s[n] != '|' &&
	    s[n] != '&' && s[n] != ')')) {
		delim[n] = s[n];
		n++;
	}
	delim[n] = '\0';
}

static int
command(struct sk_parser *p, int line, char *cmd, bool *heredoc,
    bool *setkey)
{
	char text[SH_LINE_MAX], *w[SH_WORDS_MAX];
	const char *name;
	size_t n;

	snprintf(text, sizeof(text), "%s", cmd);
	n = split(cmd, w);
	if (n == 0) {
		*heredoc = false;       /* a comment that shows "<<" */
		return 0;
	}
	name = base(w[0]);
	*setkey = runs_setkey(text);
	if (*heredoc) {
		if (*setkey)
			return 0;
		return sk_note(p, line, "shell: %s here-document: not "
		    "carried over", name);
	}
	if (strcmp(name, "ifconfig") == 0)
		return ifconfig_line(p, line, w, n, text);
	if (strcmp(name, "route") == 0)
		return route_line(p, line, w, n, text);
	if (*setkey)
		return sk_note(p, line, "%.120s: not carried over (import "
		    "what it reads on its own)", text);
	return sk_note(p, line, "shell: not carried over: %.120s", text);
}

int
sk_shell_extract(struct sk_parser *p, const char *text, char *out)
{
	char cmd[SH_LINE_MAX], delim[256], cmpbuf[SH_LINE_MAX];
	const char *l = text, *nl, *b;
	size_t n, k, clen = 0;
	bool in_doc = false, doc_setkey = false, tabs = false, more = false;
	bool heredoc, setkey;
	int line = 0, cmd_line = 0, doc_line = 0;

	for (; *l != '\0'; l = nl + 1) {
		line++;
		nl = strchr(l, '\n');
		n = nl != NULL ? (size_t)(nl - l) : strlen(l);
		memset(out + (l - text), ' ', n);
		if (nl != NULL)
			out[nl - text] = '\n';
		if (in_doc) {
			b = l;
			k = n;
			if (tabs)
				while (k > 0 && *b == '\t') {
					b++;
					k--;
				}
			snprintf(cmpbuf, sizeof(cmpbuf), "%.*s", (int)k, b);
			if (strcmp(cmpbuf, delim) == 0)
				in_doc = false;
			else if (doc_setkey)
				memcpy(out + (l - text), l, n);
			goto eol;
		}
		/* A command, with its continuation lines joined. */
		if (!more) {
			clen = 0;
			cmd_line = line;
		}
		if (clen + n + 1 >= sizeof(cmd)) {
			sk_err(p, cmd_line, "shell command longer than %d "
			    "bytes", SH_LINE_MAX);
			return -1;
		}
		memcpy(cmd + clen, l, n);
		clen += n;
		cmd[clen] = '\0';
		more = clen > 0 && cmd[clen - 1] == '\\';
		if (more) {
			cmd[--clen] = ' ';
			clen++;
			goto eol;
		}
		heredoc_of(cmd, delim, sizeof(delim), &tabs);
		heredoc = delim[0] != '\0';
		if (command(p, cmd_line, cmd, &heredoc, &setkey) == -1)
			return -1;
		if (heredoc) {
			in_doc = true;
			doc_setkey = setkey;
			doc_line = cmd_line;
		}
eol:
		if (nl == NULL)
			break;
	}
	out[strlen(text)] = '\0';
	if (in_doc) {
		sk_err(p, doc_line, "expected a line \"%s\" to close the "
		    "here-document", delim);
		return -1;
	}
	return 0;
}

/* The token stream of site.conf: a stack of input files (include), comments,
 * quoted strings, and $macro expansion. Macros are expanded here, as tokens,
 * so every keyword accepts one (pf.conf does the same with text). */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf_int.h"
#include "util/file_read.h"

#define CONF_FILE_MAX (4 * 1024 * 1024)

struct source {
	char          *buf;
	size_t         len;
	size_t         pos;
	int            line;
	const char    *name;
	const char    *dir;
	char          *real;        /* realpath, to find include cycles */
	struct source *up;
};

struct macro {
	char          name[64];
	bool          is_value;
	struct addr_value  val;
	enum tok      type;         /* T_WORD or T_STRING if !is_value */
	char          text[CONF_TOKEN_MAX];
	struct macro  *next;
};

static void vconf_err(struct lexer *, const char *, int, const char *,
    va_list) __attribute__((format(printf, 4, 0)));

static void
vconf_err(struct lexer *lx, const char *file, int line, const char *fmt,
    va_list ap)
{
	int n;

	if (lx->failed)
		return;
	lx->failed = true;
	n = snprintf(lx->err->msg, sizeof(lx->err->msg), "%s:%d: ", file, line);
	if (n < 0 || (size_t)n >= sizeof(lx->err->msg))
		return;
	vsnprintf(lx->err->msg + n, sizeof(lx->err->msg) - n, fmt, ap);
}

void
conf_err(struct lexer *lx, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vconf_err(lx, file, line, fmt, ap);
	va_end(ap);
}

void
conf_errt(struct lexer *lx, const struct token *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vconf_err(lx, t->file, t->line, fmt, ap);
	va_end(ap);
}

const char *
tok_describe(const struct token *t, char *buf, size_t len)
{
	char p[INET6_ADDRSTRLEN + 8];

	switch (t->type) {
	case T_EOF:
		snprintf(buf, len, "end of file");
		break;
	case T_EOS:
		snprintf(buf, len, "end of line");
		break;
	case T_VALUE:
		snprintf(buf, len, "\"%s\"", prefix_ntop(&t->val.p, p, sizeof(p)));
		break;
	default:
		snprintf(buf, len, "\"%s\"", t->text);
		break;
	}
	return buf;
}

/* Names outlive their source: messages from the final check refer to them. */
static const char *
keep_name(struct lexer *lx, const char *s)
{
	char **n;

	n = reallocarray(lx->names, lx->nnames + 1, sizeof(*n));
	if (n == NULL)
		return NULL;
	lx->names = n;
	if ((n[lx->nnames] = strdup(s)) == NULL)
		return NULL;
	return n[lx->nnames++];
}

static int
push_source(struct lexer *lx, char *buf, size_t len, const char *name,
    const char *dir, char *real)
{
	struct source *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -1;
	s->buf = buf;
	s->len = len;
	s->line = 1;
	s->real = real;
	if ((s->name = keep_name(lx, name)) == NULL ||
	    (s->dir = keep_name(lx, dir)) == NULL) {
		free(s);
		return -1;
	}
	s->up = lx->src;
	lx->src = s;
	lx->depth++;
	return 0;
}

static void
pop_source(struct lexer *lx)
{
	struct source *s = lx->src;

	lx->src = s->up;
	lx->depth--;
	free(s->buf);
	free(s->real);
	free(s);
}

int
lex_init_string(struct lexer *lx, const char *name, const char *text,
    const char *dir, struct conf_error *err)
{
	char *buf;

	memset(lx, 0, sizeof(*lx));
	lx->err = err;
	if ((buf = strdup(text)) == NULL ||
	    push_source(lx, buf, strlen(text), name, dir, NULL) == -1) {
		free(buf);
		snprintf(err->msg, sizeof(err->msg), "%s: out of memory", name);
		lx->failed = true;
		return -1;
	}
	return 0;
}

/* Reads a whole file; a config is small, and a NUL in it is an error.
 * Opened without blocking: a FIFO or a device in its place must be an
 * error at once, not a daemon that waits for a writer. *notreg says the
 * file was there but not a regular file. */
static int
read_file(const char *path, char **bufp, size_t *lenp, char **realp,
    bool *notreg, char *why, size_t whylen)
{
	struct stat st;
	char *buf;
	size_t len;
	int fd;

	*notreg = false;
	if ((fd = conf_open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(why, whylen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		*notreg = true;
		snprintf(why, whylen, "not a regular file");
		close(fd);
		return -1;
	}
	if (st.st_size > CONF_FILE_MAX) {
		snprintf(why, whylen, "larger than %d bytes", CONF_FILE_MAX);
		close(fd);
		return -1;
	}
	if (file_read_whole(fd, (size_t)st.st_size, &buf, &len) == -1) {
		snprintf(why, whylen, "%s", errno == ENOMEM ? "out of memory" :
		    strerror(errno));
		close(fd);
		return -1;
	}
	*realp = conf_fd_path(fd, path);
	close(fd);
	if (*realp == NULL) {
		snprintf(why, whylen, "%s", strerror(errno));
		free(buf);
		return -1;
	}
	if (strlen(buf) != len) {
		free(*realp);
		*realp = NULL;
		snprintf(why, whylen, "contains a NUL byte");
		free(buf);
		return -1;
	}
	*bufp = buf;
	*lenp = len;
	return 0;
}

static int
open_file(struct lexer *lx, const char *path, const struct token *at)
{
	char why[128], dir[PATH_MAX], *buf, *real;
	size_t len;
	struct source *s;
	bool notreg;

	if (read_file(path, &buf, &len, &real, &notreg, why,
	    sizeof(why)) == -1) {
		if (at != NULL && notreg)
			conf_errt(lx, at, "%s is not a regular file", path);
		else if (at != NULL)
			conf_errt(lx, at, "cannot read include file %s: %s",
			    path, why);
		else
			snprintf(lx->err->msg, sizeof(lx->err->msg),
			    "%s: %s", path, why);
		lx->failed = true;
		return -1;
	}
	for (s = lx->src; s != NULL; s = s->up) {
		if (s->real != NULL && strcmp(s->real, real) == 0) {
			conf_errt(lx, at, "include cycle: %s is already being "
			    "read", path);
			free(real);
			free(buf);
			return -1;
		}
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if (push_source(lx, buf, len, path, dirname(dir), real) == -1) {
		free(real);
		free(buf);
		snprintf(lx->err->msg, sizeof(lx->err->msg), "%s: out of memory",
		    path);
		lx->failed = true;
		return -1;
	}
	return 0;
}

int
lex_init_file(struct lexer *lx, const char *path, struct conf_error *err)
{
	memset(lx, 0, sizeof(*lx));
	lx->err = err;
	return open_file(lx, path, NULL);
}

/* The include statement names a file relative to the including one. */
int
lex_include(struct lexer *lx, const struct token *at, const char *path)
{
	char full[PATH_MAX];

	if (lx->depth > CONF_INCLUDE_MAX) {
		conf_errt(lx, at, "includes nested deeper than %d",
		    CONF_INCLUDE_MAX);
		return -1;
	}
	if (path[0] == '/' || at->dir[0] == '\0')
		snprintf(full, sizeof(full), "%s", path);
	else if ((size_t)snprintf(full, sizeof(full), "%s/%s", at->dir,
	    path) >= sizeof(full)) {
		conf_errt(lx, at, "include path too long");
		return -1;
	}
	return open_file(lx, full, at);
}

void
lex_free(struct lexer *lx)
{
	struct macro *m, *next;
	size_t i;

	while (lx->src != NULL)
		pop_source(lx);
	for (m = lx->macros; m != NULL; m = next) {
		next = m->next;
		free(m);
	}
	lx->macros = NULL;
	for (i = 0; i < lx->nnames; i++)
		free(lx->names[i]);
	free(lx->names);
	lx->names = NULL;
	lx->nnames = 0;
}

static bool
word_start(int c)
{
	return isalnum(c) || c == '.' || c == ':' || c == '_';
}

static bool
word_char(int c)
{
	return word_start(c) || c == '-';
}

static int
cur(struct source *s)
{
	return s->pos < s->len ? (unsigned char)s->buf[s->pos] : -1;
}

static void
set_tok(struct token *t, struct source *s, enum tok type, const char *text)
{
	t->type = type;
	t->file = s->name;
	t->dir = s->dir;
	t->line = s->line;
	copy_str(t->text, sizeof(t->text), text);
}

static void lex_error(struct lexer *, struct token *, struct source *,
    const char *, ...) __attribute__((format(printf, 4, 5)));

static void
lex_error(struct lexer *lx, struct token *t, struct source *s,
    const char *fmt, ...)
{
	char msg[CONF_ERR_MAX];
	va_list ap;

	set_tok(t, s, T_ERROR, "");
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_err(lx, s->name, s->line, "%s", msg);
}

static void
lex_string(struct lexer *lx, struct source *s, struct token *t)
{
	size_t n = 0;
	int c;

	set_tok(t, s, T_STRING, "");
	s->pos++;
	for (;;) {
		c = cur(s);
		if (c == -1 || c == '\n') {
			lex_error(lx, t, s, "expected a closing '\"'");
			return;
		}
		s->pos++;
		if (c == '"')
			break;
		if (c == '\\' && (cur(s) == '"' || cur(s) == '\\'))
			c = s->buf[s->pos++];
		if (n + 1 >= sizeof(t->text)) {
			lex_error(lx, t, s, "string too long");
			return;
		}
		t->text[n++] = (char)c;
	}
	t->text[n] = '\0';
}

static struct macro *
find_macro(struct lexer *lx, const char *name)
{
	struct macro *m;

	for (m = lx->macros; m != NULL; m = m->next)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

static void
lex_macro(struct lexer *lx, struct source *s, struct token *t)
{
	char name[64];
	size_t n = 0;
	struct macro *m;

	s->pos++;
	while (cur(s) != -1 && (isalnum(cur(s)) || cur(s) == '_')) {
		if (n + 1 >= sizeof(name)) {
			lex_error(lx, t, s, "macro name too long");
			return;
		}
		name[n++] = s->buf[s->pos++];
	}
	name[n] = '\0';
	if (n == 0) {
		lex_error(lx, t, s, "expected a macro name after '$'");
		return;
	}
	if ((m = find_macro(lx, name)) == NULL) {
		lex_error(lx, t, s, "undefined macro $%s", name);
		return;
	}
	if (m->is_value) {
		set_tok(t, s, T_VALUE, name);
		t->val = m->val;
	} else
		set_tok(t, s, m->type, m->text);
}

static void
lex_one(struct lexer *lx, struct token *t)
{
	struct source *s;
	size_t n;
	int c;

	s = lx->src;
	if (s == NULL) {
		t->type = T_EOF;
		t->text[0] = '\0';
		return;
	}
	for (;;) {
		c = cur(s);
		if (c == ' ' || c == '\t' || c == '\r')
			s->pos++;
		else if (c == '\\' && s->pos + 1 < s->len &&
		    s->buf[s->pos + 1] == '\n') {
			s->pos += 2;            /* continued line */
			s->line++;
		} else if (c == '#') {
			while (cur(s) != -1 && cur(s) != '\n')
				s->pos++;
		} else
			break;
	}
	switch (c) {
	case -1:
		if (s->up == NULL) {
			set_tok(t, s, T_EOF, "");
			return;
		}
		/* The end of an included file ends its last statement. */
		set_tok(t, s, T_EOS, "");
		pop_source(lx);
		return;
	case '\n':
		set_tok(t, s, T_EOS, "");
		s->pos++;
		s->line++;
		return;
	case ';': set_tok(t, s, T_EOS, ";"); s->pos++; return;
	case '{': set_tok(t, s, T_LBRACE, "{"); s->pos++; return;
	case '}': set_tok(t, s, T_RBRACE, "}"); s->pos++; return;
	case '(': set_tok(t, s, T_LPAREN, "("); s->pos++; return;
	case ')': set_tok(t, s, T_RPAREN, ")"); s->pos++; return;
	case ',': set_tok(t, s, T_COMMA, ","); s->pos++; return;
	case '=': set_tok(t, s, T_EQ, "="); s->pos++; return;
	case '+': set_tok(t, s, T_PLUS, "+"); s->pos++; return;
	case '-': set_tok(t, s, T_MINUS, "-"); s->pos++; return;
	case '/': set_tok(t, s, T_SLASH, "/"); s->pos++; return;
	case '"':
		lex_string(lx, s, t);
		return;
	case '$':
		lex_macro(lx, s, t);
		return;
	case '<':
		if (s->pos + 2 < s->len && s->buf[s->pos + 1] == '-' &&
		    s->buf[s->pos + 2] == '>') {
			set_tok(t, s, T_ARROW, "<->");
			s->pos += 3;
			return;
		}
		break;
	}
	if (!word_start(c)) {
		char ch[2] = { (char)c, '\0' };

		if (!isprint(c))
			ch[0] = '?';
		lex_error(lx, t, s, "unexpected character '%s'", ch);
		return;
	}
	set_tok(t, s, T_WORD, "");
	for (n = 0; cur(s) != -1 && word_char(cur(s)); n++) {
		if (n + 1 >= sizeof(t->text)) {
			lex_error(lx, t, s, "word too long");
			return;
		}
		t->text[n] = s->buf[s->pos++];
	}
	t->text[n] = '\0';
}

const struct token *
lex_peek(struct lexer *lx)
{
	if (lx->nahead == 0) {
		lex_one(lx, &lx->ahead[0]);
		lx->nahead = 1;
	}
	return &lx->ahead[0];
}

void
lex_next(struct lexer *lx, struct token *t)
{
	if (lx->nahead == 0) {
		lex_one(lx, t);
		return;
	}
	*t = lx->ahead[0];
	if (--lx->nahead == 1)
		lx->ahead[0] = lx->ahead[1];
}

/* The parser needs two tokens of lookahead only after `name =`. */
void
lex_unget(struct lexer *lx, const struct token *t)
{
	if (lx->nahead == 1)
		lx->ahead[1] = lx->ahead[0];
	lx->ahead[0] = *t;
	lx->nahead++;
}

int
lex_define(struct lexer *lx, const struct token *name, const struct token *tok,
    const struct addr_value *val)
{
	struct macro *m;

	if (strlen(name->text) >= sizeof(m->name)) {
		conf_errt(lx, name, "macro name too long");
		return -1;
	}
	for (const char *c = name->text; *c != '\0'; c++) {
		if (!isalnum((unsigned char)*c) && *c != '_') {
			conf_errt(lx, name, "macro name \"%s\" may hold only "
			    "letters, digits and '_'", name->text);
			return -1;
		}
	}
	if ((m = find_macro(lx, name->text)) == NULL) {
		if ((m = calloc(1, sizeof(*m))) == NULL) {
			conf_errt(lx, name, "out of memory");
			return -1;
		}
		copy_str(m->name, sizeof(m->name), name->text);
		m->next = lx->macros;
		lx->macros = m;
	}
	/* Redefinition replaces, as in pf.conf. */
	if (val != NULL) {
		m->is_value = true;
		m->val = *val;
	} else {
		m->is_value = false;
		m->type = tok->type;
		copy_str(m->text, sizeof(m->text), tok->text);
	}
	return 0;
}

const char *
value_str(const struct addr_value *v, char *buf, size_t len)
{
	char *slash;

	prefix_ntop(&v->p, buf, len);
	if (!v->has_len && (slash = strchr(buf, '/')) != NULL)
		*slash = '\0';
	return buf;
}

int
lex_export_macros(struct lexer *lx, struct config *cf)
{
	const struct macro *m;
	struct conf_var *v;
	size_t n = 0, i;

	for (m = lx->macros; m != NULL; m = m->next)
		n++;
	if (n == 0)
		return 0;
	if ((cf->vars = calloc(n, sizeof(*cf->vars))) == NULL) {
		conf_err(lx, cf->file, 0, "out of memory");
		return -1;
	}
	cf->nvars = n;
	/* The list holds the newest first. */
	for (i = n, m = lx->macros; m != NULL; m = m->next) {
		v = &cf->vars[--i];
		copy_str(v->name, sizeof(v->name), m->name);
		if (m->is_value)
			value_str(&m->val, v->value, sizeof(v->value));
		else if (m->type == T_STRING)
			snprintf(v->value, sizeof(v->value), "\"%s\"", m->text);
		else
			copy_str(v->value, sizeof(v->value), m->text);
	}
	return 0;
}

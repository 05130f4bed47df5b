/* The state file's format (text, so an operator can read it):
 *
 *	# vpntund state v2
 *	out 0x1234abcd 200000
 *	in 0x5678ef01 4242
 *
 * One entry per (direction, SPI), fields separated by one space, every
 * line ending in a newline. Version 1 files, written before inbound marks
 * existed, are read as outbound entries:
 *
 *	# vpntund sequence state v1
 *	spi 0x1234abcd reserved 200000
 *
 * It is parsed strictly: a file we cannot fully understand might hide a
 * higher mark, and starting below it would reuse sequence numbers. */
#include "src/control/state_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEADER_V2 "# vpntund state v2"
#define HEADER_V1 "# vpntund sequence state v1"
#define IOBUF     65536

const char *
state_dir_name(enum state_dir dir)
{
	return dir == STATE_IN ? "in" : "out";
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool
token_is(const char *s, size_t len, const char *word)
{
	return len == strlen(word) && memcmp(s, word, len) == 0;
}

/* "0x" and exactly 8 hex digits. */
static bool
parse_spi(const char *s, size_t len, uint32_t *spi)
{
	size_t i;
	int h;

	if (len != 10 || s[0] != '0' || s[1] != 'x')
		return false;
	*spi = 0;
	for (i = 2; i < len; i++) {
		if ((h = hexval(s[i])) == -1)
			return false;
		*spi = *spi << 4 | (uint32_t)h;
	}
	return true;
}

/* Decimal digits only; "overflow" set if they do not fit. */
static bool
parse_mark(const char *s, size_t len, uint64_t *mark, bool *overflow)
{
	uint64_t v = 0, d;
	size_t i;

	*overflow = false;
	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		d = (uint64_t)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10) {
			*overflow = true;
			return false;
		}
		v = v * 10 + d;
	}
	*mark = v;
	return true;
}

/* One entry line (without its newline) of version 1 or 2; NULL, or why
 * not. */
static const char *
parse_line(const char *s, size_t len, int version, enum state_dir *dir,
    uint32_t *spi, uint64_t *mark)
{
	const char *tok[5];
	size_t tlen[5], nt = 0, i, start = 0;
	bool overflow;

	for (i = 0; i <= len; i++) {
		if (i < len && s[i] != ' ')
			continue;
		if (nt == 5)
			break;
		tok[nt] = s + start;
		tlen[nt++] = i - start;
		start = i + 1;
	}
	if (version == 2) {
		if (nt != 3 || tlen[0] == 0 || tlen[1] == 0 || tlen[2] == 0)
			return "expected \"out|in 0x<8 hex digits> <mark>\", "
			    "separated by one space";
		if (token_is(tok[0], tlen[0], "out"))
			*dir = STATE_OUT;
		else if (token_is(tok[0], tlen[0], "in"))
			*dir = STATE_IN;
		else
			return "expected \"out\" or \"in\"";
	} else {
		if (nt != 4 || !token_is(tok[0], tlen[0], "spi") ||
		    !token_is(tok[2], tlen[2], "reserved"))
			return "expected \"spi 0x<8 hex digits> reserved "
			    "<mark>\", separated by one space";
		*dir = STATE_OUT;
		tok[2] = tok[3];
		tlen[2] = tlen[3];
	}
	if (!parse_spi(tok[1], tlen[1], spi))
		return "expected an SPI of 0x and 8 hex digits";
	if (!parse_mark(tok[2], tlen[2], mark, &overflow))
		return overflow ? "mark above 18446744073709551615" :
		    "expected a decimal mark";
	return NULL;
}

struct reader {
	const char     *path;
	state_file_add *add;
	void           *arg;
	int             version;        /* 0 until the header */
	char           *err;
	size_t          errlen;
};

static int
read_line(struct reader *r, const char *s, size_t len, size_t lineno)
{
	enum state_dir dir;
	uint32_t spi;
	uint64_t mark;
	const char *why;

	if (r->version == 0) {
		if (token_is(s, len, HEADER_V2))
			r->version = 2;
		else if (token_is(s, len, HEADER_V1))
			r->version = 1;
		else {
			snprintf(r->err, r->errlen, "%s:1: expected \"%s\" "
			    "(or version 1's \"%s\")", r->path, HEADER_V2,
			    HEADER_V1);
			return -1;
		}
		return 0;
	}
	if ((why = parse_line(s, len, r->version, &dir, &spi, &mark)) !=
	    NULL) {
		snprintf(r->err, r->errlen, "%s:%zu: %s", r->path, lineno,
		    why);
		return -1;
	}
	return r->add(r->arg, dir, spi, mark, lineno, r->err, r->errlen);
}

int
state_file_read(int fd, const char *path, state_file_add *add, void *arg,
    char *err, size_t errlen)
{
	struct reader r = { path, add, arg, 0, err, errlen };
	char line[STATE_LINE_MAX], *buf;
	size_t llen = 0, lineno = 0, total = 0, i;
	struct stat sb;
	ssize_t got;
	int rc = -1;

	if (fstat(fd, &sb) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (sb.st_size > (off_t)STATE_FILE_MAX) {
		snprintf(err, errlen, "%s: %lld bytes, more than a state file "
		    "may have (%u)", path, (long long)sb.st_size,
		    STATE_FILE_MAX);
		return -1;
	}
	if ((buf = malloc(IOBUF)) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if ((got = read(fd, buf, IOBUF)) == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s: read: %s", path,
			    strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		/* The file may have grown since fstat. */
		if ((total += (size_t)got) > STATE_FILE_MAX) {
			snprintf(err, errlen, "%s:%zu: more than a state file "
			    "may have (%u bytes)", path, lineno + 1,
			    STATE_FILE_MAX);
			goto out;
		}
		for (i = 0; i < (size_t)got; i++) {
			if (buf[i] == '\n') {
				if (read_line(&r, line, llen, ++lineno) == -1)
					goto out;
				llen = 0;
			} else if (buf[i] == '\0') {
				snprintf(err, errlen, "%s:%zu: NUL byte", path,
				    lineno + 1);
				goto out;
			} else if (llen == sizeof(line) - 1) {
				snprintf(err, errlen, "%s:%zu: line longer than "
				    "%d bytes", path, lineno + 1,
				    STATE_LINE_MAX - 1);
				goto out;
			} else
				line[llen++] = buf[i];
		}
	}
	if (llen > 0)
		snprintf(err, errlen, "%s:%zu: last line not terminated (the "
		    "file was cut short?)", path, lineno + 1);
	else if (lineno == 0)
		snprintf(err, errlen, "%s:1: empty file, expected \"%s\"", path,
		    HEADER_V2);
	else
		rc = 0;
out:
	free(buf);
	return rc;
}

/* "out 0x1234abcd 200000\n" into b (room for 37 bytes); its length. */
static size_t
format_line(char *b, enum state_dir dir, uint32_t spi, uint64_t mark)
{
	static const char hex[] = "0123456789abcdef";
	char digits[20];
	size_t n, k = 0;
	int i;

	if (dir == STATE_IN) {
		memcpy(b, "in 0x", 5);
		n = 5;
	} else {
		memcpy(b, "out 0x", 6);
		n = 6;
	}
	for (i = 28; i >= 0; i -= 4)
		b[n++] = hex[(spi >> i) & 0xf];
	b[n++] = ' ';
	do {
		digits[k++] = (char)('0' + mark % 10);
		mark /= 10;
	} while (mark != 0);
	while (k > 0)
		b[n++] = digits[--k];
	b[n++] = '\n';
	return n;
}

static int
write_all(int fd, const char *b, size_t len)
{
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, b, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (w == 0) {
			errno = ENOSPC;
			return -1;
		}
		b += w;
		len -= (size_t)w;
	}
	return 0;
}

static int
write_recs(int fd, const struct state_rec *recs, size_t n)
{
	char *buf;
	size_t len, i;
	int rc = -1;

	if ((buf = malloc(IOBUF)) == NULL)
		return -1;
	len = (size_t)sprintf(buf, "%s\n", HEADER_V2);
	for (i = 0; i < n; i++) {
		if (IOBUF - len < 64) {
			if (write_all(fd, buf, len) == -1)
				goto out;
			len = 0;
		}
		len += format_line(buf + len, (enum state_dir)recs[i].sa->dir,
		    recs[i].sa->spi, recs[i].mark);
	}
	rc = write_all(fd, buf, len);
out:
	free(buf);
	return rc;
}

#define FAIL(...) do {							\
	snprintf(err, errlen, __VA_ARGS__);				\
	goto fail;							\
} while (0)

int
state_file_write(const struct state *st, const struct state_rec *recs,
    size_t n, char *err, size_t errlen)
{
	int fd = -1, dfd;

	/* Left over from a crash: it was never renamed, so it is garbage. */
	if (unlink(st->tmp) == -1 && errno != ENOENT)
		FAIL("cannot remove %s: %s", st->tmp, strerror(errno));
	fd = open(st->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (fd == -1)
		FAIL("cannot create %s: %s", st->tmp, strerror(errno));
	/* The marks are not secret, but nobody else should replace them;
	 * the umask could have left more. */
	if (fchmod(fd, 0600) == -1)
		FAIL("cannot chmod %s: %s", st->tmp, strerror(errno));
	if (write_recs(fd, recs, n) == -1)
		FAIL("cannot write %s: %s", st->tmp, strerror(errno));
	if (fsync(fd) == -1)
		FAIL("cannot fsync %s: %s", st->tmp, strerror(errno));
	if (close(fd) == -1) {
		fd = -1;
		FAIL("cannot close %s: %s", st->tmp, strerror(errno));
	}
	fd = -1;
	if (rename(st->tmp, st->path) == -1)
		FAIL("cannot rename %s to %s: %s", st->tmp, st->path,
		    strerror(errno));
	/* Makes the rename itself durable, not just the file's data. */
	if ((dfd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "cannot open %s: %s", st->dir,
		    strerror(errno));
		return -1;
	}
	if (fsync(dfd) == -1) {
		snprintf(err, errlen, "cannot fsync %s: %s", st->dir,
		    strerror(errno));
		close(dfd);
		return -1;
	}
	close(dfd);
	return 0;

fail:
	if (fd != -1)
		close(fd);
	unlink(st->tmp);
	return -1;
}

/* The sequence state file. Format (text, so an operator can read it):
 *
 *	# vpntund sequence state v1
 *	spi 0x1234abcd reserved 200000
 *
 * It is parsed strictly: a file we cannot fully understand might hide a
 * higher mark, and starting below it would reuse sequence numbers. */
#include "src/engine/state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/util/log.h"

#define STATE_HEADER   "# vpntund sequence state v1"
#define STATE_LINE_MAX 128	/* a valid line is at most 46 bytes */

/* The directory part of path ("." or "/" when there is none). */
static int
state_dir(const char *path, char *dir, size_t dirsz)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL) {
		n = 1;
		path = ".";
	} else if (slash == path)
		n = 1;
	else
		n = (size_t)(slash - path);
	if (n >= dirsz)
		return -1;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return 0;
}

static int
state_mkdir(const struct state *st)
{
	char dir[sizeof(st->path)];

	if (state_dir(st->path, dir, sizeof(dir)) == -1) {
		log_warnx("state file %s: path too long", st->path);
		return -1;
	}
	/* The marks are not secret, but nobody else should be able to
	 * replace the file underneath us. */
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		log_warn("state directory %s", dir);
		return -1;
	}
	return 0;
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

/* "spi 0x%08x reserved %llu" and nothing else (the newline is already
 * stripped). */
static int
parse_line(const char *s, uint32_t *spi, uint64_t *reserved)
{
	static const char mid[] = " reserved ";
	uint64_t v = 0;
	int i, h;

	if (strncmp(s, "spi 0x", 6) != 0)
		return -1;
	s += 6;
	*spi = 0;
	for (i = 0; i < 8; i++) {
		if ((h = hexval(s[i])) == -1)
			return -1;
		*spi = (*spi << 4) | (uint32_t)h;
	}
	s += 8;
	if (strncmp(s, mid, sizeof(mid) - 1) != 0)
		return -1;
	s += sizeof(mid) - 1;
	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*reserved = v;
	return 0;
}

static struct state_entry *
state_find(struct state *st, uint32_t spi)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		if (st->entries[i].spi == spi)
			return &st->entries[i];
	return NULL;
}

static int
state_read(struct state *st, FILE *fp)
{
	char line[STATE_LINE_MAX];
	size_t lineno = 0, len;
	uint32_t spi;
	uint64_t reserved;

	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		len = strlen(line);
		/* A line without its newline is too long, or the file was
		 * cut short; an embedded NUL shows up the same way. */
		if (len == 0 || line[len - 1] != '\n') {
			log_warnx("%s:%zu: line too long or not terminated",
			    st->path, lineno);
			return -1;
		}
		line[len - 1] = '\0';
		if (lineno == 1) {
			if (strcmp(line, STATE_HEADER) != 0) {
				log_warnx("%s:1: expected \"%s\"", st->path,
				    STATE_HEADER);
				return -1;
			}
			continue;
		}
		if (parse_line(line, &spi, &reserved) == -1) {
			log_warnx("%s:%zu: expected \"spi 0x<8 hex digits> "
			    "reserved <number>\"", st->path, lineno);
			return -1;
		}
		if (state_find(st, spi) != NULL) {
			log_warnx("%s:%zu: spi 0x%08x listed twice", st->path,
			    lineno, spi);
			return -1;
		}
		if (st->n >= STATE_MAX_SA) {
			log_warnx("%s:%zu: more than %d entries", st->path,
			    lineno, STATE_MAX_SA);
			return -1;
		}
		st->entries[st->n].spi = spi;
		st->entries[st->n].reserved = reserved;
		st->n++;
	}
	if (ferror(fp)) {
		log_warn("%s: read", st->path);
		return -1;
	}
	if (lineno == 0) {
		log_warnx("%s:1: empty file, expected \"%s\"", st->path,
		    STATE_HEADER);
		return -1;
	}
	return 0;
}

int
state_open(struct state *st, const char *path)
{
	size_t len = strlen(path);
	FILE *fp;
	int fd, rv;

	st->n = 0;
	if (len == 0 || len >= sizeof(st->path)) {
		log_warnx("state file \"%s\": bad path", path);
		return -1;
	}
	memcpy(st->path, path, len + 1);
	if (state_mkdir(st) == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;	/* first start */
		log_warn("state file %s", path);
		return -1;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		log_warn("state file %s", path);
		close(fd);
		return -1;
	}
	rv = state_read(st, fp);
	fclose(fp);
	if (rv == -1)
		st->n = 0;
	return rv;
}

uint64_t
state_start(const struct state *st, uint32_t spi)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		if (st->entries[i].spi == spi)
			return st->entries[i].reserved;
	return 0;
}

static int
fsync_dir(const char *path)
{
	char dir[4096];
	int fd;

	if (state_dir(path, dir, sizeof(dir)) == -1)
		return -1;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_warn("state directory %s", dir);
		return -1;
	}
	/* Makes the rename itself durable, not just the file's data. */
	if (fsync(fd) == -1) {
		log_warn("fsync %s", dir);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int
state_write(const struct state *st)
{
	char tmp[sizeof(st->path) + 4];
	FILE *fp;
	size_t i;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", st->path);
	/* Left over from a crash: it was never renamed, so it is garbage. */
	if (unlink(tmp) == -1 && errno != ENOENT) {
		log_warn("unlink %s", tmp);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1) {
		log_warn("state file %s", tmp);
		return -1;
	}
	if (fchmod(fd, 0600) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		log_warn("state file %s", tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	fprintf(fp, "%s\n", STATE_HEADER);
	for (i = 0; i < st->n; i++)
		fprintf(fp, "spi 0x%08x reserved %llu\n", st->entries[i].spi,
		    (unsigned long long)st->entries[i].reserved);
	if (fflush(fp) == EOF || ferror(fp) || fsync(fileno(fp)) == -1) {
		log_warn("write %s", tmp);
		fclose(fp);
		unlink(tmp);
		return -1;
	}
	if (fclose(fp) == EOF) {
		log_warn("close %s", tmp);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, st->path) == -1) {
		log_warn("rename %s to %s", tmp, st->path);
		unlink(tmp);
		return -1;
	}
	return fsync_dir(st->path);
}

int
state_reserve(struct state *st, uint32_t spi, uint64_t upto)
{
	struct state_entry *e;
	uint64_t old;
	bool added = false;

	if ((e = state_find(st, spi)) == NULL) {
		if (st->n >= STATE_MAX_SA) {
			log_warnx("state file %s: more than %d SAs", st->path,
			    STATE_MAX_SA);
			return -1;
		}
		e = &st->entries[st->n++];
		e->spi = spi;
		e->reserved = 0;
		added = true;
	}
	old = e->reserved;
	/* A mark never goes down: numbers below it may have been sent. */
	if (upto > e->reserved)
		e->reserved = upto;
	if (state_mkdir(st) == -1 || state_write(st) == -1) {
		/* Memory stays what the disk says. */
		if (added)
			st->n--;
		else
			e->reserved = old;
		return -1;
	}
	return 0;
}

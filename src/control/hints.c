/* Where dynamic peers were last heard, kept in <state-file>.peers so that
 * a restarted central router can ask its remote sites at once instead of
 * waiting for their next packet. Only a hint: an address read from it is
 * asked, never trusted (sync.h); a missing or bad file costs a delay. */
#include "src/control/control.h"

#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define HINTS_HEADER "# vpntund peer endpoints v1"

static int
hints_path(const struct engine *e, char *buf, size_t len)
{
	if ((size_t)snprintf(buf, len, "%s.peers", e->cf->site.state_file) >=
	    len)
		return -1;
	return 0;
}

static struct peer *
peer_by_spi(struct engine *e, uint32_t spi)
{
	size_t i;

	for (i = 0; i < e->npeers; i++)
		if (e->peers[i].conf->dynamic &&
		    e->peers[i].in.root.spi == spi)
			return &e->peers[i];
	return NULL;
}

/* "0x%08x ADDRESS PORT": the peer's inbound SPI, where it was heard. */
static int
parse_line(const char *line, uint32_t *spi, struct sockaddr_storage *ss)
{
	char addr[INET6_ADDRSTRLEN];
	unsigned port;
	int n = 0;

	memset(ss, 0, sizeof(*ss));
	if (sscanf(line, "0x%8x %45s %5u%n", spi, addr, &port, &n) != 3 ||
	    line[n] != '\0' || port > 65535)
		return -1;
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		ss->ss_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, addr,
	    &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		ss->ss_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	} else
		return -1;
	return 0;
}

static bool
hint_fits(struct engine *e, struct peer *p, struct sockaddr_storage *ss)
{
	sa_family_t outer = e->cf->site.outer.ss_family;
	uint16_t port = ss->ss_family == AF_INET ?
	    ((struct sockaddr_in *)ss)->sin_port :
	    ((struct sockaddr_in6 *)ss)->sin6_port;

	if (outer != AF_UNSPEC && outer != ss->ss_family)
		return false;
	if (p->conf->transport == TRANSPORT_UDP && port == 0)
		return false;
	if (p->conf->transport == TRANSPORT_ESP && port != 0)
		return false;
	return peer_sock_to(p, ss) != NULL;
}

void
hints_read(struct engine *e)
{
	char path[PATH_MAX + 8], line[128];
	struct sockaddr_storage ss;
	struct peer *p;
	uint32_t spi;
	size_t n = 0, lineno = 0, len;
	FILE *fp;

	if (hints_path(e, path, sizeof(path)) == -1 ||
	    (fp = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		len = strlen(line);
		if (len == 0 || line[len - 1] != '\n')
			break;
		line[len - 1] = '\0';
		if (lineno == 1) {
			if (strcmp(line, HINTS_HEADER) != 0)
				break;
			continue;
		}
		if (parse_line(line, &spi, &ss) == -1)
			break;
		/* A hint the peer could not be at now (another transport's
		 * port, a family the site does not speak) is skipped. */
		if ((p = peer_by_spi(e, spi)) != NULL && !p->have_endpoint &&
		    hint_fits(e, p, &ss)) {
			sockaddr_inet_set(&p->sync.ask_to, &ss);
			p->sync.hint = true;
			n++;
		}
	}
	if (!feof(fp))
		log_warnx("%s:%zu: not a peer endpoint line; the rest of the "
		    "file is ignored (it only speeds up restarts)", path,
		    lineno);
	fclose(fp);
	if (n > 0)
		log_info("%s: %zu dynamic peers to ask where they were last "
		    "heard", path, n);
}

/* Temp file and rename, without fsync: a hint lost in a crash costs no
 * more than a delay. */
void
hints_write(struct engine *e)
{
	char path[PATH_MAX + 8], tmp[PATH_MAX + 16], addr[INET6_ADDRSTRLEN];
	struct sockaddr_storage at;
	const struct sockaddr_storage *ss = &at;
	const struct peer *p;
	FILE *fp;
	size_t i;
	uint16_t port;
	int ok;

	e->hints_dirty = false;
	if (hints_path(e, path, sizeof(path)) == -1 ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return;
	/* The state file's directory, which only manual keying creates. */
	{
		char dir[sizeof(path)], *slash;

		memcpy(dir, path, sizeof(dir));
		if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
			*slash = '\0';
			(void)mkdir(dir, 0700);
		}
	}
	if ((fp = fopen(tmp, "we")) == NULL) {
		log_ratelimited(&e->lim_hints, LOG_LVL_WARN, "%s: %s", tmp,
		    strerror(errno));
		return;
	}
	fprintf(fp, "%s\n", HINTS_HEADER);
	for (i = 0; i < e->npeers; i++) {
		p = &e->peers[i];
		if (!p->conf->dynamic || !p->have_endpoint)
			continue;
		sockaddr_inet_get(&p->endpoint, &at);
		if (ss->ss_family == AF_INET) {
			inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
			    addr, sizeof(addr));
			port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
		} else {
			inet_ntop(AF_INET6,
			    &((const struct sockaddr_in6 *)ss)->sin6_addr, addr,
			    sizeof(addr));
			port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
		}
		fprintf(fp, "0x%08x %s %u\n", p->in.root.spi, addr,
		    port);
	}
	ok = fflush(fp) == 0 && !ferror(fp);
	if (fclose(fp) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) == -1) {
		log_ratelimited(&e->lim_hints, LOG_LVL_WARN, "%s: %s", path,
		    strerror(errno));
		unlink(tmp);
	}
}

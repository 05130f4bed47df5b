/* The control socket. Each client gets one command line and one answer;
 * everything is bounded (line length, time, number of clients) so that a
 * stuck or hostile client cannot hold the daemon's memory or descriptors. */
#include "src/control/ctl.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "util/log.h"

#define CTL_LINE_MAX    256	/* bytes of a command line, newline excluded */
#define CTL_CLIENTS_MAX 16
#define CTL_TIMEOUT_SEC 5
#define CTL_BACKOFF_SEC 1	/* after accept() fails, e.g. EMFILE */

struct ctl_client {
	LIST_ENTRY(ctl_client) entry;
	struct ctl         *ctl;
	struct bufferevent *bev;
};

struct ctl {
	struct event_base     *base;
	struct evconnlistener *lev;
	struct event          *backoff;	/* re-enables accepting */
	bool                   backing_off;
	ctl_handler            handler;
	void                  *arg;
	char                   path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	LIST_HEAD(, ctl_client) clients;
	int                    nclients;
};

static struct log_limit ctl_refused_limit;

static void client_event_cb(struct bufferevent *, short, void *);

/* Accept only while below the client bound and not backing off; excess
 * clients wait in the listen backlog instead of being dropped. */
static void
ctl_update_listener(struct ctl *c)
{
	if (c->nclients < CTL_CLIENTS_MAX && !c->backing_off)
		evconnlistener_enable(c->lev);
	else
		evconnlistener_disable(c->lev);
}

static void
client_free(struct ctl_client *cl)
{
	struct ctl *c = cl->ctl;

	LIST_REMOVE(cl, entry);
	bufferevent_free(cl->bev);
	free(cl);
	c->nclients--;
	ctl_update_listener(c);
}

static void
client_write_cb(struct bufferevent *bev, void *arg)
{
	char junk[512];
	int i;

	/* The whole answer has left: end of conversation. Closing with
	 * unread input (the rest of an over-long line) would make the
	 * kernel reset the connection and could cost the client our
	 * answer, so discard what is already there first. */
	for (i = 0; i < 16; i++)
		if (recv(bufferevent_getfd(bev), junk, sizeof(junk),
		    MSG_DONTWAIT) <= 0)
			break;
	client_free(arg);
}

/* Sends out and closes once it is flushed. */
static void
client_answer(struct ctl_client *cl, struct evbuffer *out)
{
	bufferevent_disable(cl->bev, EV_READ);
	if (evbuffer_get_length(out) == 0) {
		client_free(cl);
		return;
	}
	if (bufferevent_write_buffer(cl->bev, out) == -1) {
		log_warnx("control socket: cannot queue answer");
		client_free(cl);
		return;
	}
	bufferevent_setcb(cl->bev, NULL, client_write_cb, client_event_cb, cl);
}

/* Strips blanks and a CR around the command, in place. */
static char *
trim(char *s, size_t len)
{
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
	    s[len - 1] == '\r'))
		s[--len] = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* The command echoed in an error answer, with anything that is not
 * printable ASCII (or is a quote) replaced so the answer stays one line. */
static void
add_quoted(struct evbuffer *out, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		evbuffer_add(out, (ch < 0x20 || ch > 0x7e || ch == '"') ?
		    "?" : s, 1);
	}
}

/* Answers one command line; line NULL means it was too long. */
static void
client_command(struct ctl_client *cl, char *line, size_t len)
{
	struct ctl *c = cl->ctl;
	struct evbuffer *out;
	char *cmd;

	if ((out = evbuffer_new()) == NULL) {
		log_warnx("control socket: out of memory");
		client_free(cl);
		return;
	}
	if (line == NULL || len > CTL_LINE_MAX) {
		evbuffer_add_printf(out, "error: command too long\n");
	} else if (strlen(line) != len) {
		evbuffer_add_printf(out, "error: NUL byte in command\n");
	} else {
		cmd = trim(line, len);
		if (c->handler(cmd, out, c->arg) == -1) {
			/* Whatever the handler wrote before failing is not
			 * an answer. */
			evbuffer_drain(out, evbuffer_get_length(out));
			evbuffer_add_printf(out, "error: unknown command \"");
			add_quoted(out, cmd);
			evbuffer_add_printf(out, "\"\n");
		}
	}
	client_answer(cl, out);
	evbuffer_free(out);
}

static void
client_read_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_client *cl = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	char *line;

	line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
	if (line == NULL) {
		/* No newline within the limit: no point in waiting. */
		if (evbuffer_get_length(in) > CTL_LINE_MAX)
			client_command(cl, NULL, 0);
		return;
	}
	client_command(cl, line, len);
	free(line);
}

static void
client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_client *cl = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	char *line;

	/* A client that shut down its side after a command without a
	 * newline still gets its answer. */
	if ((what & BEV_EVENT_EOF) && (what & BEV_EVENT_READING) &&
	    (len = evbuffer_get_length(in)) > 0 && len <= CTL_LINE_MAX &&
	    (line = malloc(len + 1)) != NULL) {
		evbuffer_remove(in, line, len);
		line[len] = '\0';
		client_command(cl, line, len);
		free(line);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT)
		log_debug("control socket: client timed out");
	else if (what & BEV_EVENT_ERROR)
		log_debug("control socket: client: %s",
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	client_free(cl);
}

/* Only root, or the user the daemon runs as, may ask (the socket's mode
 * already says so; this also holds if the mode is loosened by hand). */
static bool
peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("control socket: SO_PEERCRED");
		return false;
	}
	if (cred.uid == 0 || cred.uid == geteuid())
		return true;
	log_ratelimited(&ctl_refused_limit, LOG_LVL_WARN,
	    "control socket: refused uid %u (pid %d)", (unsigned)cred.uid,
	    (int)cred.pid);
	return false;
}

static void
ctl_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	static const char denied[] = "error: permission denied\n";
	struct ctl *c = arg;
	struct ctl_client *cl;
	struct timeval tv = { CTL_TIMEOUT_SEC, 0 };

	(void)lev;
	(void)sa;
	(void)salen;
	if (!peer_allowed(fd)) {
		/* Best effort: the socket is non-blocking and fresh. */
		(void)send(fd, denied, sizeof(denied) - 1,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		close(fd);
		return;
	}
	if ((cl = calloc(1, sizeof(*cl))) == NULL) {
		log_warn("control socket");
		close(fd);
		return;
	}
	cl->ctl = c;
	cl->bev = bufferevent_socket_new(c->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (cl->bev == NULL) {
		log_warnx("control socket: bufferevent_socket_new failed");
		close(fd);
		free(cl);
		return;
	}
	LIST_INSERT_HEAD(&c->clients, cl, entry);
	c->nclients++;
	ctl_update_listener(c);
	bufferevent_setcb(cl->bev, client_read_cb, NULL, client_event_cb, cl);
	/* Stop reading once a line is overdue anyway. */
	bufferevent_setwatermark(cl->bev, EV_READ, 0, CTL_LINE_MAX + 2);
	bufferevent_set_timeouts(cl->bev, &tv, &tv);
	bufferevent_enable(cl->bev, EV_READ);
}

static void
ctl_backoff_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl *c = arg;

	(void)fd;
	(void)what;
	c->backing_off = false;
	ctl_update_listener(c);
}

/* accept() failing (EMFILE, ENOBUFS) would otherwise fire again at once and
 * spin: pause accepting for a moment instead. */
static void
ctl_error_cb(struct evconnlistener *lev, void *arg)
{
	struct ctl *c = arg;
	struct timeval tv = { CTL_BACKOFF_SEC, 0 };

	(void)lev;
	log_warn("control socket: accept");
	c->backing_off = true;
	ctl_update_listener(c);
	evtimer_add(c->backoff, &tv);
}

/* Is a daemon answering on path? Connecting tells a live socket from one
 * left behind by a crash. */
static bool
socket_alive(const struct sockaddr_un *sun)
{
	int fd, rv;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		return true;	/* cannot tell: do not remove it */
	rv = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	/* EAGAIN: a listener with a full backlog is still a listener. */
	if (rv == 0 || errno == EAGAIN || errno == EINPROGRESS) {
		close(fd);
		return true;
	}
	rv = errno;
	close(fd);
	return rv != ECONNREFUSED && rv != ENOENT;
}

static int
ctl_prepare_path(const char *path, const struct sockaddr_un *sun)
{
	char dir[sizeof(sun->sun_path)];
	const char *slash = strrchr(path, '/');
	struct stat sb;

	if (slash != NULL && slash != path) {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
		if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
			log_warn("control socket directory %s", dir);
			return -1;
		}
	}
	if (lstat(path, &sb) == -1) {
		if (errno == ENOENT)
			return 0;
		log_warn("control socket %s", path);
		return -1;
	}
	if (!S_ISSOCK(sb.st_mode)) {
		log_warnx("control socket %s: exists and is not a socket",
		    path);
		return -1;
	}
	if (socket_alive(sun)) {
		log_warnx("another vpntund is running on %s", path);
		return -1;
	}
	log_info("removing stale control socket %s", path);
	if (unlink(path) == -1 && errno != ENOENT) {
		log_warn("unlink %s", path);
		return -1;
	}
	return 0;
}

struct ctl *
ctl_open(struct event_base *base, const char *path, ctl_handler handler,
    void *arg)
{
	struct sockaddr_un sun;
	struct ctl *c;
	mode_t old;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (path[0] == '\0' || strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("control socket \"%s\": bad path", path);
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (ctl_prepare_path(path, &sun) == -1)
		return NULL;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warn("control socket");
		return NULL;
	}
	c->base = base;
	c->handler = handler;
	c->arg = arg;
	memcpy(c->path, sun.sun_path, sizeof(c->path));
	LIST_INIT(&c->clients);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1) {
		log_warn("control socket");
		free(c);
		return NULL;
	}
	/* No window in which the socket exists with a looser mode. */
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		log_warn("bind %s", path);
		close(fd);
		free(c);
		return NULL;
	}
	umask(old);
	if (chmod(path, 0600) == -1) {
		log_warn("chmod %s", path);
		goto fail;
	}
	if (listen(fd, CTL_CLIENTS_MAX) == -1) {
		log_warn("listen %s", path);
		goto fail;
	}
	if ((c->backoff = evtimer_new(base, ctl_backoff_cb, c)) == NULL) {
		log_warnx("control socket: evtimer_new failed");
		goto fail;
	}
	/* backlog -1: already listening. */
	c->lev = evconnlistener_new(base, ctl_accept_cb, c,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (c->lev == NULL) {
		log_warnx("control socket: evconnlistener_new failed");
		goto fail;
	}
	evconnlistener_set_error_cb(c->lev, ctl_error_cb);
	return c;

fail:
	if (c->backoff != NULL)
		event_free(c->backoff);
	close(fd);
	unlink(path);
	free(c);
	return NULL;
}

void
ctl_disown_path(struct ctl *c)
{
	c->path[0] = '\0';
}

void
ctl_close(struct ctl *c)
{
	struct ctl_client *cl;

	if (c == NULL)
		return;
	/* Free the listener first so that freeing clients does not
	 * re-enable it. */
	evconnlistener_free(c->lev);
	c->lev = NULL;
	while ((cl = LIST_FIRST(&c->clients)) != NULL) {
		LIST_REMOVE(cl, entry);
		bufferevent_free(cl->bev);
		free(cl);
	}
	event_free(c->backoff);
	if (c->path[0] != '\0' && unlink(c->path) == -1 && errno != ENOENT)
		log_warn("unlink %s", c->path);
	free(c);
}

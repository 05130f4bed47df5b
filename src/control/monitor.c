/* The HTTP status server (monitor.h) on libevent's evhttp. Read-only:
 * GET and HEAD, anything else 405. Requests, headers, connections and
 * their time are bounded, so that a client that is slow or hostile
 * costs a bounded share of the daemon; the answers are the control
 * socket's own (status.c, bridge_status.c, metrics.c), written into an
 * evbuffer and sent without a copy. */
#include "src/control/monitor.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "src/control/control.h"
#include "src/net/sock.h"
#include "util/log.h"

#define MONITOR_CONNS_MAX    32
#define MONITOR_HEADERS_MAX  8192       /* bytes of a request's headers */
#define MONITOR_BODY_MAX     1024       /* no method we take has one */
#define MONITOR_TIMEOUT_SEC  10
#define MONITOR_BACKLOG      16

/* Nothing from elsewhere: no script, style, font, frame or form
 * target but our own, and no one may frame the page. */
#define MONITOR_CSP "default-src 'none'; script-src 'self'; " \
	"style-src 'self'; img-src 'self'; connect-src 'self'; " \
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

struct monitor {
	struct engine              *eng;
	struct evhttp              *http;
	struct evhttp_bound_socket *bound;
	struct event               *adopt;          /* conn_adopt */
	struct bufferevent         *fresh[MONITOR_CONNS_MAX];
	int                         nnew;           /* in fresh, to adopt */
	int                         nconns;
	bool                        closing;
};

/* evhttp 2.1 has no bound on its connections and no callback when one
 * is made (2.2 has both), only the close callback of an
 * evhttp_connection. conn_new makes each connection's bufferevent and
 * counts it; once evhttp has wrapped it, which happens before the loop
 * runs again, conn_adopt finds the evhttp_connection as the
 * bufferevent's callback argument and sets the close callback, which
 * counts it out. A reference held meanwhile keeps the bufferevent valid
 * even if evhttp gave up on the connection at once. */
static void
conn_gone(struct evhttp_connection *evcon, void *arg)
{
	struct monitor *m = arg;

	(void)evcon;
	if (m->nconns-- == MONITOR_CONNS_MAX && !m->closing)
		evconnlistener_enable(evhttp_bound_socket_get_listener(
		    m->bound));
}

static void
conn_adopt(evutil_socket_t fd, short what, void *arg)
{
	struct monitor *m = arg;
	bufferevent_data_cb readcb;
	void *evcon;
	int i;

	(void)fd;
	(void)what;
	for (i = 0; i < m->nnew; i++) {
		bufferevent_getcb(m->fresh[i], &readcb, NULL, NULL, &evcon);
		if (readcb != NULL && evcon != NULL)
			evhttp_connection_set_closecb(evcon, conn_gone, m);
		else
			conn_gone(NULL, m);
		bufferevent_decref(m->fresh[i]);
	}
	m->nnew = 0;
}

static struct bufferevent *
conn_new(struct event_base *base, void *arg)
{
	struct monitor *m = arg;
	struct bufferevent *bev;

	/* NULL makes evhttp make one itself, uncounted: not at the bound,
	 * where the listener is off. */
	if (m->nnew == MONITOR_CONNS_MAX ||
	    (bev = bufferevent_socket_new(base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		return NULL;
	bufferevent_incref(bev);
	m->fresh[m->nnew++] = bev;
	event_active(m->adopt, EV_TIMEOUT, 0);
	/* Over the bound, further clients wait in the listen backlog. */
	if (++m->nconns == MONITOR_CONNS_MAX)
		evconnlistener_disable(evhttp_bound_socket_get_listener(
		    m->bound));
	return bev;
}

static void
send_text(struct evhttp_request *req, int code, const char *reason,
    const char *text)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	struct evbuffer *b = evbuffer_new();

	evhttp_add_header(h, "Content-Type", "text/plain; charset=utf-8");
	if (b != NULL)
		evbuffer_add_printf(b, "%s\n", text);
	evhttp_send_reply(req, code, reason, b);
	if (b != NULL)
		evbuffer_free(b);
}

/* An answer of the control socket's: "error: ..." is a failure. */
static void
send_answer(struct evhttp_request *req, struct engine *e, const char *cmd,
    const char *type)
{
	struct evbuffer *b = evbuffer_new();
	char head[6];

	if (b == NULL || status_handler(cmd, b, e) == -1) {
		if (b != NULL)
			evbuffer_free(b);
		send_text(req, HTTP_INTERNAL, "Internal Server Error",
		    "internal error");
		return;
	}
	if (evbuffer_copyout(b, head, sizeof(head)) == sizeof(head) &&
	    memcmp(head, "error:", sizeof(head)) == 0) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Type", "text/plain; charset=utf-8");
		evhttp_send_reply(req, HTTP_NOTFOUND, "Not Found", b);
	} else {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Content-Type", type);
		evhttp_send_reply(req, HTTP_OK, "OK", b);
	}
	evbuffer_free(b);
}

static void
send_asset(struct evhttp_request *req, const struct monitor_asset *a)
{
	struct evbuffer *b = evbuffer_new();

	if (b == NULL || evbuffer_add_reference(b, a->data, a->len, NULL,
	    NULL) == -1) {
		if (b != NULL)
			evbuffer_free(b);
		send_text(req, HTTP_INTERNAL, "Internal Server Error",
		    "internal error");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", a->type);
	evhttp_send_reply(req, HTTP_OK, "OK", b);
	evbuffer_free(b);
}

static void
monitor_request(struct evhttp_request *req, void *arg)
{
	struct monitor *m = arg;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	const char *path;
	size_t i;

	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Content-Security-Policy", MONITOR_CSP);
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(h, "Allow", "GET, HEAD");
		send_text(req, 405, "Method Not Allowed", "read-only: GET "
		    "and HEAD only");
		return;
	}
	path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	if (path == NULL || path[0] == '\0')
		path = "/";
	if (strcmp(path, "/status.json") == 0) {
		send_answer(req, m->eng, "status json", "application/json");
		return;
	}
	if (strcmp(path, "/bridge.json") == 0) {
		send_answer(req, m->eng, "bridge json", "application/json");
		return;
	}
	if (strcmp(path, "/metrics") == 0) {
		send_answer(req, m->eng, "metrics",
		    "text/plain; version=0.0.4; charset=utf-8");
		return;
	}
	for (i = 0; i < monitor_nassets; i++)
		if (strcmp(path, monitor_assets[i].path) == 0) {
			send_asset(req, &monitor_assets[i]);
			return;
		}
	send_text(req, HTTP_NOTFOUND, "Not Found", "not found");
}

static int
monitor_listen(const struct sockaddr_storage *ss)
{
	socklen_t len = ss->ss_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	int fd, one = 1;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return -1;
	/* A restart binds again while the old connections linger. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ==
	    -1 || (ss->ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &one, sizeof(one)) == -1) ||
	    bind(fd, (const struct sockaddr *)ss, len) == -1 ||
	    listen(fd, MONITOR_BACKLOG) == -1) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
monitor_start(struct engine *e)
{
	const struct sockaddr_storage *ss = &e->cf->site.monitor;
	struct monitor *m;
	char addr[INET6_ADDRSTRLEN + 8];
	int fd;

	if (ss->ss_family == AF_UNSPEC)
		return 0;
	/* The Date header's time conversion reads the zone file at its
	 * first use: now, while files may still be opened. */
	tzset();
	sockaddr_ntop(ss, addr, sizeof(addr));
	if ((fd = monitor_listen(ss)) == -1) {
		log_warn("monitor %s", addr);
		return -1;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->adopt = event_new(e->base, -1, 0, conn_adopt, m)) == NULL ||
	    (m->http = evhttp_new(e->base)) == NULL) {
		log_warnx("monitor %s: out of memory", addr);
		if (m != NULL && m->adopt != NULL)
			event_free(m->adopt);
		free(m);
		close(fd);
		return -1;
	}
	m->eng = e;
	evhttp_set_max_headers_size(m->http, MONITOR_HEADERS_MAX);
	evhttp_set_max_body_size(m->http, MONITOR_BODY_MAX);
	evhttp_set_timeout(m->http, MONITOR_TIMEOUT_SEC);
	/* All that evhttp parses reach monitor_request, which answers
	 * 405 rather than evhttp's 501 for those it is not given. */
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	evhttp_set_gencb(m->http, monitor_request, m);
	evhttp_set_bevcb(m->http, conn_new, m);
	if ((m->bound = evhttp_accept_socket_with_handle(m->http, fd)) ==
	    NULL) {
		log_warnx("monitor %s: cannot accept", addr);
		close(fd);
		evhttp_free(m->http);
		event_free(m->adopt);
		free(m);
		return -1;
	}
	e->monitor = m;
	log_info("monitor: http://%s/", addr);
	return 0;
}

void
monitor_stop(struct engine *e)
{
	struct monitor *m = e->monitor;
	int i;

	if (m == NULL)
		return;
	/* Frees the connections (conn_gone still finds m) and the
	 * listener, which closes the socket. */
	m->closing = true;
	evhttp_free(m->http);
	for (i = 0; i < m->nnew; i++)
		bufferevent_decref(m->fresh[i]);
	event_free(m->adopt);
	free(m);
	e->monitor = NULL;
}

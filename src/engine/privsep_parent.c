/* The privileged parent of privilege separation (privsep.h): it keeps
 * root and the tun device, and nothing of the data path. */
#include "src/engine/engine_internal.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/control/control.h"
#include "src/control/monitor.h"
#include "src/engine/privsep_int.h"
#include "src/engine/privsep_msg.h"
#include "src/engine/resolve.h"
#include "src/net/hook_runner.h"

/* A child that has not exited this long after SIGTERM is killed. */
#define STOP_GRACE_SEC 10

struct parent {
	struct engine      *e;
	pid_t               child;
	int                 fd;
	struct event_base  *base;
	struct event       *req_ev;
	struct event       *sig_ev[3];
	struct event       *kill_ev;
	struct hook_runner *hooks;
};

/* A message that breaks the protocol means the child is not what it
 * was: it is stopped, and the parent cleans up after it. */
static void
bad_message(struct parent *m, const char *why)
{
	log_warnx("privileged process: %s from the packet process; "
	    "killing it", why);
	(void)kill(m->child, SIGKILL);
}

static bool
endpoint_text_ok(const char *s, size_t size)
{
	size_t i;

	if (memchr(s, '\0', size) == NULL)
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && strchr(".:[]%-_", s[i])
		    == NULL)
			return false;
	return true;
}

static void
serve_hook(struct parent *m, const struct priv_hook *h)
{
	const struct config *cf = m->e->cf;

	if (h->peer >= cf->npeers || h->up > 1 ||
	    !endpoint_text_ok(h->endpoint, sizeof(h->endpoint))) {
		bad_message(m, "a bad hook request");
		return;
	}
	if (m->hooks != NULL)
		peer_hook_queue(m->e, m->hooks, &cf->peers[h->peer], h->up,
		    h->endpoint);
}

static void
answer_open(struct parent *m, int error, int fd)
{
	struct priv_opened ans = { .type = PRIV_OPENED, .error = error };
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = { .iov_base = &ans, .iov_len = sizeof(ans) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (fd != -1) {
		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.buf;
		msg.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(fd));
	}
	if (sendmsg(m->fd, &msg, 0) != sizeof(ans))
		log_warn("privileged process: answering an open");
}

/* Only files the start-up read (conf_opened_before): the configuration,
 * its includes, key files and hook scripts. Checked on the descriptor,
 * so a path swapped after the check opens nothing else. */
static void
serve_open(struct parent *m, const struct priv_open *o)
{
	char *real;
	int fd, err = 0;

	if (memchr(o->path, '\0', sizeof(o->path)) == NULL ||
	    (o->flags & ~O_NOFOLLOW) != 0) {
		bad_message(m, "a bad open request");
		return;
	}
	fd = open(o->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | o->flags);
	if (fd == -1) {
		answer_open(m, errno, -1);
		return;
	}
	real = conf_fd_path(fd, o->path);
	if (real == NULL || !conf_opened_before(real)) {
		log_warnx("privileged process: refused to open %s for the "
		    "packet process: start-up did not read it", o->path);
		err = EACCES;
	}
	free(real);
	answer_open(m, err, err == 0 ? fd : -1);
	close(fd);
}

static void
request_cb(evutil_socket_t fd, short what, void *arg)
{
	struct parent *m = arg;
	union {
		uint32_t          type;
		struct priv_hook  hook;
		struct priv_open  open;
	} u;
	ssize_t n;

	(void)what;
	n = recv(fd, &u, sizeof(u), MSG_TRUNC | MSG_DONTWAIT);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		/* The child is gone (its end closed with it). */
		event_base_loopbreak(m->base);
		return;
	}
	if ((size_t)n > sizeof(u) || (size_t)n < sizeof(u.type)) {
		bad_message(m, "a message of a bad size");
		return;
	}
	if (u.type == PRIV_HOOK && (size_t)n == sizeof(u.hook))
		serve_hook(m, &u.hook);
	else if (u.type == PRIV_OPEN && (size_t)n == sizeof(u.open))
		serve_open(m, &u.open);
	else
		bad_message(m, "an unknown message");
}

static void
kill_cb(evutil_socket_t fd, short what, void *arg)
{
	struct parent *m = arg;

	(void)fd;
	(void)what;
	log_warnx("packet process %ld still there %d s after SIGTERM: "
	    "killing it", (long)m->child, STOP_GRACE_SEC);
	(void)kill(m->child, SIGKILL);
}

/* SIGHUP (a reload) and the stop signals are the child's to act on. */
static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct parent *m = arg;
	struct timeval grace = { STOP_GRACE_SEC, 0 };

	(void)what;
	(void)kill(m->child, (int)sig);
	if (sig != SIGHUP && m->kill_ev != NULL &&
	    !evtimer_pending(m->kill_ev, NULL))
		(void)evtimer_add(m->kill_ev, &grace);
}

/* The child has the data path, the sockets and the keys now. */
static void
forget_packet_side(struct engine *e)
{
	size_t i;

	for (i = 0; i < sizeof(e->sig_ev) / sizeof(e->sig_ev[0]); i++) {
		if (e->sig_ev[i] != NULL)
			event_free(e->sig_ev[i]);
		e->sig_ev[i] = NULL;
	}
	if (e->state != NULL)
		(void)state_close(e->state, false);
	e->state = NULL;
	/* Its sockets: the monitor's listener, the resolver's. */
	monitor_stop(e);
	resolve_stop(e);
	peers_free(e);
	outer_close(e);
}

static int
serve(struct parent *m, const sigset_t *mask)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	const struct site_conf *site = &m->e->cf->site;
	size_t i;

	if ((m->base = event_base_new()) == NULL)
		return -1;
	m->req_ev = event_new(m->base, m->fd, EV_READ | EV_PERSIST,
	    request_cb, m);
	m->kill_ev = evtimer_new(m->base, kill_cb, m);
	if (m->req_ev == NULL || m->kill_ev == NULL ||
	    event_add(m->req_ev, NULL) == -1)
		return -1;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		m->sig_ev[i] = evsignal_new(m->base, sigs[i], signal_cb, m);
		if (m->sig_ev[i] == NULL || event_add(m->sig_ev[i], NULL) == -1)
			return -1;
	}
	sigprocmask(SIG_SETMASK, mask, NULL);
	if ((site->peer_up[0] != '\0' || site->peer_down[0] != '\0') &&
	    (m->hooks = hook_runner_new(m->base, site->hook_timeout)) == NULL)
		return -1;
	return event_base_dispatch(m->base);
}

static void
serve_free(struct parent *m)
{
	size_t i;

	if (m->hooks != NULL)
		hook_runner_free(m->hooks);
	for (i = 0; i < sizeof(m->sig_ev) / sizeof(m->sig_ev[0]); i++)
		if (m->sig_ev[i] != NULL)
			event_free(m->sig_ev[i]);
	if (m->kill_ev != NULL)
		event_free(m->kill_ev);
	if (m->req_ev != NULL)
		event_free(m->req_ev);
	if (m->base != NULL)
		event_base_free(m->base);
}

static int
child_status(pid_t child)
{
	int st;

	while (waitpid(child, &st, 0) == -1)
		if (errno != EINTR) {
			log_warn("waitpid");
			return 1;
		}
	if (WIFEXITED(st)) {
		if (WEXITSTATUS(st) != 0)
			log_warnx("packet process %ld exited with %d",
			    (long)child, WEXITSTATUS(st));
		return WEXITSTATUS(st);
	}
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
		log_warnx("packet process %ld killed: a system call outside "
		    "its sandbox", (long)child);
	else if (WIFSIGNALED(st))
		log_warnx("packet process %ld killed by signal %d",
		    (long)child, WTERMSIG(st));
	return 1;
}

int
privsep_parent_run(struct engine *e, pid_t child, int fd,
    const sigset_t *mask)
{
	struct parent m = { .e = e, .child = child, .fd = fd };
	int rc;

	forget_packet_side(e);
	if (serve(&m, mask) == -1) {
		log_warnx("privileged process: cannot serve the packet "
		    "process; stopping it");
		(void)kill(child, SIGKILL);
	}
	serve_free(&m);
	sigprocmask(SIG_SETMASK, mask, NULL);
	close(fd);
	rc = child_status(child);
	/* The down hook, the routes, the tun device, the control socket's
	 * path: as a single process would at exit. */
	engine_free(e);
	return rc;
}

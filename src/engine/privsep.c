/* The split and the packet process's side of privilege separation
 * (privsep.h); the parent's side is in privsep_parent.c. */
#include "src/engine/engine_internal.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/control/ctl.h"
#include "src/engine/privsep.h"
#include "src/engine/privsep_int.h"
#include "src/engine/privsep_msg.h"
#include "src/engine/sandbox.h"
#include "src/net/hook_runner.h"

/* The packet process waits this long for the parent to open a file. */
#define OPEN_TIMEOUT_MS 5000

void
privsep_stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
}

void
privsep_peer_hook(struct engine *e, size_t i, bool up, const char *endpoint)
{
	struct priv_hook m;

	memset(&m, 0, sizeof(m));
	m.type = PRIV_HOOK;
	m.up = up;
	m.peer = (uint32_t)i;
	snprintf(m.endpoint, sizeof(m.endpoint), "%s", endpoint);
	if (send(e->priv_fd, &m, sizeof(m), MSG_DONTWAIT) != sizeof(m))
		log_warn("%s hook of peer %s: cannot ask the privileged "
		    "process", up ? "peer-up" : "peer-down",
		    e->cf->peers[i].name);
}

/* The conf_open() of the packet process: the parent opens the file (if
 * the start-up read it) and passes the descriptor. Blocks, bounded: a
 * reload is rare and the parent answers at once. */
static int
open_by_parent(const char *path, int flags, void *arg)
{
	struct engine *e = arg;
	struct priv_open req;
	struct priv_opened ans;
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov = { .iov_base = &ans, .iov_len = sizeof(ans) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cm.buf, .msg_controllen = sizeof(cm.buf),
	};
	struct pollfd pfd = { .fd = e->priv_fd, .events = POLLIN };
	struct cmsghdr *c;
	ssize_t n;
	int fd = -1;

	memset(&req, 0, sizeof(req));
	req.type = PRIV_OPEN;
	req.flags = flags & O_NOFOLLOW;
	if (strlen(path) >= sizeof(req.path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(req.path, path, strlen(path));
	if (send(e->priv_fd, &req, sizeof(req), 0) != sizeof(req))
		return -1;
	if (poll(&pfd, 1, OPEN_TIMEOUT_MS) != 1) {
		log_warnx("open %s: no answer from the privileged process",
		    path);
		errno = ETIMEDOUT;
		return -1;
	}
	n = recvmsg(e->priv_fd, &msg, MSG_CMSG_CLOEXEC);
	for (c = CMSG_FIRSTHDR(&msg); n > 0 && c != NULL;
	    c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	if (n != sizeof(ans) || ans.type != PRIV_OPENED ||
	    (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    (ans.error == 0) != (fd != -1) || ans.error < 0) {
		if (fd != -1)
			close(fd);
		log_warnx("open %s: a bad answer from the privileged "
		    "process", path);
		errno = EPROTO;
		return -1;
	}
	if (ans.error != 0) {
		errno = ans.error;
		return -1;
	}
	return fd;
}

/* Manual SAs write the state file's marks as the process runs: its
 * directory must take new files from the user (the writer renames a
 * temporary file over it). */
int
privsep_check(const struct config *cf)
{
	const struct site_conf *site = &cf->site;
	char dir[PATH_MAX];
	struct stat st;
	size_t i;
	bool w;

	for (i = 0; i < cf->npeers; i++)
		if (cf->peers[i].keying == KEYING_MANUAL)
			break;
	if (site->user[0] == '\0' || i == cf->npeers)
		return 0;
	snprintf(dir, sizeof(dir), "%s", site->state_file);
	if (stat(dirname(dir), &st) == -1) {
		log_warn("state file directory %s", dir);
		return -1;
	}
	if (st.st_uid == site->uid)
		w = st.st_mode & S_IWUSR;
	else if (st.st_gid == site->gid)
		w = st.st_mode & S_IWGRP;
	else
		w = (st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX);
	if (!w) {
		log_warnx("state file directory %s: user %s cannot write "
		    "it (chown %s %s)", dir, site->user, site->user, dir);
		return -1;
	}
	return 0;
}

/* What the parent does from now on is left to it: the child neither
 * runs hooks nor removes routes or the control socket's path. */
static int
child_start(struct engine *e, int fd, pid_t parent)
{
	const struct site_conf *site = &e->cf->site;

	e->priv_fd = fd;
	e->up_ran = false;
	e->nroutes = 0;
	ctl_disown_path(e->ctl);
	if (e->hooks != NULL) {
		hook_runner_free(e->hooks);
		e->hooks = NULL;
	}
	if (event_reinit(e->base) == -1) {
		log_warnx("event_reinit failed");
		return -1;
	}
	conf_set_opener(open_by_parent, e);
	if (sandbox_drop_user(site->uid, site->gid) == -1)
		return -1;
	/* After the uid change, which would clear it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == -1) {
		log_warn("parent death signal");
		return -1;
	}
	if (getppid() != parent) {
		log_warnx("the privileged process is gone");
		return -1;
	}
	if (sandbox_enter() == -1)
		return -1;
	log_info("packet process %ld runs as %s, sandboxed", (long)getpid(),
	    site->user);
	return 0;
}

int
privsep_split(struct engine *e, int *status)
{
	pid_t parent = getpid(), pid;
	sigset_t stop, old;
	int sv[2], rc;

	if (e->cf->site.user[0] == '\0') {
		log_info("no user in the site block: running as root, in one "
		    "process, without a sandbox");
		return 0;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("socketpair");
		return -1;
	}
	/* Held until each side has its handlers: a stop signal in
	 * between must not kill either without its clean-up. */
	privsep_stop_signals(&stop);
	sigprocmask(SIG_BLOCK, &stop, &old);
	switch ((pid = fork())) {
	case -1:
		log_warn("fork");
		close(sv[0]);
		close(sv[1]);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return -1;
	case 0:
		close(sv[0]);
		rc = child_start(e, sv[1], parent);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return rc;
	default:
		close(sv[1]);
		*status = privsep_parent_run(e, pid, sv[0], &old);
		return 1;
	}
}

/* The packet process's user, capabilities and seccomp filter (sandbox.h). */
#include "src/engine/sandbox.h"

#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <errno.h>
#include <linux/capability.h>
#include <linux/sockios.h>
#include <grp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

/* Sanitizer builds only: LeakSanitizer stops the world at exit with a
 * traced clone of the process. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZER_BUILD 1
#endif
#endif

/* Past the last capability any kernel knows of. */
#define CAP_PROBE_MAX 64

int
sandbox_drop_user(uid_t uid, gid_t gid)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	int c;

	/* The bounding set goes while CAP_SETPCAP is still ours: nothing
	 * the process runs later could gain a capability back. */
	for (c = 0; c < CAP_PROBE_MAX; c++)
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) == -1 && errno != EINVAL) {
			log_warn("drop capability %d from the bounding set", c);
			return -1;
		}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 &&
	    errno != EINVAL) {
		log_warn("clear the ambient capabilities");
		return -1;
	}
	if (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1) {
		log_warn("become uid %u gid %u", (unsigned)uid, (unsigned)gid);
		return -1;
	}
	/* A uid other than 0 empties the permitted and effective sets
	 * already; saying so costs nothing and survives SECBIT_KEEP_CAPS. */
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) == -1) {
		log_warn("clear the capabilities");
		return -1;
	}
	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1 ||
	    ru != uid || eu != uid || su != uid ||
	    rg != gid || eg != gid || sg != gid) {
		log_warnx("the process did not become uid %u gid %u",
		    (unsigned)uid, (unsigned)gid);
		return -1;
	}
	if (syscall(SYS_capget, &hdr, data) == -1 ||
	    data[0].effective != 0 || data[0].permitted != 0 ||
	    data[0].inheritable != 0 || data[1].effective != 0 ||
	    data[1].permitted != 0 || data[1].inheritable != 0) {
		log_warnx("capabilities remain after dropping them");
		return -1;
	}
	if (setuid(0) == 0 || seteuid(0) == 0) {
		log_warnx("root could be had back after dropping it");
		return -1;
	}
#ifdef SANITIZER_BUILD
	/* LeakSanitizer's tracer must attach at exit. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == -1) {
		log_warn("dumpable");
		return -1;
	}
#endif
	return 0;
}

/* Reports the refused call on stderr (the journal, in the foreground)
 * and dies of SIGSYS, so that the parent sees why. */
static void
refused(int sig, siginfo_t *si, void *ctx)
{
	char msg[96];
	int n;

	(void)ctx;
	n = snprintf(msg, sizeof(msg), "vpntund: system call %d refused by "
	    "the sandbox\n", si->si_syscall);
	if (n > 0)
		(void)!write(STDERR_FILENO, msg, (size_t)n);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* What the packet process may call. Files are opened only for the state
 * file and its hints, under the process's own uid. */
static const int allowed[] = {
	/* memory, time, signals, threads (the state file's writer) */
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),
	SCMP_SYS(mprotect), SCMP_SYS(madvise),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep), SCMP_SYS(gettimeofday), SCMP_SYS(time),
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(sigaltstack),
	SCMP_SYS(futex), SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
	SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity),
	SCMP_SYS(getrandom), SCMP_SYS(getpid), SCMP_SYS(gettid),
	SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid),
	SCMP_SYS(getegid), SCMP_SYS(getppid), SCMP_SYS(getrusage),
	SCMP_SYS(uname), SCMP_SYS(prlimit64),
	SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(tgkill),
	/* descriptors and the event loop */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(close),
	SCMP_SYS(fcntl), SCMP_SYS(dup), SCMP_SYS(dup3), SCMP_SYS(lseek),
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(pipe2),
	SCMP_SYS(eventfd2),
	/* the state file, its hints, the control socket on exit */
	SCMP_SYS(openat), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
	SCMP_SYS(statx), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
	SCMP_SYS(ftruncate), SCMP_SYS(rename), SCMP_SYS(renameat),
	SCMP_SYS(unlink), SCMP_SYS(unlinkat), SCMP_SYS(readlink),
	SCMP_SYS(readlinkat), SCMP_SYS(access), SCMP_SYS(faccessat),
	SCMP_SYS(mkdir), SCMP_SYS(mkdirat), SCMP_SYS(fchmod),
	/* sockets already open, and new ones for the resolver, syslog and
	 * the monitor's and control socket's clients */
	SCMP_SYS(sendto), SCMP_SYS(recvfrom), SCMP_SYS(sendmsg),
	SCMP_SYS(recvmsg), SCMP_SYS(sendmmsg), SCMP_SYS(recvmmsg),
	SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(connect),
	SCMP_SYS(shutdown), SCMP_SYS(getsockopt), SCMP_SYS(setsockopt),
	SCMP_SYS(getsockname), SCMP_SYS(getpeername), SCMP_SYS(bind),
};

/* ioctl only for these: no terminal input injected (TIOCSTI) into a
 * foreground daemon's terminal, no device reconfigured. */
static const unsigned long allowed_ioctls[] = {
	FIONREAD, FIONBIO, TCGETS, SIOCGIFNAME, SIOCGIFINDEX,
};

#ifdef SANITIZER_BUILD
static const int sanitizer_allowed[] = {
	SCMP_SYS(clone), SCMP_SYS(ptrace), SCMP_SYS(wait4), SCMP_SYS(prctl),
	SCMP_SYS(sched_getaffinity), SCMP_SYS(getdents), SCMP_SYS(getdents64),
	SCMP_SYS(open), SCMP_SYS(kill),
};
#endif

static int
add_rules(scmp_filter_ctx ctx)
{
	size_t i;

	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0) < 0)
			return -1;
#ifdef SANITIZER_BUILD
	for (i = 0; i < sizeof(sanitizer_allowed) /
	    sizeof(sanitizer_allowed[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
		    sanitizer_allowed[i], 0) < 0)
			return -1;
#else
	/* Threads, never processes: glibc's pthread_create uses clone3,
	 * whose flags a filter cannot see, and falls back to clone. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
	    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)) < 0)
		return -1;
#endif
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3),
	    0) < 0)
		return -1;
	for (i = 0; i < sizeof(allowed_ioctls) / sizeof(allowed_ioctls[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
		    SCMP_A1(SCMP_CMP_EQ, allowed_ioctls[i])) < 0)
			return -1;
	/* New sockets only of the families the process already uses. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
	    SCMP_A0(SCMP_CMP_EQ, AF_UNIX)) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
	    SCMP_A0(SCMP_CMP_EQ, AF_INET)) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
	    SCMP_A0(SCMP_CMP_EQ, AF_INET6)) < 0)
		return -1;
	return 0;
}

int
sandbox_enter(void)
{
	struct sigaction sa;
	scmp_filter_ctx ctx;
	int rc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = refused;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	if (sigaction(SIGSYS, &sa, NULL) == -1) {
		log_warn("SIGSYS handler");
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		log_warn("set NoNewPrivs");
		return -1;
	}
	if ((ctx = seccomp_init(SCMP_ACT_TRAP)) == NULL) {
		log_warnx("seccomp_init failed");
		return -1;
	}
	if (add_rules(ctx) == -1 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) < 0) {
		seccomp_release(ctx);
		log_warnx("seccomp filter: cannot build it");
		return -1;
	}
	rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0) {
		log_warnx("seccomp filter: cannot load it: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

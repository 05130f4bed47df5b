/* up/down hook scripts (the paper's shell-escape idea, as in ISC dhclient).
 * The script runs with a clean environment documented in docs/site.conf.5.md:
 * VPNTUND_EVENT (up|down), VPNTUND_SITE, VPNTUND_TUN, VPNTUND_MTU,
 * VPNTUND_ADDRESSES, VPNTUND_ROUTES (space-separated prefixes), PATH. */
#ifndef VPNTUND_HOOK_H
#define VPNTUND_HOOK_H

/* envp is NULL-terminated "KEY=value"; waits for the script; returns its
 * exit status, or -1 if it could not run. */
int hook_run(const char *script, char *const envp[]);

#endif

/* vpntunctl top: a live view of a running vpntund (vpntunctl(8)). */
#ifndef VPNTUND_VPNTUNCTL_TOP_H
#define VPNTUND_VPNTUNCTL_TOP_H

/* argv[0] is "top"; sock the control socket. Returns the exit status. */
int top_main(const char *sock, int argc, char **argv);

#endif

/* The site's `user`, looked up where the daemon runs (config.h). Root
 * would make privilege separation pointless, so it is refused. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "conf/config.h"

int
config_resolve_user(struct config *cf, struct conf_error *err)
{
	struct site_conf *s = &cf->site;
	struct passwd *pw;

	if (s->user[0] == '\0')
		return 0;
	errno = 0;
	if ((pw = getpwnam(s->user)) == NULL) {
		snprintf(err->msg, sizeof(err->msg), "%.400s:%d: user %s: %s",
		    cf->file, s->user_line, s->user,
		    errno != 0 ? strerror(errno) : "no such user");
		return -1;
	}
	if (pw->pw_uid == 0 || pw->pw_gid == 0) {
		snprintf(err->msg, sizeof(err->msg), "%.400s:%d: user %s: expected "
		    "a user other than root (uid and gid not 0)", cf->file,
		    s->user_line, s->user);
		return -1;
	}
	s->uid = pw->pw_uid;
	s->gid = pw->pw_gid;
	return 0;
}

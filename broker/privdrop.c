#include "config.h"

#include <sys/prctl.h>
#include <sys/syscall.h>

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <string.h>
#include <unistd.h>

#include "broker/parent.h"
#include "common/xmalloc.h"

/*
 * Drop everything: supplementary groups, gid, uid, every capability in
 * the bounding and ambient sets, and set NO_NEW_PRIVS so no exec can win
 * anything back.  The bounding set is emptied while CAP_SETPCAP is still
 * held, i.e. before the uid changes.  Verified afterwards: a process that
 * thinks it dropped privileges but did not is the worst outcome.
 */
int
privdrop(uid_t uid, gid_t gid, char **cause)
{
	struct __user_cap_header_struct hdr;
	struct __user_cap_data_struct data[2];
	int cap;

	if (uid == 0) {
		*cause = xstrdup("refusing to run a role as root");
		return -EPERM;
	}
	if (setgroups(1, &gid) == -1) {
		*cause = xasprintf("setgroups: %s", strerror(errno));
		return -errno;
	}
	if (setresgid(gid, gid, gid) == -1) {
		*cause = xasprintf("setresgid %u: %s", (unsigned)gid,
		    strerror(errno));
		return -errno;
	}
	for (cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1 &&
		    errno != EINVAL) {
			*cause = xasprintf("dropping capability %d from the "
			    "bounding set: %s", cap, strerror(errno));
			return -errno;
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 &&
	    errno != EINVAL) {
		*cause = xasprintf("clearing ambient capabilities: %s",
		    strerror(errno));
		return -errno;
	}
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) == -1 ||
	    setresuid(uid, uid, uid) == -1) {
		*cause = xasprintf("setresuid %u: %s", (unsigned)uid,
		    strerror(errno));
		return -errno;
	}
	/* setresuid from root clears the sets; make sure of it anyway. */
	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capset, &hdr, data) == -1) {
		*cause = xasprintf("capset: %s", strerror(errno));
		return -errno;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		*cause = xasprintf("PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -errno;
	}

	if (setuid(0) != -1 || setgid(0) != -1 || geteuid() != uid ||
	    getegid() != gid) {
		*cause = xstrdup("privileges could be regained after dropping");
		return -EPERM;
	}
	if (syscall(SYS_capget, &hdr, data) == -1 || data[0].effective ||
	    data[0].permitted || data[0].inheritable || data[1].effective ||
	    data[1].permitted || data[1].inheritable) {
		*cause = xstrdup("capabilities remain after dropping");
		return -EPERM;
	}
	return 0;
}

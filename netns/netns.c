/*
 * netns: namespace lifecycle, links, addresses, routes and sockets inside a
 * network's namespace.
 *
 * The process stays in the root namespace.  Work inside a network is done
 * in one of two ways: a netlink socket opened inside the namespace (a
 * socket keeps the namespace it was created in), or setns() there and back
 * around a single socket() call.  Failing to get back to the root
 * namespace is a broken invariant and fatal: every later socket would land
 * in the wrong network.
 *
 * setns() and unshare() act on the calling thread, so the namespace of
 * "this thread" is read from /proc/thread-self, not /proc/self (which
 * names the thread group leader's).
 */
#include "config.h"

#include <sys/mount.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <net/if.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#include "common/error.h"
#include "common/log.h"
#include "common/strutil.h"
#include "common/xmalloc.h"
#include "netns/netns.h"

#define NETNS_SELF	"/proc/thread-self/ns/net"
#define NETNS_MARKER_MAX 128

/* What of a network's link exists, for teardown. */
enum netns_link_state {
	NETNS_LINK_NONE = 0,
	NETNS_LINK_HAVE_VETH,		/* veth pair created */
	NETNS_LINK_HAVE_MAC,		/* NIC (perhaps) moved into the ns */
};

struct netns_net {
	char			 name[NETNS_NAME_MAX + 1];
	uint32_t		 kind;
	int			 nsfd;		/* /run/netns/NAME, O_RDONLY */
	char			 ifname[IFNAMSIZ];
	int			 ifindex;

	/* NETNS_LINK_MAC: how to give the NIC back. */
	uint8_t			 mac[6];
	char			 orig_ifname[IFNAMSIZ];
	unsigned int		 orig_mtu;
	int			 orig_up;

	/* What exists, so that teardown undoes exactly that. */
	int			 marked;
	int			 created;
	int			 mounted;
	enum netns_link_state	 link;

	TAILQ_ENTRY(netns_net)	 entry;
};
TAILQ_HEAD(netns_nets, netns_net);

static int		 netns_root_fd = -1;
static char		*netns_owner_dir;
static struct netns_nets netns_nets = TAILQ_HEAD_INITIALIZER(netns_nets);

static void	netns_cause_add(char **, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* A libnl error as -errno, so callers see one kind of code. */
static int
netns_nlerr(int error)
{
	switch (error < 0 ? -error : error) {
	case NLE_SUCCESS:
		return 0;
	case NLE_INTR:
		return -EINTR;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_MSGSIZE:
		return -EMSGSIZE;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND:
	case NLE_NODEV:
		return -ENODEV;
	case NLE_NOADDR:
		return -EADDRNOTAVAIL;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_PERM:
		return -EPERM;
	}
	return -EIO;
}

/* Append a message to *cause, "; "-separated. */
static void
netns_cause_add(char **cause, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg, *old = *cause;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatal("out of memory");
	va_end(ap);
	if (old == NULL)
		*cause = msg;
	else {
		*cause = xasprintf("%s; %s", old, msg);
		free(old);
		free(msg);
	}
}

static const char *
netns_mac_fmt(const uint8_t mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
	    mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

static void
netns_path(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", NETNS_RUN_DIR, name);
}

static void
netns_marker_path(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", netns_owner_dir, name);
}

static struct netns_net *
netns_find(const char *name)
{
	struct netns_net	*net;

	TAILQ_FOREACH(net, &netns_nets, entry) {
		if (strcmp(net->name, name) == 0)
			return net;
	}
	return NULL;
}

static int
netns_enter(int fd)
{
	if (setns(fd, CLONE_NEWNET) == -1)
		return -errno;
	return 0;
}

/* Back to the root namespace, keeping errno. */
static void
netns_leave(void)
{
	int	saved = errno;

	if (setns(netns_root_fd, CLONE_NEWNET) == -1)
		fatal("setns back to the root network namespace: %s",
		    strerror(errno));
	errno = saved;
}

/* A route netlink socket inside the namespace fd, or here if fd is -1. */
static int
netns_nl_open(int fd, struct nl_sock **out)
{
	struct nl_sock	*sk;
	int		 error;

	*out = NULL;
	if ((sk = nl_socket_alloc()) == NULL)
		return -ENOMEM;
	if (fd != -1 && (error = netns_enter(fd)) != 0)
		goto fail;
	error = nl_connect(sk, NETLINK_ROUTE);
	if (fd != -1)
		netns_leave();
	if (error < 0) {
		error = netns_nlerr(error);
		goto fail;
	}
	*out = sk;
	return 0;

fail:
	nl_socket_free(sk);
	return error;
}

static int
netns_link_has_mac(struct rtnl_link *link, const uint8_t mac[6])
{
	struct nl_addr	*a;

	if ((a = rtnl_link_get_addr(link)) == NULL ||
	    nl_addr_get_len(a) != 6)
		return 0;
	return memcmp(nl_addr_get_binary_addr(a), mac, 6) == 0;
}

/*
 * Find the links with this MAC.  *out holds a reference to the first (or
 * NULL), *count how many there are, names their names.
 */
static int
netns_link_by_mac(struct nl_sock *sk, const uint8_t mac[6],
    struct rtnl_link **out, int *count, char *names, size_t len)
{
	struct nl_cache		*cache;
	struct nl_object	*obj;
	struct rtnl_link	*link;
	const char		*name;
	size_t			 used;
	int			 error;

	*out = NULL;
	*count = 0;
	if (names != NULL && len > 0)
		names[0] = '\0';
	if ((error = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache)) < 0)
		return netns_nlerr(error);
	for (obj = nl_cache_get_first(cache); obj != NULL;
	    obj = nl_cache_get_next(obj)) {
		link = (struct rtnl_link *)obj;
		if (!netns_link_has_mac(link, mac))
			continue;
		if ((*count)++ == 0) {
			nl_object_get(obj);
			*out = link;
		}
		name = rtnl_link_get_name(link);
		if (names != NULL && len > 0) {
			used = strlen(names);
			snprintf(names + used, len - used, "%s%s",
			    used == 0 ? "" : ", ", name != NULL ? name : "?");
		}
	}
	nl_cache_free(cache);
	return 0;
}

/* Change a link: any of namespace, name, MTU, up.  Returns libnl code. */
static int
netns_link_set(struct nl_sock *sk, struct rtnl_link *link, int ns_fd,
    const char *name, unsigned int mtu, int up)
{
	struct rtnl_link	*change;
	int			 error;

	if ((change = rtnl_link_alloc()) == NULL)
		return -NLE_NOMEM;
	if (ns_fd != -1)
		rtnl_link_set_ns_fd(change, ns_fd);
	if (name != NULL)
		rtnl_link_set_name(change, name);
	if (mtu != 0)
		rtnl_link_set_mtu(change, mtu);
	if (up)
		rtnl_link_set_flags(change, IFF_UP);
	error = rtnl_link_change(sk, link, change, 0);
	rtnl_link_put(change);
	return error;
}

/* Delete a link by index (or by name); a missing link is not an error. */
static int
netns_link_delete(struct nl_sock *sk, int ifindex, const char *name)
{
	struct rtnl_link	*link;
	int			 error;

	if ((link = rtnl_link_alloc()) == NULL)
		return -ENOMEM;
	if (ifindex > 0)
		rtnl_link_set_ifindex(link, ifindex);
	else
		rtnl_link_set_name(link, name);
	error = rtnl_link_delete(sk, link);
	rtnl_link_put(link);
	if (error == -NLE_NODEV || error == -NLE_OBJ_NOTFOUND)
		return 0;
	return netns_nlerr(error);
}

/*
 * Give a NIC back to the root namespace under its original name, restoring
 * its MTU and up state.  If the original name was taken meanwhile the
 * kernel picks "devN".  A NIC that is not in the namespace (it never got
 * there, or the namespace is gone) is not an error.
 */
static int
netns_mac_return(const char *netname, struct nl_sock *sk,
    const uint8_t mac[6], const char *orig, unsigned int orig_mtu,
    int orig_up, char **cause)
{
	struct nl_sock		*rsk = NULL;
	struct rtnl_link	*link = NULL, *rlink = NULL;
	char			 m[32];
	const char		*name = orig;
	int			 error, count;

	netns_mac_fmt(mac, m, sizeof m);
	if ((error = netns_link_by_mac(sk, mac, &link, &count, NULL, 0)) != 0) {
		netns_cause_add(cause, "network \"%s\": mac %s: cannot list "
		    "links in the namespace: %s", netname, m, strerror(-error));
		goto out;
	}
	if (link == NULL)
		goto out;

	error = netns_link_set(sk, link, netns_root_fd, orig, 0, 0);
	if (error == -NLE_EXIST) {
		name = "dev%d";
		error = netns_link_set(sk, link, netns_root_fd, name, 0, 0);
		if (error == 0)
			netns_cause_add(cause, "network \"%s\": mac %s: name "
			    "\"%s\" is taken in the root namespace; the link "
			    "came back under a kernel-chosen name", netname, m,
			    orig);
	}
	if (error < 0) {
		netns_cause_add(cause, "network \"%s\": mac %s: cannot move "
		    "link back to the root namespace: %s", netname, m,
		    nl_geterror(error));
		error = netns_nlerr(error);
		goto out;
	}
	log_debug("network \"%s\": mac %s back in the root namespace",
	    netname, m);

	if (orig_mtu == 0 && !orig_up)
		goto out;
	if ((error = netns_nl_open(-1, &rsk)) != 0)
		goto restore_fail;
	if (name == orig)
		error = netns_nlerr(rtnl_link_get_kernel(rsk, 0, orig, &rlink));
	else
		error = netns_link_by_mac(rsk, mac, &rlink, &count, NULL, 0);
	if (error == 0 && rlink == NULL)
		error = -ENODEV;
	if (error != 0)
		goto restore_fail;
	if (orig_mtu != 0 && rtnl_link_get_mtu(rlink) != orig_mtu &&
	    (error = netns_nlerr(netns_link_set(rsk, rlink, -1, NULL,
	    orig_mtu, 0))) != 0)
		goto restore_fail;
	if (orig_up && (error = netns_nlerr(netns_link_set(rsk, rlink, -1,
	    NULL, 0, 1))) != 0)
		goto restore_fail;
	goto out;

restore_fail:
	netns_cause_add(cause, "network \"%s\": mac %s (link %s): cannot "
	    "restore mtu and up state: %s", netname, m, orig,
	    strerror(-error));
out:
	if (rlink != NULL)
		rtnl_link_put(rlink);
	if (link != NULL)
		rtnl_link_put(link);
	if (rsk != NULL)
		nl_socket_free(rsk);
	return error;
}

/*
 * The marker: empty for a veth network; for a MAC network it says how to
 * give the NIC back if the broker dies ("mac=M ifname=N mtu=U up=B").
 */
static int
netns_marker_write(const char *name, const char *content, char **cause)
{
	char	path[PATH_MAX];
	size_t	len = strlen(content);
	int	fd, error = 0;

	netns_marker_path(name, path, sizeof path);
	fd = open(path, O_WRONLY|O_CREAT|O_TRUNC|O_NOFOLLOW|O_CLOEXEC, 0600);
	if (fd == -1) {
		error = -errno;
		goto fail;
	}
	if (len != 0 && write(fd, content, len) != (ssize_t)len) {
		error = errno != 0 ? -errno : -EIO;
		close(fd);
		goto fail;
	}
	if (close(fd) == -1) {
		error = -errno;
		goto fail;
	}
	return 0;

fail:
	netns_cause_add(cause, "network \"%s\": cannot write ownership "
	    "marker %s: %s", name, path, strerror(-error));
	return error;
}

/* Read a marker; fills mac and orig when it names a NIC.  1 if it does. */
static int
netns_marker_read(const char *name, uint8_t mac[6], char *orig,
    unsigned int *mtu, int *up)
{
	char	path[PATH_MAX], buf[NETNS_MARKER_MAX], m[18], n[IFNAMSIZ];
	ssize_t	len;
	int	fd;

	netns_marker_path(name, path, sizeof path);
	if ((fd = open(path, O_RDONLY|O_NOFOLLOW|O_CLOEXEC)) == -1)
		return 0;
	len = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = '\0';
	if (sscanf(buf, "mac=%17s ifname=%15s mtu=%u up=%d", m, n, mtu,
	    up) != 4 || netns_mac_parse(m, mac) != 0)
		return 0;
	str_copy(orig, n, IFNAMSIZ);
	return 1;
}

static int
netns_exists(const char *path)
{
	struct stat	sb;

	if (lstat(path, &sb) == 0)
		return 1;
	return errno == ENOENT ? 0 : -errno;
}

/*
 * Undo whatever of a network exists: link, namespace mount and file,
 * marker.  Best effort: goes on past errors, adds each to *cause and
 * returns the first.
 */
static int
netns_teardown(struct netns_net *net, char **cause)
{
	struct nl_sock	*sk = NULL;
	char		 path[PATH_MAX];
	int		 error = 0, e;

	if (net->link != NETNS_LINK_NONE && net->nsfd != -1) {
		if ((e = netns_nl_open(net->nsfd, &sk)) != 0) {
			netns_cause_add(cause, "network \"%s\": cannot open "
			    "netlink in the namespace: %s", net->name,
			    strerror(-e));
			error = e;
		} else if (net->link == NETNS_LINK_HAVE_VETH) {
			e = netns_link_delete(sk, net->ifindex, net->ifname);
			if (e != 0) {
				netns_cause_add(cause, "network \"%s\": cannot "
				    "delete veth %s: %s", net->name,
				    net->ifname, strerror(-e));
				if (error == 0)
					error = e;
			}
		} else {
			e = netns_mac_return(net->name, sk, net->mac,
			    net->orig_ifname, net->orig_mtu, net->orig_up,
			    cause);
			if (e != 0 && error == 0)
				error = e;
		}
		if (sk != NULL)
			nl_socket_free(sk);
		net->link = NETNS_LINK_NONE;
	}
	if (net->nsfd != -1) {
		close(net->nsfd);
		net->nsfd = -1;
	}

	netns_path(net->name, path, sizeof path);
	if (net->mounted) {
		if (umount2(path, MNT_DETACH) == -1 && errno != EINVAL &&
		    errno != ENOENT) {
			e = -errno;
			netns_cause_add(cause, "network \"%s\": cannot unmount "
			    "%s: %s", net->name, path, strerror(-e));
			if (error == 0)
				error = e;
		}
		net->mounted = 0;
	}
	if (net->created) {
		if (unlink(path) == -1 && errno != ENOENT) {
			e = -errno;
			netns_cause_add(cause, "network \"%s\": cannot remove "
			    "%s: %s", net->name, path, strerror(-e));
			if (error == 0)
				error = e;
		}
		net->created = 0;
	}
	if (net->marked) {
		netns_marker_path(net->name, path, sizeof path);
		if (unlink(path) == -1 && errno != ENOENT) {
			e = -errno;
			netns_cause_add(cause, "network \"%s\": cannot remove "
			    "marker %s: %s", net->name, path, strerror(-e));
			if (error == 0)
				error = e;
		}
		net->marked = 0;
	}
	return error;
}

/* mkdir -p: parents 0755, the last one with mode. */
static int
netns_mkdirs(const char *dir, mode_t mode)
{
	struct stat	 sb;
	char		*copy, *p;
	int		 error = 0;

	copy = xstrdup(dir);
	for (p = copy + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0755) == -1 && errno != EEXIST) {
			error = -errno;
			goto out;
		}
		*p = '/';
	}
	if (mkdir(copy, mode) == -1 && errno != EEXIST) {
		error = -errno;
		goto out;
	}
	if (stat(copy, &sb) == -1) {
		error = -errno;
		goto out;
	}
	if (!S_ISDIR(sb.st_mode))
		error = -ENOTDIR;
out:
	free(copy);
	return error;
}

int
netns_init(const char *owner_dir, char **cause)
{
	int	made_mount = 0, error;

	*cause = NULL;
	if (netns_root_fd != -1) {
		*cause = xasprintf("netns_init: called twice");
		return -EALREADY;
	}
	if (owner_dir == NULL || owner_dir[0] != '/') {
		*cause = xasprintf("owner directory \"%s\": not an absolute "
		    "path", owner_dir != NULL ? owner_dir : "");
		return VB_ECONFIG;
	}
	if ((netns_root_fd = open(NETNS_SELF, O_RDONLY|O_CLOEXEC)) == -1) {
		error = -errno;
		*cause = xasprintf("%s: %s", NETNS_SELF, strerror(-error));
		return error;
	}

	if (mkdir(NETNS_RUN_DIR, 0755) == -1 && errno != EEXIST) {
		error = -errno;
		*cause = xasprintf("mkdir %s: %s", NETNS_RUN_DIR,
		    strerror(-error));
		goto fail;
	}
	/*
	 * As iproute2: a shared mount point, so that unmounting a namespace
	 * in one mount namespace unmounts it everywhere and the namespace
	 * can be freed.  If /run/netns is not a mount point yet (EINVAL),
	 * bind it onto itself first.
	 */
	while (mount("", NETNS_RUN_DIR, "none", MS_SHARED|MS_REC,
	    NULL) == -1) {
		if (errno != EINVAL || made_mount) {
			error = -errno;
			*cause = xasprintf("mount --make-shared %s: %s",
			    NETNS_RUN_DIR, strerror(-error));
			goto fail;
		}
		if (mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none", MS_BIND|MS_REC,
		    NULL) == -1) {
			error = -errno;
			*cause = xasprintf("mount --bind %s %s: %s",
			    NETNS_RUN_DIR, NETNS_RUN_DIR, strerror(-error));
			goto fail;
		}
		made_mount = 1;
	}

	if ((error = netns_mkdirs(owner_dir, 0700)) != 0) {
		*cause = xasprintf("owner directory %s: %s", owner_dir,
		    strerror(-error));
		goto fail;
	}
	netns_owner_dir = xstrdup(owner_dir);
	log_debug("root namespace fd %d, owner directory %s", netns_root_fd,
	    owner_dir);
	return 0;

fail:
	close(netns_root_fd);
	netns_root_fd = -1;
	return error;
}

void
netns_shutdown(void)
{
	if (netns_root_fd != -1)
		close(netns_root_fd);
	netns_root_fd = -1;
	free(netns_owner_dir);
	netns_owner_dir = NULL;
}

/* Create the namespace as `ip netns add` does, and open it. */
static int
netns_ns_create(struct netns_net *net, char **cause)
{
	char	path[PATH_MAX];
	int	fd, error;

	netns_path(net->name, path, sizeof path);
	if ((fd = open(path, O_RDONLY|O_CREAT|O_EXCL|O_CLOEXEC, 0)) == -1) {
		error = -errno;
		*cause = xasprintf("network \"%s\": cannot create %s: %s",
		    net->name, path, strerror(-error));
		return error;
	}
	close(fd);
	net->created = 1;

	if (unshare(CLONE_NEWNET) == -1) {
		error = -errno;
		*cause = xasprintf("network \"%s\": cannot create a network "
		    "namespace: %s", net->name, strerror(-error));
		return error;
	}
	if (mount(NETNS_SELF, path, "none", MS_BIND, NULL) == -1) {
		error = -errno;
		netns_leave();
		*cause = xasprintf("network \"%s\": cannot bind-mount the "
		    "namespace on %s: %s", net->name, path, strerror(-error));
		return error;
	}
	netns_leave();
	net->mounted = 1;

	if ((net->nsfd = open(path, O_RDONLY|O_CLOEXEC)) == -1) {
		error = -errno;
		*cause = xasprintf("network \"%s\": cannot open %s: %s",
		    net->name, path, strerror(-error));
		return error;
	}
	return 0;
}

/* Find the NIC by MAC in the root namespace, move it in, rename it. */
static int
netns_attach_mac(struct netns_net *net, const struct netns_spec *spec,
    struct nl_sock *sk, char **cause)
{
	struct nl_sock		*rsk = NULL;
	struct rtnl_link	*link = NULL, *nslink = NULL;
	char			 m[32], names[128], marker[NETNS_MARKER_MAX];
	const char		*name;
	int			 error, count;

	netns_mac_fmt(spec->mac, m, sizeof m);
	if ((error = netns_nl_open(-1, &rsk)) != 0) {
		*cause = xasprintf("network \"%s\": netlink: %s", net->name,
		    strerror(-error));
		goto out;
	}
	error = netns_link_by_mac(rsk, spec->mac, &link, &count, names,
	    sizeof names);
	if (error != 0) {
		*cause = xasprintf("network \"%s\": mac %s: cannot list links: "
		    "%s", net->name, m, strerror(-error));
		goto out;
	}
	if (count == 0) {
		*cause = xasprintf("network \"%s\": mac %s: no such link in "
		    "the root namespace", net->name, m);
		error = VB_ENOTFOUND;
		goto out;
	}
	if (count > 1) {
		*cause = xasprintf("network \"%s\": mac %s: %d links have it "
		    "in the root namespace (%s); refusing to guess", net->name,
		    m, count, names);
		error = VB_ECONFIG;
		goto out;
	}
	if ((name = rtnl_link_get_name(link)) == NULL ||
	    str_copy(net->orig_ifname, name, sizeof net->orig_ifname) >=
	    sizeof net->orig_ifname) {
		*cause = xasprintf("network \"%s\": mac %s: link has no usable "
		    "name", net->name, m);
		error = -EINVAL;
		goto out;
	}
	if (rtnl_link_get_flags(link) & IFF_LOOPBACK) {
		*cause = xasprintf("network \"%s\": mac %s: link %s is a "
		    "loopback", net->name, m, name);
		error = VB_ECONFIG;
		goto out;
	}
	net->orig_mtu = rtnl_link_get_mtu(link);
	net->orig_up = (rtnl_link_get_flags(link) & IFF_UP) != 0;

	/* Record how to give it back before it moves. */
	snprintf(marker, sizeof marker, "mac=%s ifname=%s mtu=%u up=%d\n", m,
	    net->orig_ifname, net->orig_mtu, net->orig_up);
	if ((error = netns_marker_write(net->name, marker, cause)) != 0)
		goto out;

	net->link = NETNS_LINK_HAVE_MAC;
	if ((error = netns_link_set(rsk, link, net->nsfd, NULL, 0, 0)) < 0) {
		*cause = xasprintf("network \"%s\": mac %s (link %s): cannot "
		    "move into the namespace: %s", net->name, m,
		    net->orig_ifname, nl_geterror(error));
		error = netns_nlerr(error);
		goto out;
	}
	log_debug("network \"%s\": moved %s (%s) into the namespace",
	    net->name, net->orig_ifname, m);

	if ((error = netns_link_by_mac(sk, spec->mac, &nslink, &count, NULL,
	    0)) != 0 || nslink == NULL) {
		*cause = xasprintf("network \"%s\": mac %s: link not found in "
		    "the namespace after the move", net->name, m);
		error = error != 0 ? error : -ENODEV;
		goto out;
	}
	name = rtnl_link_get_name(nslink);
	if (spec->ifname[0] != '\0' && strcmp(name, spec->ifname) != 0) {
		error = netns_link_set(sk, nslink, -1, spec->ifname, 0, 0);
		if (error < 0) {
			*cause = xasprintf("network \"%s\": ifname %s: cannot "
			    "rename link %s: %s", net->name, spec->ifname,
			    name, nl_geterror(error));
			error = netns_nlerr(error);
			goto out;
		}
		name = spec->ifname;
	}
	str_copy(net->ifname, name, sizeof net->ifname);
	net->ifindex = rtnl_link_get_ifindex(nslink);
	error = 0;

out:
	if (nslink != NULL)
		rtnl_link_put(nslink);
	if (link != NULL)
		rtnl_link_put(link);
	if (rsk != NULL)
		nl_socket_free(rsk);
	return error;
}

/* Create the veth pair: ifname here, the peer (up) in peer_fd's ns. */
static int
netns_attach_veth(struct netns_net *net, const struct netns_spec *spec,
    struct nl_sock *sk, int peer_fd, char **cause)
{
	struct rtnl_link	*link, *peer, *l = NULL;
	struct nl_sock		*psk = NULL;
	const char		*where;
	int			 error;

	where = spec->veth_peer_netns[0] != '\0' ? spec->veth_peer_netns :
	    "the root namespace";
	str_copy(net->ifname, spec->ifname[0] != '\0' ? spec->ifname : "eth0",
	    sizeof net->ifname);

	if ((link = rtnl_link_veth_alloc()) == NULL) {
		*cause = xasprintf("network \"%s\": out of memory", net->name);
		return -ENOMEM;
	}
	rtnl_link_set_name(link, net->ifname);
	if (spec->mtu != 0)
		rtnl_link_set_mtu(link, spec->mtu);
	peer = rtnl_link_veth_get_peer(link);
	rtnl_link_set_name(peer, spec->veth_peer);
	rtnl_link_set_ns_fd(peer, peer_fd);
	if (spec->mtu != 0)
		rtnl_link_set_mtu(peer, spec->mtu);
	rtnl_link_put(peer);

	/*
	 * Sent on the namespace's own socket: the kernel checks the name
	 * of the new link where the request comes from, and "eth0" is
	 * likely taken in the root namespace.
	 */
	error = rtnl_link_add(sk, link, NLM_F_CREATE|NLM_F_EXCL);
	rtnl_link_put(link);
	if (error < 0) {
		*cause = xasprintf("network \"%s\": veth %s, veth_peer %s in "
		    "%s: cannot create: %s", net->name, net->ifname,
		    spec->veth_peer, where, nl_geterror(error));
		return netns_nlerr(error);
	}
	net->link = NETNS_LINK_HAVE_VETH;

	if ((error = rtnl_link_get_kernel(sk, 0, net->ifname, &l)) < 0) {
		*cause = xasprintf("network \"%s\": veth %s: not found after "
		    "creating it: %s", net->name, net->ifname,
		    nl_geterror(error));
		return netns_nlerr(error);
	}
	net->ifindex = rtnl_link_get_ifindex(l);
	rtnl_link_put(l);
	l = NULL;

	/*
	 * The peer goes up only now, from its own namespace: asking for
	 * IFF_UP in the create request fails (ENOTCONN), as the kernel
	 * opens the peer before the pair is joined.
	 */
	if ((error = netns_nl_open(peer_fd, &psk)) != 0) {
		*cause = xasprintf("network \"%s\": veth_peer %s in %s: "
		    "netlink: %s", net->name, spec->veth_peer, where,
		    strerror(-error));
		return error;
	}
	if ((error = rtnl_link_get_kernel(psk, 0, spec->veth_peer, &l)) < 0 ||
	    (error = netns_link_set(psk, l, -1, NULL, 0, 1)) < 0) {
		*cause = xasprintf("network \"%s\": veth_peer %s in %s: "
		    "cannot bring it up: %s", net->name, spec->veth_peer,
		    where, nl_geterror(error));
		error = netns_nlerr(error);
		goto out;
	}
	log_debug("network \"%s\": veth %s, peer %s in %s", net->name,
	    net->ifname, spec->veth_peer, where);
	error = 0;
out:
	if (l != NULL)
		rtnl_link_put(l);
	nl_socket_free(psk);
	return error;
}

/* Add one address; IPv6 without duplicate address detection. */
static int
netns_addr_add(struct nl_sock *sk, int ifindex, const struct netns_addr *a)
{
	struct rtnl_addr	*ra;
	struct nl_addr		*local;
	int			 error;

	if ((ra = rtnl_addr_alloc()) == NULL)
		return -NLE_NOMEM;
	local = nl_addr_build(a->family, a->addr, a->family == AF_INET ? 4 :
	    16);
	if (local == NULL) {
		rtnl_addr_put(ra);
		return -NLE_NOMEM;
	}
	nl_addr_set_prefixlen(local, a->prefixlen);
	rtnl_addr_set_ifindex(ra, ifindex);
	error = rtnl_addr_set_local(ra, local);
	nl_addr_put(local);
	if (error == 0) {
		rtnl_addr_set_prefixlen(ra, a->prefixlen);
		if (a->family == AF_INET6)
			rtnl_addr_set_flags(ra, IFA_F_NODAD);
		error = rtnl_addr_add(sk, ra, NLM_F_EXCL);
	}
	rtnl_addr_put(ra);
	return error;
}

/* Add a route to dst (NULL: default of family) via a next hop on ifindex. */
static int
netns_route_add(struct nl_sock *sk, int ifindex, int family,
    const struct netns_addr *dst, const struct netns_addr *via)
{
	static const uint8_t	 zero[16];
	struct rtnl_route	*r;
	struct rtnl_nexthop	*nh;
	struct nl_addr		*d = NULL, *g = NULL;
	int			 len = family == AF_INET ? 4 : 16, error;

	if ((r = rtnl_route_alloc()) == NULL)
		return -NLE_NOMEM;
	d = nl_addr_build(family, dst != NULL ? dst->addr : zero, len);
	g = nl_addr_build(family, via->addr, len);
	if (d == NULL || g == NULL) {
		error = -NLE_NOMEM;
		goto out;
	}
	nl_addr_set_prefixlen(d, dst != NULL ? dst->prefixlen : 0);
	rtnl_route_set_family(r, family);
	rtnl_route_set_table(r, RT_TABLE_MAIN);
	rtnl_route_set_protocol(r, RTPROT_STATIC);
	rtnl_route_set_scope(r, RT_SCOPE_UNIVERSE);
	if ((error = rtnl_route_set_type(r, RTN_UNICAST)) < 0 ||
	    (error = rtnl_route_set_dst(r, d)) < 0)
		goto out;
	if ((nh = rtnl_route_nh_alloc()) == NULL) {
		error = -NLE_NOMEM;
		goto out;
	}
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_nh_set_gateway(nh, g);
	rtnl_route_add_nexthop(r, nh);
	error = rtnl_route_add(sk, r, NLM_F_EXCL);
out:
	if (g != NULL)
		nl_addr_put(g);
	if (d != NULL)
		nl_addr_put(d);
	rtnl_route_put(r);
	return error;
}

/* lo and the link up, MTU, addresses, default routes, routes. */
static int
netns_configure(struct netns_net *net, const struct netns_spec *spec,
    struct nl_sock *sk, char **cause)
{
	struct rtnl_link		*lo = NULL, *link = NULL;
	const struct netns_route	*r;
	char				 b[INET6_ADDRSTRLEN + 8];
	char				 v[INET6_ADDRSTRLEN + 8];
	uint32_t			 i;
	int				 error;

	if ((error = rtnl_link_get_kernel(sk, 0, "lo", &lo)) < 0 ||
	    (error = netns_link_set(sk, lo, -1, NULL, 0, 1)) < 0) {
		*cause = xasprintf("network \"%s\": cannot bring lo up: %s",
		    net->name, nl_geterror(error));
		goto out;
	}
	if ((error = rtnl_link_get_kernel(sk, net->ifindex, NULL,
	    &link)) < 0) {
		*cause = xasprintf("network \"%s\": link %s is gone: %s",
		    net->name, net->ifname, nl_geterror(error));
		goto out;
	}
	if (spec->mtu != 0 && rtnl_link_get_mtu(link) != spec->mtu &&
	    (error = netns_link_set(sk, link, -1, NULL, spec->mtu, 0)) < 0) {
		*cause = xasprintf("network \"%s\": mtu %u: cannot set on %s: "
		    "%s", net->name, spec->mtu, net->ifname,
		    nl_geterror(error));
		goto out;
	}
	if ((error = netns_link_set(sk, link, -1, NULL, 0, 1)) < 0) {
		*cause = xasprintf("network \"%s\": cannot bring %s up: %s",
		    net->name, net->ifname, nl_geterror(error));
		goto out;
	}

	for (i = 0; i < spec->naddrs; i++) {
		if ((error = netns_addr_add(sk, net->ifindex,
		    &spec->addrs[i])) < 0) {
			*cause = xasprintf("network \"%s\": address %s: %s",
			    net->name, netns_addr_fmt(&spec->addrs[i], 1, b,
			    sizeof b), nl_geterror(error));
			goto out;
		}
	}
	if (spec->gateway4.family != 0 && (error = netns_route_add(sk,
	    net->ifindex, AF_INET, NULL, &spec->gateway4)) < 0) {
		*cause = xasprintf("network \"%s\": gateway %s: %s", net->name,
		    netns_addr_fmt(&spec->gateway4, 0, b, sizeof b),
		    nl_geterror(error));
		goto out;
	}
	if (spec->gateway6.family != 0 && (error = netns_route_add(sk,
	    net->ifindex, AF_INET6, NULL, &spec->gateway6)) < 0) {
		*cause = xasprintf("network \"%s\": gateway6 %s: %s",
		    net->name, netns_addr_fmt(&spec->gateway6, 0, b, sizeof b),
		    nl_geterror(error));
		goto out;
	}
	for (i = 0; i < spec->nroutes; i++) {
		r = &spec->routes[i];
		if ((error = netns_route_add(sk, net->ifindex, r->dst.family,
		    &r->dst, &r->via)) < 0) {
			*cause = xasprintf("network \"%s\": route %s via %s: "
			    "%s", net->name, netns_addr_fmt(&r->dst, 1, b,
			    sizeof b), netns_addr_fmt(&r->via, 0, v, sizeof v),
			    nl_geterror(error));
			goto out;
		}
	}
	error = 0;

out:
	if (link != NULL)
		rtnl_link_put(link);
	if (lo != NULL)
		rtnl_link_put(lo);
	return error < 0 ? netns_nlerr(error) : 0;
}

int
netns_attach(const struct netns_spec *spec, struct netns_net **out,
    char **cause)
{
	struct netns_net	*net = NULL;
	struct nl_sock		*sk = NULL;
	char			 path[PATH_MAX], marker[PATH_MAX];
	char			 peer_path[PATH_MAX];
	int			 peer_fd = -1, error, exists;

	*out = NULL;
	*cause = NULL;
	if (netns_root_fd == -1) {
		*cause = xasprintf("netns_init() was not called");
		return -EBADF;
	}
	if ((error = netns_spec_check(spec, cause)) != 0)
		return error;
	if (netns_find(spec->name) != NULL) {
		*cause = xasprintf("network \"%s\": already attached",
		    spec->name);
		return VB_EEXIST;
	}

	netns_path(spec->name, path, sizeof path);
	netns_marker_path(spec->name, marker, sizeof marker);
	if ((exists = netns_exists(path)) < 0) {
		*cause = xasprintf("network \"%s\": %s: %s", spec->name, path,
		    strerror(-exists));
		return exists;
	}
	if (exists) {
		if ((error = netns_exists(marker)) <= 0) {
			*cause = xasprintf("network \"%s\": namespace %s "
			    "exists and is not owned by vnf-broker; refusing "
			    "to touch it", spec->name, path);
			return error < 0 ? error : VB_ENOTOWNED;
		}
		log_warn("network \"%s\": removing a stale namespace left by "
		    "an earlier run", spec->name);
		if ((error = netns_remove_stale(spec->name, cause)) != 0)
			return error;
	}

	/* The peer's namespace is someone else's: open it before we start. */
	if (spec->kind == NETNS_LINK_VETH) {
		if (spec->veth_peer_netns[0] == '\0')
			peer_fd = dup(netns_root_fd);
		else {
			netns_path(spec->veth_peer_netns, peer_path,
			    sizeof peer_path);
			peer_fd = open(peer_path, O_RDONLY|O_CLOEXEC);
		}
		if (peer_fd == -1) {
			error = -errno;
			*cause = xasprintf("network \"%s\": veth_peer_netns "
			    "\"%s\": %s", spec->name, spec->veth_peer_netns,
			    strerror(-error));
			return error;
		}
	}

	net = xcalloc(1, sizeof *net);
	str_copy(net->name, spec->name, sizeof net->name);
	net->kind = spec->kind;
	net->nsfd = -1;
	memcpy(net->mac, spec->mac, sizeof net->mac);

	/* Marker first: a crash from here on leaves something ours. */
	if ((error = netns_marker_write(net->name, "", cause)) != 0)
		goto fail;
	net->marked = 1;
	if ((error = netns_ns_create(net, cause)) != 0)
		goto fail;
	if ((error = netns_nl_open(net->nsfd, &sk)) != 0) {
		*cause = xasprintf("network \"%s\": cannot open netlink in the "
		    "namespace: %s", net->name, strerror(-error));
		goto fail;
	}

	if (spec->kind == NETNS_LINK_MAC)
		error = netns_attach_mac(net, spec, sk, cause);
	else
		error = netns_attach_veth(net, spec, sk, peer_fd, cause);
	if (error != 0)
		goto fail;
	if ((error = netns_configure(net, spec, sk, cause)) != 0)
		goto fail;

	nl_socket_free(sk);
	if (peer_fd != -1)
		close(peer_fd);
	TAILQ_INSERT_TAIL(&netns_nets, net, entry);
	log_info("network \"%s\": attached, link %s, %u addresses, %u routes",
	    net->name, net->ifname, spec->naddrs, spec->nroutes);
	*out = net;
	return 0;

fail:
	if (sk != NULL)
		nl_socket_free(sk);
	if (peer_fd != -1)
		close(peer_fd);
	if (netns_teardown(net, cause) != 0)
		log_warn("network \"%s\": rollback incomplete", net->name);
	log_debug("network \"%s\": attach failed: %s", net->name,
	    *cause != NULL ? *cause : "?");
	free(net);
	return error;
}

int
netns_detach(struct netns_net *net, char **cause)
{
	int	error;

	*cause = NULL;
	if (net == NULL)
		return 0;
	TAILQ_REMOVE(&netns_nets, net, entry);
	error = netns_teardown(net, cause);
	if (error == 0 && *cause != NULL) {
		/* Only a note (a NIC back under another name): log it. */
		log_warn("%s", *cause);
		free(*cause);
		*cause = NULL;
	}
	if (error == 0)
		log_info("network \"%s\": detached", net->name);
	else
		log_warn("network \"%s\": detached, with errors: %s",
		    net->name, *cause);
	free(net);
	return error;
}

int
netns_remove_stale(const char *name, char **cause)
{
	struct nl_sock		*sk = NULL;
	struct nl_cache		*cache = NULL;
	struct nl_object	*obj;
	struct rtnl_link	*link;
	const char		*type;
	char			 path[PATH_MAX], marker[PATH_MAX];
	char			 orig[IFNAMSIZ];
	uint8_t			 mac[6];
	unsigned int		 mtu = 0;
	int			 fd = -1, up = 0, have_mac, error, e;

	*cause = NULL;
	if (!netns_name_valid(name)) {
		*cause = xasprintf("network name is invalid");
		return VB_ECONFIG;
	}
	if (netns_root_fd == -1) {
		*cause = xasprintf("netns_init() was not called");
		return -EBADF;
	}
	if (netns_find(name) != NULL) {
		*cause = xasprintf("network \"%s\": attached and live; detach "
		    "it instead", name);
		return VB_EEXIST;
	}
	netns_path(name, path, sizeof path);
	netns_marker_path(name, marker, sizeof marker);

	if ((e = netns_exists(path)) == 0) {
		if (unlink(marker) == -1 && errno != ENOENT) {
			error = -errno;
			*cause = xasprintf("network \"%s\": cannot remove "
			    "marker %s: %s", name, marker, strerror(-error));
			return error;
		}
		return 0;
	}
	if (e < 0 || (e = netns_exists(marker)) <= 0) {
		*cause = xasprintf("network \"%s\": namespace %s exists and is "
		    "not owned by vnf-broker; refusing to touch it", name,
		    path);
		return e < 0 ? e : VB_ENOTOWNED;
	}
	have_mac = netns_marker_read(name, mac, orig, &mtu, &up);

	/*
	 * Take our links out first, so their names are free at once: the
	 * kernel destroys a namespace's links later, from a work queue.
	 * A file that was never mounted is not a namespace: setns fails.
	 */
	error = 0;
	if ((fd = open(path, O_RDONLY|O_CLOEXEC)) != -1 &&
	    netns_nl_open(fd, &sk) == 0 &&
	    rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache) == 0) {
		for (obj = nl_cache_get_first(cache); obj != NULL;
		    obj = nl_cache_get_next(obj)) {
			link = (struct rtnl_link *)obj;
			if (rtnl_link_get_flags(link) & IFF_LOOPBACK)
				continue;
			type = rtnl_link_get_type(link);
			if (have_mac && netns_link_has_mac(link, mac))
				e = netns_mac_return(name, sk, mac, orig, mtu,
				    up, cause);
			else if (type != NULL && strcmp(type, "veth") == 0) {
				e = netns_link_delete(sk,
				    rtnl_link_get_ifindex(link), NULL);
				if (e != 0)
					netns_cause_add(cause, "network "
					    "\"%s\": cannot delete veth %s: "
					    "%s", name,
					    rtnl_link_get_name(link),
					    strerror(-e));
			} else
				continue;
			if (e != 0 && error == 0)
				error = e;
		}
	}
	if (cache != NULL)
		nl_cache_free(cache);
	if (sk != NULL)
		nl_socket_free(sk);
	if (fd != -1)
		close(fd);

	if (umount2(path, MNT_DETACH) == -1 && errno != EINVAL &&
	    errno != ENOENT) {
		e = -errno;
		netns_cause_add(cause, "network \"%s\": cannot unmount %s: %s",
		    name, path, strerror(-e));
		if (error == 0)
			error = e;
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		e = -errno;
		netns_cause_add(cause, "network \"%s\": cannot remove %s: %s",
		    name, path, strerror(-e));
		return e;	/* keep the marker: still ours */
	}
	if (unlink(marker) == -1 && errno != ENOENT) {
		e = -errno;
		netns_cause_add(cause, "network \"%s\": cannot remove marker "
		    "%s: %s", name, marker, strerror(-e));
		if (error == 0)
			error = e;
	}
	if (error == 0 && *cause != NULL) {
		log_warn("%s", *cause);
		free(*cause);
		*cause = NULL;
	}
	log_info("network \"%s\": removed stale namespace", name);
	return error;
}

const char *
netns_net_name(const struct netns_net *net)
{
	return net->name;
}

const char *
netns_net_ifname(const struct netns_net *net)
{
	return net->ifname;
}

int
netns_net_ifindex(const struct netns_net *net)
{
	return net->ifindex;
}

int
netns_net_socket(const struct netns_net *net, int domain, int type,
    int protocol)
{
	int	s, error;

	if (netns_root_fd == -1 || net == NULL || net->nsfd == -1)
		return -EBADF;
	if ((error = netns_enter(net->nsfd)) != 0)
		return error;
	s = socket(domain, type, protocol);
	error = errno;
	netns_leave();
	if (s == -1)
		return -error;
	return s;
}

int
netns_list_owned(char ***names)
{
	DIR		 *dir;
	struct dirent	 *de;
	char		**list = NULL, marker[PATH_MAX];
	int		  n = 0;

	*names = NULL;
	if (netns_owner_dir == NULL)
		return -EBADF;
	if ((dir = opendir(NETNS_RUN_DIR)) == NULL)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(dir)) != NULL) {
		if (!netns_name_valid(de->d_name))
			continue;
		netns_marker_path(de->d_name, marker, sizeof marker);
		if (netns_exists(marker) != 1)
			continue;
		list = xreallocarray(list, n + 1, sizeof *list);
		list[n++] = xstrdup(de->d_name);
	}
	closedir(dir);
	*names = list;
	return n;
}

void
netns_names_free(char **names, int n)
{
	int	i;

	if (names == NULL)
		return;
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/*
 * netns integration test: real namespaces, real links, real sockets.
 *
 * Needs root (exit 77 otherwise) and ip(8), which the test itself uses to
 * build its lab (the module under test never runs a program).  Everything
 * it makes is named vbn* and removed at exit, and again at start in case
 * an earlier run was killed.  Addresses are in 198.18.0.0/15 only.
 *
 * The lab: three "VNF" namespaces vbn-lab-{a,b,c}, each with a TCP server
 * at 198.18.1.10 answering its own name.  Networks vbn-a and vbn-b are
 * veth networks whose peers land in lab a and lab b; vbn-c takes, by MAC,
 * one end of a veth pair whose other end is in lab c.  All three networks
 * use 198.18.1.0/24.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "netns/netns.h"

#define PORT		7007
#define SERVER_ADDR	"198.18.1.10"

static int	 npass, nfail;
static char	 base_dir[] = "/tmp/vbn-netns-test.XXXXXX";
static int	 have_base;
static char	 owner_dir[256];
static pid_t	 servers[8];
static int	 nservers;

static const char *const test_netns[] = {
	"vbn-a", "vbn-b", "vbn-c", "vbn-bad", "vbn-gw", "vbn-pfx",
	"vbn-foreign", "vbn-half", "vbn-half2", "vbn-half3", "vbn-stale",
	"vbn-stale-m", "vbn-lab-a", "vbn-lab-b", "vbn-lab-c", NULL
};
static const char *const test_links[] = {
	"vbnm0", "vbnn0", "vbnps", "vbnpa", "vbnpb", "vbnph", NULL
};

static void	check(int, int, const char *, const char *, ...)
		    __attribute__((format(printf, 4, 5)));
static int	sh(const char *, ...) __attribute__((format(printf, 1, 2)));
static int	sh_has(const char *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

#define CHECK(cond, ...)	check((cond) != 0, __LINE__, #cond, __VA_ARGS__)

static void
check(int ok, int line, const char *expr, const char *fmt, ...)
{
	va_list	ap;

	printf("%s %d - ", ok ? "ok" : "not ok", npass + nfail + 1);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!ok)
		printf("  (line %d: %s)", line, expr);
	printf("\n");
	fflush(stdout);
	if (ok)
		npass++;
	else
		nfail++;
}

/* Run a shell command quietly; its exit status. */
static int
sh(const char *fmt, ...)
{
	va_list	 ap;
	char	 cmd[1024];
	int	 st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	strncat(cmd, " >/dev/null 2>&1", sizeof cmd - strlen(cmd) - 1);
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Does the command succeed and its output contain needle? */
static int
sh_has(const char *needle, const char *fmt, ...)
{
	va_list	 ap;
	char	 cmd[1024], out[16384];
	size_t	 n = 0, r;
	FILE	*f;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	strncat(cmd, " 2>/dev/null", sizeof cmd - strlen(cmd) - 1);
	if ((f = popen(cmd, "r")) == NULL)
		return 0;
	while (n < sizeof out - 1 &&
	    (r = fread(out + n, 1, sizeof out - 1 - n, f)) > 0)
		n += r;
	out[n] = '\0';
	if (pclose(f) != 0)
		return 0;
	return strstr(out, needle) != NULL;
}

static int
path_exists(const char *path)
{
	struct stat	sb;

	return lstat(path, &sb) == 0;
}

/* Is path a mount point in our mount namespace? */
static int
mounted(const char *path)
{
	char	 line[4096], *p, *mp;
	FILE	*f;
	int	 i, found = 0;

	if ((f = fopen("/proc/self/mountinfo", "r")) == NULL)
		return -1;
	while (!found && fgets(line, sizeof line, f) != NULL) {
		/* Field 5 is the mount point. */
		for (p = line, i = 0; i < 4 && p != NULL; i++) {
			if ((p = strchr(p, ' ')) != NULL)
				p++;
		}
		if (p == NULL || (mp = strsep(&p, " ")) == NULL)
			continue;
		found = strcmp(mp, path) == 0;
	}
	fclose(f);
	return found;
}

/* Does `ip netns list` show name? */
static int
ip_netns_listed(const char *name)
{
	char	 line[256];
	size_t	 len = strlen(name);
	FILE	*f;
	int	 found = 0;

	if ((f = popen("ip netns list 2>/dev/null", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, name, len) == 0 &&
		    (line[len] == ' ' || line[len] == '\n' ||
		    line[len] == '\0'))
			found = 1;
	}
	pclose(f);
	return found;
}

static int
marker_exists(const char *name)
{
	char	path[512];

	snprintf(path, sizeof path, "%s/%s", owner_dir, name);
	return path_exists(path);
}

/* Nothing of network name remains: file, mount, marker, listing. */
static int
gone(const char *name)
{
	char	path[256];

	snprintf(path, sizeof path, "%s/%s", NETNS_RUN_DIR, name);
	return (!path_exists(path) && mounted(path) == 0 &&
	    !marker_exists(name) && ip_netns_listed(name) == 0);
}

static int
sysfs_read(const char *link, const char *file, char *buf, size_t len)
{
	char	path[256];
	ssize_t	n;
	int	fd;

	snprintf(path, sizeof path, "/sys/class/net/%s/%s", link, file);
	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int
link_mac(const char *link, uint8_t mac[6])
{
	char	buf[64];

	if (sysfs_read(link, "address", buf, sizeof buf) != 0)
		return -1;
	return netns_mac_parse(buf, mac);
}

static long
link_num(const char *link, const char *file)
{
	char	buf[64];

	if (sysfs_read(link, file, buf, sizeof buf) != 0)
		return -1;
	return strtol(buf, NULL, 0);
}

static ino_t
self_netns(void)
{
	struct stat	sb;

	if (stat("/proc/thread-self/ns/net", &sb) == -1)
		return 0;
	return sb.st_ino;
}

static void
spec_init(struct netns_spec *s, const char *name, uint32_t kind,
    const char *addr)
{
	memset(s, 0, sizeof *s);
	snprintf(s->name, sizeof s->name, "%s", name);
	s->kind = kind;
	if (addr != NULL && netns_addr_parse(addr, 1, &s->addrs[s->naddrs++])
	    != 0) {
		fprintf(stderr, "bad test address %s\n", addr);
		exit(99);
	}
}

static void
spec_veth(struct netns_spec *s, const char *name, const char *peer,
    const char *peerns, const char *addr)
{
	spec_init(s, name, NETNS_LINK_VETH, addr);
	snprintf(s->veth_peer, sizeof s->veth_peer, "%s", peer);
	snprintf(s->veth_peer_netns, sizeof s->veth_peer_netns, "%s",
	    peerns != NULL ? peerns : "");
}

static void
spec_route(struct netns_spec *s, const char *dst, const char *via)
{
	struct netns_route	*r = &s->routes[s->nroutes++];

	if (netns_addr_parse(dst, 1, &r->dst) != 0 ||
	    netns_addr_parse(via, 0, &r->via) != 0) {
		fprintf(stderr, "bad test route %s via %s\n", dst, via);
		exit(99);
	}
}

/* A TCP server in lab namespace ns at addr:PORT answering ns's name. */
static int
server_start(const char *ns, const char *addr)
{
	struct sockaddr_in	 sin;
	char			 path[256], c;
	pid_t			 pid;
	int			 p[2], fd, s, a, one = 1;

	if (pipe(p) == -1)
		return -1;
	fflush(stdout);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		close(p[0]);
		snprintf(path, sizeof path, "%s/%s", NETNS_RUN_DIR, ns);
		if ((fd = open(path, O_RDONLY)) == -1 ||
		    setns(fd, CLONE_NEWNET) == -1)
			_exit(1);
		memset(&sin, 0, sizeof sin);
		sin.sin_family = AF_INET;
		sin.sin_port = htons(PORT);
		inet_pton(AF_INET, addr, &sin.sin_addr);
		if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
		    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof one) == -1 ||
		    bind(s, (struct sockaddr *)&sin, sizeof sin) == -1 ||
		    listen(s, 8) == -1)
			_exit(1);
		if (write(p[1], "k", 1) != 1)
			_exit(1);
		close(p[1]);
		for (;;) {
			if ((a = accept(s, NULL, NULL)) == -1)
				continue;
			if (write(a, ns, strlen(ns)) == -1)
				_exit(1);
			close(a);
		}
	}
	close(p[1]);
	servers[nservers++] = pid;
	if (read(p[0], &c, 1) != 1) {
		close(p[0]);
		return -1;
	}
	close(p[0]);
	return 0;
}

/* Connect to addr:PORT from inside net; what the server says. */
static int
fetch(struct netns_net *net, const char *addr, char *buf, size_t len)
{
	struct sockaddr_in	sin;
	struct timeval		tv = { 5, 0 };
	size_t			n = 0;
	ssize_t			r;
	int			s;

	buf[0] = '\0';
	if ((s = netns_net_socket(net, AF_INET, SOCK_STREAM|SOCK_CLOEXEC,
	    0)) < 0)
		return s;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(PORT);
	inet_pton(AF_INET, addr, &sin.sin_addr);
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(s, (struct sockaddr *)&sin, sizeof sin) == -1) {
		r = -errno;
		close(s);
		return (int)r;
	}
	while (n < len - 1 && (r = read(s, buf + n, len - 1 - n)) > 0)
		n += r;
	buf[n] = '\0';
	close(s);
	return 0;
}

static void
cleanup(void)
{
	int	i;

	for (i = 0; i < nservers; i++) {
		if (servers[i] > 0) {
			kill(servers[i], SIGTERM);
			waitpid(servers[i], NULL, 0);
			servers[i] = 0;
		}
	}
	for (i = 0; test_links[i] != NULL; i++) {
		if (if_nametoindex(test_links[i]) != 0)
			sh("ip link del %s", test_links[i]);
	}
	for (i = 0; test_netns[i] != NULL; i++) {
		char	path[256];

		snprintf(path, sizeof path, "%s/%s", NETNS_RUN_DIR,
		    test_netns[i]);
		if (path_exists(path))
			sh("ip netns del %s", test_netns[i]);
	}
	if (have_base) {
		sh("rm -rf %s", base_dir);
		have_base = 0;
	}
}

static int
attach_err(const struct netns_spec *spec, const char *want_cause,
    int *rc)
{
	struct netns_net	*net;
	char			*cause = NULL;
	int			 ok;

	*rc = netns_attach(spec, &net, &cause);
	if (*rc == 0) {
		netns_detach(net, &cause);
		free(cause);
		return 0;
	}
	printf("# %s: %s\n", spec->name, cause != NULL ? cause : "(no cause)");
	ok = cause != NULL && strstr(cause, want_cause) != NULL &&
	    strstr(cause, spec->name) != NULL;
	free(cause);
	return ok;
}

/* Attach in a child that then dies without detaching. */
static int
attach_and_crash(const struct netns_spec *spec)
{
	struct netns_net	*net;
	char			*cause = NULL;
	pid_t			 pid;
	int			 st;

	fflush(stdout);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		nservers = 0;
		if (netns_attach(spec, &net, &cause) != 0) {
			fprintf(stderr, "child attach: %s\n", cause);
			_exit(1);
		}
		_exit(0);
	}
	if (waitpid(pid, &st, 0) == -1)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int
main(void)
{
	struct netns_spec	 spec, sa, sb, sc;
	struct netns_net	*na = NULL, *nb = NULL, *nc = NULL, *n;
	struct stat		 st;
	char			*cause = NULL, buf[256], path[256], **names;
	uint8_t			 mac_m[6], mac_n[6], mac[6];
	long			 mtu_n;
	ino_t			 root_ino;
	int			 rc, i, count, s, ok;
	int			 a = 0, b = 0, c = 0, other = 0;

	if (geteuid() != 0) {
		printf("SKIP: netns-test needs root (namespaces, links)\n");
		return 77;
	}
	if (sh("ip -V") != 0) {
		printf("SKIP: netns-test needs ip(8) to build its lab\n");
		return 77;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	alarm(300);
	log_init("netns-test", getenv("VBN_DEBUG") != NULL ? LOG_LEVEL_DEBUG :
	    LOG_LEVEL_ERROR, 0);

	cleanup();		/* leftovers of a killed run */
	atexit(cleanup);
	if (mkdtemp(base_dir) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	have_base = 1;
	snprintf(owner_dir, sizeof owner_dir, "%s/owner/netns", base_dir);
	root_ino = self_netns();

	/* Init. */
	rc = netns_init(owner_dir, &cause);
	if (rc == -EPERM) {
		printf("SKIP: netns_init: %s\n", cause);
		free(cause);
		return 77;
	}
	CHECK(rc == 0, "netns_init: %s", cause != NULL ? cause : "ok");
	free(cause);
	cause = NULL;
	CHECK(stat(owner_dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_mode & 0777) == 0700, "owner directory made, mode 0700");
	CHECK(mounted(NETNS_RUN_DIR) == 1, "%s is a mount point",
	    NETNS_RUN_DIR);
	CHECK(sh_has("shared:", "grep ' %s ' /proc/self/mountinfo",
	    NETNS_RUN_DIR), "%s is a shared mount", NETNS_RUN_DIR);

	/* The lab. */
	rc = 0;
	rc |= sh("ip netns add vbn-lab-a");
	rc |= sh("ip netns add vbn-lab-b");
	rc |= sh("ip netns add vbn-lab-c");
	rc |= sh("ip link add vbnm0 type veth peer name vbnm1");
	rc |= sh("ip link set vbnm1 netns vbn-lab-c");
	rc |= sh("ip -n vbn-lab-c addr add %s/24 dev vbnm1", SERVER_ADDR);
	rc |= sh("ip -n vbn-lab-c link set vbnm1 up");
	rc |= sh("ip link add vbnn0 mtu 1500 type veth peer name vbnn1");
	rc |= sh("ip link set vbnn0 up");
	CHECK(rc == 0, "lab namespaces and links built with ip(8)");
	CHECK(link_mac("vbnm0", mac_m) == 0 && link_mac("vbnn0", mac_n) == 0,
	    "test NICs' MACs read");

	/* Network A: veth, peer into lab a, gateway, route, MTU. */
	spec_veth(&sa, "vbn-a", "vbnpa", "vbn-lab-a", "198.18.1.2/24");
	netns_addr_parse("198.18.1.1", 0, &sa.gateway4);
	spec_route(&sa, "198.18.100.0/24", "198.18.1.254");
	sa.mtu = 1400;
	rc = netns_attach(&sa, &na, &cause);
	CHECK(rc == 0, "attach vbn-a (veth): %s", cause != NULL ? cause : "ok");
	free(cause);
	cause = NULL;
	if (rc != 0)
		goto out;
	CHECK(strcmp(netns_net_ifname(na), "eth0") == 0 &&
	    netns_net_ifindex(na) > 0 &&
	    strcmp(netns_net_name(na), "vbn-a") == 0,
	    "vbn-a: link eth0 (default name), index %d",
	    netns_net_ifindex(na));
	CHECK(sh_has("UP", "ip -n vbn-lab-a link show vbnpa"),
	    "vbn-a: veth peer vbnpa is up in vbn-lab-a");
	CHECK(sh_has("198.18.1.2/24", "ip -n vbn-a addr show dev eth0"),
	    "vbn-a: address 198.18.1.2/24");
	CHECK(sh_has("mtu 1400", "ip -n vbn-a link show eth0") &&
	    sh_has("mtu 1400", "ip -n vbn-lab-a link show vbnpa"),
	    "vbn-a: mtu 1400 both ends");
	CHECK(sh_has("UP", "ip -n vbn-a link show lo"), "vbn-a: lo is up");
	CHECK(sh_has("default via 198.18.1.1 dev eth0",
	    "ip -n vbn-a route show"), "vbn-a: default via 198.18.1.1");
	CHECK(sh_has("198.18.100.0/24 via 198.18.1.254 dev eth0",
	    "ip -n vbn-a route show"), "vbn-a: route 198.18.100.0/24");
	CHECK(marker_exists("vbn-a"), "vbn-a: marker written");

	/* Network B: the same CIDR, peer into lab b, named eth1. */
	spec_veth(&sb, "vbn-b", "vbnpb", "vbn-lab-b", "198.18.1.2/24");
	snprintf(sb.ifname, sizeof sb.ifname, "eth1");
	rc = netns_attach(&sb, &nb, &cause);
	CHECK(rc == 0, "attach vbn-b (veth, same CIDR): %s",
	    cause != NULL ? cause : "ok");
	free(cause);
	cause = NULL;
	if (rc != 0)
		goto out;
	CHECK(strcmp(netns_net_ifname(nb), "eth1") == 0, "vbn-b: link eth1");

	/* Network C: the NIC vbnm0 by MAC, renamed eth0, MTU 1450. */
	spec_init(&sc, "vbn-c", NETNS_LINK_MAC, "198.18.1.2/24");
	memcpy(sc.mac, mac_m, 6);
	snprintf(sc.ifname, sizeof sc.ifname, "eth0");
	sc.mtu = 1450;
	rc = netns_attach(&sc, &nc, &cause);
	CHECK(rc == 0, "attach vbn-c (mac %02x:..:%02x, same CIDR): %s",
	    mac_m[0], mac_m[5], cause != NULL ? cause : "ok");
	free(cause);
	cause = NULL;
	if (rc != 0)
		goto out;
	CHECK(if_nametoindex("vbnm0") == 0, "vbn-c: vbnm0 left the root ns");
	CHECK(sh_has("mtu 1450", "ip -n vbn-c link show eth0") &&
	    sh_has("state UP", "ip -n vbn-c link show eth0"),
	    "vbn-c: NIC is eth0 in vbn-c, up, mtu 1450");
	CHECK(sh_has("ifname=vbnm0 mtu=1500", "cat %s/vbn-c", owner_dir),
	    "vbn-c: marker records vbnm0");

	/* Servers, and one socket through each network. */
	rc = 0;
	rc |= sh("ip -n vbn-lab-a addr add %s/24 dev vbnpa", SERVER_ADDR);
	rc |= sh("ip -n vbn-lab-b addr add %s/24 dev vbnpb", SERVER_ADDR);
	rc |= server_start("vbn-lab-a", SERVER_ADDR);
	rc |= server_start("vbn-lab-b", SERVER_ADDR);
	rc |= server_start("vbn-lab-c", SERVER_ADDR);
	CHECK(rc == 0, "servers at %s:%d in the three labs", SERVER_ADDR,
	    PORT);
	rc = fetch(na, SERVER_ADDR, buf, sizeof buf);
	CHECK(rc == 0 && strcmp(buf, "vbn-lab-a") == 0,
	    "via vbn-a, %s answers \"%s\"", SERVER_ADDR, buf);
	rc = fetch(nb, SERVER_ADDR, buf, sizeof buf);
	CHECK(rc == 0 && strcmp(buf, "vbn-lab-b") == 0,
	    "via vbn-b, %s answers \"%s\"", SERVER_ADDR, buf);
	rc = fetch(nc, SERVER_ADDR, buf, sizeof buf);
	CHECK(rc == 0 && strcmp(buf, "vbn-lab-c") == 0,
	    "via vbn-c, %s answers \"%s\"", SERVER_ADDR, buf);
	s = netns_net_socket(na, 4242, SOCK_STREAM, 0);
	CHECK(s == -EAFNOSUPPORT && self_netns() == root_ino,
	    "netns_net_socket keeps errno (%d) and returns to the root ns", s);
	CHECK(self_netns() == root_ino, "still in the root namespace");

	/* Listings. */
	CHECK(ip_netns_listed("vbn-a") == 1 && ip_netns_listed("vbn-b") == 1 &&
	    ip_netns_listed("vbn-c") == 1, "ip netns list shows the networks");
	count = netns_list_owned(&names);
	for (i = 0; i < count; i++) {
		if (strcmp(names[i], "vbn-a") == 0)
			a++;
		else if (strcmp(names[i], "vbn-b") == 0)
			b++;
		else if (strcmp(names[i], "vbn-c") == 0)
			c++;
		else
			other++;
	}
	netns_names_free(names, count);
	CHECK(count == 3 && a == 1 && b == 1 && c == 1 && other == 0,
	    "netns_list_owned: %d names, the three networks only", count);

	/* Bad input: refused, nothing left. */
	spec_init(&spec, "vbn-bad", NETNS_LINK_MAC, "198.18.1.2/24");
	netns_mac_parse("02:00:5e:fe:ff:01", spec.mac);
	ok = attach_err(&spec, "no such link in the root namespace", &rc);
	CHECK(ok && rc == VB_ENOTFOUND && gone("vbn-bad"),
	    "unknown MAC refused, nothing left (rc %d)", rc);

	spec_veth(&spec, "vbn-gw", "vbnph", NULL, "198.18.1.2/24");
	netns_addr_parse("198.18.2.1", 0, &spec.gateway4);
	CHECK(attach_err(&spec, "gateway 198.18.2.1 is outside every address",
	    &rc) && rc == VB_ECONFIG && gone("vbn-gw") &&
	    if_nametoindex("vbnph") == 0,
	    "gateway outside the CIDR refused, nothing left");

	CHECK(netns_addr_parse("198.18.1.2/33", 1, &spec.addrs[0]) == -1,
	    "prefix /33 does not parse");
	spec_veth(&spec, "vbn-pfx", "vbnph", NULL, "198.18.1.2/24");
	spec.addrs[0].prefixlen = 33;
	CHECK(attach_err(&spec, "prefix length 33", &rc) &&
	    rc == VB_ECONFIG && gone("vbn-pfx"),
	    "invalid prefix refused, nothing left");

	rc = sh("ip netns add vbn-foreign") |
	    sh("ip -n vbn-foreign link add vbnd0 type veth peer name vbnd1");
	CHECK(rc == 0, "foreign namespace vbn-foreign made with ip(8)");
	spec_veth(&spec, "vbn-foreign", "vbnph", NULL, "198.18.1.2/24");
	CHECK(attach_err(&spec, "not owned by vnf-broker; refusing to touch",
	    &rc) && rc == VB_ENOTOWNED, "foreign namespace refused");
	rc = netns_remove_stale("vbn-foreign", &cause);
	CHECK(rc == VB_ENOTOWNED, "remove_stale refuses it too: %s", cause);
	free(cause);
	cause = NULL;
	snprintf(path, sizeof path, "%s/vbn-foreign", NETNS_RUN_DIR);
	CHECK(path_exists(path) && mounted(path) == 1 &&
	    ip_netns_listed("vbn-foreign") == 1 &&
	    !marker_exists("vbn-foreign") &&
	    sh("ip -n vbn-foreign link show vbnd0") == 0 &&
	    if_nametoindex("vbnph") == 0,
	    "foreign namespace left intact");

	/* Half-way failures. */
	spec_veth(&spec, "vbn-half", "vbnpa", "vbn-lab-a", "198.18.1.2/24");
	CHECK(attach_err(&spec, "cannot create", &rc) && rc == -EEXIST &&
	    gone("vbn-half"),
	    "veth peer name taken in its namespace: refused after the "
	    "namespace was made, nothing left");
	rc = fetch(na, SERVER_ADDR, buf, sizeof buf);
	CHECK(rc == 0 && strcmp(buf, "vbn-lab-a") == 0,
	    "vbn-a still works after that");

	spec_init(&spec, "vbn-half2", NETNS_LINK_MAC, "198.18.1.2/24");
	memcpy(spec.mac, mac_n, 6);
	snprintf(spec.ifname, sizeof spec.ifname, "eth0");
	spec.mtu = 1300;
	netns_addr_parse("198.18.1.1", 0, &spec.gateway4);
	spec_route(&spec, "198.18.9.0/24", "198.18.1.255");
	ok = attach_err(&spec, "route 198.18.9.0/24 via 198.18.1.255", &rc);
	CHECK(ok && rc < 0 && gone("vbn-half2"),
	    "route via the broadcast address: refused by the kernel after the "
	    "NIC moved, nothing left (rc %d)", rc);
	mtu_n = link_num("vbnn0", "mtu");
	CHECK(link_mac("vbnn0", mac) == 0 && memcmp(mac, mac_n, 6) == 0 &&
	    mtu_n == 1500 && (link_num("vbnn0", "flags") & IFF_UP),
	    "vbnn0 back in the root ns: name, mtu %ld, up", mtu_n);

	spec_veth(&spec, "vbn-half3", "vbnph", "vbn-nosuch", "198.18.1.2/24");
	CHECK(attach_err(&spec, "veth_peer_netns \"vbn-nosuch\"", &rc) &&
	    rc == -ENOENT && gone("vbn-half3") && if_nametoindex("vbnph") == 0,
	    "missing peer namespace refused, nothing left");

	CHECK(attach_err(&sa, "already attached", &rc) && rc == VB_EEXIST,
	    "attaching vbn-a twice refused");
	rc = netns_remove_stale("vbn-a", &cause);
	CHECK(rc == VB_EEXIST, "remove_stale refuses a live network: %s",
	    cause);
	free(cause);
	cause = NULL;
	rc = fetch(na, SERVER_ADDR, buf, sizeof buf);
	CHECK(rc == 0 && strcmp(buf, "vbn-lab-a") == 0,
	    "vbn-a still works after those");

	/* Stale veth network: left by a "crashed" broker, re-created. */
	spec_veth(&spec, "vbn-stale", "vbnps", NULL, "198.18.1.2/24");
	CHECK(attach_and_crash(&spec) == 0 && marker_exists("vbn-stale") &&
	    ip_netns_listed("vbn-stale") == 1 && if_nametoindex("vbnps") != 0,
	    "vbn-stale attached by a child that died");
	rc = netns_attach(&spec, &n, &cause);
	CHECK(rc == 0 && if_nametoindex("vbnps") != 0,
	    "stale vbn-stale removed and re-created: %s",
	    cause != NULL ? cause : "ok");
	free(cause);
	cause = NULL;
	if (rc == 0) {
		rc = netns_detach(n, &cause);
		CHECK(rc == 0 && gone("vbn-stale") &&
		    if_nametoindex("vbnps") == 0, "vbn-stale detached: %s",
		    cause != NULL ? cause : "ok");
		free(cause);
		cause = NULL;
	}

	/* Stale MAC network: the NIC comes back as it was. */
	spec_init(&spec, "vbn-stale-m", NETNS_LINK_MAC, "198.18.1.2/24");
	memcpy(spec.mac, mac_n, 6);
	snprintf(spec.ifname, sizeof spec.ifname, "eth0");
	spec.mtu = 1300;
	CHECK(attach_and_crash(&spec) == 0 && if_nametoindex("vbnn0") == 0,
	    "vbn-stale-m (mac of vbnn0) attached by a child that died");
	rc = netns_remove_stale("vbn-stale-m", &cause);
	mtu_n = link_num("vbnn0", "mtu");
	CHECK(rc == 0 && gone("vbn-stale-m") && link_mac("vbnn0", mac) == 0 &&
	    memcmp(mac, mac_n, 6) == 0 && mtu_n == 1500 &&
	    (link_num("vbnn0", "flags") & IFF_UP),
	    "remove_stale gave vbnn0 back (mtu %ld, up): %s", mtu_n,
	    cause != NULL ? cause : "ok");
	free(cause);
	cause = NULL;
	rc = netns_remove_stale("vbn-stale-m", &cause);
	CHECK(rc == 0, "remove_stale of an absent network is 0");
	free(cause);
	cause = NULL;

	/* Detach: nothing remains. */
	rc = netns_detach(na, &cause);
	na = NULL;
	CHECK(rc == 0 && cause == NULL && gone("vbn-a") &&
	    sh("ip -n vbn-lab-a link show vbnpa") != 0,
	    "vbn-a detached: no file, mount, marker, veth");
	free(cause);
	cause = NULL;
	rc = netns_detach(nb, &cause);
	nb = NULL;
	CHECK(rc == 0 && cause == NULL && gone("vbn-b") &&
	    sh("ip -n vbn-lab-b link show vbnpb") != 0,
	    "vbn-b detached: no file, mount, marker, veth");
	free(cause);
	cause = NULL;
	rc = netns_detach(nc, &cause);
	nc = NULL;
	CHECK(rc == 0 && cause == NULL && gone("vbn-c"),
	    "vbn-c detached: no file, mount, marker");
	free(cause);
	cause = NULL;
	CHECK(link_mac("vbnm0", mac) == 0 && memcmp(mac, mac_m, 6) == 0 &&
	    sh("ip -n vbn-lab-c link show vbnm1") == 0,
	    "vbnm0 back in the root ns under its own name, pair intact");
	count = netns_list_owned(&names);
	netns_names_free(names, count);
	CHECK(count == 0, "netns_list_owned: none left");
	CHECK(sh("ls -A %s | grep -q .", owner_dir) != 0,
	    "owner directory is empty");
	CHECK(self_netns() == root_ino, "still in the root namespace");

out:
	n = NULL;
	for (i = 0; i < 3; i++) {
		n = i == 0 ? na : i == 1 ? nb : nc;
		if (n != NULL) {
			netns_detach(n, &cause);
			free(cause);
			cause = NULL;
		}
	}
	netns_shutdown();
	cleanup();
	printf("%d passed, %d failed\n", npass, nfail);
	return nfail == 0 ? 0 : 1;
}

/*
 * netns: the parts that need no privilege and no kernel: parsing and
 * formatting addresses and MACs, name rules, and netns_spec_check().  Kept
 * apart from netns.c so that unit tests and fuzzers link them without
 * libnl.
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "common/strutil.h"
#include "common/xmalloc.h"
#include "netns/netns.h"

static int	netns_ifname_valid(const char *);
static int	netns_addr_len(int);
static int	netns_addr_in_prefix(const struct netns_addr *,
		    const struct netns_addr *);
static int	netns_addr_host_bits(const struct netns_addr *);
static int	netns_addr_equal(const struct netns_addr *,
		    const struct netns_addr *);
static int	netns_check_addr(const char *, const char *,
		    const struct netns_addr *, int, char **);
static int	netns_check_nexthop(const struct netns_spec *, const char *,
		    const struct netns_addr *, int, char **);
static void	netns_str_safe(const char *, size_t, char *, size_t);

static int
netns_name_char(int c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-');
}

static int
netns_name_check(const char *name, size_t max)
{
	size_t	i;

	for (i = 0; name[i] != '\0'; i++) {
		if (i >= max || !netns_name_char((unsigned char)name[i]))
			return 0;
	}
	if (i == 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return 0;
	return 1;
}

int
netns_name_valid(const char *name)
{
	if (name == NULL)
		return 0;
	return netns_name_check(name, NETNS_NAME_MAX);
}

/*
 * Interface names: the kernel allows almost anything but '/', ':' and
 * white space; we allow the network-name characters only, which also keeps
 * '%' (a kernel name pattern) out.
 */
static int
netns_ifname_valid(const char *name)
{
	return netns_name_check(name, IFNAMSIZ - 1);
}

static int
netns_addr_len(int family)
{
	switch (family) {
	case AF_INET:
		return 4;
	case AF_INET6:
		return 16;
	}
	return 0;
}

int
netns_addr_parse(const char *s, int want_prefix, struct netns_addr *out)
{
	char		 buf[INET6_ADDRSTRLEN];
	const char	*slash, *p;
	size_t		 len;
	unsigned int	 plen;
	int		 maxlen;

	memset(out, 0, sizeof *out);
	if (s == NULL)
		return -1;
	slash = strchr(s, '/');
	if ((slash != NULL) != (want_prefix != 0))
		return -1;
	len = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';

	if (strchr(buf, ':') != NULL) {
		if (inet_pton(AF_INET6, buf, out->addr) != 1)
			goto fail;
		out->family = AF_INET6;
		maxlen = 128;
	} else {
		if (inet_pton(AF_INET, buf, out->addr) != 1)
			goto fail;
		out->family = AF_INET;
		maxlen = 32;
	}

	if (slash == NULL) {
		out->prefixlen = maxlen;
		return 0;
	}
	/* Decimal digits only: no sign, no space, at most three. */
	p = slash + 1;
	if (*p == '\0' || strlen(p) > 3)
		goto fail;
	for (plen = 0; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			goto fail;
		plen = plen * 10 + (unsigned int)(*p - '0');
	}
	if (plen > (unsigned int)maxlen)
		goto fail;
	out->prefixlen = plen;
	return 0;

fail:
	memset(out, 0, sizeof *out);
	return -1;
}

const char *
netns_addr_fmt(const struct netns_addr *a, int with_prefix, char *buf,
    size_t len)
{
	char	tmp[INET6_ADDRSTRLEN];

	if (len == 0)
		return buf;
	if (netns_addr_len(a->family) == 0 ||
	    inet_ntop(a->family, a->addr, tmp, sizeof tmp) == NULL) {
		snprintf(buf, len, "(none)");
		return buf;
	}
	if (with_prefix)
		snprintf(buf, len, "%s/%u", tmp, a->prefixlen);
	else
		snprintf(buf, len, "%s", tmp);
	return buf;
}

int
netns_mac_parse(const char *s, uint8_t mac[6])
{
	uint8_t	v[6];
	int	i, hi, lo;

	if (s == NULL || strlen(s) != 17)
		return -1;
	for (i = 0; i < 6; i++) {
		hi = str_hexval((unsigned char)s[i * 3]);
		lo = str_hexval((unsigned char)s[i * 3 + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		if (i < 5 && s[i * 3 + 2] != ':')
			return -1;
		v[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, v, sizeof v);
	return 0;
}

/* Is a inside the prefix p (same family, first p->prefixlen bits)? */
static int
netns_addr_in_prefix(const struct netns_addr *a, const struct netns_addr *p)
{
	unsigned int	bytes, bits;

	if (a->family != p->family)
		return 0;
	bytes = p->prefixlen / 8;
	bits = p->prefixlen % 8;
	if (memcmp(a->addr, p->addr, bytes) != 0)
		return 0;
	if (bits != 0 &&
	    ((a->addr[bytes] ^ p->addr[bytes]) & (0xff << (8 - bits)) & 0xff))
		return 0;
	return 1;
}

/* Does a have bits set beyond its prefix length? */
static int
netns_addr_host_bits(const struct netns_addr *a)
{
	int		len = netns_addr_len(a->family);
	unsigned int	i, bits;

	for (i = a->prefixlen / 8; i < (unsigned int)len; i++) {
		bits = 0xff;
		if (i == a->prefixlen / 8u)
			bits = 0xff >> (a->prefixlen % 8);
		if (a->addr[i] & bits)
			return 1;
	}
	return 0;
}

static int
netns_addr_equal(const struct netns_addr *a, const struct netns_addr *b)
{
	return (a->family == b->family &&
	    memcmp(a->addr, b->addr, netns_addr_len(a->family)) == 0);
}

/* Copy a possibly hostile string for a message: bounded, printable. */
static void
netns_str_safe(const char *s, size_t ssize, char *buf, size_t len)
{
	size_t	i;

	for (i = 0; i < ssize && i + 1 < len && s[i] != '\0'; i++)
		buf[i] = (s[i] > 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[i] = '\0';
}

/* Family and prefix length of one address; family 0 allowed if optional. */
static int
netns_check_addr(const char *net, const char *what,
    const struct netns_addr *a, int want_family, char **cause)
{
	char	b[INET6_ADDRSTRLEN + 8];
	int	len;

	if (a->family != AF_INET && a->family != AF_INET6) {
		*cause = xasprintf("network \"%s\": %s: address family %d is "
		    "not IPv4 or IPv6", net, what, a->family);
		return VB_ECONFIG;
	}
	if (want_family != 0 && a->family != want_family) {
		*cause = xasprintf("network \"%s\": %s: %s is not an %s "
		    "address", net, what, netns_addr_fmt(a, 0, b, sizeof b),
		    want_family == AF_INET ? "IPv4" : "IPv6");
		return VB_ECONFIG;
	}
	len = netns_addr_len(a->family);
	if (a->prefixlen > len * 8) {
		*cause = xasprintf("network \"%s\": %s: prefix length %u is "
		    "more than %d", net, what, a->prefixlen, len * 8);
		return VB_ECONFIG;
	}
	return 0;
}

/*
 * A next hop must be on-link: inside the prefix of one of the network's
 * addresses of its family, and not one of those addresses itself.
 */
static int
netns_check_nexthop(const struct netns_spec *spec, const char *what,
    const struct netns_addr *nh, int family, char **cause)
{
	char		b[INET6_ADDRSTRLEN + 8];
	uint32_t	i;
	int		error, inside = 0;

	if ((error = netns_check_addr(spec->name, what, nh, family,
	    cause)) != 0)
		return error;
	for (i = 0; i < spec->naddrs; i++) {
		if (netns_addr_equal(nh, &spec->addrs[i])) {
			*cause = xasprintf("network \"%s\": %s %s is one of "
			    "the network's own addresses", spec->name, what,
			    netns_addr_fmt(nh, 0, b, sizeof b));
			return VB_ECONFIG;
		}
		if (netns_addr_in_prefix(nh, &spec->addrs[i]))
			inside = 1;
	}
	if (!inside) {
		*cause = xasprintf("network \"%s\": %s %s is outside every "
		    "address of the network", spec->name, what,
		    netns_addr_fmt(nh, 0, b, sizeof b));
		return VB_ECONFIG;
	}
	return 0;
}

int
netns_spec_check(const struct netns_spec *spec, char **cause)
{
	const struct netns_addr		*a, *gw;
	const struct netns_route	*r;
	const char			*net = spec->name;
	char				 safe[64], b[INET6_ADDRSTRLEN + 8];
	char				 what[96];
	uint32_t			 i, j;
	int				 error;

	*cause = NULL;

	/* Strings first: everything after prints them. */
	if (memchr(spec->name, '\0', sizeof spec->name) == NULL) {
		*cause = xasprintf("network name is not NUL-terminated");
		return VB_ECONFIG;
	}
	if (!netns_name_valid(spec->name)) {
		netns_str_safe(spec->name, sizeof spec->name, safe,
		    sizeof safe);
		*cause = xasprintf("network \"%s\": invalid name: use 1 to %d "
		    "of A-Z a-z 0-9 _ . - (not \".\" or \"..\")", safe,
		    NETNS_NAME_MAX);
		return VB_ECONFIG;
	}
	if (memchr(spec->veth_peer, '\0', sizeof spec->veth_peer) == NULL ||
	    memchr(spec->veth_peer_netns, '\0',
	    sizeof spec->veth_peer_netns) == NULL ||
	    memchr(spec->ifname, '\0', sizeof spec->ifname) == NULL) {
		*cause = xasprintf("network \"%s\": an interface or namespace "
		    "name is not NUL-terminated", net);
		return VB_ECONFIG;
	}
	if (spec->ifname[0] != '\0' && !netns_ifname_valid(spec->ifname)) {
		netns_str_safe(spec->ifname, sizeof spec->ifname, safe,
		    sizeof safe);
		*cause = xasprintf("network \"%s\": ifname \"%s\" is not a "
		    "valid interface name", net, safe);
		return VB_ECONFIG;
	}

	switch (spec->kind) {
	case NETNS_LINK_MAC:
		if ((spec->mac[0] | spec->mac[1] | spec->mac[2] |
		    spec->mac[3] | spec->mac[4] | spec->mac[5]) == 0) {
			*cause = xasprintf("network \"%s\": mac is "
			    "00:00:00:00:00:00", net);
			return VB_ECONFIG;
		}
		if (spec->mac[0] & 1) {
			*cause = xasprintf("network \"%s\": mac "
			    "%02x:%02x:%02x:%02x:%02x:%02x is a multicast "
			    "address, not a NIC's", net, spec->mac[0],
			    spec->mac[1], spec->mac[2], spec->mac[3],
			    spec->mac[4], spec->mac[5]);
			return VB_ECONFIG;
		}
		break;
	case NETNS_LINK_VETH:
		if (!netns_ifname_valid(spec->veth_peer)) {
			netns_str_safe(spec->veth_peer, sizeof spec->veth_peer,
			    safe, sizeof safe);
			*cause = xasprintf("network \"%s\": veth_peer \"%s\" "
			    "is not a valid interface name", net, safe);
			return VB_ECONFIG;
		}
		if (spec->veth_peer_netns[0] != '\0' &&
		    !netns_name_valid(spec->veth_peer_netns)) {
			netns_str_safe(spec->veth_peer_netns,
			    sizeof spec->veth_peer_netns, safe, sizeof safe);
			*cause = xasprintf("network \"%s\": veth_peer_netns "
			    "\"%s\" is not a valid namespace name", net, safe);
			return VB_ECONFIG;
		}
		if (strcmp(spec->veth_peer_netns, spec->name) == 0) {
			*cause = xasprintf("network \"%s\": veth_peer_netns "
			    "must not be the network itself", net);
			return VB_ECONFIG;
		}
		break;
	default:
		*cause = xasprintf("network \"%s\": kind %u is neither mac "
		    "nor veth", net, spec->kind);
		return VB_ECONFIG;
	}

	if (spec->mtu != 0 && (spec->mtu < 68 || spec->mtu > 65535)) {
		*cause = xasprintf("network \"%s\": mtu %u is not in 68..65535",
		    net, spec->mtu);
		return VB_ECONFIG;
	}
	if (spec->naddrs > NETNS_ADDR_MAX) {
		*cause = xasprintf("network \"%s\": %u addresses, at most %d",
		    net, spec->naddrs, NETNS_ADDR_MAX);
		return VB_ECONFIG;
	}
	if (spec->nroutes > NETNS_ROUTE_MAX) {
		*cause = xasprintf("network \"%s\": %u routes, at most %d",
		    net, spec->nroutes, NETNS_ROUTE_MAX);
		return VB_ECONFIG;
	}

	for (i = 0; i < spec->naddrs; i++) {
		a = &spec->addrs[i];
		snprintf(what, sizeof what, "address %u", i + 1);
		if ((error = netns_check_addr(net, what, a, 0, cause)) != 0)
			return error;
		if (memcmp(a->addr, in6addr_any.s6_addr,
		    netns_addr_len(a->family)) == 0) {
			*cause = xasprintf("network \"%s\": address %s is the "
			    "unspecified address", net,
			    netns_addr_fmt(a, 1, b, sizeof b));
			return VB_ECONFIG;
		}
		if ((a->family == AF_INET && (a->addr[0] & 0xf0) == 0xe0) ||
		    (a->family == AF_INET6 && a->addr[0] == 0xff)) {
			*cause = xasprintf("network \"%s\": address %s is "
			    "multicast", net,
			    netns_addr_fmt(a, 1, b, sizeof b));
			return VB_ECONFIG;
		}
		for (j = 0; j < i; j++) {
			if (netns_addr_equal(a, &spec->addrs[j])) {
				*cause = xasprintf("network \"%s\": address %s "
				    "is listed twice", net,
				    netns_addr_fmt(a, 0, b, sizeof b));
				return VB_ECONFIG;
			}
		}
	}

	gw = &spec->gateway4;
	if (gw->family != 0 && (error = netns_check_nexthop(spec, "gateway",
	    gw, AF_INET, cause)) != 0)
		return error;
	gw = &spec->gateway6;
	if (gw->family != 0 && (error = netns_check_nexthop(spec, "gateway6",
	    gw, AF_INET6, cause)) != 0)
		return error;

	for (i = 0; i < spec->nroutes; i++) {
		r = &spec->routes[i];
		snprintf(what, sizeof what, "route %u", i + 1);
		if ((error = netns_check_addr(net, what, &r->dst, 0,
		    cause)) != 0)
			return error;
		if (netns_addr_host_bits(&r->dst)) {
			*cause = xasprintf("network \"%s\": route %s has bits "
			    "set beyond its prefix length", net,
			    netns_addr_fmt(&r->dst, 1, b, sizeof b));
			return VB_ECONFIG;
		}
		snprintf(what, sizeof what, "route %s via",
		    netns_addr_fmt(&r->dst, 1, b, sizeof b));
		if ((error = netns_check_nexthop(spec, what, &r->via,
		    r->dst.family, cause)) != 0)
			return error;
		gw = r->dst.family == AF_INET ? &spec->gateway4 :
		    &spec->gateway6;
		if (r->dst.prefixlen == 0 && gw->family != 0) {
			*cause = xasprintf("network \"%s\": route %s "
			    "duplicates the default route of %s", net,
			    netns_addr_fmt(&r->dst, 1, b, sizeof b),
			    r->dst.family == AF_INET ? "gateway" : "gateway6");
			return VB_ECONFIG;
		}
		for (j = 0; j < i; j++) {
			if (netns_addr_equal(&r->dst, &spec->routes[j].dst) &&
			    r->dst.prefixlen == spec->routes[j].dst.prefixlen) {
				*cause = xasprintf("network \"%s\": route %s "
				    "is listed twice", net,
				    netns_addr_fmt(&r->dst, 1, b, sizeof b));
				return VB_ECONFIG;
			}
		}
	}
	return 0;
}

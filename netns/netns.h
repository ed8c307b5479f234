/*
 * netns: guest networks as Linux network namespaces.
 *
 * Linked into the privileged parent only.  A network is a namespace named
 * like iproute2 names them (a bind mount of the namespace at
 * /run/netns/NAME, so `ip netns exec NAME` and `ip netns list` see it)
 * holding one NIC, its addresses, routes and `lo`.  All link, address and
 * route work goes through libnl-route-3 on a netlink socket opened inside
 * the namespace; nothing shells out to ip(8).
 *
 * Ownership: every namespace this module creates is recorded by a marker
 * file named like it in the owner directory given to netns_init(), written
 * before the namespace is made.  It is empty for a veth network; for a MAC
 * network it records the NIC's original name, MTU and up state, so that a
 * stale namespace gives its NIC back as it found it.  A namespace that
 * exists without a marker belongs to someone else and is never touched
 * (VB_ENOTOWNED); one with a marker is left over from a broker that died and
 * is removed before it is created again.  The owner directory should be on
 * a file system cleared at boot (under /run), as /run/netns is: a marker
 * that outlives its namespace could otherwise claim someone else's
 * namespace of the same name.
 *
 * Functions that can fail for a reason an operator must read take
 * `char **cause` and set it to an allocated message naming the network and
 * the field (the caller frees it).  Failure leaves nothing half-built: no
 * namespace, mount, marker or link of ours remains, and a NIC that was moved
 * is back in the root namespace under its original name.
 */
#ifndef VB_NETNS_NETNS_H
#define VB_NETNS_NETNS_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#define NETNS_NAME_MAX	31	/* network names: [A-Za-z0-9_.-], 1..31 */
#define NETNS_ADDR_MAX	8
#define NETNS_ROUTE_MAX	32
#define NETNS_RUN_DIR	"/run/netns"

struct netns_addr {
	int		family;		/* AF_INET, AF_INET6; 0 = unset */
	uint8_t		prefixlen;
	uint8_t		addr[16];
};

struct netns_route {
	struct netns_addr dst;		/* prefixlen 0: default route */
	struct netns_addr via;
};

enum netns_link_kind {
	NETNS_LINK_MAC = 1,	/* an existing NIC in the root namespace */
	NETNS_LINK_VETH,	/* a veth pair made for labs and tests */
};

/*
 * Everything needed to attach one network.  A plain fixed-size struct so
 * that it can also travel as an IPC payload; netns_spec_check() validates
 * one that arrived from an untrusted role.
 */
struct netns_spec {
	char		name[NETNS_NAME_MAX + 1];
	uint32_t	kind;			/* enum netns_link_kind */
	uint8_t		mac[6];			/* NETNS_LINK_MAC */
	char		veth_peer[IFNAMSIZ];	/* NETNS_LINK_VETH: peer name */
	char		veth_peer_netns[NETNS_NAME_MAX + 1]; /* "" = root ns */
	char		ifname[IFNAMSIZ];	/* name inside; "" = keep/"eth0" */
	uint32_t	mtu;			/* 0 = leave as is */
	uint32_t	naddrs;
	struct netns_addr addrs[NETNS_ADDR_MAX];
	struct netns_addr gateway4;		/* family 0 = none */
	struct netns_addr gateway6;
	uint32_t	nroutes;
	struct netns_route routes[NETNS_ROUTE_MAX];
};

struct netns_net;	/* an attached network; opaque */

/*
 * Prepare: remember the namespace we run in (the root namespace), make
 * /run/netns a shared mount point as iproute2 does, create owner_dir
 * (mode 0700) for ownership markers.  Call once, privileged.
 */
int	netns_init(const char *owner_dir, char **cause);
/* Close what netns_init() opened. */
void	netns_shutdown(void);

/* Is name a valid network name?  Returns 1 or 0. */
int	netns_name_valid(const char *name);

/*
 * Check a spec for internal consistency: valid names, NUL-terminated
 * strings, counts within bounds, prefix lengths and families valid, each
 * gateway and route next hop inside a configured address's prefix, no
 * duplicate addresses.  Returns 0, or VB_ECONFIG with *cause set.
 */
int	netns_spec_check(const struct netns_spec *spec, char **cause);

/*
 * Create the namespace, move or create the link, bring `lo` and the link
 * up, set MTU, addresses, gateways and routes.  On success *out is the new
 * network (owned by the caller until netns_detach()).  VB_ECONFIG for a bad
 * spec, VB_EEXIST if this process has the network attached already,
 * VB_ENOTOWNED if /run/netns/NAME exists without our marker, VB_ENOTFOUND
 * if no link has the MAC; a stale namespace of ours is removed first.
 */
int	netns_attach(const struct netns_spec *spec, struct netns_net **out,
	    char **cause);

/*
 * Undo netns_attach(): a MAC NIC goes back to the root namespace under its
 * original name, a veth pair is deleted, the namespace is unmounted and
 * removed, the marker deleted.  Frees net.  Returns 0 or a negative code
 * (best effort continues past errors; cause says what remained).
 */
int	netns_detach(struct netns_net *net, char **cause);

/*
 * Remove a leftover namespace of ours by name (marker present), e.g. after
 * a crash.  VB_ENOTOWNED if it exists without our marker, VB_EEXIST if
 * this process has it attached (use netns_detach()), 0 if absent.
 */
int	netns_remove_stale(const char *name, char **cause);

const char *netns_net_name(const struct netns_net *net);
/* The link's name and index inside the namespace. */
const char *netns_net_ifname(const struct netns_net *net);
int	netns_net_ifindex(const struct netns_net *net);

/*
 * socket(domain, type, protocol) created inside the network's namespace
 * (setns there, socket, setns back).  Returns the descriptor or -errno.
 */
int	netns_net_socket(const struct netns_net *net, int domain, int type,
	    int protocol);

/*
 * Names of the namespaces under /run/netns that carry our marker.
 * *names is an allocated array of allocated strings; free with
 * netns_names_free().  Returns the count or a negative code.
 */
int	netns_list_owned(char ***names);
void	netns_names_free(char **names, int n);

/*
 * Parse "198.18.1.2/24", "2001:db8::1/64" (prefix required when
 * want_prefix, forbidden otherwise) into an address.  Returns 0 or -1.
 */
int	netns_addr_parse(const char *s, int want_prefix, struct netns_addr *out);
/* Format an address (with /prefix when with_prefix) into buf. */
const char *netns_addr_fmt(const struct netns_addr *a, int with_prefix,
	    char *buf, size_t len);
/* Parse "02:00:5e:00:53:01"; returns 0 or -1. */
int	netns_mac_parse(const char *s, uint8_t mac[6]);

#endif

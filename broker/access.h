/*
 * Targets and access, on the role side: what a client names (an appliance,
 * ADDRESS.NETWORK, either with the configured DNS suffix) resolved to a
 * network, an address and a port, and whether a user may go there.
 *
 * Target names (docs/targets.md):
 *   pfsense-001                 an appliance known to the broker
 *   10.1.1.5.guest-42           an IPv4 address inside network guest-42
 *   fd00--5.guest-42            an IPv6 address (':' written as '-')
 *   pfsense-001.vnf.internal    either form, then the DNS suffix
 * Names compare without regard to case; one trailing dot is ignored.  An
 * ADDRESS.NETWORK that is an appliance's address in that network is that
 * appliance, so its allowed ports and the grants naming it apply.
 *
 * Default deny: a user may reach a target only through a grant, and an
 * appliance only on its allowed ports.
 *
 * Built from the configuration JSON the parent sends each role
 * (appliances, users, networks, dns_suffix).  access_load() copies what it
 * needs; the caller keeps its JSON.
 */
#ifndef VB_BROKER_ACCESS_H
#define VB_BROKER_ACCESS_H

#include <sys/socket.h>

#include <stdint.h>

#include <jansson.h>

#define ACCESS_NAME_MAX		255	/* a target name as written */

struct access;

struct target {
	char			 name[ACCESS_NAME_MAX + 1];
	char			 appliance[64];	/* "" for an address target */
	char			 network[32];
	char			 address[64];	/* printable */
	uint16_t		 port;
	struct sockaddr_storage	 sa;		/* address and port */
	socklen_t		 salen;
};

enum access_result {
	ACCESS_OK = 0,
	ACCESS_UNKNOWN_TARGET,		/* resolves to nothing */
	ACCESS_NOT_PERMITTED,		/* no grant covers it */
	ACCESS_PORT_NOT_ALLOWED,	/* not an allowed port of the target */
};

struct access *access_load(json_t *view, char **cause);
void	access_free(struct access *a);

/*
 * Resolve host:port into *t.  Returns ACCESS_OK or ACCESS_UNKNOWN_TARGET
 * with *reason set to a static one-line explanation for the client.
 */
enum access_result access_resolve(const struct access *a, const char *host,
	    uint16_t port, struct target *t, const char **reason);

/*
 * May user reach t?  ACCESS_OK, ACCESS_NOT_PERMITTED or
 * ACCESS_PORT_NOT_ALLOWED, with *reason (static) for the client.
 */
enum access_result access_check(const struct access *a, const char *user,
	    const struct target *t, const char **reason);

/* The user's configuration object (borrowed; fields per the config), or NULL. */
json_t	*access_user(const struct access *a, const char *user);

/* A short word for audit records: "allowed", "unknown-target", ... */
const char *access_result_name(enum access_result r);

#endif

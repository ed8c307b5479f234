/*
 * The privileged protocol between vnf-brokerd's parent and its roles.
 *
 * Small and typed: every request is a fixed-size struct, checked for size
 * before use, and against the table of what the sending role may ask.  A
 * malformed or unpermitted request ends the role, never the parent.
 * Replies carry the request's id.
 *
 * A role finds its end of the socketpair at descriptor PRIV_FD (the
 * environment says so too, in VNF_BROKER_IPC_FD).
 */
#ifndef VB_BROKER_PRIV_PROTO_H
#define VB_BROKER_PRIV_PROTO_H

#include <stdint.h>

#include "netns/netns.h"

#define PRIV_FD		3

enum priv_type {
	/* role -> parent */
	PRIV_SOCKET_REQ = 1,	/* struct priv_socket_req */
	PRIV_NET_ATTACH,	/* struct netns_spec */
	PRIV_NET_DETACH,	/* struct priv_net_name */
	PRIV_STATE_PUT,		/* struct priv_state; a sealed memfd rides */
	PRIV_STATE_DEL,		/* struct priv_state */
	/* parent -> role */
	PRIV_SOCKET_OK = 100,	/* no payload; the socket rides along */
	PRIV_OK,		/* no payload */
	PRIV_ERROR,		/* struct priv_error */
	PRIV_CONFIG,		/* struct priv_config; a sealed memfd rides */
	PRIV_LISTENER,		/* struct priv_listener; the socket rides */
	PRIV_STATS,		/* struct priv_stats; a memfd rides */
	PRIV_DRAIN,		/* struct priv_drain */
};

/* What a role may ask; the parent's table maps each role to a mask. */
#define PRIV_PERM_SOCKET	0x01
#define PRIV_PERM_NET		0x02	/* attach and detach */
#define PRIV_PERM_STATE		0x04	/* PRIV_STATE_PUT and _DEL */

struct priv_socket_req {
	char		network[NETNS_NAME_MAX + 1];
	int32_t		domain;		/* AF_INET or AF_INET6 */
	int32_t		type;		/* SOCK_STREAM or SOCK_DGRAM */
};

struct priv_net_name {
	char		name[NETNS_NAME_MAX + 1];
};

/* The role's configuration: JSON of this many bytes in the memfd. */
struct priv_config {
	uint64_t	size;
	uint32_t	generation;	/* 1 at start, +1 per change */
};

struct priv_listener {
	char		name[32];	/* "ssh", "proxy", "proxy_tls", ... */
};

/*
 * A role's page of counters (role-stats.h).  The role's own, to write in
 * slot; or (the engine) another role's, read-only, slot PRIV_STATS_RO.
 */
#define PRIV_STATS_RO		UINT32_MAX
struct priv_stats {
	char		role[16];
	uint32_t	slot;
};

/*
 * SIGHUP replaced the role: stop accepting, serve what is open for up to
 * seconds, then exit.  The channel stays open meanwhile.
 */
struct priv_drain {
	uint32_t	seconds;
};

/*
 * A registered object: kind "network", "provider", "appliance" or "user",
 * and its name.  PRIV_STATE_PUT's memfd holds the object (JSON with its
 * name; a provider's YAML text) in size bytes.  A refusal is PRIV_ERROR
 * with code VB_ECONFIG (the object is invalid), VB_ENOTFOUND (no such
 * object), VB_ENOTOWNED (defined in broker.yaml), -EBUSY (in use) or
 * another code (the parent failed: attach, write).
 */
#define PRIV_STATE_MAX		(1024 * 1024)	/* bytes of one object */
struct priv_state {
	char		kind[16];
	char		name[64];
	uint64_t	size;
};

struct priv_error {
	int32_t		code;		/* negative errno or VB_E* */
	char		message[256];	/* NUL-terminated */
};

#endif

/*
 * The role side of the privileged protocol: blocking request/reply calls
 * for roles and tools that do one thing at a time.  Each returns 0 (or a
 * descriptor) on success, or a negative code with *cause set to an
 * allocated message from the parent or the transport (caller frees).
 */
#ifndef VB_BROKER_PRIVCLIENT_H
#define VB_BROKER_PRIVCLIENT_H

#include "netns/netns.h"

/* A socket created in the named network; returns the descriptor. */
int	privc_socket(int ipc, const char *network, int domain, int type,
	    char **cause);
int	privc_net_attach(int ipc, const struct netns_spec *spec, char **cause);
int	privc_net_detach(int ipc, const char *name, char **cause);

#endif

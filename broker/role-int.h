/*
 * Inside the role runtime: what role.c shares with role-spare.c.
 */
#ifndef VB_BROKER_ROLE_INT_H
#define VB_BROKER_ROLE_INT_H

#include "broker/role.h"

/*
 * Spare sockets: a few sockets already made in each network a role used
 * lately, so a new tunnel need not wait for the parent (role-spare.c).
 */
#define ROLE_SPARE_PER		4	/* per network and address family */
#define ROLE_SPARE_NETS		64	/* networks kept, least recent out */
#define ROLE_SPARE_IDLE		30	/* seconds unused before closing */
/* Handles of sockets served from spares live above the channel's ids. */
#define ROLE_SPARE_HANDLE_BASE	(1L << 32)

struct role_spares;

/* Ask the parent for a socket, bypassing the spares. */
long	role_socket_ask(struct role_rt *, const char *network, int domain,
	    role_socket_cb cb, void *arg);

struct role_spares *role_spares_new(struct role_rt *);
/*
 * Serve a socket from the spares of (network, domain), the callback
 * running from the event loop as soon as it turns.  Returns a handle, or
 * 0 when there is no spare (ask the parent).  Either way the network is
 * noted, so its spares are topped up for the next request.
 */
long	role_spare_socket(struct role_spares *, const char *network,
	    int domain, role_socket_cb cb, void *arg);
void	role_spare_cancel(struct role_spares *, long handle);
/* Close every spare: a new view may have detached their networks. */
void	role_spares_flush(struct role_spares *);
/* Stopping: no spares kept from now on. */
void	role_spares_stop(struct role_spares *);
void	role_spares_free(struct role_spares *);

#endif

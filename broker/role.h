/*
 * The role runtime: what every role program (ssh, proxy, engine) shares.
 *
 * A role starts with its end of the privileged channel at PRIV_FD, and the
 * audit sink at ROLE_AUDIT_FD.  Before it serves anything the parent sends
 * it, over the channel: its configuration (a sealed memfd holding JSON,
 * PRIV_CONFIG) and its listening sockets (PRIV_LISTENER, one each, bound by
 * the parent, which keeps them across role restarts).  Afterwards the role
 * asks for sockets inside guest networks asynchronously: the reply arrives
 * in the event loop and the callback gets the descriptor.
 *
 * role_run() owns the event loop until SIGTERM (or the channel closes):
 * then on_stop runs, and the loop ends when the role calls role_exit() or
 * the grace period passes.
 */
#ifndef VB_BROKER_ROLE_H
#define VB_BROKER_ROLE_H

#include <event2/event.h>
#include <jansson.h>

#define ROLE_AUDIT_FD		4
#define ROLE_CONFIG_MAX		(16 * 1024 * 1024)	/* bytes of JSON */
#define ROLE_PENDING_MAX	4096	/* socket requests in flight */

struct role_rt;

struct role_hooks {
	/* The configuration arrived or changed; conf is borrowed. */
	void	(*on_config)(struct role_rt *, json_t *conf, void *arg);
	/* A listening socket named in the configuration ("ssh", "proxy"). */
	void	(*on_listener)(struct role_rt *, const char *name, int fd,
		    void *arg);
	/* Everything is in place: configuration and listeners received. */
	void	(*on_ready)(struct role_rt *, void *arg);
	/* SIGTERM or the parent went away: stop accepting, drain. */
	void	(*on_stop)(struct role_rt *, void *arg);
	void	*arg;
};

/*
 * Socket request callback: fd >= 0 is a socket created in the network's
 * namespace (the callee owns it), or fd < 0 is the error and msg says why.
 */
typedef void	(*role_socket_cb)(int fd, const char *msg, void *arg);

/* Read the environment, set up logging, the loop and the channel. */
struct role_rt *role_init(const char *name, const struct role_hooks *hooks,
	    char **cause);
struct event_base *role_base(struct role_rt *rt);
/* The configuration currently in force (borrowed), or NULL. */
json_t	*role_config(struct role_rt *rt);

/*
 * Ask the parent for a socket in network (AF_INET or AF_INET6,
 * SOCK_STREAM).  When a spare made earlier in that network is at hand
 * (role-spare.c), it is served instead, on the loop's next turn.  Returns a request handle > 0, or a negative code when the
 * request cannot be sent (too many in flight, channel down); cb is not
 * called then.  role_socket_cancel() drops a pending request: its socket,
 * if it still arrives, is closed.
 */
long	role_socket(struct role_rt *rt, const char *network, int domain,
	    role_socket_cb cb, void *arg);
void	role_socket_cancel(struct role_rt *rt, long handle);

/* H2: state */
/*
 * Reply callback of role_request(): code 0 is PRIV_OK (msg NULL), else
 * the parent's PRIV_ERROR code and message (or a local failure).
 */
typedef void	(*role_request_cb)(int code, const char *msg, void *arg);
/*
 * Send the parent a request of type with payload (len bytes) and, when fd
 * >= 0, a descriptor (the caller keeps its copy).  Shares the in-flight
 * table with role_socket().  Returns a handle > 0, or a negative code
 * when it cannot be sent (cb is not called then).
 */
long	role_request(struct role_rt *rt, int type, const void *payload,
	    size_t len, int fd, role_request_cb cb, void *arg);
/* end H2: state */

/*
 * In on_stop: 0 when the role stops with vnf-brokerd (finish quickly), or
 * the seconds it may keep serving what is open when it was replaced by a
 * new instance (SIGHUP): then nothing open should be cut before that.
 */
unsigned role_draining(struct role_rt *rt);

/* Run the event loop; returns the process exit status. */
int	role_run(struct role_rt *rt);
/* End the loop (after on_stop, when connections have drained). */
void	role_exit(struct role_rt *rt);
void	role_free(struct role_rt *rt);

#endif

/*
 * vnf-brokerd's parent process: shared between its files (parent.c for
 * start-up and shutdown, parent-roles.c for role supervision,
 * parent-priv.c for the privileged requests, parent-nets.c for the
 * registry of attached networks).  Single-threaded, one libevent loop.
 */
#ifndef VB_BROKER_PARENT_H
#define VB_BROKER_PARENT_H

#include <sys/types.h>

#include <event2/event.h>
#include <jansson.h>
#include <time.h>

#include "broker/conf.h"
#include "netns/netns.h"

struct role_def {
	enum role_id	 id;
	const char	*name;
	unsigned	 perms;		/* PRIV_PERM_* */
};

struct parent;

struct role {
	struct parent		*parent;
	const struct role_def	*def;
	const struct role_conf	*conf;
	pid_t			 pid;		/* 0: not running */
	int			 fd;		/* parent's end, -1 if none */
	struct event		*ev_read;
	struct event		*ev_restart;
	struct timespec		 started;
	unsigned		 backoff;	/* seconds before next start */
	unsigned		 starts;
	int			 ending;	/* killed on purpose */
};

struct parent_listener {
	const struct conf_listener *conf;
	enum role_id		 role;
	int			 fd;
};

struct parent {
	struct event_base	*base;
	struct broker_config	*conf;
	uid_t			 uid;		/* roles run as this user */
	gid_t			 gid;
	struct role		 roles[ROLE_MAX];
	struct netns_net	**nets;		/* attached networks */
	size_t			 nnets;
	int			 stopping;
	struct parent_listener	 listeners[CONF_LISTENERS_MAX];
	size_t			 nlisteners;
	int			 audit_fd;	/* given to every role */
	uint32_t		 config_gen;
	/* H2: state */
	json_t			*state;		/* registered, by kind and name */
};

/* parent-nets.c */
struct netns_net *parent_net_find(struct parent *p, const char *name);
int	parent_net_attach(struct parent *p, const struct netns_spec *spec,
	    char **cause);
int	parent_net_detach(struct parent *p, const char *name, char **cause);
void	parent_net_detach_all(struct parent *p);

/* parent-roles.c */
void	parent_roles_start(struct parent *p);
void	parent_roles_stop(struct parent *p);
void	parent_role_reap(struct parent *p, pid_t pid, int status);
void	parent_role_end(struct parent *p, struct role *r, const char *why);

/* parent-listen.c: listening sockets, the audit sink, role views. */
void	parent_listeners_open(struct parent *p);
void	parent_listeners_close(struct parent *p);
void	parent_audit_open(struct parent *p);
/* Send a freshly started role its configuration and its listeners. */
int	parent_role_send_setup(struct parent *p, struct role *r);

/* parent-priv.c: handle what arrived on a role's channel. */
void	parent_priv_dispatch(struct parent *p, struct role *r);

/* H2: state */
/* parent-state.c: the state directory (what the API registered). */
/* Load every state file; a bad one is reported and skipped. */
void	parent_state_load(struct parent *p);
/*
 * Register (create or replace) kind/name from buf (JSON with the name, or
 * a provider's YAML).  Returns 0, 1 when nothing changed, or a
 * negative code with *cause: VB_ECONFIG invalid, VB_ENOTOWNED defined in
 * broker.yaml, or what failed (attach, write).  Nothing changes then.
 */
int	parent_state_put(struct parent *p, const char *kind, const char *name,
	    const char *buf, size_t len, char **cause);
/* Delete: VB_ENOTFOUND, VB_ENOTOWNED, -EBUSY (in use) or 0. */
int	parent_state_del(struct parent *p, const char *kind, const char *name,
	    char **cause);
/* Merge registered objects into a role's view (engine: everything). */
void	parent_state_merge(struct parent *p, json_t *view, int engine);
void	parent_state_free(struct parent *p);
/* SIGHUP: reload broker.yaml; one with errors is reported and ignored. */
void	parent_config_reload(struct parent *p);
/* parent-listen.c: send every running role its view, generation + 1. */
void	parent_views_push(struct parent *p);
/* end H2: state */

/* privdrop.c: in a forked child, become uid/gid with no privilege left. */
int	privdrop(uid_t uid, gid_t gid, char **cause);

#endif

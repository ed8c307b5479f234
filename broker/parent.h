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
struct role_stats_page;

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
	/* A replaced instance, finishing its sessions (p->draining). */
	struct event		*ev_drain;	/* its SIGKILL deadline */
	struct role		*next_drain;
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
	struct role		*draining;	/* replaced, not restarted */
	struct netns_net	**nets;		/* attached networks */
	size_t			 nnets;
	int			 stopping;
	struct parent_listener	 listeners[CONF_LISTENERS_MAX];
	size_t			 nlisteners;
	int			 audit_fd;	/* given to every role */
	uint32_t		 config_gen;
	/* H2: state */
	json_t			*state;		/* registered, by kind and name */
	/* parent-stats.c: each counting role's page of counters */
	int			 stats_fd[ROLE_MAX];
	int			 stats_ro_fd[ROLE_MAX];	/* for the engine */
	struct role_stats_page	*stats_page[ROLE_MAX];
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

/*
 * SIGHUP, for the roles.  A role whose program, arguments, user or
 * listeners change is replaced: the running instance is told to drain
 * (PRIV_DRAIN: stop accepting, serve what is open for up to drain_timeout
 * seconds; its channel stays open) and moved to p->draining, where it is
 * reaped without a restart, or killed if it outstays drain_timeout by
 * far, while a new instance starts at once.
 */
enum role_action {
	ROLE_KEEP = 0,		/* runs on; gets its new view */
	ROLE_START,		/* newly enabled */
	ROLE_STOP,		/* newly disabled: drains */
	ROLE_REPLACE		/* drains, and a new instance starts */
};
struct parent_roles_plan {
	enum role_action act[ROLE_MAX];
	char		 why[ROLE_MAX][96];	/* "program changed" */
};
/*
 * Decide what n does to each role: listen_changed is a mask (1 << role)
 * of the roles whose listeners change, user_changed says the roles'
 * user does.  Fails (-1, *cause) when a program to start is not an
 * executable file; nothing is changed either way.
 */
int	parent_roles_plan(struct parent *p, const struct broker_config *n,
	    unsigned listen_changed, int user_changed,
	    struct parent_roles_plan *plan, char **cause);
/* Before the new configuration is in force: stop what goes. */
void	parent_roles_retire(struct parent *p,
	    const struct parent_roles_plan *plan);
/* After: start what is new (with the new listeners and view). */
void	parent_roles_resume(struct parent *p,
	    const struct parent_roles_plan *plan);

/* parent-listen.c: listening sockets, the audit sink, role views. */
void	parent_listeners_open(struct parent *p);
void	parent_listeners_close(struct parent *p);

/*
 * What identifies a listening socket across a reload: its kind ("proxy")
 * and where it binds, canonical ("127.0.0.1:24680", "[::1]:22", or the
 * unix socket's path), so "127.0.0.1:080" and "127.0.0.1:80" match.
 */
struct parent_listen_key {
	char	kind[32];
	char	where[128];
};
/* Fill k for cl; unix_path is where api_unix binds.  -1: bad address. */
int	parent_listen_key(const struct conf_listener *cl,
	    const char *unix_path, struct parent_listen_key *k);
/*
 * The listener-set diff of a reload, pure: keep[i] is the index among
 * the nold open listeners whose socket new listener i takes over, or -1
 * when it must be bound.  Returns the mask (1 << role) of the roles whose
 * set of listeners changes.
 */
unsigned parent_listeners_diff(const struct parent_listen_key *old,
	    size_t nold, const struct parent_listen_key *nw, size_t nnew,
	    int *keep);

/* A reload's listeners: bound, not yet in force. */
struct parent_listen_plan {
	struct parent_listener	 set[CONF_LISTENERS_MAX]; /* n's order */
	int			 keep[CONF_LISTENERS_MAX];
	size_t			 n;
	unsigned		 changed;	/* roles, as from the diff */
	char			*old_unix;	/* api_unix's path now */
	gid_t			 gid, old_gid;	/* api_unix's group */
};
/*
 * Bind what n adds (the api_unix socket owned by group gid); on failure
 * close what was bound, fill *cause (which listener, address, why) and
 * return -1: the listeners in force are untouched until commit.
 */
int	parent_listeners_prepare(struct parent *p,
	    const struct broker_config *n, gid_t gid,
	    struct parent_listen_plan *lp, char **cause);
/* Close what prepare bound and forget the plan. */
void	parent_listeners_abort(struct parent *p,
	    struct parent_listen_plan *lp);
/*
 * Put n's listeners in force: p->conf->listeners becomes n's, kept
 * sockets carry over, removed ones are closed.  Logs each change.
 */
void	parent_listeners_commit(struct parent *p,
	    const struct broker_config *n, struct parent_listen_plan *lp);
void	parent_audit_open(struct parent *p);
/* Send a freshly started role its configuration and its listeners. */
int	parent_role_send_setup(struct parent *p, struct role *r);

/* parent-stats.c: the roles' shared counters (role-stats.h). */
void	parent_stats_open(struct parent *p);
void	parent_stats_close(struct parent *p);
/* A role instance started: its slot (or, the engine, the pages). */
int	parent_stats_send(struct parent *p, struct role *r);
/* An instance was reaped: fold its slot into the totals. */
void	parent_stats_reaped(struct parent *p, pid_t pid);

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
/* Is kind in the engine's view only (providers, engine records)? */
int	parent_state_engine_only(const char *kind);
/* Merge registered objects into a role's view (engine: everything). */
void	parent_state_merge(struct parent *p, json_t *view, int engine);
void	parent_state_free(struct parent *p);
/*
 * SIGHUP, the part of the state (parent.c reads and checks the file and
 * does the rest): detach and attach networks as n says, then put n's
 * views, role settings, networks, log level and restart_backoff_max in
 * force and push every running role its view.  n keeps the rest and is
 * still the caller's to free.
 */
void	parent_config_reload(struct parent *p, struct broker_config *n);
/* parent-listen.c: send every running role its view, generation + 1. */
void	parent_views_push(struct parent *p);
/* ... or only r its own (what changed is in no other role's view). */
void	parent_view_push(struct parent *p, struct role *r);
/* end H2: state */

/* privdrop.c: in a forked child, become uid/gid with no privilege left. */
int	privdrop(uid_t uid, gid_t gid, char **cause);

#endif

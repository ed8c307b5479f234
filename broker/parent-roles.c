#include "config.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/parent.h"
#include "broker/priv-proto.h"
#include "broker/role.h"
#include "common/error.h"
#include "common/ipc.h"
#include "common/log.h"
#include "common/strutil.h"
#include "common/xmalloc.h"

#define ROLE_BACKOFF_MIN	1	/* seconds */
#define ROLE_STABLE_AFTER	60	/* a run this long resets the backoff */
#define ROLE_STOP_GRACE		5	/* seconds between SIGTERM and SIGKILL */
/*
 * A replaced instance (SIGHUP) is told to serve what it has open for up
 * to drain_timeout seconds (PRIV_DRAIN), and ends itself then.  It is
 * killed only when it is still there this much later: stuck.
 */
#define ROLE_DRAIN_SLACK	15	/* seconds */

/* What each role may ask of the parent; nothing else is ever granted. */
static const struct role_def role_defs[ROLE_MAX] = {
	[ROLE_SSH] = { ROLE_SSH, "ssh", PRIV_PERM_SOCKET },
	[ROLE_PROXY] = { ROLE_PROXY, "proxy", PRIV_PERM_SOCKET },
	[ROLE_ENGINE] = { ROLE_ENGINE, "engine",
	    PRIV_PERM_SOCKET | PRIV_PERM_NET | PRIV_PERM_STATE },
};

static void role_start(struct parent *, struct role *);

static void
role_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct role *r = arg;
	char c;

	/*
	 * A draining instance closes its channel when it exits, as it
	 * should: not an error to report, nor a reason to kill it.
	 */
	if (r->ev_drain != NULL && recv(r->fd, &c, 1, MSG_PEEK |
	    MSG_DONTWAIT) == 0) {
		log_debug("role %s (old pid %ld) closed its channel",
		    r->def->name, (long)r->pid);
		if (r->ev_read != NULL) {
			event_free(r->ev_read);
			r->ev_read = NULL;
		}
		close(r->fd);
		r->fd = -1;
		return;
	}
	parent_priv_dispatch(r->parent, r);
}

static void
role_on_restart(evutil_socket_t fd, short what, void *arg)
{
	struct role *r = arg;

	role_start(r->parent, r);
}

/* Close the parent's end of a role's channel. */
static void
role_close(struct role *r)
{
	if (r->ev_read != NULL) {
		event_free(r->ev_read);
		r->ev_read = NULL;
	}
	if (r->fd != -1) {
		close(r->fd);
		r->fd = -1;
	}
}

/*
 * In the child: put the channel at PRIV_FD, close everything else but
 * stdio, drop privileges and exec the role's program.  Never returns.
 */
static void __attribute__((noreturn))
role_exec(struct parent *p, struct role *r, int chan)
{
	const struct role_conf *rc = r->conf;
	char **argv, *cause = NULL, env_role[64], env_fd[64], env_log[64];
	char *envp[] = { env_role, env_fd, env_log,
	    (char *)"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	struct rlimit rl = { 0, 0 };
	sigset_t all;
	size_t i;
	int sig, audit;

	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);

	/*
	 * Channel at PRIV_FD, audit sink at ROLE_AUDIT_FD (stderr when no
	 * audit_log is set): move both above the targets first, so neither
	 * dup2() can clobber the other.
	 */
	if ((chan = fcntl(chan, F_DUPFD, 10)) == -1 ||
	    (audit = fcntl(p->audit_fd >= 0 ? p->audit_fd : STDERR_FILENO,
	    F_DUPFD, 10)) == -1 ||
	    dup2(chan, PRIV_FD) == -1 || dup2(audit, ROLE_AUDIT_FD) == -1)
		_exit(126);
	closefrom(ROLE_AUDIT_FD + 1);

	if (chdir("/") == -1)
		_exit(126);
	umask(077);
	setrlimit(RLIMIT_CORE, &rl);	/* cores could hold secrets */
	if (privdrop(p->uid, p->gid, &cause) != 0) {
		log_error("role %s: %s", r->def->name, cause);
		_exit(126);
	}
	/* Die with the parent; set after the uid change, which clears it. */
	prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	if (getppid() == 1)
		_exit(0);

	snprintf(env_role, sizeof(env_role), "VNF_BROKER_ROLE=%s",
	    r->def->name);
	snprintf(env_fd, sizeof(env_fd), "VNF_BROKER_IPC_FD=%d", PRIV_FD);
	snprintf(env_log, sizeof(env_log), "VNF_BROKER_LOG_LEVEL=%s",
	    log_level_name(log_get_level()));
	argv = xcalloc(rc->nargs + 2, sizeof(*argv));
	argv[0] = rc->program;
	for (i = 0; i < rc->nargs; i++)
		argv[i + 1] = rc->args[i];
	execve(rc->program, argv, envp);
	log_error("role %s: cannot execute %s: %s", r->def->name, rc->program,
	    strerror(errno));
	_exit(127);
}

static void
role_start(struct parent *p, struct role *r)
{
	int sv[2], err;
	pid_t pid;

	if (p->stopping)
		return;
	if ((err = ipc_pair(sv)) != 0) {
		log_error("role %s: socketpair: %s", r->def->name,
		    err_str(err));
		goto retry;
	}
	if ((pid = fork()) == -1) {
		log_error("role %s: fork: %s", r->def->name, strerror(errno));
		close(sv[0]);
		close(sv[1]);
		goto retry;
	}
	if (pid == 0) {
		close(sv[0]);
		role_exec(p, r, sv[1]);
	}
	close(sv[1]);
	/* Replies never block the parent: a role that does not read is ended. */
	if (fcntl(sv[0], F_SETFL, O_NONBLOCK) == -1)
		fatal("fcntl: %s", strerror(errno));
	r->fd = sv[0];
	r->pid = pid;
	r->ending = 0;
	r->starts++;
	clock_gettime(CLOCK_MONOTONIC, &r->started);
	r->ev_read = event_new(p->base, r->fd, EV_READ | EV_PERSIST,
	    role_on_read, r);
	event_add(r->ev_read, NULL);
	log_info("role %s started, pid %ld (start %u)", r->def->name,
	    (long)pid, r->starts);
	if ((err = parent_stats_send(p, r)) != 0 ||
	    (err = parent_role_send_setup(p, r)) != 0)
		parent_role_end(p, r, err_str(err));
	return;
retry:
	{
		struct timeval tv = { (time_t)r->backoff, 0 };

		evtimer_add(r->ev_restart, &tv);
	}
}

void
parent_roles_start(struct parent *p)
{
	struct role *r;
	int i;

	for (i = 0; i < ROLE_MAX; i++) {
		r = &p->roles[i];
		r->def = &role_defs[i];
		r->conf = &p->conf->roles[i];
		r->fd = -1;
		r->backoff = ROLE_BACKOFF_MIN;
		r->parent = p;
		r->ev_restart = evtimer_new(p->base, role_on_restart, r);
		if (r->conf->enabled)
			role_start(p, r);
	}
}

/* A replaced instance still running at its deadline: cut what is left. */
static void
role_on_drain_over(evutil_socket_t fd, short what, void *arg)
{
	struct role *d = arg;

	log_warn("role %s (old pid %ld) still runs %u s after it was "
	    "replaced; killing it", d->def->name, (long)d->pid,
	    d->parent->conf->drain_timeout + ROLE_DRAIN_SLACK);
	d->ending = 1;
	kill(d->pid, SIGKILL);
}

/*
 * Move r's running instance to p->draining and tell it to drain
 * (PRIV_DRAIN): the role runtime stops accepting and serves what is open
 * for up to drain_timeout seconds.  Its channel stays open, so what it
 * still serves can get sockets (and an engine finish a request); the
 * listening sockets are the parent's, so a port that is kept never stops
 * accepting.  r is then free for a new instance.
 */
static void
role_drain(struct parent *p, struct role *r)
{
	struct timeval tv = { (time_t)p->conf->drain_timeout +
	    ROLE_DRAIN_SLACK, 0 };
	struct priv_drain pd = { p->conf->drain_timeout };
	struct role *d;

	d = xcalloc(1, sizeof(*d));
	d->parent = p;
	d->def = r->def;
	d->pid = r->pid;
	d->fd = r->fd;
	d->started = r->started;
	d->ending = r->ending;
	if (r->ev_read != NULL) {
		event_free(r->ev_read);
		r->ev_read = NULL;
	}
	if (d->fd != -1) {
		d->ev_read = event_new(p->base, d->fd, EV_READ | EV_PERSIST,
		    role_on_read, d);
		event_add(d->ev_read, NULL);
	}
	d->ev_drain = evtimer_new(p->base, role_on_drain_over, d);
	evtimer_add(d->ev_drain, &tv);
	d->next_drain = p->draining;
	p->draining = d;
	/* Without its channel, SIGTERM: the shutdown's short grace. */
	if (!d->ending && (d->fd == -1 || ipc_send(d->fd, PRIV_DRAIN, 0, &pd,
	    sizeof(pd), -1) != 0))
		kill(d->pid, SIGTERM);
	r->pid = 0;
	r->fd = -1;
	r->ending = 0;
}

/* Unlink d from p->draining and free it. */
static void
role_drain_free(struct parent *p, struct role *d)
{
	struct role **dp;

	for (dp = &p->draining; *dp != NULL; dp = &(*dp)->next_drain) {
		if (*dp == d) {
			*dp = d->next_drain;
			break;
		}
	}
	role_close(d);
	if (d->ev_drain != NULL)
		event_free(d->ev_drain);
	free(d);
}

/* Was pid a replaced instance?  Then it is gone for good: 1. */
static int
role_drain_reap(struct parent *p, pid_t pid, int status)
{
	struct role *d;

	for (d = p->draining; d != NULL; d = d->next_drain)
		if (d->pid == pid)
			break;
	if (d == NULL)
		return 0;
	if (WIFSIGNALED(status))
		log_warn("role %s (old pid %ld) killed by signal %d while "
		    "draining", d->def->name, (long)pid, WTERMSIG(status));
	else
		log_info("role %s (old pid %ld) drained: exited with status "
		    "%d", d->def->name, (long)pid, WEXITSTATUS(status));
	role_drain_free(p, d);
	return 1;
}

void
parent_role_end(struct parent *p, struct role *r, const char *why)
{
	log_error("role %s (pid %ld): %s; ending it", r->def->name,
	    (long)r->pid, why);
	role_close(r);
	if (r->pid > 0 && !r->ending) {
		r->ending = 1;
		kill(r->pid, SIGKILL);
	}
}

void
parent_role_reap(struct parent *p, pid_t pid, int status)
{
	struct timespec now;
	struct timeval tv;
	struct role *r = NULL;
	int i;

	parent_stats_reaped(p, pid);	/* whichever instance it was */
	if (role_drain_reap(p, pid, status))
		return;		/* replaced on purpose: no restart */
	for (i = 0; i < ROLE_MAX; i++)
		if (p->roles[i].pid == pid)
			r = &p->roles[i];
	if (r == NULL)
		return;
	if (WIFSIGNALED(status))
		log_warn("role %s (pid %ld) killed by signal %d",
		    r->def->name, (long)pid, WTERMSIG(status));
	else
		log_warn("role %s (pid %ld) exited with status %d",
		    r->def->name, (long)pid, WEXITSTATUS(status));
	role_close(r);
	r->pid = 0;
	if (p->stopping)
		return;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec - r->started.tv_sec >= ROLE_STABLE_AFTER)
		r->backoff = ROLE_BACKOFF_MIN;
	if (r->backoff > p->conf->restart_backoff_max)
		r->backoff = p->conf->restart_backoff_max;
	tv.tv_sec = (time_t)r->backoff;
	tv.tv_usec = 0;
	log_info("role %s restarts in %u s", r->def->name, r->backoff);
	evtimer_add(r->ev_restart, &tv);
	r->backoff = r->backoff * 2 > p->conf->restart_backoff_max ?
	    p->conf->restart_backoff_max : r->backoff * 2;
}

/*
 * Stop every role, and every replaced instance still draining: SIGTERM,
 * then wait up to ROLE_STOP_GRACE seconds for them to exit before
 * SIGKILL.  Runs outside the event loop, at shutdown.
 */
void
parent_roles_stop(struct parent *p)
{
	struct timespec step = { 0, 50 * 1000 * 1000 };
	struct role *d;
	int i, status, left, tries;
	pid_t pid;

	p->stopping = 1;
	for (i = 0; i < ROLE_MAX; i++) {
		if (p->roles[i].ev_restart != NULL) {
			event_free(p->roles[i].ev_restart);
			p->roles[i].ev_restart = NULL;
		}
		role_close(&p->roles[i]);
		if (p->roles[i].pid > 0)
			kill(p->roles[i].pid, SIGTERM);
	}
	/* Told already; the signal again is harmless, the channel goes. */
	for (d = p->draining; d != NULL; d = d->next_drain) {
		role_close(d);
		kill(d->pid, SIGTERM);
	}
	for (tries = 0; tries < ROLE_STOP_GRACE * 20; tries++) {
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			parent_role_reap(p, pid, status);
		for (left = 0, i = 0; i < ROLE_MAX; i++)
			left += p->roles[i].pid > 0;
		if (left == 0 && p->draining == NULL)
			return;
		nanosleep(&step, NULL);
	}
	for (i = 0; i < ROLE_MAX; i++) {
		if (p->roles[i].pid <= 0)
			continue;
		log_warn("role %s did not stop in %d s; killing it",
		    p->roles[i].def->name, ROLE_STOP_GRACE);
		kill(p->roles[i].pid, SIGKILL);
		if (waitpid(p->roles[i].pid, &status, 0) > 0)
			p->roles[i].pid = 0;
	}
	while ((d = p->draining) != NULL) {
		log_warn("role %s (old pid %ld) did not stop in %d s; killing "
		    "it", d->def->name, (long)d->pid, ROLE_STOP_GRACE);
		kill(d->pid, SIGKILL);
		if (waitpid(d->pid, &status, 0) > 0)
			parent_role_reap(p, d->pid, status);
		else
			role_drain_free(p, d);
	}
}

/*
 * SIGHUP: what changes for one role, in words for the log ("program
 * changed, listeners changed"), or an empty string.
 */
static void
role_changes(const struct role_conf *oc, const struct role_conf *nc,
    int listen_changed, int user_changed, char *buf, size_t len)
{
	const char *what[4];
	size_t i, n = 0, off = 0;
	int args = oc->nargs != nc->nargs;

	for (i = 0; !args && i < nc->nargs; i++)
		args = strcmp(oc->args[i], nc->args[i]) != 0;
	if (strcmp(oc->program, nc->program) != 0)
		what[n++] = "program";
	if (args)
		what[n++] = "args";
	if (listen_changed)
		what[n++] = "listeners";
	if (user_changed)
		what[n++] = "user";
	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s changed",
		    i > 0 ? ", " : "", what[i]);
}

int
parent_roles_plan(struct parent *p, const struct broker_config *n,
    unsigned listen_changed, int user_changed,
    struct parent_roles_plan *plan, char **cause)
{
	const struct role_conf *oc, *nc;
	struct stat st;
	int i;

	memset(plan, 0, sizeof(*plan));
	for (i = 0; i < ROLE_MAX; i++) {
		oc = &p->conf->roles[i];
		nc = &n->roles[i];
		if (!oc->enabled && !nc->enabled)
			continue;
		if (!nc->enabled) {
			plan->act[i] = ROLE_STOP;
			str_copy(plan->why[i], "disabled",
			    sizeof(plan->why[i]));
			continue;
		}
		if (!oc->enabled) {
			plan->act[i] = ROLE_START;
			str_copy(plan->why[i], "enabled",
			    sizeof(plan->why[i]));
		} else {
			role_changes(oc, nc, (listen_changed >> i) & 1,
			    user_changed, plan->why[i], sizeof(plan->why[i]));
			if (plan->why[i][0] == '\0')
				continue;
			plan->act[i] = ROLE_REPLACE;
		}
		/*
		 * An exec that fails would leave the role down once the old
		 * instance is drained: check what can be checked now.
		 */
		if (stat(nc->program, &st) == -1) {
			*cause = xasprintf("roles.%s.program %s: %s",
			    role_defs[i].name, nc->program, strerror(errno));
			return -1;
		}
		if (!S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0) {
			*cause = xasprintf("roles.%s.program %s: not an "
			    "executable file", role_defs[i].name, nc->program);
			return -1;
		}
	}
	return 0;
}

void
parent_roles_retire(struct parent *p, const struct parent_roles_plan *plan)
{
	struct role *r;
	int i;

	for (i = 0; i < ROLE_MAX; i++) {
		if (plan->act[i] != ROLE_STOP && plan->act[i] != ROLE_REPLACE)
			continue;
		r = &p->roles[i];
		if (r->ev_restart != NULL)	/* a restart pending */
			evtimer_del(r->ev_restart);
		if (r->pid <= 0) {
			role_close(r);
			log_info("SIGHUP: role %s %s (%s); it was not running",
			    r->def->name, plan->act[i] == ROLE_STOP ?
			    "stopped" : "replaced", plan->why[i]);
			continue;
		}
		log_info("SIGHUP: role %s %s (%s); old pid %ld serves what "
		    "it has open for up to %u s (drain_timeout)",
		    r->def->name, plan->act[i] == ROLE_STOP ? "stopped" :
		    "replaced", plan->why[i], (long)r->pid,
		    p->conf->drain_timeout);
		role_drain(p, r);
	}
}

void
parent_roles_resume(struct parent *p, const struct parent_roles_plan *plan)
{
	struct role *r;
	int i;

	for (i = 0; i < ROLE_MAX; i++) {
		if (plan->act[i] != ROLE_START && plan->act[i] != ROLE_REPLACE)
			continue;
		r = &p->roles[i];
		if (plan->act[i] == ROLE_START)
			log_info("SIGHUP: role %s started (enabled)",
			    r->def->name);
		/* a deliberate start: no backoff from an earlier crash */
		r->backoff = ROLE_BACKOFF_MIN;
		role_start(p, r);
	}
}

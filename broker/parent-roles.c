#include "config.h"

#include <sys/prctl.h>
#include <sys/resource.h>
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
#include "common/xmalloc.h"

#define ROLE_BACKOFF_MIN	1	/* seconds */
#define ROLE_STABLE_AFTER	60	/* a run this long resets the backoff */
#define ROLE_STOP_GRACE		5	/* seconds between SIGTERM and SIGKILL */

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
	if ((err = parent_role_send_setup(p, r)) != 0)
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
 * Stop every role: SIGTERM, then wait up to ROLE_STOP_GRACE seconds for
 * them to exit before SIGKILL.  Runs outside the event loop, at shutdown.
 */
void
parent_roles_stop(struct parent *p)
{
	struct timespec step = { 0, 50 * 1000 * 1000 };
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
	for (tries = 0; tries < ROLE_STOP_GRACE * 20; tries++) {
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			parent_role_reap(p, pid, status);
		for (left = 0, i = 0; i < ROLE_MAX; i++)
			left += p->roles[i].pid > 0;
		if (left == 0)
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
}

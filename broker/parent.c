/*
 * vnf-brokerd: the privileged parent.
 *
 * It loads the configuration, attaches the guest networks, forks the roles
 * as an unprivileged user, answers their privileged requests, restarts a
 * role that dies, applies its configuration again on SIGHUP (replacing
 * the roles it changes while their sessions drain) and, on SIGTERM, stops
 * the roles and detaches every network so nothing of the broker's is left
 * behind.  It parses no network input.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/conf.h"
#include "broker/parent.h"
#include "broker/proxy-keys.h"
#include "broker/ssh-hostkeys.h"
#include "common/error.h"
#include "common/log.h"
#include "common/strutil.h"
#include "common/xmalloc.h"

static int debug;	/* -d: debug level whatever log.level says */

static void __attribute__((noreturn))
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: vnf-brokerd [-d] [-c file] [--check-config]\n"
	    "       vnf-brokerd [-c file] --print-host-keys\n"
	    "       vnf-brokerd --print-default-config | --version\n"
	    "  -c, --config FILE      configuration (default %s)\n"
	    "  -t, --check-config     check the configuration and exit\n"
	    "  -d, --debug            log at debug level\n"
	    "      --print-host-keys  print the jump host's key fingerprints "
	    "(made on first use)\n"
	    "      --print-default-config\n"
	    "                         print the embedded default and exit\n"
	    "  -V, --version          print the version and exit\n",
	    CONFIG_DEFAULT_PATH);
	exit(code);
}

/*
 * A directory of ours: created with mode, owned by root, no symlink, not
 * writable by group or others.  Anything else could let another user
 * plant files the parent would trust.
 */
static void
parent_own_dir(const char *path, mode_t mode, const char *what)
{
	struct stat st;
	char *tmp, *slash;

	tmp = xstrdup(path);
	for (slash = strchr(tmp + 1, '/'); slash != NULL;
	    slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(tmp, 0755) == -1 && errno != EEXIST)
			fatal("%s %s: cannot create %s: %s", what, path, tmp,
			    strerror(errno));
		*slash = '/';
	}
	free(tmp);
	if (mkdir(path, mode) == -1 && errno != EEXIST)
		fatal("%s %s: cannot create: %s", what, path, strerror(errno));
	if (lstat(path, &st) == -1)
		fatal("%s %s: %s", what, path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		fatal("%s %s: not a directory", what, path);
	if (st.st_uid != 0)
		fatal("%s %s: owned by uid %u, not root; fix with chown root",
		    what, path, (unsigned)st.st_uid);
	if (st.st_mode & 022)
		fatal("%s %s: writable by group or others (mode %04o); fix "
		    "with chmod %04o", what, path, (unsigned)(st.st_mode & 07777),
		    (unsigned)mode);
}

/* One instance per run directory: a locked pid file. */
static int
parent_pidfile(const char *run_dir, char **path)
{
	char buf[32];
	ssize_t n;
	int fd;

	*path = xasprintf("%s/vnf-brokerd.pid", run_dir);
	if ((fd = open(*path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0644)) == -1)
		fatal("pid file %s: %s", *path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		fatal("another vnf-brokerd is running with run_dir %s (pid %s)",
		    run_dir, buf[0] ? buf : "?");
	}
	if (ftruncate(fd, 0) == -1 ||
	    dprintf(fd, "%ld\n", (long)getpid()) < 0)
		fatal("pid file %s: %s", *path, strerror(errno));
	return fd;
}

/* Tell systemd we are ready, when it is listening (Type=notify). */
static void
parent_notify(const char *state)
{
	struct sockaddr_un sun;
	const char *path = getenv("NOTIFY_SOCKET");
	socklen_t len;
	int fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    strlen(path) >= sizeof(sun.sun_path))
		return;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path));
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&sun, len) == -1)
		log_warn("notifying systemd: %s", strerror(errno));
	close(fd);
}

/* SIGHUP with a file that does not parse: each error, then the verdict. */
static void
parent_reload_errors(struct diags *d)
{
	char *first;
	size_t i;

	for (i = 0; i < d->n; i++) {
		struct diags one = *d;

		one.v = &d->v[i];
		one.n = 1;
		one.nerrors = d->v[i].severity == DIAG_ERROR;
		if ((first = diags_first_error(&one)) != NULL)
			log_error("%s", first);
		free(first);
	}
	log_error("SIGHUP: %s has %zu error%s; the running configuration is "
	    "kept", d->file, d->nerrors, d->nerrors == 1 ? "" : "s");
}

/*
 * What SIGHUP cannot change in a running broker (as sshd keeps what its
 * listener process set up): said key by key, and the running value put
 * back into n, so everything after works with the directories in use.
 */
static void
parent_reload_restart_only(const struct broker_config *o,
    struct broker_config *n)
{
	if (strcmp(n->state_dir, o->state_dir) != 0) {
		log_warn("SIGHUP: state_dir changed (%s to %s): needs a "
		    "restart; %s stays in use", o->state_dir, n->state_dir,
		    o->state_dir);
		free(n->state_dir);
		n->state_dir = xstrdup(o->state_dir);
	}
	if (strcmp(n->run_dir, o->run_dir) != 0) {
		log_warn("SIGHUP: run_dir changed (%s to %s): needs a "
		    "restart; %s stays in use", o->run_dir, n->run_dir,
		    o->run_dir);
		free(n->run_dir);
		n->run_dir = xstrdup(o->run_dir);
	}
	if ((n->audit_log == NULL) != (o->audit_log == NULL) ||
	    (n->audit_log != NULL && strcmp(n->audit_log, o->audit_log) != 0))
		log_warn("SIGHUP: audit_log changed: needs a restart; the "
		    "roles keep writing where they do");
	if (n->log_syslog != o->log_syslog)
		log_warn("SIGHUP: log.target changed: needs a restart");
}

/*
 * SIGHUP: apply broker.yaml as a whole, or not at all.  Everything that
 * can fail is done first and undone on failure (parse, key material, the
 * user, the role programs, binding new listeners); only then does
 * anything change: replaced roles drain, networks and views change, the
 * new listener set and role configuration go in force, new instances
 * start.  Unchanged listeners keep their socket, so their port never
 * stops accepting; unchanged roles keep running and get their new view.
 */
static void
parent_reload(struct parent *p)
{
	struct broker_config *n, *o = p->conf;
	struct parent_listen_plan lp;
	struct parent_roles_plan rp;
	struct role_conf rc;
	struct passwd *pw;
	struct diags d;
	const char *path;
	char *cause = NULL, *s;
	uid_t uid = p->uid;
	gid_t gid = p->gid;
	int i, user_changed;

	path = strcmp(o->path, "(embedded default)") == 0 ? NULL : o->path;
	n = config_load(path, &d);
	if (n == NULL) {
		parent_reload_errors(&d);
		diags_free(&d);
		return;
	}
	diags_free(&d);
	parent_reload_restart_only(o, n);
	/* Key material, as at start (read from state_dir, made if new). */
	if (sshr_hostkeys_setup(n, &cause) != 0 ||
	    proxy_keys_prepare(n, &cause) != 0)
		goto refused;
	if ((user_changed = strcmp(n->user, o->user) != 0)) {
		if ((pw = getpwnam(n->user)) == NULL) {
			cause = xasprintf("user \"%s\" does not exist",
			    n->user);
			goto refused;
		}
		if (pw->pw_uid == 0) {
			cause = xasprintf("user \"%s\" is root; roles must run "
			    "unprivileged", n->user);
			goto refused;
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}
	if (parent_listeners_prepare(p, n, gid, &lp, &cause) != 0)
		goto refused;
	if (parent_roles_plan(p, n, lp.changed, user_changed, &rp,
	    &cause) != 0) {
		parent_listeners_abort(p, &lp);
		goto refused;
	}

	/* Nothing can fail from here on. */
	if (n->log_level != o->log_level && !debug) {
		log_info("SIGHUP: log.level %s (was %s): for the parent and "
		    "the role instances started from now on",
		    log_level_name(n->log_level), log_level_name(o->log_level));
		log_set_level(n->log_level);
	}
	if (user_changed)
		log_info("SIGHUP: user %s (uid %lu) replaces %s (uid %lu) for "
		    "the roles", n->user, (unsigned long)uid, o->user,
		    (unsigned long)p->uid);
	/* A replaced instance drains for the new file's drain_timeout. */
	o->drain_timeout = n->drain_timeout;
	parent_roles_retire(p, &rp);
	parent_config_reload(p, n);	/* networks, views: state's part */
	parent_listeners_commit(p, n, &lp);
	for (i = 0; i < ROLE_MAX; i++) {
		rc = o->roles[i];
		o->roles[i] = n->roles[i];
		n->roles[i] = rc;
	}
	s = o->user;
	o->user = n->user;
	n->user = s;
	p->uid = uid;
	p->gid = gid;
	parent_roles_resume(p, &rp);
	config_free(n);
	log_info("SIGHUP: %s reloaded", o->path);
	return;
refused:
	log_error("SIGHUP: %s; the running configuration is kept", cause);
	free(cause);
	config_free(n);
}

static void
parent_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct parent *p = arg;
	pid_t pid;
	int status;

	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("%s: shutting down", strsignal((int)sig));
		event_base_loopbreak(p->base);
		break;
	case SIGCHLD:
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			parent_role_reap(p, pid, status);
		break;
	case SIGHUP:
		parent_reload(p);
		break;
	}
}

/* Remove namespaces an earlier run left behind (it was killed). */
static void
parent_remove_leftovers(void)
{
	char **names, *cause = NULL;
	int i, n;

	if ((n = netns_list_owned(&names)) < 0) {
		log_warn("listing leftover namespaces: %s", err_str(n));
		return;
	}
	for (i = 0; i < n; i++) {
		log_warn("removing namespace %s left by an earlier run",
		    names[i]);
		if (netns_remove_stale(names[i], &cause) != 0) {
			log_error("%s", cause);
			free(cause);
			cause = NULL;
		}
	}
	netns_names_free(names, n);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 't' },
		{ "debug", no_argument, NULL, 'd' },
		{ "print-default-config", no_argument, NULL, 'P' },
		{ "print-host-keys", no_argument, NULL, 'K' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const int sigs[] = { SIGTERM, SIGINT, SIGCHLD, SIGHUP };
	struct event *sigev[sizeof(sigs) / sizeof(sigs[0])];
	const char *config_path = NULL;
	char *cause = NULL, *owner_dir, *pidpath;
	struct parent p;
	struct passwd *pw;
	struct diags d;
	size_t i;
	int ch, check = 0, pidfd, print_keys = 0;

	while ((ch = getopt_long(argc, argv, "c:tdVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 't':
			check = 1;
			break;
		case 'd':
			debug = 1;
			break;
		case 'P':
			fputs(config_default_yaml, stdout);
			return 0;
		case 'K':
			print_keys = 1;
			break;
		case 'V':
			printf("vnf-brokerd %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);

	log_init("parent", debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO, 0);
	memset(&p, 0, sizeof(p));
	p.conf = config_load(config_path, &d);
	diags_print(&d, stderr);
	if (p.conf == NULL) {
		fprintf(stderr, "%s: %zu error%s\n", d.file, d.nerrors,
		    d.nerrors == 1 ? "" : "s");
		diags_free(&d);
		return 1;
	}
	if (check) {
		printf("%s: configuration OK (%zu network%s)\n", d.file,
		    p.conf->nnetworks, p.conf->nnetworks == 1 ? "" : "s");
		diags_free(&d);
		config_free(p.conf);
		return 0;
	}
	diags_free(&d);
	log_init("parent", debug ? LOG_LEVEL_DEBUG : p.conf->log_level,
	    p.conf->log_syslog);

	if (geteuid() != 0)
		fatal("must be started as root: the parent needs CAP_NET_ADMIN "
		    "and CAP_SYS_ADMIN for network namespaces (roles run as "
		    "\"%s\")", p.conf->user);
	if ((pw = getpwnam(p.conf->user)) == NULL)
		fatal("user \"%s\" does not exist: create it (systemd-sysusers "
		    "vnf-broker.conf, or adduser --system %s) or set user: in "
		    "%s", p.conf->user, p.conf->user, p.conf->path);
	if (pw->pw_uid == 0)
		fatal("user \"%s\" is root; roles must run unprivileged",
		    p.conf->user);
	p.uid = pw->pw_uid;
	p.gid = pw->pw_gid;

	umask(022);
	parent_own_dir(p.conf->state_dir, 0700, "state_dir");
	/* Key material the unprivileged roles cannot make or keep. */
	if (print_keys) {
		ch = sshr_hostkeys_print(p.conf, stdout);
		config_free(p.conf);
		return ch;
	}
	if (sshr_hostkeys_setup(p.conf, &cause) != 0)
		fatal("%s", cause);
	parent_own_dir(p.conf->run_dir, 0755, "run_dir");
	if (proxy_keys_prepare(p.conf, &cause) != 0)
		fatal("proxy TLS certificate: %s", cause);
	pidfd = parent_pidfile(p.conf->run_dir, &pidpath);
	signal(SIGPIPE, SIG_IGN);

	owner_dir = xasprintf("%s/netns", p.conf->run_dir);
	if (netns_init(owner_dir, &cause) != 0)
		fatal("%s", cause);
	parent_remove_leftovers();
	for (i = 0; i < p.conf->nnetworks; i++) {
		if (parent_net_attach(&p, &p.conf->networks[i], &cause) != 0) {
			log_error("%s", cause);
			free(cause);
			parent_net_detach_all(&p);
			netns_shutdown();
			unlink(pidpath);
			fatal("%s: network %s could not be attached; nothing "
			    "was left half-built", p.conf->path,
			    p.conf->networks[i].name);
		}
	}

	/* H2: state: what the API registered, after broker.yaml's */
	parent_state_load(&p);
	parent_listeners_open(&p);
	parent_audit_open(&p);

	if ((p.base = event_base_new()) == NULL)
		fatal("event_base_new failed");
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigev[i] = evsignal_new(p.base, sigs[i], parent_on_signal, &p);
		evsignal_add(sigev[i], NULL);
	}
	parent_stats_open(&p);
	parent_roles_start(&p);
	log_info("vnf-brokerd %s ready: %zu network%s attached", PACKAGE_VERSION,
	    p.nnets, p.nnets == 1 ? "" : "s");
	parent_notify("READY=1");

	event_base_dispatch(p.base);

	parent_notify("STOPPING=1");
	parent_roles_stop(&p);
	parent_net_detach_all(&p);
	netns_shutdown();
	parent_listeners_close(&p);
	parent_stats_close(&p);
	if (p.audit_fd >= 0)
		close(p.audit_fd);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		event_free(sigev[i]);
	event_base_free(p.base);
	unlink(pidpath);
	close(pidfd);
	free(pidpath);
	free(owner_dir);
	parent_state_free(&p);
	config_free(p.conf);
	log_info("stopped");
	return 0;
}

/*
 * The read-only troubleshooting console (ssh.console: true): what a
 * `shell` request on a session channel gets instead of a shell.
 *
 *   help                 the commands
 *   targets              what this user may reach: name, network,
 *                        address, allowed ports
 *   check TARGET PORT    a TCP connect to TARGET:PORT from the broker, in
 *                        the target's network: reachable, refused or
 *                        timed out, with the time it took
 *   health               the same check on every allowed port of every
 *                        target listed, one line each
 *   exit, quit, EOF      the end
 *
 * Access is decided as for direct-tcpip (ssh-splice.c): access_resolve(),
 * access_check() and the key's own narrowing (no-port-forwarding,
 * permitopen=); a target that may not be reached is neither listed nor
 * checked.  Nothing runs: no process, no thread, no file.  The checks are
 * non-blocking connects on sockets the parent makes in the target's
 * namespace, driven by the role's event loop like tunnels.
 *
 * Bounds: a line is at most SSHR_CONSOLE_LINE characters; raw input is
 * taken from libssh only while fewer than SSHR_CONSOLE_IN bytes wait (the
 * rest stays in the channel, whose window the client cannot exceed); one
 * command runs at a time, the next line is read only when its output has
 * gone to the client; a command's output is at most SSHR_CONSOLE_OUT
 * bytes (the rest is cut with a note), a listing at most
 * SSHR_CONSOLE_LIST_MAX lines, health at most SSHR_CONSOLE_PROBES checks.
 *
 * With a PTY (ssh -t) the client's terminal is raw: the console echoes,
 * handles backspace, ^C, ^U and ^D, and ends lines with CR LF.  Without
 * one (echo health | ssh ops@broker), input is taken as it comes, lines
 * end with LF, nothing is echoed.
 *
 * Every command is one audit line (event "console"): the command in
 * `reason` with its result, the target's network, address and port for
 * `check`.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/audit.h"
#include "broker/ssh-role.h"
#include "common/log.h"
#include "common/strutil.h"
#include "common/xmalloc.h"

#define SSHR_CONSOLE_LINE	256	/* characters in one command line */
#define SSHR_CONSOLE_IN		1024	/* raw input bytes held */
#define SSHR_CONSOLE_OUT	(32 * 1024)	/* one command's output */
#define SSHR_CONSOLE_NOTE	96	/* kept free for the "cut" note */
#define SSHR_CONSOLE_LIST_MAX	200	/* lines of `targets` */
#define SSHR_CONSOLE_PROBES	64	/* checks in one `health` */
#define SSHR_CONSOLE_PROMPT	"vnf-broker> "

struct sshr_probe {
	struct sshr_console	*c;
	struct target		 t;
	char			 host[ACCESS_NAME_MAX + 1];	/* as listed */
	long			 sock_req;
	int			 fd;
	struct event		*ev;
	struct timespec		 started;
	long long		 us;		/* how long it took */
	int			 done;
	int			 reachable;
	char			 result[SSHR_REASON_MAX];
};

struct sshr_console {
	struct sshr_session	*s;
	ssh_channel		 ch;
	struct ssh_channel_callbacks_struct cb;
	int			 pty;		/* a pty-req came first */
	int			 shell;		/* the console is running */
	int			 client_eof, client_closed;
	int			 ending;	/* exit: close once flushed */
	int			 dead;		/* to be freed by the pump */
	/* input */
	unsigned char		 in[SSHR_CONSOLE_IN];
	size_t			 inlen;
	size_t			 ssh_pending;	/* left in libssh's buffer */
	char			 line[SSHR_CONSOLE_LINE + 1];
	size_t			 llen;
	int			 overlong;	/* the line passed the limit */
	int			 last_cr;	/* PTY: swallow LF after CR */
	/* output of the command being run */
	char			 out[SSHR_CONSOLE_OUT];
	size_t			 outlen, outoff;
	int			 cut;		/* output was cut */
	/* checks in flight (check, health) */
	struct sshr_probe	*probes;
	size_t			 nprobes, ndone;
	int			 health;	/* 1: health, 0: check */
	char			 cmd[SSHR_CONSOLE_LINE + 1];	/* for audit */
};

static void	sshr_console_prompt(struct sshr_console *);

ssh_channel
sshr_console_channel(const struct sshr_console *c)
{
	return c->ch;
}

int
sshr_console_dead(const struct sshr_console *c)
{
	return c->dead;
}

/* --- output -------------------------------------------------------- */

/* Append text, CR LF for LF on a PTY, within the bound. */
static void
sshr_console_put(struct sshr_console *c, const char *text)
{
	size_t room;

	for (; *text != '\0'; text++) {
		room = sizeof(c->out) - SSHR_CONSOLE_NOTE - c->outlen;
		if (room < 2) {
			c->cut = 1;
			return;
		}
		if (*text == '\n' && c->pty)
			c->out[c->outlen++] = '\r';
		c->out[c->outlen++] = *text;
	}
}

static void
sshr_console_printf(struct sshr_console *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sshr_console_printf(struct sshr_console *c, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sshr_console_put(c, buf);
}

/* The command is over: say so if its output was cut, then prompt. */
static void
sshr_console_done(struct sshr_console *c)
{
	if (c->cut) {
		c->cut = 0;
		/* The note has its reserved room. */
		snprintf(c->out + c->outlen, SSHR_CONSOLE_NOTE, "%s... output "
		    "cut at %d bytes%s", c->pty ? "\r\n" : "\n",
		    SSHR_CONSOLE_OUT, c->pty ? "\r\n" : "\n");
		c->outlen += strlen(c->out + c->outlen);
	}
	if (!c->ending)
		sshr_console_prompt(c);
}

static void
sshr_console_prompt(struct sshr_console *c)
{
	sshr_console_put(c, SSHR_CONSOLE_PROMPT);
}

/* Send what the client's window takes. */
static void
sshr_console_flush(struct sshr_console *c)
{
	uint32_t room;
	size_t n;
	int w;

	while (c->outoff < c->outlen) {
		if ((room = ssh_channel_window_size(c->ch)) == 0)
			return;
		n = c->outlen - c->outoff;
		if (n > room)
			n = room;
		w = ssh_channel_write(c->ch, c->out + c->outoff, (uint32_t)n);
		if (w == SSH_ERROR) {
			c->dead = 1;
			return;
		}
		if (w == 0)
			return;
		c->outoff += (size_t)w;
	}
	c->outlen = c->outoff = 0;
}

/* --- audit --------------------------------------------------------- */

static void
sshr_console_audit(struct sshr_console *c, const struct target *t,
    const char *outcome, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
sshr_console_audit(struct sshr_console *c, const struct target *t,
    const char *outcome, const char *fmt, ...)
{
	struct sshr_session *s = c->s;
	struct audit_rec rec;
	char reason[SSHR_CONSOLE_LINE + SSHR_REASON_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	audit_rec_init(&rec, "console");
	rec.user = s->user;
	rec.credential = s->cred[0] ? s->cred : NULL;
	rec.key_id = s->key_id[0] ? s->key_id : NULL;
	rec.source = s->peer;
	if (t != NULL) {
		rec.target = t->name[0] ? t->name : NULL;
		rec.network = t->network[0] ? t->network : NULL;
		rec.address = t->address[0] ? t->address : NULL;
		rec.port = t->port;
	}
	rec.outcome = outcome;
	rec.reason = reason;
	audit_write(&rec);
}

/* --- access: as for direct-tcpip ----------------------------------- */

/* May this session reach host:port?  Fills *t; *why when not. */
static int
sshr_console_may(struct sshr_console *c, const char *host, uint16_t port,
    struct target *t, const char **why)
{
	struct sshr_session *s = c->s;
	struct sshr_server *srv = s->srv;

	if (access_resolve(srv->access, host, port, t, why) != ACCESS_OK)
		return 0;
	if (!s->grant.port_forwarding) {
		*why = "not permitted: forwarding is disabled for this key "
		    "or certificate";
		return 0;
	}
	if (access_check(srv->access, s->user, t, why) != ACCESS_OK)
		return 0;
	if (!sshr_permitopen_ok(&s->grant, host, t)) {
		*why = "not permitted by the key's permitopen";
		return 0;
	}
	return 1;
}

/*
 * The appliances this session may reach, each with its allowed ports
 * (written into ports[], at most nports); calls fn for each.  Returns how
 * many there were (listed or not).
 */
static size_t
sshr_console_each(struct sshr_console *c,
    void (*fn)(struct sshr_console *, const struct target *,
    const uint16_t *, size_t, void *), void *arg)
{
	uint16_t ports[64];
	struct target t, first;
	const char *why, *name;
	json_t *app, *p;
	size_t i, j, n, count = 0;
	json_int_t v;

	memset(&first, 0, sizeof(first));
	json_array_foreach(c->s->srv->appliances, i, app) {
		name = json_string_value(json_object_get(app, "name"));
		if (name == NULL)
			continue;
		n = 0;
		json_array_foreach(json_object_get(app, "ports"), j, p) {
			v = json_integer_value(p);
			if (v < 1 || v > 65535 || n == sizeof(ports) /
			    sizeof(ports[0]))
				continue;
			if (sshr_console_may(c, name, (uint16_t)v, &t, &why)) {
				if (n == 0)
					first = t;
				ports[n++] = (uint16_t)v;
			}
		}
		if (n == 0)
			continue;
		fn(c, &first, ports, n, arg);
		count++;
	}
	return count;
}

/* --- commands ------------------------------------------------------ */

static void
sshr_console_help(struct sshr_console *c)
{
	sshr_console_put(c,
	    "Read-only console of the vnf-broker jump host.\n"
	    "  targets              what you may reach: name, network, "
	    "address, ports\n"
	    "  check TARGET PORT    TCP connect from the broker to TARGET:PORT"
	    "\n"
	    "                       (an appliance name or ADDRESS.NETWORK)\n"
	    "  health               check every allowed port of every target"
	    "\n"
	    "  help                 this text\n"
	    "  exit, quit           leave (or end of input)\n"
	    "To reach a target: ssh -J USER@BROKER TARGET\n");
	sshr_console_audit(c, NULL, "allowed", "help");
}

struct sshr_list_state {
	size_t	lines;
};

static void
sshr_console_list_one(struct sshr_console *c, const struct target *t,
    const uint16_t *ports, size_t n, void *arg)
{
	struct sshr_list_state *st = arg;
	char list[64 * 6 + 1];
	size_t i, off = 0;

	if (st->lines++ >= SSHR_CONSOLE_LIST_MAX)
		return;
	list[0] = '\0';
	for (i = 0; i < n && off < sizeof(list) - 7; i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%u",
		    i ? "," : "", ports[i]);
	sshr_console_printf(c, "%-24s %-16s %-24s %s\n", t->appliance,
	    t->network, t->address, list);
}

/* Network grants: any address in a network, on the grant's ports. */
static size_t
sshr_console_list_networks(struct sshr_console *c, size_t *lines)
{
	struct sshr_session *s = c->s;
	json_t *u, *g, *n, *p;
	char list[64 * 6 + 1];
	size_t i, j, k, off, count = 0;

	/* A key narrowed by permitopen= lists what it names, no network. */
	if (!s->grant.port_forwarding || s->grant.npermitopen > 0)
		return 0;
	if ((u = access_user(s->srv->access, s->user)) == NULL)
		return 0;
	json_array_foreach(json_object_get(u, "grants"), i, g) {
		if (json_object_get(g, "ports") == NULL)
			continue;
		off = 0;
		list[0] = '\0';
		json_array_foreach(json_object_get(g, "ports"), k, p)
			if (off < sizeof(list) - 7)
				off += (size_t)snprintf(list + off,
				    sizeof(list) - off, "%s%lld", k ? "," : "",
				    (long long)json_integer_value(p));
		json_array_foreach(json_object_get(g, "networks"), j, n) {
			const char *name = json_string_value(n);

			if (name == NULL)
				continue;
			count++;
			if ((*lines)++ >= SSHR_CONSOLE_LIST_MAX)
				continue;
			sshr_console_printf(c, "%-24s %-16s %-24s %s\n",
			    "(any address)", strcmp(name, "*") == 0 ?
			    "(every network)" : name, "ADDRESS.NETWORK", list);
		}
	}
	return count;
}

static void
sshr_console_targets(struct sshr_console *c)
{
	struct sshr_list_state st = { 0 };
	size_t n, nets;

	if (!c->s->grant.port_forwarding) {
		sshr_console_put(c, "No targets: forwarding is disabled for "
		    "this key or certificate.\n");
		sshr_console_audit(c, NULL, "allowed", "targets: none "
		    "(forwarding disabled)");
		return;
	}
	sshr_console_printf(c, "%-24s %-16s %-24s %s\n", "TARGET", "NETWORK",
	    "ADDRESS", "PORTS");
	n = sshr_console_each(c, sshr_console_list_one, &st);
	nets = sshr_console_list_networks(c, &st.lines);
	if (st.lines > SSHR_CONSOLE_LIST_MAX)
		sshr_console_printf(c, "... and %zu more\n",
		    st.lines - SSHR_CONSOLE_LIST_MAX);
	if (n + nets == 0)
		sshr_console_put(c, "(none: no grant covers any target)\n");
	sshr_console_audit(c, NULL, "allowed", "targets: %zu appliance%s, "
	    "%zu network grant%s", n, n == 1 ? "" : "s", nets,
	    nets == 1 ? "" : "s");
}

/* --- checks -------------------------------------------------------- */

static long long
sshr_us_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)(now.tv_sec - t->tv_sec) * 1000000 +
	    (now.tv_nsec - t->tv_nsec) / 1000;
}

static void
sshr_probe_release(struct sshr_probe *p)
{
	if (p->sock_req > 0)
		role_socket_cancel(p->c->s->srv->rt, p->sock_req);
	p->sock_req = 0;
	if (p->ev != NULL)
		event_free(p->ev);
	p->ev = NULL;
	if (p->fd != -1)
		close(p->fd);
	p->fd = -1;
}

static void
sshr_probes_free(struct sshr_console *c)
{
	size_t i;

	for (i = 0; i < c->nprobes; i++)
		sshr_probe_release(&c->probes[i]);
	free(c->probes);
	c->probes = NULL;
	c->nprobes = c->ndone = 0;
}

static void
sshr_probe_line(struct sshr_console *c, const struct sshr_probe *p)
{
	sshr_console_printf(c, "%s:%u (%s %s): %s in %lld.%01lld ms\n",
	    p->host, p->t.port, p->t.network, p->t.address, p->result,
	    p->us / 1000, (p->us % 1000) / 100);
}

/* Every check of the command has an answer: print, audit, prompt. */
static void
sshr_console_checks_done(struct sshr_console *c)
{
	struct sshr_probe *p;
	size_t i, up = 0;

	for (i = 0; i < c->nprobes; i++) {
		p = &c->probes[i];
		up += p->reachable;
		sshr_probe_line(c, p);
	}
	if (c->health) {
		sshr_console_printf(c, "%zu of %zu reachable\n", up,
		    c->nprobes);
		sshr_console_audit(c, NULL, "allowed", "health: %zu of %zu "
		    "reachable", up, c->nprobes);
	} else {
		p = &c->probes[0];
		sshr_console_audit(c, &p->t, p->reachable ? "allowed" :
		    "error", "%s: %s in %lld ms", c->cmd, p->result,
		    p->us / 1000);
	}
	sshr_probes_free(c);
	sshr_console_done(c);
}

static void
sshr_probe_finish(struct sshr_probe *p, int reachable, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
sshr_probe_finish(struct sshr_probe *p, int reachable, const char *fmt, ...)
{
	struct sshr_console *c = p->c;
	va_list ap;

	if (p->done)
		return;
	p->us = sshr_us_since(&p->started);
	va_start(ap, fmt);
	vsnprintf(p->result, sizeof(p->result), fmt, ap);
	va_end(ap);
	p->reachable = reachable;
	p->done = 1;
	sshr_probe_release(p);
	if (++c->ndone == c->nprobes)
		sshr_console_checks_done(c);
}

static void
sshr_probe_on_connect(evutil_socket_t fd, short what, void *arg)
{
	struct sshr_probe *p = arg;
	struct sshr_session *s = p->c->s;
	socklen_t sl = sizeof(int);
	int err = 0;

	if (what & EV_TIMEOUT)
		sshr_probe_finish(p, 0, "timed out");
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1 ||
	    err != 0) {
		err = err ? err : errno;
		sshr_probe_finish(p, 0, "%s (%s)", err == ECONNREFUSED ?
		    "refused" : "unreachable", strerror(err));
	} else
		sshr_probe_finish(p, 1, "reachable");
	sshr_session_pump(s);
}

static void
sshr_probe_on_socket(int fd, const char *msg, void *arg)
{
	struct sshr_probe *p = arg;
	struct sshr_session *s = p->c->s;
	struct timeval tv = { s->srv->set.connect_timeout, 0 };

	p->sock_req = 0;
	if (fd < 0) {
		sshr_probe_finish(p, 0, "error (%s)", msg ? msg :
		    "no socket from the parent");
		goto out;
	}
	p->fd = fd;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		sshr_probe_finish(p, 0, "error (socket setup)");
		goto out;
	}
	if (connect(fd, (struct sockaddr *)&p->t.sa, p->t.salen) == 0) {
		sshr_probe_finish(p, 1, "reachable");
		goto out;
	}
	if (errno != EINPROGRESS) {
		sshr_probe_finish(p, 0, "%s (%s)", errno == ECONNREFUSED ?
		    "refused" : "unreachable", strerror(errno));
		goto out;
	}
	p->ev = event_new(s->srv->base, fd, EV_WRITE, sshr_probe_on_connect,
	    p);
	event_add(p->ev, &tv);
out:
	sshr_session_pump(s);
}

/* Ask the parent for every probe's socket; answers come in the loop. */
static void
sshr_console_checks_start(struct sshr_console *c)
{
	struct sshr_probe *p;
	size_t i, n = c->nprobes;
	long h;

	for (i = 0; i < n && c->probes != NULL; i++) {
		p = &c->probes[i];
		clock_gettime(CLOCK_MONOTONIC, &p->started);
		h = role_socket(c->s->srv->rt, p->t.network,
		    p->t.sa.ss_family, sshr_probe_on_socket, p);
		if (h < 0)
			sshr_probe_finish(p, 0, "error (too many connections "
			    "being opened)");
		else
			p->sock_req = h;
	}
}

static struct sshr_probe *
sshr_console_probe_add(struct sshr_console *c, const char *host,
    const struct target *t)
{
	struct sshr_probe *p;

	c->probes = xreallocarray(c->probes, c->nprobes + 1,
	    sizeof(*c->probes));
	p = &c->probes[c->nprobes++];
	memset(p, 0, sizeof(*p));
	p->c = c;
	p->fd = -1;
	p->t = *t;
	str_copy(p->host, host, sizeof(p->host));
	return p;
}

static void
sshr_console_health_one(struct sshr_console *c, const struct target *t,
    const uint16_t *ports, size_t n, void *arg)
{
	struct target one;
	const char *why;
	size_t i;

	for (i = 0; i < n; i++) {
		if (c->nprobes == SSHR_CONSOLE_PROBES) {
			(*(size_t *)arg)++;
			continue;
		}
		if (sshr_console_may(c, t->appliance, ports[i], &one, &why))
			sshr_console_probe_add(c, t->appliance, &one);
	}
}

static void
sshr_console_health(struct sshr_console *c)
{
	size_t skipped = 0;

	c->health = 1;
	if (!c->s->grant.port_forwarding) {
		sshr_console_put(c, "Nothing to check: forwarding is disabled "
		    "for this key or certificate.\n");
		sshr_console_audit(c, NULL, "allowed", "health: nothing to "
		    "check");
		sshr_console_done(c);
		return;
	}
	sshr_console_each(c, sshr_console_health_one, &skipped);
	if (skipped > 0)
		sshr_console_printf(c, "(only the first %d checks; %zu more "
		    "not run)\n", SSHR_CONSOLE_PROBES, skipped);
	if (c->nprobes == 0) {
		sshr_console_put(c, "Nothing to check: no grant names an "
		    "appliance (network grants: check ADDRESS.NETWORK PORT).\n");
		sshr_console_audit(c, NULL, "allowed", "health: nothing to "
		    "check");
		sshr_console_done(c);
		return;
	}
	sshr_console_checks_start(c);
}

/* "1" to "65535", nothing else; 0 when not a port. */
static uint16_t
sshr_console_port(const char *s)
{
	char *end;
	long v;

	if (s == NULL || *s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > 65535)
		return 0;
	return (uint16_t)v;
}

static void
sshr_console_check(struct sshr_console *c, const char *host,
    const char *portstr)
{
	struct target t;
	const char *why = "unknown target";
	uint16_t port;

	c->health = 0;
	if (host == NULL || (port = sshr_console_port(portstr)) == 0) {
		sshr_console_put(c, "usage: check TARGET PORT (for example: "
		    "check pfsense-001 22)\n");
		sshr_console_audit(c, NULL, "denied", "%s: usage", c->cmd);
		sshr_console_done(c);
		return;
	}
	if (!sshr_console_may(c, host, port, &t, &why)) {
		/* The same words as a refused direct-tcpip channel. */
		sshr_console_printf(c, "%s:%u: %s\n", host, port, why);
		memset(&t, 0, sizeof(t));
		str_copy(t.name, host, sizeof(t.name));
		t.port = port;
		sshr_console_audit(c, &t, "denied", "%s: %s", c->cmd, why);
		sshr_console_done(c);
		return;
	}
	sshr_console_probe_add(c, host, &t);
	sshr_console_checks_start(c);
}

/* One line, complete: run it. */
static void
sshr_console_run(struct sshr_console *c)
{
	char *argv[4], *save = NULL, *w;
	int argc = 0;

	c->line[c->llen] = '\0';
	if (c->overlong) {
		c->overlong = 0;
		c->llen = 0;
		sshr_console_printf(c, "line too long (at most %d characters)"
		    "\n", SSHR_CONSOLE_LINE);
		sshr_console_audit(c, NULL, "denied", "line too long");
		sshr_console_done(c);
		return;
	}
	str_copy(c->cmd, c->line, sizeof(c->cmd));
	c->llen = 0;
	for (w = strtok_r(c->line, " \t", &save); w != NULL && argc < 4;
	    w = strtok_r(NULL, " \t", &save))
		argv[argc++] = w;
	if (argc == 0) {
		sshr_console_done(c);
		return;
	}
	c->s->t_data = sshr_now();
	if (strcmp(argv[0], "help") == 0 || strcmp(argv[0], "?") == 0)
		sshr_console_help(c);
	else if (strcmp(argv[0], "targets") == 0 && argc == 1)
		sshr_console_targets(c);
	else if (strcmp(argv[0], "check") == 0 && argc <= 3) {
		sshr_console_check(c, argc > 1 ? argv[1] : NULL,
		    argc > 2 ? argv[2] : NULL);
		return;
	} else if (strcmp(argv[0], "health") == 0 && argc == 1) {
		sshr_console_health(c);
		return;
	} else if ((strcmp(argv[0], "exit") == 0 ||
	    strcmp(argv[0], "quit") == 0 || strcmp(argv[0], "logout") == 0) &&
	    argc == 1) {
		sshr_console_audit(c, NULL, "allowed", "%s", argv[0]);
		c->ending = 1;
	} else {
		sshr_console_printf(c, "unknown command \"%.40s\"; commands: "
		    "targets, check TARGET PORT, health, help, exit\n",
		    argv[0]);
		sshr_console_audit(c, NULL, "denied", "unknown command: %s",
		    c->cmd);
	}
	sshr_console_done(c);
}

static int
sshr_console_busy(const struct sshr_console *c)
{
	return c->nprobes > 0 || c->outlen > 0 || c->ending;
}

/* Take one input byte; a complete line runs. */
static void
sshr_console_byte(struct sshr_console *c, unsigned char ch)
{
	int was_cr = c->last_cr;

	c->last_cr = 0;
	if (ch == '\r' || ch == '\n') {
		if (!c->pty && ch == '\r')
			return;		/* CR LF from a pipe */
		if (c->pty && ch == '\n' && was_cr)
			return;		/* pasted CR LF */
		c->last_cr = ch == '\r';
		if (c->pty)
			sshr_console_put(c, "\n");
		sshr_console_run(c);
		return;
	}
	if (c->pty) {
		switch (ch) {
		case 0x03:	/* ^C: drop the line */
			sshr_console_put(c, "^C\n");
			c->llen = 0;
			c->overlong = 0;
			sshr_console_prompt(c);
			return;
		case 0x04:	/* ^D on an empty line: the end */
			if (c->llen == 0 && !c->overlong) {
				sshr_console_put(c, "\n");
				sshr_console_audit(c, NULL, "allowed", "exit "
				    "(^D)");
				c->ending = 1;
			}
			return;
		case 0x15:	/* ^U: erase the line */
			while (c->llen > 0) {
				sshr_console_put(c, "\b \b");
				c->llen--;
			}
			c->overlong = 0;
			return;
		case 0x08:
		case 0x7f:	/* backspace */
			if (c->llen > 0 && !c->overlong) {
				c->llen--;
				sshr_console_put(c, "\b \b");
			}
			return;
		}
	}
	if (ch == '\t')
		ch = ' ';
	if (ch < 0x20 || ch >= 0x7f)
		return;		/* only printable ASCII in a command */
	if (c->llen == SSHR_CONSOLE_LINE) {
		c->overlong = 1;
		return;
	}
	c->line[c->llen++] = (char)ch;
	if (c->pty) {
		char echo[2] = { (char)ch, '\0' };

		sshr_console_put(c, echo);
	}
}

/* --- libssh channel callbacks: flags and copies, never frees ------- */

static int
sshr_console_on_data(ssh_session ss, ssh_channel ch, void *data,
    uint32_t len, int is_stderr, void *arg)
{
	struct sshr_console *c = arg;
	size_t room = sizeof(c->in) - c->inlen;

	/*
	 * Clients send input as soon as the channel is open, often before
	 * the shell request is answered: it waits in c->in like any other.
	 */
	if (is_stderr || c->dead)
		return (int)len;
	if (c->ssh_pending > 0 || room == 0) {
		c->ssh_pending = len;	/* taken when we have room */
		return 0;
	}
	if (room > len)
		room = len;
	memcpy(c->in + c->inlen, data, room);
	c->inlen += room;
	c->ssh_pending = len - room;
	return (int)room;
}

static void
sshr_console_on_eof(ssh_session ss, ssh_channel ch, void *arg)
{
	struct sshr_console *c = arg;

	c->client_eof = 1;
}

static void
sshr_console_on_close(ssh_session ss, ssh_channel ch, void *arg)
{
	struct sshr_console *c = arg;

	c->client_closed = 1;
}

/* --- the channel --------------------------------------------------- */

void
sshr_console_open(struct sshr_session *s, ssh_message msg)
{
	struct sshr_console *c;
	const char *why = NULL;

	if (s->console != NULL)
		why = "one console per connection";
	else if (sshr_tunnels_live(s) >= (size_t)s->srv->set.
	    max_channels_per_session)
		why = "too many channels in this session "
		    "(max_channels_per_session)";
	if (why != NULL) {
		struct audit_rec rec;

		audit_rec_init(&rec, "channel");
		rec.user = s->user;
		rec.credential = s->cred[0] ? s->cred : NULL;
		rec.key_id = s->key_id[0] ? s->key_id : NULL;
		rec.source = s->peer;
		rec.target = "console";
		rec.outcome = "denied";
		rec.reason = why;
		audit_write(&rec);
		sshr_session_refuse(s, msg, why);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->s = s;
	c->ch = ssh_message_channel_request_open_reply_accept(msg);
	ssh_message_free(msg);
	if (c->ch == NULL) {
		free(c);
		return;
	}
	ssh_callbacks_init(&c->cb);
	c->cb.userdata = c;
	c->cb.channel_data_function = sshr_console_on_data;
	c->cb.channel_eof_function = sshr_console_on_eof;
	c->cb.channel_close_function = sshr_console_on_close;
	ssh_set_channel_callbacks(c->ch, &c->cb);
	s->console = c;
	s->t_data = sshr_now();
	log_debug("%s (%s): session channel for the console", s->peer,
	    s->user);
}

void
sshr_console_request(struct sshr_console *c, ssh_message msg)
{
	struct sshr_session *s = c->s;
	struct audit_rec rec;
	const char *what = NULL;

	switch (ssh_message_subtype(msg)) {
	case SSH_CHANNEL_REQUEST_PTY:
		if (c->shell)
			ssh_message_reply_default(msg);
		else {
			c->pty = 1;
			ssh_message_channel_request_reply_success(msg);
		}
		break;
	case SSH_CHANNEL_REQUEST_WINDOW_CHANGE:
		ssh_message_reply_default(msg);	/* no reply wanted */
		break;
	case SSH_CHANNEL_REQUEST_SHELL:
		if (c->shell) {
			ssh_message_reply_default(msg);
			break;
		}
		ssh_message_channel_request_reply_success(msg);
		c->shell = 1;
		sshr_console_audit(c, NULL, "allowed", "console started%s",
		    c->pty ? " (pty)" : "");
		log_info("%s (%s): console", s->peer, s->user);
		sshr_console_printf(c, "vnf-broker jump host: read-only console "
		    "for %s. Type help.\n", s->user);
		sshr_console_prompt(c);
		break;
	case SSH_CHANNEL_REQUEST_EXEC:
		what = "exec: commands are not run on the jump host";
		break;
	case SSH_CHANNEL_REQUEST_SUBSYSTEM:
		what = "subsystem (sftp or other) on the jump host";
		break;
	case SSH_CHANNEL_REQUEST_ENV:
		what = "env";
		break;
	case SSH_CHANNEL_REQUEST_X11:
		what = "X11 forwarding";
		break;
	default:
		what = "agent forwarding or other channel request";
		break;
	}
	if (what != NULL) {
		audit_rec_init(&rec, "request");
		rec.user = s->user;
		rec.credential = s->cred[0] ? s->cred : NULL;
		rec.key_id = s->key_id[0] ? s->key_id : NULL;
		rec.source = s->peer;
		rec.outcome = "denied";
		rec.reason = what;
		audit_write(&rec);
		if (ssh_message_subtype(msg) == SSH_CHANNEL_REQUEST_EXEC ||
		    ssh_message_subtype(msg) == SSH_CHANNEL_REQUEST_SUBSYSTEM) {
			/* Shown by the client before "request failed". */
			static const char note[] = "vnf-broker is a jump host: "
			    "no command or sftp here; ssh -t to it opens a "
			    "read-only console\r\n";

			if (!c->shell)
				ssh_channel_write_stderr(c->ch, note,
				    sizeof(note) - 1);
		}
		ssh_message_reply_default(msg);
	}
	ssh_message_free(msg);
}

void
sshr_console_service(struct sshr_console *c)
{
	unsigned char buf[SSHR_CONSOLE_IN];
	size_t i, want;
	int got;

	if (c->dead)
		return;
	if (c->client_closed) {
		c->dead = 1;
		return;
	}
	if (ssh_channel_is_closed(c->ch)) {
		c->dead = 1;
		return;
	}
	for (;;) {
		sshr_console_flush(c);
		if (c->dead || !c->shell || sshr_console_busy(c))
			break;
		/* Refill from what libssh holds for us. */
		if (c->inlen < sizeof(c->in) && c->ssh_pending > 0) {
			want = sizeof(c->in) - c->inlen;
			if (want > c->ssh_pending)
				want = c->ssh_pending;
			got = ssh_channel_read_nonblocking(c->ch, buf,
			    (uint32_t)want, 0);
			if (got <= 0)
				c->ssh_pending = 0;
			else {
				memcpy(c->in + c->inlen, buf, (size_t)got);
				c->inlen += (size_t)got;
				c->ssh_pending -= (size_t)got < c->ssh_pending ?
				    (size_t)got : c->ssh_pending;
			}
		}
		if (c->inlen == 0)
			break;
		/* Up to the end of one command, at most. */
		for (i = 0; i < c->inlen && !sshr_console_busy(c); i++)
			sshr_console_byte(c, c->in[i]);
		/* Echoes alone do not stop reading; commands do. */
		memmove(c->in, c->in + i, c->inlen - i);
		c->inlen -= i;
		if (c->nprobes > 0 || c->ending)
			break;
	}
	if (c->dead)
		return;
	if (c->shell && c->client_eof && c->inlen == 0 &&
	    c->ssh_pending == 0 && c->nprobes == 0 && !c->ending) {
		/* End of input: a last command without a newline runs. */
		if (c->llen > 0) {
			sshr_console_run(c);
			sshr_console_flush(c);
			if (c->nprobes > 0)
				return;
		}
		c->ending = 1;
		sshr_console_audit(c, NULL, "allowed", "exit (end of input)");
	}
	if (c->ending && c->nprobes == 0) {
		sshr_console_flush(c);
		if (c->outlen == 0) {
			ssh_channel_request_send_exit_status(c->ch, 0);
			ssh_channel_send_eof(c->ch);
			ssh_channel_close(c->ch);
			c->dead = 1;
		}
	}
}

void
sshr_console_free(struct sshr_console *c)
{
	struct sshr_session *s = c->s;

	sshr_probes_free(c);
	if (c->ch != NULL) {
		/* No callback may reach c once it is gone. */
		ssh_remove_channel_callbacks(c->ch, &c->cb);
		ssh_channel_free(c->ch);
	}
	s->console = NULL;
	free(c);
}

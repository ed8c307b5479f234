/*
 * One client connection of the jump host: a non-blocking libssh session
 * driven from libevent (see ssh-role.h for the rules on callbacks and
 * freeing), its messages (service, authentication, channel opens and
 * requests, global requests), its timers, and its end.
 *
 * Everything but public key authentication and direct-tcpip channels is
 * refused: remote forwarding (-R), agent (-A) and X11 (-X) forwarding,
 * streamlocal, sessions (shell, exec, subsystems such as sftp on the jump
 * host itself), password and keyboard-interactive logins.  Two switches
 * open a little more: ssh.password_authentication (passwords checked
 * against ssh_password_hash) and ssh.console (a `shell` request gets the
 * read-only console of ssh-console.c; exec and subsystems stay refused).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/audit.h"
#include "broker/ssh-role.h"
#include "common/log.h"
#include "common/strutil.h"
#include "common/xmalloc.h"

#define SSHR_MESSAGES_PER_PUMP	64

static void	sshr_on_io(evutil_socket_t, short, void *);
static void	sshr_on_timer(evutil_socket_t, short, void *);
static void	sshr_timer_arm(struct sshr_session *);

/*
 * libssh 0.10 marks the message accessors for public key authentication
 * deprecated in favour of server callbacks; those callbacks cannot defer
 * a channel open until its target answers, so messages are used for
 * everything, and these two calls are wrapped once here.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static ssh_key
sshr_msg_pubkey(ssh_message msg)
{
	return ssh_message_auth_pubkey(msg);
}

static enum ssh_publickey_state_e
sshr_msg_pubkey_state(ssh_message msg)
{
	return ssh_message_auth_publickey_state(msg);
}

static const char *
sshr_msg_password(ssh_message msg)
{
	return ssh_message_auth_password(msg);
}
#pragma GCC diagnostic pop

static void
sshr_audit_auth(struct sshr_session *s, const char *user, const char *outcome,
    const char *reason)
{
	struct audit_rec rec;

	audit_rec_init(&rec, "auth");
	rec.user = user;
	rec.credential = s->cred[0] ? s->cred : NULL;
	rec.key_id = s->key_id[0] ? s->key_id : NULL;
	rec.source = s->peer;
	rec.outcome = outcome;
	rec.reason = reason;
	audit_write(&rec);
}

/* A refused request: audit it with what it was. */
static void
sshr_audit_request(struct sshr_session *s, const char *event,
    const char *what)
{
	struct audit_rec rec;

	audit_rec_init(&rec, event);
	rec.user = s->user[0] ? s->user : NULL;
	rec.credential = s->cred[0] ? s->cred : NULL;
	rec.key_id = s->key_id[0] ? s->key_id : NULL;
	rec.source = s->peer;
	rec.outcome = "denied";
	rec.reason = what;
	audit_write(&rec);
}

int
sshr_session_new(struct sshr_server *srv, int fd, const char *addr,
    const char *peer)
{
	struct sshr_session *s;
	int rc, sfd, e;

	s = xcalloc(1, sizeof(*s));
	s->srv = srv;
	s->fd = fd;
	TAILQ_INIT(&s->tunnels);
	str_copy(s->addr, addr, sizeof(s->addr));
	str_copy(s->peer, peer, sizeof(s->peer));
	s->t_start = s->t_rx = s->t_data = s->t_keepalive = sshr_now();
	clock_gettime(CLOCK_MONOTONIC, &s->started);

	/*
	 * libssh closes its descriptor by itself when the peer goes away,
	 * in the middle of a call; libevent must never see a descriptor
	 * closed under it.  So libssh gets a duplicate, and ours stays open
	 * (and registered) until the session is freed.
	 */
	if ((s->ss = ssh_new()) == NULL || (sfd = dup(fd)) == -1) {
		e = s->ss == NULL ? ENOMEM : errno;
		log_warn("%s: no session: %s", s->peer, strerror(e));
		if (s->ss != NULL)
			ssh_free(s->ss);
		close(fd);
		free(s);
		return -e;
	}
	if (ssh_bind_accept_fd(srv->bind, s->ss, sfd) != SSH_OK) {
		log_warn("%s: %s", s->peer, ssh_get_error(srv->bind));
		ssh_free(s->ss);
		/* libssh may or may not have taken its descriptor. */
		if (fcntl(sfd, F_GETFD) != -1)
			close(sfd);
		close(fd);
		free(s);
		return -EPROTO;
	}
	/* Inner SSH is encrypted already: compression only costs CPU. */
	ssh_options_set(s->ss, SSH_OPTIONS_COMPRESSION_C_S, "none");
	ssh_options_set(s->ss, SSH_OPTIONS_COMPRESSION_S_C, "none");
	ssh_set_blocking(s->ss, 0);
	/*
	 * Bytes libssh read from the client, whichever call read them: a
	 * keepalive's answer is often read by the very pump that sent it.
	 */
	ssh_set_counters(s->ss, &s->rx, NULL);
	ssh_set_auth_methods(s->ss, SSH_AUTH_METHOD_PUBLICKEY |
	    (srv->set.password_authentication ? SSH_AUTH_METHOD_PASSWORD : 0));

	TAILQ_INSERT_TAIL(&srv->sessions, s, entry);
	srv->nsessions++;
	role_stat_add(RS_CONNS, 1);
	role_stat_add(RS_CONNS_OPEN, 1);
	srv->nunauth++;
	sshr_source_add(srv, s->addr, 1);
	s->counted_source = 1;
	s->ev_rd = event_new(srv->base, fd, EV_READ | EV_PERSIST, sshr_on_io,
	    s);
	s->ev_wr = event_new(srv->base, fd, EV_WRITE | EV_PERSIST, sshr_on_io,
	    s);
	s->ev_timer = evtimer_new(srv->base, sshr_on_timer, s);
	event_add(s->ev_rd, NULL);
	log_debug("%s: connection", s->peer);

	s->state = SSHR_S_KEX;
	rc = ssh_handle_key_exchange(s->ss);	/* sends our banner */
	if (rc == SSH_ERROR) {
		s->dead = 1;
		snprintf(s->why, sizeof(s->why), "key exchange: %s",
		    ssh_get_error(s->ss));
	}
	sshr_timer_arm(s);
	sshr_session_pump(s);
	return 0;
}

void
sshr_session_update_events(struct sshr_session *s)
{
	int want = (ssh_get_poll_flags(s->ss) & SSH_WRITE_PENDING) != 0;

	if (want && !s->wr_on)
		event_add(s->ev_wr, NULL);
	else if (!want && s->wr_on)
		event_del(s->ev_wr);
	s->wr_on = want;
}

void
sshr_session_refuse(struct sshr_session *s, ssh_message msg,
    const char *reason)
{
	struct sshr_tunnel *t;
	int others = 0;

	TAILQ_FOREACH(t, &s->tunnels, entry)
		if (t->state != SSHR_T_DEAD)
			others++;
	if (s->console != NULL)
		others++;
	/*
	 * libssh 0.10 can only refuse a channel with an empty description,
	 * which the client shows as "administratively prohibited: ".  When
	 * the session carries nothing else (ssh -J and -W open one channel
	 * per connection), the refusal is a disconnect carrying the reason,
	 * which the client prints: "Received disconnect from ...: reason".
	 */
	if (others == 0 && s->state == SSHR_S_OPEN) {
		s->dead = 1;
		str_copy(s->why, reason, sizeof(s->why));
	} else
		ssh_message_reply_default(msg);
	ssh_message_free(msg);
}

static void
sshr_auth_fail(struct sshr_session *s, ssh_message msg, const char *user,
    const char *reason)
{
	sshr_audit_auth(s, user, "denied", reason);
	log_info("%s: authentication of \"%s\" refused: %s%s%s", s->peer,
	    user, reason, s->cred[0] ? " " : "", s->cred);
	/*
	 * The last failure is answered with the disconnect alone, as sshd
	 * does: a client told "failure" first goes on to its next attempt,
	 * which reaches a closed socket, and the reset that comes back
	 * loses the reason on its way.
	 */
	if (++s->auth_tries >= s->srv->set.max_auth_tries) {
		s->dead = 1;
		str_copy(s->why, "too many authentication failures",
		    sizeof(s->why));
	} else
		ssh_message_reply_default(msg);
}

static void
sshr_auth_success(struct sshr_session *s, ssh_message msg, const char *user)
{
	struct sshr_server *srv = s->srv;

	if (sshr_user_sessions(srv, user, 0) >= srv->set.max_sessions_per_user) {
		sshr_auth_fail(s, msg, user, "too many sessions for this user "
		    "(max_sessions_per_user)");
		return;
	}
	if (ssh_message_auth_reply_success(msg, 0) != SSH_OK) {
		s->dead = 1;
		str_copy(s->why, "connection lost", sizeof(s->why));
		return;
	}
	str_copy(s->user, user, sizeof(s->user));
	s->state = SSHR_S_OPEN;
	srv->nunauth--;
	if (s->counted_source) {
		sshr_source_add(srv, s->addr, -1);
		s->counted_source = 0;
	}
	sshr_user_sessions(srv, user, 1);
	s->t_data = sshr_now();
	sshr_audit_auth(s, user, "allowed", NULL);
	log_info("%s: \"%s\" authenticated with %s%s%s", s->peer, user,
	    s->cred, s->key_id[0] ? " id " : "", s->key_id);
	sshr_timer_arm(s);
}

static void
sshr_message_auth(struct sshr_session *s, ssh_message msg)
{
	const char *raw = ssh_message_auth_user(msg), *reason = NULL;
	char user[SSHR_USER_MAX];
	enum ssh_publickey_state_e st;
	ssh_key key;

	/* Names with control characters match no user; logs stay clean. */
	sshr_printable(user, raw != NULL ? raw : "", sizeof(user));
	if (s->state == SSHR_S_OPEN) {
		ssh_message_reply_default(msg);
		return;
	}
	if (raw == NULL || strcmp(raw, user) != 0) {
		s->cred[0] = s->key_id[0] = '\0';
		sshr_auth_fail(s, msg, user, "invalid user name");
		return;
	}
	switch (ssh_message_subtype(msg)) {
	case SSH_AUTH_METHOD_NONE:
		ssh_message_reply_default(msg);
		return;
	case SSH_AUTH_METHOD_PUBLICKEY:
		break;
	case SSH_AUTH_METHOD_PASSWORD:
		s->cred[0] = s->key_id[0] = '\0';
		if (!s->srv->set.password_authentication) {
			sshr_auth_fail(s, msg, user, "password authentication "
			    "is disabled");
			return;
		}
		if (sshr_auth_password(s, user, sshr_msg_password(msg),
		    &reason) != SSHR_AUTH_OK)
			sshr_auth_fail(s, msg, user, reason);
		else
			sshr_auth_success(s, msg, user);
		return;
	default:
		s->cred[0] = s->key_id[0] = '\0';
		sshr_auth_fail(s, msg, user, "only public key authentication "
		    "is enabled");
		return;
	}
	key = sshr_msg_pubkey(msg);
	st = sshr_msg_pubkey_state(msg);
	if (key == NULL || st == SSH_PUBLICKEY_STATE_ERROR) {
		s->cred[0] = s->key_id[0] = '\0';
		sshr_auth_fail(s, msg, user, "malformed public key request");
		return;
	}
	if (sshr_auth_key(s, user, key, &reason) != SSHR_AUTH_OK) {
		sshr_auth_fail(s, msg, user, reason);
		return;
	}
	if (st == SSH_PUBLICKEY_STATE_NONE) {
		/* A query: this key would do; the client signs next. */
		if (ssh_message_auth_reply_pk_ok_simple(msg) != SSH_OK) {
			s->dead = 1;
			str_copy(s->why, "connection lost", sizeof(s->why));
		}
		return;
	}
	if (st != SSH_PUBLICKEY_STATE_VALID) {
		sshr_auth_fail(s, msg, user, "signature does not verify");
		return;
	}
	sshr_auth_success(s, msg, user);
}

static void
sshr_message_open(struct sshr_session *s, ssh_message msg)
{
	char why[SSHR_REASON_MAX];

	if (s->state != SSHR_S_OPEN) {
		sshr_audit_request(s, "channel", "channel open before "
		    "authentication");
		ssh_message_reply_default(msg);
		ssh_message_free(msg);
		s->dead = 1;
		str_copy(s->why, "request before authentication",
		    sizeof(s->why));
		return;
	}
	switch (ssh_message_subtype(msg)) {
	case SSH_CHANNEL_DIRECT_TCPIP:
		sshr_tunnel_open(s, msg);	/* takes msg */
		return;
	case SSH_CHANNEL_SESSION:
		if (s->srv->set.console) {
			sshr_console_open(s, msg);	/* takes msg */
			return;
		}
		sshr_audit_request(s, "channel", "session channel (shell, "
		    "command or subsystem) on the jump host");
		snprintf(why, sizeof(why), "%s is a jump host: no shell, "
		    "command or sftp here; reach a target with ssh -J "
		    "%s@HOST TARGET", "vnf-broker", s->user);
		sshr_session_refuse(s, msg, why);
		return;
	default:
		sshr_audit_request(s, "channel", "channel type not supported "
		    "(only direct-tcpip)");
		sshr_session_refuse(s, msg, "channel type not supported by "
		    "the jump host");
		return;
	}
}

static const char *
sshr_channel_request_name(int subtype)
{
	switch (subtype) {
	case SSH_CHANNEL_REQUEST_PTY:
		return "pty";
	case SSH_CHANNEL_REQUEST_EXEC:
		return "exec";
	case SSH_CHANNEL_REQUEST_SHELL:
		return "shell";
	case SSH_CHANNEL_REQUEST_ENV:
		return "env";
	case SSH_CHANNEL_REQUEST_SUBSYSTEM:
		return "subsystem";
	case SSH_CHANNEL_REQUEST_WINDOW_CHANGE:
		return "window-change";
	case SSH_CHANNEL_REQUEST_X11:
		return "X11 forwarding";
	default:
		return "agent forwarding or other channel request";
	}
}

static void
sshr_message_global(struct sshr_session *s, ssh_message msg)
{
	switch (ssh_message_subtype(msg)) {
	case SSH_GLOBAL_REQUEST_TCPIP_FORWARD:
		sshr_audit_request(s, "request", "remote port forwarding (-R)");
		log_info("%s: remote forwarding refused", s->peer);
		break;
	case SSH_GLOBAL_REQUEST_CANCEL_TCPIP_FORWARD:
	case SSH_GLOBAL_REQUEST_KEEPALIVE:
		break;
	default:
		sshr_audit_request(s, "request", "global request not "
		    "supported (streamlocal or other)");
		break;
	}
	ssh_message_reply_default(msg);
}

/* One message from libssh's queue; consumes msg. */
static void
sshr_session_message(struct sshr_session *s, ssh_message msg)
{
	const char *svc;

	switch (ssh_message_type(msg)) {
	case SSH_REQUEST_SERVICE:
		svc = ssh_message_service_service(msg);
		if (svc != NULL && strcmp(svc, "ssh-userauth") == 0)
			ssh_message_service_reply_success(msg);
		else
			ssh_message_reply_default(msg);
		break;
	case SSH_REQUEST_AUTH:
		sshr_message_auth(s, msg);
		break;
	case SSH_REQUEST_CHANNEL_OPEN:
		sshr_message_open(s, msg);
		return;
	case SSH_REQUEST_CHANNEL:
		if (s->console != NULL && ssh_message_channel_request_channel(
		    msg) == sshr_console_channel(s->console)) {
			sshr_console_request(s->console, msg);	/* takes msg */
			return;
		}
		sshr_audit_request(s, "request", sshr_channel_request_name(
		    ssh_message_subtype(msg)));
		ssh_message_reply_default(msg);
		break;
	case SSH_REQUEST_GLOBAL:
		if (s->state != SSHR_S_OPEN) {
			s->dead = 1;
			str_copy(s->why, "request before authentication",
			    sizeof(s->why));
		}
		sshr_message_global(s, msg);
		break;
	default:
		ssh_message_reply_default(msg);
		break;
	}
	ssh_message_free(msg);
}

/*
 * Drive the session after its descriptor woke us (or after our own calls
 * into libssh): finish the key exchange, take every queued message, let
 * the tunnels move bytes, free what ended.
 */
void
sshr_session_pump(struct sshr_session *s)
{
	struct sshr_tunnel *t, *tnext;
	ssh_message msg;
	int rc, i, more = 0;

	if (s->in_pump)
		return;
	s->in_pump = 1;
	if (!s->dead && s->state == SSHR_S_KEX) {
		rc = ssh_handle_key_exchange(s->ss);
		if (rc == SSH_OK) {
			s->state = SSHR_S_AUTH;
			log_debug("%s: key exchange done (%s, %s)", s->peer,
			    ssh_get_cipher_in(s->ss) ? ssh_get_cipher_in(s->ss) :
			    "?", ssh_get_kex_algo(s->ss) ?
			    ssh_get_kex_algo(s->ss) : "?");
		} else if (rc == SSH_ERROR) {
			s->dead = 1;
			snprintf(s->why, sizeof(s->why), "key exchange: %s",
			    ssh_get_error(s->ss));
		}
	}
	if (!s->dead && s->state != SSHR_S_KEX) {
		for (i = 0; i < SSHR_MESSAGES_PER_PUMP && !s->dead; i++) {
			if ((msg = ssh_message_get(s->ss)) == NULL)
				break;
			sshr_session_message(s, msg);
		}
		more = i == SSHR_MESSAGES_PER_PUMP;
	}
	if (!s->dead && (ssh_get_status(s->ss) & (SSH_CLOSED |
	    SSH_CLOSED_ERROR))) {
		const char *err = ssh_get_error(s->ss);

		s->dead = 1;
		/* libssh's own refusals (its packet filter) end up here. */
		if ((ssh_get_status(s->ss) & SSH_CLOSED_ERROR) && err != NULL &&
		    *err != '\0' && strstr(err, "disconnected") == NULL)
			snprintf(s->why, sizeof(s->why), "connection ended: %s",
			    err);
		else
			str_copy(s->why, "connection closed by the client",
			    sizeof(s->why));
	}
	TAILQ_FOREACH_SAFE(t, &s->tunnels, entry, tnext) {
		if (!s->dead)
			sshr_tunnel_service(t);
		if (t->state == SSHR_T_DEAD)
			sshr_tunnel_free(t);
	}
	if (s->console != NULL) {
		if (!s->dead)
			sshr_console_service(s->console);
		if (sshr_console_dead(s->console))
			sshr_console_free(s->console);
	}
	s->in_pump = 0;
	if (s->dead) {
		sshr_session_close(s, s->why);
		return;
	}
	sshr_session_update_events(s);
	if (more)
		event_active(s->ev_rd, EV_READ, 0);
}

static void
sshr_on_io(evutil_socket_t fd, short what, void *arg)
{
	struct sshr_session *s = arg;

	if (what & EV_READ)
		s->t_rx = sshr_now();
	sshr_session_pump(s);
}

/* The next time something is due: grace, keepalive, idle, session end. */
static void
sshr_timer_arm(struct sshr_session *s)
{
	const struct sshr_settings *set = &s->srv->set;
	struct timeval tv = { 0, 0 };
	time_t now = sshr_now(), next = 3600, d;

	if (s->state != SSHR_S_OPEN)
		next = s->t_start + set->login_grace_time - now;
	else {
		if (set->keepalive_interval > 0)
			next = set->keepalive_interval;
		if (set->idle_timeout > 0 &&
		    (d = s->t_data + set->idle_timeout - now) < next)
			next = d;
		if (set->session_timeout > 0 &&
		    (d = s->t_start + set->session_timeout - now) < next)
			next = d;
	}
	tv.tv_sec = next < 1 ? 1 : next;
	evtimer_add(s->ev_timer, &tv);
}

/*
 * libssh keeps one global request in flight, and ssh_send_keepalive()
 * says nothing of what it did: the call after an answered keepalive only
 * collects that answer (OpenSSH refuses keepalive@openssh.com, as it may)
 * and sends nothing, so only every other interval would send one.  Two
 * calls send exactly one: collect-then-send, or send-then-still-pending.
 * A keepalive still unanswered is not sent again (the client is silent).
 */
static void
sshr_keepalive(struct sshr_session *s)
{
	(void)ssh_send_keepalive(s->ss);
	if (!(ssh_get_status(s->ss) & (SSH_CLOSED | SSH_CLOSED_ERROR)))
		(void)ssh_send_keepalive(s->ss);
}

static void
sshr_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct sshr_session *s = arg;
	const struct sshr_settings *set = &s->srv->set;
	time_t now = sshr_now();

	if (s->state != SSHR_S_OPEN) {
		if (now - s->t_start >= set->login_grace_time) {
			sshr_session_close(s, "login grace time exceeded");
			return;
		}
	} else {
		if (s->rx.in_bytes != s->rx_seen) {
			s->rx_seen = s->rx.in_bytes;
			s->t_rx = now;
		}
		if (set->session_timeout > 0 &&
		    now - s->t_start >= set->session_timeout) {
			sshr_session_close(s, "session time limit reached");
			return;
		}
		if (set->idle_timeout > 0 &&
		    now - s->t_data >= set->idle_timeout) {
			sshr_session_close(s, "idle timeout");
			return;
		}
		if (set->keepalive_interval > 0) {
			time_t heard = s->t_rx > s->t_data ? s->t_rx :
			    s->t_data;

			if (now - heard >= set->keepalive_interval *
			    set->keepalive_count_max) {
				sshr_session_close(s, "keepalive timeout: the "
				    "client stopped answering");
				return;
			}
			if (now - heard >= set->keepalive_interval) {
				sshr_keepalive(s);
				s->t_keepalive = now;
			}
		}
	}
	sshr_timer_arm(s);
	sshr_session_pump(s);
}

void
sshr_session_close(struct sshr_session *s, const char *why)
{
	struct sshr_server *srv = s->srv;
	struct sshr_tunnel *t;
	struct audit_rec rec;
	struct timespec now;
	char reason[SSHR_MESSAGE_MAX], note[SSHR_MESSAGE_MAX + 32];

	str_copy(reason, why ? why : "closed", sizeof(reason));
	while ((t = TAILQ_FIRST(&s->tunnels)) != NULL) {
		if (t->state != SSHR_T_DEAD)
			sshr_tunnel_audit(t, t->state == SSHR_T_OPEN ?
			    "closed" : "error", reason);
		t->state = SSHR_T_DEAD;
		sshr_tunnel_free(t);
	}
	if (s->console != NULL)
		sshr_console_free(s->console);
	event_free(s->ev_rd);
	event_free(s->ev_wr);
	event_free(s->ev_timer);
	if (s->state == SSHR_S_OPEN) {
		sshr_user_sessions(srv, s->user, -1);
		/* Every logged-in connection ends in one record, with why. */
		audit_rec_init(&rec, "session");
		rec.user = s->user;
		rec.credential = s->cred[0] ? s->cred : NULL;
		rec.key_id = s->key_id[0] ? s->key_id : NULL;
		rec.source = s->peer;
		clock_gettime(CLOCK_MONOTONIC, &now);
		rec.duration_ms = (long long)(now.tv_sec -
		    s->started.tv_sec) * 1000 + (now.tv_nsec -
		    s->started.tv_nsec) / 1000000;
		rec.outcome = "closed";
		rec.reason = reason;
		audit_write(&rec);
	} else {
		/* Every connection that never logged in is one record. */
		snprintf(note, sizeof(note), "closed before authentication: %s",
		    reason);
		s->cred[0] = s->key_id[0] = '\0';
		sshr_audit_auth(s, NULL, "denied", note);
		srv->nunauth--;
		if (s->counted_source)
			sshr_source_add(srv, s->addr, -1);
	}
	log_info("%s%s%s%s: session ends: %s", s->peer, s->user[0] ? " (" : "",
	    s->user, s->user[0] ? ")" : "", reason);
	if (!(ssh_get_status(s->ss) & (SSH_CLOSED | SSH_CLOSED_ERROR))) {
		ssh_session_set_disconnect_message(s->ss, reason);
		ssh_disconnect(s->ss);	/* closes its descriptor */
	}
	ssh_free(s->ss);
	close(s->fd);
	sshr_grant_clear(&s->grant);
	TAILQ_REMOVE(&srv->sessions, s, entry);
	srv->nsessions--;
	role_stat_add(RS_CONNS_OPEN, -1);
	free(s);
	sshr_server_session_gone(srv);
}

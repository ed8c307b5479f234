/*
 * direct-tcpip, what `ssh -J` and `ssh -W` ask for: resolve the target,
 * check access (default deny, then the key's own narrowing), get a socket
 * inside the target's network namespace from the parent, connect without
 * blocking, confirm the channel, and pump bytes both ways.
 *
 * The pump has bounded buffers in both directions, in the manner of
 * libevent's le-proxy: client -> target, what the target cannot take
 * stays in libssh's channel buffer, which the client can only fill up to
 * the window we grant (libssh widens it as we consume); target -> client,
 * the target is read only while the client's window is open and libssh
 * holds no unsent output, never more than the window at a time.  EOF is
 * passed on in each direction (shutdown(SHUT_WR) and SSH_MSG_CHANNEL_EOF).
 *
 * The originator address in the request is the client's claim; it is
 * never used for anything.
 */
#include "config.h"

#include <sys/socket.h>

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

/* One buffer per direction: each is used within one handler at a time. */
static unsigned char sshr_buf_down[SSHR_IO_CHUNK];
static unsigned char sshr_buf_up[SSHR_IO_CHUNK];

static long long
sshr_ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)(now.tv_sec - t->tv_sec) * 1000 +
	    (now.tv_nsec - t->tv_nsec) / 1000000;
}

void
sshr_tunnel_audit(struct sshr_tunnel *t, const char *outcome,
    const char *reason)
{
	struct sshr_session *s = t->s;
	struct audit_rec rec;
	int opened = t->ch != NULL;

	/* A decision ("channel"), or the end of an opened one ("tunnel"). */
	audit_rec_init(&rec, opened && strcmp(outcome, "allowed") != 0 ?
	    "tunnel" : "channel");
	rec.user = s->user[0] ? s->user : NULL;
	rec.credential = s->cred[0] ? s->cred : NULL;
	rec.key_id = s->key_id[0] ? s->key_id : NULL;
	rec.source = s->peer;
	rec.target = t->host;
	rec.network = t->t.network[0] ? t->t.network : NULL;
	rec.address = t->t.address[0] ? t->t.address : NULL;
	rec.port = t->t.port;
	if (opened && strcmp(outcome, "allowed") != 0) {
		rec.bytes_up = t->bytes_up;
		rec.bytes_down = t->bytes_down;
		rec.duration_ms = sshr_ms_since(&t->started);
	}
	rec.outcome = outcome;
	rec.reason = reason;
	audit_write(&rec);
}

/* Refuse the pending open: audit, and tell the client why. */
static void
sshr_tunnel_refuse(struct sshr_tunnel *t, const char *outcome,
    const char *reason)
{
	ssh_message msg = t->open_msg;
	char text[SSHR_MESSAGE_MAX];

	sshr_tunnel_audit(t, outcome, reason);
	log_info("%s (%s): %s:%u refused: %s", t->s->peer, t->s->user,
	    t->host, t->t.port, reason);
	snprintf(text, sizeof(text), "%s: %s:%u", reason, t->host, t->t.port);
	t->open_msg = NULL;
	t->state = SSHR_T_DEAD;
	sshr_session_refuse(t->s, msg, text);
}

/* An opened tunnel ends. */
static void
sshr_tunnel_finish(struct sshr_tunnel *t, const char *outcome,
    const char *reason)
{
	if (t->state == SSHR_T_DEAD)
		return;
	sshr_tunnel_audit(t, outcome, reason);
	log_debug("%s (%s): %s:%u %s: %s, %lld bytes up, %lld down",
	    t->s->peer, t->s->user, t->host, t->t.port, outcome, reason,
	    t->bytes_up, t->bytes_down);
	t->state = SSHR_T_DEAD;
}

void
sshr_tunnel_free(struct sshr_tunnel *t)
{
	struct sshr_session *s = t->s;

	if (t->counted)
		role_stat_add(RS_TUNNELS_OPEN, -1);
	if (t->sock_req > 0)
		role_socket_cancel(s->srv->rt, t->sock_req);
	if (t->ev_rd != NULL)
		event_free(t->ev_rd);
	if (t->ev_wr != NULL)
		event_free(t->ev_wr);
	if (t->fd != -1)
		close(t->fd);
	if (t->open_msg != NULL) {
		ssh_message_reply_default(t->open_msg);
		ssh_message_free(t->open_msg);
	}
	if (t->ch != NULL) {
		/* No callback may reach t once it is gone. */
		ssh_remove_channel_callbacks(t->ch, &t->cb);
		ssh_channel_free(t->ch);
	}
	free(t->up);
	TAILQ_REMOVE(&s->tunnels, t, entry);
	s->ntunnels--;
	free(t);
}

/* --- libssh channel callbacks: flags and writes, never frees ------- */

static int
sshr_on_channel_data(ssh_session ss, ssh_channel ch, void *data,
    uint32_t len, int is_stderr, void *arg)
{
	struct sshr_tunnel *t = arg;
	ssize_t n;

	if (t->state != SSHR_T_OPEN || is_stderr || t->failed)
		return (int)len;	/* nowhere to go: dropped */
	if (t->up_len > 0 || t->ssh_pending > 0 || t->target_shut) {
		t->ssh_pending = len;	/* wait until the target drains */
		return 0;
	}
	n = write(t->fd, data, len);
	if (n == -1) {
		if (errno != EAGAIN && errno != EINTR) {
			t->failed = 1;
			snprintf(t->why, sizeof(t->why), "target: %s",
			    strerror(errno));
			return (int)len;
		}
		n = 0;
	}
	t->bytes_up += n;
	role_stat_add(RS_BYTES_UP, n);
	t->ssh_pending = len - (size_t)n;
	if (n > 0)
		t->s->t_data = sshr_now();
	return (int)n;
}

static void
sshr_on_channel_eof(ssh_session ss, ssh_channel ch, void *arg)
{
	struct sshr_tunnel *t = arg;

	t->client_eof = 1;
}

static void
sshr_on_channel_close(ssh_session ss, ssh_channel ch, void *arg)
{
	struct sshr_tunnel *t = arg;

	t->client_closed = 1;
}

/* --- the pump ------------------------------------------------------ */

static void
sshr_tunnel_set(struct sshr_tunnel *t, int rd, int wr)
{
	if (rd != t->rd_on) {
		if (rd)
			event_add(t->ev_rd, NULL);
		else
			event_del(t->ev_rd);
		t->rd_on = rd;
	}
	if (wr != t->wr_on) {
		if (wr)
			event_add(t->ev_wr, NULL);
		else
			event_del(t->ev_wr);
		t->wr_on = wr;
	}
}

void
sshr_tunnel_service(struct sshr_tunnel *t)
{
	struct sshr_session *s = t->s;
	int rd, wr;

	if (t->state != SSHR_T_OPEN)
		return;
	if (t->failed) {
		sshr_tunnel_finish(t, "error", t->why);
		return;
	}
	if (t->client_closed) {
		sshr_tunnel_finish(t, "closed", t->target_eof ? "closed" :
		    "closed by the client");
		return;
	}
	if (t->client_eof && !t->target_shut && t->up_len == 0 &&
	    t->ssh_pending == 0) {
		shutdown(t->fd, SHUT_WR);	/* pass the client's EOF on */
		t->target_shut = 1;
	}
	if (t->target_shut && t->target_eof) {
		sshr_tunnel_finish(t, "closed", "closed");
		return;
	}
	rd = !t->target_eof && ssh_channel_window_size(t->ch) > 0 &&
	    !(ssh_get_poll_flags(s->ss) & SSH_WRITE_PENDING);
	wr = t->up_len > 0 || t->ssh_pending > 0;
	sshr_tunnel_set(t, rd, wr);
}

/* Write what we hold; 1 when all of it went, 0 if not, -1 on error. */
static int
sshr_tunnel_flush_up(struct sshr_tunnel *t)
{
	ssize_t n;

	while (t->up_len > t->up_off) {
		n = write(t->fd, t->up + t->up_off, t->up_len - t->up_off);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			snprintf(t->why, sizeof(t->why), "target: %s",
			    strerror(errno));
			return -1;
		}
		t->up_off += (size_t)n;
		t->bytes_up += n;
		role_stat_add(RS_BYTES_UP, n);
	}
	free(t->up);
	t->up = NULL;
	t->up_len = t->up_off = 0;
	return 1;
}

/* The target can take more: our leftover, then libssh's. */
static void
sshr_tunnel_up(struct sshr_tunnel *t)
{
	size_t want;
	ssize_t n;
	int got, r;

	if ((r = sshr_tunnel_flush_up(t)) != 1) {
		if (r == -1)
			t->failed = 1;
		return;
	}
	while (t->ssh_pending > 0) {
		want = t->ssh_pending < sizeof(sshr_buf_up) ? t->ssh_pending :
		    sizeof(sshr_buf_up);
		/* Served from libssh's buffer: no packet is read here. */
		got = ssh_channel_read_nonblocking(t->ch, sshr_buf_up,
		    (uint32_t)want, 0);
		if (got <= 0) {
			t->ssh_pending = 0;
			break;
		}
		t->ssh_pending = (size_t)got >= t->ssh_pending ? 0 :
		    t->ssh_pending - (size_t)got;
		t->s->t_data = sshr_now();
		n = write(t->fd, sshr_buf_up, (size_t)got);
		if (n == -1) {
			if (errno != EAGAIN && errno != EINTR) {
				t->failed = 1;
				snprintf(t->why, sizeof(t->why), "target: %s",
				    strerror(errno));
				return;
			}
			n = 0;
		}
		t->bytes_up += n;
		role_stat_add(RS_BYTES_UP, n);
		if (n < got) {
			t->up_len = (size_t)(got - n);
			t->up = xmalloc(t->up_len);
			memcpy(t->up, sshr_buf_up + n, t->up_len);
			t->up_off = 0;
			return;
		}
	}
}

/* The target has bytes (or EOF) and the client's window is open. */
static void
sshr_tunnel_down(struct sshr_tunnel *t)
{
	uint32_t room = ssh_channel_window_size(t->ch);
	ssize_t n;

	if (room == 0)
		return;
	if (room > sizeof(sshr_buf_down))
		room = sizeof(sshr_buf_down);
	n = read(t->fd, sshr_buf_down, room);
	if (n > 0) {
		if (ssh_channel_write(t->ch, sshr_buf_down, (uint32_t)n) != n) {
			t->failed = 1;
			str_copy(t->why, "the client's channel failed",
			    sizeof(t->why));
			return;
		}
		t->bytes_down += n;
		role_stat_add(RS_BYTES_DOWN, n);
		t->s->t_data = sshr_now();
	} else if (n == 0) {
		ssh_channel_send_eof(t->ch);	/* pass the target's EOF on */
		t->target_eof = 1;
	} else if (errno != EAGAIN && errno != EINTR) {
		t->failed = 1;
		snprintf(t->why, sizeof(t->why), "target: %s", strerror(errno));
	}
}

static void
sshr_tunnel_on_io(evutil_socket_t fd, short what, void *arg)
{
	struct sshr_tunnel *t = arg;
	struct sshr_session *s = t->s;

	if (t->state == SSHR_T_OPEN && !t->failed) {
		if (what & EV_WRITE)
			sshr_tunnel_up(t);
		if ((what & EV_READ) && !t->failed)
			sshr_tunnel_down(t);
	}
	sshr_session_pump(s);	/* may free t */
}

/* --- opening ------------------------------------------------------- */

static void
sshr_tunnel_opened(struct sshr_tunnel *t)
{
	struct sshr_session *s = t->s;

	t->ch = ssh_message_channel_request_open_reply_accept(t->open_msg);
	ssh_message_free(t->open_msg);
	t->open_msg = NULL;
	if (t->ch == NULL) {
		t->state = SSHR_T_DEAD;
		sshr_tunnel_audit(t, "error", "the client went away");
		return;
	}
	ssh_callbacks_init(&t->cb);
	t->cb.userdata = t;
	t->cb.channel_data_function = sshr_on_channel_data;
	t->cb.channel_eof_function = sshr_on_channel_eof;
	t->cb.channel_close_function = sshr_on_channel_close;
	ssh_set_channel_callbacks(t->ch, &t->cb);
	event_free(t->ev_wr);
	t->ev_rd = event_new(s->srv->base, t->fd, EV_READ | EV_PERSIST,
	    sshr_tunnel_on_io, t);
	t->ev_wr = event_new(s->srv->base, t->fd, EV_WRITE | EV_PERSIST,
	    sshr_tunnel_on_io, t);
	t->wr_on = t->rd_on = 0;
	t->state = SSHR_T_OPEN;
	t->counted = 1;
	role_stat_add(RS_TUNNELS, 1);
	role_stat_add(RS_TUNNELS_OPEN, 1);
	clock_gettime(CLOCK_MONOTONIC, &t->started);
	s->t_data = sshr_now();
	sshr_tunnel_audit(t, "allowed", NULL);
	log_info("%s (%s): tunnel to %s:%u (%s %s)", s->peer, s->user,
	    t->host, t->t.port, t->t.network, t->t.address);
}

static void
sshr_tunnel_on_connect(evutil_socket_t fd, short what, void *arg)
{
	struct sshr_tunnel *t = arg;
	struct sshr_session *s = t->s;
	socklen_t sl = sizeof(int);
	int err = 0;
	char why[SSHR_REASON_MAX];

	if (what & EV_TIMEOUT)
		sshr_tunnel_refuse(t, "error", "connect failed: timed out");
	else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1 ||
	    err != 0) {
		snprintf(why, sizeof(why), "connect failed: %s",
		    strerror(err ? err : errno));
		sshr_tunnel_refuse(t, "error", why);
	} else
		sshr_tunnel_opened(t);
	sshr_session_pump(s);
}

static void
sshr_tunnel_on_socket(int fd, const char *msg, void *arg)
{
	struct sshr_tunnel *t = arg;
	struct sshr_session *s = t->s;
	struct timeval tv = { s->srv->set.connect_timeout, 0 };
	char why[SSHR_REASON_MAX];

	t->sock_req = 0;
	if (fd < 0) {
		snprintf(why, sizeof(why), "connect failed: %s", msg ? msg :
		    "no socket from the parent");
		sshr_tunnel_refuse(t, "error", why);
		goto out;
	}
	t->fd = fd;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		sshr_tunnel_refuse(t, "error", "connect failed: socket setup");
		goto out;
	}
	t->state = SSHR_T_CONNECT;
	if (connect(fd, (struct sockaddr *)&t->t.sa, t->t.salen) == 0) {
		sshr_tunnel_opened(t);
		goto out;
	}
	if (errno != EINPROGRESS) {
		snprintf(why, sizeof(why), "connect failed: %s",
		    strerror(errno));
		sshr_tunnel_refuse(t, "error", why);
		goto out;
	}
	t->ev_wr = event_new(s->srv->base, fd, EV_WRITE,
	    sshr_tunnel_on_connect, t);
	event_add(t->ev_wr, &tv);
out:
	sshr_session_pump(s);
}

/* As asked, as the appliance, or as ADDRESS.NETWORK. */
int
sshr_permitopen_ok(const struct sshr_grant *g, const char *host,
    const struct target *t)
{
	char canon[ACCESS_NAME_MAX + 1];
	size_t i;

	if (g->npermitopen == 0)
		return 1;
	snprintf(canon, sizeof(canon), "%s.%s", t->address, t->network);
	for (i = 0; i < g->npermitopen; i++) {
		if (sshr_permitopen_match(&g->permitopen[i], host, t->port) ||
		    (t->appliance[0] != '\0' && sshr_permitopen_match(
		    &g->permitopen[i], t->appliance, t->port)) ||
		    sshr_permitopen_match(&g->permitopen[i], canon, t->port))
			return 1;
	}
	return 0;
}

size_t
sshr_tunnels_live(struct sshr_session *s)
{
	struct sshr_tunnel *t;
	size_t live = 0;

	TAILQ_FOREACH(t, &s->tunnels, entry)
		if (t->state != SSHR_T_DEAD)
			live++;
	return live;
}

void
sshr_tunnel_open(struct sshr_session *s, ssh_message msg)
{
	struct sshr_server *srv = s->srv;
	struct sshr_tunnel *t;
	const char *host, *why = NULL;
	size_t live = sshr_tunnels_live(s) + (s->console != NULL);
	int port;
	long h;

	t = xcalloc(1, sizeof(*t));
	t->s = s;
	t->fd = -1;
	t->open_msg = msg;
	t->state = SSHR_T_SOCKET;
	clock_gettime(CLOCK_MONOTONIC, &t->started);
	TAILQ_INSERT_TAIL(&s->tunnels, t, entry);
	s->ntunnels++;

	host = ssh_message_channel_request_open_destination(msg);
	port = ssh_message_channel_request_open_destination_port(msg);
	sshr_printable(t->host, host ? host : "", sizeof(t->host));
	t->t.port = port > 0 && port <= 65535 ? (uint16_t)port : 0;
	if (live >= (size_t)srv->set.max_channels_per_session) {
		sshr_tunnel_refuse(t, "denied", "too many channels in this "
		    "session (max_channels_per_session)");
		return;
	}
	if (!s->grant.port_forwarding) {
		sshr_tunnel_refuse(t, "denied", "not permitted: forwarding is "
		    "disabled for this key or certificate");
		return;
	}
	if (t->t.port == 0 || host == NULL || strcmp(host, t->host) != 0) {
		sshr_tunnel_refuse(t, "denied", "unknown target");
		return;
	}
	if (access_resolve(srv->access, t->host, t->t.port, &t->t, &why) !=
	    ACCESS_OK) {
		sshr_tunnel_refuse(t, "denied", why);
		return;
	}
	if (access_check(srv->access, s->user, &t->t, &why) != ACCESS_OK) {
		sshr_tunnel_refuse(t, "denied", why);
		return;
	}
	if (!sshr_permitopen_ok(&s->grant, t->host, &t->t)) {
		sshr_tunnel_refuse(t, "denied", "not permitted by the key's "
		    "permitopen");
		return;
	}
	h = role_socket(srv->rt, t->t.network, t->t.sa.ss_family,
	    sshr_tunnel_on_socket, t);
	if (h < 0) {
		sshr_tunnel_refuse(t, "error", "resource shortage: too many "
		    "connections being opened");
		return;
	}
	t->sock_req = h;
}

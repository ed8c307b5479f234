/*
 * vnf-broker-ssh: the jump host role.  Started by vnf-brokerd, unprivileged,
 * one libevent loop for every connection (see ssh-role.h).
 *
 * Here: the configuration (settings, host keys, access), the libssh bind
 * holding the algorithms and keys every session copies, the listeners and
 * the limits on connections that are not authenticated yet.
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/audit.h"
#include "broker/ssh-role.h"
#include "common/log.h"
#include "common/strutil.h"
#include "common/xmalloc.h"

/*
 * Algorithms: strict key exchange is added by libssh itself (0.10.6,
 * kex-strict-s-v00@openssh.com); no SHA-1 anywhere, no CBC, no DSA, no
 * NIST curves for key exchange.
 */
#define SSHR_KEX	"curve25519-sha256,curve25519-sha256@libssh.org," \
			"diffie-hellman-group16-sha512," \
			"diffie-hellman-group18-sha512"
#define SSHR_CIPHERS	"chacha20-poly1305@openssh.com," \
			"aes256-gcm@openssh.com,aes128-gcm@openssh.com," \
			"aes256-ctr,aes192-ctr,aes128-ctr"
#define SSHR_MACS	"hmac-sha2-256-etm@openssh.com," \
			"hmac-sha2-512-etm@openssh.com"
#define SSHR_HOSTKEYS	"ssh-ed25519,rsa-sha2-512,rsa-sha2-256"
#define SSHR_PUBKEYS	"ssh-ed25519,ssh-ed25519-cert-v01@openssh.com," \
			"ecdsa-sha2-nistp256,ecdsa-sha2-nistp384," \
			"ecdsa-sha2-nistp521," \
			"ecdsa-sha2-nistp256-cert-v01@openssh.com," \
			"ecdsa-sha2-nistp384-cert-v01@openssh.com," \
			"ecdsa-sha2-nistp521-cert-v01@openssh.com," \
			"rsa-sha2-512,rsa-sha2-256," \
			"rsa-sha2-512-cert-v01@openssh.com," \
			"rsa-sha2-256-cert-v01@openssh.com"
#define SSHR_ACCEPT_BURST	64	/* accepts per wakeup */

static struct sshr_server server;

time_t
sshr_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

void
sshr_printable(char *dst, const char *src, size_t size)
{
	size_t i;

	str_copy(dst, src, size);
	for (i = 0; dst[i] != '\0'; i++)
		if ((unsigned char)dst[i] < 0x20 || dst[i] == 0x7f)
			dst[i] = '?';
}

/* --- limits -------------------------------------------------------- */

long
sshr_source_count(struct sshr_server *srv, const char *addr)
{
	size_t i;

	for (i = 0; i < srv->nsources; i++)
		if (strcmp(srv->sources[i].addr, addr) == 0)
			return srv->sources[i].count;
	return 0;
}

/* Add n (may be negative) to addr's count of unauthenticated connections. */
void
sshr_source_add(struct sshr_server *srv, const char *addr, long n)
{
	size_t i;

	for (i = 0; i < srv->nsources; i++)
		if (strcmp(srv->sources[i].addr, addr) == 0)
			break;
	if (i == srv->nsources) {
		if (n <= 0)
			return;
		srv->sources = xreallocarray(srv->sources, srv->nsources + 1,
		    sizeof(*srv->sources));
		str_copy(srv->sources[i].addr, addr,
		    sizeof(srv->sources[i].addr));
		srv->sources[i].count = 0;
		srv->nsources++;
	}
	srv->sources[i].count += n;
	if (srv->sources[i].count <= 0) {
		srv->sources[i] = srv->sources[srv->nsources - 1];
		srv->nsources--;
	}
}

/* Add n to user's open sessions; returns the new count. */
long
sshr_user_sessions(struct sshr_server *srv, const char *user, long n)
{
	json_int_t v = json_integer_value(json_object_get(srv->per_user,
	    user)) + n;

	if (v <= 0) {
		json_object_del(srv->per_user, user);
		return 0;
	}
	json_object_set_new(srv->per_user, user, json_integer(v));
	return (long)v;
}

void
sshr_server_session_gone(struct sshr_server *srv)
{
	if (srv->stopping && srv->nsessions == 0)
		role_exit(srv->rt);
}

/* --- configuration ------------------------------------------------- */

static long
sshr_setting(json_t *set, const char *name, long def)
{
	json_t *v = json_object_get(set, name);

	return json_is_integer(v) ? (long)json_integer_value(v) : def;
}

static void
sshr_settings_read(struct sshr_settings *s, json_t *set)
{
	s->login_grace_time = sshr_setting(set, "login_grace_time",
	    SSHR_DEF_LOGIN_GRACE);
	s->max_auth_tries = sshr_setting(set, "max_auth_tries",
	    SSHR_DEF_AUTH_TRIES);
	s->max_startups = sshr_setting(set, "max_startups", SSHR_DEF_STARTUPS);
	s->max_startups_per_source = sshr_setting(set,
	    "max_startups_per_source", SSHR_DEF_STARTUPS_SOURCE);
	s->max_sessions_per_user = sshr_setting(set, "max_sessions_per_user",
	    SSHR_DEF_SESSIONS_USER);
	s->max_channels_per_session = sshr_setting(set,
	    "max_channels_per_session", SSHR_DEF_CHANNELS);
	s->keepalive_interval = sshr_setting(set, "keepalive_interval",
	    SSHR_DEF_KEEPALIVE);
	s->keepalive_count_max = sshr_setting(set, "keepalive_count_max",
	    SSHR_DEF_KEEPALIVE_MAX);
	s->idle_timeout = sshr_setting(set, "idle_timeout", SSHR_DEF_IDLE);
	s->session_timeout = sshr_setting(set, "session_timeout",
	    SSHR_DEF_SESSION_TIMEOUT);
	s->connect_timeout = sshr_setting(set, "connect_timeout",
	    SSHR_DEF_CONNECT_TIMEOUT);
	s->console = json_is_true(json_object_get(set, "console"));
	s->password_authentication = json_is_true(json_object_get(set,
	    "password_authentication"));
}

/* The bind every session copies: algorithms and host keys. */
static ssh_bind
sshr_bind_new(json_t *set)
{
	static const struct {
		enum ssh_bind_options_e	 opt;
		const char		*val;
	} algs[] = {
		{ SSH_BIND_OPTIONS_KEY_EXCHANGE, SSHR_KEX },
		{ SSH_BIND_OPTIONS_CIPHERS_C_S, SSHR_CIPHERS },
		{ SSH_BIND_OPTIONS_CIPHERS_S_C, SSHR_CIPHERS },
		{ SSH_BIND_OPTIONS_HMAC_C_S, SSHR_MACS },
		{ SSH_BIND_OPTIONS_HMAC_S_C, SSHR_MACS },
		{ SSH_BIND_OPTIONS_HOSTKEY_ALGORITHMS, SSHR_HOSTKEYS },
		{ SSH_BIND_OPTIONS_PUBKEY_ACCEPTED_KEY_TYPES, SSHR_PUBKEYS },
		{ SSH_BIND_OPTIONS_BANNER, "vnf-broker_" PACKAGE_VERSION },
	};
	json_t *keys, *k;
	ssh_bind b;
	ssh_key key;
	bool no = false;
	int rsa_min = 2048;
	size_t i, n = 0;

	if ((b = ssh_bind_new()) == NULL)
		fatal("ssh_bind_new failed");
	/* Our settings only: never /etc/libssh/libssh_server.config. */
	if (ssh_bind_options_set(b, SSH_BIND_OPTIONS_PROCESS_CONFIG, &no) != 0)
		fatal("libssh: cannot turn off its configuration files");
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (ssh_bind_options_set(b, algs[i].opt, algs[i].val) != 0)
			fatal("libssh refuses the algorithm list \"%s\": %s",
			    algs[i].val, ssh_get_error(b));
	ssh_bind_options_set(b, SSH_BIND_OPTIONS_RSA_MIN_SIZE, &rsa_min);
	keys = json_object_get(set, "host_keys");
	json_array_foreach(keys, i, k) {
		char *text = (char *)json_string_value(k);

		if (text == NULL)
			continue;
		if (ssh_pki_import_privkey_base64(text, NULL, NULL, NULL,
		    &key) != SSH_OK)
			fatal("host key %zu from the parent does not load", i);
		/* The bind owns the key from here. */
		if (ssh_bind_options_set(b, SSH_BIND_OPTIONS_IMPORT_KEY,
		    key) != 0)
			fatal("libssh refuses host key %zu: %s", i,
			    ssh_get_error(b));
		/* Secrets do not linger in the configuration we keep. */
		explicit_bzero(text, strlen(text));
		n++;
	}
	json_object_del(set, "host_keys");
	if (n == 0)
		fatal("no host keys from the parent: it loads them from the "
		    "state directory at start");
	return b;
}

/* The access view is the configuration without our settings. */
static struct access *
sshr_access_load(json_t *conf)
{
	static const char *const fields[] = { "appliances", "users",
	    "networks", "dns_suffix", NULL };
	struct access *a;
	json_t *view = json_object();
	char *cause = NULL;
	size_t i;

	for (i = 0; fields[i] != NULL; i++)
		if (json_object_get(conf, fields[i]) != NULL)
			json_object_set(view, fields[i],
			    json_object_get(conf, fields[i]));
	if ((a = access_load(view, &cause)) == NULL)
		fatal("%s", cause);
	json_decref(view);
	return a;
}

static void
sshr_cas_load(struct sshr_server *srv, json_t *set)
{
	json_t *v;
	char *cause;
	size_t i;

	for (i = 0; i < srv->ncas; i++)
		sshr_authkey_clear(&srv->cas[i]);
	free(srv->cas);
	srv->cas = NULL;
	srv->ncas = 0;
	json_array_foreach(json_object_get(set, "trusted_user_ca_keys"), i,
	    v) {
		srv->cas = xreallocarray(srv->cas, srv->ncas + 1,
		    sizeof(*srv->cas));
		if (sshr_pubkey_parse(json_string_value(v) ?
		    json_string_value(v) : "", &srv->cas[srv->ncas],
		    &cause) == -1) {
			/* The parent checked it; a mismatch is a bug. */
			log_error("trusted_user_ca_keys[%zu]: %s", i, cause);
			free(cause);
			sshr_authkey_clear(&srv->cas[srv->ncas]);
			continue;
		}
		srv->ncas++;
	}
}

static void
sshr_on_config(struct role_rt *rt, json_t *conf, void *arg)
{
	struct sshr_server *srv = arg;
	json_t *set = json_object_get(conf, "settings");

	if (!json_is_object(set))
		fatal("configuration from the parent has no settings");
	sshr_settings_read(&srv->set, set);
	if (srv->bind == NULL)
		srv->bind = sshr_bind_new(set);
	else
		json_object_del(set, "host_keys");
	access_free(srv->access);
	srv->access = sshr_access_load(conf);
	srv->users = json_object_get(conf, "users");
	srv->appliances = json_object_get(conf, "appliances");
	sshr_cas_load(srv, set);
	log_info("configuration: %zu user%s, %zu trusted CA key%s%s%s",
	    json_array_size(srv->users), json_array_size(srv->users) == 1 ?
	    "" : "s", srv->ncas, srv->ncas == 1 ? "" : "s",
	    srv->set.console ? ", console" : "",
	    srv->set.password_authentication ? ", passwords" : "");
}

/* --- listeners ----------------------------------------------------- */

static void
sshr_format_peer(const struct sockaddr *sa, char *addr, size_t alen,
    char *peer, size_t plen)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

	if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, addr, (socklen_t)alen);
		snprintf(peer, plen, "[%s]:%u", addr, ntohs(sin6->sin6_port));
	} else {
		inet_ntop(AF_INET, &sin->sin_addr, addr, (socklen_t)alen);
		snprintf(peer, plen, "%s:%u", addr, ntohs(sin->sin_port));
	}
}

static void
sshr_refuse_conn(struct sshr_server *srv, int fd, const char *peer,
    const char *why)
{
	struct audit_rec rec;

	audit_rec_init(&rec, "auth");
	rec.source = peer;
	rec.outcome = "denied";
	rec.reason = why;
	audit_write(&rec);
	log_warn("%s: refused: %s", peer, why);
	close(fd);
}

static void
sshr_on_accept_resume(evutil_socket_t fd, short what, void *arg)
{
	struct sshr_server *srv = arg;
	size_t i;

	if (srv->stopping)
		return;
	for (i = 0; i < srv->nlisten; i++)
		event_add(srv->ev_listen[i], NULL);
}

/*
 * EMFILE and friends: the connection stays queued in the kernel and would
 * wake us at once, forever.  Stop accepting for a second (open sessions
 * go on), then try again.
 */
static void
sshr_accept_pause(struct sshr_server *srv, int err)
{
	struct timeval tv = { 1, 0 };
	size_t i;

	log_warn("accept: %s; accepting again in 1 s", strerror(err));
	if (srv->ev_accept_pause == NULL &&
	    (srv->ev_accept_pause = evtimer_new(srv->base,
	    sshr_on_accept_resume, srv)) == NULL)
		return;
	for (i = 0; i < srv->nlisten; i++)
		event_del(srv->ev_listen[i]);
	evtimer_add(srv->ev_accept_pause, &tv);
}

static void
sshr_on_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct sshr_server *srv = arg;
	struct sockaddr_storage ss;
	char addr[SSHR_ADDR_MAX], peer[SSHR_PEER_MAX];
	socklen_t sl;
	int fd, i, e;

	for (i = 0; i < SSHR_ACCEPT_BURST; i++) {
		sl = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				sshr_accept_pause(srv, errno);
			else if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("accept: %s", strerror(errno));
			return;
		}
		sshr_format_peer((struct sockaddr *)&ss, addr, sizeof(addr),
		    peer, sizeof(peer));
		if (srv->stopping) {
			close(fd);
			continue;
		}
		if (srv->nunauth >= srv->set.max_startups) {
			sshr_refuse_conn(srv, fd, peer, "too many "
			    "unauthenticated connections (max_startups)");
			continue;
		}
		if (sshr_source_count(srv, addr) >=
		    srv->set.max_startups_per_source) {
			sshr_refuse_conn(srv, fd, peer, "too many "
			    "unauthenticated connections from this address "
			    "(max_startups_per_source)");
			continue;
		}
		/*
		 * Out of descriptors for the session's second one: that
		 * client is lost, but the others stay queued until some
		 * are free, rather than being accepted only to be closed.
		 */
		if ((e = sshr_session_new(srv, fd, addr, peer)) == -EMFILE ||
		    e == -ENFILE || e == -ENOMEM) {
			sshr_accept_pause(srv, -e);
			return;
		}
	}
}

static void
sshr_on_listener(struct role_rt *rt, const char *name, int fd, void *arg)
{
	struct sshr_server *srv = arg;

	if (strcmp(name, "ssh") != 0 ||
	    srv->nlisten == sizeof(srv->ev_listen) / sizeof(srv->ev_listen[0])) {
		log_warn("listener %s not for this role; closed", name);
		close(fd);
		return;
	}
	srv->ev_listen[srv->nlisten] = event_new(srv->base, fd,
	    EV_READ | EV_PERSIST, sshr_on_accept, srv);
	/* Listeners follow the configuration, so usually after on_ready. */
	if (srv->ready && !srv->stopping)
		event_add(srv->ev_listen[srv->nlisten], NULL);
	srv->nlisten++;
	log_info("listening (%s)", name);
}

static void
sshr_on_ready(struct role_rt *rt, void *arg)
{
	struct sshr_server *srv = arg;
	size_t i;

	srv->ready = 1;
	for (i = 0; i < srv->nlisten; i++)
		event_add(srv->ev_listen[i], NULL);
	log_info("jump host ready");
}

/*
 * SIGTERM: accept nothing more; idle sessions go now, tunnels drain.
 * Replaced after SIGHUP (role_draining()): every session stays until it
 * ends, as with sshd, within drain_timeout.  Either way our copies of
 * the listening sockets close, so a port the new configuration dropped
 * stops accepting as soon as the parent closes its own.
 */
static void
sshr_on_stop(struct role_rt *rt, void *arg)
{
	struct sshr_server *srv = arg;
	struct sshr_session *s, *next;
	size_t i;

	srv->stopping = 1;
	if (srv->ev_accept_pause != NULL)
		event_del(srv->ev_accept_pause);
	for (i = 0; i < srv->nlisten; i++) {
		close(event_get_fd(srv->ev_listen[i]));
		event_free(srv->ev_listen[i]);
	}
	srv->nlisten = 0;
	if (role_draining(rt) == 0)
		TAILQ_FOREACH_SAFE(s, &srv->sessions, entry, next)
			if (s->ntunnels == 0)
				sshr_session_close(s,
				    "the jump host is shutting down");
	sshr_server_session_gone(srv);
}

/* libssh's own messages, in our log (debug, or warnings). */
static void
sshr_libssh_log(int priority, const char *function, const char *buffer,
    void *userdata)
{
	/* Every answered keepalive: OpenSSH refuses the request, as it may. */
	if (priority <= SSH_LOG_WARN && strstr(buffer,
	    "keepalive@openssh.com failed") == NULL)
		log_msg(LOG_LEVEL_WARN, "libssh", "%s: %s", function, buffer);
	else
		log_msg(LOG_LEVEL_DEBUG, "libssh", "%s: %s", function, buffer);
}

int
main(int argc, char **argv)
{
	static const struct role_hooks hooks = {
		.on_config = sshr_on_config,
		.on_listener = sshr_on_listener,
		.on_ready = sshr_on_ready,
		.on_stop = sshr_on_stop,
		.arg = &server,
	};
	struct sshr_server *srv = &server;
	char *cause = NULL;
	size_t i;
	int status;

	if ((srv->rt = role_init("ssh", &hooks, &cause)) == NULL) {
		fprintf(stderr, "vnf-broker-ssh: %s\n", cause);
		return 1;
	}
	audit_set_role("ssh");
	srv->base = role_base(srv->rt);
	TAILQ_INIT(&srv->sessions);
	srv->per_user = json_object();
	if (ssh_init() != SSH_OK)
		fatal("libssh initialisation failed");
	ssh_set_log_callback(sshr_libssh_log);
	ssh_set_log_level(log_get_level() >= LOG_LEVEL_DEBUG ?
	    SSH_LOG_PROTOCOL : SSH_LOG_WARN);

	status = role_run(srv->rt);

	while (!TAILQ_EMPTY(&srv->sessions))
		sshr_session_close(TAILQ_FIRST(&srv->sessions),
		    "the jump host is shutting down");
	for (i = 0; i < srv->nlisten; i++) {
		close(event_get_fd(srv->ev_listen[i]));
		event_free(srv->ev_listen[i]);
	}
	if (srv->ev_accept_pause != NULL)
		event_free(srv->ev_accept_pause);
	for (i = 0; i < srv->ncas; i++)
		sshr_authkey_clear(&srv->cas[i]);
	free(srv->cas);
	free(srv->sources);
	json_decref(srv->per_user);
	access_free(srv->access);
	if (srv->bind != NULL)
		ssh_bind_free(srv->bind);
	role_free(srv->rt);
	ssh_finalize();
	return status;
}

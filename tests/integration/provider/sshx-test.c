/*
 * The SSH executor against a real OpenSSH sshd (started by
 * tests/integration/provider-sshx.sh, which passes everything in the
 * environment):
 *
 *	SSHX_PORT	exec port (a login shell)
 *	SSHX_CLI_PORT	port whose sessions run router-cli.py (ForceCommand)
 *	SSHX_USER, SSHX_PASSWORD, SSHX_KEY (private key file), SSHX_FP
 *	(the host key's fingerprint as ssh-keygen -l prints it)
 *
 * Prints one "ok - " or "not ok - " line per check and ends with
 * "N passed, M failed".
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common/log.h"
#include "provider/sshx.h"

static int	npass, nfail;
static int	port, cli_port;
static const char *user, *password, *fp;
static char	*key;

static void __attribute__((format(printf, 2, 3)))
check(int ok, const char *fmt, ...)
{
	va_list	ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (ok)
		npass++;
	else
		nfail++;
}

static void
show(const char *what, const char *s)
{
	printf("# %s: %s\n", what, s ? s : "(null)");
}

static long long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
count_fds(void)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static char *
read_file(const char *path)
{
	FILE	*f;
	char	*s;
	long	 n;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = calloc(1, (size_t)n + 1);
	if (s != NULL && fread(s, 1, (size_t)n, f) != (size_t)n) {
		free(s);
		s = NULL;
	}
	fclose(f);
	return s;
}

/* The caller's socket: counts calls, connects to 127.0.0.1 itself. */
struct sock_arg {
	int	calls;
	int	fail;
};

static int
open_socket(void *arg, const char *host, int p, char **cause)
{
	struct sock_arg		*a = arg;
	struct sockaddr_in	 sin;
	int			 fd;

	a->calls++;
	if (a->fail) {
		*cause = strdup("no route to the appliance's network");
		return -1;
	}
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)p);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A trust-on-first-use store of one entry. */
struct store {
	int	 calls;
	char	*fp;
	char	 host[64];
	int	 port;
};

static int
hostkey_cb(void *arg, const char *host, int p, const char *f, char **known)
{
	struct store	*st = arg;

	st->calls++;
	if (st->fp != NULL) {
		*known = strdup(st->fp);
		return 0;
	}
	st->fp = strdup(f);
	snprintf(st->host, sizeof(st->host), "%s", host);
	st->port = p;
	return 0;
}

static void
base_opts(struct sshx_opts *o, struct sock_arg *sa)
{
	memset(o, 0, sizeof(*o));
	o->host = "127.0.0.1";
	o->port = port;
	o->username = user;
	o->hostkey_sha256 = fp;
	o->open_socket = open_socket;
	o->socket_arg = sa;
	o->connect_timeout_ms = 5000;
	o->command_timeout_ms = 10000;
}

static void
test_exec(void)
{
	struct sshx_opts	 o;
	struct sock_arg		 sa = { 0 };
	struct sshx_conn	*c = NULL;
	struct sshx_result	 r;
	char			*cause = NULL;
	long long		 t0;
	int			 rc;

	base_opts(&o, &sa);
	o.private_key = key;
	rc = sshx_connect(&o, &c, &cause);
	check(rc == 0, "key auth with a pinned host key");
	if (rc != 0) {
		show("cause", cause);
		free(cause);
		return;
	}
	check(sa.calls == 1, "the open_socket callback gave the socket "
	    "(%d call)", sa.calls);
	check(strcmp(sshx_fingerprint(c), fp) == 0,
	    "fingerprint as ssh-keygen prints it (%s)", sshx_fingerprint(c));

	rc = sshx_exec(c, "printf 'a\\nb'; echo err >&2; exit 3", &r, &cause);
	check(rc == 0 && r.outlen == 3 && memcmp(r.out, "a\nb", 3) == 0,
	    "exec: stdout");
	check(rc == 0 && strcmp(r.err, "err\n") == 0, "exec: stderr");
	check(rc == 0 && r.exit_status == 3 && r.signal == NULL,
	    "exec: exit status 3 (got %d)", r.exit_status);
	check(rc == 0 && r.elapsed_ms >= 0 && r.elapsed_ms < 5000,
	    "exec: elapsed %ld ms", r.elapsed_ms);
	sshx_result_clear(&r);

	rc = sshx_exec(c, "kill -TERM $$", &r, &cause);
	check(rc == 0 && r.signal != NULL && strcmp(r.signal, "TERM") == 0 &&
	    r.exit_status == -1, "exec: killed by a signal reports TERM");
	sshx_result_clear(&r);

	t0 = now_ms();
	rc = sshx_exec_timeout(c, "sleep 30", 1000, &r, &cause);
	t0 = now_ms() - t0;
	check(rc == -ETIMEDOUT && t0 >= 1000 && t0 < 2500 && cause != NULL &&
	    strstr(cause, "timeout") != NULL,
	    "exec: sleep 30 stops at the 1 s timeout (%lld ms)", t0);
	show("cause", cause);
	free(cause);
	cause = NULL;

	rc = sshx_exec(c, "echo still here", &r, &cause);
	check(rc == 0 && strcmp(r.out, "still here\n") == 0 &&
	    r.exit_status == 0, "exec: the connection works after a timeout");
	sshx_result_clear(&r);

	rc = sshx_exec(c, "head -c 3000000 /dev/zero | tr '\\0' x", &r,
	    &cause);
	check(rc == 0 && r.outlen == 3000000, "exec: 3 MB of output under "
	    "the 4 MiB limit (%zu bytes)", r.outlen);
	sshx_result_clear(&r);

	rc = sshx_exec(c, "head -c 5000000 /dev/zero", &r, &cause);
	check(rc == -E2BIG && cause != NULL && strstr(cause, "limit of "
	    "4194304 bytes") != NULL && r.out == NULL,
	    "exec: 5 MB of output is an error, not a truncation");
	show("cause", cause);
	free(cause);
	cause = NULL;

	rc = sshx_exec(c, "exit 0", &r, &cause);
	check(rc == 0 && r.exit_status == 0 && r.outlen == 0,
	    "exec: the connection works after the limit");
	sshx_result_clear(&r);
	sshx_close(c);

	/* a smaller limit, and no callback: a plain connect here */
	base_opts(&o, &sa);
	o.open_socket = NULL;
	o.private_key = key;
	o.max_output = 1000;
	rc = sshx_connect(&o, &c, &cause);
	check(rc == 0, "connect without a socket callback");
	if (rc == 0) {
		rc = sshx_exec(c, "seq 1 1000", &r, &cause);
		check(rc == -E2BIG, "exec: a 1000-byte limit is kept");
		show("cause", cause);
		free(cause);
		cause = NULL;
		sshx_close(c);
	} else {
		show("cause", cause);
		free(cause);
	}
}

static void
test_auth(void)
{
	struct sshx_opts	 o;
	struct sock_arg		 sa = { 0 };
	struct sshx_conn	*c = NULL;
	struct sshx_result	 r;
	char			*cause = NULL, want[256];
	int			 rc;

	base_opts(&o, &sa);
	o.password = password;
	rc = sshx_connect(&o, &c, &cause);
	check(rc == 0, "password auth");
	if (rc == 0) {
		rc = sshx_exec(c, "id -un", &r, &cause);
		check(rc == 0 && strncmp(r.out, user, strlen(user)) == 0,
		    "password auth: runs as %s", user);
		sshx_result_clear(&r);
		sshx_close(c);
	} else {
		show("cause", cause);
		free(cause);
	}

	base_opts(&o, &sa);
	o.password = "not-the-password";
	rc = sshx_connect(&o, &c, &cause);
	snprintf(want, sizeof(want), "ssh 127.0.0.1:%d: authentication failed "
	    "for user \"%s\" (password)", port, user);
	check(rc == -EPERM && cause != NULL && strcmp(cause, want) == 0,
	    "wrong password refused with a clear cause");
	show("cause", cause);
	check(cause != NULL && strstr(cause, "not-the-password") == NULL,
	    "the password is not in the cause");
	free(cause);
	cause = NULL;

	base_opts(&o, &sa);
	o.private_key = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n"
	    "-----END OPENSSH PRIVATE KEY-----\n";
	rc = sshx_connect(&o, &c, &cause);
	check(rc == -EINVAL && cause != NULL &&
	    strstr(cause, "private key cannot be read") != NULL &&
	    strstr(cause, "AAAA") == NULL, "a broken private key is refused");
	show("cause", cause);
	free(cause);
	cause = NULL;

	base_opts(&o, &sa);
	rc = sshx_connect(&o, &c, &cause);
	check(rc == -EPERM && cause != NULL &&
	    strstr(cause, "no credential for what the server offers (") != NULL,
	    "no credential: the cause lists what the server offers");
	show("cause", cause);
	free(cause);
}

static void
test_hostkeys(void)
{
	struct sshx_opts	 o;
	struct sock_arg		 sa = { 0 };
	struct sshx_conn	*c = NULL;
	struct store		 st = { 0 };
	char			*cause = NULL;
	const char		*bogus =
	    "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	int			 rc;

	base_opts(&o, &sa);
	o.private_key = key;
	o.hostkey_sha256 = bogus;
	rc = sshx_connect(&o, &c, &cause);
	check(rc == -EPERM && cause != NULL && strstr(cause, bogus) != NULL &&
	    strstr(cause, fp) != NULL && strstr(cause, "host key changed") !=
	    NULL, "a wrong pinned key is refused, both fingerprints named");
	show("cause", cause);
	free(cause);
	cause = NULL;

	base_opts(&o, &sa);
	o.private_key = key;
	o.hostkey_sha256 = NULL;
	rc = sshx_connect(&o, &c, &cause);
	check(rc == -EPERM && cause != NULL && strstr(cause, "no policy") !=
	    NULL, "no host key policy: refused");
	show("cause", cause);
	free(cause);
	cause = NULL;

	base_opts(&o, &sa);
	o.private_key = key;
	o.hostkey_sha256 = NULL;
	o.hostkey_cb = hostkey_cb;
	o.hostkey_arg = &st;
	rc = sshx_connect(&o, &c, &cause);
	check(rc == 0 && st.calls == 1 && st.fp != NULL &&
	    strcmp(st.fp, fp) == 0 && strcmp(st.host, "127.0.0.1") == 0 &&
	    st.port == port, "TOFU: first use records the key");
	sshx_close(c);
	c = NULL;
	free(cause);
	cause = NULL;
	rc = sshx_connect(&o, &c, &cause);
	check(rc == 0 && st.calls == 2, "TOFU: the recorded key matches");
	sshx_close(c);
	c = NULL;
	free(cause);
	cause = NULL;

	free(st.fp);
	st.fp = strdup(bogus);
	rc = sshx_connect(&o, &c, &cause);
	check(rc == -EPERM && cause != NULL && strstr(cause, bogus) != NULL &&
	    strstr(cause, fp) != NULL && st.calls == 3,
	    "TOFU: a changed key is refused, both fingerprints named");
	show("cause", cause);
	free(cause);
	cause = NULL;
	free(st.fp);

	/* the pin without the SHA256: prefix and with base64 padding */
	{
		char	pin[128];

		snprintf(pin, sizeof(pin), "%s=", fp + 7);
		base_opts(&o, &sa);
		o.private_key = key;
		o.hostkey_sha256 = pin;
		rc = sshx_connect(&o, &c, &cause);
		check(rc == 0, "a pin without prefix, with padding, matches");
		sshx_close(c);
		c = NULL;
		free(cause);
		cause = NULL;
	}
}

static void
test_connect_errors(void)
{
	struct sshx_opts	 o;
	struct sock_arg		 sa = { 0 };
	struct sshx_conn	*c = NULL;
	char			*cause = NULL;
	int			 rc;

	base_opts(&o, &sa);
	o.private_key = key;
	o.port = 1;
	rc = sshx_connect(&o, &c, &cause);
	check(rc == -ECONNREFUSED && cause != NULL &&
	    strstr(cause, "ssh 127.0.0.1:1: connect: ") != NULL,
	    "connection refused names the connect step");
	show("cause", cause);
	free(cause);
	cause = NULL;

	base_opts(&o, &sa);
	o.private_key = key;
	sa.fail = 1;
	rc = sshx_connect(&o, &c, &cause);
	check(rc < 0 && cause != NULL && strstr(cause, "no route to the "
	    "appliance's network") != NULL, "the callback's cause is kept");
	show("cause", cause);
	free(cause);
}

static struct sshx_conn *
cli_conn(void)
{
	static struct sock_arg	 sa;
	struct sshx_opts	 o;
	struct sshx_conn	*c = NULL;
	char			*cause = NULL;

	base_opts(&o, &sa);
	o.port = cli_port;
	o.private_key = key;
	if (sshx_connect(&o, &c, &cause) != 0) {
		show("cause", cause);
		free(cause);
		return NULL;
	}
	return c;
}

/* Run a line, expecting success; returns the output (or NULL). */
static char *
run(struct sshx_cli *cli, const char *line)
{
	char	*out = NULL, *cause = NULL;

	if (sshx_cli_run(cli, line, 5000, &out, &cause) != 0) {
		printf("# %s: %s\n", line, cause ? cause : "?");
		free(cause);
		free(out);
		return NULL;
	}
	return out;
}

static int
clean_text(const char *s)
{
	return s != NULL && strchr(s, '\r') == NULL &&
	    strchr(s, '\x1b') == NULL;
}

static void
test_cli(void)
{
	static const struct sshx_answer answers[] = {
		{ "\\[confirm\\]$", "y" },
	};
	struct sshx_conn	*c;
	struct sshx_cli_opts	 co;
	struct sshx_cli		*cli = NULL;
	char			*out, *cause = NULL;
	int			 rc, prompts_ok;

	if ((c = cli_conn()) == NULL) {
		check(0, "cli: connect");
		return;
	}
	memset(&co, 0, sizeof(co));
	co.paging_command = "terminal length 0";
	co.answers = answers;
	co.nanswers = 1;
	rc = sshx_cli_open(c, &co, &cli, &cause);
	check(rc == 0, "cli: open, prompt learned at login");
	if (rc != 0) {
		show("cause", cause);
		free(cause);
		sshx_close(c);
		return;
	}
	show("learned", sshx_cli_pattern(cli));
	check(strcmp(sshx_cli_prompt(cli), "Router>") == 0,
	    "cli: the prompt is Router>");

	out = run(cli, "show version");
	check(out != NULL && strncmp(out, "Cisco IOS XE Software", 21) == 0 &&
	    strstr(out, "show version") == NULL && clean_text(out) &&
	    strstr(out, "Router>") == NULL && strlen(out) > 7 &&
	    strcmp(out + strlen(out) - 7, "0x2102\n") == 0,
	    "cli: show version without echo, CRs or the prompt");
	free(out);

	prompts_ok = 1;
	free(run(cli, "enable"));
	prompts_ok &= strcmp(sshx_cli_prompt(cli), "Router#") == 0;
	out = run(cli, "configure terminal");
	prompts_ok &= strcmp(sshx_cli_prompt(cli), "Router(config)#") == 0;
	check(out != NULL && strncmp(out, "Enter configuration commands",
	    28) == 0, "cli: configure terminal's answer");
	free(out);
	free(run(cli, "interface GigabitEthernet3"));
	prompts_ok &= strcmp(sshx_cli_prompt(cli), "Router(config-if)#") == 0;
	free(run(cli, "description uplink to core"));
	free(run(cli, "ip address 192.0.2.1 255.255.255.0"));
	free(run(cli, "no shutdown"));
	free(run(cli, "exit"));
	prompts_ok &= strcmp(sshx_cli_prompt(cli), "Router(config)#") == 0;
	free(run(cli, "end"));
	prompts_ok &= strcmp(sshx_cli_prompt(cli), "Router#") == 0;
	check(prompts_ok, "cli: prompts followed through enable, config, "
	    "config-if, exit, end");

	out = run(cli, "show running-config");
	check(out != NULL && strstr(out, "interface GigabitEthernet3\n "
	    "description uplink to core\n ip address 192.0.2.1 "
	    "255.255.255.0\n!\n") != NULL && strstr(out, "--More--") == NULL &&
	    strstr(out, "\nend\n") != NULL && clean_text(out),
	    "cli: show running-config reflects the change, unpaged");
	free(out);

	out = run(cli, "show banner");
	check(out != NULL && strcmp(out, "bold line\ngreen line\n") == 0,
	    "cli: ANSI escapes stripped");
	free(out);

	out = run(cli, "show late");
	check(out != NULL && strstr(out, "late line") != NULL,
	    "cli: late output after a prompt-like line is kept");
	free(out);

	rc = sshx_cli_run(cli, "shwo ip", 5000, &out, &cause);
	check(rc == -EIO && cause != NULL && strstr(cause, "\"shwo ip\"") &&
	    strstr(cause, "% Invalid input detected at '^' marker.") != NULL &&
	    strstr(cause, "command ") != NULL && out != NULL,
	    "cli: invalid input reported with the device's words");
	show("cause", cause);
	free(cause);
	cause = NULL;
	free(out);
	out = NULL;

	free(run(cli, "configure terminal"));
	rc = sshx_cli_run(cli, "interface", 5000, &out, &cause);
	check(rc == -EIO && cause != NULL &&
	    strstr(cause, "% Incomplete command.") != NULL,
	    "cli: incomplete command reported");
	show("cause", cause);
	free(cause);
	cause = NULL;
	free(out);
	free(run(cli, "end"));

	out = run(cli, "reload");
	check(out != NULL && strstr(out, "Reload scheduled") != NULL &&
	    strcmp(sshx_cli_prompt(cli), "Router#") == 0,
	    "cli: [confirm] answered");
	free(out);

	rc = sshx_cli_run(cli, "show version\nreload", 5000, &out, &cause);
	check(rc == -EINVAL && out == NULL, "cli: a line break is refused");
	free(cause);
	cause = NULL;

	rc = sshx_cli_run(cli, "show hang", 1000, &out, &cause);
	check(rc == -ETIMEDOUT && cause != NULL &&
	    strstr(cause, "(\"show hang\"): timeout: no prompt within 1000 "
	    "ms") != NULL &&
	    strstr(cause, "hanging forever") != NULL,
	    "cli: a prompt that never comes: timeout, last output quoted");
	show("cause", cause);
	free(cause);
	cause = NULL;
	rc = sshx_cli_run(cli, "show version", 1000, &out, &cause);
	check(rc != 0 && cause != NULL && strstr(cause, "unusable") != NULL,
	    "cli: the session is refused after a timeout");
	free(cause);
	cause = NULL;
	sshx_cli_close(cli);
	cli = NULL;

	/* paging on, a given prompt pattern, no answers */
	memset(&co, 0, sizeof(co));
	co.prompt = SSHX_DEFAULT_PROMPT;
	rc = sshx_cli_open(c, &co, &cli, &cause);
	check(rc == 0, "cli: open with the default prompt pattern");
	if (rc == 0) {
		free(run(cli, "enable"));
		out = run(cli, "show running-config");
		check(out != NULL && strstr(out, "--More--") == NULL &&
		    strstr(out, "ip route 192.0.2.15 255.255.255.255 "
		    "Null0\n") != NULL && strstr(out, "\nend\n") != NULL &&
		    clean_text(out),
		    "cli: --More-- pages answered and erased");
		free(out);
		rc = sshx_cli_run(cli, "reload", 1000, &out, &cause);
		check(rc == -ETIMEDOUT && cause != NULL &&
		    strstr(cause, "[confirm]") != NULL,
		    "cli: an unanswered question times out, quoted");
		show("cause", cause);
		free(cause);
		cause = NULL;
		sshx_cli_close(cli);
	} else {
		show("cause", cause);
		free(cause);
	}
	sshx_close(c);
}

int
main(void)
{
	const char	*keyfile;
	int		 fds0, fds1;

	if (getenv("SSHX_PORT") == NULL || getenv("SSHX_CLI_PORT") == NULL ||
	    (user = getenv("SSHX_USER")) == NULL ||
	    (password = getenv("SSHX_PASSWORD")) == NULL ||
	    (keyfile = getenv("SSHX_KEY")) == NULL ||
	    (fp = getenv("SSHX_FP")) == NULL) {
		fprintf(stderr, "run by tests/integration/provider-sshx.sh\n");
		return 77;
	}
	port = atoi(getenv("SSHX_PORT"));
	cli_port = atoi(getenv("SSHX_CLI_PORT"));
	if ((key = read_file(keyfile)) == NULL) {
		fprintf(stderr, "cannot read %s\n", keyfile);
		return 1;
	}
	log_init("test", LOG_LEVEL_DEBUG, 0);
	fds0 = count_fds();
	test_exec();
	test_auth();
	test_hostkeys();
	test_connect_errors();
	test_cli();
	fds1 = count_fds();
	check(fds0 == fds1, "no descriptor leaked (%d before, %d after)",
	    fds0, fds1);
	if (fds0 != fds1)
		(void)system("ls -l /proc/$PPID/fd | sed 's/^/# /'");
	free(key);
	printf("%d passed, %d failed\n", npass, nfail);
	return nfail ? 1 : 0;
}

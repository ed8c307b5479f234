/*
 * SSH executor (libssh client): runs an operation's commands on an
 * appliance, either one exec request per command or, for network devices,
 * line by line through an interactive CLI on a PTY.
 *
 *	struct sshx_opts	 o = {
 *		.host = "198.18.1.10", .port = 22,
 *		.username = "admin", .password = pw,
 *		.hostkey_sha256 = "SHA256:1rz...",
 *		.open_socket = engine_socket, .socket_arg = appliance,
 *	};
 *	struct sshx_conn	*c;
 *	struct sshx_result	 r;
 *	char			*cause;
 *
 *	if (sshx_connect(&o, &c, &cause) != 0)
 *		... cause: "ssh 198.18.1.10:22: authentication failed for
 *		... user \"admin\" (password)"
 *	if (sshx_exec(c, "nft -j list ruleset", &r, &cause) == 0) {
 *		... r.out, r.err, r.exit_status
 *		sshx_result_clear(&r);
 *	}
 *	sshx_close(c);
 *
 * Sockets come from outside: the caller's open_socket callback returns a
 * connected (or connecting, non-blocking) TCP socket, so the engine can
 * hand over one made inside the appliance's network namespace; libssh is
 * given the descriptor and never resolves or connects by itself.  Without
 * the callback, host:port is resolved and connected here.
 *
 * Host keys: a pinned fingerprint ("SHA256:base64", as ssh-keygen -l
 * prints it), or trust on first use through hostkey_cb, which looks the
 * host up in the caller's store and records a new key there.  A key that
 * differs from the pinned or recorded one is refused, and the cause names
 * both fingerprints.  With neither, every connection is refused.
 *
 * Every function that can fail returns 0 or a negative code and stores in
 * *cause (when cause is not NULL) a message for the user that starts
 * "ssh HOST:PORT: " and names the step that failed: connect, key
 * exchange, host key, authentication, channel, command N, timeout.  The
 * caller frees it with free().  Codes:
 *	-EINVAL		bad options or a command line that cannot be sent;
 *	-ECONNREFUSED, -EHOSTUNREACH, ... the TCP connect (from errno);
 *	-ETIMEDOUT	a connect or command timeout;
 *	-EPERM		host key refused or authentication failed;
 *	-EPROTO		the SSH protocol failed (key exchange, channel);
 *	-EPIPE		the server closed the session or channel early;
 *	-E2BIG		output over the limit (an error, never truncation);
 *	-EIO		the device reported an error (CLI error pattern);
 *	-ENOMEM		out of memory.
 *
 * Secrets (password, private key, passphrase) are only read during
 * sshx_connect(); they are neither copied nor logged.
 *
 * Threads: a connection and its CLI sessions are used by one thread at a
 * time; different connections are independent.
 */
#ifndef VB_PROVIDER_SSHX_H
#define VB_PROVIDER_SSHX_H

#include <stddef.h>

/* Default limit on one command's output (stdout and stderr together). */
#define SSHX_MAX_OUTPUT		(4u * 1024 * 1024)
#define SSHX_CONNECT_TIMEOUT_MS	10000
#define SSHX_COMMAND_TIMEOUT_MS	30000
/* CLI: quiet time after a prompt before the output is taken as complete. */
#define SSHX_SETTLE_MS		50
/* CLI: quiet time that ends the login output when the prompt is learned. */
#define SSHX_LOGIN_SETTLE_MS	500
/* Bytes of the last output quoted in a prompt timeout. */
#define SSHX_TAIL_QUOTE		200
/* The default prompt: Router>, Router#, Router(config-if)#, user@host:~$ */
#define SSHX_DEFAULT_PROMPT \
	"^[\\w.@:~/-]+(\\([\\w./:-]+\\))?[>#$%] ?$"

/*
 * Give a TCP socket to host:port, connected or connecting (non-blocking
 * is fine).  Return the descriptor, which sshx then owns, or -1 with
 * *cause set (allocated) or NULL (errno is then used).
 */
typedef int (*sshx_socket_fn)(void *arg, const char *host, int port,
	    char **cause);

/*
 * Trust on first use.  Look host:port up in the caller's store.  If a key
 * is recorded, set *known to a malloc'd copy of its fingerprint and
 * return 0: sshx compares the two and refuses a changed key.  If none is
 * recorded, record fingerprint, leave *known NULL and return 0: the key
 * is accepted.  Return -1 to refuse the connection (store unavailable).
 */
typedef int (*sshx_hostkey_fn)(void *arg, const char *host, int port,
	    const char *fingerprint, char **known);

struct sshx_opts {
	const char	*host;		/* for messages, and to connect when
					   open_socket is NULL */
	int		 port;		/* 0: 22 */
	const char	*username;
	const char	*password;	/* NULL: none */
	const char	*private_key;	/* PEM text (OpenSSH or PKCS#8); NULL:
					   none */
	const char	*key_passphrase; /* NULL: the key is not encrypted */
	const char	*hostkey_sha256; /* pinned; wins over hostkey_cb */
	sshx_hostkey_fn	 hostkey_cb;
	void		*hostkey_arg;
	sshx_socket_fn	 open_socket;	/* NULL: connect to host:port here */
	void		*socket_arg;
	int		 connect_timeout_ms; /* 0: SSHX_CONNECT_TIMEOUT_MS; the
					   TCP connect and each handshake step */
	int		 command_timeout_ms; /* 0: SSHX_COMMAND_TIMEOUT_MS */
	size_t		 max_output;	/* 0: SSHX_MAX_OUTPUT */
};

struct sshx_conn;

/* Connect, check the host key, authenticate.  *out is freed by
 * sshx_close(). */
int	sshx_connect(const struct sshx_opts *o, struct sshx_conn **out,
	    char **cause);
/* Disconnect and free; NULL is fine.  Close CLI sessions first. */
void	sshx_close(struct sshx_conn *c);
/* The server key's fingerprint ("SHA256:..."); owned by c. */
const char *sshx_fingerprint(const struct sshx_conn *c);
/*
 * For connection reuse.  sshx_alive() takes in what the server sent
 * meanwhile, without waiting, and says whether the session is still up
 * (1) or gone (0).  sshx_sent() counts the exec requests and CLI writes
 * tried on c so far: when a call fails and the count did not move,
 * nothing of it reached the server, so it may be tried again elsewhere.
 */
int	sshx_alive(struct sshx_conn *c);
unsigned long sshx_sent(const struct sshx_conn *c);

/* What one exec request gave.  Strings are owned by the result. */
struct sshx_result {
	char		*out;		/* stdout, NUL-terminated */
	size_t		 outlen;
	char		*err;		/* stderr, NUL-terminated */
	size_t		 errlen;
	int		 exit_status;	/* -1: none reported */
	char		*signal;	/* "KILL" etc. if a signal ended it,
					   else NULL */
	long		 elapsed_ms;
};

/*
 * Run command in an exec channel, within the command timeout (which
 * covers opening the channel, the run and reading all output).  Returns
 * 0 whenever the command ran to the end, whatever its exit status; the
 * caller judges that.  On failure *r is left cleared.
 */
int	sshx_exec(struct sshx_conn *c, const char *command,
	    struct sshx_result *r, char **cause);
/* The same with a timeout of its own (0: the connection's). */
int	sshx_exec_timeout(struct sshx_conn *c, const char *command,
	    int timeout_ms, struct sshx_result *r, char **cause);
void	sshx_result_clear(struct sshx_result *r);

/* An answer to an interactive question. */
struct sshx_answer {
	const char	*pattern;	/* PCRE2, searched in the last line */
	const char	*answer;	/* sent as is: add "\n" where the
					   device wants Enter */
};

struct sshx_cli_opts {
	const char	*prompt;	/* PCRE2 for the last line; NULL:
					   learned at login */
	const char	*paging_command; /* e.g. "terminal length 0"; NULL */
	/* Searched (multi-line) in each command's output, even when the
	 * prompt came back.  NULL: the defaults (sshx_default_errors);
	 * a non-NULL list with nerror_patterns 0: none. */
	const char *const *error_patterns;
	size_t		 nerror_patterns;
	const struct sshx_answer *answers;
	size_t		 nanswers;
	const char	*pager;		/* PCRE2; NULL: "--\s*More\s*--";
					   answered with a space */
	const char	*term;		/* NULL: "vt100" */
	int		 cols;		/* 0: 511 */
	int		 rows;		/* 0: 24 */
	int		 settle_ms;	/* 0: SSHX_SETTLE_MS */
	int		 login_settle_ms; /* 0: SSHX_LOGIN_SETTLE_MS */
	int		 login_timeout_ms; /* 0: the connect timeout */
};

/* "^% ?Invalid input", "^% ?Incomplete command", ... (NULL-terminated). */
extern const char *const sshx_default_errors[];

struct sshx_cli;

/*
 * Open a PTY shell, wait for the prompt (learning it when o->prompt is
 * NULL) and send the paging command.  *out is freed by sshx_cli_close().
 */
int	sshx_cli_open(struct sshx_conn *c, const struct sshx_cli_opts *o,
	    struct sshx_cli **out, char **cause);
/*
 * Send one line (no CR or LF in it) and read until the prompt is back at
 * the end of the output and nothing more came for settle_ms.  timeout_ms
 * 0 means the connection's command timeout.  *output (allocated, the
 * caller frees) is the device's answer without the echoed line, the
 * trailing prompt, ANSI escapes and CRs.  When an error pattern matches,
 * the return is -EIO, *output is still set and the cause quotes the
 * device's line.  After a timeout or a lost channel the session is
 * unusable and every later call fails; open a new one.
 */
int	sshx_cli_run(struct sshx_cli *cli, const char *line, int timeout_ms,
	    char **output, char **cause);
/*
 * The same, quoting display instead of line in messages (NULL: line):
 * the caller's masked form of a line that holds a secret.
 */
int	sshx_cli_send(struct sshx_cli *cli, const char *line,
	    const char *display, int timeout_ms, char **output, char **cause);
/*
 * Reuse.  sshx_cli_usable(): 1 when the session can take another line
 * (no earlier timeout or loss, the channel open, the connection alive).
 * sshx_cli_begin(): start a new list of commands on an open session:
 * the error patterns are replaced (same meaning as in sshx_cli_opts) and
 * command numbers in messages start again at 1.
 */
int	sshx_cli_usable(struct sshx_cli *cli);
int	sshx_cli_begin(struct sshx_cli *cli, const char *const *error_patterns,
	    size_t nerror_patterns, char **cause);
/* The last prompt seen ("Router(config-if)#"); owned by cli. */
const char *sshx_cli_prompt(const struct sshx_cli *cli);
/* The prompt pattern in use (given or learned); owned by cli. */
const char *sshx_cli_pattern(const struct sshx_cli *cli);
void	sshx_cli_close(struct sshx_cli *cli);

/*
 * Pure functions on bytes, used by the CLI mode and fed by the fuzzer.
 */

/* sshx_clean() flags. */
#define SSHX_CLEAN_TRIM		0x01	/* drop blanks at the end of lines */

/*
 * Terminal output to plain text: ANSI escapes (CSI, OSC, DCS, two-byte)
 * removed; CR, backspace and the erasing CSI sequences (K, D, C, G)
 * applied to the line as a terminal would; CR LF becomes LF; other
 * controls but TAB dropped.  Never longer than the input.  *out is a new
 * NUL-terminated string, *outlen (may be NULL) its length.
 */
int	sshx_clean(const char *in, size_t len, unsigned int flags,
	    char **out, size_t *outlen);

struct sshx_pattern;

/* Compile a PCRE2 pattern (UTF-8, invalid UTF-8 in subjects tolerated). */
int	sshx_pattern_compile(const char *src, int multiline,
	    struct sshx_pattern **out, char **cause);
void	sshx_pattern_free(struct sshx_pattern *p);

/*
 * Does the last line of raw terminal output, cleaned, match the prompt
 * pattern up to its very end?  1 yes (and *line, if not NULL, is a new
 * copy of that cleaned line), 0 no, negative on error.
 */
int	sshx_prompt_match(const struct sshx_pattern *p, const char *raw,
	    size_t len, char **line);

/*
 * A prompt pattern learned from login output: the last line, with its
 * mode suffix "(config...)", trailing blanks and terminator (> # $ %)
 * taken off, escaped, then "(\(...\))?[>#$%]\s*$" put back so that the
 * mode changes still match ("Router>" gives
 * "^[ \t]*Router(\([^()\n]{0,64}\))?[>#$%]\s*$").  *pattern is new.
 * -ENOENT when the output has no non-blank last line, -EILSEQ when that
 * line is not valid UTF-8.
 */
int	sshx_prompt_learn(const char *raw, size_t len, char **pattern);

/*
 * One command's raw output (echo, output, prompt) to its answer: cleaned
 * (trimmed), the first line dropped when it is the echo of line, the last
 * line (the prompt) dropped.  *out is new.
 */
int	sshx_cli_output(const char *raw, size_t len, const char *line,
	    char **out, size_t *outlen);

#endif

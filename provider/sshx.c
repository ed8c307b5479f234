/*
 * The SSH executor on libssh (see sshx.h).
 *
 * libssh is used in blocking mode for the handshake steps, each bounded
 * by the session timeout, and through one ssh_event per connection for
 * reading: channel callbacks append what arrives to the channel's buffers
 * and the loops here poll with the time left until their deadline.  That
 * keeps stdout and stderr apart in exec mode without a thread, and lets
 * the CLI mode wait for "prompt, then quiet for settle_ms" exactly.
 *
 * libssh reads no configuration file (SSH_OPTIONS_PROCESS_CONFIG off), no
 * known_hosts and no ~/.ssh identity: everything comes from the options.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <libssh/libssh.h>
#include <libssh/callbacks.h>

#include "common/log.h"
#include "provider/sshx.h"

/* Bytes of a last line looked at for a prompt, a pager or a question. */
#define TAIL_MAX		4096
/* Limits for one PCRE2 match attempt. */
#define MATCH_LIMIT		1000000u
#define DEPTH_LIMIT		10000u
/* Keyboard-interactive rounds before giving up. */
#define KBDINT_ROUNDS		8
/* Bytes of a command line quoted in a message. */
#define QUOTE_LINE		120

const char *const sshx_default_errors[] = {
	"^% ?Invalid input",
	"^% ?Incomplete command",
	"^% ?Ambiguous command",
	"^% ?Unknown command",
	"^% ?Unrecognized command",
	"^% ?Error",
	"^% ?Bad ",
	"^(syntax error|unknown command|Invalid command)",
	NULL
};

struct sshx_pattern {
	pcre2_code		*re;
	pcre2_match_context	*mctx;
};

struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

/* One channel and what its callbacks gathered. */
struct chan {
	ssh_channel	 ch;
	struct ssh_channel_callbacks_struct cb;
	struct buf	 out;
	struct buf	 err;
	size_t		 max;		/* out + err */
	int		 merge;		/* stderr into out (PTY) */
	int		 over;		/* max passed */
	int		 nomem;
	int		 eof;
	int		 closed;
	int		 have_status;
	int		 status;
	char		*signal;
};

struct sshx_conn {
	ssh_session	 s;
	ssh_event	 ev;
	char		*where;		/* "host:port" */
	char		*fp;
	int		 fd;		/* given to libssh with SSH_OPTIONS_FD */
	dev_t		 fd_dev;	/* ... and what it was, to close it */
	ino_t		 fd_ino;
	int		 connect_timeout_ms;
	int		 command_timeout_ms;
	size_t		 max_output;
	unsigned long	 sent;		/* exec requests and CLI writes tried */
};

struct sshx_cli {
	struct sshx_conn *c;
	struct chan	*x;
	struct sshx_pattern *prompt;
	struct sshx_pattern *pager;
	struct sshx_pattern **errs;
	size_t		 nerrs;
	struct sshx_pattern **qre;
	char		**qans;
	size_t		 nq;
	char		*pattern_src;
	char		*last_prompt;
	int		 settle_ms;
	unsigned int	 ncmd;
	int		 broken;
};

static long long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
left_ms(long long deadline)
{
	long long	d = deadline - now_ms();

	if (d <= 0)
		return 0;
	return d > INT_MAX ? INT_MAX : (int)d;
}

/* Store "ssh WHERE: <fmt>" in *cause. */
static void __attribute__((format(printf, 3, 4)))
set_cause(char **cause, const char *where, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	if (cause == NULL)
		return;
	*cause = NULL;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	if (msg == NULL)
		return;
	if (asprintf(cause, "ssh %s: %s", where, msg) == -1)
		*cause = NULL;
	free(msg);
}

/* A printable, C-escaped copy of at most max bytes of s (the last max when
 * tail is set), for messages. */
static char *
quote(const char *s, size_t n, size_t max, int tail)
{
	char		*q, *p;
	size_t		 i;
	int		 cut = 0;

	if (n > max) {
		if (tail)
			s += n - max;
		n = max;
		cut = 1;
	}
	if ((q = malloc(n * 4 + 4)) == NULL)
		return NULL;
	p = q;
	if (cut && tail) {
		memcpy(p, "...", 3);
		p += 3;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n') {
			*p++ = '\\';
			*p++ = 'n';
		} else if (c == '\r') {
			*p++ = '\\';
			*p++ = 'r';
		} else if (c == '"' || c == '\\') {
			*p++ = '\\';
			*p++ = (char)c;
		} else if (c < 0x20 || c == 0x7f)
			p += sprintf(p, "\\x%02x", c);
		else
			*p++ = (char)c;
	}
	if (cut && !tail) {
		memcpy(p, "...", 3);
		p += 3;
	}
	*p = '\0';
	return q;
}

static int
buf_add(struct buf *b, const void *data, size_t len)
{
	size_t	 cap;
	char	*p;

	if (b->len + len + 1 > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + len + 1)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

/* A NUL-terminated copy (possibly empty) handed to the caller. */
static char *
buf_take(struct buf *b, size_t *len)
{
	char	*p;

	if (b->p == NULL && buf_add(b, "", 0) != 0)
		return NULL;
	p = b->p;
	*len = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

/*
 * Terminal output cleaning.  The current line lives at o[ls .. ls+ll) with
 * the cursor at ls+cur, cur <= ll always, so a byte written never lands
 * past what was written before plus one: the output cannot outgrow the
 * input.
 */

static size_t
csi_param(const char *p, size_t n, size_t dflt)
{
	size_t	v = 0, i;
	int	any = 0;

	for (i = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
		any = 1;
		if (v < 100000)
			v = v * 10 + (size_t)(p[i] - '0');
	}
	return any ? v : dflt;
}

/* Skip an escape sequence starting at in[i] == ESC; return the index
 * after it, applying the CSI cursor moves that erase. */
static size_t
skip_escape(const char *in, size_t len, size_t i, size_t *cur, size_t *ll)
{
	size_t	j, ps, n;
	char	f;

	j = i + 1;
	if (j >= len)
		return len;
	switch (in[j]) {
	case '[':		/* CSI params intermediates final */
		ps = ++j;
		while (j < len && (unsigned char)in[j] >= 0x30 &&
		    (unsigned char)in[j] <= 0x3f)
			j++;
		n = j - ps;
		while (j < len && (unsigned char)in[j] >= 0x20 &&
		    (unsigned char)in[j] <= 0x2f)
			j++;
		if (j >= len)
			return len;
		f = in[j];
		if ((unsigned char)f < 0x40 || (unsigned char)f > 0x7e)
			return j;	/* broken: drop what was read */
		switch (f) {
		case 'K':
			if (csi_param(in + ps, n, 0) == 0)
				*ll = *cur;
			else if (csi_param(in + ps, n, 0) == 2)
				*ll = *cur = 0;
			break;
		case 'D':
			n = csi_param(in + ps, n, 1);
			*cur = n > *cur ? 0 : *cur - n;
			break;
		case 'C':
			n = csi_param(in + ps, n, 1);
			*cur = n > *ll - *cur ? *ll : *cur + n;
			break;
		case 'G':
			n = csi_param(in + ps, n, 1);
			n = n ? n - 1 : 0;
			*cur = n > *ll ? *ll : n;
			break;
		}
		return j + 1;
	case ']':		/* OSC ... BEL or ST */
	case 'P':		/* DCS, SOS, PM, APC ... ST */
	case 'X':
	case '^':
	case '_':
		for (j++; j < len; j++) {
			if (in[j] == '\a' && in[i + 1] == ']')
				return j + 1;
			if (in[j] == 0x1b && j + 1 < len && in[j + 1] == '\\')
				return j + 2;
		}
		return len;
	default:		/* ESC intermediates final */
		while (j < len && (unsigned char)in[j] >= 0x20 &&
		    (unsigned char)in[j] <= 0x2f)
			j++;
		return j < len ? j + 1 : len;
	}
}

static size_t
trim_end(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n;
}

int
sshx_clean(const char *in, size_t len, unsigned int flags, char **out,
    size_t *outlen)
{
	char	*o;
	size_t	 i, j, ls = 0, cur = 0, ll = 0;

	if ((o = malloc(len + 1)) == NULL)
		return -ENOMEM;
	for (i = 0; i < len;) {
		unsigned char c = (unsigned char)in[i];

		if (c == 0x1b) {
			i = skip_escape(in, len, i, &cur, &ll);
			continue;
		}
		if (c == '\r') {
			for (j = i; j < len && in[j] == '\r'; j++)
				;
			if (j < len && in[j] == '\n') {
				i = j;		/* CR... LF: a line end */
				continue;
			}
			cur = 0;
			i = j;
			continue;
		}
		i++;
		if (c == '\n') {
			if (flags & SSHX_CLEAN_TRIM)
				ll = trim_end(o + ls, ll);
			o[ls + ll] = '\n';
			ls += ll + 1;
			cur = ll = 0;
		} else if (c == '\b') {
			if (cur > 0)
				cur--;
		} else if ((c < 0x20 && c != '\t') || c == 0x7f)
			continue;
		else {
			o[ls + cur++] = (char)c;
			if (cur > ll)
				ll = cur;
		}
	}
	if (flags & SSHX_CLEAN_TRIM)
		ll = trim_end(o + ls, ll);
	ls += ll;
	o[ls] = '\0';
	*out = o;
	if (outlen != NULL)
		*outlen = ls;
	return 0;
}

int
sshx_pattern_compile(const char *src, int multiline,
    struct sshx_pattern **out, char **cause)
{
	struct sshx_pattern	*p;
	int			 err;
	PCRE2_SIZE		 off;
	PCRE2_UCHAR		 msg[256];
	uint32_t		 opt;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -ENOMEM;
	opt = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C;
	if (multiline)
		opt |= PCRE2_MULTILINE;
	p->re = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED, opt,
	    &err, &off, NULL);
	if (p->re == NULL) {
		pcre2_get_error_message(err, msg, sizeof(msg));
		if (cause != NULL &&
		    asprintf(cause, "pattern \"%s\" at %zu: %s", src,
		    (size_t)off + 1, (char *)msg) == -1)
			*cause = NULL;
		free(p);
		return -EINVAL;
	}
	if ((p->mctx = pcre2_match_context_create(NULL)) == NULL) {
		sshx_pattern_free(p);
		return -ENOMEM;
	}
	pcre2_set_match_limit(p->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(p->mctx, DEPTH_LIMIT);
	*out = p;
	return 0;
}

void
sshx_pattern_free(struct sshx_pattern *p)
{
	if (p == NULL)
		return;
	pcre2_match_context_free(p->mctx);
	pcre2_code_free(p->re);
	free(p);
}

/* Search s; 1 and the match's offsets, 0 no match, negative on error. */
static int
pattern_find(const struct sshx_pattern *p, const char *s, size_t n,
    uint32_t opt, size_t *so, size_t *eo)
{
	pcre2_match_data	*md;
	PCRE2_SIZE		*ov;
	int			 rc;

	if ((md = pcre2_match_data_create_from_pattern(p->re, NULL)) == NULL)
		return -ENOMEM;
	rc = pcre2_match(p->re, (PCRE2_SPTR)s, n, 0, opt, md, p->mctx);
	if (rc >= 0 || rc == PCRE2_ERROR_NOMATCH) {
		if (rc >= 0) {
			ov = pcre2_get_ovector_pointer(md);
			if (so != NULL)
				*so = ov[0];
			if (eo != NULL)
				*eo = ov[1];
		}
		rc = rc >= 0;
	} else
		rc = -E2BIG;	/* a limit, or a broken pattern */
	pcre2_match_data_free(md);
	return rc;
}

/* The cleaned last line of raw[from .. len), looking at TAIL_MAX bytes at
 * most.  *line is new. */
static int
last_line(const char *raw, size_t from, size_t len, char **line, size_t *n)
{
	size_t	 s = len;

	while (s > from && raw[s - 1] != '\n')
		s--;
	if (len - s > TAIL_MAX)
		s = len - TAIL_MAX;
	return sshx_clean(raw + s, len - s, 0, line, n);
}

int
sshx_prompt_match(const struct sshx_pattern *p, const char *raw, size_t len,
    char **line)
{
	char	*l;
	size_t	 n;
	int	 rc;

	if (line != NULL)
		*line = NULL;
	if ((rc = last_line(raw, 0, len, &l, &n)) != 0)
		return rc;
	if (n == 0)
		rc = 0;
	else
		rc = pattern_find(p, l, n, PCRE2_ENDANCHORED, NULL, NULL);
	if (rc == 1 && line != NULL) {
		n = trim_end(l, n);
		l[n] = '\0';
		*line = l;
		l = NULL;
	}
	free(l);
	return rc;
}

/* Is s[0..n) valid UTF-8?  (A learned pattern must compile in UTF mode.) */
static int
utf8_valid(const unsigned char *s, size_t n)
{
	size_t		i = 0, k, need;
	uint32_t	cp;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			need = 1;
			cp = s[i] & 0x1f;
		} else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			need = 2;
			cp = s[i] & 0x0f;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			need = 3;
			cp = s[i] & 0x07;
		} else
			return 0;
		if (n - i <= need)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

int
sshx_prompt_learn(const char *raw, size_t len, char **pattern)
{
	static const char suffix[] = "(\\([^()\\n]{0,64}\\))?[>#$%]\\s*$";
	static const char plain[] = "\\s*$";
	char	*t, *p, *q;
	size_t	 n, s, e, i;
	int	 term = 0, rc;

	*pattern = NULL;
	if ((rc = sshx_clean(raw, len, SSHX_CLEAN_TRIM, &t, &n)) != 0)
		return rc;
	while (n > 0 && t[n - 1] == '\n')
		n--;
	for (s = n; s > 0 && t[s - 1] != '\n'; s--)
		;
	while (s < n && (t[s] == ' ' || t[s] == '\t'))
		s++;
	if (s == n) {
		free(t);
		return -ENOENT;
	}
	if (!utf8_valid((unsigned char *)t + s, n - s)) {
		free(t);
		return -EILSEQ;
	}
	e = n;
	if (strchr(">#$%", t[e - 1]) != NULL) {
		term = 1;
		e--;
		/* a mode suffix such as (config-if) goes into the pattern */
		if (e > s && t[e - 1] == ')') {
			for (i = e - 1; i > s && t[i - 1] != '(' &&
			    t[i - 1] != ')'; i--)
				;
			if (i > s + 1 && t[i - 1] == '(' && e - 1 - i <= 64)
				e = i - 1;
		}
	}
	if ((p = malloc((e - s) * 2 + sizeof(suffix) + 16)) == NULL) {
		free(t);
		return -ENOMEM;
	}
	q = p;
	memcpy(q, "^[ \\t]*", 7);
	q += 7;
	for (i = s; i < e; i++) {
		unsigned char c = (unsigned char)t[i];

		if (c == '\t') {
			*q++ = '\\';
			*q++ = 't';
			continue;
		}
		if (c < 0x80 && !((c >= '0' && c <= '9') ||
		    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			*q++ = '\\';
		*q++ = (char)c;
	}
	if (term)
		memcpy(q, suffix, sizeof(suffix));
	else
		memcpy(q, plain, sizeof(plain));
	free(t);
	*pattern = p;
	return 0;
}

/* Is the line s[0..n) the echo of the command line? */
static int
is_echo(const char *s, size_t n, const char *line)
{
	size_t	l;

	l = trim_end(line, strlen(line));
	n = trim_end(s, n);
	if (l == 0)
		return n == 0;
	return n >= l && memcmp(s + n - l, line, l) == 0;
}

int
sshx_cli_output(const char *raw, size_t len, const char *line, char **out,
    size_t *outlen)
{
	char	*t, *p, *end, *nl;
	size_t	 n;
	int	 rc;

	if ((rc = sshx_clean(raw, len, SSHX_CLEAN_TRIM, &t, &n)) != 0)
		return rc;
	p = t;
	end = t + n;
	/* the last line is the prompt */
	while (end > p && end[-1] != '\n')
		end--;
	if (end > p && line != NULL) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl != NULL && is_echo(p, (size_t)(nl - p), line))
			p = nl + 1;
	}
	n = (size_t)(end - p);
	memmove(t, p, n);
	t[n] = '\0';
	*out = t;
	if (outlen != NULL)
		*outlen = n;
	return 0;
}

/*
 * Connecting.
 */

static int
set_nonblock(int fd)
{
	int	fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return -errno;
	return 0;
}

/* Wait for a connecting socket; 0 when connected. */
static int
wait_connected(int fd, long long deadline)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLOUT };
	socklen_t	sl = sizeof(int);
	int		rc, soerr = 0;

	for (;;) {
		rc = poll(&pfd, 1, left_ms(deadline));
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc == -1)
			return -errno;
		if (rc == 0)
			return -ETIMEDOUT;
		break;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1)
		return -errno;
	return soerr ? -soerr : 0;
}

/* A plain socket and connect to host:port, for callers without a
 * callback. */
static int
default_socket(const char *host, int port, long long deadline, char **why)
{
	struct addrinfo	 hints, *res, *ai;
	char		 serv[16];
	int		 fd = -1, rc, err = -EHOSTUNREACH;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(serv, sizeof(serv), "%d", port);
	if ((rc = getaddrinfo(host, serv, &hints, &res)) != 0) {
		if (asprintf(why, "cannot resolve \"%s\": %s", host,
		    gai_strerror(rc)) == -1)
			*why = NULL;
		return -EHOSTUNREACH;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd == -1) {
			err = -errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    errno == EINPROGRESS) {
			if ((err = wait_connected(fd, deadline)) == 0)
				break;
		} else
			err = -errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd == -1 ? err : fd;
}

static int
set_timeout(ssh_session s, int ms)
{
	long	sec, usec;

	if (ms < 1)
		ms = 1;
	sec = ms / 1000;
	usec = (long)(ms % 1000) * 1000;
	if (ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &sec) != 0 ||
	    ssh_options_set(s, SSH_OPTIONS_TIMEOUT_USEC, &usec) != 0)
		return -EINVAL;
	return 0;
}

/* "SHA256:abc" or "abc", padding dropped: the part to compare. */
static size_t
fp_body(const char *fp, const char **body)
{
	size_t	n;

	if (strncmp(fp, "SHA256:", 7) == 0)
		fp += 7;
	n = strlen(fp);
	while (n > 0 && fp[n - 1] == '=')
		n--;
	*body = fp;
	return n;
}

static int
fp_equal(const char *a, const char *b)
{
	const char	*pa, *pb;
	size_t		 na, nb;

	na = fp_body(a, &pa);
	nb = fp_body(b, &pb);
	return na == nb && na > 0 && memcmp(pa, pb, na) == 0;
}

static int
check_hostkey(struct sshx_conn *c, const struct sshx_opts *o, char **cause)
{
	ssh_key		 key = NULL;
	unsigned char	*hash = NULL;
	size_t		 hlen;
	char		*fp = NULL, *known = NULL;
	int		 rc = -EPROTO;

	if (ssh_get_server_publickey(c->s, &key) != SSH_OK ||
	    ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash,
	    &hlen) != 0 ||
	    (fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash,
	    hlen)) == NULL) {
		set_cause(cause, c->where, "host key: cannot read the "
		    "server's key: %s", ssh_get_error(c->s));
		goto out;
	}
	if ((c->fp = strdup(fp)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	rc = -EPERM;
	if (o->hostkey_sha256 != NULL) {
		if (strncmp(o->hostkey_sha256, "SHA256:", 7) != 0 &&
		    strchr(o->hostkey_sha256, ':') != NULL) {
			set_cause(cause, c->where, "host key: only SHA256 "
			    "fingerprints can be pinned, not \"%s\"",
			    o->hostkey_sha256);
			goto out;
		}
		if (!fp_equal(o->hostkey_sha256, fp)) {
			set_cause(cause, c->where, "host key changed: "
			    "expected %s (pinned), got %s",
			    o->hostkey_sha256, fp);
			goto out;
		}
	} else if (o->hostkey_cb != NULL) {
		if (o->hostkey_cb(o->hostkey_arg, o->host, o->port ?
		    o->port : 22, fp, &known) != 0) {
			set_cause(cause, c->where, "host key: the key store "
			    "refused or failed for %s", fp);
			goto out;
		}
		if (known == NULL)
			log_info("ssh %s: new host key %s recorded (trust on "
			    "first use)", c->where, fp);
		else if (!fp_equal(known, fp)) {
			set_cause(cause, c->where, "host key changed: "
			    "expected %s (recorded), got %s", known, fp);
			goto out;
		}
	} else {
		set_cause(cause, c->where, "host key: no policy (pin a "
		    "fingerprint or give a trust-on-first-use callback); "
		    "the server's key is %s", fp);
		goto out;
	}
	rc = 0;
out:
	free(known);
	ssh_string_free_char(fp);
	ssh_clean_pubkey_hash(&hash);
	ssh_key_free(key);
	return rc;
}

static void
add_method(char *list, size_t size, const char *m)
{
	if (strstr(list, m) != NULL)
		return;
	if (*list != '\0')
		strncat(list, ", ", size - strlen(list) - 1);
	strncat(list, m, size - strlen(list) - 1);
}

static int
auth_kbdint(ssh_session s, const char *password)
{
	int	rc, i, n, round;
	char	echo;

	rc = ssh_userauth_kbdint(s, NULL, NULL);
	for (round = 0; rc == SSH_AUTH_INFO && round < KBDINT_ROUNDS;
	    round++) {
		n = ssh_userauth_kbdint_getnprompts(s);
		for (i = 0; i < n; i++) {
			(void)ssh_userauth_kbdint_getprompt(s, (unsigned int)i,
			    &echo);
			if (ssh_userauth_kbdint_setanswer(s, (unsigned int)i,
			    echo ? "" : password) < 0)
				return SSH_AUTH_ERROR;
		}
		rc = ssh_userauth_kbdint(s, NULL, NULL);
	}
	return rc == SSH_AUTH_INFO ? SSH_AUTH_DENIED : rc;
}

static int
authenticate(struct sshx_conn *c, const struct sshx_opts *o, char **cause)
{
	ssh_key		 key = NULL;
	char		 tried[64] = "", offered[96] = "";
	int		 rc, methods, ret = -EPERM;

	rc = ssh_userauth_none(c->s, NULL);
	if (rc == SSH_AUTH_SUCCESS)
		return 0;
	if (rc == SSH_AUTH_ERROR)
		goto error;
	methods = ssh_userauth_list(c->s, NULL);
	if (o->private_key != NULL &&
	    (methods & SSH_AUTH_METHOD_PUBLICKEY)) {
		if (ssh_pki_import_privkey_base64(o->private_key,
		    o->key_passphrase, NULL, NULL, &key) != SSH_OK) {
			set_cause(cause, c->where, "authentication: the "
			    "private key cannot be read (not PEM, or a wrong "
			    "passphrase)");
			return -EINVAL;
		}
		add_method(tried, sizeof(tried), "publickey");
		rc = ssh_userauth_publickey(c->s, NULL, key);
		ssh_key_free(key);
		if (rc == SSH_AUTH_SUCCESS)
			return 0;
		if (rc == SSH_AUTH_ERROR)
			goto error;
		methods = ssh_userauth_list(c->s, NULL);
	}
	if (o->password != NULL && (methods & SSH_AUTH_METHOD_PASSWORD)) {
		add_method(tried, sizeof(tried), "password");
		rc = ssh_userauth_password(c->s, NULL, o->password);
		if (rc == SSH_AUTH_SUCCESS)
			return 0;
		if (rc == SSH_AUTH_ERROR)
			goto error;
		methods = ssh_userauth_list(c->s, NULL);
	}
	if (o->password != NULL && (methods & SSH_AUTH_METHOD_INTERACTIVE)) {
		add_method(tried, sizeof(tried), "keyboard-interactive");
		rc = auth_kbdint(c->s, o->password);
		if (rc == SSH_AUTH_SUCCESS)
			return 0;
		if (rc == SSH_AUTH_ERROR)
			goto error;
	}
	if (*tried != '\0') {
		set_cause(cause, c->where, "authentication failed for user "
		    "\"%s\" (%s)", o->username, tried);
		return -EPERM;
	}
	if (methods & SSH_AUTH_METHOD_PUBLICKEY)
		add_method(offered, sizeof(offered), "publickey");
	if (methods & SSH_AUTH_METHOD_PASSWORD)
		add_method(offered, sizeof(offered), "password");
	if (methods & SSH_AUTH_METHOD_INTERACTIVE)
		add_method(offered, sizeof(offered), "keyboard-interactive");
	if (methods & SSH_AUTH_METHOD_GSSAPI_MIC)
		add_method(offered, sizeof(offered), "gssapi-with-mic");
	if (methods & SSH_AUTH_METHOD_HOSTBASED)
		add_method(offered, sizeof(offered), "hostbased");
	set_cause(cause, c->where, "authentication failed for user \"%s\": "
	    "no credential for what the server offers (%s)",
	    o->username, *offered ? offered : "no method");
	return -EPERM;
error:
	ret = ssh_is_connected(c->s) ? -EPROTO : -EPIPE;
	set_cause(cause, c->where, "authentication for user \"%s\": %s",
	    o->username, ssh_get_error(c->s));
	return ret;
}

int
sshx_connect(const struct sshx_opts *o, struct sshx_conn **out,
    char **cause)
{
	struct sshx_conn	*c;
	long long		 start, deadline;
	char			*why = NULL;
	const char		*host;
	struct stat		 st;
	int			 fd = -1, port, rc, one = 1, verbosity;
	bool			 no = false;

	*out = NULL;
	if (cause != NULL)
		*cause = NULL;
	host = o->host != NULL ? o->host : "(socket)";
	port = o->port ? o->port : 22;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	c->fd = -1;
	if (asprintf(&c->where, strchr(host, ':') != NULL ? "[%s]:%d" :
	    "%s:%d", host, port) == -1) {
		free(c);
		return -ENOMEM;
	}
	c->connect_timeout_ms = o->connect_timeout_ms > 0 ?
	    o->connect_timeout_ms : SSHX_CONNECT_TIMEOUT_MS;
	c->command_timeout_ms = o->command_timeout_ms > 0 ?
	    o->command_timeout_ms : SSHX_COMMAND_TIMEOUT_MS;
	c->max_output = o->max_output ? o->max_output : SSHX_MAX_OUTPUT;
	rc = -EINVAL;
	if (o->username == NULL || *o->username == '\0') {
		set_cause(cause, c->where, "no username");
		goto fail;
	}
	if (port < 1 || port > 65535) {
		set_cause(cause, c->where, "port out of range");
		goto fail;
	}
	if (o->open_socket == NULL && o->host == NULL) {
		set_cause(cause, c->where, "no host and no socket callback");
		goto fail;
	}

	start = now_ms();
	deadline = start + c->connect_timeout_ms;
	if (o->open_socket != NULL) {
		errno = 0;
		fd = o->open_socket(o->socket_arg, o->host, port, &why);
		if (fd < 0)
			rc = errno ? -errno : -EHOSTUNREACH;
	} else
		rc = fd = default_socket(o->host, port, deadline, &why);
	if (fd >= 0 && (rc = wait_connected(fd, deadline)) != 0) {
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		if (rc == -ETIMEDOUT)
			set_cause(cause, c->where, "connect: timeout after "
			    "%d ms", c->connect_timeout_ms);
		else
			set_cause(cause, c->where, "connect: %s",
			    why != NULL ? why : strerror(-rc));
		free(why);
		goto fail;
	}
	free(why);
	(void)set_nonblock(fd);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	rc = -ENOMEM;
	if ((c->s = ssh_new()) == NULL) {
		close(fd);
		goto fail;
	}
	c->fd = fd;
	if (fstat(fd, &st) == 0) {
		c->fd_dev = st.st_dev;
		c->fd_ino = st.st_ino;
	}
	verbosity = SSH_LOG_NOLOG;
	if (ssh_options_set(c->s, SSH_OPTIONS_PROCESS_CONFIG, &no) != 0 ||
	    ssh_options_set(c->s, SSH_OPTIONS_LOG_VERBOSITY,
	    &verbosity) != 0 ||
	    ssh_options_set(c->s, SSH_OPTIONS_USER, o->username) != 0 ||
	    set_timeout(c->s, left_ms(deadline)) != 0 ||
	    ssh_options_set(c->s, SSH_OPTIONS_FD, &fd) != 0) {
		rc = -EINVAL;
		set_cause(cause, c->where, "options refused: %s",
		    ssh_get_error(c->s));
		goto fail;
	}
	if (ssh_connect(c->s) != SSH_OK) {
		if (left_ms(deadline) == 0) {
			rc = -ETIMEDOUT;
			set_cause(cause, c->where, "timeout during key "
			    "exchange after %d ms", c->connect_timeout_ms);
		} else {
			rc = -EPROTO;
			set_cause(cause, c->where, "key exchange: %s",
			    ssh_get_error(c->s));
		}
		goto fail;
	}
	if ((rc = check_hostkey(c, o, cause)) != 0)
		goto fail;
	(void)set_timeout(c->s, left_ms(deadline));
	if ((rc = authenticate(c, o, cause)) != 0) {
		if (rc != -EPERM && left_ms(deadline) == 0) {
			free(*cause);
			*cause = NULL;
			rc = -ETIMEDOUT;
			set_cause(cause, c->where, "timeout during "
			    "authentication after %d ms",
			    c->connect_timeout_ms);
		}
		goto fail;
	}
	rc = -ENOMEM;
	if ((c->ev = ssh_event_new()) == NULL)
		goto fail;
	if (ssh_event_add_session(c->ev, c->s) != SSH_OK) {
		rc = -EPROTO;
		set_cause(cause, c->where, "cannot poll the session");
		goto fail;
	}
	log_debug("ssh %s: connected as %s in %lld ms, host key %s",
	    c->where, o->username, now_ms() - start, c->fp);
	*out = c;
	return 0;
fail:
	if (rc == -ENOMEM && cause != NULL && *cause == NULL)
		set_cause(cause, c->where, "out of memory");
	sshx_close(c);
	return rc;
}

void
sshx_close(struct sshx_conn *c)
{
	struct stat	st;

	if (c == NULL)
		return;
	if (c->ev != NULL) {
		if (c->s != NULL)
			ssh_event_remove_session(c->ev, c->s);
		ssh_event_free(c->ev);
	}
	if (c->s != NULL) {
		if (ssh_is_connected(c->s))
			ssh_disconnect(c->s);
		ssh_free(c->s);
	}
	/*
	 * libssh 0.10 leaves a descriptor given with SSH_OPTIONS_FD open;
	 * other versions may close it.  Close it here only if it is still
	 * the same socket, so a number reused meanwhile is never touched.
	 */
	if (c->fd != -1 && fstat(c->fd, &st) == 0 && st.st_dev == c->fd_dev &&
	    st.st_ino == c->fd_ino)
		close(c->fd);
	free(c->fp);
	free(c->where);
	free(c);
}

const char *
sshx_fingerprint(const struct sshx_conn *c)
{
	return c->fp;
}

unsigned long
sshx_sent(const struct sshx_conn *c)
{
	return c->sent;
}

int
sshx_alive(struct sshx_conn *c)
{
	if (c == NULL || c->s == NULL || c->ev == NULL ||
	    !ssh_is_connected(c->s))
		return 0;
	/* Take in what the server sent meanwhile (a disconnect, an EOF). */
	if (ssh_event_dopoll(c->ev, 0) == SSH_ERROR && !ssh_is_connected(c->s))
		return 0;
	return ssh_is_connected(c->s) != 0;
}

/*
 * Channels.
 */

static int
chan_data(ssh_session s, ssh_channel ch, void *data, uint32_t len,
    int is_stderr, void *arg)
{
	struct chan	*x = arg;

	if (x->over || x->nomem)
		return (int)len;	/* dropped: the call is failing */
	if (x->out.len + x->err.len + len > x->max) {
		x->over = 1;
		return (int)len;
	}
	if (buf_add(is_stderr && !x->merge ? &x->err : &x->out, data,
	    len) != 0)
		x->nomem = 1;
	return (int)len;
}

static void
chan_eof(ssh_session s, ssh_channel ch, void *arg)
{
	((struct chan *)arg)->eof = 1;
}

static void
chan_close(ssh_session s, ssh_channel ch, void *arg)
{
	((struct chan *)arg)->closed = 1;
}

static void
chan_status(ssh_session s, ssh_channel ch, int status, void *arg)
{
	struct chan	*x = arg;

	x->have_status = 1;
	x->status = status;
}

static void
chan_signal(ssh_session s, ssh_channel ch, const char *sig, int core,
    const char *errmsg, const char *lang, void *arg)
{
	struct chan	*x = arg;

	x->have_status = 1;
	x->status = -1;
	free(x->signal);
	x->signal = strdup(sig != NULL ? sig : "?");
}

static void
chan_free(struct chan *x)
{
	if (x == NULL)
		return;
	if (x->ch != NULL) {
		/* no callback may reach x once it is freed */
		ssh_remove_channel_callbacks(x->ch, &x->cb);
		if (ssh_channel_is_open(x->ch))
			ssh_channel_close(x->ch);
		ssh_channel_free(x->ch);
	}
	free(x->out.p);
	free(x->err.p);
	free(x->signal);
	free(x);
}

/* A new session channel, open, with its callbacks. */
static int
chan_open(struct sshx_conn *c, long long deadline, int merge,
    struct chan **out, char **cause)
{
	struct chan	*x;

	*out = NULL;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return -ENOMEM;
	x->max = c->max_output;
	x->merge = merge;
	ssh_callbacks_init(&x->cb);
	x->cb.userdata = x;
	x->cb.channel_data_function = chan_data;
	x->cb.channel_eof_function = chan_eof;
	x->cb.channel_close_function = chan_close;
	x->cb.channel_exit_status_function = chan_status;
	x->cb.channel_exit_signal_function = chan_signal;
	if ((x->ch = ssh_channel_new(c->s)) == NULL) {
		set_cause(cause, c->where, "channel: %s",
		    ssh_is_connected(c->s) ? ssh_get_error(c->s) :
		    "the connection is closed");
		free(x);
		return ssh_is_connected(c->s) ? -ENOMEM : -EPIPE;
	}
	if (ssh_set_channel_callbacks(x->ch, &x->cb) != SSH_OK) {
		set_cause(cause, c->where, "channel: callbacks refused");
		ssh_channel_free(x->ch);
		free(x);
		return -EPROTO;
	}
	(void)set_timeout(c->s, left_ms(deadline));
	if (ssh_channel_open_session(x->ch) != SSH_OK) {
		set_cause(cause, c->where, "channel: cannot open a session: "
		    "%s", ssh_get_error(c->s));
		chan_free(x);
		return left_ms(deadline) == 0 ? -ETIMEDOUT :
		    ssh_is_connected(c->s) ? -EPROTO : -EPIPE;
	}
	*out = x;
	return 0;
}

/* Process what arrives for up to ms; 0, or -EPIPE when the connection is
 * gone. */
static int
conn_poll(struct sshx_conn *c, int ms)
{
	if (ssh_event_dopoll(c->ev, ms) == SSH_ERROR) {
		if (!ssh_is_connected(c->s))
			return -EPIPE;
		/* a poll error on a live session: no busy loop until the
		 * caller's deadline */
		(void)poll(NULL, 0, ms < 10 ? ms : 10);
	}
	if (!ssh_is_connected(c->s))
		return -EPIPE;
	return 0;
}

void
sshx_result_clear(struct sshx_result *r)
{
	free(r->out);
	free(r->err);
	free(r->signal);
	memset(r, 0, sizeof(*r));
	r->exit_status = -1;
}

int
sshx_exec(struct sshx_conn *c, const char *command, struct sshx_result *r,
    char **cause)
{
	return sshx_exec_timeout(c, command, 0, r, cause);
}

int
sshx_exec_timeout(struct sshx_conn *c, const char *command, int timeout_ms,
    struct sshx_result *r, char **cause)
{
	struct chan	*x = NULL;
	long long	 start, deadline;
	int		 rc;

	memset(r, 0, sizeof(*r));
	r->exit_status = -1;
	if (cause != NULL)
		*cause = NULL;
	if (timeout_ms <= 0)
		timeout_ms = c->command_timeout_ms;
	start = now_ms();
	deadline = start + timeout_ms;
	if ((rc = chan_open(c, deadline, 0, &x, cause)) != 0)
		return rc;
	c->sent++;
	if (ssh_channel_request_exec(x->ch, command) != SSH_OK) {
		rc = left_ms(deadline) == 0 ? -ETIMEDOUT : -EPROTO;
		set_cause(cause, c->where, "channel: exec request refused: %s",
		    ssh_get_error(c->s));
		goto out;
	}
	log_debug("ssh %s: exec request sent (%zu bytes)", c->where,
	    strlen(command));
	while (!x->closed && !(x->eof && x->have_status)) {
		if (x->over || x->nomem)
			break;
		if (left_ms(deadline) == 0) {
			rc = -ETIMEDOUT;
			set_cause(cause, c->where, "timeout: the command did "
			    "not finish within %d ms", timeout_ms);
			goto out;
		}
		if ((rc = conn_poll(c, left_ms(deadline))) != 0) {
			set_cause(cause, c->where, "channel: the server closed "
			    "the connection during the command");
			goto out;
		}
	}
	if (x->nomem) {
		rc = -ENOMEM;
		set_cause(cause, c->where, "out of memory reading output");
		goto out;
	}
	if (x->over) {
		rc = -E2BIG;
		set_cause(cause, c->where, "the command's output exceeds the "
		    "limit of %zu bytes", x->max);
		goto out;
	}
	if ((r->out = buf_take(&x->out, &r->outlen)) == NULL ||
	    (r->err = buf_take(&x->err, &r->errlen)) == NULL) {
		sshx_result_clear(r);
		rc = -ENOMEM;
		goto out;
	}
	r->exit_status = x->have_status ? x->status : -1;
	r->signal = x->signal;
	x->signal = NULL;
	r->elapsed_ms = (long)(now_ms() - start);
	rc = 0;
	log_debug("ssh %s: exit status %d, %zu+%zu bytes in %ld ms",
	    c->where, r->exit_status, r->outlen, r->errlen, r->elapsed_ms);
out:
	if (rc != 0 && x != NULL && !x->closed && ssh_is_connected(c->s))
		(void)ssh_channel_request_send_signal(x->ch, "KILL");
	chan_free(x);
	return rc;
}

/*
 * Interactive CLI.
 */

static int
cli_write(struct sshx_cli *cli, const char *s, size_t n)
{
	ssize_t	w;

	cli->c->sent++;
	while (n > 0) {
		w = ssh_channel_write(cli->x->ch, s, (uint32_t)n);
		if (w <= 0)
			return -EPIPE;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* After an answer (question, pager) at mark, look only at what followed. */
static int
tail_matches(const struct sshx_pattern *p, const char *raw, size_t mark,
    size_t len)
{
	char	*l;
	size_t	 n;
	int	 rc;

	if (len <= mark || last_line(raw, mark, len, &l, &n) != 0)
		return 0;
	rc = n > 0 && pattern_find(p, l, n, 0, NULL, NULL) == 1;
	free(l);
	return rc;
}

/*
 * Read until the prompt ends the output and nothing more came for the
 * settle time, answering questions and pagers on the way.  what names
 * the step in messages.
 */
static int
cli_read(struct sshx_cli *cli, long long deadline, int timeout_ms,
    const char *what, char **promptline, char **cause)
{
	struct chan	*x = cli->x;
	long long	 settle_until = 0, wake;
	size_t		 settle_len = 0, mark = 0, i;
	char		*pl, *q;
	int		 m, rc;

	*promptline = NULL;
	for (;;) {
		if (x->nomem)
			return -ENOMEM;
		if (x->over) {
			set_cause(cause, cli->c->where, "%s: output exceeds the "
			    "limit of %zu bytes", what, x->max);
			return -E2BIG;
		}
		for (i = 0; i < cli->nq; i++)
			if (tail_matches(cli->qre[i], x->out.p, mark,
			    x->out.len))
				break;
		if (i < cli->nq) {
			log_debug("ssh %s: %s: answering question %zu",
			    cli->c->where, what, i + 1);
			if (cli_write(cli, cli->qans[i],
			    strlen(cli->qans[i])) != 0)
				goto closed;
			mark = x->out.len;
			settle_until = 0;
			continue;
		}
		if (tail_matches(cli->pager, x->out.p, mark, x->out.len)) {
			if (cli_write(cli, " ", 1) != 0)
				goto closed;
			mark = x->out.len;
			settle_until = 0;
			continue;
		}
		m = sshx_prompt_match(cli->prompt, x->out.p ? x->out.p : "",
		    x->out.len, &pl);
		if (m < 0)
			return m;
		if (m == 1) {
			if (settle_until == 0 || x->out.len != settle_len) {
				settle_until = now_ms() + cli->settle_ms;
				settle_len = x->out.len;
				free(pl);
			} else if (now_ms() >= settle_until) {
				*promptline = pl;
				return 0;
			} else
				free(pl);
		} else
			settle_until = 0;
		if (x->closed || x->eof)
			goto closed;
		if (left_ms(deadline) == 0) {
			q = quote(x->out.p ? x->out.p : "", x->out.len,
			    SSHX_TAIL_QUOTE, 1);
			set_cause(cause, cli->c->where, "%s: timeout: no prompt "
			    "within %d ms; last output: \"%s\"", what,
			    timeout_ms, q ? q : "");
			free(q);
			return -ETIMEDOUT;
		}
		wake = settle_until ? settle_until : deadline;
		if (wake > deadline)
			wake = deadline;
		if ((rc = conn_poll(cli->c, left_ms(wake))) != 0)
			goto closed;
	}
closed:
	q = quote(x->out.p ? x->out.p : "", x->out.len, SSHX_TAIL_QUOTE, 1);
	set_cause(cause, cli->c->where, "%s: the device closed the session; "
	    "last output: \"%s\"", what, q ? q : "");
	free(q);
	return -EPIPE;
}

/* Login without a prompt pattern: wait for output to settle, learn. */
static int
cli_learn(struct sshx_cli *cli, long long deadline, int settle_ms,
    char **cause)
{
	struct chan	*x = cli->x;
	long long	 quiet_since = now_ms();
	size_t		 seen = 0;
	int		 nudged = 0, rc;
	char		*src = NULL, *why = NULL, *q;

	for (;;) {
		if (x->over || x->nomem) {
			set_cause(cause, cli->c->where, "login: output exceeds "
			    "the limit of %zu bytes", x->max);
			return -E2BIG;
		}
		if (x->out.len != seen) {
			seen = x->out.len;
			quiet_since = now_ms();
		} else if (now_ms() - quiet_since >= settle_ms) {
			rc = sshx_prompt_learn(x->out.p ? x->out.p : "",
			    x->out.len, &src);
			if (rc == 0)
				break;
			if (rc == -EILSEQ) {
				set_cause(cause, cli->c->where, "login: the "
				    "prompt is not valid UTF-8; give a prompt "
				    "pattern");
				return rc;
			}
			if (rc != -ENOENT)
				return rc;
			if (!nudged) {
				/* some devices show the prompt on Enter */
				nudged = 1;
				if (cli_write(cli, "\n", 1) != 0)
					goto closed;
				quiet_since = now_ms();
			}
		}
		if (x->closed || x->eof)
			goto closed;
		if (left_ms(deadline) == 0) {
			q = quote(x->out.p ? x->out.p : "", x->out.len,
			    SSHX_TAIL_QUOTE, 1);
			set_cause(cause, cli->c->where, "login: timeout: no "
			    "prompt to learn; last output: \"%s\"", q ? q : "");
			free(q);
			return -ETIMEDOUT;
		}
		rc = left_ms(deadline);
		if (rc > settle_ms)
			rc = settle_ms;
		if (conn_poll(cli->c, rc) != 0)
			goto closed;
	}
	if ((rc = sshx_pattern_compile(src, 0, &cli->prompt, &why)) != 0) {
		set_cause(cause, cli->c->where, "login: learned prompt: %s",
		    why ? why : "out of memory");
		free(why);
		free(src);
		return rc;
	}
	cli->pattern_src = src;
	rc = sshx_prompt_match(cli->prompt, x->out.p, x->out.len,
	    &cli->last_prompt);
	if (rc != 1) {
		set_cause(cause, cli->c->where, "login: the learned prompt "
		    "pattern %s does not match the last line", src);
		return rc < 0 ? rc : -EPROTO;
	}
	log_debug("ssh %s: learned prompt pattern %s", cli->c->where, src);
	return 0;
closed:
	q = quote(x->out.p ? x->out.p : "", x->out.len, SSHX_TAIL_QUOTE, 1);
	set_cause(cause, cli->c->where, "login: the device closed the "
	    "session; last output: \"%s\"", q ? q : "");
	free(q);
	return -EPIPE;
}

static int
compile_opt(struct sshx_cli *cli, const char *what, const char *src,
    int multiline, struct sshx_pattern **out, char **cause)
{
	char	*why = NULL;
	int	 rc;

	if ((rc = sshx_pattern_compile(src, multiline, out, &why)) != 0) {
		set_cause(cause, cli->c->where, "%s: %s", what,
		    why ? why : "out of memory");
		free(why);
	}
	return rc;
}

/* Run one line; what names it in messages, as "command N (\"line\")". */
static int
cli_send(struct sshx_cli *cli, const char *line, int timeout_ms,
    const char *what, char **output, char **cause)
{
	struct chan	*x = cli->x;
	struct buf	 b = { 0 };
	long long	 deadline;
	char		*pl = NULL, *out = NULL, *l, *q;
	size_t		 n, i, so, ls, le;
	int		 rc;

	if (timeout_ms <= 0)
		timeout_ms = cli->c->command_timeout_ms;
	deadline = now_ms() + timeout_ms;
	x->out.len = 0;
	if (x->out.p != NULL)
		x->out.p[0] = '\0';
	if (buf_add(&b, line, strlen(line)) != 0 || buf_add(&b, "\n", 1) != 0) {
		free(b.p);
		return -ENOMEM;
	}
	rc = cli_write(cli, b.p, b.len);
	free(b.p);
	if (rc != 0) {
		cli->broken = 1;
		set_cause(cause, cli->c->where, "%s: the device closed the "
		    "session", what);
		return rc;
	}
	if ((rc = cli_read(cli, deadline, timeout_ms, what, &pl, cause)) != 0) {
		cli->broken = 1;
		return rc;
	}
	free(cli->last_prompt);
	cli->last_prompt = pl;
	if ((rc = sshx_cli_output(x->out.p, x->out.len, line, &out, &n)) != 0)
		return rc;
	for (i = 0; i < cli->nerrs; i++) {
		if ((rc = pattern_find(cli->errs[i], out, n, 0, &so,
		    NULL)) < 0)
			break;
		if (rc == 1)
			break;
	}
	if (i < cli->nerrs) {
		if (rc < 0) {
			set_cause(cause, cli->c->where, "%s: error pattern %zu "
			    "could not be matched (a limit)", what, i + 1);
			free(out);
			return rc;
		}
		for (ls = so; ls > 0 && out[ls - 1] != '\n'; ls--)
			;
		l = memchr(out + so, '\n', n - so);
		le = l != NULL ? (size_t)(l - out) : n;
		q = quote(out + ls, le - ls, 512, 0);
		set_cause(cause, cli->c->where, "%s failed: the device said "
		    "\"%s\"", what, q ? q : "");
		free(q);
		*output = out;
		return -EIO;
	}
	*output = out;
	return 0;
}

int
sshx_cli_open(struct sshx_conn *c, const struct sshx_cli_opts *o,
    struct sshx_cli **out, char **cause)
{
	static const struct sshx_cli_opts none;
	struct sshx_cli		*cli;
	const char *const	*errs;
	long long		 deadline;
	char			*pl = NULL, *po = NULL;
	size_t			 i, nerrs;
	int			 rc, login_ms;

	*out = NULL;
	if (cause != NULL)
		*cause = NULL;
	if (o == NULL)
		o = &none;
	if ((cli = calloc(1, sizeof(*cli))) == NULL)
		return -ENOMEM;
	cli->c = c;
	cli->settle_ms = o->settle_ms > 0 ? o->settle_ms : SSHX_SETTLE_MS;
	login_ms = o->login_timeout_ms > 0 ? o->login_timeout_ms :
	    c->connect_timeout_ms;
	deadline = now_ms() + login_ms;

	if (o->prompt != NULL && (rc = compile_opt(cli, "prompt", o->prompt,
	    0, &cli->prompt, cause)) != 0)
		goto fail;
	if ((rc = compile_opt(cli, "pager", o->pager ? o->pager :
	    "--\\s*More\\s*--", 0, &cli->pager, cause)) != 0)
		goto fail;
	if (o->error_patterns != NULL) {
		errs = o->error_patterns;
		nerrs = o->nerror_patterns;
	} else {
		errs = sshx_default_errors;
		for (nerrs = 0; errs[nerrs] != NULL; nerrs++)
			;
	}
	rc = -ENOMEM;
	if (nerrs > 0 && (cli->errs = calloc(nerrs, sizeof(*cli->errs))) ==
	    NULL)
		goto fail;
	cli->nerrs = nerrs;
	for (i = 0; i < nerrs; i++)
		if ((rc = compile_opt(cli, "error pattern", errs[i], 1,
		    &cli->errs[i], cause)) != 0)
			goto fail;
	rc = -ENOMEM;
	if (o->nanswers > 0 &&
	    ((cli->qre = calloc(o->nanswers, sizeof(*cli->qre))) == NULL ||
	    (cli->qans = calloc(o->nanswers, sizeof(*cli->qans))) == NULL))
		goto fail;
	cli->nq = o->nanswers;
	for (i = 0; i < o->nanswers; i++) {
		if ((rc = compile_opt(cli, "answer pattern",
		    o->answers[i].pattern, 0, &cli->qre[i], cause)) != 0)
			goto fail;
		rc = -ENOMEM;
		if ((cli->qans[i] = strdup(o->answers[i].answer ?
		    o->answers[i].answer : "")) == NULL)
			goto fail;
	}

	if ((rc = chan_open(c, deadline, 1, &cli->x, cause)) != 0)
		goto fail;
	if (ssh_channel_request_pty_size(cli->x->ch, o->term ? o->term :
	    "vt100", o->cols > 0 ? o->cols : 511,
	    o->rows > 0 ? o->rows : 24) != SSH_OK ||
	    ssh_channel_request_shell(cli->x->ch) != SSH_OK) {
		rc = left_ms(deadline) == 0 ? -ETIMEDOUT : -EPROTO;
		set_cause(cause, c->where, "channel: PTY shell refused: %s",
		    ssh_get_error(c->s));
		goto fail;
	}
	if (cli->prompt == NULL) {
		if ((rc = cli_learn(cli, deadline, o->login_settle_ms > 0 ?
		    o->login_settle_ms : SSHX_LOGIN_SETTLE_MS, cause)) != 0)
			goto fail;
	} else {
		if ((cli->pattern_src = strdup(o->prompt)) == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
		if ((rc = cli_read(cli, deadline, login_ms, "login", &pl,
		    cause)) != 0)
			goto fail;
		cli->last_prompt = pl;
	}
	if (o->paging_command != NULL) {
		if ((rc = cli_send(cli, o->paging_command, 0,
		    "paging command", &po, cause)) != 0) {
			free(po);
			goto fail;
		}
		free(po);
	}
	log_debug("ssh %s: CLI ready at prompt \"%s\"", c->where,
	    cli->last_prompt);
	*out = cli;
	return 0;
fail:
	if (rc == -ENOMEM && cause != NULL && *cause == NULL)
		set_cause(cause, c->where, "out of memory");
	sshx_cli_close(cli);
	return rc;
}

int
sshx_cli_run(struct sshx_cli *cli, const char *line, int timeout_ms,
    char **output, char **cause)
{
	return sshx_cli_send(cli, line, NULL, timeout_ms, output, cause);
}

int
sshx_cli_send(struct sshx_cli *cli, const char *line, const char *display,
    int timeout_ms, char **output, char **cause)
{
	char	*what, *q;
	int	 rc;

	*output = NULL;
	if (cause != NULL)
		*cause = NULL;
	if (display == NULL)
		display = line;
	cli->ncmd++;
	q = quote(display, strlen(display), QUOTE_LINE, 0);
	if (q == NULL || asprintf(&what, "command %u (\"%s\")", cli->ncmd,
	    q) == -1) {
		free(q);
		return -ENOMEM;
	}
	free(q);
	if (cli->broken) {
		set_cause(cause, cli->c->where, "%s: the CLI session is "
		    "unusable after an earlier failure; open a new one", what);
		rc = -EPIPE;
	} else if (strpbrk(line, "\r\n") != NULL) {
		set_cause(cause, cli->c->where, "%s: a line break in a CLI "
		    "line is refused", what);
		rc = -EINVAL;
	} else {
		log_debug("ssh %s: command %u sent (%zu bytes)",
		    cli->c->where, cli->ncmd, strlen(line));
		rc = cli_send(cli, line, timeout_ms, what, output, cause);
	}
	free(what);
	return rc;
}

int
sshx_cli_usable(struct sshx_cli *cli)
{
	if (cli == NULL || cli->broken || cli->x == NULL ||
	    !sshx_alive(cli->c))
		return 0;
	return !cli->x->eof && !cli->x->closed &&
	    ssh_channel_is_open(cli->x->ch);
}

int
sshx_cli_begin(struct sshx_cli *cli, const char *const *error_patterns,
    size_t nerror_patterns, char **cause)
{
	struct sshx_pattern	**errs = NULL;
	const char *const	*src;
	size_t			 i, n;
	int			 rc;

	if (cause != NULL)
		*cause = NULL;
	if (error_patterns != NULL) {
		src = error_patterns;
		n = nerror_patterns;
	} else {
		src = sshx_default_errors;
		for (n = 0; src[n] != NULL; n++)
			;
	}
	if (n > 0 && (errs = calloc(n, sizeof(*errs))) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if ((rc = compile_opt(cli, "error pattern", src[i], 1,
		    &errs[i], cause)) != 0) {
			while (i > 0)
				sshx_pattern_free(errs[--i]);
			free(errs);
			return rc;
		}
	for (i = 0; cli->errs != NULL && i < cli->nerrs; i++)
		sshx_pattern_free(cli->errs[i]);
	free(cli->errs);
	cli->errs = errs;
	cli->nerrs = n;
	cli->ncmd = 0;
	return 0;
}

const char *
sshx_cli_prompt(const struct sshx_cli *cli)
{
	return cli->last_prompt;
}

const char *
sshx_cli_pattern(const struct sshx_cli *cli)
{
	return cli->pattern_src;
}

void
sshx_cli_close(struct sshx_cli *cli)
{
	size_t	i;

	if (cli == NULL)
		return;
	if (cli->x != NULL && ssh_is_connected(cli->c->s) &&
	    ssh_channel_is_open(cli->x->ch))
		(void)ssh_channel_send_eof(cli->x->ch);
	chan_free(cli->x);
	sshx_pattern_free(cli->prompt);
	sshx_pattern_free(cli->pager);
	for (i = 0; cli->errs != NULL && i < cli->nerrs; i++)
		sshx_pattern_free(cli->errs[i]);
	free(cli->errs);
	for (i = 0; cli->qre != NULL && i < cli->nq; i++) {
		sshx_pattern_free(cli->qre[i]);
		if (cli->qans != NULL)
			free(cli->qans[i]);
	}
	free(cli->qre);
	free(cli->qans);
	free(cli->pattern_src);
	free(cli->last_prompt);
	free(cli);
}

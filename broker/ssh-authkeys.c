/*
 * authorized_keys lines and SSH wire-format readers (see ssh-authkeys.h).
 * Everything here runs on operator-written configuration in the parent and
 * on client-supplied blobs in the role, so every length is checked before
 * it is used and nothing recurses.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "broker/ssh-authkeys.h"
#include "common/strutil.h"
#include "common/xmalloc.h"

/* Key types, and what we say about the ones we refuse. */
static const struct {
	const char	*name;
	const char	*refused;	/* NULL: accepted */
} sshr_key_types[] = {
	{ "ssh-ed25519", NULL },
	{ "ssh-rsa", NULL },
	{ "ecdsa-sha2-nistp256", NULL },
	{ "ecdsa-sha2-nistp384", NULL },
	{ "ecdsa-sha2-nistp521", NULL },
	{ "ssh-dss", "DSA keys are refused (1024-bit, SHA-1 signatures); "
	    "use an ed25519 key" },
	{ "sk-ssh-ed25519@openssh.com", "security-key (FIDO) keys are not "
	    "supported by the jump host" },
	{ "sk-ecdsa-sha2-nistp256@openssh.com", "security-key (FIDO) keys "
	    "are not supported by the jump host" },
	{ "rsa-sha2-256", "rsa-sha2-256 is a signature algorithm; the key "
	    "type of an RSA key is ssh-rsa" },
	{ "rsa-sha2-512", "rsa-sha2-512 is a signature algorithm; the key "
	    "type of an RSA key is ssh-rsa" },
};

#define SSHR_RSA_MIN_BITS	2048
#define SSHR_CERT_SUFFIX	"-cert-v01@openssh.com"

static int
sshr_type_known(const char *s, size_t len, const char **refused)
{
	size_t i;

	for (i = 0; i < sizeof(sshr_key_types) / sizeof(sshr_key_types[0]);
	    i++) {
		if (strlen(sshr_key_types[i].name) == len &&
		    strncmp(s, sshr_key_types[i].name, len) == 0) {
			*refused = sshr_key_types[i].refused;
			return 1;
		}
	}
	if (len > strlen(SSHR_CERT_SUFFIX) && strncmp(s + len -
	    strlen(SSHR_CERT_SUFFIX), SSHR_CERT_SUFFIX,
	    strlen(SSHR_CERT_SUFFIX)) == 0) {
		*refused = "a certificate is not an authorized key: trust the "
		    "CA that signed it in ssh.trusted_user_ca_keys instead";
		return 1;
	}
	return 0;
}

/* --- wire format --------------------------------------------------- */

int
sshr_rd_u32(struct sshr_rd *r, uint32_t *v)
{
	if (r->left < 4)
		return -1;
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
	    (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	r->left -= 4;
	return 0;
}

int
sshr_rd_u64(struct sshr_rd *r, uint64_t *v)
{
	uint32_t hi, lo;

	if (sshr_rd_u32(r, &hi) == -1 || sshr_rd_u32(r, &lo) == -1)
		return -1;
	*v = (uint64_t)hi << 32 | lo;
	return 0;
}

int
sshr_rd_string(struct sshr_rd *r, const unsigned char **s, size_t *len)
{
	uint32_t n;

	if (sshr_rd_u32(r, &n) == -1 || n > r->left)
		return -1;
	*s = r->p;
	*len = n;
	r->p += n;
	r->left -= n;
	return 0;
}

int
sshr_rd_cstring(struct sshr_rd *r, char **s)
{
	const unsigned char *p;
	size_t n, i;

	if (sshr_rd_string(r, &p, &n) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (p[i] == '\0')
			return -1;
	*s = xstrndup((const char *)p, n);
	return 0;
}

int
sshr_rd_mpint(struct sshr_rd *r, const unsigned char **s, size_t *len)
{
	const unsigned char *p;
	size_t n;

	if (sshr_rd_string(r, &p, &n) == -1)
		return -1;
	if (n > 0 && (p[0] & 0x80))
		return -1;		/* negative */
	if (n > 1 && p[0] == 0 && !(p[1] & 0x80))
		return -1;		/* needless leading zero */
	if (n > 0 && p[0] == 0) {
		p++;
		n--;
	}
	*s = p;
	*len = n;
	return 0;
}

static unsigned
sshr_bits(const unsigned char *p, size_t n)
{
	unsigned b = 0;
	unsigned char c;

	if (n == 0)
		return 0;
	for (c = p[0]; c != 0; c >>= 1)
		b++;
	return (unsigned)((n - 1) * 8) + b;
}

int
sshr_key_blob_check(const char *type, const unsigned char *blob, size_t len,
    unsigned *bits, const char **why)
{
	struct sshr_rd r = { blob, len };
	const unsigned char *s, *e, *n;
	size_t sl, el, nl;

	*bits = 0;
	if (sshr_rd_string(&r, &s, &sl) == -1) {
		*why = "the key data is truncated";
		return -1;
	}
	if (sl != strlen(type) || memcmp(s, type, sl) != 0) {
		*why = "the key data is of another type than the line says";
		return -1;
	}
	if (strcmp(type, "ssh-ed25519") == 0) {
		if (sshr_rd_string(&r, &s, &sl) == -1 || sl != 32)
			goto bad;
		*bits = 256;
	} else if (strcmp(type, "ssh-rsa") == 0) {
		if (sshr_rd_mpint(&r, &e, &el) == -1 ||
		    sshr_rd_mpint(&r, &n, &nl) == -1 || el == 0 || nl == 0)
			goto bad;
		*bits = sshr_bits(n, nl);
		if (*bits < SSHR_RSA_MIN_BITS) {
			*why = "RSA keys shorter than 2048 bits are refused";
			return -1;
		}
		if (*bits > 16384)
			goto bad;
	} else if (strncmp(type, "ecdsa-sha2-", 11) == 0) {
		const char *curve = type + 11;
		size_t qlen = strcmp(curve, "nistp256") == 0 ? 65 :
		    strcmp(curve, "nistp384") == 0 ? 97 :
		    strcmp(curve, "nistp521") == 0 ? 133 : 0;

		if (qlen == 0 || sshr_rd_string(&r, &s, &sl) == -1 ||
		    sl != strlen(curve) || memcmp(s, curve, sl) != 0 ||
		    sshr_rd_string(&r, &s, &sl) == -1 || sl != qlen ||
		    s[0] != 0x04)
			goto bad;
		*bits = qlen == 65 ? 256 : qlen == 97 ? 384 : 521;
	} else {
		*why = "unsupported key type";
		return -1;
	}
	if (r.left != 0)
		goto bad;
	return 0;
bad:
	*why = "the key data is malformed (truncated or corrupted?)";
	return -1;
}

/* --- base64 -------------------------------------------------------- */

static int
sshr_b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
sshr_b64_decode(const char *in, size_t inlen, unsigned char **out,
    size_t *outlen)
{
	unsigned char *buf;
	size_t i, o = 0, pad = 0;
	uint32_t acc = 0;
	int v, n = 0;

	*out = NULL;
	*outlen = 0;
	if (inlen == 0 || inlen % 4 != 0)
		return -1;
	if (in[inlen - 1] == '=')
		pad++;
	if (in[inlen - 2] == '=')
		pad++;
	buf = xmalloc(inlen / 4 * 3);
	for (i = 0; i < inlen - pad; i++) {
		if ((v = sshr_b64_value((unsigned char)in[i])) < 0)
			goto fail;
		acc = acc << 6 | (uint32_t)v;
		if (++n == 4) {
			buf[o++] = (unsigned char)(acc >> 16);
			buf[o++] = (unsigned char)(acc >> 8);
			buf[o++] = (unsigned char)acc;
			acc = 0;
			n = 0;
		}
	}
	if (n == 3) {
		if (acc & 0x3)
			goto fail;	/* non-canonical */
		buf[o++] = (unsigned char)(acc >> 10);
		buf[o++] = (unsigned char)(acc >> 2);
	} else if (n == 2) {
		if (acc & 0xf)
			goto fail;
		buf[o++] = (unsigned char)(acc >> 4);
	} else if (n != 0)
		goto fail;
	*out = buf;
	*outlen = o;
	return 0;
fail:
	free(buf);
	return -1;
}

/* --- matching ------------------------------------------------------ */

/* Iterative, so a hostile pattern costs O(len(s) * len(pattern)) at most. */
int
sshr_glob(const char *s, const char *pattern)
{
	const char *star = NULL, *mark = NULL;

	while (*s != '\0') {
		if (*pattern == '*') {
			star = pattern++;
			mark = s;
		} else if (*pattern == '?' || (*pattern != '\0' &&
		    tolower((unsigned char)*pattern) ==
		    tolower((unsigned char)*s))) {
			pattern++;
			s++;
		} else if (star != NULL) {
			pattern = star + 1;
			s = ++mark;
		} else
			return 0;
	}
	while (*pattern == '*')
		pattern++;
	return *pattern == '\0';
}

static int
sshr_parse_addr(const char *s, unsigned char addr[16])
{
	if (inet_pton(AF_INET, s, addr) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, addr) == 1)
		return AF_INET6;
	return 0;
}

/* One CIDR entry "addr/len"; 1 match, 0 no, -1 malformed. */
static int
sshr_cidr_match(int fam, const unsigned char *addr, const char *entry)
{
	unsigned char net[16];
	char buf[64], *slash, *end;
	unsigned long bits;
	int nfam, i, full;

	if (str_copy(buf, entry, sizeof(buf)) >= sizeof(buf))
		return -1;
	if ((slash = strchr(buf, '/')) == NULL)
		return -1;
	*slash = '\0';
	if (!isdigit((unsigned char)slash[1]))
		return -1;
	bits = strtoul(slash + 1, &end, 10);
	if (*end != '\0' || (nfam = sshr_parse_addr(buf, net)) == 0)
		return -1;
	if (bits > (nfam == AF_INET ? 32UL : 128UL))
		return -1;
	/* Host bits set in the network part: a typo, refused like sshd. */
	for (i = 0; i < (nfam == AF_INET ? 4 : 16); i++) {
		int b = (int)bits - i * 8;
		unsigned char mask = b >= 8 ? 0xff : b <= 0 ? 0 :
		    (unsigned char)(0xff << (8 - b));

		if (net[i] & ~mask)
			return -1;
	}
	if (fam != nfam)
		return 0;
	full = (int)bits / 8;
	if (memcmp(addr, net, (size_t)full) != 0)
		return 0;
	if (bits % 8 != 0) {
		unsigned char mask = (unsigned char)(0xff << (8 - bits % 8));

		if ((addr[full] & mask) != net[full])
			return 0;
	}
	return 1;
}

int
sshr_addr_match(const char *address, const char *list, int allow_patterns)
{
	unsigned char addr[16], other[16];
	char entry[128];
	const char *p = list, *comma;
	size_t len;
	int fam, matched = 0, neg, m, ofam;

	if ((fam = sshr_parse_addr(address, addr)) == 0)
		return -1;
	if (*list == '\0')
		return -1;
	for (;;) {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == 0 || len >= sizeof(entry))
			return -1;
		memcpy(entry, p, len);
		entry[len] = '\0';
		neg = 0;
		if (allow_patterns && entry[0] == '!') {
			neg = 1;
			memmove(entry, entry + 1, len);
			if (entry[0] == '\0')
				return -1;
		}
		if (strchr(entry, '/') != NULL) {
			if ((m = sshr_cidr_match(fam, addr, entry)) == -1)
				return -1;
		} else if (allow_patterns && strpbrk(entry, "*?") != NULL) {
			if (strspn(entry, "0123456789abcdefABCDEF.:*?") != len -
			    (size_t)neg)
				return -1;
			m = sshr_glob(address, entry);
		} else {
			if ((ofam = sshr_parse_addr(entry, other)) == 0)
				return -1;
			m = ofam == fam && memcmp(addr, other, fam == AF_INET ?
			    4 : 16) == 0;
		}
		if (m && neg)
			return 0;
		if (m)
			matched = 1;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return matched;
}

int
sshr_permitopen_match(const struct sshr_permitopen *p, const char *host,
    unsigned port)
{
	size_t hl = strlen(host), pl = strlen(p->host);

	if (p->port != -1 && (unsigned)p->port != port)
		return 0;
	if (strcmp(p->host, "*") == 0)
		return 1;
	if (hl > 0 && host[hl - 1] == '.')
		hl--;
	if (pl > 0 && p->host[pl - 1] == '.')
		pl--;
	return hl == pl && strncasecmp(host, p->host, hl) == 0;
}

/* --- the line ------------------------------------------------------ */

void
sshr_authkey_clear(struct sshr_authkey *k)
{
	free(k->blob);
	free(k->comment);
	free(k->principals);
	free(k->from);
	free(k->permitopen);
	memset(k, 0, sizeof(*k));
}

/* "YYYYMMDD[HHMM[SS]][Z]"; local time unless Z, like sshd. */
static int
sshr_parse_time(const char *s, time_t *t)
{
	struct tm tm;
	size_t n = strspn(s, "0123456789");
	int utc = 0, v[6] = { 0, 0, 0, 0, 0, 0 }, i;

	if (s[n] == 'Z' || s[n] == 'z') {
		utc = 1;
		if (s[n + 1] != '\0')
			return -1;
	} else if (s[n] != '\0')
		return -1;
	if (n != 8 && n != 12 && n != 14)
		return -1;
	v[0] = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	for (i = 1; i < (int)n / 2 - 1; i++)
		v[i] = (s[2 + i * 2] - '0') * 10 + (s[3 + i * 2] - '0');
	if (v[0] < 1970 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 ||
	    v[3] > 23 || v[4] > 59 || v[5] > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	tm.tm_isdst = -1;
	*t = utc ? timegm(&tm) : mktime(&tm);
	return *t == (time_t)-1 ? -1 : 0;
}

/* "host:port", "[v6]:port"; host or port may be "*". */
static int
sshr_parse_permitopen(const char *s, struct sshr_permitopen *p)
{
	const char *colon, *host = s;
	size_t hl;
	char *end;
	unsigned long port;

	if (s[0] == '[') {
		if ((colon = strstr(s, "]:")) == NULL)
			return -1;
		host = s + 1;
		hl = (size_t)(colon - host);
		colon++;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return -1;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl > SSHR_HOST_MAX)
		return -1;
	memcpy(p->host, host, hl);
	p->host[hl] = '\0';
	if (strcmp(colon + 1, "*") == 0) {
		p->port = -1;
		return 0;
	}
	if (!isdigit((unsigned char)colon[1]))
		return -1;
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || port == 0 || port > 65535)
		return -1;
	p->port = (int)port;
	return 0;
}

/* The from= list holds addresses, CIDR and address wildcards only. */
static int
sshr_from_valid(const char *list)
{
	/* Matching any address checks the syntax of every entry. */
	return sshr_addr_match("0.0.0.0", list, 1) != -1;
}

static const char *const sshr_noop_options[] = { "no-pty",
    "no-agent-forwarding", "no-x11-forwarding", "no-user-rc", "pty",
    "agent-forwarding", "x11-forwarding", "user-rc", NULL };

/*
 * Parse the options field at *sp (up to unquoted whitespace); advances
 * *sp.  Returns 0 or -1 with *cause.
 */
static int
sshr_parse_options(const char **sp, struct sshr_authkey *k, char **cause)
{
	const char *s = *sp;
	char name[32], *val = NULL;
	size_t n, vl;
	int restrict_seen = 0, pf_off = 0, pf_on = 0, i, ret = -1;

	for (;;) {
		n = 0;
		while (isalnum((unsigned char)s[n]) || s[n] == '-')
			n++;
		if (n == 0 || n >= sizeof(name)) {
			*cause = xasprintf("expected an option name at \"%.20s\"",
			    s);
			goto out;
		}
		for (i = 0; i < (int)n; i++)
			name[i] = (char)tolower((unsigned char)s[i]);
		name[n] = '\0';
		s += n;
		free(val);
		val = NULL;
		if (*s == '=') {
			if (s[1] != '"') {
				*cause = xasprintf("option %s: the value must be "
				    "in double quotes", name);
				goto out;
			}
			s += 2;
			val = xmalloc(strlen(s) + 1);
			for (vl = 0; *s != '"'; s++) {
				if (*s == '\0') {
					*cause = xasprintf("option %s: missing "
					    "closing quote", name);
					goto out;
				}
				if (*s == '\\' && s[1] == '"')
					s++;
				val[vl++] = *s;
			}
			val[vl] = '\0';
			s++;
		}
		for (i = 0; sshr_noop_options[i] != NULL; i++)
			if (strcmp(name, sshr_noop_options[i]) == 0)
				break;
		if (sshr_noop_options[i] != NULL) {
			if (val != NULL)
				goto noval;
		} else if (strcmp(name, "restrict") == 0) {
			if (val != NULL)
				goto noval;
			restrict_seen = 1;
		} else if (strcmp(name, "no-port-forwarding") == 0) {
			if (val != NULL)
				goto noval;
			pf_off = 1;
		} else if (strcmp(name, "port-forwarding") == 0) {
			if (val != NULL)
				goto noval;
			pf_on = 1;
		} else if (strcmp(name, "cert-authority") == 0) {
			if (val != NULL)
				goto noval;
			k->cert_authority = 1;
		} else if (strcmp(name, "permitopen") == 0) {
			if (val == NULL)
				goto needval;
			if (k->npermitopen == SSHR_PERMITOPEN_MAX) {
				*cause = xasprintf("more than %d permitopen "
				    "options", SSHR_PERMITOPEN_MAX);
				goto out;
			}
			k->permitopen = xreallocarray(k->permitopen,
			    k->npermitopen + 1, sizeof(*k->permitopen));
			if (sshr_parse_permitopen(val,
			    &k->permitopen[k->npermitopen]) == -1) {
				*cause = xasprintf("permitopen=\"%s\": expected "
				    "HOST:PORT (either may be *)", val);
				goto out;
			}
			k->npermitopen++;
		} else if (strcmp(name, "from") == 0) {
			if (val == NULL)
				goto needval;
			if (k->from != NULL) {
				*cause = xstrdup("from= given twice");
				goto out;
			}
			if (!sshr_from_valid(val)) {
				*cause = xasprintf("from=\"%s\": expected "
				    "addresses, address patterns (198.18.*) or "
				    "CIDR (198.18.0.0/15), comma-separated; the "
				    "jump host does not match host names", val);
				goto out;
			}
			k->from = val;
			val = NULL;
		} else if (strcmp(name, "expiry-time") == 0) {
			if (val == NULL)
				goto needval;
			if (sshr_parse_time(val, &k->expiry) == -1) {
				*cause = xasprintf("expiry-time=\"%s\": expected "
				    "YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS "
				    "(Z for UTC)", val);
				goto out;
			}
		} else if (strcmp(name, "principals") == 0) {
			if (val == NULL)
				goto needval;
			free(k->principals);
			k->principals = val;
			val = NULL;
		} else {
			*cause = xasprintf("option %s is not supported by the "
			    "jump host (supported: restrict, "
			    "no-port-forwarding, port-forwarding, permitopen=, "
			    "from=, expiry-time=, cert-authority, "
			    "principals=)", name);
			goto out;
		}
		if (*s == ',') {
			s++;
			continue;
		}
		if (*s == ' ' || *s == '\t')
			break;
		*cause = xasprintf("after option %s: expected ',' or a space, "
		    "found \"%.20s\"", name, s);
		goto out;
	}
	if (k->principals != NULL && !k->cert_authority) {
		*cause = xstrdup("principals= is only meaningful with "
		    "cert-authority");
		goto out;
	}
	/* restrict turns forwarding off; port-forwarding turns it back on. */
	k->port_forwarding = pf_on || (!restrict_seen && !pf_off);
	if (pf_on && pf_off)
		k->port_forwarding = 0;
	*sp = s;
	ret = 0;
	goto out;
noval:
	*cause = xasprintf("option %s takes no value", name);
	goto out;
needval:
	*cause = xasprintf("option %s needs a value: %s=\"...\"", name, name);
out:
	free(val);
	return ret;
}

/* "keytype base64 [comment]" at s. */
static int
sshr_parse_key(const char *s, struct sshr_authkey *k, char **cause)
{
	const char *type = s, *b64, *refused, *why;
	size_t tl, bl;

	tl = strcspn(type, " \t");
	if (!sshr_type_known(type, tl, &refused)) {
		*cause = xasprintf("unknown key type \"%.*s\" (expected "
		    "ssh-ed25519, ssh-rsa or ecdsa-sha2-nistp256/384/521)",
		    (int)(tl > 40 ? 40 : tl), type);
		return -1;
	}
	if (refused != NULL) {
		*cause = xasprintf("%.*s: %s", (int)tl, type, refused);
		return -1;
	}
	memcpy(k->type, type, tl);
	k->type[tl] = '\0';
	b64 = type + tl;
	while (*b64 == ' ' || *b64 == '\t')
		b64++;
	bl = strcspn(b64, " \t");
	if (bl == 0) {
		*cause = xasprintf("%s: the key data (base64) is missing",
		    k->type);
		return -1;
	}
	if (sshr_b64_decode(b64, bl, &k->blob, &k->bloblen) == -1) {
		*cause = xasprintf("%s: the key data is not valid base64 "
		    "(truncated or wrapped?)", k->type);
		return -1;
	}
	if (sshr_key_blob_check(k->type, k->blob, k->bloblen, &k->bits,
	    &why) == -1) {
		*cause = xasprintf("%s: %s", k->type, why);
		return -1;
	}
	s = b64 + bl;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s != '\0')
		k->comment = xstrdup(s);
	return 0;
}

static int
sshr_line_check(const char *line, char **cause)
{
	size_t i;

	if (strlen(line) > SSHR_LINE_MAX) {
		*cause = xasprintf("line longer than %d characters",
		    SSHR_LINE_MAX);
		return -1;
	}
	for (i = 0; line[i] != '\0'; i++) {
		if ((unsigned char)line[i] < 0x20 && line[i] != '\t') {
			*cause = xstrdup("control character in the line (one "
			    "key per entry, no line breaks)");
			return -1;
		}
	}
	return 0;
}

int
sshr_authkey_parse(const char *line, struct sshr_authkey *k, char **cause)
{
	const char *s = line, *refused;
	size_t tl;

	memset(k, 0, sizeof(*k));
	k->port_forwarding = 1;
	*cause = NULL;
	if (sshr_line_check(line, cause) == -1)
		return -1;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0' || *s == '#') {
		*cause = xstrdup("expected an authorized_keys line such as "
		    "\"ssh-ed25519 AAAA... comment\"");
		return -1;
	}
	tl = strcspn(s, " \t");
	if (!sshr_type_known(s, tl, &refused)) {
		if (sshr_parse_options(&s, k, cause) == -1)
			return -1;
		while (*s == ' ' || *s == '\t')
			s++;
	}
	return sshr_parse_key(s, k, cause);
}

int
sshr_pubkey_parse(const char *line, struct sshr_authkey *k, char **cause)
{
	const char *s = line;

	memset(k, 0, sizeof(*k));
	k->port_forwarding = 1;
	*cause = NULL;
	if (sshr_line_check(line, cause) == -1)
		return -1;
	while (*s == ' ' || *s == '\t')
		s++;
	return sshr_parse_key(s, k, cause);
}

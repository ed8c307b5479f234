/*
 * authorized_keys lines, the jump host's way (sshd(8) AUTHORIZED_KEYS
 * FILE FORMAT, restricted to what a jump host needs), and the small
 * wire-format readers shared with the certificate code.
 *
 * Pure parsing: no libssh, no OpenSSL, no clock but the one passed in.
 * Used by the parent (broker/ssh-conf.c checks users' keys at load, with
 * positions) and by the ssh role (which matches offered keys against them).
 *
 *   [options] keytype base64 [comment]
 *
 * Options honoured: restrict, no-port-forwarding, port-forwarding,
 * permitopen="host:port" (repeatable; host or port may be *),
 * from="pattern-list" (addresses, wildcards, CIDR, ! to exclude),
 * expiry-time="YYYYMMDD[HHMM[SS]][Z]", cert-authority,
 * principals="a,b" (with cert-authority).  Accepted and meaningless here
 * (the jump host never gives a pty, agent or X11): no-pty, no-agent-
 * forwarding, no-X11-forwarding, no-user-rc, pty, agent-forwarding,
 * X11-forwarding, user-rc.  Anything else (command=, environment=,
 * tunnel=, permitlisten=, verify-required...) is refused: a key whose
 * line asks for a restriction the jump host cannot honour must not work
 * with fewer restrictions.
 */
#ifndef VB_BROKER_SSH_AUTHKEYS_H
#define VB_BROKER_SSH_AUTHKEYS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SSHR_LINE_MAX		16384	/* one authorized_keys line */
#define SSHR_PERMITOPEN_MAX	32
#define SSHR_HOST_MAX		255

struct sshr_permitopen {
	char		host[SSHR_HOST_MAX + 1];	/* "*" for any */
	int		port;				/* -1 for any */
};

struct sshr_authkey {
	char		 type[48];	/* ssh-ed25519, ssh-rsa, ecdsa-... */
	unsigned char	*blob;		/* the decoded public key blob */
	size_t		 bloblen;
	char		*comment;	/* NULL when none */
	unsigned	 bits;		/* key size (RSA modulus, curve) */
	/* options */
	int		 port_forwarding;	/* 0 after restrict or no-... */
	int		 cert_authority;
	char		*principals;	/* with cert-authority, or NULL */
	char		*from;		/* pattern list, or NULL */
	time_t		 expiry;	/* 0: none */
	struct sshr_permitopen *permitopen;
	size_t		 npermitopen;
};

/*
 * Parse one line into k (cleared first).  Returns 0, or -1 with *cause
 * (allocated) saying what is wrong in words for the operator.  The caller
 * frees k with sshr_authkey_clear() either way.
 */
int	sshr_authkey_parse(const char *line, struct sshr_authkey *k,
	    char **cause);
void	sshr_authkey_clear(struct sshr_authkey *k);

/*
 * A public key with no options: "keytype base64 [comment]" (the form of
 * trusted_user_ca_keys).  Same contract as sshr_authkey_parse().
 */
int	sshr_pubkey_parse(const char *line, struct sshr_authkey *k,
	    char **cause);

/*
 * Does address (printable IPv4 or IPv6) match list?  allow_patterns:
 * from= syntax (wildcards * ?, !negation, CIDR); otherwise the
 * certificate source-address syntax (addresses and CIDR only).  Returns
 * 1 (matches), 0 (does not, or a negated entry matched), or -1 when the
 * list is malformed.
 */
int	sshr_addr_match(const char *address, const char *list,
	    int allow_patterns);

/* Shell-style match of s against pattern (* and ?), case-insensitive. */
int	sshr_glob(const char *s, const char *pattern);

/*
 * Does permitopen entry p allow host:port?  host as the client wrote
 * it; the comparison ignores case and one trailing dot.
 */
int	sshr_permitopen_match(const struct sshr_permitopen *p,
	    const char *host, unsigned port);

/* Decode standard base64 (no whitespace).  Returns 0 or -1. */
int	sshr_b64_decode(const char *in, size_t inlen, unsigned char **out,
	    size_t *outlen);

/* Reading SSH wire format (RFC 4251): a cursor over a buffer. */
struct sshr_rd {
	const unsigned char	*p;
	size_t			 left;
};

int	sshr_rd_u32(struct sshr_rd *r, uint32_t *v);
int	sshr_rd_u64(struct sshr_rd *r, uint64_t *v);
/* A string: points into the buffer (not terminated). */
int	sshr_rd_string(struct sshr_rd *r, const unsigned char **s,
	    size_t *len);
/* A string that must be printable text without NUL; copies it. */
int	sshr_rd_cstring(struct sshr_rd *r, char **s);
/* An mpint: positive, magnitude without leading zero byte. */
int	sshr_rd_mpint(struct sshr_rd *r, const unsigned char **s,
	    size_t *len);

/*
 * Check that blob is a public key of type (plain, not a certificate) and
 * return its size in bits.  Returns 0 or -1 with a static *why.
 */
int	sshr_key_blob_check(const char *type, const unsigned char *blob,
	    size_t len, unsigned *bits, const char **why);

#endif

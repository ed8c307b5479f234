/*
 * OpenSSH user certificates (PROTOCOL.certkeys), checked by the jump host
 * itself: libssh verifies that the client holds the certified key, and
 * nothing more.  Here: the CA's signature (ed25519, rsa-sha2-256/512,
 * ecdsa; never SHA-1), that the CA is trusted, the certificate type, the
 * validity window, the principals, and the critical options
 * (source-address enforced; any other critical option refused, since we
 * cannot honour it).  Extensions grant: without permit-port-forwarding
 * the certificate may log in but open no tunnel, as with sshd.
 */
#ifndef VB_BROKER_SSH_CERT_H
#define VB_BROKER_SSH_CERT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SSHR_CERT_PRINCIPALS_MAX	256

struct sshr_cert {
	char		 type[64];	/* ssh-ed25519-cert-v01@openssh.com */
	char		 key_type[48];	/* ssh-ed25519 */
	unsigned char	*key_blob;	/* the certified key, as a plain key */
	size_t		 key_bloblen;
	uint64_t	 serial;
	uint32_t	 cert_type;	/* 1 user, 2 host */
	char		*key_id;
	char	       **principals;
	size_t		 nprincipals;
	uint64_t	 valid_after;
	uint64_t	 valid_before;
	char		*source_address;	/* critical option, or NULL */
	char		*bad_critical;		/* first unknown one, or NULL */
	int		 permit_port_forwarding;	/* extension */
	unsigned char	*ca_blob;	/* the signature key */
	size_t		 ca_bloblen;
	char		 ca_type[48];
	/* What the CA signed, and the signature. */
	unsigned char	*signed_data;
	size_t		 signed_len;
	unsigned char	*sig;
	size_t		 siglen;
};

/*
 * Parse a certificate blob.  Returns 0, or -1 with *why (static).  The
 * caller clears c with sshr_cert_clear() either way.
 */
int	sshr_cert_parse(const unsigned char *blob, size_t len,
	    struct sshr_cert *c, const char **why);
void	sshr_cert_clear(struct sshr_cert *c);

/*
 * Verify the CA's signature over the certificate.  Returns 0, or -1 with
 * *why (static).
 */
int	sshr_cert_verify(const struct sshr_cert *c, const char **why);

/*
 * Check a parsed certificate for a login: user certificate, inside its
 * validity window at now, one of the names in principals[] listed, every
 * critical option understood, and source-address (when present) matching
 * address.  Returns 0, or -1 with *why (static, for the audit record).
 */
int	sshr_cert_check(const struct sshr_cert *c, time_t now,
	    const char *address, const char *const *principals, size_t n,
	    const char **why);

/*
 * Verify a raw signature blob (string algorithm, string signature) by the
 * public key blob over data.  SHA-1 RSA signatures are refused.  Returns
 * 0 or -1 with *why.
 */
int	sshr_sig_verify(const unsigned char *key, size_t keylen,
	    const unsigned char *sig, size_t siglen,
	    const unsigned char *data, size_t datalen, const char **why);

#endif

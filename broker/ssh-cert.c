/*
 * OpenSSH user certificates: parsing, the CA signature, the checks sshd
 * makes (see ssh-cert.h).  Signatures are verified with OpenSSL 3.
 */
#include "config.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <stdlib.h>
#include <string.h>

#include "broker/ssh-authkeys.h"
#include "broker/ssh-cert.h"
#include "common/xmalloc.h"

#define SSHR_CERT_SUFFIX	"-cert-v01@openssh.com"
#define SSHR_CERT_USER		1

void
sshr_cert_clear(struct sshr_cert *c)
{
	size_t i;

	free(c->key_blob);
	free(c->key_id);
	for (i = 0; i < c->nprincipals; i++)
		free(c->principals[i]);
	free(c->principals);
	free(c->source_address);
	free(c->bad_critical);
	free(c->ca_blob);
	free(c->signed_data);
	free(c->sig);
	memset(c, 0, sizeof(*c));
}

static unsigned char *
sshr_dup(const unsigned char *p, size_t n)
{
	unsigned char *d = xmalloc(n ? n : 1);

	memcpy(d, p, n);
	return d;
}

/* The name list of critical options or extensions, in order, no repeats. */
static int
sshr_cert_options(const unsigned char *p, size_t len, struct sshr_cert *c,
    int critical)
{
	struct sshr_rd r = { p, len }, inner;
	const unsigned char *name, *data, *val, *prev = NULL;
	size_t nl, dl, vl, prevl = 0;

	while (r.left > 0) {
		if (sshr_rd_string(&r, &name, &nl) == -1 ||
		    sshr_rd_string(&r, &data, &dl) == -1 || nl == 0 ||
		    memchr(name, '\0', nl) != NULL)
			return -1;
		if (prev != NULL) {
			int cmp = memcmp(prev, name, prevl < nl ? prevl : nl);

			if (cmp > 0 || (cmp == 0 && prevl >= nl))
				return -1;	/* out of order or repeated */
		}
		prev = name;
		prevl = nl;
		if (!critical) {
			if (nl == 22 && memcmp(name, "permit-port-forwarding",
			    22) == 0)
				c->permit_port_forwarding = 1;
			continue;
		}
		if (nl == 14 && memcmp(name, "source-address", 14) == 0) {
			inner.p = data;
			inner.left = dl;
			if (sshr_rd_string(&inner, &val, &vl) == -1 ||
			    inner.left != 0 || vl == 0 ||
			    memchr(val, '\0', vl) != NULL)
				return -1;
			c->source_address = xstrndup((const char *)val, vl);
		} else if (c->bad_critical == NULL)
			c->bad_critical = xstrndup((const char *)name, nl);
	}
	return 0;
}

int
sshr_cert_parse(const unsigned char *blob, size_t len, struct sshr_cert *c,
    const char **why)
{
	struct sshr_rd r = { blob, len }, pr;
	const unsigned char *s, *fields, *prin, *crit, *ext, *ca, *sig;
	size_t sl, tl, fl, pl, cl, el, cal, sigl;
	unsigned bits;
	const char *kwhy;

	memset(c, 0, sizeof(*c));
	*why = "malformed certificate";
	if (sshr_rd_string(&r, &s, &sl) == -1 || sl >= sizeof(c->type) ||
	    memchr(s, '\0', sl) != NULL)
		return -1;
	memcpy(c->type, s, sl);
	c->type[sl] = '\0';
	tl = strlen(SSHR_CERT_SUFFIX);
	if (sl <= tl || strcmp(c->type + sl - tl, SSHR_CERT_SUFFIX) != 0) {
		*why = "not a certificate";
		return -1;
	}
	memcpy(c->key_type, c->type, sl - tl);
	c->key_type[sl - tl] = '\0';
	if (sshr_rd_string(&r, &s, &sl) == -1)		/* nonce */
		return -1;
	fields = r.p;
	if (strcmp(c->key_type, "ssh-ed25519") == 0) {
		if (sshr_rd_string(&r, &s, &sl) == -1)
			return -1;
	} else if (strcmp(c->key_type, "ssh-rsa") == 0) {
		if (sshr_rd_mpint(&r, &s, &sl) == -1 ||
		    sshr_rd_mpint(&r, &s, &sl) == -1)
			return -1;
	} else if (strncmp(c->key_type, "ecdsa-sha2-", 11) == 0) {
		if (sshr_rd_string(&r, &s, &sl) == -1 ||
		    sshr_rd_string(&r, &s, &sl) == -1)
			return -1;
	} else {
		*why = "unsupported certificate key type";
		return -1;
	}
	fl = (size_t)(r.p - fields);
	/* The certified key as a plain key blob: type, then its fields. */
	tl = strlen(c->key_type);
	c->key_bloblen = 4 + tl + fl;
	c->key_blob = xmalloc(c->key_bloblen);
	c->key_blob[0] = (unsigned char)(tl >> 24);
	c->key_blob[1] = (unsigned char)(tl >> 16);
	c->key_blob[2] = (unsigned char)(tl >> 8);
	c->key_blob[3] = (unsigned char)tl;
	memcpy(c->key_blob + 4, c->key_type, tl);
	memcpy(c->key_blob + 4 + tl, fields, fl);
	if (sshr_key_blob_check(c->key_type, c->key_blob, c->key_bloblen,
	    &bits, &kwhy) == -1) {
		*why = kwhy;
		return -1;
	}
	if (sshr_rd_u64(&r, &c->serial) == -1 ||
	    sshr_rd_u32(&r, &c->cert_type) == -1 ||
	    sshr_rd_cstring(&r, &c->key_id) == -1 ||
	    sshr_rd_string(&r, &prin, &pl) == -1 ||
	    sshr_rd_u64(&r, &c->valid_after) == -1 ||
	    sshr_rd_u64(&r, &c->valid_before) == -1 ||
	    sshr_rd_string(&r, &crit, &cl) == -1 ||
	    sshr_rd_string(&r, &ext, &el) == -1 ||
	    sshr_rd_string(&r, &s, &sl) == -1 ||		/* reserved */
	    sshr_rd_string(&r, &ca, &cal) == -1)
		return -1;
	c->signed_len = (size_t)(r.p - blob);
	if (sshr_rd_string(&r, &sig, &sigl) == -1 || r.left != 0)
		return -1;
	pr.p = prin;
	pr.left = pl;
	while (pr.left > 0) {
		if (c->nprincipals == SSHR_CERT_PRINCIPALS_MAX) {
			*why = "too many principals";
			return -1;
		}
		c->principals = xreallocarray(c->principals,
		    c->nprincipals + 1, sizeof(*c->principals));
		if (sshr_rd_cstring(&pr, &c->principals[c->nprincipals]) == -1)
			return -1;
		c->nprincipals++;
	}
	if (sshr_cert_options(crit, cl, c, 1) == -1 ||
	    sshr_cert_options(ext, el, c, 0) == -1)
		return -1;
	/* The CA key: a plain key of a type we accept. */
	pr.p = ca;
	pr.left = cal;
	if (sshr_rd_string(&pr, &s, &sl) == -1 || sl >= sizeof(c->ca_type) ||
	    memchr(s, '\0', sl) != NULL)
		return -1;
	memcpy(c->ca_type, s, sl);
	c->ca_type[sl] = '\0';
	if (sshr_key_blob_check(c->ca_type, ca, cal, &bits, &kwhy) == -1) {
		*why = "the CA key is not a supported plain key";
		return -1;
	}
	c->ca_blob = sshr_dup(ca, cal);
	c->ca_bloblen = cal;
	c->signed_data = sshr_dup(blob, c->signed_len);
	c->sig = sshr_dup(sig, sigl);
	c->siglen = sigl;
	*why = NULL;
	return 0;
}

int
sshr_cert_check(const struct sshr_cert *c, time_t now, const char *address,
    const char *const *principals, size_t n, const char **why)
{
	size_t i, j;

	if (c->cert_type != SSHR_CERT_USER) {
		*why = "not a user certificate";
		return -1;
	}
	if (now < 0 || (uint64_t)now < c->valid_after) {
		*why = "certificate not yet valid";
		return -1;
	}
	if ((uint64_t)now >= c->valid_before) {
		*why = "certificate expired";
		return -1;
	}
	if (c->bad_critical != NULL) {
		*why = "certificate has an unsupported critical option";
		return -1;
	}
	if (c->nprincipals == 0) {
		*why = "certificate lists no principals";
		return -1;
	}
	for (i = 0; i < c->nprincipals; i++)
		for (j = 0; j < n; j++)
			if (strcmp(c->principals[i], principals[j]) == 0)
				goto found;
	*why = "certificate principals do not include the user";
	return -1;
found:
	if (c->source_address != NULL &&
	    sshr_addr_match(address, c->source_address, 0) != 1) {
		*why = "certificate source-address does not allow this client";
		return -1;
	}
	return 0;
}

/* --- signatures ---------------------------------------------------- */

static EVP_PKEY *
sshr_pkey_from(OSSL_PARAM_BLD *bld, const char *alg)
{
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		return NULL;
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

static EVP_PKEY *
sshr_pkey_rsa(struct sshr_rd *r, size_t *modlen)
{
	const unsigned char *e, *n;
	size_t el, nl;
	OSSL_PARAM_BLD *bld;
	BIGNUM *be = NULL, *bn = NULL;
	EVP_PKEY *pkey = NULL;

	if (sshr_rd_mpint(r, &e, &el) == -1 || sshr_rd_mpint(r, &n, &nl) == -1)
		return NULL;
	*modlen = nl;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL)
		return NULL;
	be = BN_bin2bn(e, (int)el, NULL);
	bn = BN_bin2bn(n, (int)nl, NULL);
	if (be != NULL && bn != NULL &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) == 1 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) == 1)
		pkey = sshr_pkey_from(bld, "RSA");
	BN_free(be);
	BN_free(bn);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

static EVP_PKEY *
sshr_pkey_ec(struct sshr_rd *r, const char *curve)
{
	const unsigned char *s, *q;
	size_t sl, ql;
	OSSL_PARAM_BLD *bld;
	EVP_PKEY *pkey = NULL;
	const char *group = strcmp(curve, "nistp256") == 0 ? "P-256" :
	    strcmp(curve, "nistp384") == 0 ? "P-384" : "P-521";

	if (sshr_rd_string(r, &s, &sl) == -1 ||
	    sshr_rd_string(r, &q, &ql) == -1)
		return NULL;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL)
		return NULL;
	if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, 0) == 1 &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, q,
	    ql) == 1)
		pkey = sshr_pkey_from(bld, "EC");
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

/* (r, s) as two mpints, to the DER form OpenSSL verifies. */
static unsigned char *
sshr_ecdsa_der(const unsigned char *sig, size_t siglen, size_t *derlen)
{
	struct sshr_rd r = { sig, siglen };
	const unsigned char *rp, *sp;
	size_t rl, sl;
	ECDSA_SIG *es;
	BIGNUM *br, *bs;
	unsigned char *der = NULL;
	int n;

	if (sshr_rd_mpint(&r, &rp, &rl) == -1 ||
	    sshr_rd_mpint(&r, &sp, &sl) == -1 || r.left != 0)
		return NULL;
	if ((es = ECDSA_SIG_new()) == NULL)
		return NULL;
	br = BN_bin2bn(rp, (int)rl, NULL);
	bs = BN_bin2bn(sp, (int)sl, NULL);
	if (br == NULL || bs == NULL || ECDSA_SIG_set0(es, br, bs) != 1) {
		BN_free(br);
		BN_free(bs);
		ECDSA_SIG_free(es);
		return NULL;
	}
	n = i2d_ECDSA_SIG(es, &der);
	ECDSA_SIG_free(es);
	if (n <= 0)
		return NULL;
	*derlen = (size_t)n;
	return der;
}

int
sshr_sig_verify(const unsigned char *key, size_t keylen,
    const unsigned char *sig, size_t siglen, const unsigned char *data,
    size_t datalen, const char **why)
{
	struct sshr_rd kr = { key, keylen }, sr = { sig, siglen };
	const unsigned char *kt, *alg, *sb, *raw;
	unsigned char *der = NULL, *padded = NULL;
	size_t ktl, algl, sbl, rawl, modlen = 0;
	char ktype[48], salg[48];
	const EVP_MD *md = NULL;
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *mctx = NULL;
	int ret = -1;

	*why = "malformed signature";
	if (sshr_rd_string(&kr, &kt, &ktl) == -1 || ktl >= sizeof(ktype) ||
	    sshr_rd_string(&sr, &alg, &algl) == -1 || algl >= sizeof(salg) ||
	    sshr_rd_string(&sr, &sb, &sbl) == -1 || sr.left != 0)
		return -1;
	memcpy(ktype, kt, ktl);
	ktype[ktl] = '\0';
	memcpy(salg, alg, algl);
	salg[algl] = '\0';
	raw = sb;
	rawl = sbl;
	if (strcmp(ktype, "ssh-ed25519") == 0) {
		if (strcmp(salg, "ssh-ed25519") != 0 || sbl != 64 ||
		    sshr_rd_string(&kr, &kt, &ktl) == -1 || ktl != 32)
			goto out;
		pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, kt,
		    32);
	} else if (strcmp(ktype, "ssh-rsa") == 0) {
		if (strcmp(salg, "rsa-sha2-256") == 0)
			md = EVP_sha256();
		else if (strcmp(salg, "rsa-sha2-512") == 0)
			md = EVP_sha512();
		else {
			*why = strcmp(salg, "ssh-rsa") == 0 ? "SHA-1 RSA "
			    "signatures are refused" : "signature algorithm "
			    "does not match the key";
			goto out;
		}
		if ((pkey = sshr_pkey_rsa(&kr, &modlen)) == NULL)
			goto out;
		/* A signature may be short by leading zeros; pad it. */
		if (sbl > modlen)
			goto out;
		if (sbl < modlen) {
			padded = xcalloc(1, modlen);
			memcpy(padded + modlen - sbl, sb, sbl);
			raw = padded;
			rawl = modlen;
		}
	} else if (strncmp(ktype, "ecdsa-sha2-", 11) == 0) {
		if (strcmp(salg, ktype) != 0)
			goto out;
		md = strcmp(ktype + 11, "nistp256") == 0 ? EVP_sha256() :
		    strcmp(ktype + 11, "nistp384") == 0 ? EVP_sha384() :
		    EVP_sha512();
		if ((pkey = sshr_pkey_ec(&kr, ktype + 11)) == NULL ||
		    (der = sshr_ecdsa_der(sb, sbl, &rawl)) == NULL)
			goto out;
		raw = der;
	} else {
		*why = "unsupported signature key type";
		goto out;
	}
	if (pkey == NULL)
		goto out;
	if ((mctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(mctx, NULL, md, NULL, pkey) != 1)
		goto out;
	if (EVP_DigestVerify(mctx, raw, rawl, data, datalen) != 1) {
		*why = "bad signature";
		goto out;
	}
	*why = NULL;
	ret = 0;
out:
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_free(pkey);
	OPENSSL_free(der);
	free(padded);
	return ret;
}

int
sshr_cert_verify(const struct sshr_cert *c, const char **why)
{
	if (sshr_sig_verify(c->ca_blob, c->ca_bloblen, c->sig, c->siglen,
	    c->signed_data, c->signed_len, why) == -1) {
		if (*why != NULL && strcmp(*why, "bad signature") == 0)
			*why = "bad CA signature on the certificate";
		return -1;
	}
	return 0;
}

/*
 * The TLS listener's context: TLS 1.2 and 1.3 only, the configured
 * certificate and key (PEM text in the settings; the parent read the
 * files), or a self-signed certificate when none is configured, and the
 * client CA that client certificates must chain to.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "broker/proxy-tls.h"
#include "common/log.h"
#include "common/xmalloc.h"

static char *
proxy_tls_error(const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return xasprintf("%s: %s", what, e != 0 ? buf : "failed");
}

/* PEM text out of a memory BIO (allocated). */
static char *
proxy_tls_bio_text(BIO *b)
{
	char *p, *s;
	long n;

	n = BIO_get_mem_data(b, &p);
	s = xmalloc((size_t)n + 1);
	memcpy(s, p, (size_t)n);
	s[n] = '\0';
	return s;
}

int
proxy_tls_selfsigned(const char *cn, char **cert_pem, char **key_pem,
    char **cause)
{
	EVP_PKEY *pkey = NULL;
	X509 *x = NULL;
	X509_NAME *name;
	X509_EXTENSION *ext;
	X509V3_CTX v3;
	BIGNUM *bn = NULL;
	BIO *bc = NULL, *bk = NULL;
	int rc = -1;

	*cert_pem = *key_pem = NULL;
	if ((pkey = EVP_EC_gen("P-256")) == NULL) {
		*cause = proxy_tls_error("generating a key");
		goto out;
	}
	x = X509_new();
	bn = BN_new();
	if (x == NULL || bn == NULL || !X509_set_version(x, 2) ||
	    !BN_rand(bn, 120, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
	    !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 10L * 365 * 86400) ||
	    !X509_set_pubkey(x, pkey)) {
		*cause = proxy_tls_error("making a certificate");
		goto out;
	}
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name,
	    "DNS:localhost,IP:127.0.0.1,IP:::1")) != NULL) {
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	if ((ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
	    "critical,CA:FALSE")) != NULL) {
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	if (X509_sign(x, pkey, EVP_sha256()) == 0) {
		*cause = proxy_tls_error("signing the certificate");
		goto out;
	}
	bc = BIO_new(BIO_s_mem());
	bk = BIO_new(BIO_s_mem());
	if (bc == NULL || bk == NULL || !PEM_write_bio_X509(bc, x) ||
	    !PEM_write_bio_PrivateKey(bk, pkey, NULL, NULL, 0, NULL, NULL)) {
		*cause = proxy_tls_error("writing PEM");
		goto out;
	}
	*cert_pem = proxy_tls_bio_text(bc);
	*key_pem = proxy_tls_bio_text(bk);
	rc = 0;
out:
	BIO_free(bc);
	BIO_free(bk);
	BN_free(bn);
	X509_free(x);
	EVP_PKEY_free(pkey);
	return rc;
}

/* The certificate chain and key from PEM text. */
static int
proxy_tls_load(SSL_CTX *ctx, const char *cert_pem, const char *key_pem,
    char **cause)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char fp[3 * EVP_MAX_MD_SIZE + 1];
	unsigned int mdlen = 0, i;
	EVP_PKEY *pkey = NULL;
	X509 *x = NULL, *extra;
	BIO *b;
	int rc = -1;

	if ((b = BIO_new_mem_buf(cert_pem, -1)) == NULL ||
	    (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL ||
	    SSL_CTX_use_certificate(ctx, x) != 1) {
		*cause = proxy_tls_error("tls_certificate");
		goto out;
	}
	while ((extra = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		if (SSL_CTX_add0_chain_cert(ctx, extra) != 1)
			X509_free(extra);
	ERR_clear_error();
	BIO_free(b);
	if ((b = BIO_new_mem_buf(key_pem, -1)) == NULL ||
	    (pkey = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) == NULL ||
	    SSL_CTX_use_PrivateKey(ctx, pkey) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		*cause = proxy_tls_error("tls_key");
		goto out;
	}
	X509_digest(x, EVP_sha256(), md, &mdlen);
	for (i = 0; i < mdlen; i++)
		snprintf(fp + 3 * i, 4, "%02X%s", md[i], i + 1 < mdlen ? ":" :
		    "");
	log_info("TLS certificate SHA256 fingerprint %s", mdlen ? fp : "?");
	rc = 0;
out:
	BIO_free(b);
	X509_free(x);
	EVP_PKEY_free(pkey);
	return rc;
}

/* Trust client certificates from the CA bundle in PEM. */
static int
proxy_tls_client_ca(SSL_CTX *ctx, const char *pem, int required,
    char **cause)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	STACK_OF(X509_NAME) *names = sk_X509_NAME_new_null();
	X509 *x;
	BIO *b;
	int n = 0;

	if ((b = BIO_new_mem_buf(pem, -1)) == NULL || names == NULL) {
		*cause = proxy_tls_error("client_ca");
		BIO_free(b);
		sk_X509_NAME_free(names);
		return -1;
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		X509_STORE_add_cert(store, x);
		sk_X509_NAME_push(names, X509_NAME_dup(
		    X509_get_subject_name(x)));
		X509_free(x);
		n++;
	}
	ERR_clear_error();
	BIO_free(b);
	if (n == 0) {
		sk_X509_NAME_pop_free(names, X509_NAME_free);
		*cause = xstrdup("client_ca: no certificate in it");
		return -1;
	}
	SSL_CTX_set_client_CA_list(ctx, names);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | (required ?
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0), NULL);
	SSL_CTX_set_verify_depth(ctx, 4);
	return 0;
}

SSL_CTX *
proxy_tls_context(json_t *s, char **cause)
{
	const char *cert = json_string_value(json_object_get(s,
	    "tls_certificate_pem"));
	const char *key = json_string_value(json_object_get(s,
	    "tls_key_pem"));
	const char *ca = json_string_value(json_object_get(s,
	    "client_ca_pem"));
	char *gcert = NULL, *gkey = NULL;
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		*cause = proxy_tls_error("SSL_CTX_new");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
	/* Idle tunnels keep no TLS record buffers. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"vbproxy",
	    7);
	if (cert == NULL || key == NULL) {
		if (proxy_tls_selfsigned("vnf-broker", &gcert, &gkey, cause) != 0)
			goto fail;
		log_warn("no tls_certificate configured: using a self-signed "
		    "certificate made at start");
		cert = gcert;
		key = gkey;
	}
	if (proxy_tls_load(ctx, cert, key, cause) != 0)
		goto fail;
	if (ca != NULL && proxy_tls_client_ca(ctx, ca, json_is_true(
	    json_object_get(s, "client_certificate_required")), cause) != 0)
		goto fail;
	if (gkey != NULL)
		explicit_bzero(gkey, strlen(gkey));
	free(gcert);
	free(gkey);
	return ctx;
fail:
	if (gkey != NULL)
		explicit_bzero(gkey, strlen(gkey));
	free(gcert);
	free(gkey);
	SSL_CTX_free(ctx);
	return NULL;
}

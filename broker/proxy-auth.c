/*
 * Who a proxy client is: `Proxy-Authorization: Basic` checked against the
 * user's proxy_password_hash with crypt_r(3), or a TLS client certificate
 * that chains to the configured client CA and whose subject CN is a user.
 *
 * A modern hash (yescrypt, bcrypt) costs milliseconds by design: it is
 * computed on pwcheck's worker thread, never on the event loop, and the
 * connection waits (reading nothing) for the answer.  Verified credentials
 * are remembered for auth_cache_ttl seconds as an HMAC (with a key made at
 * start) of user, password and hash, never the password itself, so a
 * client that opens a tunnel per request pays the hash once.  A changed
 * hash misses the cache.
 *
 * A verified client certificate is recorded by its SHA-256 fingerprint
 * (the audit's credential) and its subject.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/bio.h>
#include <openssl/x509.h>

#include "broker/proxy.h"
#include "broker/pwcheck.h"
#include "common/log.h"
#include "common/strutil.h"
#include "common/xmalloc.h"

#define PROXY_BASIC_MAX	1024	/* base64 characters of user:password */

void
proxy_auth_init(struct proxy *px)
{
	if (RAND_bytes(px->cache_key, sizeof(px->cache_key)) != 1)
		fatal("no randomness for the credential cache key");
	px->pw = pwcheck_new(px->base, PWCHECK_QUEUE_MAX);
}

static int
proxy_user_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > PROXY_USER_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

static void
proxy_cache_mac(struct proxy *px, const char *user, const char *pass,
    const char *hash, unsigned char mac[32])
{
	size_t lu = strlen(user), lp = strlen(pass), lh = strlen(hash);
	unsigned int len = 32;
	char *buf;

	buf = xmalloc(lu + lp + lh + 3);
	memcpy(buf, user, lu + 1);
	memcpy(buf + lu + 1, hash, lh + 1);
	memcpy(buf + lu + lh + 2, pass, lp + 1);
	HMAC(EVP_sha256(), px->cache_key, sizeof(px->cache_key),
	    (unsigned char *)buf, lu + lp + lh + 3, mac, &len);
	explicit_bzero(buf, lu + lp + lh + 3);
	free(buf);
}

/* Is (user, mac) a credential verified less than auth_cache_ttl ago? */
static int
proxy_cache_hit(struct proxy *px, const char *user, const unsigned char *mac)
{
	struct proxy_cache_ent *e;
	time_t now = time(NULL);
	size_t i;

	for (i = 0; i < PROXY_AUTH_CACHE; i++) {
		e = &px->cache[i];
		if (strcmp(e->user, user) == 0 && e->expires > now &&
		    CRYPTO_memcmp(e->mac, mac, 32) == 0)
			return 1;
	}
	return 0;
}

/* Remember a verified credential: the user's slot, a free one, or any. */
static void
proxy_cache_put(struct proxy *px, const char *user, const unsigned char *mac)
{
	struct proxy_cache_ent *slot = NULL;
	time_t now = time(NULL);
	size_t i;

	if (px->set.auth_cache_ttl == 0)
		return;
	for (i = 0; i < PROXY_AUTH_CACHE && slot == NULL; i++)
		if (strcmp(px->cache[i].user, user) == 0)
			slot = &px->cache[i];
	for (i = 0; i < PROXY_AUTH_CACHE && slot == NULL; i++)
		if (px->cache[i].expires <= now)
			slot = &px->cache[i];
	if (slot == NULL)
		slot = &px->cache[mac[0] % PROXY_AUTH_CACHE];
	str_copy(slot->user, user, sizeof(slot->user));
	memcpy(slot->mac, mac, 32);
	slot->expires = now + px->set.auth_cache_ttl;
}

/* After the credentials: a certificate naming someone else is refused. */
static int
proxy_auth_same_user(struct proxy_conn *pc, const char **reason)
{
	if (pc->cert_user[0] != '\0' &&
	    strcmp(pc->cert_user, pc->user) != 0) {
		*reason = "the client certificate and the credentials name "
		    "different users";
		return 407;
	}
	return 0;
}

/* pwcheck's answer, on the loop. */
static void
proxy_auth_done(int ok, void *arg)
{
	struct proxy_conn *pc = arg;
	const char *reason = NULL;
	int status;

	pc->pwjob = 0;
	if (!ok) {
		proxy_conn_authed(pc, 407, "wrong user name or password");
		return;
	}
	proxy_cache_put(pc->px, pc->user, pc->pwmac);
	explicit_bzero(pc->pwmac, sizeof(pc->pwmac));
	status = proxy_auth_same_user(pc, &reason);
	proxy_conn_authed(pc, status, reason);
}

int
proxy_auth_check(struct proxy *px, struct proxy_conn *pc,
    const char **reason)
{
	const char *h = pc->req.proxy_auth, *hash;
	unsigned char buf[PROXY_BASIC_MAX];
	char *colon;
	size_t n;
	int len, pad;
	long job;
	json_t *u;

	if (h == NULL) {
		if (pc->cert_user[0] != '\0') {
			str_copy(pc->user, pc->cert_user, sizeof(pc->user));
			pc->credential = pc->cert_fp;
			return 0;
		}
		*reason = "proxy authentication required";
		return 407;
	}
	if (strncasecmp(h, "Basic ", 6) != 0) {
		*reason = "only Basic proxy authentication is supported";
		return 407;
	}
	for (h += 6; *h == ' '; h++)
		;
	n = strlen(h);
	if (n == 0 || n % 4 != 0 || n > PROXY_BASIC_MAX) {
		*reason = "malformed Basic credentials";
		return 407;
	}
	len = EVP_DecodeBlock(buf, (const unsigned char *)h, (int)n);
	if (len < 0) {
		*reason = "malformed Basic credentials";
		return 407;
	}
	pad = (h[n - 1] == '=') + (h[n - 2] == '=');
	len -= pad;
	buf[len] = '\0';
	if ((int)strlen((char *)buf) != len ||
	    (colon = strchr((char *)buf, ':')) == NULL) {
		explicit_bzero(buf, sizeof(buf));
		*reason = "malformed Basic credentials";
		return 407;
	}
	*colon = '\0';
	pc->credential = "password";
	if (!proxy_user_name_ok((char *)buf)) {
		explicit_bzero(buf, sizeof(buf));
		*reason = "wrong user name or password";
		return 407;
	}
	str_copy(pc->user, (char *)buf, sizeof(pc->user));
	u = access_user(px->access, pc->user);
	hash = json_string_value(json_object_get(u, "proxy_password_hash"));
	if (hash == NULL) {
		explicit_bzero(buf, sizeof(buf));
		*reason = "wrong user name or password";
		return 407;
	}
	proxy_cache_mac(px, pc->user, colon + 1, hash, pc->pwmac);
	if (proxy_cache_hit(px, pc->user, pc->pwmac)) {
		explicit_bzero(buf, sizeof(buf));
		return proxy_auth_same_user(pc, reason);
	}
	job = pwcheck_submit(px->pw, colon + 1, hash, proxy_auth_done, pc);
	explicit_bzero(buf, sizeof(buf));
	if (job < 0) {
		*reason = job == -EBUSY ? "too many logins are being checked; "
		    "try again" : "wrong user name or password";
		return job == -EBUSY ? 503 : 407;
	}
	pc->pwjob = job;
	return PROXY_AUTH_PENDING;
}

/*
 * The certificate's SHA-256 fingerprint as OpenSSH prints key ones
 * ("SHA256:" and unpadded base64 of the DER) and its subject, RFC 2253.
 */
static void
proxy_cert_id(struct proxy_conn *pc, X509 *cert)
{
	unsigned char md[EVP_MAX_MD_SIZE], b64[64];
	unsigned int mdlen = 0;
	BIO *bio;
	int n;

	pc->cert_fp[0] = pc->cert_subject[0] = '\0';
	if (X509_digest(cert, EVP_sha256(), md, &mdlen) == 1 && mdlen == 32) {
		n = EVP_EncodeBlock(b64, md, (int)mdlen);
		while (n > 0 && b64[n - 1] == '=')
			b64[--n] = '\0';
		snprintf(pc->cert_fp, sizeof(pc->cert_fp), "SHA256:%s", b64);
	}
	if ((bio = BIO_new(BIO_s_mem())) != NULL) {
		if (X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0,
		    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
			n = BIO_read(bio, pc->cert_subject,
			    (int)sizeof(pc->cert_subject) - 1);
			pc->cert_subject[n > 0 ? n : 0] = '\0';
		}
		BIO_free(bio);
	}
}

void
proxy_auth_cert(struct proxy *px, struct proxy_conn *pc, SSL *ssl)
{
	X509 *cert;
	char cn[PROXY_USER_MAX + 2];
	int n;

	if (ssl == NULL || (cert = SSL_get1_peer_certificate(ssl)) == NULL)
		return;
	if (SSL_get_verify_result(ssl) != X509_V_OK)
		goto out;
	n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert),
	    NID_commonName, cn, sizeof(cn));
	if (n <= 0 || (size_t)n > PROXY_USER_MAX || strlen(cn) != (size_t)n ||
	    !proxy_user_name_ok(cn) ||
	    access_user(px->access, cn) == NULL) {
		log_info("%s: client certificate names no user", pc->source);
		goto out;
	}
	str_copy(pc->cert_user, cn, sizeof(pc->cert_user));
	proxy_cert_id(pc, cert);
out:
	X509_free(cert);
}

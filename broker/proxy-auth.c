/*
 * Who a proxy client is: `Proxy-Authorization: Basic` checked against the
 * user's proxy_password_hash with crypt_r(3), or a TLS client certificate
 * that chains to the configured client CA and whose subject CN is a user.
 *
 * A modern hash (yescrypt, bcrypt) costs milliseconds by design, and this
 * role has one thread: verified credentials are remembered for
 * auth_cache_ttl seconds as an HMAC (with a key made at start) of user,
 * password and hash, never the password itself, so a client that opens a
 * tunnel per request pays the hash once.  A changed hash misses the cache.
 */
#include "config.h"

#include <crypt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "broker/proxy.h"
#include "common/log.h"
#include "common/strutil.h"
#include "common/xmalloc.h"

#define PROXY_BASIC_MAX	1024	/* base64 characters of user:password */

/* crypt_r's work area is large; one is enough in one thread. */
static struct crypt_data proxy_cd;

void
proxy_auth_init(struct proxy *px)
{
	if (RAND_bytes(px->cache_key, sizeof(px->cache_key)) != 1)
		fatal("no randomness for the credential cache key");
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

/* Is pass the password of hash?  Constant time in what is compared. */
static int
proxy_verify(struct proxy *px, const char *user, const char *pass,
    const char *hash)
{
	struct proxy_cache_ent *e, *slot = NULL;
	unsigned char mac[32];
	time_t now = time(NULL);
	const char *res;
	size_t i, n;
	int ok;

	proxy_cache_mac(px, user, pass, hash, mac);
	for (i = 0; i < PROXY_AUTH_CACHE; i++) {
		e = &px->cache[i];
		if (strcmp(e->user, user) != 0)
			continue;
		slot = e;
		if (e->expires > now && CRYPTO_memcmp(e->mac, mac,
		    sizeof(mac)) == 0)
			return 1;
	}
	memset(&proxy_cd, 0, sizeof(proxy_cd));
	res = crypt_r(pass, hash, &proxy_cd);
	n = strlen(hash);
	ok = res != NULL && res[0] != '*' && strlen(res) == n &&
	    CRYPTO_memcmp(res, hash, n) == 0;
	explicit_bzero(&proxy_cd, sizeof(proxy_cd));
	if (!ok || px->set.auth_cache_ttl == 0)
		return ok;
	if (slot == NULL) {
		slot = &px->cache[mac[0] % PROXY_AUTH_CACHE];
		for (i = 0; i < PROXY_AUTH_CACHE; i++)
			if (px->cache[i].expires <= now) {
				slot = &px->cache[i];
				break;
			}
	}
	str_copy(slot->user, user, sizeof(slot->user));
	memcpy(slot->mac, mac, sizeof(mac));
	slot->expires = now + px->set.auth_cache_ttl;
	return 1;
}

int
proxy_auth_check(struct proxy *px, struct proxy_conn *pc,
    const char **reason)
{
	const char *h = pc->req.proxy_auth, *hash;
	unsigned char buf[PROXY_BASIC_MAX];
	char *colon;
	size_t n;
	int len, pad, ok;
	json_t *u;

	if (h == NULL) {
		if (pc->cert_user[0] != '\0') {
			str_copy(pc->user, pc->cert_user, sizeof(pc->user));
			pc->credential = "certificate";
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
	ok = hash != NULL && proxy_verify(px, pc->user, colon + 1, hash);
	explicit_bzero(buf, sizeof(buf));
	if (!ok) {
		*reason = "wrong user name or password";
		return 407;
	}
	if (pc->cert_user[0] != '\0' &&
	    strcmp(pc->cert_user, pc->user) != 0) {
		*reason = "the client certificate and the credentials name "
		    "different users";
		return 407;
	}
	return 0;
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
out:
	X509_free(cert);
}

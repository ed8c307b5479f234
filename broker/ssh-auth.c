/*
 * Who is this: an offered public key or certificate, matched against the
 * user's authorized_keys lines (with their options) and the trusted CAs.
 * libssh has checked that the client holds the private key (when it
 * signed); everything about whether that key may log in is decided here.
 */
#include "config.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker/pwcheck.h"
#include "broker/ssh-cert.h"
#include "broker/ssh-role.h"
#include "common/strutil.h"
#include "common/xmalloc.h"

#define SSHR_CERT_SUFFIX	"-cert-v01@openssh.com"
#define SSHR_PASSWORD_MAX	1024	/* longer ones are refused unhashed */
/*
 * Hashed when there is nothing to compare with (unknown user, no hash),
 * so such an attempt costs about what a wrong password does.
 */
#define SSHR_DUMMY_HASH		"$6$rounds=5000$vnfbrokerdummy$"

void
sshr_grant_clear(struct sshr_grant *g)
{
	free(g->permitopen);
	memset(g, 0, sizeof(*g));
}

/* "SHA256:" and the unpadded base64 of the blob's digest, as OpenSSH. */
static void
sshr_fingerprint(const unsigned char *blob, size_t len, char *out,
    size_t outlen)
{
	unsigned char md[32], b64[48];
	unsigned int mdlen = 0;
	int n;

	if (EVP_Digest(blob, len, md, &mdlen, EVP_sha256(), NULL) != 1) {
		str_copy(out, "?", outlen);
		return;
	}
	n = EVP_EncodeBlock(b64, md, (int)mdlen);
	while (n > 0 && b64[n - 1] == '=')
		n--;
	b64[n] = '\0';
	snprintf(out, outlen, "SHA256:%s", b64);
}

static void
sshr_grant_from(struct sshr_grant *g, const struct sshr_authkey *k,
    int port_forwarding)
{
	sshr_grant_clear(g);
	g->port_forwarding = port_forwarding && k->port_forwarding;
	if (k->npermitopen > 0) {
		g->permitopen = xreallocarray(NULL, k->npermitopen,
		    sizeof(*g->permitopen));
		memcpy(g->permitopen, k->permitopen, k->npermitopen *
		    sizeof(*g->permitopen));
		g->npermitopen = k->npermitopen;
	}
}

/* The line's own conditions: expiry-time= and from=. */
static int
sshr_line_allows(struct sshr_session *s, const struct sshr_authkey *k,
    const char **reason)
{
	if (k->expiry != 0 && time(NULL) >= k->expiry) {
		*reason = "key expired (expiry-time)";
		return 0;
	}
	if (k->from != NULL && sshr_addr_match(s->addr, k->from, 1) != 1) {
		*reason = "from= does not allow this address";
		return 0;
	}
	return 1;
}

static enum sshr_auth_result
sshr_auth_plain(struct sshr_session *s, json_t *u, const char *type,
    const unsigned char *blob, size_t len, const char **reason)
{
	struct sshr_authkey k;
	json_t *line;
	char *cause;
	size_t i;

	json_array_foreach(json_object_get(u, "ssh_authorized_keys"), i,
	    line) {
		if (sshr_authkey_parse(json_string_value(line) ?
		    json_string_value(line) : "", &k, &cause) == -1) {
			free(cause);
			sshr_authkey_clear(&k);
			continue;
		}
		if (k.cert_authority || strcmp(k.type, type) != 0 ||
		    k.bloblen != len || memcmp(k.blob, blob, len) != 0) {
			sshr_authkey_clear(&k);
			continue;
		}
		if (!sshr_line_allows(s, &k, reason)) {
			sshr_authkey_clear(&k);
			return SSHR_AUTH_DENIED;
		}
		sshr_grant_from(&s->grant, &k, 1);
		sshr_authkey_clear(&k);
		return SSHR_AUTH_OK;
	}
	*reason = "key not authorized for this user";
	return SSHR_AUTH_DENIED;
}

/* The names a certificate must list for user u. */
static size_t
sshr_principals(json_t *u, const char *user, const char **out, size_t max,
    const char *line_principals, char **tmp)
{
	json_t *v;
	size_t i, n = 0;
	char *p, *save;

	*tmp = NULL;
	if (line_principals != NULL) {
		*tmp = xstrdup(line_principals);
		for (p = strtok_r(*tmp, ",", &save); p != NULL && n < max;
		    p = strtok_r(NULL, ",", &save))
			out[n++] = p;
		return n;
	}
	json_array_foreach(json_object_get(u, "ssh_principals"), i, v)
		if (json_string_value(v) != NULL && n < max)
			out[n++] = json_string_value(v);
	if (n == 0)
		out[n++] = user;
	return n;
}

static enum sshr_auth_result
sshr_auth_cert(struct sshr_session *s, json_t *u, const char *user,
    const unsigned char *blob, size_t len, const char **reason)
{
	struct sshr_server *srv = s->srv;
	struct sshr_cert c;
	struct sshr_authkey k, *ca = NULL;
	const char *why, *names[64];
	char *cause, *tmp = NULL;
	json_t *line;
	size_t i, n;
	enum sshr_auth_result r = SSHR_AUTH_DENIED;
	int from_line = 0;

	memset(&k, 0, sizeof(k));
	if (sshr_cert_parse(blob, len, &c, &why) == -1) {
		*reason = why;
		goto out;
	}
	sshr_fingerprint(c.key_blob, c.key_bloblen, s->cred, sizeof(s->cred));
	str_copy(s->key_id, c.key_id, sizeof(s->key_id));
	/* A CA trusted for everyone, or for this user (cert-authority). */
	for (i = 0; i < srv->ncas && ca == NULL; i++)
		if (srv->cas[i].bloblen == c.ca_bloblen &&
		    memcmp(srv->cas[i].blob, c.ca_blob, c.ca_bloblen) == 0)
			ca = &srv->cas[i];
	if (ca == NULL) {
		json_array_foreach(json_object_get(u, "ssh_authorized_keys"),
		    i, line) {
			if (sshr_authkey_parse(json_string_value(line) ?
			    json_string_value(line) : "", &k, &cause) == -1)
				free(cause);
			else if (k.cert_authority &&
			    k.bloblen == c.ca_bloblen &&
			    memcmp(k.blob, c.ca_blob, c.ca_bloblen) == 0) {
				ca = &k;
				from_line = 1;
				break;
			}
			sshr_authkey_clear(&k);
		}
	}
	if (ca == NULL) {
		*reason = "certificate signed by an untrusted CA";
		goto out;
	}
	if (sshr_cert_verify(&c, &why) == -1) {
		*reason = why;
		goto out;
	}
	n = sshr_principals(u, user, names, sizeof(names) / sizeof(names[0]),
	    from_line ? k.principals : NULL, &tmp);
	if (sshr_cert_check(&c, time(NULL), s->addr, names, n, &why) == -1) {
		*reason = why;
		goto out;
	}
	if (from_line && !sshr_line_allows(s, &k, reason))
		goto out;
	if (from_line)
		sshr_grant_from(&s->grant, &k, c.permit_port_forwarding);
	else {
		sshr_grant_clear(&s->grant);
		s->grant.port_forwarding = c.permit_port_forwarding;
	}
	r = SSHR_AUTH_OK;
out:
	free(tmp);
	sshr_authkey_clear(&k);
	sshr_cert_clear(&c);
	return r;
}

enum sshr_auth_result
sshr_auth_key(struct sshr_session *s, const char *user, ssh_key key,
    const char **reason)
{
	const char *type = ssh_key_type_to_char(ssh_key_type(key));
	unsigned char *blob = NULL;
	char *b64 = NULL;
	size_t len, tl, sl = strlen(SSHR_CERT_SUFFIX);
	json_t *u;
	enum sshr_auth_result r = SSHR_AUTH_DENIED;

	s->cred[0] = '\0';
	s->key_id[0] = '\0';
	sshr_grant_clear(&s->grant);
	if (type == NULL || ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK ||
	    sshr_b64_decode(b64, strlen(b64), &blob, &len) == -1) {
		*reason = "unsupported key";
		goto out;
	}
	tl = strlen(type);
	if (tl <= sl || strcmp(type + tl - sl, SSHR_CERT_SUFFIX) != 0)
		sshr_fingerprint(blob, len, s->cred, sizeof(s->cred));
	if ((u = access_user(s->srv->access, user)) == NULL) {
		*reason = "unknown user";
		goto out;
	}
	if (tl > sl && strcmp(type + tl - sl, SSHR_CERT_SUFFIX) == 0)
		r = sshr_auth_cert(s, u, user, blob, len, reason);
	else
		r = sshr_auth_plain(s, u, type, blob, len, reason);
out:
	free(blob);
	ssh_string_free_char(b64);
	return r;
}

/*
 * A password login (only when ssh.password_authentication is on; the
 * caller checks).  The grant is the user's grants, with no key options to
 * narrow them: tunnels are allowed.
 */
enum sshr_auth_result
sshr_auth_password(struct sshr_session *s, const char *user,
    const char *password, const char **reason)
{
	const char *hash = NULL;
	json_t *u;

	str_copy(s->cred, "password", sizeof(s->cred));
	s->key_id[0] = '\0';
	sshr_grant_clear(&s->grant);
	if (password == NULL || strlen(password) > SSHR_PASSWORD_MAX) {
		*reason = "password too long";
		return SSHR_AUTH_DENIED;
	}
	if ((u = access_user(s->srv->access, user)) == NULL)
		*reason = "unknown user";
	else if ((hash = json_string_value(json_object_get(u,
	    "ssh_password_hash"))) == NULL)
		*reason = "no ssh_password_hash for this user";
	if (hash == NULL) {
		(void)pwcheck_verify(password, SSHR_DUMMY_HASH);
		return SSHR_AUTH_DENIED;
	}
	if (!pwcheck_verify(password, hash)) {
		*reason = "wrong password";
		return SSHR_AUTH_DENIED;
	}
	s->grant.port_forwarding = 1;
	return SSHR_AUTH_OK;
}

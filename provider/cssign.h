/*
 * CloudStack API request signing, computed exactly as the management server
 * verifies a request (ApiServer.verifyRequest, CloudStack 4.x):
 *
 *  1. every parameter but "signature" (in any case), names sorted as Java
 *     sorts Strings: by UTF-16 code unit, so upper case before lower;
 *  2. each written name=value with the value encoded as Java's URLEncoder
 *     does in UTF-8 (only A-Z a-z 0-9 . - * _ are left alone; a space
 *     becomes '+', which is then replaced by "%20"), joined by '&';
 *  3. the whole string lower-cased;
 *  4. HMAC-SHA1 of it with the secret key, Base64-encoded;
 *  5. the signature appended as one more parameter, URL-encoded like any
 *     other value.
 *
 *	json_t	*p = json_pack("{s:s, s:s, s:s}", "command", "listZones",
 *		    "response", "json", "apiKey", key);
 *	char	*query, *cause;
 *
 *	if (cssign_query(p, secret, &query, &cause) == 0)
 *		... GET https://cs.example/client/api?<query>
 *
 * The query string holds the parameters in the signed (sorted) order, the
 * names and values encoded, and the signature last.
 *
 * With "signatureversion" "3" the server also wants "expires", a time in
 * the form yyyy-MM-dd'T'HH:mm:ssZ (2026-11-27T23:00:00+0000) after which
 * it refuses the request; cssign_expires() writes one.
 *
 * Functions return 0 or a negative code (-EINVAL for bad parameters,
 * -ENOMEM); a cause, when cause is not NULL, starts "cssign: " and the
 * caller frees it.  Neither the secret nor any parameter value is ever
 * copied into a cause.
 */
#ifndef VB_PROVIDER_CSSIGN_H
#define VB_PROVIDER_CSSIGN_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

/* Bytes in one parameter value, and in the whole unsigned string. */
#define CSSIGN_MAX_VALUE	(64u * 1024)
#define CSSIGN_MAX_STRING	(1024u * 1024)
/* Bytes cssign_expires() writes, with the NUL. */
#define CSSIGN_EXPIRES_LEN	25

/*
 * The signed query string for params, a JSON object whose members are
 * strings, integers or booleans (written "true" and "false").  Parameter
 * names must be non-empty printable ASCII: the server lower-cases the
 * string in its own locale, which only agrees with ours for ASCII.
 * "command" and "apiKey" are required; a "signature" member is replaced.
 * *query is a new string the caller frees.
 */
int	cssign_query(json_t *params, const char *secret, char **query,
	    char **cause);

/* The lower-cased string that is signed (step 3); the caller frees it. */
int	cssign_string(json_t *params, char **out, char **cause);

/* The Base64 HMAC-SHA1 of str with secret (step 4); the caller frees it. */
int	cssign_signature(const char *str, const char *secret, char **out,
	    char **cause);

/*
 * Java's URLEncoder.encode(s, "UTF-8") with '+' written "%20".  *out is a
 * new string the caller frees.
 */
int	cssign_encode(const char *s, size_t len, char **out);

/* Compares two UTF-8 strings by UTF-16 code unit, as Java's compareTo. */
int	cssign_name_cmp(const char *a, const char *b);

/* Writes t as an "expires" value in UTC into buf (CSSIGN_EXPIRES_LEN). */
int	cssign_expires(time_t t, char *buf, size_t size);

#endif

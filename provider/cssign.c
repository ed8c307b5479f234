/*
 * CloudStack API request signing (see cssign.h for the rules).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "provider/cssign.h"

static void __attribute__((format(printf, 2, 3)))
set_cause(char **cause, const char *fmt, ...)
{
	va_list	ap;

	if (cause == NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(cause, fmt, ap) == -1)
		*cause = NULL;
	va_end(ap);
}

int
cssign_encode(const char *s, size_t len, char **out)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*u = (const unsigned char *)s;
	char			*o;
	size_t			 i;

	/* Three bytes out per byte in at most, plus the NUL. */
	if (len > (SIZE_MAX - 1) / 3 || (*out = o = malloc(len * 3 + 1)) ==
	    NULL)
		return (-ENOMEM);
	for (i = 0; i < len; i++) {
		if (isascii(u[i]) && (isalnum(u[i]) || u[i] == '.' ||
		    u[i] == '-' || u[i] == '*' || u[i] == '_'))
			*o++ = (char)u[i];
		else {
			/* A space would be '+', then "%20": the same. */
			*o++ = '%';
			*o++ = hex[u[i] >> 4];
			*o++ = hex[u[i] & 0x0f];
		}
	}
	*o = '\0';
	return (0);
}

/*
 * The next UTF-16 code unit of the UTF-8 string at *s: a BMP character is
 * one unit, a supplementary one two (high then low surrogate, *pending
 * keeps the low one).  Invalid bytes count as themselves.  0 at the end.
 */
static unsigned int
next_unit(const unsigned char **s, unsigned int *pending)
{
	const unsigned char	*p = *s;
	uint32_t		 c;
	unsigned int		 n, i;

	if (*pending != 0) {
		c = *pending;
		*pending = 0;
		return (c);
	}
	if (*p == 0)
		return (0);
	if (*p < 0x80)
		n = 1, c = *p;
	else if ((*p & 0xe0) == 0xc0)
		n = 2, c = *p & 0x1f;
	else if ((*p & 0xf0) == 0xe0)
		n = 3, c = *p & 0x0f;
	else if ((*p & 0xf8) == 0xf0)
		n = 4, c = *p & 0x07;
	else
		n = 1, c = *p;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			n = 1;
			c = *p;
			break;
		}
		c = (c << 6) | (p[i] & 0x3f);
	}
	*s = p + n;
	if (c >= 0x10000) {
		c -= 0x10000;
		*pending = 0xdc00 | (c & 0x3ff);
		return (0xd800 | (c >> 10));
	}
	return (c);
}

int
cssign_name_cmp(const char *a, const char *b)
{
	const unsigned char	*x = (const unsigned char *)a;
	const unsigned char	*y = (const unsigned char *)b;
	unsigned int		 px = 0, py = 0, ux, uy;

	for (;;) {
		ux = next_unit(&x, &px);
		uy = next_unit(&y, &py);
		if (ux != uy || ux == 0)
			return (ux < uy ? -1 : ux > uy);
	}
}

static int
cmp_names(const void *a, const void *b)
{
	return (cssign_name_cmp(*(const char *const *)a,
	    *(const char *const *)b));
}

/* The value of a parameter as text, a new string in *out. */
static int
value_text(const char *name, json_t *v, char **out, size_t *len,
    char **cause)
{
	char	*s = NULL;

	switch (json_typeof(v)) {
	case JSON_STRING:
		*len = json_string_length(v);
		if ((s = malloc(*len + 1)) != NULL) {
			memcpy(s, json_string_value(v), *len);
			s[*len] = '\0';
		}
		break;
	case JSON_INTEGER:
		if (asprintf(&s, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v)) == -1)
			s = NULL;
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		s = strdup(json_is_true(v) ? "true" : "false");
		break;
	default:
		set_cause(cause, "cssign: parameter '%s' must be a string, an "
		    "integer or a boolean", name);
		return (-EINVAL);
	}
	if (s == NULL) {
		set_cause(cause, "cssign: out of memory");
		return (-ENOMEM);
	}
	if (json_typeof(v) != JSON_STRING)
		*len = strlen(s);
	*out = s;
	return (0);
}

/* yyyy-MM-dd'T'HH:mm:ssZ as SimpleDateFormat parses it for "expires". */
static int
expires_ok(json_t *v)
{
	const char	*s, *form = "dddd-dd-ddTdd:dd:dd+dddd";
	size_t		 i;

	if (!json_is_string(v) || json_string_length(v) != strlen(form))
		return (0);
	s = json_string_value(v);
	for (i = 0; form[i] != '\0'; i++) {
		if (form[i] == 'd' ? !isdigit((unsigned char)s[i]) :
		    form[i] == '+' ? (s[i] != '+' && s[i] != '-') :
		    s[i] != form[i])
			return (0);
	}
	return (1);
}

/* Case-insensitive lookup of a member, as the server finds its own. */
static json_t *
get_ci(json_t *params, const char *name)
{
	const char	*k;
	json_t		*v;

	json_object_foreach(params, k, v)
		if (strcasecmp(k, name) == 0)
			return (v);
	return (NULL);
}

/*
 * The sorted, encoded pairs: *unsigned_out (not yet lower-cased) and, if
 * query_out is not NULL, the same with names encoded too, for the wire.
 */
static int
build(json_t *params, char **unsigned_out, char **query_out, char **cause)
{
	const char	**names = NULL, *k, *p;
	json_t		 *v, *sv;
	char		 *s = NULL, *q = NULL, *val = NULL, *enc = NULL;
	char		 *encname = NULL;
	size_t		  n = 0, i, slen = 0, qlen = 0, vlen = 0, need;
	int		  error = -EINVAL;

	*unsigned_out = NULL;
	if (query_out != NULL)
		*query_out = NULL;
	if (!json_is_object(params)) {
		set_cause(cause, "cssign: parameters must be a JSON object");
		return (-EINVAL);
	}
	if (get_ci(params, "command") == NULL) {
		set_cause(cause, "cssign: no 'command' parameter");
		return (-EINVAL);
	}
	if (get_ci(params, "apiKey") == NULL) {
		set_cause(cause, "cssign: no 'apiKey' parameter");
		return (-EINVAL);
	}
	if ((sv = get_ci(params, "signatureversion")) != NULL &&
	    json_is_string(sv) && strcmp(json_string_value(sv), "3") == 0) {
		if ((v = get_ci(params, "expires")) == NULL) {
			set_cause(cause, "cssign: signatureversion 3 needs an "
			    "'expires' parameter");
			return (-EINVAL);
		}
		if (!expires_ok(v)) {
			set_cause(cause, "cssign: 'expires' must read "
			    "yyyy-MM-ddTHH:mm:ss+hhmm, such as "
			    "2026-11-27T23:00:00+0000");
			return (-EINVAL);
		}
	}
	if ((names = calloc(json_object_size(params) + 1, sizeof(*names))) ==
	    NULL)
		goto nomem;
	json_object_foreach(params, k, v) {
		if (strcasecmp(k, "signature") == 0)
			continue;
		if (*k == '\0') {
			set_cause(cause, "cssign: empty parameter name");
			goto out;
		}
		for (p = k; *p != '\0'; p++)
			if (!isascii((unsigned char)*p) ||
			    !isprint((unsigned char)*p))
				break;
		if (*p != '\0') {
			set_cause(cause, "cssign: parameter name at byte %zu "
			    "is not printable ASCII", (size_t)(p - k) + 1);
			goto out;
		}
		names[n++] = k;
	}
	qsort(names, n, sizeof(*names), cmp_names);
	if ((s = malloc(1)) == NULL || (query_out != NULL &&
	    (q = malloc(1)) == NULL))
		goto nomem;
	for (i = 0; i < n; i++) {
		if ((error = value_text(names[i], json_object_get(params,
		    names[i]), &val, &vlen, cause)) != 0)
			goto out;
		error = -EINVAL;
		if (vlen > CSSIGN_MAX_VALUE) {
			set_cause(cause, "cssign: parameter '%s' is %zu bytes, "
			    "more than the limit of %u", names[i], vlen,
			    CSSIGN_MAX_VALUE);
			goto out;
		}
		if (cssign_encode(val, vlen, &enc) != 0)
			goto nomem;
		need = strlen(names[i]) + strlen(enc) + 2;
		if (slen + need > CSSIGN_MAX_STRING) {
			set_cause(cause, "cssign: the parameters make more "
			    "than %u bytes", CSSIGN_MAX_STRING);
			goto out;
		}
		if ((p = realloc(s, slen + need + 1)) == NULL)
			goto nomem;
		s = (char *)p;
		slen += (size_t)snprintf(s + slen, need + 1, "%s%s=%s",
		    i == 0 ? "" : "&", names[i], enc);
		if (query_out != NULL) {
			if (cssign_encode(names[i], strlen(names[i]),
			    &encname) != 0)
				goto nomem;
			need = strlen(encname) + strlen(enc) + 2;
			if ((p = realloc(q, qlen + need + 1)) == NULL)
				goto nomem;
			q = (char *)p;
			qlen += (size_t)snprintf(q + qlen, need + 1, "%s%s=%s",
			    i == 0 ? "" : "&", encname, enc);
			free(encname);
			encname = NULL;
		}
		free(val);
		free(enc);
		val = enc = NULL;
	}
	s[slen] = '\0';
	*unsigned_out = s;
	s = NULL;
	if (query_out != NULL) {
		q[qlen] = '\0';
		*query_out = q;
		q = NULL;
	}
	error = 0;
	goto out;
nomem:
	set_cause(cause, "cssign: out of memory");
	error = -ENOMEM;
out:
	free(names);
	free(s);
	free(q);
	free(val);
	free(enc);
	free(encname);
	return (error);
}

/* Lower-cases ASCII in place; everything else is already %-encoded. */
static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

int
cssign_string(json_t *params, char **out, char **cause)
{
	int	error;

	if (cause != NULL)
		*cause = NULL;
	if ((error = build(params, out, NULL, cause)) == 0)
		lower(*out);
	return (error);
}

int
cssign_signature(const char *str, const char *secret, char **out,
    char **cause)
{
	unsigned char	mac[EVP_MAX_MD_SIZE];
	unsigned int	maclen = 0;

	*out = NULL;
	if (cause != NULL)
		*cause = NULL;
	if (secret == NULL || *secret == '\0') {
		set_cause(cause, "cssign: the secret key is empty");
		return (-EINVAL);
	}
	if (HMAC(EVP_sha1(), secret, (int)strlen(secret),
	    (const unsigned char *)str, strlen(str), mac, &maclen) == NULL) {
		set_cause(cause, "cssign: HMAC-SHA1 failed");
		return (-EINVAL);
	}
	/* Base64 of 20 bytes is 28 characters. */
	if ((*out = malloc(4 * ((maclen + 2) / 3) + 1)) == NULL) {
		set_cause(cause, "cssign: out of memory");
		return (-ENOMEM);
	}
	EVP_EncodeBlock((unsigned char *)*out, mac, (int)maclen);
	OPENSSL_cleanse(mac, sizeof(mac));
	return (0);
}

int
cssign_query(json_t *params, const char *secret, char **query, char **cause)
{
	char	*str = NULL, *q = NULL, *sig = NULL, *esig = NULL;
	int	 error;

	*query = NULL;
	if (cause != NULL)
		*cause = NULL;
	if ((error = build(params, &str, &q, cause)) != 0)
		goto out;
	lower(str);
	if ((error = cssign_signature(str, secret, &sig, cause)) != 0)
		goto out;
	if ((error = cssign_encode(sig, strlen(sig), &esig)) != 0 ||
	    asprintf(query, "%s&signature=%s", q, esig) == -1) {
		*query = NULL;
		set_cause(cause, "cssign: out of memory");
		error = -ENOMEM;
	}
out:
	free(str);
	free(q);
	free(sig);
	free(esig);
	return (error);
}

int
cssign_expires(time_t t, char *buf, size_t size)
{
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%S+0000", &tm) == 0)
		return (-EINVAL);
	return (0);
}

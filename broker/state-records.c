/*
 * The engine's records in the state directory: their shape (see
 * broker/state-records.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "broker/state-records.h"
#include "common/xmalloc.h"

/* The fields of a record, and their JSON types. */
enum rec_type { RT_STRING, RT_INT, RT_BOOL, RT_OBJECT };
struct rec_field {
	const char	*key;
	enum rec_type	 type;
	int		 required;
};

static const struct rec_field boot_fields[] = {
	{ "name", RT_STRING, 1 },
	{ "job", RT_STRING, 1 },
	{ "started", RT_INT, 1 },
	{ "finished", RT_BOOL, 1 },
	{ "progress", RT_OBJECT, 1 },
	{ "result", RT_OBJECT, 0 },
	{ NULL, 0, 0 }
};

static const struct rec_field hostkey_fields[] = {
	{ "name", RT_STRING, 1 },
	{ "keys", RT_OBJECT, 1 },
	{ NULL, 0, 0 }
};

/* Every field known, of its type; every required one there. */
static int
rec_fields(json_t *o, const struct rec_field *f, const char *file,
    char **cause)
{
	const struct rec_field *r;
	const char *key, *what;
	json_t *v;
	int ok;

	json_object_foreach(o, key, v) {
		for (r = f; r->key != NULL; r++)
			if (strcmp(r->key, key) == 0)
				break;
		if (r->key == NULL) {
			*cause = xasprintf("%s: %s: unknown field", file, key);
			return -1;
		}
		switch (r->type) {
		case RT_STRING:
			ok = json_is_string(v);
			what = "a string";
			break;
		case RT_INT:
			ok = json_is_integer(v);
			what = "an integer";
			break;
		case RT_BOOL:
			ok = json_is_boolean(v);
			what = "true or false";
			break;
		default:
			ok = json_is_object(v);
			what = "an object";
			break;
		}
		if (!ok) {
			*cause = xasprintf("%s: %s: expected %s", file, key,
			    what);
			return -1;
		}
	}
	for (r = f; r->key != NULL; r++)
		if (r->required && json_object_get(o, r->key) == NULL) {
			*cause = xasprintf("%s: %s: missing", file, r->key);
			return -1;
		}
	return 0;
}

static int
boot_check(json_t *o, const char *file, char **cause)
{
	json_t *v = json_object_get(o, "job");

	if (json_string_length(v) == 0 || json_string_length(v) >
	    STATE_BOOT_JOB_MAX) {
		*cause = xasprintf("%s: job: 1 to %d characters", file,
		    STATE_BOOT_JOB_MAX);
		return -1;
	}
	if (json_integer_value(json_object_get(o, "started")) < 0) {
		*cause = xasprintf("%s: started: a negative time", file);
		return -1;
	}
	return 0;
}

/* "SHA256:" and base64 characters, as ssh-keygen -l prints. */
static int
hostkey_fp_valid(const char *fp)
{
	size_t i, n;

	if (fp == NULL || strncmp(fp, "SHA256:", 7) != 0)
		return 0;
	n = strlen(fp);
	if (n == 7 || n > STATE_HOSTKEY_FP_MAX - 1)
		return 0;
	for (i = 7; i < n; i++) {
		char c = fp[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/' ||
		    c == '='))
			return 0;
	}
	return 1;
}

/* "HOST:PORT": a host of address or name characters, a port 1-65535. */
static int
hostkey_addr_valid(const char *a)
{
	const char *colon;
	size_t i, hlen;
	long port = 0;

	if (strlen(a) > STATE_HOSTKEY_ADDR_MAX ||
	    (colon = strrchr(a, ':')) == NULL)
		return 0;
	hlen = (size_t)(colon - a);
	if (hlen == 0 || colon[1] == '\0' || colon[1] == '0' ||
	    strlen(colon + 1) > 5)
		return 0;
	for (i = 1; colon[i] != '\0'; i++) {
		if (colon[i] < '0' || colon[i] > '9')
			return 0;
		port = port * 10 + (colon[i] - '0');
	}
	if (port > 65535)
		return 0;
	for (i = 0; i < hlen; i++) {
		char c = a[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		    c == '_' || c == ':' || c == '%' || c == '[' || c == ']'))
			return 0;
	}
	return 1;
}

static int
hostkey_check(json_t *o, const char *file, char **cause)
{
	json_t *keys = json_object_get(o, "keys"), *v;
	const char *addr;

	if (json_object_size(keys) > STATE_HOSTKEYS_MAX) {
		*cause = xasprintf("%s: keys: %zu, more than the %d an "
		    "appliance may have", file, json_object_size(keys),
		    STATE_HOSTKEYS_MAX);
		return -1;
	}
	json_object_foreach(keys, addr, v) {
		if (!hostkey_addr_valid(addr)) {
			*cause = xasprintf("%s: keys: \"%.64s\": not HOST:PORT",
			    file, addr);
			return -1;
		}
		if (!hostkey_fp_valid(json_string_value(v))) {
			*cause = xasprintf("%s: keys.%s: expected a SHA256:... "
			    "fingerprint", file, addr);
			return -1;
		}
	}
	return 0;
}

json_t *
state_record_check(const char *kind, const char *name, const char *buf,
    size_t len, const char *file, char **cause)
{
	const struct rec_field *fields;
	json_error_t jerr;
	const char *what, *inside;
	json_t *o;
	int boot;

	boot = strcmp(kind, "bootstrap") == 0;
	if (!boot && strcmp(kind, "hostkey") != 0) {
		*cause = xasprintf("%s: no record kind \"%s\"", file, kind);
		return NULL;
	}
	fields = boot ? boot_fields : hostkey_fields;
	what = boot ? "a bootstrap record" : "a host key record";
	if ((o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		*cause = xasprintf("%s:%d:%d: error: %s", file, jerr.line,
		    jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(o)) {
		*cause = xasprintf("%s:1:1: error: %s is a JSON object", file,
		    what);
		goto bad;
	}
	if (rec_fields(o, fields, file, cause) != 0)
		goto bad;
	inside = json_string_value(json_object_get(o, "name"));
	if (strcmp(inside, name) != 0) {
		*cause = xasprintf("%s: name: \"%s\" does not match the "
		    "file's name \"%s\"", file, inside, name);
		goto bad;
	}
	if ((boot ? boot_check : hostkey_check)(o, file, cause) != 0)
		goto bad;
	return o;
bad:
	json_decref(o);
	return NULL;
}

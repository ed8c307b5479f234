/*
 * Fuzz target: the template compiler and renderer.  The first byte picks
 * the output context; the rest is a template, optionally followed by a
 * NUL and a JSON environment (a fixed one is used otherwise).  Every
 * input must end in a template or an error, render within the limits,
 * and leak nothing.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "provider/template.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *fixed_env = "{\"get_data\": {\"action\": \"pass\","
    " \"n\": 3, \"l\": [1, \"a\\nb\", {\"k\": null}, [true]],"
    " \"s\": \"x\\\"y\\\\z\\u0000\\r\"}, \"get_cs_data\": {\"user\":"
    " \"admin\", \"url\": \"https://h/x\"}, \"mgmt_ip\": \"fd00::1\"}";

static void
var_cb(const char *root, const char *field, int index, int line,
    int column, void *arg)
{
	if (root == NULL || line < 1 || column < 1 || index < -1)
		__builtin_trap();
	(void)field;
	(void)arg;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tpl_error	 err;
	struct tpl		*t = NULL;
	json_t			*env = NULL;
	const char		*src, *nul;
	char			*out = NULL;
	size_t			 len, outlen;
	enum tpl_ctx		 ctx;

	if (size < 1)
		return 0;
	ctx = (enum tpl_ctx)(data[0] % (TPL_CTX_CLI + 1));
	src = (const char *)data + 1;
	len = size - 1;
	if ((nul = memchr(src, '\0', len)) != NULL) {
		env = json_loadb(nul + 1, len - (size_t)(nul - src) - 1,
		    JSON_ALLOW_NUL, NULL);
		len = (size_t)(nul - src);
	}
	if (env == NULL || !json_is_object(env)) {
		json_decref(env);
		env = json_loads(fixed_env, JSON_ALLOW_NUL, NULL);
	}
	memset(&err, 0, sizeof(err));
	if (tpl_compile(src, len, &t, &err) != 0) {
		if (t != NULL || err.msg[0] == '\0')
			__builtin_trap();
		goto out;
	}
	tpl_vars(t, var_cb, NULL);
	memset(&err, 0, sizeof(err));
	if (tpl_render(t, ctx, env, &out, &outlen, &err) == 0) {
		if (out == NULL || strlen(out) > outlen ||
		    outlen > TPL_MAX_OUTPUT)
			__builtin_trap();
	} else if (out != NULL || err.msg[0] == '\0')
		__builtin_trap();
out:
	free(out);
	tpl_free(t);
	json_decref(env);
	return 0;
}

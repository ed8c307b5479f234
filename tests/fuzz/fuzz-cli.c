/*
 * Fuzz target: CLI output transforms (provider/cli.c).
 *
 * The input is a flags byte, a pattern, a NUL byte, then the output text;
 * without a NUL byte it is all pattern, run against a fixed IOS output.
 * The pattern runs through cli_match, cli_records and cli_check (as an
 * error pattern); the text also goes through cli_clean.  Beyond not
 * crashing or leaking: a failure comes with a message, every record is an
 * object with one member per group name, cli_clean never grows its input
 * nor leaves ESC, CR or other controls but TAB and LF, and a verdict's
 * line is free of line breaks.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "provider/cli.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_text[] =
    "Interface              IP-Address      OK? Method Status   Protocol\r\n"
    "GigabitEthernet1       10.0.0.1        YES NVRAM  up       up\r\n"
    "GigabitEthernet2       unassigned      YES NVRAM  down     down\r\n"
    "\x1b[1m% Invalid input detected at '^' marker.\x1b[0m\r\n"
    "R1#";

static void
check_clean(const char *text, size_t len)
{
	char	*out;
	size_t	 n, i;

	if (cli_clean(text, len, len & 1 ? CLI_CLEAN_TRIM : 0, &out, &n) !=
	    0)
		return;
	if (n > len || strlen(out) != n)
		__builtin_trap();
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)out[i];

		if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
			__builtin_trap();
	}
	free(out);
}

static void
check_fields(const struct cli_pattern *p, json_t *obj)
{
	if (!json_is_object(obj) ||
	    json_object_size(obj) != cli_pattern_nnames(p))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cli_limits	 lim = { .max_records = 1000,
				    .match_limit = 100000,
				    .depth_limit = 1000,
				    .heap_limit_kib = 1024,
				    .max_attempts = 100000 };
	struct cli_pattern	*p = NULL;
	const struct cli_pattern *errs[1];
	struct cli_verdict	 v;
	json_t			*j = NULL;
	const char		*pat, *text, *nul;
	char			*cause = NULL;
	size_t			 plen, tlen, i;
	unsigned int		 flags;
	int			 rc;

	if (size < 1)
		return 0;
	flags = data[0] & (CLI_CASELESS | CLI_DOTALL | CLI_EXTENDED);
	pat = (const char *)data + 1;
	size--;
	nul = memchr(pat, '\0', size);
	if (nul != NULL) {
		plen = (size_t)(nul - pat);
		text = nul + 1;
		tlen = size - plen - 1;
	} else {
		plen = size;
		text = fuzz_text;
		tlen = sizeof(fuzz_text) - 1;
	}
	check_clean(text, tlen);

	rc = cli_compilen(pat, plen, flags, &p, &cause);
	if ((rc == 0) != (p != NULL) || (rc != 0 && cause == NULL))
		__builtin_trap();
	if (rc != 0)
		goto out;

	rc = cli_match(p, text, tlen, &lim, &j, &cause);
	if ((rc == 0) != (j != NULL) || (rc != 0 && cause == NULL))
		__builtin_trap();
	if (rc == 0)
		check_fields(p, j);
	json_decref(j);
	j = NULL;
	free(cause);
	cause = NULL;

	rc = cli_records(p, text, tlen, &lim, &j, &cause);
	if ((rc == 0) != (j != NULL) || (rc != 0 && cause == NULL))
		__builtin_trap();
	for (i = 0; rc == 0 && i < json_array_size(j); i++)
		check_fields(p, json_array_get(j, i));
	json_decref(j);
	j = NULL;
	free(cause);
	cause = NULL;

	errs[0] = p;
	rc = cli_check(NULL, errs, 1, text, tlen, &lim, &v, &cause);
	if (rc == 0) {
		if (v.ok != (v.error_index == -1))
			__builtin_trap();
		if (v.line != NULL && (strchr(v.line, '\n') != NULL ||
		    strchr(v.line, '\r') != NULL ||
		    strlen(v.line) > CLI_MAX_LINE))
			__builtin_trap();
		cli_verdict_clear(&v);
	} else if (cause == NULL)
		__builtin_trap();
out:
	free(cause);
	cli_pattern_free(p);
	return 0;
}

/*
 * Fuzz target: the SSH executor's pure functions on terminal output
 * (provider/sshx.c): sshx_clean, sshx_prompt_learn, sshx_prompt_match
 * and sshx_cli_output.
 *
 * The input is raw device output; its first byte picks the flags and
 * where a command line is cut from the input.  Beyond not crashing or
 * leaking: sshx_clean never grows its input nor leaves ESC, CR or other
 * controls but TAB and LF; a learned prompt pattern always compiles (the
 * escaping is right) and matches the line it was learned from when that
 * line ends the output; sshx_cli_output is never longer than its input.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "provider/sshx.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sshx_pattern *dflt;

static void
check_clean(const char *text, size_t len, unsigned int flags)
{
	char	*out;
	size_t	 n, i;

	if (sshx_clean(text, len, flags, &out, &n) != 0)
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
check_learn(const char *text, size_t len)
{
	struct sshx_pattern	*p;
	char			*src, *cause = NULL, *line = NULL, *clean;
	size_t			 n;

	if (sshx_prompt_learn(text, len, &src) != 0)
		return;
	if (sshx_pattern_compile(src, 0, &p, &cause) != 0)
		__builtin_trap();
	/* Output whose last line is a clean prompt-like line: it matches. */
	if (sshx_clean(text, len, SSHX_CLEAN_TRIM, &clean, &n) == 0) {
		if (n > 0 && memchr(clean, '\n', n) == NULL &&
		    n == strlen(clean) && n < 1024 &&
		    memchr(text, '\x1b', len) == NULL &&
		    memchr(text, '\r', len) == NULL &&
		    memchr(text, '\b', len) == NULL &&
		    clean[0] != ' ' && clean[0] != '\t' &&
		    clean[n - 1] != ' ' && clean[n - 1] != '\t' &&
		    sshx_prompt_match(p, clean, n, &line) == 0)
			__builtin_trap();
		free(clean);
	}
	free(line);
	sshx_pattern_free(p);
	free(src);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*text;
	char		*line, *out, *pl = NULL;
	size_t		 len, cut, n;

	if (size < 1)
		return 0;
	if (dflt == NULL && sshx_pattern_compile(SSHX_DEFAULT_PROMPT, 0,
	    &dflt, NULL) != 0)
		__builtin_trap();
	text = (const char *)data + 1;
	len = size - 1;

	check_clean(text, len, data[0] & SSHX_CLEAN_TRIM);
	check_learn(text, len);

	if (sshx_prompt_match(dflt, text, len, &pl) == 1 &&
	    (pl == NULL || strchr(pl, '\n') != NULL))
		__builtin_trap();
	free(pl);

	cut = len ? data[0] % (len + 1) : 0;
	if ((line = malloc(cut + 1)) == NULL)
		return 0;
	memcpy(line, text, cut);
	line[cut] = '\0';
	if (sshx_cli_output(text, len, line, &out, &n) == 0) {
		if (n > len || strlen(out) != n)
			__builtin_trap();
		free(out);
	}
	free(line);
	return 0;
}

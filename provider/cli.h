/*
 * CLI output transforms (`response.format: cli`) with PCRE2.
 *
 * A pattern is compiled once with cli_compile() and may then be used on any
 * number of outputs, from any number of threads at once: the compiled
 * pattern is never modified by a match.
 *
 *	struct cli_pattern	*p;
 *	json_t			*rows;
 *	char			*cause;
 *
 *	if (cli_compile("^(?<intf>\\S+)\\s+(?<ip>[0-9.]+|unassigned)\\s",
 *	    0, &p, &cause) != 0)
 *		... cause is "cli: pattern at 7: ..."
 *	if (cli_records(p, out, outlen, NULL, &rows, &cause) == 0)
 *		... rows is [{"intf": "GigabitEthernet1", "ip": "10.0.0.1"}, ...]
 *	cli_pattern_free(p);
 *
 * Patterns are UTF-8 and multi-line (^ and $ match at every line; a line
 * ends with LF, CR or CR LF).  Output is searched as UTF-8, each byte that
 * is not part of valid UTF-8 reading as '?', so every captured value is
 * valid UTF-8 and offsets are those of the original text.  \C is refused.  Each named group becomes one field; a
 * group that did not take part in the match gives null.  Values are
 * strings: the service's data schema converts them where it needs to.
 *
 * Every function returns 0 or a negative code:
 *	-EINVAL	the pattern or the options are invalid (cli_compile);
 *	-ENOENT	no match (cli_match only);
 *	-E2BIG	the input, the result or the work reached a limit below;
 *	-ENOMEM	out of memory.
 * A function that takes char **cause stores there, on failure, a message
 * for the user (starting "cli: "), which the caller frees with free();
 * cause may be NULL.  On allocation failure *cause may be left NULL.
 */
#ifndef VB_PROVIDER_CLI_H
#define VB_PROVIDER_CLI_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* Bytes in a pattern. */
#define CLI_MAX_PATTERN		4096
/* Default cap on the bytes of output one call will search. */
#define CLI_MAX_INPUT		(16u * 1024 * 1024)
/* Default cap on the records of cli_records(). */
#define CLI_MAX_RECORDS		100000
/* Default cap on the bytes of captured text in one result. */
#define CLI_MAX_OUTPUT		(16u * 1024 * 1024)
/* Default PCRE2 limits for one match attempt (see pcre2api(3)). */
#define CLI_MATCH_LIMIT		1000000u
#define CLI_DEPTH_LIMIT		10000u
#define CLI_HEAP_LIMIT_KIB	(20u * 1024)
/* Default cap on the match attempts of one call: a guard for patterns
 * that match empty strings over long output. */
#define CLI_MAX_ATTEMPTS	(4u * 1024 * 1024)
/* Default cap on the matching steps (pattern items tried) of one call,
 * over all its start positions and attempts. */
#define CLI_MAX_STEPS		20000000u
/* Lines of context before an error line (struct cli_verdict). */
#define CLI_CONTEXT_LINES	2
/* Bytes kept of any one line reported in a verdict. */
#define CLI_MAX_LINE		1024

/* cli_compile() flags. */
#define CLI_CASELESS		0x01	/* (?i) for the whole pattern */
#define CLI_DOTALL		0x02	/* . matches a newline too */
#define CLI_EXTENDED		0x04	/* (?x): whitespace and # comments */

struct cli_pattern;

/* Per-call limits; a zero field means the default above. */
struct cli_limits {
	size_t		max_input;
	size_t		max_records;
	size_t		max_output;
	uint32_t	match_limit;
	uint32_t	depth_limit;
	uint32_t	heap_limit_kib;
	size_t		max_attempts;
	size_t		max_steps;
};

/*
 * Compile a NUL-terminated pattern.  On success *out is a new pattern the
 * caller frees with cli_pattern_free(); on failure *out is NULL and the
 * cause reads "cli: pattern at N: <PCRE2's message>", N counting
 * characters from 1.
 */
int	cli_compile(const char *pattern, unsigned int flags,
	    struct cli_pattern **out, char **cause);
/* The same for a pattern of len bytes (a NUL byte in it is invalid). */
int	cli_compilen(const char *pattern, size_t len, unsigned int flags,
	    struct cli_pattern **out, char **cause);
void	cli_pattern_free(struct cli_pattern *p);
/* The text the pattern was compiled from; owned by p. */
const char *cli_pattern_source(const struct cli_pattern *p);
/* The number of distinct group names in p. */
size_t	cli_pattern_nnames(const struct cli_pattern *p);

/*
 * The first match in text: *fields is a new JSON object with one member
 * per named group, in the order the names first appear in the pattern.
 * -ENOENT (with a cause) when nothing matches.  limits may be NULL.
 */
int	cli_match(const struct cli_pattern *p, const char *text, size_t len,
	    const struct cli_limits *limits, json_t **fields, char **cause);

/*
 * Table mode: every non-overlapping match over the whole text, each as an
 * object as for cli_match(), in *records, a new JSON array (empty when
 * nothing matches).  A match of the empty string yields no record.
 */
int	cli_records(const struct cli_pattern *p, const char *text, size_t len,
	    const struct cli_limits *limits, json_t **records, char **cause);

/*
 * The outcome of cli_check().  line and context are the vendor's own
 * words, without the line end, each cut to CLI_MAX_LINE bytes.
 */
struct cli_verdict {
	int	 ok;		/* 1: success; 0: failure */
	int	 error_index;	/* the error pattern that matched, or -1 */
	size_t	 line_no;	/* its line, from 1; 0 if none */
	char	*line;		/* that whole line, or NULL */
	char	*context;	/* up to CLI_CONTEXT_LINES lines before it,
				 * joined by "\n", or NULL */
	char	*reason;	/* one sentence for the operation result */
};

/*
 * Judge an output: it fails if any of the nerrors error patterns matches
 * (the first pattern in the list that matches anywhere wins; the verdict
 * names it and the line holding the start of its first match), and
 * otherwise fails if success is not NULL and does not match.  Error
 * patterns are checked first, so output that shows both an error and the
 * success text is a failure.  Returns 0 whenever a verdict was reached,
 * either way; a negative code only when matching itself failed (limits,
 * memory).  Release the verdict with cli_verdict_clear().
 */
int	cli_check(const struct cli_pattern *success,
	    const struct cli_pattern *const *errors, size_t nerrors,
	    const char *text, size_t len, const struct cli_limits *limits,
	    struct cli_verdict *v, char **cause);
void	cli_verdict_clear(struct cli_verdict *v);

/* cli_clean() flags. */
#define CLI_CLEAN_TRIM		0x01	/* drop blanks at the end of lines */

/*
 * Raw terminal output to plain lines: ANSI escape sequences (CSI, OSC,
 * DCS and two-byte ESC sequences) are removed; carriage return, backspace
 * and the cursor movements pagers use to erase "--More--" (CSI n D, C, G,
 * K) are applied to a line buffer as a terminal would, so text that was
 * overwritten is gone; CR LF and lone CR at the end of input become LF;
 * other control characters except TAB are dropped.  The result is never
 * longer than the input.  *out is a new NUL-terminated string the caller
 * frees; *outlen (if not NULL) its length.
 */
int	cli_clean(const char *in, size_t len, unsigned int flags, char **out,
	    size_t *outlen);

#endif

/*
 * Unit tests for provider/cli.c: named groups to fields, tables, success
 * and error patterns, terminal cleaning, on outputs as devices print them
 * (IOS, nft, RouterOS), and the limits that keep hostile patterns bounded.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "provider/cli.h"

static const char ios_brief[] =
    "Interface              IP-Address      OK? Method Status                Protocol\r\n"
    "GigabitEthernet1       10.0.0.1        YES NVRAM  up                    up      \r\n"
    "GigabitEthernet2       unassigned      YES NVRAM  administratively down down    \r\n"
    "GigabitEthernet3       192.168.10.1    YES manual up                    up      \r\n"
    "Loopback0              1.1.1.1         YES manual up                    up      \r\n"
    "R1#";

static const char ios_bgp[] =
    "BGP router identifier 10.0.0.1, local AS number 65001\n"
    "BGP table version is 7, main routing table version 7\n"
    "6 network entries using 1488 bytes of memory\n"
    "6 path entries using 816 bytes of memory\n"
    "\n"
    "Neighbor        V           AS MsgRcvd MsgSent   TblVer  InQ OutQ Up/Down  State/PfxRcd\n"
    "10.0.0.2        4        65002      45      47        7    0    0 00:38:12        3\n"
    "10.0.0.3        4        65003       0       0        1    0    0 never    Idle\n"
    "192.168.1.2     4        65004      12      11        7    0    0 00:05:01 Active\n";

static const char nft_chain[] =
    "table inet filter {\n"
    "\tchain input { # handle 1\n"
    "\t\ttype filter hook input priority filter; policy accept;\n"
    "\t\ttcp dport 22 accept comment \"ssh\" # handle 4\n"
    "\t\tip saddr 198.18.0.0/15 drop # handle 5\n"
    "\t\tiifname \"lo\" accept # handle 6\n"
    "\t}\n"
    "}\n";

/* RouterOS 7 in a terminal: colours, CR LF, and a prompt at the end. */
static const char ros_raw[] =
    "\x1b[m\x1b[36mFlags: \x1b[mD - DYNAMIC\r\n"
    "\x1b[m\x1b[32mColumns: \x1b[mADDRESS, NETWORK, INTERFACE\r\n"
    "\x1b[m\x1b[1m#   ADDRESS          NETWORK       INTERFACE\x1b[m\r\n"
    "0   192.168.88.1/24  192.168.88.0  bridge   \r\n"
    "1 D 10.0.2.15/24     10.0.2.0      ether1   \r\n"
    "\x1b[m[admin@MikroTik] > ";

static const char ios_invalid[] =
    "R1#configure terminal\r\n"
    "Enter configuration commands, one per line.  End with CNTL/Z.\r\n"
    "R1(config)#interface GigabitEthernet9\r\n"
    "                          ^\r\n"
    "% Invalid input detected at '^' marker.\r\n"
    "\r\n"
    "R1(config)#";

static struct cli_pattern *
compile(const char *pat)
{
	struct cli_pattern	*p;
	char			*cause = NULL;
	int			 rc;

	rc = cli_compile(pat, 0, &p, &cause);
	if (rc != 0)
		fprintf(stderr, "%s\n", cause);
	assert_int_equal(rc, 0);
	assert_null(cause);
	return (p);
}

static char *
dump(json_t *j)
{
	char	*s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);

	assert_non_null(s);
	json_decref(j);
	return (s);
}

static void
expect_records(const char *pat, const char *text, size_t len,
    const char *want)
{
	struct cli_pattern	*p = compile(pat);
	json_t			*r;
	char			*cause = NULL, *s;

	assert_int_equal(cli_records(p, text, len, NULL, &r, &cause), 0);
	s = dump(r);
	assert_string_equal(s, want);
	free(s);
	cli_pattern_free(p);
}

static void
expect_compile_error(const char *pat, const char *want)
{
	struct cli_pattern	*p = (struct cli_pattern *)1;
	char			*cause = NULL;

	assert_int_equal(cli_compile(pat, 0, &p, &cause), -EINVAL);
	assert_null(p);
	assert_non_null(cause);
	assert_string_equal(cause, want);
	free(cause);
}

static void
test_ios_interface_brief(void **state)
{
	expect_records("^(?<interface>\\S+)\\s+"
	    "(?<ip>\\d+\\.\\d+\\.\\d+\\.\\d+|unassigned)\\s+(?<ok>YES|NO)\\s+"
	    "(?<method>\\S+)\\s+(?<status>up|down|administratively down)\\s+"
	    "(?<protocol>up|down)\\s*$", ios_brief, sizeof(ios_brief) - 1,
	    "[{\"interface\":\"GigabitEthernet1\",\"ip\":\"10.0.0.1\","
	    "\"ok\":\"YES\",\"method\":\"NVRAM\",\"status\":\"up\","
	    "\"protocol\":\"up\"},"
	    "{\"interface\":\"GigabitEthernet2\",\"ip\":\"unassigned\","
	    "\"ok\":\"YES\",\"method\":\"NVRAM\",\"status\":"
	    "\"administratively down\",\"protocol\":\"down\"},"
	    "{\"interface\":\"GigabitEthernet3\",\"ip\":\"192.168.10.1\","
	    "\"ok\":\"YES\",\"method\":\"manual\",\"status\":\"up\","
	    "\"protocol\":\"up\"},"
	    "{\"interface\":\"Loopback0\",\"ip\":\"1.1.1.1\",\"ok\":\"YES\","
	    "\"method\":\"manual\",\"status\":\"up\",\"protocol\":\"up\"}]");
}

static void
test_ios_bgp_summary(void **state)
{
	struct cli_pattern	*p;
	json_t			*f;
	char			*cause = NULL, *s;

	p = compile("BGP router identifier (?<router_id>[\\d.]+), "
	    "local AS number (?<local_as>\\d+)");
	assert_int_equal(cli_match(p, ios_bgp, strlen(ios_bgp), NULL, &f,
	    &cause), 0);
	s = dump(f);
	assert_string_equal(s,
	    "{\"router_id\":\"10.0.0.1\",\"local_as\":\"65001\"}");
	free(s);
	cli_pattern_free(p);

	expect_records("^(?<neighbor>\\d+\\.\\d+\\.\\d+\\.\\d+)\\s+4\\s+"
	    "(?<as>\\d+)(?:\\s+\\d+){5}\\s+(?<up_down>\\S+)\\s+"
	    "(?:(?<prefixes>\\d+)|(?<state>[A-Za-z]+))$",
	    ios_bgp, strlen(ios_bgp),
	    "[{\"neighbor\":\"10.0.0.2\",\"as\":\"65002\",\"up_down\":"
	    "\"00:38:12\",\"prefixes\":\"3\",\"state\":null},"
	    "{\"neighbor\":\"10.0.0.3\",\"as\":\"65003\",\"up_down\":\"never\","
	    "\"prefixes\":null,\"state\":\"Idle\"},"
	    "{\"neighbor\":\"192.168.1.2\",\"as\":\"65004\",\"up_down\":"
	    "\"00:05:01\",\"prefixes\":null,\"state\":\"Active\"}]");
}

static void
test_nft_handles(void **state)
{
	expect_records("^\\t\\t(?<rule>(?!type ).+?) # handle (?<handle>\\d+)$",
	    nft_chain, strlen(nft_chain),
	    "[{\"rule\":\"tcp dport 22 accept comment \\\"ssh\\\"\","
	    "\"handle\":\"4\"},"
	    "{\"rule\":\"ip saddr 198.18.0.0/15 drop\",\"handle\":\"5\"},"
	    "{\"rule\":\"iifname \\\"lo\\\" accept\",\"handle\":\"6\"}]");
}

static void
test_routeros_cleaned(void **state)
{
	char	*clean;
	size_t	 n;

	assert_int_equal(cli_clean(ros_raw, strlen(ros_raw), CLI_CLEAN_TRIM,
	    &clean, &n), 0);
	assert_int_equal(n, strlen(clean));
	assert_string_equal(clean,
	    "Flags: D - DYNAMIC\n"
	    "Columns: ADDRESS, NETWORK, INTERFACE\n"
	    "#   ADDRESS          NETWORK       INTERFACE\n"
	    "0   192.168.88.1/24  192.168.88.0  bridge\n"
	    "1 D 10.0.2.15/24     10.0.2.0      ether1\n"
	    "[admin@MikroTik] >");
	expect_records("^(?<id>\\d+)\\s+(?:(?<flags>[XID]+)\\s+)?"
	    "(?<address>[\\d.]+/\\d+)\\s+(?<network>[\\d.]+)\\s+"
	    "(?<interface>\\S+)$", clean, n,
	    "[{\"id\":\"0\",\"flags\":null,\"address\":\"192.168.88.1/24\","
	    "\"network\":\"192.168.88.0\",\"interface\":\"bridge\"},"
	    "{\"id\":\"1\",\"flags\":\"D\",\"address\":\"10.0.2.15/24\","
	    "\"network\":\"10.0.2.0\",\"interface\":\"ether1\"}]");
	free(clean);
}

static void
test_check_ios_error(void **state)
{
	struct cli_pattern	*ok, *e1, *e2;
	const struct cli_pattern *errs[2];
	struct cli_verdict	 v;
	char			*cause = NULL;

	ok = compile("^R1\\(config\\)#$");
	e1 = compile("^% (?:Unknown|Ambiguous) command");
	e2 = compile("^% (?:Invalid|Incomplete) (?:input|command)");
	errs[0] = e1;
	errs[1] = e2;
	assert_int_equal(cli_check(ok, errs, 2, ios_invalid,
	    strlen(ios_invalid), NULL, &v, &cause), 0);
	assert_int_equal(v.ok, 0);
	assert_int_equal(v.error_index, 1);
	assert_int_equal(v.line_no, 5);
	assert_string_equal(v.line, "% Invalid input detected at '^' marker.");
	assert_string_equal(v.context, "R1(config)#interface GigabitEthernet9\n"
	    "                          ^");
	assert_string_equal(v.reason, "error pattern 2 /^% (?:Invalid|"
	    "Incomplete) (?:input|command)/ matched line 5: % Invalid input "
	    "detected at '^' marker.");
	cli_verdict_clear(&v);
	assert_null(v.line);

	/* The same prompt without the error: success. */
	assert_int_equal(cli_check(ok, errs, 2, "R1(config)#\r\n", 13, NULL,
	    &v, &cause), 0);
	assert_int_equal(v.ok, 1);
	assert_int_equal(v.error_index, -1);
	assert_null(v.reason);
	cli_verdict_clear(&v);

	/* No error, no success text. */
	assert_int_equal(cli_check(ok, errs, 2, "R1#", 3, NULL, &v, &cause),
	    0);
	assert_int_equal(v.ok, 0);
	assert_int_equal(v.error_index, -1);
	assert_string_equal(v.reason, "success pattern /^R1\\(config\\)#$/ "
	    "not found in the output");
	cli_verdict_clear(&v);

	/* Neither given: anything is success. */
	assert_int_equal(cli_check(NULL, NULL, 0, "x", 1, NULL, &v, &cause),
	    0);
	assert_int_equal(v.ok, 1);
	cli_verdict_clear(&v);
	cli_pattern_free(ok);
	cli_pattern_free(e1);
	cli_pattern_free(e2);
}

static void
test_check_line_is_safe(void **state)
{
	static const char	 text[] = "first\nbad \x01\xff stuff\r\n";
	struct cli_pattern	*e = compile("bad");
	const struct cli_pattern *errs[1] = { e };
	struct cli_verdict	 v;

	assert_int_equal(cli_check(NULL, errs, 1, text, sizeof(text) - 1,
	    NULL, &v, NULL), 0);
	assert_int_equal(v.line_no, 2);
	assert_string_equal(v.line, "bad ?? stuff");
	assert_string_equal(v.context, "first");
	cli_verdict_clear(&v);
	cli_pattern_free(e);
}

static void
test_compile_errors(void **state)
{
	expect_compile_error("(?<a>x", "cli: pattern at 7: missing closing "
	    "parenthesis");
	expect_compile_error("é[", "cli: pattern at 3: missing terminating ] "
	    "for character class");
	expect_compile_error("a\\C", "cli: pattern at 4: using \\C is "
	    "disabled by the application");
	expect_compile_error("\xff", "cli: pattern at 1: UTF-8 error: "
	    "illegal byte (0xfe or 0xff)");
}

static void
test_compile_limits(void **state)
{
	struct cli_pattern	*p;
	char			*big, *cause = NULL;

	big = malloc(CLI_MAX_PATTERN + 2);
	assert_non_null(big);
	memset(big, 'a', CLI_MAX_PATTERN + 1);
	big[CLI_MAX_PATTERN + 1] = '\0';
	assert_int_equal(cli_compile(big, 0, &p, &cause), -EINVAL);
	assert_non_null(strstr(cause, "more than the limit of 4096"));
	free(cause);
	free(big);
	assert_int_equal(cli_compilen("a\0b", 3, 0, &p, &cause), -EINVAL);
	assert_string_equal(cause, "cli: pattern at 2: NUL byte in the "
	    "pattern");
	free(cause);
	assert_int_equal(cli_compile("a", 0x100, &p, &cause), -EINVAL);
	free(cause);
}

static void
test_flags_and_names(void **state)
{
	struct cli_pattern	*p;
	json_t			*f;
	char			*s;

	assert_int_equal(cli_compile("state:\\s+(?<s>UP)", CLI_CASELESS, &p,
	    NULL), 0);
	assert_int_equal(cli_match(p, "State: up", 9, NULL, &f, NULL), 0);
	s = dump(f);
	assert_string_equal(s, "{\"s\":\"up\"}");
	free(s);
	cli_pattern_free(p);

	/* Duplicate names: the group that matched gives the value. */
	p = compile("(?J)(?:mtu (?<mtu>\\d+)|MTU is (?<mtu>\\d+) bytes)");
	assert_int_equal(cli_pattern_nnames(p), 1);
	assert_string_equal(cli_pattern_source(p),
	    "(?J)(?:mtu (?<mtu>\\d+)|MTU is (?<mtu>\\d+) bytes)");
	assert_int_equal(cli_match(p, "  MTU is 1500 bytes", 19, NULL, &f,
	    NULL), 0);
	s = dump(f);
	assert_string_equal(s, "{\"mtu\":\"1500\"}");
	free(s);
	cli_pattern_free(p);

	/* No named groups: an empty object, the match is enough. */
	p = compile("^R1#");
	assert_int_equal(cli_match(p, "x\nR1#", 5, NULL, &f, NULL), 0);
	s = dump(f);
	assert_string_equal(s, "{}");
	free(s);
	assert_int_equal(cli_match(p, "R2#", 3, NULL, &f, &s), -ENOENT);
	assert_null(f);
	assert_string_equal(s, "cli: pattern /^R1#/ does not match the "
	    "output");
	free(s);
	cli_pattern_free(p);
}

static void
test_records_empty_and_utf8(void **state)
{
	/* Empty matches make no record and do not stall. */
	expect_records("(?<x>a)?", "bab", 3,
	    "[{\"x\":\"a\"}]");
	expect_records("^", "a\nb\n", 4, "[]");
	/* Invalid bytes never match; text around them does. */
	expect_records("(?<w>\\w+)", "\xff\xfe" "abc\xc3(\xe2\x82\xac" "d", 11,
	    "[{\"w\":\"abc\"},{\"w\":\"d\"}]");
	expect_records("(?<c>.)", "\xc3\xa9\xe2\x82\xac", 5,
	    "[{\"c\":\"\xc3\xa9\"},{\"c\":\"\xe2\x82\xac\"}]");
	/* CR LF is one line end for $. */
	expect_records("(?<l>\\w+)$", "a b\r\nc d\r\n", 10,
	    "[{\"l\":\"b\"},{\"l\":\"d\"}]");
}

static void
test_limits(void **state)
{
	struct cli_limits	 lim;
	struct cli_pattern	*p;
	json_t			*r;
	char			*cause = NULL, *text;
	size_t			 i;

	/* Catastrophic backtracking stops at the match limit. */
	p = compile("^(?<a>(a+)+)$");
	text = malloc(64);
	assert_non_null(text);
	for (i = 0; i < 40; i++)
		text[i] = 'a';
	text[40] = 'b';
	assert_int_equal(cli_records(p, text, 41, NULL, &r, &cause), -E2BIG);
	assert_null(r);
	assert_non_null(strstr(cause, "match limit exceeded"));
	free(cause);
	free(text);
	cli_pattern_free(p);

	/* Backtracking just under the match limit at every start position
	 * of a long output stops at the step budget of the whole call. */
	p = compile("(?<x>(a|aa)+$)");
	text = malloc(26 * 20000);
	assert_non_null(text);
	for (i = 0; i < 26 * 20000; i++)
		text[i] = i % 26 == 25 ? '\n' : i % 26 == 24 ? 'x' : 'a';
	assert_int_equal(cli_records(p, text, 26 * 20000, NULL, &r, &cause),
	    -E2BIG);
	assert_non_null(strstr(cause, "gave up after 20000000 steps"));
	free(cause);
	free(text);
	cli_pattern_free(p);

	/* Too many records. */
	memset(&lim, 0, sizeof(lim));
	lim.max_records = 2;
	p = compile("(?<d>\\d)");
	assert_int_equal(cli_records(p, "1 2 3", 5, &lim, &r, &cause), -E2BIG);
	assert_string_equal(cause, "cli: pattern /(?<d>\\d)/ matched more "
	    "than 2 records");
	free(cause);
	/* Too much input. */
	lim.max_records = 0;
	lim.max_input = 4;
	assert_int_equal(cli_records(p, "1 2 3", 5, &lim, &r, &cause), -E2BIG);
	assert_string_equal(cause, "cli: output is 5 bytes, more than the "
	    "limit of 4");
	free(cause);
	/* Too much captured text. */
	lim.max_input = 0;
	lim.max_output = 2;
	assert_int_equal(cli_records(p, "1 2 3", 5, &lim, &r, &cause), -E2BIG);
	assert_non_null(strstr(cause, "passed the limit of 2 bytes"));
	free(cause);
	/* Too many attempts. */
	lim.max_output = 0;
	lim.max_attempts = 2;
	assert_int_equal(cli_records(p, "1 2 3", 5, &lim, &r, &cause), -E2BIG);
	assert_non_null(strstr(cause, "gave up after 2 match attempts"));
	free(cause);
	cli_pattern_free(p);
}

static void
expect_clean(const char *in, size_t len, unsigned int flags,
    const char *want)
{
	char	*out;
	size_t	 n;

	assert_int_equal(cli_clean(in, len, flags, &out, &n), 0);
	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
	assert_true(n <= len);
	free(out);
}

#define CLEAN(in, flags, want) \
	expect_clean(in, sizeof(in) - 1, flags, want)

static void
test_clean(void **state)
{
	/* CR LF, CR CR LF, lone CR at the end. */
	CLEAN("a\r\nb\r\r\nc\r", 0, "a\nb\nc\n");
	/* IOS pager: "--More--", erased by backspaces and blanks. */
	CLEAN(" --More-- \b\b\b\b\b\b\b\b\b\b          "
	    "\b\b\b\b\b\b\b\b\b\bGigabitEthernet3  up\n", 0,
	    "GigabitEthernet3  up\n");
	/* The same with CR and CSI K (Junos, Linux less). */
	CLEAN("---(more)---\r\x1b[KLoopback0\n", 0, "Loopback0\n");
	/* Colours, bold, OSC window title, charset, cursor keys mode. */
	CLEAN("\x1b]0;user@host: ~\x07\x1b(B\x1b[?1h\x1b=\x1b[01;32mok"
	    "\x1b[0m\n", 0, "ok\n");
	/* Lone CR overwrites, as a progress line does. */
	CLEAN("10%\r50%\r100%\n", 0, "100%\n");
	/* CSI D and G move back; C never past the text. */
	CLEAN("abcd\x1b[2DX\x1b[1GY\x1b[99CZ\n", 0, "YbXdZ\n");
	/* Backspace over a multibyte character. */
	CLEAN("caf\xc3\xa9\bE\n", 0, "cafE\n");
	/* Other controls go; tabs stay; trailing blanks with TRIM. */
	CLEAN("a\x00\x07\tb  \n", 0, "a\tb  \n");
	CLEAN("a\x00\x07\tb  \n", CLI_CLEAN_TRIM, "a\tb\n");
	/* Truncated escapes at the end. */
	CLEAN("x\x1b", 0, "x");
	CLEAN("x\x1b[12", 0, "x");
	CLEAN("x\x1b]title", 0, "x");
	CLEAN("", 0, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ios_interface_brief),
		cmocka_unit_test(test_ios_bgp_summary),
		cmocka_unit_test(test_nft_handles),
		cmocka_unit_test(test_routeros_cleaned),
		cmocka_unit_test(test_check_ios_error),
		cmocka_unit_test(test_check_line_is_safe),
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_compile_limits),
		cmocka_unit_test(test_flags_and_names),
		cmocka_unit_test(test_records_empty_and_utf8),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_clean),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}

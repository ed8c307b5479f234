/*
 * Templates: the {{ ... }} language of provider dictionaries.
 *
 * One grammar behind every form CloudStack's examples use; see
 * docs/templates.md for the reference.
 *
 *   text      := ( literal | "{{" tag "}}" )*
 *   tag       := expr ( "|" filter )*                         output
 *              | "if" cond | "else if" cond | "else" | "end"  conditional
 *              | "for" NAME "in" expr | "range" expr | "end"  loop over a list
 *   expr      := path | call | STRING | NUMBER | "true" | "false" | "null"
 *   path      := root ( "." NAME | "[" INT "]" | "[" STRING "]" )*
 *   root      := NAME                       get_data, get_cs_data, mgmt_ip, a loop variable
 *              | NAME ":" NAME              get_cs_data:X, get_data: X  (same as NAME.NAME)
 *              | "." NAME                   .X: a field of the current data (Go style)
 *   call      := NAME "(" [ expr ( "," expr )* ] ")"            now(), uuid()
 *   filter    := NAME [ "(" expr ( "," expr )* ")" ]            json, url, base64, default(x), upper, lower, ...
 *   cond      := expr | "not" cond | cond ("and"|"or") cond
 *              | expr ("=="|"!=") expr | ("eq"|"ne") expr expr   Go style, as in {{ if eq .admin_status "up" }}
 *
 * Variables are looked up in a jansson object (the environment), e.g.
 * {"get_data": {...} or [...], "get_cs_data": {...}, "mgmt_ip": "..."}.
 * A bare name that is not a root of the environment is looked up in
 * get_cs_data, so {{mgmt_ip}} and {{user}} work as in the examples.
 *
 * Escaping: every output is escaped for where it lands, given by the
 * context the caller renders in:
 *   TPL_CTX_TEXT         no escaping (plain text, messages)
 *   TPL_CTX_JSON         a JSON document: inside a string literal the value
 *                        is JSON-string-escaped; outside one it is written as
 *                        a JSON value (strings quoted, numbers as numbers)
 *   TPL_CTX_URL          a URL: percent-encoded as a path segment before
 *                        '?', as a query component after; in the host
 *                        part only host, address and port characters
 *                        pass (a bare IPv6 address gets brackets); at
 *                        the very start only a whole http(s) URL
 *   TPL_CTX_HEADER       a header value: CR, LF, NUL and other control
 *                        characters but tab refused
 *   TPL_CTX_FORM         application/x-www-form-urlencoded value
 *   TPL_CTX_CLI          one CLI line: newline, CR and other control
 *                        characters refused
 * A value that cannot be made safe is refused: rendering fails with an error
 * naming the field and the reason; nothing is produced.
 *
 * Ownership: tpl_compile() returns a template the caller frees with
 * tpl_free(); tpl_render() returns an allocated string the caller frees.
 * Errors: functions return 0 or -1 and fill struct tpl_error.
 */
#ifndef VB_PROVIDER_TEMPLATE_H
#define VB_PROVIDER_TEMPLATE_H

#include <stddef.h>

#include <jansson.h>

enum tpl_ctx {
	TPL_CTX_TEXT = 0,
	TPL_CTX_JSON,
	TPL_CTX_URL,
	TPL_CTX_HEADER,
	TPL_CTX_FORM,
	TPL_CTX_CLI,
};

#define TPL_MAX_SOURCE		(256 * 1024)	/* bytes of template text */
#define TPL_MAX_OUTPUT		(4 * 1024 * 1024)	/* bytes rendered */
#define TPL_MAX_DEPTH		32		/* nested if/for */
#define TPL_MAX_ITERATIONS	100000		/* loop bodies per render */

struct tpl_error {
	int	offset;		/* 0-based byte offset in the template, -1 n/a */
	int	line;		/* 1-based line within the template */
	int	column;		/* 1-based column within the template */
	char	msg[256];
};

struct tpl;

int	tpl_compile(const char *src, size_t len, struct tpl **out,
	    struct tpl_error *err);
void	tpl_free(struct tpl *t);

/*
 * Render t in context ctx against the environment env (an object; borrowed).
 * *out is NUL-terminated; *outlen (if not NULL) its length.
 */
int	tpl_render(const struct tpl *t, enum tpl_ctx ctx, json_t *env,
	    char **out, size_t *outlen, struct tpl_error *err);

/*
 * Every variable path the template reads, for load-time checks: cb is
 * called once per reference with its root ("get_data", "get_cs_data",
 * "mgmt_ip", ...; ".X" forms report root "get_data"), the first field
 * after the root or NULL, the list index used or -1, and where it is
 * (get_data[0].X: field "X", index 0; get_data.X: "X", -1).
 * Loop variables and names bound by "for" are not reported.
 */
typedef void	(*tpl_var_cb)(const char *root, const char *field, int index,
		    int line, int column, void *arg);
void	tpl_vars(const struct tpl *t, tpl_var_cb cb, void *arg);

/* Does src contain any {{ }} tag?  Cheap test for plain strings. */
int	tpl_has_tags(const char *src);

#endif

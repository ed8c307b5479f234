/*
 * The RFC 9535 JSONPath Compliance Test Suite against provider/jsonpath.c.
 *
 *	jsonpath-cts [cts.json]
 *
 * The suite is found, in order: the argument, $VB_JSONPATH_CTS,
 * $top_srcdir/../shared/conformance/jsonpath-cts/cts.json (make check
 * exports top_srcdir), then the same beside the source tree this was built
 * from.  Exits 0 if every case passes, 1 if any fails (one line each), 77
 * (skipped) if there is no suite to read, 99 if it cannot be read.
 *
 * Where the suite departs from the RFCs, the case is listed below with the
 * reason, reported as a deviation rather than a failure; a listed case
 * that starts to pass is a failure, so the list cannot go stale.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "provider/jsonpath.h"

#define CTS_REL "/../shared/conformance/jsonpath-cts/cts.json"

/*
 * Cases where the suite and the RFCs disagree and this implementation
 * follows the RFCs, each with its reason.  None at present: '^' and '$'
 * in match() and search() anchor, as the suite expects (see
 * provider/jsonpath-iregexp.c).  A listed case that passes is a failure,
 * so the list cannot go stale.
 */
static const struct {
	const char	*name;
	const char	*reason;
} deviations[] = {
	{ NULL, NULL },
};

static const char *
deviation(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof deviations / sizeof deviations[0]; i++) {
		if (deviations[i].name != NULL &&
		    strcmp(deviations[i].name, name) == 0)
			return (deviations[i].reason);
	}
	return (NULL);
}

static const char *
cts_path(int argc, char **argv, char *buf, size_t size)
{
	const char	*s;

	if (argc > 1)
		return (argv[1]);
	if ((s = getenv("VB_JSONPATH_CTS")) != NULL && *s != '\0')
		return (s);
	if ((s = getenv("top_srcdir")) != NULL && *s != '\0') {
		snprintf(buf, size, "%s%s", s, CTS_REL);
		return (buf);
	}
#ifdef CTS_SRCDIR
	snprintf(buf, size, "%s%s", CTS_SRCDIR, CTS_REL);
	return (buf);
#else
	return (NULL);
#endif
}

/* Print a JSON value on one line, for a failure report. */
static void
print_json(const char *label, json_t *v)
{
	char	*s;

	s = v != NULL ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	printf(" %s=%s", label, s != NULL ? s : "(none)");
	free(s);
}

static int
same(json_t *want, json_t *got)
{
	return (want != NULL && got != NULL && json_equal(want, got));
}

/* Run one case; 1 if it passes.  A failure is reported on one line. */
static int
run_case(json_t *tc, const char *why)
{
	struct jp_expr	*e = NULL;
	json_t		*jsel, *doc, *values = NULL, *paths = NULL, *alts, *alt;
	json_t		*want, *wantp;
	const char	*name;
	char		*cause = NULL, *sel;
	size_t		 i;
	int		 invalid, error, ok = 0;

	name = json_string_value(json_object_get(tc, "name"));
	jsel = json_object_get(tc, "selector");
	invalid = json_is_true(json_object_get(tc, "invalid_selector"));
	doc = json_object_get(tc, "document");

	error = jp_compilen(json_string_value(jsel), json_string_length(jsel),
	    &e, &cause);
	if (invalid) {
		ok = error != 0;
		if (!ok)
			goto fail;
		goto out;
	}
	if (error != 0)
		goto fail;
	if (jp_query(e, doc, &values, &paths, &cause) != 0)
		goto fail;
	if ((want = json_object_get(tc, "result")) != NULL) {
		wantp = json_object_get(tc, "result_paths");
		ok = same(want, values) && (wantp == NULL || same(wantp, paths));
	} else {
		alts = json_object_get(tc, "results");
		for (i = 0; i < json_array_size(alts) && !ok; i++) {
			alt = json_array_get(alts, i);
			wantp = json_array_get(json_object_get(tc,
			    "results_paths"), i);
			ok = same(alt, values) &&
			    (wantp == NULL || same(wantp, paths));
		}
	}
	if (ok)
		goto out;

fail:
	sel = json_dumps(jsel, JSON_ENCODE_ANY);
	printf("%s: %s: %s", why != NULL ? "DEVIATION" : "FAIL", name,
	    sel != NULL ? sel : "?");
	free(sel);
	if (why != NULL)
		printf(" (%s)", why);
	else if (invalid)
		printf(" (invalid selector accepted)");
	else if (cause != NULL)
		printf(" (%s)", cause);
	else {
		print_json("got", values);
		print_json("paths", paths);
		print_json("want", json_object_get(tc, "result") != NULL ?
		    json_object_get(tc, "result") :
		    json_object_get(tc, "results"));
	}
	printf("\n");
out:
	free(cause);
	if (values != NULL)
		json_decref(values);
	if (paths != NULL)
		json_decref(paths);
	jp_free(e);
	return (ok);
}

int
main(int argc, char **argv)
{
	json_error_t	 jerr;
	json_t		*cts, *tests;
	const char	*path;
	char		 buf[4096];
	json_t		*tc;
	const char	*why;
	size_t		 i, n, passed = 0, failed = 0, deviated = 0;

	if ((path = cts_path(argc, argv, buf, sizeof buf)) == NULL ||
	    access(path, F_OK) != 0) {
		printf("jsonpath-cts: no suite at %s: skipped\n",
		    path != NULL ? path : "(no path)");
		return (77);
	}
	cts = json_load_file(path, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (cts == NULL) {
		printf("jsonpath-cts: %s:%d: %s\n", path, jerr.line, jerr.text);
		return (99);
	}
	tests = json_object_get(cts, "tests");
	n = json_array_size(tests);
	if (n == 0) {
		printf("jsonpath-cts: %s: no tests\n", path);
		json_decref(cts);
		return (99);
	}
	for (i = 0; i < n; i++) {
		tc = json_array_get(tests, i);
		why = deviation(json_string_value(json_object_get(tc,
		    "name")));
		if (run_case(tc, why)) {
			if (why == NULL) {
				passed++;
				continue;
			}
			printf("FAIL: %s: listed as a deviation but passes\n",
			    json_string_value(json_object_get(tc, "name")));
			failed++;
		} else if (why != NULL)
			deviated++;
		else
			failed++;
	}
	printf("jsonpath-cts: %zu passed, %zu failed, of %zu", passed, failed,
	    n);
	if (deviated > 0)
		printf(" (%zu more are known deviations of the suite from the "
		    "RFCs, listed above)", deviated);
	printf("\n");
	json_decref(cts);
	return (failed == 0 ? 0 : 1);
}

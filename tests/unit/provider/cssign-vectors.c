/*
 * Runs every vector of ../shared/conformance/cloudstack-signature/
 * vectors.json through provider/cssign.c: the lower-cased string, the
 * signature, and the signature as it ends the query string.
 *
 *	cssign-vectors [FILE]
 *
 * FILE defaults to $VB_CSSIGN_VECTORS, then to the copy beside the source
 * tree.  Prints "cssign-vectors: N passed, M failed"; exits 0 when none
 * failed, 1 otherwise, 77 (a skip) when the file does not exist.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "provider/cssign.h"

#ifndef CSSIGN_SRCDIR
#define CSSIGN_SRCDIR "."
#endif

/* 1 if the vector passes; says why on stdout if not. */
static int
run_one(size_t i, json_t *vec)
{
	json_t		*params = json_object_get(vec, "params");
	const char	*name = json_string_value(json_object_get(vec, "name"));
	const char	*secret, *want_str, *want_sig, *want_enc;
	char		*str = NULL, *sig = NULL, *query = NULL, *cause = NULL;
	char		*tail = NULL;
	int		 ok = 0;

	secret = json_string_value(json_object_get(vec, "secret"));
	want_str = json_string_value(json_object_get(vec,
	    "unsigned_lowercased"));
	want_sig = json_string_value(json_object_get(vec, "signature"));
	want_enc = json_string_value(json_object_get(vec,
	    "signature_urlencoded"));
	if (name == NULL)
		name = "?";
	if (params == NULL || secret == NULL || want_str == NULL ||
	    want_sig == NULL || want_enc == NULL) {
		printf("not ok %zu - %s: vector lacks a field\n", i + 1, name);
		return (0);
	}
	if (cssign_string(params, &str, &cause) != 0) {
		printf("not ok %zu - %s: %s\n", i + 1, name, cause);
		goto out;
	}
	if (strcmp(str, want_str) != 0) {
		printf("not ok %zu - %s: string\n  got  %s\n  want %s\n",
		    i + 1, name, str, want_str);
		goto out;
	}
	if (cssign_signature(str, secret, &sig, &cause) != 0 ||
	    strcmp(sig, want_sig) != 0) {
		printf("not ok %zu - %s: signature %s, want %s\n", i + 1, name,
		    sig != NULL ? sig : cause, want_sig);
		goto out;
	}
	if (cssign_query(params, secret, &query, &cause) != 0) {
		printf("not ok %zu - %s: %s\n", i + 1, name, cause);
		goto out;
	}
	if (asprintf(&tail, "&signature=%s", want_enc) == -1)
		goto out;
	if (strlen(query) < strlen(tail) ||
	    strcmp(query + strlen(query) - strlen(tail), tail) != 0) {
		printf("not ok %zu - %s: query %s does not end %s\n", i + 1,
		    name, query, tail);
		goto out;
	}
	printf("ok %zu - %s\n", i + 1, name);
	ok = 1;
out:
	free(str);
	free(sig);
	free(query);
	free(cause);
	free(tail);
	return (ok);
}

int
main(int argc, char **argv)
{
	const char	*path;
	char		 buf[4096];
	json_error_t	 jerr;
	json_t		*doc, *vecs;
	size_t		 i, pass = 0, fail = 0;

	if (argc > 1)
		path = argv[1];
	else if ((path = getenv("VB_CSSIGN_VECTORS")) == NULL) {
		snprintf(buf, sizeof(buf), "%s/../shared/conformance/"
		    "cloudstack-signature/vectors.json", CSSIGN_SRCDIR);
		path = buf;
	}
	if (access(path, F_OK) != 0) {
		printf("cssign-vectors: %s: %s (skipped)\n", path,
		    strerror(errno));
		return (77);
	}
	if ((doc = json_load_file(path, 0, &jerr)) == NULL) {
		printf("cssign-vectors: %s:%d: %s\n", path, jerr.line,
		    jerr.text);
		return (1);
	}
	vecs = json_object_get(doc, "vectors");
	if (!json_is_array(vecs) || json_array_size(vecs) == 0) {
		printf("cssign-vectors: %s: no \"vectors\" array\n", path);
		json_decref(doc);
		return (1);
	}
	for (i = 0; i < json_array_size(vecs); i++) {
		if (run_one(i, json_array_get(vecs, i)))
			pass++;
		else
			fail++;
	}
	printf("cssign-vectors: %zu passed, %zu failed\n", pass, fail);
	json_decref(doc);
	return (fail == 0 ? 0 : 1);
}

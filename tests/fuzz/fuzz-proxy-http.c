/*
 * Fuzz target: the proxy's request-head parser and chunked-body walker
 * (broker/proxy-http.c), with small limits so every limit is reached.
 * Whatever the input, a result is one of the three, an error has a status
 * and a reason, and a complete head lies inside the input.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "broker/proxy-http.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct hp_limits small = { 128, 1024, 16 };
	const struct hp_limits *lims[] = { &hp_default_limits, &small };
	struct hp_chunk c;
	struct hp_req r;
	size_t i, used;
	enum hp_result res;

	for (i = 0; i < 2; i++) {
		res = hp_parse(&r, (const char *)data, size, lims[i]);
		if (res == HP_ERROR && (r.status < 400 || r.error == NULL))
			abort();
		if (res == HP_DONE) {
			if (r.head_len > size || r.method == NULL ||
			    (r.path == NULL && r.form != HP_FORM_AUTHORITY))
				abort();
			/* What follows the head as a chunked body. */
			hp_chunk_init(&c);
			if (hp_chunk_scan(&c, (const char *)data + r.head_len,
			    size - r.head_len, &used) >= 0 &&
			    used > size - r.head_len)
				abort();
		}
		hp_req_free(&r);
	}
	return 0;
}

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/strutil.h"

#define STR_DISTANCE_MAX	64	/* longer words are never "typos" */

size_t
str_distance(const char *a, const char *b)
{
	size_t d[STR_DISTANCE_MAX + 1][STR_DISTANCE_MAX + 1];
	size_t la = strlen(a), lb = strlen(b), i, j, best;

	if (la > STR_DISTANCE_MAX || lb > STR_DISTANCE_MAX)
		return (size_t)-1;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

const char *
str_suggest(const char *word, const char *const *candidates)
{
	const char *best = NULL;
	size_t bestd = (size_t)-1, dist, limit;

	/* One edit for short words, up to a third of the length for long. */
	limit = strlen(word) / 3;
	if (limit < 1)
		limit = 1;
	for (; *candidates != NULL; candidates++) {
		dist = str_distance(word, *candidates);
		if (dist < bestd) {
			bestd = dist;
			best = *candidates;
		}
	}
	return bestd <= limit ? best : NULL;
}

size_t
str_copy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

int
str_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Small string helpers shared by the parsers. */
#ifndef VB_COMMON_STRUTIL_H
#define VB_COMMON_STRUTIL_H

#include <stddef.h>

/* Edit distance between a and b (insert, delete, substitute, transpose). */
size_t	str_distance(const char *a, const char *b);

/*
 * The candidate closest to word, when it is close enough to be a likely
 * typo ("did you mean"); NULL otherwise.  candidates ends with NULL.
 */
const char *str_suggest(const char *word, const char *const *candidates);

/* strlcpy semantics: copies at most size-1 bytes, returns strlen(src). */
size_t	str_copy(char *dst, const char *src, size_t size);

/* The value of one hex digit, or -1 when c is not one. */
int	str_hexval(int c);

#endif

/*
 * Allocation wrappers for application code: they never return NULL and end
 * the process when memory is exhausted (the OpenSSH xmalloc convention).
 * Library code that must survive allocation failure uses malloc directly.
 */
#ifndef VB_COMMON_XMALLOC_H
#define VB_COMMON_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t size);
void	*xcalloc(size_t nmemb, size_t size);
void	*xreallocarray(void *ptr, size_t nmemb, size_t size);
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t n);
/* Returns a newly allocated string; the caller frees it. */
char	*xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Clear a secret before freeing it; NULL is fine. */
void	freezero_str(char *s);

#endif

/*
 * Data schemas: the `data:` block of a service, describing the input the
 * management server sends for its operations.
 *
 *   data:
 *     action:   {type: enum, values: [pass, block], required: true}
 *     port:     {type: port}
 *     source:   {type: cidr, default: 0.0.0.0/0}
 *     name:     {type: string, pattern: '^[a-z]+$', min: 1, max: 64}
 *     rules:    {type: list, items: {type: object, fields: {...}}}
 *
 * Field types: string, int, bool, ip, cidr, port, mac, enum, list, object.
 * Keys per field: type (default string), description, required (default
 * false), default, pattern (PCRE2, whole value), min/max (int value, string
 * length or list length), values (enum; also `enum:` as in CloudStack's
 * examples, which implies type enum when type is string), items (list),
 * fields (object).
 *
 * Input from CloudStack's API maps is all strings: an int or port given as
 * a string of digits, and a bool given as "true" or "false", are accepted
 * and converted in the validated copy.  See docs/templates.md.
 *
 * Ownership: schema_load() returns a schema the caller frees with
 * schema_free().  schema_validate() returns a new object with defaults
 * filled in (the caller decrefs it).
 */
#ifndef VB_PROVIDER_SCHEMA_H
#define VB_PROVIDER_SCHEMA_H

#include <jansson.h>

#include "common/diag.h"
#include "provider/ydoc.h"

struct schema;

/*
 * Build a schema from the `data:` map node.  Problems go to d with
 * positions, prefixed by path (e.g. "services.FIREWALL_RULES.data").
 * Returns NULL when d got errors.
 */
struct schema *schema_load(const struct ynode *map, const char *path,
	    struct diags *d);
void	schema_free(struct schema *s);

/* Does the schema define a top-level field of this name? */
int	schema_has_field(const struct schema *s, const char *name);
/* Top-level field names, in document order; NULL-terminated, borrowed. */
const char *const *schema_field_names(const struct schema *s);

/*
 * Check input against the schema, reporting every bad field (not just
 * the first) as one message each in *errors (a new array of strings
 * "field: what is wrong", the caller decrefs).  Returns the validated copy
 * with defaults applied, or NULL when anything is wrong.  Unknown fields
 * are errors.
 */
json_t	*schema_validate(const struct schema *s, json_t *input,
	    json_t **errors);

#endif

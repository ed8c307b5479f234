/*
 * The engine's own records in the state directory, checked by the parent
 * before it writes one and when it reads one at start (see
 * broker/parent-state.c for where they live):
 *
 *	bootstraps/NAME.json	{"name": APPLIANCE, "job": "START-SEQ",
 *				 "started": UNIX-TIME, "finished": BOOL,
 *				 "progress": {...}, "result": {...}}
 *	hostkeys/NAME.json	{"name": APPLIANCE,
 *				 "keys": {"HOST:PORT": "SHA256:...", ...}}
 *
 * Only the shape is checked here (fields, types, bounds, that the name
 * inside matches the file's); whether the appliance exists is the
 * caller's question.  No state, no I/O: fuzzed by tests/fuzz/fuzz-state.
 */
#ifndef VB_BROKER_STATE_RECORDS_H
#define VB_BROKER_STATE_RECORDS_H

#include <stddef.h>

#include <jansson.h>

#define STATE_BOOT_JOB_MAX	47	/* the engine's job ids, id[48] */
#define STATE_HOSTKEYS_MAX	64	/* host keys remembered per appliance */
#define STATE_HOSTKEY_ADDR_MAX	260	/* "HOST:PORT" */
#define STATE_HOSTKEY_FP_MAX	100	/* "SHA256:" and base64 */

/*
 * Check a record of kind ("bootstrap" or "hostkey") named name, read
 * from file: a new reference, or NULL with *cause ("file:line:col:
 * error: ..." for a syntax error, "file: field: what" otherwise).
 */
json_t	*state_record_check(const char *kind, const char *name,
	    const char *buf, size_t len, const char *file, char **cause);

#endif

/*
 * Health checks of one appliance: the dictionary's `healthchecks`, run
 * one after the other, each within its own timeout.
 *
 *	tcp	a TCP connect to the port (through the target's socket
 *		callback; nothing is sent)
 *	http	a request, with the expected status (default any 2xx)
 *	command	a command over ssh (exec), whose output must contain
 *		expected_output (when given) and whose exit status is 0
 *
 * The result:
 *
 *	{"status": "healthy" | "degraded" | "unreachable",
 *	 "appliance": "...", "elapsed_ms": 12,
 *	 "reasons": ["ssh_nft: exit status 1: ..."],
 *	 "checks": [{"name", "kind", "status": "pass" | "fail",
 *	             "reached": true, "elapsed_ms", "reason", "output"}]}
 *
 * healthy: every check passed.  unreachable: no check reached the
 * appliance (every connect was refused, timed out or found no route).
 * degraded: anything in between, for example sshd answering but a
 * command failing.  A dictionary without checks gets one implicit tcp
 * check ("reachability") on its first connection's port.
 */
#ifndef VB_PROVIDER_HEALTH_H
#define VB_PROVIDER_HEALTH_H

#include <jansson.h>

#include "provider/dict.h"
#include "provider/runner.h"

/* Bytes of a command's output kept in a check's result. */
#define PROV_HEALTH_MAX_OUTPUT	1024

/*
 * Run every check (or only the one named only) and aggregate.  *result
 * is new.  Returns 0 healthy, -1 otherwise; -ENOENT (and no result) when
 * only names no check.
 */
int	prov_health_run(const struct prov_dict *dict,
	    const struct prov_target *t, json_t *cs_data, const char *only,
	    json_t **result);

/*
 * One check, also bootstrap's ready_test: conn and password (may be
 * NULL) replace the check's connection and its password.  *result is
 * the check's object as above.  Returns 0 pass, -1 fail.
 */
int	prov_health_check(const struct prov_dict *dict,
	    const struct prov_target *t, const struct prov_check *chk,
	    json_t *cs_data, const struct prov_conn *conn,
	    const char *password, json_t **result);

#endif

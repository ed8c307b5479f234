/*
 * Bootstrap: bring one appliance from its first boot to ready, as the
 * dictionary's `bootstrap` says, one phase after the other:
 *
 *	reachable	a TCP connect to initial_connection's port succeeds
 *			(retried with backoff: the appliance may still be
 *			booting, whatever its network_init)
 *	connected	initial_connection authenticates (ssh)
 *	actions		initial_actions, in order, each a service operation
 *			run over initial_connection
 *	ready		ready_test passes (retried until the deadline)
 *	done
 *
 * Progress is saved through the caller's store after every step, so a
 * restart resumes where it stopped and never repeats a finished action;
 * a finished bootstrap run again does nothing.
 *
 * Rotated credentials.  An action with a parameter whose name contains
 * "new_pass" (change_password's new_password) rotates the password of
 * initial_connection.  Before it runs, the new password is saved as
 * pending; after it succeeds, it is recorded: later steps connect with
 * it, and the cs-data keys initial_connection's password reads are
 * updated to it.  If the process dies between the two, the next run
 * finds the old password refused, tries the pending one, and if that
 * logs in, counts the action as done.  The result's "cs_data" carries
 * the updated values for the management server: it is the one place a
 * result holds a secret in clear, on purpose.
 *
 * The result:
 *
 *	{"status": "success" | "failed", "appliance", "phase",
 *	 "resumed": false, "steps": [{"step", "status", "elapsed_ms",
 *	 "attempts", "error", "result"}], "cs_data": {...}, "error"}
 */
#ifndef VB_PROVIDER_BOOTSTRAP_H
#define VB_PROVIDER_BOOTSTRAP_H

#include <jansson.h>

#include "provider/dict.h"
#include "provider/runner.h"

#define PROV_BOOT_DEADLINE_S	600
#define PROV_BOOT_RETRY_MS	1000
#define PROV_BOOT_RETRY_MAX_MS	30000
/* Attempts of one action failing at its connect step. */
#define PROV_BOOT_ACTION_TRIES	3

/*
 * Where progress is kept.  load sets *state to the saved object, or NULL
 * when nothing was saved; both return 0 or -1 with *cause (allocated).
 */
struct prov_boot_store {
	int	(*load)(void *arg, json_t **state, char **cause);
	int	(*save)(void *arg, json_t *state, char **cause);
	void	*arg;
};

struct prov_boot_opts {
	int		 deadline_s;	/* 0: PROV_BOOT_DEADLINE_S */
	int		 retry_ms;	/* first backoff; 0: PROV_BOOT_RETRY_MS */
	int		 retry_max_ms;	/* 0: PROV_BOOT_RETRY_MAX_MS */
	const struct prov_boot_store *store;	/* NULL: nothing kept */
};

/*
 * Run (or resume) the bootstrap.  *result is always set.  Returns 0 when
 * the appliance is ready (now or already), -1 otherwise.
 */
int	prov_boot_run(const struct prov_dict *dict,
	    const struct prov_target *t, json_t *cs_data,
	    const struct prov_boot_opts *o, json_t **result);

#endif

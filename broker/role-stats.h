/*
 * Counters of the ssh and proxy roles, for the engine's /metrics.
 *
 * Each role has one page of shared memory, made by the parent at start (a
 * sealed memfd, so it can neither shrink nor grow under a reader) and
 * kept for vnf-brokerd's lifetime.  A running instance of the role writes
 * its own slot in it; the engine maps every page read-only and sums.  No
 * message per tunnel crosses a process, and a scrape costs no round trip.
 *
 * Instances come and go (a crash, a SIGHUP that replaces a role while the
 * old one drains): each gets a slot of its own from the parent.  When an
 * instance has been reaped, the parent adds its slot's counters to the
 * page's `retired` totals and clears the slot, under a sequence number
 * the reader retries on, so totals never go backwards and the gauges
 * (connections and tunnels open) of a dead instance vanish with it.
 *
 * Writers use relaxed atomic adds: two instances of a role never share a
 * slot, but the engine reads while they write.
 */
#ifndef VB_BROKER_ROLE_STATS_H
#define VB_BROKER_ROLE_STATS_H

#include <stdint.h>

enum role_stat {
	RS_CONNS_OPEN,		/* gauge: client connections now */
	RS_CONNS,		/* client connections accepted */
	RS_TUNNELS_OPEN,	/* gauge: connections to VNFs now */
	RS_TUNNELS,		/* connections to VNFs opened */
	RS_DENIED,		/* decisions audited "denied" */
	RS_ERRORS,		/* decisions audited "error" */
	RS_BYTES_UP,		/* client to VNF */
	RS_BYTES_DOWN,		/* VNF to client */
	RS_NSTATS
};
#define RS_IS_GAUGE(s)	((s) == RS_CONNS_OPEN || (s) == RS_TUNNELS_OPEN)

#define ROLE_STATS_MAGIC	0x76627374u	/* "vbst" */
#define ROLE_STATS_VERSION	1
#define ROLE_STATS_SLOTS	8	/* instances of one role at once */
#define ROLE_STATS_VALUES	16	/* room for RS_NSTATS to grow */

struct role_stats_slot {
	uint64_t	pid;		/* 0: free */
	uint64_t	v[ROLE_STATS_VALUES];
};

struct role_stats_page {
	uint32_t	magic;
	uint32_t	version;
	uint64_t	seq;		/* odd while the parent folds a slot */
	uint64_t	retired[ROLE_STATS_VALUES];
	struct role_stats_slot slot[ROLE_STATS_SLOTS];
};

/*
 * The role side (role-stats.c, in librole).  Counting before the page
 * arrived, or in a role started without one, is a no-op.
 */
void	role_stat_add(enum role_stat, int64_t by);
/* PRIV_STATS from the parent: map the page (own slot, or read-only). */
int	role_stats_map(const char *role, int fd, uint32_t slot, int writable,
	    char **cause);
/*
 * Sum a role's counters into out (RS_NSTATS values).  Returns 0, or -1
 * when no page of that role was given (the role is not configured).
 */
int	role_stats_read(const char *role, uint64_t out[RS_NSTATS]);

#endif

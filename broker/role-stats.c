/*
 * The roles' side of the shared counters (role-stats.h): a role counts
 * into its own slot; the engine reads every role's page.
 */
#include "config.h"

#include <sys/mman.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/role-stats.h"
#include "common/xmalloc.h"

#define STATS_PAGES	4	/* roles whose pages one process maps */
#define STATS_READ_TRIES 1000	/* a fold takes microseconds */

static uint64_t			*stats_own;	/* this instance's slot */
static struct {
	char				 role[16];
	const struct role_stats_page	*page;
} stats_pages[STATS_PAGES];

/* The entry for role's page, or the first free one (or NULL: full). */
static size_t
stats_find(const char *role)
{
	size_t i;

	for (i = 0; i < STATS_PAGES && stats_pages[i].page != NULL; i++)
		if (strcmp(stats_pages[i].role, role) == 0)
			break;
	return i;
}

void
role_stat_add(enum role_stat s, int64_t by)
{
	if (stats_own == NULL || (unsigned)s >= RS_NSTATS)
		return;
	/* a gauge goes down by adding the two's complement */
	__atomic_fetch_add(&stats_own[s], (uint64_t)by, __ATOMIC_RELAXED);
}

int
role_stats_map(const char *role, int fd, uint32_t slot, int writable,
    char **cause)
{
	struct role_stats_page *page;
	size_t i;

	if (writable && (slot >= ROLE_STATS_SLOTS || stats_own != NULL)) {
		*cause = xasprintf("counters of %s: slot %u refused", role,
		    slot);
		return -1;
	}
	i = stats_find(role);
	if (i == STATS_PAGES || stats_pages[i].page != NULL ||
	    strlen(role) >= sizeof(stats_pages[i].role)) {
		*cause = xasprintf("counters of %s: %s", role,
		    i == STATS_PAGES ? "no room" : "given twice");
		return -1;
	}
	page = mmap(NULL, sizeof(*page), writable ? PROT_READ | PROT_WRITE :
	    PROT_READ, MAP_SHARED, fd, 0);
	if (page == MAP_FAILED) {
		*cause = xasprintf("counters of %s: %s", role, strerror(errno));
		return -1;
	}
	if (page->magic != ROLE_STATS_MAGIC ||
	    page->version != ROLE_STATS_VERSION) {
		munmap(page, sizeof(*page));
		*cause = xasprintf("counters of %s: not a version %d page",
		    role, ROLE_STATS_VERSION);
		return -1;
	}
	memcpy(stats_pages[i].role, role, strlen(role) + 1);
	stats_pages[i].page = page;
	if (writable) {
		stats_own = page->slot[slot].v;
		/*
		 * The parent cleared the slot when its last instance was
		 * reaped; the gauges start at nothing open either way.
		 */
		__atomic_store_n(&stats_own[RS_CONNS_OPEN], 0, __ATOMIC_RELAXED);
		__atomic_store_n(&stats_own[RS_TUNNELS_OPEN], 0,
		    __ATOMIC_RELAXED);
	}
	return 0;
}

int
role_stats_read(const char *role, uint64_t out[RS_NSTATS])
{
	const struct role_stats_page *page;
	uint64_t s1, s2;
	size_t i, j;
	int tries;

	if ((i = stats_find(role)) == STATS_PAGES ||
	    (page = stats_pages[i].page) == NULL)
		return -1;
	for (tries = 0; tries < STATS_READ_TRIES; tries++) {
		s1 = __atomic_load_n(&page->seq, __ATOMIC_ACQUIRE);
		if (s1 & 1)
			continue;
		for (j = 0; j < RS_NSTATS; j++) {
			out[j] = __atomic_load_n(&page->retired[j],
			    __ATOMIC_RELAXED);
			for (i = 0; i < ROLE_STATS_SLOTS; i++)
				out[j] += __atomic_load_n(&page->slot[i].v[j],
				    __ATOMIC_RELAXED);
		}
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		s2 = __atomic_load_n(&page->seq, __ATOMIC_RELAXED);
		if (s1 == s2)
			break;
	}
	/*
	 * A gauge of a slot whose instance wrote nonsense (a role can write
	 * only its own slot, but anything there) must not read as 2^64.
	 */
	for (j = 0; j < RS_NSTATS; j++)
		if (RS_IS_GAUGE(j) && (int64_t)out[j] < 0)
			out[j] = 0;
	return 0;
}

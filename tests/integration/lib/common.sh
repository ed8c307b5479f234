# Shared helpers for integration tests (sourced).  Each test counts its
# checks and ends with "N passed, M failed"; a test that cannot run here
# (not root, no ip) exits 77 so automake reports a skip.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${PYTHON3:=python3}"

T_PASS=0
T_FAIL=0

# need_root: skip unless root with ip(8); then take this test's lock.
need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: needs root for network namespaces"
		exit 77
	fi
	command -v ip >/dev/null 2>&1 || { echo "SKIP: no ip(8)"; exit 77; }
	test_lock "${TEST_LOCK:-$(basename "$0" .sh)}"
}

# test_lock NAME: a test's namespaces, links and ports have fixed names,
# so two runs of the same test on one machine (two build trees, or a
# distcheck beside a make check) would take each other's.  A holder
# process takes an exclusive lock and keeps it while this shell lives
# (so no daemon the test starts inherits it); wait up to 30 minutes for
# another run to end.
test_lock() {
	command -v flock >/dev/null 2>&1 || return 0
	lockdir=/run/lock
	[ -d "$lockdir" ] && [ -w "$lockdir" ] || lockdir=${TMPDIR:-/tmp}
	lockfile=$lockdir/vnf-broker-test-$1.lock
	lockheld=$(mktemp "${TMPDIR:-/tmp}/vnf-broker-lock.XXXXXX") || return 0
	flock -w 1800 "$lockfile" sh -c 'echo held >"$1"
	    while kill -0 "$2" 2>/dev/null; do sleep 1; done' sh \
	    "$lockheld" $$ </dev/null >/dev/null 2>&1 &
	lockpid=$!
	i=0
	while [ ! -s "$lockheld" ]; do
		if ! kill -0 "$lockpid" 2>/dev/null; then
			rm -f "$lockheld"
			echo "ERROR: another run of $1 held $lockfile for 30 minutes"
			exit 99
		fi
		[ "$i" -eq 10 ] &&
		    echo "# another run of $1 holds $lockfile; waiting"
		i=$((i + 1))
		sleep 0.1
	done
	rm -f "$lockheld"
}

ok() { T_PASS=$((T_PASS + 1)); echo "ok - $*"; }
not_ok() { T_FAIL=$((T_FAIL + 1)); echo "not ok - $*"; }

# check DESCRIPTION COMMAND...: pass when the command succeeds; returns
# non-zero on a failure, so `check ... || show` can say more.
check() {
	desc=$1; shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; return 1; fi
}

# wait_for SECONDS COMMAND...: poll every 0.1 s until the command succeeds.
wait_for() {
	limit=$1; shift
	i=0
	while [ "$i" -lt $((limit * 10)) ]; do
		if "$@"; then return 0; fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

finish() {
	echo "${T_PASS} passed, ${T_FAIL} failed"
	[ "$T_FAIL" -eq 0 ]
}

# broker_role_pid ROLE: the pid of vnf-brokerd's ($BPID) running child
# whose program is vnf-broker-ROLE, or nothing.
broker_role_pid() {
	for c in $(cat /proc/"$BPID"/task/*/children 2>/dev/null); do
		case "$(readlink /proc/"$c"/exe 2>/dev/null)" in
		*/vnf-broker-"$1") echo "$c"; return 0 ;;
		esac
	done
	return 1
}

# ECHO: a labelled TCP echo for labs (lib/echo.py; see there).
ECHO=$top_srcdir/tests/integration/lib/echo.py

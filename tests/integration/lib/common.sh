# Shared helpers for integration tests (sourced).  Each test counts its
# checks and ends with "N passed, M failed"; a test that cannot run here
# (not root, no ip) exits 77 so automake reports a skip.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${PYTHON3:=python3}"

T_PASS=0
T_FAIL=0

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: needs root for network namespaces"
		exit 77
	fi
	command -v ip >/dev/null 2>&1 || { echo "SKIP: no ip(8)"; exit 77; }
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

# Vendor appliance simulators (python3 test fixtures) and the vendor
# dictionaries' tests against them.  One fragment per vendor below.
EXTRA_DIST += tests/vnfsim/vnfsim.py tests/integration/lib/vnfsim.sh
include tests/vnfsim/fortigate.mk
include tests/vnfsim/opnsense.mk
include tests/vnfsim/pfsense.mk
include tests/vnfsim/vyos.mk
include tests/vnfsim/routeros.mk
include tests/vnfsim/cisco-iosxe.mk

# The vendor dictionaries' create-list-delete cycle against their
# simulators, run by tools/bench (not by make check).
EXTRA_DIST += tests/bench/vendor-bench.sh

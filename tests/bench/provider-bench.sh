#!/bin/sh
# The provider language's costs (issue 3): dictionary load, render,
# JSONPath.  Run by tools/bench with top_builddir and top_srcdir set.
set -eu
: "${top_srcdir:?}" "${top_builddir:?}"
"$top_builddir/tests/bench/bench-provider" \
    "$top_srcdir/tests/provider/fixtures/opnsense-firewall.yaml" 3

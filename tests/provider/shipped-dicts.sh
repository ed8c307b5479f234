#!/bin/sh
# Every dictionary shipped in provider/dictionaries/ passes
# vnf-provider lint --strict (no errors, no warnings).
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-.}
VP=$top_builddir/provider/vnf-provider
pass=0
fail=0
for f in "$top_srcdir"/provider/dictionaries/*.yaml; do
	if out=$("$VP" lint --strict "$f" 2>&1); then
		pass=$((pass + 1))
		echo "ok - lint --strict $(basename "$f")"
	else
		fail=$((fail + 1))
		echo "not ok - lint --strict $(basename "$f")"
		echo "$out" | sed 's/^/# /'
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

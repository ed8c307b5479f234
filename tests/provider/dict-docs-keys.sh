#!/bin/sh
# Every key the dictionary loader accepts (the keys[] tables of
# provider/dict*.c) is documented in docs/provider-dictionary.md as `key`
# and appears in docs/provider-dictionary.schema.json as "key".
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
src=$(ls "$top_srcdir"/provider/dict*.c)
doc=$top_srcdir/docs/provider-dictionary.md
schema=$top_srcdir/docs/provider-dictionary.schema.json
keys=$(awk '/keys\[\] = \{/ { on = 1 } on { print } on && /\};/ { on = 0 }' \
    $src | grep -o '"[a-z_0-9]*"' | tr -d '"' | sort -u)
pass=0 fail=0
for k in $keys; do
	if grep -q "\`$k\`" "$doc"; then
		pass=$((pass + 1))
	else
		echo "not documented in provider-dictionary.md: $k"
		fail=$((fail + 1))
	fi
	if grep -q "\"$k\"" "$schema"; then
		pass=$((pass + 1))
	else
		echo "not in provider-dictionary.schema.json: $k"
		fail=$((fail + 1))
	fi
done
[ "$pass" -gt 60 ] || { echo "found only $pass keys: is the pattern stale?"; fail=$((fail + 1)); }
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

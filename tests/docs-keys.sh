#!/bin/sh
# Every configuration key the parser accepts (the `keys[]` tables in
# broker/conf*.c and each role's broker/*-conf.c) is documented in
# vnf-broker.yaml(5) as `.It Ic KEY`.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
src=$(ls "$top_srcdir"/broker/conf*.c "$top_srcdir"/broker/*-conf.c)
man=$top_srcdir/docs/vnf-broker.yaml.5
keys=$(awk '/keys\[\] = \{/ { on = 1 } on { print } on && /\};/ { on = 0 }' \
    $src | grep -o '"[a-z_0-9]*"' | tr -d '"' | sort -u)
pass=0 fail=0
for k in $keys; do
	if grep -q "^\.It Ic $k\b" "$man"; then
		pass=$((pass + 1))
	else
		echo "not documented in vnf-broker.yaml(5): $k"
		fail=$((fail + 1))
	fi
done
[ "$pass" -gt 10 ] || { echo "found only $pass keys: is the pattern stale?"; fail=$((fail + 1)); }
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

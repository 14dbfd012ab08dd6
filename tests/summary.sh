#!/bin/sh
# summary.sh — add up build/results/*.count; the last line is "N passed, N failed".
p=0; f=0; n=0
for c in ${RESULTS:-build/results}/*.count; do
    [ -e "$c" ] || continue
    read cp cf <"$c"; p=$((p + cp)); f=$((f + cf)); n=$((n + 1))
    [ "$cf" -ne 0 ] && echo "failed: $(basename "$c" .count)"
done
# Checks that were expected but left no result did not build (or were not run).
if [ -f "${RESULTS:-build/results}/expected.list" ]; then
    while read -r name; do
        [ -n "$name" ] || continue
        if [ ! -e "${RESULTS:-build/results}/$name.count" ]; then
            echo "failed: $name (did not build or did not run; see the make output above)"
            f=$((f + 1))
        fi
    done <"${RESULTS:-build/results}/expected.list"
fi
[ "$n" -eq 0 ] && { echo "no checks ran"; echo "0 passed, 1 failed"; exit 1; }
echo "$n checks"
echo "$p passed, $f failed"
[ "$f" -eq 0 ]

#!/bin/sh
# summary.sh — add up build/results/*.count; the last line is "N passed, N failed".
p=0; f=0; n=0
for c in ${RESULTS:-build/results}/*.count; do
    [ -e "$c" ] || continue
    read cp cf <"$c"; p=$((p + cp)); f=$((f + cf)); n=$((n + 1))
    [ "$cf" -ne 0 ] && echo "failed: $(basename "$c" .count)"
done
[ "$n" -eq 0 ] && { echo "no checks ran"; echo "0 passed, 1 failed"; exit 1; }
echo "$n checks"
echo "$p passed, $f failed"
[ "$f" -eq 0 ]

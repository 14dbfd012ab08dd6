#!/bin/sh
# run-check.sh NAME SECONDS CMD... — run one check under a time limit, keep its
# log in build/results/NAME.log and its "passed failed" counts in NAME.count.
# cmocka binaries count their own tests; any other command counts as one.
name=$1; limit=$2; shift 2
R=${RESULTS:-build/results}; mkdir -p "$R"
log=$R/$name.log
timeout -k 5 "$limit" "$@" >"$log" 2>&1
rc=$?
p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
if [ -n "$p$f" ]; then
    p=${p:-0}; f=${f:-0}
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
elif [ "$rc" -eq 0 ]; then p=1; f=0
else p=0; f=1
fi
echo "$p $f" >"$R/$name.count"
if [ "$f" -eq 0 ]; then
    echo "PASS $name ($p)"
else
    [ "$rc" -eq 124 ] && echo "TIMEOUT $name: still running after $limit s"
    echo "FAIL $name (exit $rc): last lines of $log:"
    tail -n 25 "$log" | sed 's/^/    /'
fi
exit 0

#!/bin/sh
# check_example.sh NAME BINARY — run one example on the virtual clock and check
# its output:
#   examples/expected/NAME.txt  the output must be exactly this, or
#   examples/expected/NAME.re   (outputs with measured numbers) the output must
#                               have as many lines, each matching the extended
#                               regex on the same line of the file, and then
#                               examples/expected/NAME.claim, if present, runs
#                               on the output (stdin) to check the example's
#                               claim (e.g. async total < serial total);
#   examples/expected/NAME.claim alone: outputs whose line order depends on
#                               timing are checked by the claim script only.
name=$1; bin=$2
dir=$(dirname "$0")/expected
out=$(mktemp); trap 'rm -f "$out"' EXIT
ASYNC_VIRTUAL_TIME=1 "$bin" >"$out" 2>&1 </dev/null
rc=$?
if [ $rc -ne 0 ]; then echo "$name exited with $rc; output:"; cat "$out"; exit 1; fi
if [ -f "$dir/$name.txt" ]; then
    diff -u "$dir/$name.txt" "$out" || { echo "$name: output differs from $dir/$name.txt"; exit 1; }
elif [ -f "$dir/$name.re" ]; then
    want=$(wc -l <"$dir/$name.re"); got=$(wc -l <"$out")
    [ "$want" -eq "$got" ] || { echo "$name: $got lines, expected $want"; cat "$out"; exit 1; }
    i=0
    while IFS= read -r re <&3 && IFS= read -r line <&4; do
        i=$((i + 1))
        printf '%s\n' "$line" | grep -Eq "^($re)\$" || { echo "$name: line $i does not match /$re/:"; echo "  $line"; exit 1; }
    done 3<"$dir/$name.re" 4<"$out"
    if [ -f "$dir/$name.claim" ]; then
        sh "$dir/$name.claim" <"$out" || { echo "$name: the claim does not hold:"; cat "$out"; exit 1; }
    fi
elif [ -f "$dir/$name.claim" ]; then
    sh "$dir/$name.claim" <"$out" || { echo "$name: the claim does not hold:"; cat "$out"; exit 1; }
else
    echo "$name: no $dir/$name.txt, .re or .claim"; exit 1
fi
echo "$name: output as expected"

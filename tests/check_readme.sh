#!/bin/sh
# check_readme.sh BUILD — the README's C example compiles strictly and prints the
# output the README shows under it.
set -e
out=$1/readme; mkdir -p "$out"
awk '/^```c$/{f=1;next} f&&/^```$/{exit} f' README.md >"$out/example.c"
awk '/^Output:$/{o=1;next} o&&/^```$/{if(s){exit}s=1;next} o&&s' README.md >"$out/expected.txt"
[ -s "$out/example.c" ] && [ -s "$out/expected.txt" ] || { echo "README: example or output block missing"; exit 1; }
${CC:-cc} -std=c99 -Wall -Wextra -pedantic -Werror -I. "$out/example.c" -o "$out/example"
"$out/example" >"$out/actual.txt"
diff -u "$out/expected.txt" "$out/actual.txt"
echo "README example: output matches"

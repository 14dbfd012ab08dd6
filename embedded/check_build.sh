#!/bin/sh
# check_build.sh TARGET COMPILER PACKAGE ELF... — the cross build of every
# program for one target succeeded (the ELF rules never stop make; they leave
# a log): one clear line if the toolchain is missing, else the compiler
# output of each failed build, and the sizes of the good ones.
target=$1 cc=$2 pkg=$3; shift 3
command -v "$cc" >/dev/null 2>&1 || { echo "MISSING: $cc not installed (Debian package $pkg)"; exit 1; }
size=${cc%gcc}size
fail=0
for elf in "$@"; do
    if [ -f "$elf" ]; then
        "$size" "$elf" | tail -n 1
    else
        echo "BUILD FAILED for $target: $elf"
        cat "$elf.log" 2>/dev/null
        fail=1
    fi
done
exit $fail

#!/bin/sh
# check.sh OUTDIR CC CXX — the one-copy mode (ASYNC_CONFIG_INLINE=0) on a
# three-file program plus the file that defines ASYNC_IMPLEMENTATION:
#  1. it links and runs (all C; and with consumer.c compiled as C++), printing expected.txt;
#  2. nm: every library function is defined in impl.o and in no other object;
#  3. without impl.o it fails to link (the bodies and async_abi_* are missing);
#  4. a file built with another ASYNC_CONFIG_TASK_INFO fails to link, naming it;
#  5. it runs in the other configurations, and with the bodies compiled as C++.
set -u
out=$1 cc=$2 cxx=$3
src=tests/onecopy
C="$cc -std=c99 -Wall -Wextra -pedantic -Werror -O2 -I. -I$src -DASYNC_CONFIG_INLINE=0"
CXXC="$cxx -x c++ -std=c++11 -Wall -Wextra -pedantic -Werror -O2 -I. -I$src -DASYNC_CONFIG_INLINE=0"
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$out" && mkdir -p "$out" || exit 1
# impl.c needs no -D: ASYNC_IMPLEMENTATION alone selects the mode.
$cc -std=c99 -Wall -Wextra -pedantic -Werror -O2 -I. -c $src/impl.c -o "$out/impl.o" || fail "impl.c does not compile"
for f in main producer consumer; do $C -c $src/$f.c -o "$out/$f.o" || fail "$f.c does not compile"; done
$CXXC -c $src/consumer.c -o "$out/consumer_cxx.o" || fail "consumer.c does not compile as C++"

run() { # run NAME LANG OBJS...
    name=$1 lang=$2; shift 2
    [ "$lang" = C ] && ld=$cc || ld=$cxx
    $ld "$@" -o "$out/$name" || fail "$name does not link"
    "$out/$name" >"$out/$name.txt" || fail "$name exits with $?"
    [ "$lang" = C ] && who=c || who=c++
    sed "s/^CONS /$who /" $src/expected.txt | diff -u - "$out/$name.txt" || fail "$name: output differs"
    echo "ok: $name links and prints the expected output"
}
run prog_c C "$out/main.o" "$out/producer.o" "$out/consumer.o" "$out/impl.o"
run prog_cxx CXX "$out/main.o" "$out/producer.o" "$out/consumer_cxx.o" "$out/impl.o"

# 2. Global functions named async_* (library code) per object.
for o in impl main producer consumer consumer_cxx; do
    nm --defined-only -g "$out/$o.o" | awk '$2 == "T" && $3 ~ /^async_/ { print $3 }' | sort >"$out/$o.defs"
done
n=$(wc -l <"$out/impl.defs")
[ "$n" -ge 50 ] || fail "impl.o defines only $n async_* functions"
for s in async_task_create async_loop_run_until_complete async_queue_init async_queue_get_co async_waitset_co; do
    grep -qx "$s" "$out/impl.defs" || fail "impl.o does not define $s"
done
for o in main producer consumer consumer_cxx; do
    [ -s "$out/$o.defs" ] && { echo "$o.o defines library functions too:"; cat "$out/$o.defs"; fail "a second copy in $o.o"; }
    # nor a static copy of one (the inline helpers, e.g. a clock's now_fn, may be)
    nm --defined-only "$out/$o.o" | awk '$2 == "t" { print $3 }' | sort >"$out/$o.locals"
    l=$(comm -12 "$out/impl.defs" "$out/$o.locals")
    [ -z "$l" ] || { echo "$l"; fail "static copies of library functions in $o.o"; }
done
echo "ok: $n library functions, each defined once (impl.o), none in main.o producer.o consumer.o"
for s in async_task_create async_queue_get_co; do
    c=$(nm "$out/prog_cxx" | awk -v s=$s '$3 == s' | wc -l)
    [ "$c" -eq 1 ] || fail "$s is in the program $c times"
done

# 3. Forgetting ASYNC_IMPLEMENTATION.
if $cc "$out/main.o" "$out/producer.o" "$out/consumer.o" -o "$out/noimpl" >"$out/noimpl.log" 2>&1; then
    fail "linked without the ASYNC_IMPLEMENTATION file"
fi
grep -q "undefined reference to .async_task_create" "$out/noimpl.log" || { cat "$out/noimpl.log"; fail "no undefined async_task_create"; }
grep -q "undefined reference to .async_abi_TASK_INFO_1_" "$out/noimpl.log" || { cat "$out/noimpl.log"; fail "no undefined async_abi_*"; }
echo "ok: without ASYNC_IMPLEMENTATION it fails to link (async_task_create, async_abi_* undefined)"

# 4. One file with another layout option.
$C -DASYNC_CONFIG_TASK_INFO=0 -c $src/producer.c -o "$out/producer_ti0.o" || fail "producer.c does not compile with TASK_INFO=0"
if $cc "$out/main.o" "$out/producer_ti0.o" "$out/consumer.o" "$out/impl.o" -o "$out/mixed" >"$out/mixed.log" 2>&1; then
    fail "linked a TASK_INFO=0 file with TASK_INFO=1 bodies"
fi
grep -q "undefined reference to .async_abi_TASK_INFO_0_" "$out/mixed.log" || { cat "$out/mixed.log"; fail "the link error does not name TASK_INFO_0"; }
echo "ok: a file built with ASYNC_CONFIG_TASK_INFO=0 fails to link: $(grep -o 'async_abi_TASK_INFO_0_[A-Z0-9_]*' "$out/mixed.log" | head -1) undefined"

# 5. The other configurations (the same -D in every file), and the bodies
# compiled as C++ for C files.
for opts in "-DASYNC_CONFIG_LABELS=1" "-DASYNC_CONFIG_TASK_INFO=0 -DASYNC_CONFIG_FLOAT=0" "-DASYNC_CONFIG_TRACE=1"; do
    d=$out/cfg; rm -rf "$d"; mkdir -p "$d"
    for f in main producer consumer impl; do $C $opts -c $src/$f.c -o "$d/$f.o" || fail "$opts: $f.c does not compile"; done
    $cc "$d"/*.o -o "$d/prog" || fail "$opts: does not link"
    "$d/prog" | sed 's/^c /CONS /' | diff -u $src/expected.txt - >/dev/null || fail "$opts: output differs"
    echo "ok: $opts: links and prints the expected output"
done
$CXXC -c $src/impl.c -o "$out/impl_cxx.o" || fail "impl.c does not compile as C++"
$cxx "$out/main.o" "$out/producer.o" "$out/consumer.o" "$out/impl_cxx.o" -o "$out/prog_cxximpl" || fail "C files do not link with C++ bodies"
"$out/prog_cxximpl" | sed 's/^c /CONS /' | diff -u $src/expected.txt - >/dev/null || fail "C++ bodies: output differs"
echo "ok: the bodies compiled as C++ serve C files"

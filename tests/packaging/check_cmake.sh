#!/bin/sh
# check_cmake.sh subdir|make-install|cmake-install OUTDIR MAKE — build and run
# the CMake consumers (tests/packaging/cmake_*) against:
#   subdir         the tree itself, by add_subdirectory
#   make-install   a `make install DESTDIR=...` tree, by find_package(async)
#   cmake-install  a `cmake --install` of the tree's own build, by find_package(async)
# A decoy async.h first on the include path must never be picked.
set -u
mode=$1 out=$2 make=${3:-make}
tree=$(pwd)
case $out in /*) ;; *) out=$tree/$out ;; esac
fail() { echo "FAIL: $*"; [ -f "$out/log" ] && tail -n 30 "$out/log"; exit 1; }
command -v cmake >/dev/null || { echo "MISSING: cmake not installed (Debian package cmake)"; exit 1; }
rm -rf "$out" && mkdir -p "$out/decoy" || exit 1
echo "#error naasking/async.h was included" >"$out/decoy/async.h"
flags="-DCMAKE_C_FLAGS=-I$out/decoy -DCMAKE_BUILD_TYPE=Release"
case $mode in
subdir)
    cmake -S tests/packaging/cmake_subdir -B "$out/b" -DASYNC_TREE="$tree" $flags >"$out/log" 2>&1 || fail "configure"
    ;;
make-install)
    $make --no-print-directory -s install PREFIX=/opt/async DESTDIR="$out/inst" >"$out/log" 2>&1 || fail "make install"
    cmake -S tests/packaging/cmake_package -B "$out/b" -DCMAKE_PREFIX_PATH="$out/inst/opt/async" $flags >>"$out/log" 2>&1 || fail "configure"
    ;;
cmake-install)
    cmake -S . -B "$out/self" -DCMAKE_BUILD_TYPE=Release >"$out/log" 2>&1 || fail "configure the tree"
    cmake --build "$out/self" -j2 >>"$out/log" 2>&1 || fail "build the tree"
    cmake --install "$out/self" --prefix "$out/prefix" >>"$out/log" 2>&1 || fail "cmake --install"
    ls "$out/prefix/include"/*.h >/dev/null 2>&1 && fail "headers at the include root"
    cmake -S tests/packaging/cmake_package -B "$out/b" -DCMAKE_PREFIX_PATH="$out/prefix" $flags >>"$out/log" 2>&1 || fail "configure"
    ;;
*) fail "mode $mode" ;;
esac
cmake --build "$out/b" -j2 >>"$out/log" 2>&1 || fail "build"
lib=$(find "$out" -name 'libasync.so*' -path '*lib*' | head -1)
r1=$(LD_LIBRARY_PATH=${lib%/*} "$out/b/consumer") || fail "consumer exits with $?"
r2=$("$out/b/core_only") || fail "core_only exits with $?"
[ "$r1" = "consumer: ok" ] && [ "$r2" = "core: ok" ] || fail "output: $r1 / $r2"
echo "ok: $mode: async::rt and async::core consumers build and run"

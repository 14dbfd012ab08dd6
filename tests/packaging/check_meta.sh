#!/bin/sh
# check_meta.sh OUTDIR — the packages whose tools are not in Debian:
#  - manifests validated (check_meta.py): library.json, zephyr/module.yml and
#    zephyr/Kconfig (kconfiglib), idf_component.yml;
#  - the build scripts run under stand-ins for ESP-IDF's, Zephyr's and the
#    Pico SDK's CMake functions (tests/packaging/{esp_idf,zephyr,pico}): a host
#    program links each package's target and runs, and nm shows one copy of
#    the core (its own object defines no library function, the package's does).
set -u
out=$1
tree=$(pwd)
case $out in /*) ;; *) out=$tree/$out ;; esac
fail() { echo "FAIL: $*"; [ -f "$out/log" ] && tail -n 30 "$out/log"; exit 1; }
rm -rf "$out" && mkdir -p "$out" || exit 1
py=/usr/bin/python3
$py tests/packaging/check_meta.py platformio library.json || exit 1
$py tests/packaging/check_meta.py zephyr zephyr/module.yml "$out/zephyr_config.cmake" || exit 1
$py tests/packaging/check_meta.py esp-idf idf_component.yml || exit 1
for p in esp_idf zephyr pico; do
    b=$out/$p
    cmake -S tests/packaging/$p -B "$b" -DASYNC_TREE="$tree" -DZEPHYR_CONFIG="$out/zephyr_config.cmake" >"$out/log" 2>&1 || fail "$p: configure"
    cmake --build "$b" >>"$out/log" 2>&1 || fail "$p: build"
    [ "$("$b/core_only")" = "core: ok" ] || fail "$p: core_only does not run"
    own=$(find "$b" -name 'core_only.c.o' | head -1)
    impl=$(find "$b" -name 'async_impl.c.o' | head -1)
    [ -n "$own" ] && [ -n "$impl" ] || fail "$p: objects not found"
    nm --defined-only "$own" | grep -q ' T async_' && fail "$p: core_only.c.o has a copy of the library"
    nm --defined-only "$impl" | grep -q ' T async_task_create$' || fail "$p: async_impl.c.o does not define async_task_create"
    echo "ok: $p: the package's target builds a running program with one copy of the core"
done

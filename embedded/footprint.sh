#!/bin/sh
# footprint.sh EMBDIR report|check [README [ASYNC_H]] — the footprint tables of
# embedded/README.md, from the ELFs and objects that embedded/rules.mk and
# embedded/footprint/rules.mk build into EMBDIR.
#   flash = .text + .data (what is programmed), RAM = .data + .bss (static;
#   the stack comes on top). "core" = fp_one_task minus fp_empty.
# check: also fail unless the issue's targets hold: core <= 2048 B of flash on
# Cortex-M0 (lean configuration), a task <= 32 B on 32-bit (lean), and the
# largest example (gather when it exists) fits the ATmega328P with room to
# spare (<= 75 % of its 32 KB flash and of its 2 KB RAM, static); and unless
# README (embedded/README.md) shows exactly these figures, toolchain versions
# included, and unless ASYNC_H (async.h) shows the same sizes in its layout
# block by async_task (report writes that block to EMBDIR/layout.txt). Only
# the peak stacks (measured by `make embedded` in the emulated runs, not by
# `make test`) are not compared.
dir=$1 mode=$2 readme=${3:-embedded/README.md}
fail=0
if [ "$mode" = check ]; then
    tmp=$(mktemp) || exit 1
    sh "$0" "$dir" report >"$tmp"
fi
tool() { case $1 in m0|m3|m4) echo arm-none-eabi-$2 ;; rv32) echo riscv64-unknown-elf-$2 ;; avr) echo avr-$2 ;; host) echo $2 ;; esac; }
# flash and RAM of an ELF: "FLASH RAM"
mem() {
    [ -f "$2" ] || { echo "- -"; return; }
    $(tool $1 size) "$2" | awk 'NR==2 { print $1 + $2, $2 + $3 }'
}
# sizeof from fp_sizes*.o: the size of symbol fp_sizeof_NAME
sz() {
    [ -f "$2" ] || { echo -; return; }
    v=$($(tool $1 nm) -S "$2" | awk -v s="fp_sizeof_$3" '$4 == s { print $2 }')
    [ -n "$v" ] && printf '%d\n' "0x$v" || echo -
}
label() { case $1 in m0) echo "Cortex-M0" ;; m3) echo "Cortex-M3" ;; m4) echo "Cortex-M4" ;; rv32) echo "RV32IMAC" ;; avr) echo "ATmega328P" ;; host) echo "x86-64 host" ;; esac; }
ver() { $1 --version 2>/dev/null | head -n 1 || echo "$1 missing"; }

echo "Toolchains: $(ver arm-none-eabi-gcc); $(ver riscv64-unknown-elf-gcc); $(ver avr-gcc); host $(ver ${CC:-cc})"
echo
echo "Core alone (-Os): flash / static RAM in bytes of a one-task program minus an empty one"
echo
echo "| target | core flash | core RAM | core flash, lean | core RAM, lean |"
echo "|---|---:|---:|---:|---:|"
for t in m0 m3 m4 rv32 avr; do
    set -- $(mem $t "$dir/$t/fp_empty.elf") $(mem $t "$dir/$t/fp_one_task.elf") $(mem $t "$dir/$t/fp_one_task_lean.elf")
    if [ "$1" = - ] || [ "$3" = - ] || [ "$5" = - ]; then
        echo "| $(label $t) | not built | | | |"; fail=1; continue
    fi
    echo "| $(label $t) | $(($3 - $1)) | $(($4 - $2)) | $(($5 - $1)) | $(($6 - $2)) |"
    if [ $t = m0 ] && [ $(($5 - $1)) -gt 2048 ]; then
        echo "TARGET MISSED: core on Cortex-M0 is $(($5 - $1)) B of flash (> 2048)"; fail=1
    fi
done
echo
echo "One copy of the code: two programs split over files, -Os, no LTO; flash / static RAM in bytes minus"
echo "the empty program. fp3 = core + queue + wait_for: a producer, a consumer and a main task that awaits"
echo "the consumer with wait_for, in three files that each use another part of the library; fpw = three"
echo "workers from the same code in three files (+ main), which use the same parts. Each is built as one"
echo "file, split with the all-inline default, and split with one copy (ASYNC_CONFIG_INLINE=0 in every"
echo "file + one ASYNC_IMPLEMENTATION file); embedded/footprint/"
echo
echo "| target | program | one file | split, inline | split, one copy |"
echo "|---|---|---:|---:|---:|"
for t in m0 m3 m4 rv32 avr; do
    for p in fp3 fpw; do
        set -- $(mem $t "$dir/$t/fp_empty.elf") $(mem $t "$dir/$t/${p}_one.elf") $(mem $t "$dir/$t/${p}_inline.elf") $(mem $t "$dir/$t/${p}_onecopy.elf")
        if [ "$1" = - ] || [ "$3" = - ] || [ "$5" = - ] || [ "$7" = - ]; then
            echo "| $(label $t) | $p | not built | | |"; fail=1; continue
        fi
        echo "| $(label $t) | $p | $(($3 - $1)) / $(($4 - $2)) | $(($5 - $1)) / $(($6 - $2)) | $(($7 - $1)) / $(($8 - $2)) |"
    done
done
echo
echo "Bytes per object (sizeof; lean = ASYNC_CONFIG_TASK_INFO=0 ASYNC_CONFIG_FLOAT=0)"
echo
echo "| target | bits | config | frame header | ctx | future | handle | task | timer | callback | coro | loop | value |"
echo "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
: >"$dir/layout.txt"
for t in avr m3 rv32 host; do
    case $t in avr) bits=8 ;; host) bits=64 ;; *) bits=32 ;; esac
    for c in default lean; do
        o=$dir/$t/fp_sizes.o
        [ $c = lean ] && o=$dir/$t/fp_sizes_lean.o
        set -- $(for n in frame_header ctx future handle task timer callback coro loop value; do sz $t $o $n; done)
        echo "| $(label $t) | $bits | $c | $1 | $2 | $3 | $4 | $5 | $6 | $7 | $8 | $9 | ${10} |"
        # the block by async_task in async.h (RV32 is Cortex-M's twin there)
        [ $t != rv32 ] && printf ' *   %-11s %-7s %5s %6s %6s %4s %5s %8s %4s %5s\n' \
            "$(label $t | sed 's/ host//')" $c $2 $3 $4 $5 $6 $7 $8 $1 >>"$dir/layout.txt"
        if [ $c = lean ] && [ $bits = 32 ] && { [ "$5" = - ] || [ "$5" -gt 32 ]; }; then
            echo "TARGET MISSED: a task is $5 B on $(label $t) (> 32)"; fail=1
        fi
    done
done
echo
echo "Examples: flash, and RAM = static (.data + .bss) + peak stack measured in the emulated run"
echo "(the examples keep their frames on main's stack); bytes"
echo
echo "| example | M0 flash | M3 flash | M3 RAM | RV32 flash | RV32 RAM | AVR flash | AVR RAM |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
# RAM of one run: "static + stack = total", or just the static part when the
# example has not been run on that board (make embedded runs them).
ram() {
    st=$(cat "$dir/$1/$2.elf.stack" 2>/dev/null)
    set -- $(mem $1 "$dir/$1/$2.elf")
    if [ -n "$st" ]; then echo "$2 + $st = $(($2 + st))"; else echo "$2 + ?"; fi
}
largest="" lf=0
for e in $(ls "$dir/avr" 2>/dev/null | sed -n 's/\.elf$//p' | grep -v '^fp' | sort); do
    f_m0=$(mem m0 "$dir/m0/$e.elf" | cut -d' ' -f1)
    f_m3=$(mem m3 "$dir/m3/$e.elf" | cut -d' ' -f1)
    f_rv=$(mem rv32 "$dir/rv32/$e.elf" | cut -d' ' -f1)
    f_avr=$(mem avr "$dir/avr/$e.elf" | cut -d' ' -f1)
    r_m3=- r_rv=-
    [ "$f_m3" != - ] && r_m3=$(ram m3 $e)
    [ "$f_rv" != - ] && r_rv=$(ram rv32 $e)
    echo "| $e | $f_m0 | $f_m3 | $r_m3 | $f_rv | $r_rv | $f_avr | $(ram avr $e) |"
    [ "$f_avr" != - ] && [ "$f_avr" -gt "$lf" ] && { lf=$f_avr; largest=$e; }
done
[ -f "$dir/avr/gather.elf" ] && check=gather || check=$largest
if [ -n "$check" ]; then
    set -- $(mem avr "$dir/avr/$check.elf")
    st=$(cat "$dir/avr/$check.elf.stack" 2>/dev/null)
    total=$(($2 + ${st:-0}))
    echo
    echo "Largest example on the ATmega328P: $largest ($lf B of flash)."
    echo "$check on the ATmega328P: $1 B of 32768 B flash, $total B of 2048 B RAM (static $2 + stack ${st:-not measured})."
    if [ "$1" -gt 24576 ] || [ "$total" -gt 1536 ]; then
        echo "TARGET MISSED: $check does not fit the ATmega328P with room to spare (75 % of flash and RAM)"; fail=1
    fi
fi
if [ "$mode" = check ]; then
    # The README's block against this build, the stacks left out.
    norm() { sed -e 's/\([0-9][0-9]*\) + [0-9?][0-9]* = [0-9][0-9]*/\1 + ?/g' -e 's/\([0-9][0-9]*\) + ?/\1 + ?/g' \
                 -e 's/, [0-9]* B of 2048 B RAM (static \([0-9]*\) + stack [^)]*)/, static RAM \1/'; }
    awk '/<!-- footprint:begin/ { f = 1; next } /<!-- footprint:end/ { f = 0 } f' "$readme" | norm >"$tmp.readme"
    norm <"$tmp" >"$tmp.build"
    if ! diff -u "$tmp.readme" "$tmp.build" >"$tmp.diff"; then
        echo
        echo "DRIFT: $readme's footprint tables differ from this build (- README, + build):"
        cat "$tmp.diff"
        echo "(make embedded-readme rewrites them from the current build)"
        fail=1
    else
        echo
        echo "$readme's footprint tables match this build (toolchains included; peak stacks not compared)."
    fi
    # The layout block in async.h (section 8, by async_task) against this build.
    awk '/ \* layout:begin/ { f = 1; next } / \* layout:end/ { f = 0 } f && !/ target /' "${4:-async.h}" >"$tmp.h"
    if ! diff -u "$tmp.h" "$dir/layout.txt" >"$tmp.diff"; then
        echo
        echo "DRIFT: async.h's layout block (by async_task) differs from this build (- async.h, + build):"
        cat "$tmp.diff"
        echo "(make embedded-readme rewrites it from the current build)"
        fail=1
    else
        echo "async.h's layout block (by async_task) matches this build."
    fi
    rm -f "$tmp" "$tmp.readme" "$tmp.build" "$tmp.diff" "$tmp.h"
    exit $fail
fi
exit 0

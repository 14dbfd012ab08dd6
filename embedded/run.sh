#!/bin/sh
# run.sh BOARD ELF HOSTBIN [EXPECTED] — run one cross-built example on an
# emulated board and compare what it prints with the host build of the same
# example run with ASYNC_VIRTUAL_TIME=1 (and with EXPECTED, when that file
# exists). BOARD: m3 (qemu mps2-an385), m4 (qemu mps2-an386), rv32 (qemu
# virt, RV32IMAC), avr (simavr).
# A run that does not finish in time fails; so does a missing emulator, with
# one line naming the Debian package.
board=$1 elf=$2 host=$3 exp=$4
limit=${EMB_RUN_TIMEOUT:-20}
case $board in
m3) emu=qemu-system-arm pkg=qemu-system-arm
    set -- qemu-system-arm -M mps2-an385 -nographic -monitor none -serial none -semihosting-config enable=on,target=native -kernel "$elf" ;;
m4) emu=qemu-system-arm pkg=qemu-system-arm
    set -- qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none -semihosting-config enable=on,target=native -kernel "$elf" ;;
rv32) emu=qemu-system-riscv32 pkg=qemu-system-misc
    set -- qemu-system-riscv32 -M virt -bios none -nographic -monitor none -serial stdio -kernel "$elf" ;;
avr) emu=simavr pkg=simavr
    set -- simavr -m atmega328p -f 16000000 "$elf" ;;
*) echo "run.sh: unknown board $board"; exit 2 ;;
esac
command -v "$emu" >/dev/null 2>&1 || { echo "MISSING: $emu not installed (Debian package $pkg)"; exit 1; }
[ -f "$elf" ] || { echo "not built: $elf"; cat "$elf.log" 2>/dev/null; exit 1; }
[ -x "$host" ] || { echo "host build missing: $host"; cat "$host.log" 2>/dev/null; exit 1; }
out=$elf.out
# QEMU writes the semihosting console to stderr when stdout is not a terminal:
# take both (any message of the emulator's own then fails the comparison).
timeout -k 2 "$limit" "$@" >"$out.raw" 2>&1 </dev/null
rc=$?
[ $rc -eq 124 ] && { echo "HANG: $board run of $elf still running after $limit s"; tail -5 "$out.raw"; exit 1; }
if [ $board = avr ]; then
    # simavr's UART console: each line in colour escapes, the '\n' shown as
    # '.'; its own "Loaded N .text ..." lines are not the program's.
    sed 's/\x1b\[[0-9;]*m//g; s/\.$//; /^Loaded [0-9]* \./d' "$out.raw" | sed '$ { /^$/d }' >"$out"
else
    cp "$out.raw" "$out"
fi
[ $rc -eq 0 ] || { echo "FAIL: $board run exited with status $rc"; cat "$out"; exit 1; }
# The board's last line is its peak stack use (for the footprint report);
# it is not the program's output.
sed -n 's/^board: peak stack \([0-9]*\) B$/\1/p' "$out" >"$elf.stack"
sed -i '/^board: peak stack [0-9]* B$/d' "$out"
ASYNC_VIRTUAL_TIME=1 timeout 10 "$host" >"$out.host" 2>&1
hrc=$?
[ $hrc -eq 0 ] || { echo "FAIL: host run of $host exited with status $hrc"; exit 1; }
if ! diff -u "$out.host" "$out" >"$out.diff"; then
    echo "FAIL: $board output differs from the host's (ASYNC_VIRTUAL_TIME=1):"
    cat "$out.diff"
    exit 1
fi
if [ -n "$exp" ] && [ -f "$exp" ] && ! diff -u "$exp" "$out" >"$out.diff"; then
    echo "FAIL: $board output differs from $exp:"
    cat "$out.diff"
    exit 1
fi
echo "ok: $board prints the host's $(wc -l <"$out") lines"

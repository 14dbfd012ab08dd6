#!/bin/sh
# check_arduino.sh OUTDIR — the Arduino library as the IDE installs it
# (arduino/package.sh assembles it: library.properties, src/, examples/):
#  1. library.properties has the fields the Arduino library specification requires;
#  2. the AsyncBlink sketch, against a stub Arduino.h and only the library's
#     src/ on the include path, runs on the host (3 simulated seconds: the
#     LED/serial trace is expected.txt) and compiles and links for the
#     ATmega328P with avr-g++ (-Os), like the Arduino AVR core.
set -u
out=$1
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$out" && mkdir -p "$out" || exit 1
sh arduino/package.sh "$out" >/dev/null || fail "the library does not assemble"
lib=$out/async_h
/usr/bin/python3 tests/packaging/check_meta.py arduino "$lib/library.properties" || fail "library.properties"
stub=tests/packaging/arduino
sk=$lib/examples/AsyncBlink
[ -f "$sk/AsyncBlink.ino" ] || fail "no examples/AsyncBlink/AsyncBlink.ino"
g++ -x c++ -std=gnu++11 -Wall -Wextra -Werror -O1 -I$stub -I$sk -I"$lib/src" $stub/harness.cpp -o "$out/host" || fail "host build"
"$out/host" >"$out/trace.txt" || fail "host run exits with $?"
diff -u $stub/expected.txt "$out/trace.txt" || fail "the sketch's trace differs"
echo "ok: AsyncBlink runs on the host: LED every 500 ms, serial every second"
command -v avr-g++ >/dev/null || fail "MISSING: avr-g++ not installed (Debian package gcc-avr)"
avr-g++ -x c++ -std=gnu++11 -mmcu=atmega328p -DF_CPU=16000000UL -Os -Wall -Wextra -Werror \
    -ffunction-sections -fdata-sections -fno-exceptions -fno-threadsafe-statics \
    -I$stub -I$sk -I"$lib/src" $stub/harness.cpp -Wl,--gc-sections -o "$out/avr.elf" || fail "avr-g++ build"
echo "ok: AsyncBlink compiles and links for the ATmega328P: $(avr-size "$out/avr.elf" | awk 'NR==2 { print $1 + $2 " B flash, " $2 + $3 " B static RAM" }')"

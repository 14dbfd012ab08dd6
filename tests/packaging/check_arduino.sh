#!/bin/sh
# check_arduino.sh OUTDIR — the Arduino library as the IDE installs it
# (arduino/package.sh assembles it: library.properties, src/, examples/):
#  1. library.properties has the fields the Arduino library specification requires;
#  2. the AsyncBlink sketch, against a stub Arduino.h and only the library's
#     src/ on the include path, runs on the host (3 simulated seconds: the
#     LED/serial trace is expected.txt) and compiles and links for the
#     ATmega328P with avr-g++ (-Os), like the Arduino AVR core;
#  3. arduino-builder builds it for the Uno with the real core (below).
set -u
out=$1
case $out in /*) ;; *) out=$(pwd)/$out ;; esac
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

# 3. The real thing: arduino-builder (Debian) builds the sketch for the Uno
# against Debian's Arduino AVR core, with the library installed in a
# libraries folder (it must find it from #include <async_h.h>), -Wall -Wextra.
# Debian's core does not build with its avr-gcc as is: WString.cpp wants
# DECIMAL_DIG, which that gcc's <float.h> leaves out in C++.
command -v arduino-builder >/dev/null || fail "MISSING: arduino-builder not installed (Debian packages arduino-builder arduino-core-avr)"
hw=/usr/share/arduino/hardware
[ -f $hw/arduino/avr/platform.txt ] || fail "MISSING: the Arduino AVR core (Debian package arduino-core-avr)"
mkdir -p "$out/libraries" "$out/bp" && cp -r "$lib" "$out/libraries/" && cp -r "$sk" "$out/sketch"
timeout 120 arduino-builder -compile -hardware $hw -tools /usr/bin -libraries "$out/libraries" -fqbn arduino:avr:uno \
    -build-path "$out/bp" -warnings all -prefs=runtime.ide.version=10819 \
    -prefs=tools.ctags.path=/usr/bin -prefs='tools.ctags.cmd.path={path}/arduino-ctags' \
    -prefs='tools.ctags.pattern="{cmd.path}" -u --language-force=c++ -f - --c++-kinds=svpf --fields=KSTtzns --line-directives "{source_file}"' \
    -prefs=compiler.cpp.extra_flags=-DDECIMAL_DIG=17 "$out/sketch/AsyncBlink.ino" >"$out/builder.log" 2>&1 ||
    { tail -n 30 "$out/builder.log"; fail "arduino-builder"; }
[ -f "$out/bp/AsyncBlink.ino.hex" ] || fail "arduino-builder made no hex"
if grep -E '(async|AsyncBlink)[^ ]*:[0-9]+:[0-9]+: (warning|error)' "$out/builder.log"; then fail "warnings in the library or the sketch"; fi
echo "ok: arduino-builder builds AsyncBlink for the Uno: $(grep -o 'Sketch uses [0-9]* bytes' "$out/builder.log"), $(grep -o 'Global variables use [0-9]* bytes' "$out/builder.log")"

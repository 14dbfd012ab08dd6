#!/bin/sh
# package.sh OUTDIR — assemble the Arduino library OUTDIR/async_h (and a zip
# when zip is installed: Sketch > Include Library > Add .ZIP Library). The
# repository's root cannot be the library: its src/ is the libev runtime,
# which the IDE would compile. Layout (Arduino library specification 1.5):
#   library.properties  src/async_h.h  src/async/async.h  examples/AsyncBlink/
set -e
out=$1
lib=$out/async_h
rm -rf "$lib" && mkdir -p "$lib/src/async" "$lib/examples"
cp arduino/library.properties LICENSE "$lib/"
cp arduino/async_h.h "$lib/src/"
cp async.h "$lib/src/async/async.h"
cp -r arduino/examples/AsyncBlink "$lib/examples/"
if command -v zip >/dev/null; then (cd "$out" && rm -f async_h.zip && zip -qr async_h.zip async_h); fi
echo "$lib"

#!/bin/sh
# deps.sh PKG... — install the Debian packages that are missing, or stop and
# name them. Used by `make test`, `make run` and `make bench`.
missing=""
for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing missing packages:$missing"
if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else SUDO=none; fi
if [ "$SUDO" != none ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    # A stale package list is the usual reason an install fails: refresh and retry once.
    $SUDO apt-get install -y -q $missing >/tmp/async-deps.log 2>&1 ||
        { $SUDO apt-get update -q >>/tmp/async-deps.log 2>&1 && $SUDO apt-get install -y -q $missing >>/tmp/async-deps.log 2>&1; } && exit 0
    tail -5 /tmp/async-deps.log
fi
echo "error: cannot install:$missing — please run: apt-get install$missing" >&2
exit 1

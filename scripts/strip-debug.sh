#!/usr/bin/env bash
# strip-debug.sh IN OUT: writes OUT, IN stripped of its debug info and unneeded symbols, and
# OUT.debug, the debug info alone; OUT names OUT.debug in its .gnu_debuglink section, so gdb and
# perf find it beside OUT or in a .debug/ directory next to it (and by build id under
# /usr/lib/debug/.build-id/, where the Debian -dbgsym packages put it).
set -euo pipefail
if [ $# -ne 2 ]; then
    echo "usage: $0 IN OUT" >&2
    exit 2
fi
in=$1
out=$2
if [ ! -f "$in" ]; then
    echo "$0: $in: no such file (run make build)" >&2
    exit 1
fi
objcopy --only-keep-debug "$in" "$out.debug"
chmod 0644 "$out.debug"
objcopy --strip-debug --strip-unneeded --remove-section=.comment \
        --add-gnu-debuglink="$out.debug" "$in" "$out.tmp"
mv "$out.tmp" "$out"

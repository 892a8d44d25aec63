#!/bin/bash
# Seeds for the `incoming` fuzz target from real traffic: the C test programs (make test-c) run on
# a private bus while `dbus-monitor --binary` records every message the bus delivers; then
# fuzz/split_capture.py cuts the capture into seed files. Run from the repository root after
# `make target/release/test_call target/release/test_serve`:
#     fuzz/capture-seeds.sh [OUT_DIR]   (default fuzz/seeds/incoming)
set -euo pipefail
out=${1:-fuzz/seeds/incoming}
capture=$(mktemp)
trap 'rm -f "$capture"' EXIT
dbus-run-session --config-file=tests/support/bus.conf -- bash -c '
    dbus-monitor --binary > "$1" & monitor=$!
    sleep 0.5
    target/release/test_call > /dev/null
    target/release/test_serve > /dev/null
    sleep 0.5
    kill $monitor' capture "$capture"
/usr/bin/python3 fuzz/split_capture.py "$capture" "$out"

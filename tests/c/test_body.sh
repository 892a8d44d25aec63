#!/usr/bin/env bash
# Runs tests/c/test_body.c's program (path given as $1, optionally under the command in
# $VALGRIND) on the private bus in DBUS_SESSION_BUS_ADDRESS, with the peers it talks to: two
# GDBus echoes (tests/support/gdbus_echo.py), one answering little endian as
# org.example.Numbers, one big endian as net.skypebus.BigEndian. Never leaves a peer running.
set -euo pipefail
program=${1:?usage: test_body.sh path/to/test_body}
: "${DBUS_SESSION_BUS_ADDRESS:?must point at a private bus}"
cd "$(dirname "$0")/../.."
/usr/bin/python3 tests/support/gdbus_echo.py org.example.Numbers >/dev/null 2>&1 &
little=$!
/usr/bin/python3 tests/support/gdbus_echo.py net.skypebus.BigEndian --big-endian >/dev/null 2>&1 &
big=$!
trap 'kill "$little" "$big" 2>/dev/null || true' EXIT
# shellcheck disable=SC2086
${VALGRIND:-} "$program"

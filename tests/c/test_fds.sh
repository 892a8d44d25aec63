#!/usr/bin/env bash
# Runs tests/c/test_fds.c's program (path given as $1, optionally under the command in
# $VALGRIND) on the private bus in DBUS_SESSION_BUS_ADDRESS, with the peers it talks to:
# dbusmock's logind template and the GDBus service tests/support/fd_service.py. Never leaves a
# peer running.
set -euo pipefail
program=${1:?usage: test_fds.sh path/to/test_fds}
: "${DBUS_SESSION_BUS_ADDRESS:?must point at a private bus}"
cd "$(dirname "$0")/../.."
/usr/bin/python3 -m dbusmock --session --template logind >/dev/null 2>&1 &
logind=$!
/usr/bin/python3 tests/support/fd_service.py net.skypebus.Fds >/dev/null 2>&1 &
service=$!
trap 'kill "$logind" "$service" 2>/dev/null || true' EXIT
# shellcheck disable=SC2086
${VALGRIND:-} "$program"

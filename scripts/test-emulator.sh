#!/usr/bin/env bash
# The Skype emulator checked against a client we did not write (dbus-python + dbusmock).
# Each test starts its own private dbus-daemon and emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
export SKYPEBUS_EMULATOR="$PWD/target/release/skypebus-skype-emulator"
/usr/bin/python3 tests/skype/test_emulator_dbus_python.py

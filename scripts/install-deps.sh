#!/usr/bin/env bash
# Installs what the demo and the tests need on a fresh Debian 12 machine (as root), and the
# pinned cbindgen. Quiet and quick when everything is already there.
set -euo pipefail

PACKAGES=(
  php8.2-cli php-cli php8.2-opcache php8.2-xml phpunit composer php-psr-log php-codesniffer php-amphp-amp
  dbus-daemon dbus-bin
  python3-dbus python3-dbusmock python3-gi gir1.2-glib-2.0 libglib2.0-bin
  systemd valgrind gcc make
  dpkg-dev lintian help2man pkg-config binutils git
)
# `scripts/install-deps.sh --bench` (what `make bench` runs) adds what the benchmarks build:
# pecl/dbus, the compiled extension they compare with (bench/README.md, "pecl/dbus").
if [ "${1:-}" = "--bench" ]; then
  PACKAGES+=(php8.2-dev libdbus-1-dev)
fi
CBINDGEN_VERSION=0.29.2

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm (for the PHP 7.4 and 8.x checks through php-wasm): the machine's own if it has
# them (they may not come from Debian), Debian's otherwise.
command -v npm >/dev/null || missing+=(nodejs npm)
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "not root: install these packages first: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cbindgen >/dev/null || [ "$(cbindgen --version)" != "cbindgen $CBINDGEN_VERSION" ]; then
  echo "installing cbindgen $CBINDGEN_VERSION"
  cargo install cbindgen --version "$CBINDGEN_VERSION" --locked --quiet
fi

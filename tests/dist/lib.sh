# Shared by tests/dist/run.sh and tests/dist/system.sh (sourced, from the repository root):
# the version numbers, the check helpers, the private bus, the docs' programs.
export LC_ALL=C.UTF-8
unset SKYPEBUS_LIBRARY
repo=$PWD

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
fail() { failed=$((failed + 1)); echo "FAILED: $*" >&2; }
# check DESCRIPTION COMMAND...: one test, passed when COMMAND succeeds.
check() {
    local what=$1; shift
    if "$@"; then ok "$what"; else fail "$what"; fi
}
# passes DESCRIPTION COMMAND...: as check, and returns COMMAND's success (for an if).
passes() {
    local what=$1; shift
    if "$@"; then ok "$what"; else fail "$what"; return 1; fi
}
same() { # same WHAT EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then ok "$1 ($3)"; else fail "$1: expected '$2', got '$3'"; fi
}
# quiet COMMAND...: runs COMMAND, showing its output only when it fails.
quiet() {
    local log=$scratch/quiet.log
    if "$@" > "$log" 2>&1; then return 0; fi
    sed 's/^/   | /' "$log" >&2
    return 1
}
block() { tests/dist/doc_block.py "$@"; }
# run_block FILE NAME DIR: runs the shell block NAME of FILE in DIR, as written (quietly).
run_block() {
    local script
    script=$(block "$1" "$2") || return 1
    quiet bash -euo pipefail -c "cd \"\$1\" && $script" run_block "$3"
}
# on_bus COMMAND...: runs COMMAND with a private session bus (the daemon's own lines dropped).
on_bus() { dbus-run-session --config-file="$repo/tests/support/bus.conf" -- "$@" 2> >(grep -v '^dbus-daemon\[' >&2); }

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
abi=$(sed -n '/^\[package.metadata.skypebus\]/,/^\[/s/^abi *= *\([0-9][0-9]*\).*/\1/p' Cargo.toml)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
sofile=libskypebus.so.$abi.$(echo "$version" | cut -d. -f2-3)
# Our Debian packages, all of them.
packages=(libskypebus$abi libskypebus$abi-dbgsym libskypebus-dev php-skypebus skypebus-skype-emulator
          skypebus-skype-emulator-dbgsym)

probe() { # probe LIBRARY: "version abi" as the library reports them
    php -d ffi.enable=1 -r '$f = FFI::cdef("const char *skypebus_version(void); uint32_t skypebus_abi_version(void);", $argv[1]);
        echo $f->skypebus_version(), " ", $f->skypebus_abi_version();' "$1"
}
soname() { readelf -d "$1" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p'; }
build_id() { readelf -n "$1" | sed -n 's/.*Build ID: //p'; }

# The C program of docs/c.md, and what it must print.
hello_c=$(block docs/c.md hello.c)
hello_ok() { # hello_ok OUTPUT
    [[ "$1" =~ ^"failed as expected: org.freedesktop.DBus.Error.ServiceUnknown"$'\n'"libskypebus $version: {\"type\":\"s\",\"data\":[\""[0-9a-f]{32}"\"]}"$ ]]
}
# The README's PHP example, and what it must print.
readme_example=$(python3 -c '
import re, sys
m = re.search(r"<!-- example -->\s*```php\n(.*?)```", open(sys.argv[1]).read(), re.S)
sys.stdout.write(m.group(1))' README.md)
example_ok() { # example_ok OUTPUT
    [[ "$1" == *"My unique name: :"* && "$1" == *"org.freedesktop.DBus is owned by org.freedesktop.DBus"* ]]
}

composer_env=(env COMPOSER_HOME="$scratch/composer-home" COMPOSER_CACHE_DIR="$scratch/composer-cache"
              COMPOSER_ALLOW_SUPERUSER=1 COMPOSER_NO_INTERACTION=1)
# composer_project DIR: an empty project with Packagist off (the tests use no network).
composer_project() {
    mkdir -p "$1"
    echo '{"name": "example/app", "repositories": {"packagist.org": false}}' > "$1/composer.json"
}

# What of ours the machine has installed: packages, linker cache entries, files under /usr/local.
installed_state() {
    dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${packages[@]}" 2>/dev/null || true
    ldconfig -p | grep skypebus || true
    find /usr/local -name '*skypebus*' 2>/dev/null || true
}

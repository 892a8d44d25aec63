#!/usr/bin/env bash
# The packaging tests (make test-dist, part of make test), as root on a Debian machine:
#  1. versions and ABI numbers agree everywhere, LICENSE matches the declared licence;
#  2. every code block of docs/installing.md and docs/c.md is one this script runs;
#  3. make install / uninstall into a DESTDIR: the file tree, SONAME, stripped library with its
#     debug info apart, a C program built through pkg-config;
#  4. the README install lines for Composer, exactly as written, in a scratch project;
#  5. make install into /usr/local as docs/installing.md says (pkg-config, static link), then
#     make uninstall leaves nothing;
#  6. the Debian packages: make deb, lintian, dpkg -i of all of them, the C example through
#     pkg-config, a PHP script using only /usr/share/php/SkypeBus/autoload.php, the emulator, a
#     scratch Composer project outside the repository without SKYPEBUS_LIBRARY, then dpkg --purge
#     leaves nothing; and the documented apt install / apt purge lines.
# Every program talks to a private dbus-daemon. Packages of ours left by an earlier, interrupted
# run are purged first.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
export LC_ALL=C.UTF-8
unset SKYPEBUS_LIBRARY

passed=0
failed=0
scratch=$(mktemp -d /tmp/skypebus-dist.XXXXXX)
packages=(libskypebus0 libskypebus0-dbgsym libskypebus-dev php-skypebus skypebus-skype-emulator
          skypebus-skype-emulator-dbgsym)
cleanup() {
    # Nothing of ours stays on the machine, whatever failed.
    if [ "$(id -u)" = 0 ]; then
        make --no-print-directory -s uninstall >/dev/null 2>&1 || true
        for p in "${packages[@]}"; do
            if dpkg-query -W "$p" >/dev/null 2>&1; then dpkg --purge "$p" >/dev/null 2>&1 || true; fi
        done
    fi
    rm -rf "$scratch"
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); echo "ok: $*"; }
fail() { failed=$((failed + 1)); echo "FAILED: $*" >&2; }
# check DESCRIPTION COMMAND...: one test, passed when COMMAND succeeds.
check() {
    local what=$1; shift
    if "$@"; then ok "$what"; else fail "$what"; fi
}
same() { # same WHAT EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then ok "$1 ($3)"; else fail "$1: expected '$2', got '$3'"; fi
}
block() { tests/dist/doc_block.py "$@"; }
# on_bus COMMAND...: runs COMMAND with a private session bus (stderr of the daemon dropped).
on_bus() { dbus-run-session --config-file="$repo/tests/support/bus.conf" -- "$@" 2> >(grep -v '^dbus-daemon\[' >&2); }
# quiet COMMAND...: runs COMMAND, showing its output only when it fails.
quiet() {
    local log=$scratch/quiet.log
    if "$@" > "$log" 2>&1; then return 0; fi
    sed 's/^/   | /' "$log" >&2
    return 1
}
# run_block FILE NAME DIR: runs the shell block NAME of FILE in DIR, as written (quietly).
run_block() {
    local script
    script=$(block "$1" "$2") || return 1
    quiet bash -euo pipefail -c "cd \"\$1\" && $script" run_block "$3"
}
# The C program of docs/c.md, and what it must print.
hello_c=$(block docs/c.md hello.c)
hello_ok() { # hello_ok OUTPUT
    [[ "$1" =~ ^"failed as expected: org.freedesktop.DBus.Error.ServiceUnknown"$'\n'"libskypebus $version: {\"type\":\"s\",\"data\":[\"[0-9a-f]{32}\"]}"$ ]]
}

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
abi=$(sed -n '/^\[package.metadata.skypebus\]/,/^\[/s/^abi *= *\([0-9][0-9]*\).*/\1/p' Cargo.toml)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
echo "== skypebus $version, ABI $abi ($multiarch)"

# --- 1. versions -------------------------------------------------------------------------------
echo "== versions and licence"
probe() { # probe LIBRARY: "version abi" as the library reports them
    php -d ffi.enable=1 -r '$f = FFI::cdef("const char *skypebus_version(void); uint32_t skypebus_abi_version(void);", $argv[1]);
        echo $f->skypebus_version(), " ", $f->skypebus_abi_version();' "$1"
}
soname() { readelf -d "$1" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p'; }
php_const() { php -r 'require "php-ffi/src/Library.php"; echo constant("SkypeBus\\Library::" . $argv[1]);' "$1"; }
same "skypebus_version() and skypebus_abi_version() of target/release" "$version $abi" "$(probe target/release/libskypebus.so)"
same "SONAME of target/release/libskypebus.so" "libskypebus.so.$abi" "$(soname target/release/libskypebus.so)"
same "the header's SKYPEBUS_ABI_VERSION" "$abi" "$(sed -n 's/^#define SKYPEBUS_ABI_VERSION \([0-9]*\)$/\1/p' include/skypebus.h)"
same "the header's FFI_LIB" "libskypebus.so.$abi" "$(sed -n 's/^#define FFI_LIB "\(.*\)"$/\1/p' include/skypebus.h)"
same "SkypeBus\\Library::VERSION" "$version" "$(php_const VERSION)"
same "SkypeBus\\Library::ABI_VERSION" "$abi" "$(php_const ABI_VERSION)"
same "SkypeBus\\Library::SONAME" "libskypebus.so.$abi" "$(php_const SONAME)"
same "packaging/debian/changelog" "$version" "$(dpkg-parsechangelog -l packaging/debian/changelog -S Version)"
same "the runtime package's name" "libskypebus$abi" \
    "$(sed -n 's/^Package: \(libskypebus[0-9][0-9]*\)$/\1/p' packaging/debian/control)"
same "skypebus-skype-emulator --version" "skypebus-skype-emulator $version" \
    "$(target/release/skypebus-skype-emulator --version)"
same "the composer branch alias of dev-main" "$(echo "$version" | cut -d. -f1-2).x-dev" \
    "$(php -r 'echo json_decode(file_get_contents("php-ffi/composer.json"))->extra->{"branch-alias"}->{"dev-main"};')"
check "CHANGELOG.md has a section for $version (Keep a Changelog)" \
    grep -qE "^## \[$version\] - [0-9]{4}-[0-9]{2}-[0-9]{2}$" CHANGELOG.md
check "CHANGELOG.md keeps an Unreleased section" grep -qx '## \[Unreleased\]' CHANGELOG.md
same "licence in Cargo.toml" MIT "$(sed -n 's/^license = "\(.*\)"/\1/p' Cargo.toml)"
same "licence in composer.json" MIT "$(php -r 'echo json_decode(file_get_contents("php-ffi/composer.json"))->license;')"
check "LICENSE is the MIT licence" grep -q '^MIT License$' LICENSE
check "php-ffi/LICENSE is LICENSE" cmp -s LICENSE php-ffi/LICENSE

# --- 2. the docs' code blocks ------------------------------------------------------------------
echo "== docs: every code block is run here"
check "docs/installing.md and docs/c.md have no untested code block" \
    tests/dist/doc_block.py --check docs/installing.md docs/c.md

# --- 3. make install into a DESTDIR ------------------------------------------------------------
echo "== make install DESTDIR=..."
dest=$scratch/destdir
libdir=/usr/lib/$multiarch
make --no-print-directory -s install DESTDIR="$dest" PREFIX=/usr LIBDIR="$libdir" >/dev/null
sofile=libskypebus.so.$abi.$(echo "$version" | cut -d. -f2-3)
expected="usr/include/skypebus.h
usr/lib/$multiarch/.debug/$sofile.debug
usr/lib/$multiarch/$sofile
usr/lib/$multiarch/libskypebus.a
usr/lib/$multiarch/libskypebus.so -> libskypebus.so.$abi
usr/lib/$multiarch/libskypebus.so.$abi -> $sofile
usr/lib/$multiarch/pkgconfig/skypebus.pc"
same "installed files" "$expected" \
    "$(cd "$dest" && find . -type f -printf '%P\n' -o -type l -printf '%P -> %l\n' | sort)"
installed=$dest$libdir/$sofile
same "installed SONAME" "libskypebus.so.$abi" "$(soname "$installed")"
check "the installed library has no debug sections" \
    bash -c "! readelf -S '$installed' | grep -q '\.debug_'"
check "the .debug file has the debug info" bash -c "readelf -S '$dest$libdir/.debug/$sofile.debug' | grep -q '\.debug_info'"
same "the library names its debug file (.gnu_debuglink)" "$sofile.debug" \
    "$(readelf --string-dump=.gnu_debuglink "$installed" | sed -n 's/^ *\[ *0\] *//p')"
build_id() { readelf -n "$1" | sed -n 's/.*Build ID: //p'; }
same "the build id of the .debug file" "$(build_id "$installed")" "$(build_id "$dest$libdir/.debug/$sofile.debug")"
same "the installed library's version and ABI" "$version $abi" "$(probe "$installed")"
check "the static library has no debug sections" bash -c "! readelf -S '$dest$libdir/libskypebus.a' | grep -q '\.debug_info'"
echo "   installed library: $(stat -c %s "$installed") bytes (the release build: $(stat -c %s target/release/libskypebus.so))"
printf '%s' "$hello_c" > "$scratch/hello.c"
pc_env=(env PKG_CONFIG_SYSROOT_DIR="$dest" PKG_CONFIG_LIBDIR="$dest$libdir/pkgconfig")
same "pkg-config --modversion" "$version" "$("${pc_env[@]}" pkg-config --modversion skypebus)"
# shellcheck disable=SC2046
if cc -std=c11 -Wall -Wextra -Werror -o "$scratch/hello-destdir" "$scratch/hello.c" \
        $("${pc_env[@]}" pkg-config --cflags --libs skypebus); then
    out=$(LD_LIBRARY_PATH="$dest$libdir" on_bus "$scratch/hello-destdir")
    if hello_ok "$out"; then ok "docs/c.md's program against the DESTDIR files"; else fail "hello printed: $out"; fi
else
    fail "docs/c.md's program does not build against the DESTDIR files"
fi
make --no-print-directory -s uninstall DESTDIR="$dest" PREFIX=/usr LIBDIR="$libdir" >/dev/null
same "files left after make uninstall" "" "$(find "$dest" -not -type d)"

# --- 4. the README install lines for Composer --------------------------------------------------
echo "== Composer: the README install lines, as written"
# A snapshot of the working tree as a checkout of main (a user's clone), with this build's target/.
checkout=$scratch/skypebus
mkdir -p "$checkout"
git ls-files -co --exclude-standard -z | tar -c --null --ignore-failed-read -T - 2>/dev/null | tar -x -C "$checkout"
(cd "$checkout" && git init -q -b main && git add -A &&
    git -c user.name=test -c user.email=test@localhost commit -qm snapshot)
ln -s "$repo/target" "$checkout/target"
composer_env=(env COMPOSER_HOME="$scratch/composer-home" COMPOSER_CACHE_DIR="$scratch/composer-cache"
              COMPOSER_ALLOW_SUPERUSER=1 COMPOSER_NO_INTERACTION=1)
# composer_project DIR: an empty project with Packagist off (this machine has no Packagist).
composer_project() {
    mkdir -p "$1"
    echo '{"name": "example/app", "repositories": {"packagist.org": false}}' > "$1/composer.json"
}
readme_example=$(python3 -c '
import re, sys
m = re.search(r"<!-- example -->\s*```php\n(.*?)```", open(sys.argv[1]).read(), re.S)
sys.stdout.write(m.group(1))' README.md)
example_ok() { # example_ok OUTPUT
    [[ "$1" == *"My unique name: :"* && "$1" == *"org.freedesktop.DBus is owned by org.freedesktop.DBus"* ]]
}
for doc in README.md php-ffi/README.md docs/installing.md; do
    lines=$(python3 - "$doc" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
for body in re.findall(r"```sh\n(.*?)```", text, re.S):
    for line in body.splitlines():
        if line.startswith("composer "):
            print(line)
PY
)
    if [ -z "$lines" ]; then fail "$doc shows no composer line"; continue; fi
    project=$scratch/readme-$(basename "$(dirname "$doc")")-$(basename "$doc" .md)
    composer_project "$project"
    if (cd "$project" && "${composer_env[@]}" bash -euo pipefail -c "${lines//\/path\/to\/skypebus/$checkout}") \
            > "$project.log" 2>&1; then
        printf '%s' "$readme_example" > "$project/example.php"
        out=$(cd "$project" && on_bus php example.php 2>&1) || true
        if example_ok "$out"; then
            ok "$doc: $(echo "$lines" | tr '\n' ';') then the README example"
        else
            fail "$doc: the README example after its install lines printed: $out"
        fi
    else
        fail "$doc: its composer lines failed: $(cat "$project.log")"
    fi
done
# The composer.json form of php-ffi/README.md.
project=$scratch/readme-json
mkdir -p "$project"
python3 - php-ffi/README.md "$checkout" > "$project/composer.json" <<'PY'
import json, re, sys
block = re.search(r"```json\n(.*?)```", open(sys.argv[1]).read(), re.S).group(1)
data = json.loads(block.replace("/path/to/skypebus", sys.argv[2]))
data["repositories"].append({"packagist.org": False})
print(json.dumps(data))
PY
check "php-ffi/README.md's composer.json installs" \
    bash -c "cd '$project' && ${composer_env[*]} composer install --no-progress -q"

if [ "$(id -u)" != 0 ]; then
    echo "FAILED: the installation tests (sections 5 and 6) need root (as make test runs on CI)" >&2
    echo "$passed passed, $((failed + 1)) failed"
    exit 1
fi

# Leftovers of an interrupted run are removed first (they are this repository's own files).
for p in "${packages[@]}"; do
    if dpkg-query -W "$p" >/dev/null 2>&1; then echo "   purging $p left by an earlier run"; dpkg --purge "$p" >/dev/null; fi
done
make --no-print-directory -s uninstall >/dev/null

# --- 5. make install into the system, as docs/installing.md says -------------------------------
echo "== make install (PREFIX=/usr/local), docs/installing.md"
c_dir=$scratch/c-usr-local
mkdir -p "$c_dir"
printf '%s' "$hello_c" > "$c_dir/hello.c"
check "docs/installing.md: make build; make install" run_block docs/installing.md make-install "$repo"
check "the library is on the linker path" bash -c "ldconfig -p | grep -q '^\s*libskypebus.so.$abi .*=> /usr/local/lib/libskypebus.so.$abi$'"
if run_block docs/installing.md pkg-config-static "$c_dir"; then
    out=$(on_bus "$c_dir/hello")
    if hello_ok "$out"; then ok "docs/installing.md: the program built with pkg-config"; else fail "hello printed: $out"; fi
    out=$(on_bus "$c_dir/hello-static")
    if hello_ok "$out"; then ok "docs/installing.md: the program linked statically"; else fail "hello-static printed: $out"; fi
    check "the statically linked program needs no libskypebus" \
        bash -c "! readelf -d '$c_dir/hello-static' | grep -q 'NEEDED.*libskypebus'"
else
    fail "docs/installing.md: the pkg-config build commands failed"
fi
check "docs/installing.md: make uninstall" run_block docs/installing.md make-uninstall "$repo"
same "files left in /usr/local" "" "$(find /usr/local -name '*skypebus*' 2>/dev/null)"
check "the linker cache forgot it" bash -c "! ldconfig -p | grep -q libskypebus"

# --- 6. the Debian packages --------------------------------------------------------------------
echo "== Debian packages"
check "docs/installing.md: make deb" run_block docs/installing.md make-deb "$repo"
debs=()
for p in "${packages[@]}"; do
    a=$arch
    [ "$p" = php-skypebus ] && a=all
    f=target/debian/${p}_${version}_$a.deb
    if [ -f "$f" ]; then debs+=("$f"); else fail "make deb made no $f"; fi
done
same "packages in target/debian" "${#packages[@]}" "$(find target/debian -name '*.deb' | wc -l)"
for f in "${debs[@]}"; do
    same "version of $(basename "$f")" "$version" "$(dpkg-deb -f "$f" Version)"
done
same "libskypebus-dev depends on" "libskypebus$abi (= $version)" "$(dpkg-deb -f target/debian/libskypebus-dev_"${version}"_"$arch".deb Depends)"
check "php-skypebus depends on the runtime package and php-cli" \
    bash -c "dpkg-deb -f target/debian/php-skypebus_${version}_all.deb Depends | grep -qx 'libskypebus$abi (>= $version), php-cli'"
check "libskypebus$abi declares its shlibs and the ldconfig trigger" bash -c \
    "dpkg-deb -I target/debian/libskypebus${abi}_${version}_$arch.deb shlibs | grep -qx 'libskypebus $abi libskypebus$abi (>= $version)' &&
     dpkg-deb -I target/debian/libskypebus${abi}_${version}_$arch.deb triggers | grep -qx 'activate-noawait ldconfig'"
# lintian (--no-cfg: the machine's settings do not matter); root is fine for a test.
lint=$(lintian --no-cfg --fail-on error,warning "${debs[@]}" 2>&1 | grep -v '^running with root privileges') &&
    ok "lintian: no errors or warnings${lint:+ ($(echo "$lint" | wc -l) notes)}" || fail "lintian: $lint"
[ -n "$lint" ] && echo "$lint" | sed 's/^/   /'

check "dpkg -i of every package" quiet dpkg -i "${debs[@]}"
echo "   the installed packages:"
for p in "${packages[@]}"; do
    echo "   $p ($(dpkg-query -W -f='${Installed-Size}' "$p") KiB):"
    dpkg -L "$p" | while read -r f; do
        if [ -L "$f" ]; then echo "     $f -> $(readlink "$f")";
        elif [ -f "$f" ]; then echo "     $f ($(stat -c %s "$f") bytes)"; fi
    done
done
check "libskypebus.so.$abi is on the linker path" bash -c "ldconfig -p | grep -q '^\s*libskypebus.so.$abi .*=> $libdir/libskypebus.so.$abi$'"
same "pkg-config --modversion skypebus" "$version" "$(pkg-config --modversion skypebus)"
id=$(build_id "$libdir/$sofile")
check "the -dbgsym package has the library's debug info by build id" \
    test -f "/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug"
deb_c=$scratch/c-deb
mkdir -p "$deb_c"
printf '%s' "$hello_c" > "$deb_c/hello.c"
block docs/c.md c-makefile > "$deb_c/Makefile"
for how in c-pkg-config c-makefile; do
    rm -f "$deb_c/hello"
    if [ $how = c-pkg-config ]; then run_block docs/c.md c-pkg-config "$deb_c"; else make -s -C "$deb_c" hello >/dev/null; fi &&
        out=$(on_bus "$deb_c/hello") && hello_ok "$out" &&
        ok "docs/c.md ($how): the program against the Debian packages" ||
        fail "docs/c.md ($how) against the Debian packages: ${out:-does not build}"
done
# The PHP package alone: its autoloader, the library from the linker path, outside the repository.
php_dir=$scratch/php-deb
mkdir -p "$php_dir"
block docs/installing.md debian-php > "$php_dir/script.php"
out=$(cd "$php_dir" && on_bus php script.php 2>&1) || true
if [[ "$out" =~ ^"libskypebus $version from libskypebus.so.$abi"$'\n'"Bus id: "[0-9a-f]{32}$ ]]; then
    ok "docs/installing.md: the PHP script with only SkypeBus/autoload.php"
else
    fail "the PHP script with SkypeBus/autoload.php printed: $out"
fi
# The emulator of its package, answering the Skype helper of the PHP package.
out=$(cd "$php_dir" && on_bus bash -c '
    skypebus-skype-emulator --exit-when-idle-ms 10000 --ready-file ready >/dev/null & emulator=$!
    for _ in $(seq 100); do [ -s ready ] && break; sleep 0.05; done
    php -r "require_once \"SkypeBus/autoload.php\"; echo SkypeBus\\skype_send_chat_message(\"bob\", \"Hello from the packages\");"
    status=$?; kill -TERM $emulator; wait $emulator; exit $status' 2>&1) || true
if [[ "$out" =~ ^[0-9]+$ ]]; then ok "the packaged emulator answers the packaged PHP Skype helper (message $out)"; else fail "emulator + PHP: $out"; fi
check "the emulator's manual page" test -f /usr/share/man/man1/skypebus-skype-emulator.1.gz
# A Composer project outside the repository, the package exported alone: the library comes from
# the linker path (no SKYPEBUS_LIBRARY, no repository build to find).
export_dir=$scratch/export/php-ffi
mkdir -p "$export_dir"
git ls-files -co --exclude-standard -z php-ffi | tar -c --null --ignore-failed-read -T - 2>/dev/null |
    tar -x -C "$scratch/export"
project=$scratch/composer-deb
composer_project "$project"
if (cd "$project" && "${composer_env[@]}" composer config repositories.skypebus path "$export_dir" &&
        "${composer_env[@]}" composer require -q --no-progress skypebus/skypebus:^0.1@dev) > "$project.log" 2>&1; then
    printf '%s' "$readme_example" > "$project/example.php"
    printf '<?php\nrequire __DIR__ . "/vendor/autoload.php";\n$bus = SkypeBus\\Bus::session();\necho SkypeBus\\Library::origin(), "\\n";\n' \
        > "$project/origin.php"
    out=$(cd "$project" && on_bus php example.php 2>&1) || true
    if example_ok "$out"; then ok "a Composer project outside the repository runs the README example"; else fail "Composer project: $out"; fi
    same "the Composer project's library" "libskypebus.so.$abi" "$(cd "$project" && on_bus php origin.php 2>&1)"
else
    fail "composer require in a project outside the repository: $(cat "$project.log")"
fi

files=$(for p in "${packages[@]}"; do dpkg -L "$p"; done | sort -u)
check "dpkg --purge of every package" quiet dpkg --purge "${packages[@]}"
left=$(while read -r f; do
    # Directories other packages share (/usr, /usr/share/php, ...) may stay; ours must not.
    if [ -L "$f" ] || [ -f "$f" ]; then echo "$f";
    elif [ -d "$f" ] && [[ "$f" == *skypebus* || "$f" == *SkypeBus* ]]; then echo "$f"; fi
done <<< "$files")
same "files left by the purged packages" "" "$left"
same "packages left" "" "$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${packages[@]}" 2>/dev/null)"
check "the linker cache forgot the library" bash -c "! ldconfig -p | grep -q libskypebus"
check "pkg-config forgot skypebus" bash -c "! pkg-config --exists skypebus"

# The documented apt lines, as written (apt resolves the dependencies; nothing is missing here).
export DEBIAN_FRONTEND=noninteractive
if check "docs/installing.md: apt install" run_block docs/installing.md apt-install "$repo"; then
    rm -f "$deb_c/hello"
    out=$(on_bus bash -euo pipefail -c "cd '$deb_c' && $(block docs/installing.md pkg-config-build)" 2>&1) || true
    if hello_ok "$out"; then ok "docs/installing.md: the C program through pkg-config"; else fail "docs/installing.md: cc; ./hello: $out"; fi
    check "docs/installing.md: apt purge" run_block docs/installing.md apt-purge "$repo"
fi
# The README's lines for C: apt install (in the repository), cc (where hello.c is).
readme_c=$(block README.md install-c)
apt_line=$(echo "$readme_c" | grep '^apt install ' || true)
cc_line=$(echo "$readme_c" | grep '^cc ' || true)
same "README.md's C install lines (apt install, cc)" 2 "$(echo "$readme_c" | grep -c .)"
if check "README.md: $apt_line" quiet bash -c "cd '$repo' && $apt_line"; then
    rm -f "$deb_c/hello"
    out=$(on_bus bash -euo pipefail -c "cd '$deb_c' && $cc_line && ./hello" 2>&1) || true
    if hello_ok "$out"; then ok "README.md: $cc_line"; else fail "README.md: $cc_line: $out"; fi
    check "docs/installing.md: apt purge (after the README's install)" run_block docs/installing.md apt-purge "$repo"
    same "packages left after apt purge" "" "$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${packages[@]}" 2>/dev/null)"
fi

echo "packaging: $passed passed, $failed failed"
[ "$failed" = 0 ]

#!/usr/bin/env bash
# The packaging tests (make test-dist, part of make test), on a Debian machine:
#  1. versions and ABI numbers agree everywhere, LICENSE matches the declared licence;
#  2. every code block of docs/installing.md and docs/c.md is one these tests run;
#  3. make install / uninstall into a DESTDIR: the file tree, SONAME, stripped library with its
#     debug info apart, a C program built through pkg-config;
#  4. the README install lines for Composer, exactly as written, in scratch projects;
#  5, 6. (tests/dist/system.sh, as root) make install into /usr/local as docs/installing.md says,
#     then make deb and the Debian packages installed with dpkg and apt, used from C, PHP and
#     Composer, purged; all of it in a private mount namespace whose /usr, /etc and /var are
#     throwaway overlays (tests/dist/isolated.sh), so the machine itself never has them installed
#     (other tests, such as php-ffi's ComposerInstallTest, may run at the same time and expect no
#     system library). Then a check that the machine's own dpkg database, linker cache and
#     /usr/local are as they were.
# Every program talks to a private dbus-daemon.
set -euo pipefail
cd "$(dirname "$0")/../.."
scratch=$(mktemp -d /tmp/skypebus-dist.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
# shellcheck source=tests/dist/lib.sh
. tests/dist/lib.sh
before=$(installed_state)
echo "== skypebus $version, ABI $abi ($multiarch)"

# --- 1. versions -------------------------------------------------------------------------------
echo "== versions and licence (at ${SECONDS}s)"
php_const() { php -r 'require "php-ffi/src/Internal/HeaderConstants.php"; require "php-ffi/src/Library.php"; echo constant("SkypeBus\\Library::" . $argv[1]);' "$1"; }
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
# The ABI: the functions ABI $abi has (the runtime package's symbols file) are all still exported,
# and every exported function is listed there, with the version that added it.
symbols=packaging/debian/libskypebus$abi.symbols
exported=$(nm -D --defined-only target/release/libskypebus.so | awk '$2 == "T" {print $3}' | sort)
listed=$(sed -n 's/^ \([A-Za-z0-9_]*\)@Base .*/\1/p' "$symbols" | sort)
same "$symbols names the library" "libskypebus.so.$abi libskypebus$abi #MINVER#" "$(head -n1 "$symbols")"
same "functions of ABI $abi no longer exported (an incompatible change: raise abi in Cargo.toml)" "" \
    "$(comm -13 <(echo "$exported") <(echo "$listed") | tr '\n' ' ')"
same "exported functions $symbols does not list (add them with the version that adds them)" "" \
    "$(comm -23 <(echo "$exported") <(echo "$listed") | tr '\n' ' ')"
same "functions the header declares, against the exported ones" "$exported" \
    "$(grep -oE '\bskypebus_[a-z0-9_]+\(' include/skypebus.h | tr -d '(' | sort -u)"

# --- 2. the docs' code blocks ------------------------------------------------------------------
echo "== docs: every code block is run here (at ${SECONDS}s)"
check "docs/installing.md and docs/c.md have no untested code block" \
    tests/dist/doc_block.py --check docs/installing.md docs/c.md

# --- 3. make install into a DESTDIR ------------------------------------------------------------
echo "== make install DESTDIR=... (at ${SECONDS}s)"
dest=$scratch/destdir
libdir=/usr/lib/$multiarch
check "make install DESTDIR=... PREFIX=/usr LIBDIR=$libdir" quiet make --no-print-directory install DESTDIR="$dest" PREFIX=/usr LIBDIR="$libdir"
expected="usr/include/skypebus.h
usr/lib/$multiarch/.debug/$sofile.debug
usr/lib/$multiarch/libskypebus.a
usr/lib/$multiarch/libskypebus.so -> libskypebus.so.$abi
usr/lib/$multiarch/libskypebus.so.$abi -> $sofile
usr/lib/$multiarch/$sofile
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
echo "== Composer: the README install lines, as written (at ${SECONDS}s)"
# A snapshot of the working tree as a checkout of main (a user's clone), with this build's target/.
checkout=$scratch/skypebus
mkdir -p "$checkout"
git ls-files -co --exclude-standard -z | tar -c --null --ignore-failed-read -T - 2>/dev/null | tar -x -C "$checkout"
(cd "$checkout" && git init -q -b main && git add -A &&
    git -c user.name=test -c user.email=test@localhost commit -qm snapshot)
ln -s "$repo/target" "$checkout/target"
# docs/c.md's build without installing, in the checkout after make build.
printf '%s' "$hello_c" > "$checkout/hello.c"
if run_block docs/c.md c-checkout "$checkout"; then
    out=$(on_bus "$checkout/hello")
    if hello_ok "$out"; then ok "docs/c.md: the program built in a checkout"; else fail "hello (checkout) printed: $out"; fi
else
    fail "docs/c.md: the build in a checkout"
fi
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
# A release: a checkout of its tag (git checkout v<version>) is that version, which a plain (stable) constraint takes.
minor=$(echo "$version" | cut -d. -f1-2)
git -C "$checkout" tag "v$version" && git -C "$checkout" checkout -q "v$version"
project=$scratch/tagged
composer_project "$project"
if (cd "$project" && "${composer_env[@]}" composer config repositories.skypebus path "$checkout/php-ffi" &&
        "${composer_env[@]}" composer require -q --no-progress "skypebus/skypebus:^$minor") > "$project.log" 2>&1; then
    same "composer require skypebus/skypebus:^$minor of a checkout at tag v$version installs" "v$version" \
        "$(php -r 'echo json_decode(file_get_contents($argv[1]))->packages[0]->version;' "$project/composer.lock")"
else
    fail "composer require skypebus/skypebus:^$minor of the tagged checkout: $(cat "$project.log")"
fi

# --- 5, 6. installing into the system, isolated ---------------------------------------------
if [ "$(id -u)" != 0 ]; then
    fail "the installation tests (tests/dist/system.sh) need root, as make test runs on CI"
elif tests/dist/isolated.sh --probe; then
    if tests/dist/isolated.sh tests/dist/system.sh; then
        ok "tests/dist/system.sh in a throwaway /usr, /etc and /var"
    else
        fail "tests/dist/system.sh (its FAILED lines above)"
    fi
else
    # No private overlays here (an unprivileged container): the same tests on the machine itself;
    # system.sh purges what it installed when it exits, whatever happened.
    echo "   no private mount namespace with overlays here: installing on this machine itself"
    if tests/dist/system.sh; then ok "tests/dist/system.sh"; else fail "tests/dist/system.sh (its FAILED lines above)"; fi
fi
same "the machine's installed skypebus (packages, linker cache, /usr/local) after the tests" \
    "$before" "$(installed_state)"
[ -z "$before" ] || echo "   note: the machine had skypebus installed before the tests: $before"

echo "packaging: $passed passed, $failed failed"
[ "$failed" = 0 ]

#!/usr/bin/env bash
# Builds the Debian packages of skypebus into target/debian/ (`make deb`), from the release build
# in target/release (no second build) staged by `make install`:
#   libskypebus<ABI>          the shared library (SONAME libskypebus.so.<ABI>)
#   libskypebus<ABI>-dbgsym   its debug info, by build id under /usr/lib/debug/.build-id/
#   libskypebus-dev           header, unversioned link, static library, pkg-config file
#   php-skypebus              the PHP package in /usr/share/php/SkypeBus/ with its autoload.php
#   skypebus-skype-emulator   the Skype desktop API emulator (and its -dbgsym package)
# Package metadata: packaging/debian/ (control, changelog, copyright, the runtime's symbols file).
# Needs dpkg-dev.
set -euo pipefail
umask 022
cd "$(dirname "$0")/.."

meta=packaging/debian
out=target/debian
work=target/debian-build
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
abi=$(sed -n '/^\[package.metadata.skypebus\]/,/^\[/s/^abi *= *\([0-9][0-9]*\).*/\1/p' Cargo.toml)
lib=libskypebus$abi
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)

fail() { echo "build-deb: $*" >&2; exit 1; }

# The versions must agree before anything is built.
changelog_version=$(dpkg-parsechangelog -l "$meta/changelog" -S Version)
[ "$changelog_version" = "$version" ] ||
    fail "$meta/changelog is at $changelog_version but Cargo.toml at $version: add a changelog entry"
grep -qx "Package: $lib" "$meta/control" ||
    fail "$meta/control has no package $lib (the ABI in Cargo.toml is $abi): rename the runtime package"
[ -f "$meta/$lib.symbols" ] ||
    fail "$meta/$lib.symbols is missing (the ABI in Cargo.toml is $abi): list the functions of ABI $abi there"
php -r 'exit(json_decode(file_get_contents("php-ffi/composer.json"), true)["autoload"] ==
    ["psr-4" => ["SkypeBus\\" => "src/"], "files" => ["src/functions.php"]] ? 0 : 1);' ||
    fail "php-ffi/composer.json's autoload is not what $meta/php-skypebus/autoload.php reproduces"

rm -rf "$work" "$out"
mkdir -p "$work" "$out"
stage=$PWD/$work/stage
make --no-print-directory install DESTDIR="$stage" PREFIX=/usr LIBDIR="/usr/lib/$multiarch" >/dev/null
libdir=usr/lib/$multiarch
sofile=$(cd "$stage/$libdir" && echo libskypebus.so.$abi.*[0-9])
[ -f "$stage/$libdir/$sofile" ] || fail "make install staged no $libdir/libskypebus.so.$abi.*"

# put PACKAGE MODE SOURCE DEST: one file into a package's tree.
put() { install -D -m "$2" "$3" "$work/$1/$4"; }
# docs PACKAGE: the copyright file and the changelog every package carries.
docs() {
    put "$1" 0644 "$meta/copyright" "usr/share/doc/$1/copyright"
    gzip -9nc "$meta/changelog" > "$work/$1/usr/share/doc/$1/changelog.gz"
}
# dbgsym PACKAGE BINARY DEBUGFILE: the -dbgsym package of PACKAGE, the debug info of BINARY
# under its build id.
dbgsym() {
    local id dir=$work/$1-dbgsym
    id=$(readelf -n "$2" | sed -n 's/.*Build ID: \([0-9a-f]*\)/\1/p')
    [ -n "$id" ] || fail "$2 has no build id"
    put "$1-dbgsym" 0644 "$3" "usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug"
    mkdir -p "$dir/usr/share/doc"
    ln -s "$1" "$dir/usr/share/doc/$1-dbgsym"
    mkdir -p "$dir/DEBIAN"
    cat > "$dir/DEBIAN/control" <<CONTROL
Package: $1-dbgsym
Source: skypebus
Version: $version
Auto-Built-Package: debug-symbols
Architecture: $arch
Maintainer: $(sed -n 's/^Maintainer: //p' "$meta/control")
Installed-Size: $(du -sk --exclude=DEBIAN "$dir" | cut -f1)
Depends: $1 (= $version)
Section: debug
Priority: optional
Multi-Arch: same
Description: debug symbols for $1
Build-Ids: $id
CONTROL
}
# control PACKAGE [ELF...]: DEBIAN/control from packaging/debian/control, with shlibs:Depends
# computed from the ELF files.
control() {
    local package=$1; shift
    local substvars=$work/$package.substvars
    : > "$substvars"
    if (($#)); then
        (cd "$work" && mkdir -p debian && cp "../../$meta/control" debian/control &&
         dpkg-shlibdeps -T"$package.substvars" "${@/#/$package/}" 2>&1 |
             grep -v 'binaries to analyze should already be installed' || true)
    fi
    mkdir -p "$work/$package/DEBIAN"
    dpkg-gencontrol -c"$meta/control" -l"$meta/changelog" -p"$package" -P"$work/$package" \
        -T"$substvars" -f"$work/files" -Vmisc:Depends=
}
md5sums() {
    (cd "$work/$1" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 -r md5sum) \
        > "$work/$1/DEBIAN/md5sums"
}

# The runtime library.
put "$lib" 0644 "$stage/$libdir/$sofile" "$libdir/$sofile"
ln -s "$sofile" "$work/$lib/$libdir/libskypebus.so.$abi"
docs "$lib"
control "$lib" "$libdir/$sofile"
echo "libskypebus $abi $lib (>= $version)" > "$work/$lib/DEBIAN/shlibs"
# The symbols file: the functions of ABI $abi, each with the version that added it. dpkg-gensymbols
# -c4 fails when the library lost one (an incompatible change: raise abi in Cargo.toml) or exports
# one the file does not list yet (add it, with this version).
(cd "$work" && dpkg-gensymbols -c4 -p"$lib" -v"$version" -P"$lib" -I"../../$meta/$lib.symbols" \
    -O"$lib/DEBIAN/symbols" -e"$lib/$libdir/$sofile") ||
    fail "the library's functions differ from $meta/$lib.symbols (see the diff above)"
echo "activate-noawait ldconfig" > "$work/$lib/DEBIAN/triggers"
chmod 0644 "$work/$lib/DEBIAN/shlibs" "$work/$lib/DEBIAN/triggers" "$work/$lib/DEBIAN/symbols"
dbgsym "$lib" "$stage/$libdir/$sofile" "$stage/$libdir/.debug/$sofile.debug"

# The development files.
dev=libskypebus-dev
put "$dev" 0644 "$stage/usr/include/skypebus.h" usr/include/skypebus.h
put "$dev" 0644 "$stage/$libdir/libskypebus.a" "$libdir/libskypebus.a"
put "$dev" 0644 "$stage/$libdir/pkgconfig/skypebus.pc" "$libdir/pkgconfig/skypebus.pc"
ln -s "libskypebus.so.$abi" "$work/$dev/$libdir/libskypebus.so"
docs "$dev"
control "$dev"

# The PHP package: src/ of the Composer package as /usr/share/php/SkypeBus/, the header it
# loads with FFI::cdef, and the autoloader.
php=php-skypebus
phpdir=usr/share/php/SkypeBus
(cd php-ffi/src && find . -type f -name '*.php' -printf '%P\n') | sort | while read -r file; do
    put "$php" 0644 "php-ffi/src/$file" "$phpdir/$file"
done
put "$php" 0644 php-ffi/include/skypebus.h "$phpdir/include/skypebus.h"
put "$php" 0644 "$meta/php-skypebus/autoload.php" "$phpdir/autoload.php"
docs "$php"
control "$php"

# The Skype desktop API emulator.
emulator=skypebus-skype-emulator
[ -f target/dist/$emulator ] || fail "target/dist/$emulator is missing (make build builds it)"
put "$emulator" 0755 target/dist/$emulator usr/bin/$emulator
# Its manual page is its --help text (help2man), so the two never disagree.
help2man --no-info --no-discard-stderr --section=1 \
    --name="emulator of the Skype desktop API on D-Bus" target/dist/$emulator |
    gzip -9nc > "$work/$emulator.1.gz"
put "$emulator" 0644 "$work/$emulator.1.gz" usr/share/man/man1/$emulator.1.gz
docs "$emulator"
control "$emulator" usr/bin/$emulator
dbgsym "$emulator" target/dist/$emulator target/dist/$emulator.debug

for package in "$lib" "$lib-dbgsym" "$dev" "$php" "$emulator" "$emulator-dbgsym"; do
    md5sums "$package"
    dpkg-deb --root-owner-group -Zxz -z1 --build "$work/$package" "$out/" >/dev/null
done
rm -rf "$stage"
ls -1 "$out"

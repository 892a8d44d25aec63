#!/usr/bin/env bash
# isolated.sh COMMAND...: runs COMMAND (as root) in a private mount namespace in which /usr, /etc
# and /var are copy-on-write overlays whose changes live on a tmpfs of that namespace. COMMAND can
# dpkg -i, apt install, make install and ldconfig as on the real machine, yet nothing it changes
# is ever seen by another process, and it all goes away with the namespace, even when COMMAND is
# killed: the machine's own dpkg database, linker cache and /usr/local stay as they were.
#
# Exits 125 without running COMMAND when the machine cannot give such a namespace (not root, no
# unshare, or no overlayfs, as in an unprivileged container).
set -euo pipefail

if [ "${SKYPEBUS_ISOLATED_LAYER:-}" = "" ]; then
    if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null; then
        echo "isolated.sh: needs root and unshare(1)" >&2
        exit 125
    fi
    layer=$(mktemp -d /tmp/skypebus-layer.XXXXXX)
    status=0
    SKYPEBUS_ISOLATED_LAYER=$layer unshare --mount --propagation private -- "$0" "$@" || status=$?
    rmdir "$layer"
    exit "$status"
fi

# In the namespace: every mount below is private to it.
layer=$SKYPEBUS_ISOLATED_LAYER
unset SKYPEBUS_ISOLATED_LAYER
if ! mount -t tmpfs -o mode=0755 skypebus-layer "$layer"; then
    echo "isolated.sh: cannot mount a tmpfs in a private mount namespace" >&2
    exit 125
fi
for dir in /usr /etc /var; do
    name=${dir#/}
    mkdir "$layer/$name" "$layer/$name.work"
    if ! mount -t overlay overlay -o "lowerdir=$dir,upperdir=$layer/$name,workdir=$layer/$name.work" "$dir"; then
        echo "isolated.sh: cannot mount an overlay on $dir" >&2
        exit 125
    fi
done
# Proof for the caller that the overlays are in place (isolated.sh --probe).
if [ "$*" = "--probe" ]; then
    touch /usr/.skypebus-isolation-probe && rm /usr/.skypebus-isolation-probe
    exit 0
fi
exec "$@"

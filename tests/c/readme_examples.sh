#!/usr/bin/env bash
# The C examples of README.md stay true: the first (a whole program) is built and run on a
# private bus and must print RequestName's reply; the second and third (fragments: serving, and
# the event loop of asynchronous calls) must compile inside a function. And docs/c.md's C++
# program (block hello.cpp) builds with g++ -Werror and connects.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
/usr/bin/python3 - "$dir" <<'PY'
import re, sys
blocks = re.findall(r"```c\n(.*?)```", open("README.md").read(), re.S)
assert len(blocks) >= 3, "README.md lost its C examples"
open(sys.argv[1] + "/program.c", "w").write(blocks[0])
open(sys.argv[1] + "/fragment.c", "w").write(
    '#include <stdint.h>\n#include "skypebus.h"\n'
    'static const char *introspection_xml = "<node/>";\n'
    "int main(void) {\n" + blocks[1] + "return 0;\n}\n")
open(sys.argv[1] + "/event_loop.c", "w").write(
    '#include <poll.h>\n#include "skypebus.h"\n'
    "int main(void) {\nskypebus_connection *conn = NULL;\n" + blocks[2] + "return 0;\n}\n")
PY
cc -std=c11 -Wall -Wextra -Werror -Iinclude -o "$dir/program" "$dir/program.c" \
   -Ltarget/release -lskypebus -Wl,-rpath,"$PWD/target/release"
cc -std=c11 -Wall -Wextra -Werror -Iinclude -c -o "$dir/fragment.o" "$dir/fragment.c"
cc -std=c11 -Wall -Wextra -Werror -Iinclude -c -o "$dir/event_loop.o" "$dir/event_loop.c"
out=$(dbus-run-session --config-file=tests/support/bus.conf -- "$dir/program" 2>/dev/null)
if [ "$out" != '{"type":"u","data":[1]}' ]; then
    echo "README C example printed: $out"
    exit 1
fi
tests/dist/doc_block.py docs/c.md hello.cpp > "$dir/hello.cpp"
g++ -std=c++17 -Wall -Wextra -Werror -pedantic -Iinclude -o "$dir/hello-cpp" "$dir/hello.cpp" \
    -Ltarget/release -lskypebus -Wl,-rpath,"$PWD/target/release"
out=$(dbus-run-session --config-file=tests/support/bus.conf -- "$dir/hello-cpp" 2>/dev/null)
if ! [[ "$out" =~ ^connected\ as\ :1\.[0-9]+$ ]]; then
    echo "docs/c.md's C++ program printed: $out"
    exit 1
fi
echo "README C examples and docs/c.md's C++ program: 4 passed, 0 failed"

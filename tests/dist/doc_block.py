#!/usr/bin/env python3
"""Code blocks of the Markdown docs that the packaging test runs.

  doc_block.py FILE NAME   prints the fenced block that follows `<!-- tested: NAME -->` in FILE
  doc_block.py --check FILE...
                           fails unless every fenced block of each FILE is marked
                           `<!-- tested: NAME -->` (or is a `text` block: output shown, not run),
                           and lists the names
"""

import re
import sys

BLOCK = re.compile(r"(?:<!-- tested: (?P<name>[^ ]+) -->\n)?```(?P<lang>[a-z]*)\n(?P<body>.*?)```\n", re.S)


def blocks(path):
    with open(path, encoding="utf-8") as f:
        return list(BLOCK.finditer(f.read()))


def main(argv):
    if len(argv) >= 2 and argv[0] == "--check":
        bad = 0
        for path in argv[1:]:
            found = blocks(path)
            if not found:
                print(f"{path}: no code blocks", file=sys.stderr)
                bad += 1
            for m in found:
                if m.group("name") is None and m.group("lang") != "text":
                    first = m.group("body").splitlines()[0] if m.group("body") else ""
                    print(f"{path}: a {m.group('lang') or 'plain'} block no test runs: {first}", file=sys.stderr)
                    bad += 1
        return 1 if bad else 0
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    path, name = argv
    matches = [m for m in blocks(path) if m.group("name") == name]
    if len(matches) != 1:
        print(f"{path}: {len(matches)} blocks marked 'tested: {name}', expected 1", file=sys.stderr)
        return 1
    sys.stdout.write(matches[0].group("body"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

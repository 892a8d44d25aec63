#!/usr/bin/env python3
"""Fails when a tracked file cites something a clone of the repository does not have.

1. No file may cite the project's outside documents (the design contract, the Skype API notes
   and the style notes the project was started from, or the folder they were kept in): what the
   code relies on is written in docs/ (design.md, skype-protocol.md, ...).
2. Every `docs/<name>.md` a file names, and every relative link of a Markdown file, must exist.

Runs over `git ls-files` (files that are not text are skipped). Prints each finding as
path:line: text and exits 1 when there is any.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

# The names are split so that this file does not cite them itself.
_DOCS = ["DES" + "IGN", "SKYPE" + "-API", "STY" + "LE"]
OUTSIDE = [
    re.compile(r"\b(?:%s)\.md\b" % "|".join(_DOCS)),
    re.compile(r"\b(?:%s)\b" % "|".join(_DOCS[:2])),
    re.compile(r"\.\./" + "shared" + r"\b"),
    re.compile(r"/work/" + "shared" + r"\b"),
]
DOC_PATH = re.compile(r"(?<![\w./-])docs/[\w./-]+?\.md\b")
MD_LINK = re.compile(r"\]\(([^)\s]+)\)")


def tracked():
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True,
                         capture_output=True).stdout
    return [p for p in out.decode().split("\0") if p]


def main():
    findings = []
    for path in tracked():
        full = os.path.join(ROOT, path)
        if not os.path.isfile(full):
            continue
        try:
            with open(full, encoding="utf-8") as f:
                lines = f.read().splitlines()
        except (UnicodeDecodeError, OSError):
            continue
        for n, line in enumerate(lines, 1):
            for pattern in OUTSIDE:
                if pattern.search(line):
                    findings.append(f"{path}:{n}: cites a document outside the repository: "
                                    f"{line.strip()}")
                    break
            for m in DOC_PATH.finditer(line):
                if not os.path.isfile(os.path.join(ROOT, m.group(0))):
                    findings.append(f"{path}:{n}: {m.group(0)} does not exist")
            if path.endswith(".md"):
                for m in MD_LINK.finditer(line):
                    target = m.group(1).split("#", 1)[0]
                    if not target or re.match(r"^[a-z][a-z0-9+.-]*:", target):
                        continue
                    resolved = os.path.normpath(os.path.join(os.path.dirname(full), target))
                    if not os.path.exists(resolved):
                        findings.append(f"{path}:{n}: link {m.group(1)} does not resolve")
    for f in findings:
        print(f)
    if findings:
        print(f"{len(findings)} citation(s) of files the repository does not have", file=sys.stderr)
        return 1
    print("citations: every cited document is in the repository")
    return 0


if __name__ == "__main__":
    sys.exit(main())

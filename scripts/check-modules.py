#!/usr/bin/env python3
"""Fails when the library's top-level modules import each other in a circle.

A top-level module is src/<name>.rs or the folder src/<name>/. Every `crate::<name>` path in
its source (in `use` lines and inline paths; comments and doc comments are left out) is an edge
from it to <name>. A circle inside one folder is fine; a circle between top-level modules is
reported with the files that make it, and the script exits 1. With --graph it prints the edges
(layer by layer, lowest first) instead of only checking.
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
PATH = re.compile(r"\bcrate::([a-z_][a-z0-9_]*)")
SKIP = {"bin"}  # the emulator's binary is a crate of its own


def modules():
    out = {}
    for entry in sorted(os.listdir(ROOT)):
        full = os.path.join(ROOT, entry)
        if entry in SKIP or entry in ("lib.rs",):
            continue
        if entry.endswith(".rs"):
            out[entry[:-3]] = [full]
        elif os.path.isdir(full):
            files = []
            for d, _, names in os.walk(full):
                files += [os.path.join(d, n) for n in sorted(names) if n.endswith(".rs")]
            out[entry] = files
    return out


def code(text):
    """The text without comments (line comments, doc comments, block comments)."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(line.split("//", 1)[0] for line in text.splitlines())


def edges(mods):
    out = {m: {} for m in mods}
    for m, files in mods.items():
        for f in files:
            with open(f, encoding="utf-8") as fh:
                body = code(fh.read())
            # `use crate::{a, b::c}` groups name several modules at once.
            names = set(PATH.findall(body))
            for group in re.findall(r"\buse\s+crate::\{([^;]*)\};", body, flags=re.S):
                names |= set(re.findall(r"(?:^|[,{\s])([a-z_][a-z0-9_]*)(?=::|\s*[,}]|$)", group))
            for n in names:
                if n in mods and n != m:
                    out[m].setdefault(n, set()).add(os.path.relpath(f, os.path.join(ROOT, "..")))
    return out


def cycle(graph):
    """One circle as a list of modules, or None."""
    state = {}
    stack = []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                return stack[stack.index(n):] + [n]
            if n not in state:
                found = visit(n)
                if found:
                    return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state:
            found = visit(m)
            if found:
                return found
    return None


def layers(graph):
    level = {}

    def depth(m):
        if m not in level:
            level[m] = 0
            level[m] = 1 + max((depth(n) for n in graph[m]), default=-1)
        return level[m]

    for m in graph:
        depth(m)
    by = {}
    for m, d in level.items():
        by.setdefault(d, []).append(m)
    return [sorted(by[d]) for d in sorted(by)]


def main():
    mods = modules()
    graph = edges(mods)
    found = cycle(graph)
    if found:
        print("import circle between top-level modules: " + " -> ".join(found))
        for a, b in zip(found, found[1:]):
            print(f"  {a} -> {b}: " + ", ".join(sorted(graph[a][b])))
        return 1
    if "--graph" in sys.argv:
        for i, layer in enumerate(layers(graph)):
            for m in layer:
                print(f"L{i} {m} -> {', '.join(sorted(graph[m])) or '-'}")
    else:
        print(f"modules: no import circle among {len(mods)} top-level modules")
    return 0


if __name__ == "__main__":
    sys.exit(main())

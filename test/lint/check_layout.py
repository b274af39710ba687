#!/usr/bin/env python3
"""Checks the shape of src/ that issue #10 asks to keep:

- every src/X.c that has a header includes "forkbulk/X.h" first;
- the include graph of src/ and include/forkbulk/ has no cycle;
- no function in src/ is longer than 80 lines, unless the comment right
  above it says why ("80 lines").

Usage: check_layout.py REPO_ROOT.  Prints each problem; exits 1 if any.
"""
import os
import re
import sys

MAX_LINES = 80
INCLUDE = re.compile(r'^#include "forkbulk/([a-z0-9_]+)\.h"')
FUNC = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\(")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read().split("\n")


def includes(lines):
    return [m.group(1) for m in map(INCLUDE.match, lines) if m]


def own_header_first(root, problems):
    for name in sorted(os.listdir(os.path.join(root, "src"))):
        if not name.endswith(".c"):
            continue
        mod = name[:-2]
        if not os.path.exists(os.path.join(root, "include", "forkbulk",
                                           mod + ".h")):
            continue
        lines = read(os.path.join(root, "src", name))
        first = next((l for l in lines if l.startswith("#include")), "")
        if first != '#include "forkbulk/%s.h"' % mod:
            problems.append("src/%s: first include is %r, not its own "
                            "header" % (name, first))


def graph(root):
    """Header -> headers it includes (a .c file counts as its header's)."""
    edges = {}
    inc = os.path.join(root, "include", "forkbulk")
    for name in os.listdir(inc):
        if name.endswith(".h"):
            edges.setdefault(name[:-2], set()).update(
                includes(read(os.path.join(inc, name))))
    for name in os.listdir(os.path.join(root, "src")):
        if name.endswith(".c"):
            mod = name[:-2]
            deps = set(includes(read(os.path.join(root, "src", name))))
            edges.setdefault(mod, set()).update(deps - {mod})
    return edges


def find_cycle(edges):
    state = {}
    stack = []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(edges):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def long_functions(root, problems):
    for name in sorted(os.listdir(os.path.join(root, "src"))):
        if not name.endswith(".c"):
            continue
        lines = read(os.path.join(root, "src", name))
        i = 0
        while i < len(lines):
            m = FUNC.match(lines[i])
            if not m or lines[i].rstrip().endswith(";"):
                i += 1
                continue
            j = i
            while j < len(lines) and lines[j] != "{" and \
                    not lines[j].rstrip().endswith(";"):
                j += 1
            if j == len(lines) or lines[j] != "{":
                i += 1
                continue
            k = j
            while k < len(lines) and lines[k] != "}":
                k += 1
            length = k - i + 2  # the return type line above the name
            above = "\n".join(lines[max(0, i - 8):i])
            if length > MAX_LINES and "80 lines" not in above:
                problems.append("src/%s:%d: %s() is %d lines" %
                                (name, i + 1, m.group(1), length))
            i = k + 1


def main():
    root = sys.argv[1]
    problems = []
    own_header_first(root, problems)
    cycle = find_cycle(graph(root))
    if cycle:
        problems.append("include cycle: " + " -> ".join(cycle))
    long_functions(root, problems)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

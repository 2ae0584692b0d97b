#!/usr/bin/env python3
"""The house's figures (issue #26's measures), from the sources alone: files and lines under
crates/*/src, functions over 60 lines (test modules left out: a file's `#[cfg(test)]` ends what
is counted), handlers over 40 lines, `.expect(` calls, numeric `as` casts, glob imports, and
module circles inside each crate (two top-level modules that name each other by `crate::`).
Regex-based: a guide for trends, not a parser.

    python3 scripts/measure-house.py
"""
import glob
import os
import re
import statistics

FN = re.compile(r"^(\s*)(pub(\([^)]*\))? )?(async )?(const )?(unsafe )?fn (\w+)")


def code(path):
    """The file's lines up to its test module."""
    lines = open(path).read().split("\n")
    for i, line in enumerate(lines):
        if re.match(r"\s*#\[cfg\(test\)\]", line):
            return lines[:i]
    return lines


def functions(path):
    lines, i = code(path), 0
    while i < len(lines):
        m = FN.match(lines[i])
        if not m:
            i += 1
            continue
        j = i
        while j < len(lines) and not lines[j].rstrip().endswith(("{", ";")):
            j += 1
        if j >= len(lines) or lines[j].rstrip().endswith(";"):
            i = j + 1
            continue
        indent, k = m.group(1), j + 1
        while k < len(lines) and lines[k].rstrip() != indent + "}":
            k += 1
        yield m.group(7), k - i + 1
        i = k + 1


def circles(crate):
    uses = {}
    for path in glob.glob(f"{crate}/**/*.rs", recursive=True):
        top = os.path.relpath(path, crate).split("/")[0].removesuffix(".rs")
        if top in ("lib", "main"):
            continue
        named = set(re.findall(r"^\s*use crate::([a-z_]+)|[^/]crate::([a-z_]+)::", "\n".join(code(path)), re.M))
        uses.setdefault(top, set()).update(n for pair in named for n in pair if n and n != top)
    return sorted({tuple(sorted((a, b))) for a, bs in uses.items() for b in bs if a in uses.get(b, ())})


files = glob.glob("crates/*/src/**/*.rs", recursive=True)
sizes = sorted(open(f).read().count("\n") for f in files)
largest = max(files, key=lambda f: open(f).read().count("\n"))
long = [(n, f, name) for f in files for name, n in functions(f) if n > 60]
handlers = [(n, f, name) for f in files if re.search(r"/(api|console|pages)/", f) for name, n in functions(f) if n > 40]
text = ["\n".join(code(f)) for f in files]
print(f"files {len(files)}, lines {sum(sizes)}: median {statistics.median(sizes)}, "
      f"p90 {sizes[int(len(sizes) * 0.9)]}, max {sizes[-1]} ({largest})")
print(f"functions over 60 lines: {len(long)}; in api/console/pages over 40: {len(handlers)}")
CAST = re.compile(r"\bas [iuf](8|16|32|64|size)\b")
GLOB = re.compile(r"^use .*::\*;", re.M)
expects = sum(t.count(".expect(") for t in text)
casts = sum(len(CAST.findall(t)) for t in text)
globs = sum(len(GLOB.findall(t)) for t in text)
print(f".expect( {expects}, numeric `as` casts {casts}, glob imports {globs}")
for crate in sorted(glob.glob("crates/*/src")):
    found = circles(crate)
    print(f"circles in {crate.split('/')[1]}: {found or 'none'}")
for n, f, name in sorted(long, reverse=True):
    print(f"  {n:4} {f}::{name}")

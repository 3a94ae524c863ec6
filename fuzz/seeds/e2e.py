#!/usr/bin/env python3
"""Extracts the stanzas of the end-to-end tests (tests/*.rs) into seed files of the `inbound`
target: one file per test file, one stanza a line, as the server would deliver them to the
component (a `from` added to client stanzas, `{CONST}` placeholders resolved from the file's
constants). The in-process tests' stanzas are recorded by the test harness instead (README.md).

Usage: fuzz/seeds/e2e.py OUTPUT_DIR   (from the repository root)
"""
import pathlib
import re
import sys

out = pathlib.Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"', re.S)
CONST = re.compile(r'const\s+(\w+):\s*&str\s*=\s*"([^"]*)"')
SUPPORT = dict(CONST.findall(pathlib.Path("tests/support/mod.rs").read_text()))

for path in sorted(pathlib.Path("tests").glob("e2e_*.rs")):
    source = path.read_text()
    consts = dict(SUPPORT, **dict(CONST.findall(source)))
    stanzas = []
    for m in LITERAL.finditer(source):
        text = m.group(1)
        if not re.match(r"\s*<(presence|message|iq)\b", text):
            continue
        # Rust line continuations, then escapes.
        text = re.sub(r"\\\n\s*", "", text).replace('\\"', '"').replace("\\\\", "\\")
        text = re.sub(r"\{(\w+)\}", lambda c: consts.get(c.group(1), "x"), text)
        text = text.replace("{{", "{").replace("}}", "}")
        if re.search(r"\{[^}]*\}", text):
            continue
        before = source[max(0, m.start() - 200) : m.start()]
        senders = re.findall(r"\b(alice|bob|carol)\w*\.send", before)
        user = senders[-1] if senders else "alice"
        if " from=" not in text.split(">", 1)[0]:
            text = re.sub(r"^(\s*<\w+)", rf"\1 from='{user}@localhost/e2e'", text, count=1)
        stanzas.append(text.strip())
    if stanzas:
        (out / f"{path.stem}.xml").write_text("\n".join(stanzas) + "\n")
        print(f"{path.stem}: {len(stanzas)} stanzas")

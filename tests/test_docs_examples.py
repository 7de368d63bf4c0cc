"""The examples in ``docs/*.md`` run, and print what the docs say they print.

Each page is read top to bottom; its fenced ``python`` blocks with ``>>>``
prompts are doctests that share one namespace, as a reader who pastes them in
order would, and their output is compared with the project's doctest flags.
Blocks without prompts are sketches (they name files or services the reader
has, such as ``sqlite:///studies.db``) and are not run: an example whose
output the page shows must be written with prompts. pandas prints whole
frames here (no column elision), as the pages show them.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pandas as pd
import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
_FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
                    re.MULTILINE | re.DOTALL)
_FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def python_blocks(text: str) -> list[tuple[int, str]]:
    """``(line number, code)`` of every fenced ``python`` block, in order."""
    blocks = []
    for m in _FENCE.finditer(text):
        if m.group("lang").strip().lower() not in ("python", "py", "pycon"):
            continue
        indent = m.group("indent")
        body = "\n".join(line[len(indent):] if line.startswith(indent) else line
                         for line in m.group("body").splitlines())
        blocks.append((text.count("\n", 0, m.start()) + 2, body + "\n"))
    return blocks


def _pages() -> list[Path]:
    return sorted(p for p in DOCS.glob("*.md")
                  if any(">>>" in code for _, code in python_blocks(p.read_text(encoding="utf-8"))))


def test_fence_reader_finds_blocks_and_skips_other_languages():
    text = "x\n```python\na = 1\n```\n```sh\nmake test\n```\n  ```python\n  >>> a\n  1\n  ```\n"
    blocks = python_blocks(text)
    assert [code for _, code in blocks] == ["a = 1\n", ">>> a\n1\n"]
    assert [line for line, _ in blocks] == [3, 9]


@pytest.mark.parametrize("page", _pages(), ids=lambda p: p.name)
def test_docs_examples_run(page: Path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    pytest.importorskip("matplotlib").use("Agg")
    namespace: dict = {"__name__": f"docs_{page.stem}"}
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=_FLAGS)
    failures = []
    for line, code in python_blocks(page.read_text(encoding="utf-8")):
        where = f"{page.name}, block at line {line}"
        if ">>>" not in code:
            continue
        test = parser.get_doctest(code, namespace, where, str(page), line)
        out: list[str] = []
        with pd.option_context("display.max_columns", None, "display.width", 1000):
            result = runner.run(test, out=out.append, clear_globs=False)
        if result.failed:
            failures.append("".join(out))
        namespace = test.globs  # a DocTest runs in a copy: carry the names on
    assert not failures, "\n".join(failures)

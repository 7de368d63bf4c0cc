"""Formatting for the Markdown report: numbers, parameter values, tables, escaping.

Compute functions never round or format; everything the report shows as text
goes through this module. Every piece of text that comes from the data (study
names, parameter names and values, budget labels, extreme types) passes
through :func:`escape`, so it is inert both in Markdown and in the HTML that
nbconvert makes from it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "BAR_WIDTH",
    "NAME_WIDTH",
    "bar",
    "escape",
    "importance_line",
    "mapping",
    "number",
    "terminal",
    "table",
    "value",
]

BAR_WIDTH = 50
"""Width of the ``#`` bar of the importance chart, in characters."""

NAME_WIDTH = 15
"""Width the parameter name is padded to in the importance chart."""

_BACKSLASHED = re.compile(r"([\\|*`\[\]~$])")
# "#" starting the text would make a heading; a run of "#" ending it (after a space) is the
# closing sequence of a heading, which renderers drop.
_HASH = re.compile(r"^#|(?<=\s)#(?=#*\s*$)")
# ":name:" is an emoji shortcode on GitHub: a backslash before the second colon keeps it text.
_SHORTCODE = re.compile(r"(:[A-Za-z0-9_+-]+):")
# At the start of a line, "-", "+", "=", "1." and "1)" could make a list or a heading rule.
_BLOCK_START = re.compile(r"^([-+=]|\d+[.)])(?=\s|$)")
# "_" only opens or closes emphasis when it is not between two letters or digits
# (CommonMark's intraword rule), so "d_model" stays as it is and "_x_" is escaped.
_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")


def escape(text: Any) -> str:
    """Make *text* from the data inert in Markdown and in HTML made from it.

    ``&``, ``<`` and ``>`` become HTML entities (no tag, comment or autolink
    can start); ``\\``, ``|``, ``*``, `````, ``[``, ``]``, ``~``, ``$`` and any
    ``_`` that could start or end emphasis get a backslash (a ``|`` cannot split
    a table cell, ``$x$`` is not math in Jupyter, nbconvert or GitHub); so do
    the second colon of an emoji shortcode (``:smile:``), a ``#`` that starts
    the text or ends it (a heading would drop it), and a list or rule marker at
    the start (``-``, ``+``, ``=``, ``1.``); line breaks become spaces (a value
    cannot end a table row).

    Parameters
    ----------
    text : object
        Anything; it is converted with :class:`str` first.

    Returns
    -------
    str
        Text to put in a Markdown line or table cell.

    Examples
    --------
    >>> escape("<script>alert(1)</script>")
    '&lt;script&gt;alert(1)&lt;/script&gt;'
    >>> escape("a|b *c* d_model _x_")
    'a\\\\|b \\\\*c\\\\* d_model \\\\_x\\\\_'
    >>> print(escape("$a_b$ costs $$ :tada: _x_"))
    \\$a_b\\$ costs \\$\\$ :tada\\: \\_x\\_
    """
    text = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _BACKSLASHED.sub(r"\\\1", text)
    text = _UNDERSCORE.sub(r"\\_", text)
    text = _SHORTCODE.sub(r"\1\\:", text)
    text = re.sub(r"[\r\n]+", " ", text)
    text = _HASH.sub(r"\\#", text)
    return _BLOCK_START.sub(r"\\\1", text)


# C0 and C1 control characters (ESC, BEL, CR, ...), DEL, and the invisible format
# characters that reorder or hide text (bidi overrides and isolates, zero-width marks).
_CONTROL = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def terminal(text: Any) -> str:
    """*text* made safe to print on a terminal: control characters shown, not obeyed.

    Escape sequences (``ESC [2J`` clears the screen, ``ESC ]0;...`` sets the
    window title), BEL, carriage returns, DEL, C1 controls and the invisible
    characters that reorder text (bidi overrides such as U+202E) become their
    ``\\xNN`` / ``\\uNNNN`` escapes; everything else (any script, accents)
    is kept.

    Parameters
    ----------
    text : object
        Anything; it is converted with :class:`str` first.

    Returns
    -------
    str
        One printable line.

    Examples
    --------
    >>> print(terminal("study \\x1b]0;owned\\x07 \\u202eevil, caf\\u00e9"))
    study \\x1b]0;owned\\x07 \\u202eevil, café
    """

    def shown(match: re.Match) -> str:
        code = ord(match.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _CONTROL.sub(shown, str(text))


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of *frame* as dicts of Python values (what ``iterrows`` gives in a frame with
    a text column), one ``tolist`` per column instead of a Series per row.

    Examples
    --------
    >>> records(pd.DataFrame({"a": [1, 2], "b": ["x", "y"], "c": [0.5, None]}))
    [{'a': 1, 'b': 'x', 'c': 0.5}, {'a': 2, 'b': 'y', 'c': nan}]
    """
    cols = list(frame.columns)
    return [dict(zip(cols, row, strict=True))
            for row in zip(*(frame[c].tolist() for c in cols), strict=True)]


def _scalar(x: Any) -> Any:
    """A Python scalar for a numpy scalar (``np.float64(0.1)`` → ``0.1``)."""
    return x.item() if isinstance(x, np.generic) else x


def _missing(x: Any) -> bool:
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def number(x: Any, digits: int = 4, *, missing: str = "N/A") -> str:
    """A statistic (mean, share, objective value) with *digits* decimals, or *digits*
    significant digits when decimals would not show it.

    Between ``10**-digits`` and ``10**6`` in size (and zero) the number has
    *digits* decimals (``0.7173``); outside, fixed decimals would print
    ``0.0000`` for 3e-30 or 300 digits for 1e300, so it is written in
    scientific notation with *digits* significant digits (``3.000e-30``,
    ``1.235e+300``). Infinities show as ``inf``/``-inf``.

    Parameters
    ----------
    x : float
        The number; NaN, None and ``pd.NA`` show as *missing*.
    digits : int, default 4
        Decimals after the point (significant digits in scientific notation).
    missing : str, default "N/A"
        Text for a missing number.

    Returns
    -------
    str

    Examples
    --------
    >>> number(0.71728), number(0.023), number(float("nan"))
    ('0.7173', '0.0230', 'N/A')
    >>> number(7.1728e299), number(-3e-30), number(12345678.9), number(0.0)
    ('7.173e+299', '-3.000e-30', '1.235e+07', '0.0000')
    """
    x = _scalar(x)
    if _missing(x):
        return missing
    x = float(x)
    if x == 0 or not math.isfinite(x) or 10.0**-digits <= abs(x) < 1e6:
        return f"{x:.{digits}f}"
    return f"{x:.{max(digits - 1, 0)}e}"


def value(x: Any, *, missing: str = "N/A") -> str:
    """A parameter value as Python writes it (``1e-05``, ``0.0005``, ``0.1``, ``96``).

    Integers show without a decimal point, floats as Python's ``repr`` of the
    number rounded to 6 significant digits (so a grid value read back as
    ``0.30000000000000004`` shows as ``0.3``), booleans as
    ``True``/``False``; anything else (categorical labels, bin labels such as
    ``"[1e-05, 3.2e-05)"``) is escaped with :func:`escape`.

    Parameters
    ----------
    x : object
        The value.
    missing : str, default "N/A"
        Text for a missing value.

    Returns
    -------
    str

    Examples
    --------
    >>> [value(v) for v in (1e-05, 0.0005, 0.1, 96, 0.0, 0.1 + 0.2, 0.000664257456)]
    ['1e-05', '0.0005', '0.1', '96', '0.0', '0.3', '0.000664257']
    >>> value("[1e-05, 3.2e-05)")
    '\\\\[1e-05, 3.2e-05)'
    """
    x = _scalar(x)
    if x is None or (not isinstance(x, str) and _missing(x)):
        return missing
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        return repr(float(f"{x:.6g}")) if math.isfinite(x) else str(x)
    return escape(x)


def mapping(values: Mapping[Any, Any]) -> str:
    """A dict written like Python's ``repr``, keys quoted, values by :func:`value`.

    Examples
    --------
    >>> mapping({"2M": 0.1, "20M": 0.7, "200M": 0.5})
    "{'2M': 0.1, '20M': 0.7, '200M': 0.5}"
    """
    items = (f"'{escape(k)}': {value(v)}" for k, v in values.items())
    return "{" + ", ".join(items) + "}"


def bar(share: Any, width: int = BAR_WIDTH) -> str:
    """The importance bar: ``floor(share * width)`` ``#``, padded with spaces to *width*.

    Shares outside [0, 1] are clipped; a missing share draws an empty bar.

    Examples
    --------
    >>> bar(0.3592).count("#"), len(bar(0.3592))
    (17, 50)
    """
    share = _scalar(share)
    filled = 0 if _missing(share) else math.floor(min(max(float(share), 0.0), 1.0) * width)
    return ("#" * filled).ljust(width)


def importance_line(name: Any, share: Any) -> str:
    """One line of the importance chart: name padded to 15, bar, share to 4 decimals.

    Examples
    --------
    >>> importance_line("dropout", 0.3592)
    '  dropout         | #################                                  | 0.3592'
    """
    return f"  {escape(name):<{NAME_WIDTH}} | {bar(share)} | {number(share)}"


def table(header: Sequence[str], rows: Iterable[Sequence[str]], *, rule: str = "dashes") -> str:
    """A Markdown pipe table from cells that are already formatted and escaped.

    Parameters
    ----------
    header : sequence of str
        Header cells.
    rows : iterable of sequences of str
        Body cells, one sequence per row.
    rule : {"dashes", "short"}, default "dashes"
        ``"dashes"`` draws the rule under the header as wide as each header
        cell (``|--------|``); ``"short"`` draws ``| --- |`` (the coverage
        matrices of the reference report).

    Returns
    -------
    str
        The table, lines joined by newlines, without a trailing newline.

    Examples
    --------
    >>> print(table(["Value", "Count"], [["32", "5"]]))
    | Value | Count |
    |-------|-------|
    | 32 | 5 |
    """
    if rule == "dashes":
        line = "|" + "|".join("-" * (len(h) + 2) for h in header) + "|"
    elif rule == "short":
        line = "| " + " | ".join("---" for _ in header) + " |"
    else:
        raise ValueError(f"rule must be 'dashes' or 'short', got {rule!r}")
    rows = one_format_per_column([list(row) for row in rows])
    lines = ["| " + " | ".join(header) + " |", line]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# what number() writes (4 decimals; below 1e-4, 4 significant digits in scientific notation);
# parameter values (value(): "1.49642e-05") and ranges keep their own format
_FIXED = re.compile(r"-?\d+\.\d{4}")
_TINY = re.compile(r"-?\d\.\d{3}e-\d+")


def one_format_per_column(rows: list[list[str]]) -> list[list[str]]:
    """Tiny numbers in fixed-point where the rest of their column is: one format a column.

    :func:`number` writes numbers below ``1e-4`` in scientific notation; beside
    its 4-decimal numbers in the same column (an interval's low end ``4.155e-05`` under
    ``0.0123``) they are written in fixed-point with two significant digits
    (``0.000042``) instead.

    Examples
    --------
    >>> one_format_per_column([["a", "0.0123"], ["b", "4.155e-05"]])
    [['a', '0.0123'], ['b', '0.000042']]
    >>> one_format_per_column([["4.155e-05"], ["3.000e-30"]])  # no fixed-point: as is
    [['4.155e-05'], ['3.000e-30']]
    >>> one_format_per_column([["0.0001"], ["1.49642e-05"]])  # a parameter value: as is
    [['0.0001'], ['1.49642e-05']]
    """
    if not rows:
        return rows
    width = max(len(r) for r in rows)
    for j in range(width):
        cells = [r[j] for r in rows if j < len(r)]
        if not any(_FIXED.fullmatch(c) for c in cells):
            continue
        for r in rows:
            if j < len(r) and _TINY.fullmatch(r[j]):
                x = float(r[j])
                r[j] = f"{x:.{max(4, 1 - math.floor(math.log10(abs(x))))}f}" if x else "0.0000"
    return rows

"""The reference report as data, and trials rebuilt from its tables.

``tests/data/reference-report.md`` is the Markdown report users know (a
cross-budget part, then one ``# HPO Analysis: <budget> (<hardware>)`` section
per study). This module parses it into plain Python/pandas objects so tests
can compare the library's answers, and the layout of our own report, with it.

Usage::

    from reference_tables import load_reference, trials_for_table

    ref = load_reference()                 # a Reference
    s = ref.studies["2M"]                  # a StudySection (keys in report order)
    s.n_trials, s.best, s.mean, s.std      # 50, 0.7173, 0.7063, 0.0139
    s.best_config                          # {"d_model": 96, "n_layers": 2, ...}
    s.importance                           # {"dropout": 0.3592, ...} in report order
    s.trends["d_model"]                    # a Trend: .label, .best_value, .best_mean,
                                           #   .worst_value, .worst_mean, .table
    s.trends["d_model"].table              # DataFrame value, mean, std, count
    s.coverage[("d_model", "n_layers")]    # DataFrame: index row values, columns col values
    s.extremes                             # DataFrame trial, extreme_type, value, d_model, ...
    ref.best_by_budget                     # DataFrame of "Best Results by Budget"
    ref.scaling_values, ref.scaling_holds, ref.scaling_statement
    ref.consistency                        # {"dropout": (False, {"2M": 0.1, ...}), ...}
    ref.collapse_by_budget                 # DataFrame of "Probability Collapse by Budget"

    frame = trials_for_table(s.trends["d_model"].table, "d_model", study="transformer-2M")

Numbers are parsed as ``int`` when written without a decimal point or
exponent (``64``) and as ``float`` otherwise (``0.0``, ``1e-05``), so
``0.0`` and ``0`` stay distinguishable as in the report.

``trials_for_table`` builds COMPLETE trials whose per-value table for one
parameter equals the report's: for a value with count *c*, mean *m* and std
*s* it makes *c* trials with objective ``m + s * z``, *z* evenly spaced and
standardised to mean 0 and sample std 1 (``c == 1`` gives ``m``). Their
``value_table`` therefore reproduces the report's mean and std exactly (up to
floating-point rounding) and the count exactly. ``trials_for_coverage``
builds trials whose crosstab equals a coverage matrix.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

REPORT = Path(__file__).parent / "data" / "reference-report.md"

__all__ = [
    "REPORT",
    "Reference",
    "StudySection",
    "Trend",
    "load_reference",
    "parse_number",
    "parse_table",
    "trials_for_coverage",
    "trials_for_table",
]


@dataclass(frozen=True)
class Trend:
    """One ``### <param>`` block of "Parameter Trends"."""

    label: str
    best_value: object
    best_mean: float
    worst_value: object
    worst_mean: float
    table: pd.DataFrame  # columns value, mean, std, count (report order)


@dataclass
class StudySection:
    """One ``# HPO Analysis: <budget> (<hardware>)`` section."""

    budget: str
    hardware: str
    n_trials: int = 0
    best: float = float("nan")
    mean: float = float("nan")
    std: float = float("nan")
    metric: str = ""
    best_config: dict = field(default_factory=dict)
    collapse_text: str = ""
    importance: dict = field(default_factory=dict)
    trends: dict = field(default_factory=dict)
    coverage: dict = field(default_factory=dict)
    extremes: pd.DataFrame | None = None


@dataclass
class Reference:
    """The whole report: the cross-budget part and the study sections (keyed by budget)."""

    best_by_budget: pd.DataFrame
    scaling_values: dict
    scaling_holds: bool
    scaling_statement: str
    consistency: dict
    collapse_by_budget: pd.DataFrame
    studies: dict


def parse_number(text: str) -> object:
    """``"64"`` → 64, ``"0.0"`` → 0.0, ``"1e-05"`` → 1e-05; anything else unchanged (stripped)."""
    text = text.strip()
    if re.fullmatch(r"[-+]?\d+", text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return text


def parse_table(lines: list[str]) -> pd.DataFrame:
    """A Markdown pipe table (header, rule, rows) as a DataFrame of parsed cells."""
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines]
    header, body = rows[0], [r for r in rows[2:] if r]
    return pd.DataFrame([[parse_number(c) for c in r] for r in body], columns=header)


def _blocks(lines: list[str], prefix: str) -> list[tuple[str, list[str]]]:
    """Split *lines* at headings starting with *prefix* (e.g. ``"## "``)."""
    out: list[tuple[str, list[str]]] = []
    for line in lines:
        if line.startswith(prefix):
            out.append((line[len(prefix):].strip(), []))
        elif out:
            out[-1][1].append(line)
    return out


def _tables(lines: list[str]) -> list[list[str]]:
    tables, cur = [], []
    for line in lines:
        if line.strip().startswith("|"):
            cur.append(line)
        elif cur:
            tables.append(cur)
            cur = []
    if cur:
        tables.append(cur)
    return tables


def _parse_study(title: str, lines: list[str]) -> StudySection:
    m = re.fullmatch(r"HPO Analysis: (\S+) \((.*)\)", title)
    section = StudySection(budget=m.group(1), hardware=m.group(2))
    for heading, body in _blocks(lines, "## "):
        text = "\n".join(body)
        if heading == "Summary Statistics":
            section.n_trials = int(re.search(r"Total trials: (\d+)", text).group(1))
            mb = re.search(r"Best (\S+): ([-\d.e]+)", text)
            section.metric, section.best = mb.group(1), float(mb.group(2))
            section.mean = float(re.search(r"Mean \S+: ([-\d.e]+)", text).group(1))
            section.std = float(re.search(r"Std \S+: ([-\d.e]+)", text).group(1))
            section.best_config = {
                k: parse_number(v) for k, v in re.findall(r"^\s+- (\w+): (\S+)$", text, re.M)
            }
        elif heading == "Probability Collapse Analysis":
            section.collapse_text = text.strip()
        elif heading == "Parameter Importance":
            section.importance = {
                k: float(v) for k, v in re.findall(r"^\s+(\w+)\s+\|[# ]*\|\s+([\d.]+)$", text, re.M)
            }
        elif heading == "Parameter Trends":
            for param, sub in _blocks(body, "### "):
                st = "\n".join(sub)
                label = re.search(r"Trend: \*\*(\w+)\*\*", st).group(1)
                bv, bm = re.search(r"Best value: (\S+) \(mean \S+: ([-\d.e]+)\)", st).groups()
                wv, wm = re.search(r"Worst value: (\S+) \(mean \S+: ([-\d.e]+)\)", st).groups()
                table = parse_table(_tables(sub)[0])
                table.columns = ["value", "mean", "std", "count"]
                table = table.astype({"mean": float, "std": float, "count": int})
                section.trends[param] = Trend(
                    label, parse_number(bv), float(bm), parse_number(wv), float(wm), table
                )
        elif heading == "Coverage Matrices":
            for pair, sub in _blocks(body, "### "):
                row, col = (p.strip() for p in pair.split("×"))
                table = parse_table(_tables(sub)[0]).set_index(row)
                table.columns = [parse_number(c) for c in table.columns]
                table.columns.name = col
                section.coverage[(row, col)] = table.astype(int)
        elif heading == "Forced Extreme Trials":
            table = parse_table(_tables(body)[0])
            table.columns = [c.lower().replace(" ", "_") for c in table.columns]
            section.extremes = table.rename(columns={section.metric.lower(): "value"})
    return section


def load_reference(path: Path | str = REPORT) -> Reference:
    """Parse the reference report (by default ``tests/data/reference-report.md``)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    parts = _blocks(lines, "# ")
    cross = dict(_blocks(parts[0][1], "## "))
    best = parse_table(_tables(cross["Best Results by Budget"])[0])
    scaling = "\n".join(cross["Scaling Law Analysis"])
    values = {k: float(v) for k, v in re.findall(r"^- (\S+): ([-\d.e]+)$", scaling, re.M)}
    verdict = re.search(r"\*\*Scaling law (\w+)\*\*: (.*)$", scaling, re.M)
    consistency = {}
    lines_c = "\n".join(cross["Parameter Consistency Across Budgets"])
    for name, word, mapping in re.findall(r"^- \*\*(\w+)\*\*: (\w+) - (\{.*\})$", lines_c, re.M):
        consistency[name] = (word == "Consistent", ast.literal_eval(mapping))
    collapse = parse_table(_tables(cross["Probability Collapse by Budget"])[0])
    studies = {}
    for title, body in parts:
        if title.startswith("HPO Analysis:"):
            section = _parse_study(title, body)
            studies[section.budget] = section
    return Reference(
        best_by_budget=best,
        scaling_values=values,
        scaling_holds=verdict.group(1) != "VIOLATED",
        scaling_statement=verdict.group(2).strip(),
        consistency=consistency,
        collapse_by_budget=collapse,
        studies=studies,
    )


def _standard_scores(count: int) -> np.ndarray:
    """*count* evenly spaced numbers with mean 0 and sample std 1 (``[0.0]`` for one)."""
    if count == 1:
        return np.zeros(1)
    base = np.arange(count) - (count - 1) / 2
    return base / base.std(ddof=1)


def trials_for_table(
    table: pd.DataFrame,
    param: str,
    *,
    study: str = "study",
    direction: str = "maximize",
    start: int = 0,
) -> pd.DataFrame:
    """COMPLETE trials whose per-value table of *param* equals *table*.

    *table* has columns ``value``, ``mean``, ``std``, ``count`` (a
    :class:`Trend`'s ``table``). Each value gets ``count`` trials with
    objective ``mean + std * z`` (see the module docstring). Trials are
    numbered from *start* in table order and carry ``study``, ``number``,
    ``state``, ``value``, ``params_<param>`` and ``study_direction``.
    """
    values, objective = [], []
    for value, mean, std, count in table[["value", "mean", "std", "count"]].itertuples(index=False):
        values += [value] * int(count)
        objective.append(mean + std * _standard_scores(int(count)))
    y = np.concatenate(objective)
    return pd.DataFrame(
        {
            "study": study,
            "number": np.arange(start, start + len(y)),
            "state": "COMPLETE",
            "value": y,
            f"params_{param}": pd.Series(values, dtype=object).infer_objects(),
            "study_direction": direction,
        }
    )


def trials_for_coverage(
    matrix: pd.DataFrame,
    *,
    study: str = "study",
    direction: str = "maximize",
) -> pd.DataFrame:
    """COMPLETE trials whose crosstab of the matrix's two parameters equals *matrix*.

    *matrix* is a coverage matrix from :class:`StudySection` (index named
    after the row parameter, columns after the column parameter). Objective
    values are arbitrary (0.5).
    """
    row, col = matrix.index.name, matrix.columns.name
    long = matrix.stack().rename("n").reset_index()
    long.columns = [row, col, "n"]
    reps = long.loc[long.index.repeat(long["n"])].reset_index(drop=True)
    return pd.DataFrame(
        {
            "study": study,
            "number": np.arange(len(reps)),
            "state": "COMPLETE",
            "value": 0.5,
            f"params_{row}": reps[row].infer_objects(),
            f"params_{col}": reps[col].infer_objects(),
            "study_direction": direction,
        }
    )

"""The Markdown report: reference layout, exact small sections, escaping, number formats."""

from __future__ import annotations

import copy
import math
import re

import numpy as np
import pandas as pd
import pytest
from reference_tables import REPORT, load_reference, trials_for_coverage, trials_for_table

import hpo_insights as hi
from hpo_insights.report import _format as fmt
from hpo_insights.report import markdown as md

REF_TEXT = REPORT.read_text(encoding="utf-8")
REF = load_reference()


def _headings(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("#")]


def _header_rows(text: str) -> list[str]:
    lines = text.splitlines()
    return [
        line
        for line, nxt in zip(lines, lines[1:], strict=False)
        if line.startswith("|") and re.fullmatch(r"\|( ?-+ ?\|)+", nxt)
    ]


def _frame(values, params, *, study="s", states=None, **columns) -> pd.DataFrame:
    n = len(values)
    out = pd.DataFrame(
        {
            "study": study,
            "number": np.arange(n),
            "state": states if states is not None else ["COMPLETE"] * n,
            "value": values,
            **{f"params_{k}": v for k, v in params.items()},
            "study_direction": "maximize",
            "study_metric_name": "AUC",
        }
    )
    for name, column in columns.items():
        out[name] = column
    return out


# --------------------------------------------------------------------------- formats


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (1e-05, "1e-05"),
        (0.0005, "0.0005"),
        (0.1, "0.1"),
        (96, "96"),
        (np.int64(96), "96"),
        (np.float64(0.0), "0.0"),
        (0.1 + 0.2, "0.3"),
        (float("nan"), "N/A"),
        (True, "True"),
    ],
)
def test_value_format(x, text):
    assert fmt.value(x) == text


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (0.71728, "0.7173"),
        (0.023, "0.0230"),
        (np.float64(0.7173), "0.7173"),
        (1, "1.0000"),
        (None, "N/A"),
        (pd.NA, "N/A"),
        (float("nan"), "N/A"),
    ],
)
def test_number_format(x, text):
    assert fmt.number(x) == text


@pytest.mark.parametrize("share", [0.0, 0.0199, 0.02, 0.3592, 0.5432, 0.999, 1.0])
def test_bar_width_and_count(share):
    line = fmt.importance_line("dropout", share)
    name, bar, value = line.split(" | ")
    assert name == "  " + "dropout".ljust(15)
    assert len(bar) == 50 and bar.rstrip(" ") == "#" * math.floor(share * 50)
    assert value == f"{share:.4f}"


def test_importance_lines_match_the_reference():
    lines = [line for line in REF_TEXT.splitlines() if line.startswith("  ") and " | " in line]
    assert len(lines) == 21
    for line in lines:
        name, share = line.split(" | ")[0].strip(), float(line.rsplit("| ", 1)[1])
        assert fmt.importance_line(name, share) == line
    assert fmt.bar(0.3592).count("#") == 17


def test_mapping_and_table():
    assert (
        fmt.mapping({"2M": 0.1, "20M": 0.7, "200M": 0.5}) == "{'2M': 0.1, '20M': 0.7, '200M': 0.5}"
    )
    assert fmt.table(["Budget", "Best AUC"], [["2M", "0.7173"]]).splitlines() == [
        "| Budget | Best AUC |",
        "|--------|----------|",
        "| 2M | 0.7173 |",
    ]
    assert fmt.table(["a", "b"], [], rule="short").splitlines()[1] == "| --- | --- |"
    with pytest.raises(ValueError, match="rule"):
        fmt.table(["a"], [], rule="dots")


# --------------------------------------------------------------------------- escaping


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("a|b", "a\\|b"),
        ("*bold* `code` [link](x) ~~s~~", "\\*bold\\* \\`code\\` \\[link\\](x) \\~\\~s\\~\\~"),
        ("_em_ d_model", "\\_em\\_ d_model"),
        ("a\\b & c", "a\\\\b &amp; c"),
        ("two\nlines", "two lines"),
    ],
)
def test_escape(raw, safe):
    assert fmt.escape(raw) == safe


def test_hostile_study_name_is_inert():
    name = "<script>alert(1)</script>|x"
    t = _frame([0.5, 0.6, 0.7], {"lr": [0.1, 0.2, 0.1]}, study=name)
    text = md.study_header(t, name) + md.summary(t, name) + md.trends(t, name)
    assert "<script" not in text and "</script" not in text
    assert md.study_header(t, name) == "# HPO Analysis: &lt;script&gt;alert(1)&lt;/script&gt;\\|x"


def test_pipe_in_values_does_not_break_tables():
    t = _frame([0.5, 0.6, 0.7, 0.8], {"opt": ["a|b", "c", "a|b", "c"]}, study="a|b")
    text = md.trend(t, "a|b", "opt")
    for line in text.splitlines():
        if line.startswith("|"):
            assert len(re.findall(r"(?<!\\)\|", line)) == 5  # 4 columns
    assert "| a\\|b | 0.6000 |" in text


# --------------------------------------------------------------------------- exact sections


def test_summary_exact():
    t = _frame(
        [0.7, 0.9, 0.8, 0.95],
        {"d_model": [32, 64, 96, 64], "learning_rate": [1e-05, 0.0005, 0.1, 0.0005]},
        states=["COMPLETE", "COMPLETE", "COMPLETE", "PRUNED"],
    )
    used = np.array([0.7, 0.9, 0.8])
    expected = "\n".join(
        [
            "## Summary Statistics",
            "",
            "- Total trials: 4",
            f"- Best AUC: {used.max():.4f}",
            f"- Mean AUC: {used.mean():.4f}",
            f"- Std AUC: {used.std(ddof=1):.4f}",
            "",
            "**Best Configuration:**",
            "  - d_model: 64",
            "  - learning_rate: 0.0005",
            "",
            "Best trial: number 1 (maximize).",
            "",
            "Counted: 3 of 4 trials (COMPLETE with a finite AUC); "
            "1 pruned, 0 failed, 0 running, 0 waiting.",
        ]
    )
    assert md.summary(t, "s") == expected


def test_importance_exact():
    # x explains all of y, z explains nothing: eta^2 1 and 0
    t = _frame([1.0, 1.0, 3.0, 3.0], {"x": [1, 1, 2, 2], "z": [1, 2, 1, 2]})
    text = md.importance(t, "s")
    assert text.split("\n\n")[:3] == [
        "## Parameter Importance",
        "(Fraction of AUC variance explained by each parameter)",
        "```text\n  x               | "
        + "#" * 50
        + " | 1.0000\n  z               | "
        + " " * 50
        + " | 0.0000\n```",
    ]
    assert "exact eta^2" in text and "4 completed trials" in text


def test_metric_label_falls_back_to_objective():
    t = _frame([1.0, 2.0], {"x": [1, 2]}).drop(columns="study_metric_name")
    assert "(Fraction of Objective variance" in md.importance(t, "s")


@pytest.mark.parametrize("budget", ["2M", "20M", "200M"])
@pytest.mark.parametrize(
    "param", ["d_model", "n_layers", "n_heads", "learning_rate", "dropout", "weight_decay"]
)
def test_trend_block_reproduces_the_reference(budget, param):
    ref = REF.studies[budget].trends[param]
    t = trials_for_table(ref.table, param)
    t["study_metric_name"] = "AUC"
    block = re.search(
        rf"# HPO Analysis: {budget} \(a100\).*?\n(### {param}\n.*?)\n\n(?=###|## )", REF_TEXT, re.S
    ).group(1)
    ours = md.trend(t, "study", param)
    assert ours.startswith(block + "\n\n")  # reference content first, extras after
    assert "95% CI of the mean AUC:" in ours.split(block, 1)[1]


@pytest.mark.parametrize("budget", ["2M", "20M", "200M"])
def test_coverage_reproduces_the_reference(budget):
    study = REF.studies[budget]
    for (row, col), matrix in study.coverage.items():
        t = trials_for_coverage(matrix)
        block = re.search(
            rf"# HPO Analysis: {budget} \(a100\).*?\n(### {row} × {col}\n\n(?:\|[^\n]*\n)+)",
            REF_TEXT,
            re.S,
        ).group(1)
        ours = md.coverage(t, "study", [(row, col)])
        assert ours.startswith(
            "## Coverage Matrices\n\n(Count of trials testing each combination)\n\n"
        )
        assert ours.endswith(block.rstrip("\n"))


def test_coverage_default_pairs_without_reference_params():
    t = _frame([1.0, 2.0, 3.0], {"a": [1, 2, 1], "b": ["x", "y", "y"], "c": [0.1, 0.2, 0.3]})
    assert _headings(md.coverage(t, "s")) == [
        "## Coverage Matrices",
        "### a × b",
        "### a × c",
        "### b × c",
    ]


def test_trends_default_order_and_subset():
    t = _frame(
        [1.0, 2.0, 3.0], {"extra": [1, 2, 3], "dropout": [0.1, 0.3, 0.1], "d_model": [32, 64, 32]}
    )
    assert _headings(md.trends(t, "s")) == [
        "## Parameter Trends",
        "### d_model",
        "### dropout",
        "### extra",
    ]
    assert _headings(md.trends(t, "s", ["extra"])) == ["## Parameter Trends", "### extra"]


def test_study_header_and_unknown_study():
    t = _frame(
        [1.0],
        {"x": [1]},
        study="transformer-2M",
        study_user_attrs_budget="2M",
        study_user_attrs_hardware="a100",
    )
    assert md.study_header(t, "transformer-2M") == "# HPO Analysis: 2M (a100)"
    assert (
        md.study_header(
            t.drop(columns=["study_user_attrs_budget", "study_user_attrs_hardware"]),
            "transformer-2M",
        )
        == "# HPO Analysis: transformer-2M"
    )
    with pytest.raises(hi.TrialsError, match="transformer-2M"):
        md.summary(t, "nope")


def test_collapse_unknown_and_no():
    t = _frame([0.5, 0.6], {"x": [1, 2]})
    assert md.collapse(t, "s") == (
        "## Probability Collapse Analysis\n\n"
        "Probability collapse: unknown (no prediction statistics recorded)."
    )
    t2 = _frame(
        [0.5, 0.6],
        {"x": [1, 2]},
        user_attrs_pred_min=[0.0, 0.1],
        user_attrs_pred_max=[0.9, 0.95],
        user_attrs_pred_std=[0.2, 0.2],
        user_attrs_recall=[0.5, 0.6],
    )
    assert md.collapse(t2, "s").startswith(
        "## Probability Collapse Analysis\n\nNo probability collapse detected."
    )


def test_collapse_yes_exact():
    t = _frame(
        [0.5, 0.6, 0.7],
        {"x": [1, 2, 3]},
        user_attrs_pred_min=[0.30, 0.29, 0.0],
        user_attrs_pred_max=[0.31, 0.32, 0.9],
        user_attrs_pred_std=[0.001, 0.002, 0.2],
        user_attrs_recall=[0.0, 0.1, 0.6],
    )
    assert md.collapse(t, "s") == (
        "## Probability Collapse Analysis\n\n"
        "**Probability collapse detected** in 2 of 3 measured trials.\n\n"
        f"- Pred range: {0.29:.4f}-{0.32:.4f}\n"
        f"- Avg recall: {0.05:.4f}"
    )


def test_extremes_exact():
    t = _frame(
        [0.7094, 0.7063, np.nan],
        {"d_model": [32, 96, 64], "n_layers": [4, 4, 2]},
        states=["COMPLETE", "COMPLETE", "FAIL"],
        user_attrs_extreme_type=["min_d_model", "max_d_model", "min_n_layers"],
    )
    assert md.extremes(t, "s") == "\n".join(
        [
            "## Forced Extreme Trials",
            "",
            "| Trial | Extreme Type | AUC | d_model | n_layers |",
            "|-------|--------------|-----|---------|----------|",
            "| 0 | min_d_model | 0.7094 | 32 | 4 |",
            "| 1 | max_d_model | 0.7063 | 96 | 4 |",
            "| 2 | min_n_layers | N/A | 64 | 2 |",
            "",
            "Not completed: trial 2 (FAIL); its AUC is not counted.",
        ]
    )
    none = _frame([0.5], {"x": [1]})
    assert (
        md.extremes(none, "s") == "## Forced Extreme Trials\n\nNo forced extreme trials recorded."
    )


def test_renderers_do_not_mutate_input():
    t = _frame([0.5, 0.6, 0.7], {"x": [1, 2, 1], "y": [0.1, 0.2, 0.3]})
    before = copy.deepcopy(t)
    md.summary(t, "s"), md.importance(t, "s"), md.trends(t, "s"), md.coverage(t, "s")
    pd.testing.assert_frame_equal(t, before)


# --------------------------------------------------------------------------- reference layout


@pytest.fixture(scope="module")
def rendered():
    return md.render(hi.datasets.example())


def _without_extras(text: str) -> str:
    """*text* without what we add to the reference: d_ff_ratio trend blocks, best-trial table."""
    text = re.sub(r"### d_ff_ratio\n.*?(?=\n#)", "", text, flags=re.S)
    return re.sub(r"\| Budget \| Study \| Trial \|.*?(?=\n\n)", "", text, flags=re.S)


def _shape(rows: list[str]) -> list[str]:
    """Header rows, coverage headers cut to their first cell (the rest are grid values)."""
    coverage = ("| d_model |", "| learning_rate |")
    return [r.split(" | ")[0] + " |" if r.startswith(coverage) else r for r in rows]


def test_render_has_the_reference_headings(rendered):
    assert _headings(_without_extras(rendered)) == _headings(REF_TEXT)
    assert _headings(rendered).count("### d_ff_ratio") == 3


def test_render_has_the_reference_table_headers(rendered):
    ours = _header_rows(_without_extras(rendered))
    assert _shape(ours) == _shape(_header_rows(REF_TEXT))
    assert len(ours) == len(_header_rows(rendered)) - 1 - 3  # one best-trial table, 3 d_ff_ratio


def test_render_separators_and_scaling_line(rendered):
    assert rendered.count("\n---\n") == 3
    assert re.search(r"^\*\*Scaling law (VIOLATED|holds)\*\*: \S+ > \S+ > \S+$", rendered, re.M)


# --------------------------------------------------------------------------- cross-budget


@pytest.fixture
def reference_budgets(monkeypatch):
    """The budget analyses replaced by the reference report's answers (contract columns)."""
    from types import SimpleNamespace

    best = REF.best_by_budget
    names = {"LR": "learning_rate", "WD": "weight_decay"}
    compare = pd.DataFrame(
        {
            "budget": best["Budget"],
            "study": "transformer-" + best["Budget"],
            "size": [2e6, 2e7, 2e8],
            "best": best["Best AUC"],
            "number": [7, 8, 9],
        }
    )
    for column in best.columns[2:]:
        short = column.removeprefix("Best ")
        compare[f"params_{names.get(short, short)}"] = best[column].to_list()
    compare["params_n_heads"] = [8, 8, 16]
    check = SimpleNamespace(
        holds=REF.scaling_holds,
        ranking=tuple(REF.scaling_statement.split(" > ")),
        table=pd.DataFrame(
            {"budget": list(REF.scaling_values), "best": list(REF.scaling_values.values())}
        ),
        statement=REF.scaling_statement,
    )
    consistency = pd.DataFrame(
        {
            "param": list(REF.consistency),
            "consistent": [c for c, _ in REF.consistency.values()],
            "n_distinct": [len(set(v.values())) for _, v in REF.consistency.values()],
            "values": [v for _, v in REF.consistency.values()],
        }
    )
    collapse = pd.DataFrame(
        {
            "budget": best["Budget"],
            "collapse": "No",
            "n_collapsed": 0,
            "n_measured": 50,
            "pred_low": np.nan,
            "pred_high": np.nan,
            "mean_recall": np.nan,
        }
    )
    monkeypatch.setattr(hi, "compare_budgets", lambda trials, **kw: compare)
    monkeypatch.setattr(hi, "scaling_check", lambda trials, **kw: check)
    monkeypatch.setattr(hi, "param_consistency", lambda trials, **kw: consistency)
    monkeypatch.setattr(hi, "collapse_by_budget", lambda trials, **kw: collapse)
    return compare


def _reference_part(text: str, heading: str) -> str:
    return re.search(rf"(## {heading}\n.*?)\n\n(?=## |---)", text, re.S).group(1)


@pytest.mark.parametrize(
    "heading",
    [
        "Best Results by Budget",
        "Scaling Law Analysis",
        "Parameter Consistency Across Budgets",
        "Probability Collapse by Budget",
    ],
)
def test_cross_budget_reproduces_the_reference(reference_budgets, heading):
    trials = _frame([0.5], {"x": [1]}, study_metric_name="AUC")
    text = md.cross_budget(trials)
    assert text.startswith("# Cross-Budget HPO Comparison\n\n## Best Results by Budget\n\n")
    assert _reference_part(REF_TEXT, heading) in text
    part = re.search(rf"## {heading}\n.*?(?=\n## |\Z)", text, re.S).group(0)
    assert part.startswith(_reference_part(REF_TEXT, heading))


def test_cross_budget_extras(reference_budgets):
    text = md.cross_budget(_frame([0.5], {"x": [1]}))
    assert "| Budget | Study | Trial | n_heads |\n|--------|-------|-------|---------|\n" in text
    assert "| 200M | transformer-200M | 9 | 16 |" in text
    assert "Trials checked: 2M: 0 of 50 measured trials collapsed;" in text


def test_scaling_law_holds_sentence(reference_budgets, monkeypatch):
    from types import SimpleNamespace

    check = SimpleNamespace(
        holds=True,
        ranking=("200M", "20M", "2M"),
        table=pd.DataFrame({"budget": [], "best": []}),
        statement="200M > 20M > 2M",
    )
    monkeypatch.setattr(hi, "scaling_check", lambda trials, **kw: check)
    text = md.cross_budget(_frame([0.5], {"x": [1]}))
    assert "**Scaling law holds**: 200M > 20M > 2M\n" in text
    assert "VIOLATED" not in text and "overfitting" not in text


def test_binned_param_shows_interval_labels():
    rng = np.random.default_rng(0)
    lr = 10 ** rng.uniform(-5, -2, 40)
    t = _frame(rng.normal(size=40), {"lr": lr})
    text = md.trend(t, "s", "lr")
    labels = hi.value_table(t, params="lr")["value"]
    assert len(labels) == 10
    for label in labels:
        assert f"| {fmt.escape(label)} | " in text
    assert "grouped into 10 quantile intervals" in text


def test_cross_budget_passes_each_warning_on_once(monkeypatch, reference_budgets):
    import warnings

    def compare(trials, **kw):
        warnings.warn("labels have no size", hi.TrialsWarning, stacklevel=2)
        return reference_budgets

    monkeypatch.setattr(hi, "compare_budgets", compare)

    def consistency(trials, **kw):
        compare(trials)  # the same warning again
        return pd.DataFrame(columns=["param", "consistent", "n_distinct", "values"])

    monkeypatch.setattr(hi, "param_consistency", consistency)
    with pytest.warns(hi.TrialsWarning, match="labels have no size") as record:
        text = md.cross_budget(_frame([0.5], {"x": [1]}))
    assert len(record) == 1
    assert "No parameter shares one grid across budgets." in text

"""The Markdown report: renderers of results, both layouts, exact sections, escaping, formats."""

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
from hpo_insights.report import answers
from hpo_insights.report import markdown as md
from hpo_insights.report import reference as ref_layout

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
    """Text from the data is inert in Markdown and HTML."""
    assert fmt.escape(raw) == safe


@pytest.mark.parametrize("layout", ["default", "reference"])
def test_hostile_study_name_is_inert(layout):
    """A study named like markup shows as text in headings, contents and findings."""
    name = "<script>alert(1)</script>|x"
    t = _frame([0.5, 0.6, 0.7, 0.4], {"lr": [0.1, 0.2, 0.1, 0.2], "b": [1, 1, 2, 2]}, study=name)
    text = hi.report.render(t, layout=layout)
    assert "<script" not in text and "</script" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\\|x" in text


def test_pipe_in_values_does_not_break_tables():
    """A '|' in a parameter value is escaped: every row keeps its columns."""
    t = _frame([0.5, 0.6, 0.7, 0.8], {"opt": ["a|b", "c", "a|b", "c"]}, study="a|b")
    for render, columns in ((ref_layout.value_table, 4), (md.value_table, 6)):
        text = render(hi.value_table(t, params="opt"))
        for line in text.splitlines():
            if line.startswith("|"):
                assert len(re.findall(r"(?<!\\)\|", line)) == columns + 1
        assert "| a\\|b | " in text


# --------------------------------------------------------------------------- exact sections


def test_summary_exact():
    """Counts and statistics of the COMPLETE trials, reference and default layouts."""
    t = _frame(
        [0.7, 0.9, 0.8, 0.95],
        {"d_model": [32, 64, 96, 64], "learning_rate": [1e-05, 0.0005, 0.1, 0.0005]},
        states=["COMPLETE", "COMPLETE", "COMPLETE", "PRUNED"],
    )
    used = np.array([0.7, 0.9, 0.8])
    assert ref_layout.summarize(hi.summarize(t), metric="AUC") == "\n".join([
        "- Total trials: 4",
        f"- Best AUC: {used.max():.4f}",
        f"- Mean AUC: {used.mean():.4f}",
        f"- Std AUC: {used.std(ddof=1):.4f}",
    ])
    assert ref_layout.best_trial(hi.best_trial(t)) == (
        "**Best Configuration:**\n  - d_model: 64\n  - learning_rate: 0.0005")
    default = md.summarize(hi.summarize(t), metric="AUC").splitlines()
    assert default[0].startswith("| Trials | Counted | Pruned | Failed | Unfinished | Best AUC |")
    assert default[2] == (f"| 4 | 3 | 1 | 0 | 0 | {used.max():.4f} | {used.mean():.4f} | "
                          f"{used.std(ddof=1):.4f} | maximize |")


def test_importance_exact():
    """x explains all of y, z nothing: bars of 50 and 0 '#', table rows 1 and 0."""
    t = _frame([1.0, 1.0, 3.0, 3.0], {"x": [1, 1, 2, 2], "z": [1, 2, 1, 2]})
    ve = hi.variance_explained(t)
    text = ref_layout.variance_explained(ve, metric="AUC")
    assert text.split("\n\n")[:2] == [
        "(Fraction of AUC variance explained by each parameter)",
        "```text\n  x               | "
        + "#" * 50
        + " | 1.0000\n  z               | "
        + " " * 50
        + " | 0.0000\n```",
    ]
    assert "exact eta^2" in text and "4 completed trials" in text
    rows = md.variance_explained(ve).splitlines()
    assert rows[2].startswith("| x | 1.0000 |") and rows[3].startswith("| z | 0.0000 |")


def test_importance_shows_interval_columns_when_present():
    """Interval, adjusted share, p-value and verdict columns appear when the result has them."""
    ve = pd.DataFrame({"study": "s", "param": ["a"], "share": [0.5], "ci_low": [0.2],
                       "ci_high": [0.7], "share_adjusted": [0.4], "p_value": [0.0004],
                       "matters": [True], "n_trials": [30]})
    header, _, row = md.variance_explained(ve).splitlines()
    assert header == ("| Parameter | Share | 95% CI low | 95% CI high | Adjusted share | "
                      "p-value | Matters | Trials |")
    assert row == "| a | 0.5000 | 0.2000 | 0.7000 | 0.4000 | <0.001 | yes | 30 |"


def test_metric_label_falls_back_to_objective():
    """Without study_metric_name the objective column names the metric."""
    t = _frame([1.0, 2.0], {"x": [1, 2]}).drop(columns="study_metric_name")
    assert hi.report.metric_name(t) == "value"
    assert hi.report.metric_name(_frame([1.0, 2.0], {"x": [1, 2]})) == "AUC"


@pytest.mark.parametrize("budget", ["2M", "20M", "200M"])
@pytest.mark.parametrize(
    "param", ["d_model", "n_layers", "n_heads", "learning_rate", "dropout", "weight_decay"]
)
def test_trend_block_reproduces_the_reference(budget, param):
    """Reference layout: the reference's ### block first (values, means, stds, counts)."""
    ref = REF.studies[budget].trends[param]
    t = trials_for_table(ref.table, param)
    block = re.search(
        rf"# HPO Analysis: {budget} \(a100\).*?\n(### {param}\n.*?)\n\n(?=###|## )", REF_TEXT, re.S
    ).group(1)
    ours = ref_layout.value_table(hi.value_table(t, params=param), metric="AUC",
                                  trend=hi.classify_trend(t, params=param, method="endpoints"))
    assert ours.startswith(block + "\n\n")  # reference content first, extras after
    assert "95% CI of the mean AUC:" in ours.split(block, 1)[1]


def test_default_trend_table_has_interval_columns():
    """Default layout: the interval is two columns, t-interval computed independently."""
    from scipy import stats

    t = _frame([0.5, 0.7, 0.8, 0.9, 0.6], {"lr": [0.1, 0.1, 0.01, 0.01, 0.001]})
    text = md.value_table(hi.value_table(t, params="lr"), metric="AUC")
    lines = text.splitlines()
    assert lines[0] == "#### lr"
    assert lines[2] == "| Value | Trials | Mean AUC | Std | 95% CI low | 95% CI high |"
    y = np.array([0.8, 0.9])
    half = stats.t.ppf(0.975, 1) * y.std(ddof=1) / np.sqrt(2)
    assert f"| 0.01 | 2 | 0.8500 | {y.std(ddof=1):.4f} | {0.85 - half:.4f} | {0.85 + half:.4f} |" \
        in lines
    assert "| 0.001 | 1 | 0.6000 | N/A | N/A | N/A |" in lines


@pytest.mark.parametrize("budget", ["2M", "20M", "200M"])
def test_coverage_reproduces_the_reference(budget):
    """Each coverage matrix of the reference, rebuilt from trials, reads the same."""
    study = REF.studies[budget]
    for (row, col), matrix in study.coverage.items():
        t = trials_for_coverage(matrix)
        block = re.search(
            rf"# HPO Analysis: {budget} \(a100\).*?\n(### {row} × {col}\n\n(?:\|[^\n]*\n)+)",
            REF_TEXT,
            re.S,
        ).group(1)
        ours = ref_layout.coverage_crosstab(hi.coverage_crosstab(t, params=[row, col]))
        assert ours == block.rstrip("\n")


def test_collapse_unknown_and_no():
    """Nothing measured is 'unknown', never 'no collapse'; measured and fine is 'No ...'."""
    t = _frame([0.5, 0.6], {"x": [1, 2]})
    assert md.collapse_summary(hi.collapse_summary(t)) == (
        "Probability collapse: unknown (no prediction statistics recorded).")
    t2 = _frame([0.5, 0.6], {"x": [1, 2]}, user_attrs_pred_min=[0.0, 0.1],
                user_attrs_pred_max=[0.9, 0.95], user_attrs_pred_std=[0.2, 0.2],
                user_attrs_recall=[0.5, 0.6])
    assert md.collapse_summary(hi.collapse_summary(t2)).startswith(
        "No probability collapse detected.")


def test_collapse_yes_exact():
    """Two of three trials collapsed: counts, range and mean recall of those two."""
    t = _frame([0.5, 0.6, 0.7], {"x": [1, 2, 3]}, user_attrs_pred_min=[0.30, 0.29, 0.0],
               user_attrs_pred_max=[0.31, 0.32, 0.9], user_attrs_pred_std=[0.001, 0.002, 0.2],
               user_attrs_recall=[0.0, 0.1, 0.6])
    assert md.collapse_summary(hi.collapse_summary(t)) == (
        "**Probability collapse detected** in 2 of 3 measured trials.\n\n"
        f"- Pred range: {0.29:.4f}-{0.32:.4f}\n"
        f"- Avg recall: {0.05:.4f}"
    )


def test_extremes_exact():
    """One row per forced extreme, unfinished ones named after the table."""
    t = _frame([0.7094, 0.7063, np.nan], {"d_model": [32, 96, 64], "n_layers": [4, 4, 2]},
               states=["COMPLETE", "COMPLETE", "FAIL"],
               user_attrs_extreme_type=["min_d_model", "max_d_model", "min_n_layers"])
    assert md.forced_extremes(hi.forced_extremes(t), metric="AUC") == "\n".join([
        "| Trial | Extreme Type | AUC | d_model | n_layers |",
        "|-------|--------------|-----|---------|----------|",
        "| 0 | min_d_model | 0.7094 | 32 | 4 |",
        "| 1 | max_d_model | 0.7063 | 96 | 4 |",
        "| 2 | min_n_layers | N/A | 64 | 2 |",
        "",
        "Not completed: trial 2 (FAIL); its AUC is not counted.",
    ])
    none = _frame([0.5], {"x": [1]})
    assert md.forced_extremes(hi.forced_extremes(none)) == "No forced extreme trials recorded."


def test_render_does_not_mutate_input():
    """Rendering the whole report leaves the trials untouched."""
    t = _frame([0.5, 0.6, 0.7], {"x": [1, 2, 1], "y": [0.1, 0.2, 0.3]})
    before = copy.deepcopy(t)
    hi.report.render(t), hi.report.render(t, layout="reference")
    pd.testing.assert_frame_equal(t, before)


# --------------------------------------------------------------------------- which analysis


def test_kind_recognises_every_analysis(example):
    """show() can tell every analysis's result apart by its columns."""
    one = example[example["study"] == "transformer-2M"]
    results = {
        "summarize": hi.summarize(one),
        "best_trial": hi.best_trial(one),
        "collapse_summary": hi.collapse_summary(one),
        "detect_collapse": hi.detect_collapse(one),
        "variance_explained": hi.variance_explained(one),
        "classify_trend": hi.classify_trend(one),
        "value_table": hi.value_table(one),
        "coverage_crosstab": hi.coverage_crosstab(one, params=["d_model", "n_heads"]),
        "forced_extremes": hi.forced_extremes(one),
        "compare_budgets": hi.compare_budgets(example),
        "scaling_check": hi.scaling_check(example),
        "param_consistency": hi.param_consistency(example),
        "collapse_by_budget": hi.collapse_by_budget(example),
        "optimization_history": hi.optimization_history(example),
        "sampling_association": hi.sampling_association(one),
        "search_space_importance": hi.search_space_importance(one),
        "suggestions": hi.suggestions(one),
        "importance_by_budget": hi.importance_by_budget(example),
    }
    assert {name: md.kind(r) for name, r in results.items()} == {n: n for n in results}
    with pytest.raises(hi.TrialsError, match="cannot tell which analysis"):
        md.kind(pd.DataFrame({"a": [1]}))


def test_unknown_layout_is_an_error():
    """A layout name that does not exist lists the ones that do."""
    with pytest.raises(hi.TrialsError, match="'default', 'reference'"):
        hi.report.render(_frame([1.0, 2.0], {"x": [1, 2]}), layout="fancy")


# --------------------------------------------------------------------------- reference layout


@pytest.fixture(scope="module")
def rendered():
    return hi.report.render(hi.datasets.example(), layout="reference")


def _without_extras(text: str) -> str:
    """*text* without what we add to the reference: title, contents and key findings first,
    d_ff_ratio trend blocks, the best-trial table."""
    text = text[text.index("# Cross-Budget HPO Comparison"):]
    text = re.sub(r"### d_ff_ratio\n.*?(?=\n#)", "", text, flags=re.S)
    return re.sub(r"\| Budget \| Study \| Trial \|.*?(?=\n\n)", "", text, flags=re.S)


def _shape(rows: list[str]) -> list[str]:
    """Header rows, coverage headers cut to their first cell (the rest are grid values)."""
    coverage = ("| d_model |", "| learning_rate |")
    return [r.split(" | ")[0] + " |" if r.startswith(coverage) else r for r in rows]


def test_render_has_the_reference_headings(rendered):
    """Reference layout: the reference report's headings, in order."""
    assert _headings(_without_extras(rendered)) == _headings(REF_TEXT)
    assert _headings(rendered).count("### d_ff_ratio") == 3
    assert _headings(rendered)[:3] == ["# Hyperparameter search report", "## Contents",
                                       "## Key findings"]


def test_render_has_the_reference_table_headers(rendered):
    """Reference layout: the reference report's table headers, in order."""
    ours = _header_rows(_without_extras(rendered))
    assert _shape(ours) == _shape(_header_rows(REF_TEXT))
    assert len(ours) == len(_header_rows(rendered)) - 1 - 3  # one best-trial table, 3 d_ff_ratio


def test_render_separators_and_scaling_line(rendered):
    """Parts separated by '---', the scaling statement on its own line."""
    assert rendered.count("\n---\n") == 3
    assert re.search(r"^\*\*Scaling law (VIOLATED|holds)\*\*: \S+ > \S+ > \S+$", rendered, re.M)


def test_default_layout_orders_parameters_as_what_matters(example):
    """Default layout: a study's per-value tables follow its What matters order (the
    parameters that matter first, then by effect), read here from hi.findings itself."""
    text = hi.report.render(example)
    details = text.split("## Details: Study transformer-2M")[1].split("## Details: Study")[0]
    order = re.findall(r"^#### (\S+)$", details.split("### Coverage")[0], re.M)
    f = hi.findings(example)
    m = f[(f["study"] == "2M") & (f["claim"] == "matters")]
    expected = (list(m[m["claimed"]].sort_values("effect", ascending=False)["param"])
                + list(m[~m["claimed"]].sort_values("effect", ascending=False)["param"]))
    assert order == expected
    assert "95% CI low" in details and "95% CI of the mean" not in details
    assert "overfitting" not in text  # the reference's sentence belongs to its layout


def test_default_page_makes_claims_only_from_findings(example):
    """No verdict of another analysis on the default page: no Matters column, no scaling or
    consistency verdict, no trend labels, no suggestions; the findings' claims are there."""
    text = hi.report.render(example)
    for other in ("| Matters |", "Scaling law", "Inconsistent", "| Trend |", "| Kind |"):
        assert other not in text
    f = hi.findings(example)
    for detail in f.loc[f["claimed"], "detail"]:
        assert fmt.escape(detail) in text


def test_what_matters_known_answer():
    """A hand-made findings frame: verdict words, effect with interval, adjusted p, best
    range, shape, edge and worse notes, and the pooled table's consistency column."""
    def row(study, param, claim, value, claimed, effect=np.nan, low=np.nan, high=np.nan,
            p=np.nan, best_low=np.nan, best_high=np.nan, best=None, detail=""):
        return {"study": study, "param": param, "claim": claim, "value": value,
                "claimed": claimed, "effect": effect, "effect_low": low, "effect_high": high,
                "p_value": p, "p_adjusted": p, "n_trials": 40, "n_pruned": 3,
                "section": "importance", "best_low": best_low, "best_high": best_high,
                "best_value": best, "detail": detail, "n_outliers": 0}

    f = pd.DataFrame([
        row("a, b", "lr", "matters", "yes", True, 0.02, 0.01, 0.03, 0.0004, 1e-4, 3e-4, 2e-4),
        row("a, b", "lr", "consistency", "inconsistent", True, p=0.01),
        row("a, b", "wd", "matters", "no evidence", False, 0.001, 0.0, 0.004, 0.6),
        row("a", "lr", "matters", "yes", True, 0.03, 0.02, 0.05, 0.002, 1e-4, 2e-4, 1.5e-4),
        row("a", "lr", "shape", "peaked", True, 0.01, 0.005, 0.02, 0.01),
        row("a", "lr", "edge", "high", True, p=0.03),
        row("a", "opt", "matters", "yes", True, 0.05, 0.04, 0.06, 0.0001, best="adam"),
        row("a", "opt", "worse", "sgd", True, p=0.02),
        row("a", "wd", "matters", "no evidence", False, 0.002, 0.0, 0.01, 0.9),
        row("a", "wd", "shape", "flat", True),
        row("a, b", "", "scaling", "holds", True, detail="b does better than a."),
    ])
    one = pd.DataFrame({"study": ["a"], "params_lr": [0.1], "params_opt": ["adam"],
                        "params_wd": [0.0], "params_new": [1]})
    two = pd.DataFrame({"study": ["a", "b"], "params_lr": [0.1, 0.2]})
    lines = answers.what_matters(f, trials=one, metric="AUC").splitlines()
    assert lines[0] == ("| Parameter | Verdict | Effect on AUC [95% CI] | p (adjusted) | "
                        "Best range | Shape | Also |")
    assert lines[2] == ("| opt | **matters** | 0.0500 [0.0400, 0.0600] | <0.001 | adam | — "
                        "| sgd is worse |")
    assert lines[3] == ("| lr | **matters** | 0.0300 [0.0200, 0.0500] | 0.002 | 0.0001 to 0.0002 "
                        "| peaked | best at the high end: try beyond it |")
    assert lines[4] == ("| wd | flat (below the margin) | 0.0020 [0.0000, 0.0100] | 0.900 | — "
                        "| — | — |")
    assert "Claims rest on 40 completed trials (3 pruned trials left out)." in lines
    tiny = f.assign(effect=[7e-5, *f["effect"][1:]], effect_low=[7e-6, *f["effect_low"][1:]],
                    effect_high=[3e-4, *f["effect_high"][1:]])
    assert "| 7e-05 [7e-06, 0.0003] |" in answers.what_matters(tiny, trials=two)
    mixed = f.assign(effect_low=[7e-6, *f["effect_low"][1:]])
    assert "| 0.0200 [0.0000, 0.0300] |" in answers.what_matters(mixed, trials=two)
    assert answers.parameters(f, one) == ["opt", "lr", "wd", "new"]
    assert answers.parameters(f, one, which="claimed") == ["opt", "lr"]
    two = pd.DataFrame({"study": ["a", "b"], "params_lr": [0.1, 0.2]})
    pooled = answers.what_matters(f, trials=two, metric="AUC")
    # shape and further claims: none across budgets, so those columns are left out
    assert "| Parameter | Verdict | Effect on AUC [95% CI] | p (adjusted) | Best range | " \
        "Between budgets |" in pooled
    assert "| lr | **matters** | 0.0200 [0.0100, 0.0300] | <0.001 | 0.0001 to 0.0003 | " \
        "differs |" in pooled
    assert "| wd | no evidence of an effect | 0.0010 [0.0000, 0.0040] | 0.600 | — | — |" \
        in pooled
    # the verdict and its explanation are two paragraphs (HTML and Markdown keep the break)
    assert "**Scaling with the budget: holds.**\n\n" not in pooled
    assert "\n\n**Scaling with the budget: holds.** b does better than a." in pooled


def test_key_findings_lists_only_claims():
    """Key findings: every claimed row's sentence, grouped by label, nothing unclaimed."""
    f = pd.DataFrame({"study": ["a, b", "a", "a"], "param": ["lr", "lr", "wd"],
                      "claim": ["matters", "matters", "matters"],
                      "value": ["yes", "yes", "no evidence"], "claimed": [True, True, False],
                      "p_adjusted": [0.01, 0.02, 0.9],
                      "detail": ["lr matters pooled.", "lr matters in a.", "No evidence wd."]})
    text = answers.key_findings(f)
    assert text.startswith("- **Across budgets (a, b)**\n  - lr matters pooled.\n- **a**\n"
                           "  - lr matters in a.\n\n")
    assert "No evidence wd." not in text
    assert "No claim holds" in answers.key_findings(f.assign(claimed=False))


def test_sections_without_data_are_left_out():
    """No prediction statistics: no collapse section anywhere, per study or per budget."""
    rng = np.random.default_rng(1)
    t = pd.concat([_frame(rng.normal(0.7, 0.01, 24), {"lr": rng.choice([0.1, 0.01], 24),
                                                      "b": rng.choice([1, 2, 3], 24)},
                          study=s) for s in ("a", "b")], ignore_index=True)
    text = hi.report.render(t)
    assert "ollapse" not in text.split("## Glossary")[0]
    headings = _headings(text)
    assert "## Details: across budgets" in headings and "## Study a" in headings


# --------------------------------------------------------------------------- cross-budget


@pytest.fixture
def reference_budgets():
    """The reference report's answers as the budget analyses' result frames."""
    from types import SimpleNamespace

    best = REF.best_by_budget
    names = {"LR": "learning_rate", "WD": "weight_decay"}
    compare = pd.DataFrame({"budget": best["Budget"], "study": "transformer-" + best["Budget"],
                            "size": [2e6, 2e7, 2e8], "best": best["Best AUC"],
                            "number": [7, 8, 9]})
    for column in best.columns[2:]:
        short = column.removeprefix("Best ")
        compare[f"params_{names.get(short, short)}"] = best[column].to_list()
    compare["params_n_heads"] = [8, 8, 16]
    check = SimpleNamespace(
        holds=REF.scaling_holds, ranking=tuple(REF.scaling_statement.split(" > ")),
        table=pd.DataFrame({"budget": list(REF.scaling_values),
                            "best": list(REF.scaling_values.values())}),
        statement=REF.scaling_statement)
    consistency = pd.DataFrame({
        "param": list(REF.consistency),
        "consistent": [c for c, _ in REF.consistency.values()],
        "n_distinct": [len(set(v.values())) for _, v in REF.consistency.values()],
        "values": [v for _, v in REF.consistency.values()]})
    collapse = pd.DataFrame({"budget": best["Budget"],
                             "collapse": pd.array([False] * 3, dtype="boolean"),
                             "n_collapsed": 0, "n_measured": 50, "pred_min": np.nan,
                             "pred_max": np.nan, "mean_recall": np.nan})
    return {"Best Results by Budget": compare, "Scaling Law Analysis": check,
            "Parameter Consistency Across Budgets": consistency,
            "Probability Collapse by Budget": collapse}


def _reference_part(text: str, heading: str) -> str:
    return re.search(rf"## {heading}\n\n(.*?)\n\n(?=## |---)", text, re.S).group(1)


@pytest.mark.parametrize("heading", ["Best Results by Budget", "Scaling Law Analysis",
                                     "Parameter Consistency Across Budgets",
                                     "Probability Collapse by Budget"])
def test_cross_budget_reproduces_the_reference(reference_budgets, heading):
    """Reference layout: each cross-budget part starts with the reference's text."""
    result = reference_budgets[heading]
    text = ref_layout.to_markdown(result, metric="AUC")
    assert text.startswith(_reference_part(REF_TEXT, heading))


def test_cross_budget_extras(reference_budgets):
    """The best trial's other parameters and the measured counts follow the reference's."""
    text = ref_layout.compare_budgets(reference_budgets["Best Results by Budget"])
    assert "| Budget | Study | Trial | n_heads |\n|--------|-------|-------|---------|\n" in text
    assert "| 200M | transformer-200M | 9 | 16 |" in text
    text = md.collapse_by_budget(reference_budgets["Probability Collapse by Budget"])
    assert "Trials checked: 2M: 0 of 50 measured trials collapsed;" in text


def test_scaling_law_sentences(reference_budgets):
    """Holds: no overfitting sentence; violated: the layout's sentence (reference only)."""
    from types import SimpleNamespace

    holds = SimpleNamespace(holds=True, ranking=("200M", "20M", "2M"),
                            table=pd.DataFrame({"budget": [], "best": []}))
    text = ref_layout.scaling_check(holds, metric="AUC")
    assert "**Scaling law holds**: 200M > 20M > 2M\n" in text
    assert "VIOLATED" not in text and "overfitting" not in text
    violated = reference_budgets["Scaling Law Analysis"]
    assert "overfitting" in ref_layout.scaling_check(violated)
    assert "overfitting" not in md.scaling_check(violated)
    verdict = SimpleNamespace(holds=False, verdict="not established", ranking=("a", "b"),
                              table=pd.DataFrame({"budget": [], "best": []}))
    assert "**Scaling law not established**: a > b" in md.scaling_check(verdict)


def test_binned_param_shows_interval_labels():
    """A binned parameter's rows are its interval labels, and the note says so."""
    rng = np.random.default_rng(0)
    lr = 10 ** rng.uniform(-5, -2, 40)
    t = _frame(rng.normal(size=40), {"lr": lr})
    vt = hi.value_table(t, params="lr", bins=10)
    text = ref_layout.value_table(vt)
    labels = vt["label"] if "label" in vt.columns else vt["value"]
    assert len(labels) == 10
    for label in labels:
        assert f"| {fmt.value(label)} | " in text
    assert "grouped into 10 quantile intervals" in text


def test_warnings_become_notes_once():
    """A warning raised by an analysis shows once as a '> Note:' in its section."""
    t = _frame([0.5, 0.6, np.nan, 0.7], {"x": [1, 2, 1, 2], "y": [1, 1, 2, 2]})
    text = hi.report.render(t)
    notes = [line for line in text.splitlines() if line.startswith("> Note:")]
    assert notes and len(set(notes)) == len(notes)
    assert any("non-finite" in n for n in notes)


def test_best_value_of_a_number_reads_as_the_ranges_do():
    """A best level of an integer parameter stored as a float shows as 16, not 16.0; a label
    as written; a range in 3 significant digits."""
    from hpo_insights.report import answers

    nan = float("nan")
    assert answers._best({"best_low": nan, "best_high": nan, "best_value": 16.0}) == "16"
    assert answers._best({"best_low": nan, "best_high": nan, "best_value": 0.000664257}) \
        == "0.000664"
    assert answers._best({"best_low": nan, "best_high": nan, "best_value": "adamw"}) == "adamw"
    assert answers._best({"best_low": 5.71, "best_high": 11.24, "best_value": nan}) \
        == "5.71 to 11.2"

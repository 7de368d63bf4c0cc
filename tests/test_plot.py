"""Figures drawn from analysis results, checked through their artists (not pixels)."""

from __future__ import annotations

import io
import unicodedata

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.container import ErrorbarContainer  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.text import Text  # noqa: E402

import hpo_insights as hi  # noqa: E402
from hpo_insights import plot  # noqa: E402


def _by_gid(ax: Axes, gid: str):
    """The collections (scatter layers) drawn with this gid."""
    return [c for c in ax.collections if c.get_gid() == gid]


def _ticklabels(labels) -> list[str]:
    return [t.get_text() for t in labels]


def _legend_texts(ax: Axes) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


# --------------------------------------------------------------------------- variance_explained


def test_variance_explained_bars_are_the_shares_largest_on_top():
    """Bar widths equal the shares sorted descending, the first (top) bar the largest."""
    result = pd.DataFrame({"study": "s", "param": ["a", "b", "c"], "share": [0.2, 0.7, 0.05],
                           "n_trials": 9, "n_values": 3})
    _, ax = plt.subplots()
    assert plot.variance_explained(result, ax=ax) is ax
    assert [p.get_width() for p in ax.patches] == pytest.approx([0.7, 0.2, 0.05])
    assert _ticklabels(ax.get_yticklabels()) == ["b", "a", "c"]
    top, bottom = ax.get_ylim()
    assert bottom < top  # inverted: first bar (largest) drawn on top
    assert [t.get_text() for t in ax.texts] == ["0.70", "0.20", "0.05"]


def test_variance_explained_draws_intervals_and_verdicts():
    """Error bars span ci_low..ci_high, diamonds mark the adjusted share, grey: not mattering."""
    result = pd.DataFrame({"param": ["a", "b"], "share": [0.6, 0.1], "ci_low": [0.4, 0.0],
                           "ci_high": [0.8, 0.3], "share_adjusted": [0.3, -0.02],
                           "matters": [True, False], "n_trials": 20})
    ax = plot.variance_explained(result)
    (adjusted,) = _by_gid(ax, "adjusted")
    assert adjusted.get_offsets()[:, 0].tolist() == pytest.approx([0.3, 0.0])  # clipped at 0
    (bars,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    segments = bars.lines[2][0].get_segments()
    assert [s[:, 0].tolist() for s in segments] == [pytest.approx([0.4, 0.8]),
                                                     pytest.approx([0.0, 0.3])]
    assert ax.patches[1].get_facecolor()[:3] == pytest.approx((0.7, 0.7, 0.7))


def test_variance_explained_widths_match_compute(tiny_trials):
    """Drawing hi.variance_explained's result: lr's bar is eta squared computed by hand."""
    result = hi.variance_explained(tiny_trials)
    ax = plot.variance_explained(result)  # bars are the one-way shares
    y = np.array([0.5, 0.7, 0.8, 0.9, 0.6])
    g = np.array([0, 0, 1, 1, 2])
    ss_b = sum((g == k).sum() * (y[g == k].mean() - y.mean()) ** 2 for k in range(3))
    share_lr = ss_b / ((y - y.mean()) ** 2).sum()
    i = _ticklabels(ax.get_yticklabels()).index("lr")
    assert ax.patches[i].get_width() == pytest.approx(share_lr)


def _two_studies(tiny_trials: pd.DataFrame) -> pd.DataFrame:
    other = tiny_trials.assign(study="t", value=tiny_trials["value"] * 0.5)
    return pd.concat([tiny_trials, other], ignore_index=True)


def test_several_studies_give_one_panel_each(tiny_trials):
    """A result of several studies gives a Figure with one titled panel per study."""
    result = hi.variance_explained(_two_studies(tiny_trials))
    fig = plot.variance_explained(result)
    assert isinstance(fig, Figure)
    visible = [a for a in fig.axes if a.get_visible() and a.patches]
    assert [a.get_title() for a in visible] == ["Parameter importance: s",
                                                "Parameter importance: t"]
    one = plot.variance_explained(result[result["study"] == "t"])
    assert isinstance(one, Axes)


def test_ax_with_several_panels_and_wrong_input_are_errors(tiny_trials):
    """ax= for several panels, a result of another analysis and trials are clear errors."""
    result = hi.variance_explained(_two_studies(tiny_trials))
    _, ax = plt.subplots()
    with pytest.raises(hi.TrialsError, match="ax= takes one panel, but the result holds 2"):
        plot.variance_explained(result, ax=ax)
    with pytest.raises(hi.TrialsError, match="needs the result of hi.value_table"):
        plot.value_table(result)
    with pytest.raises(TypeError, match="draws the DataFrame returned by"):
        plot.value_table([1, 2])
    vt = hi.value_table(tiny_trials)
    with pytest.raises(hi.TrialsError, match="Unknown parameter 'x' in params="):
        plot.value_table(vt, params="x")


# --------------------------------------------------------------------------- value_table


def _errorbar(ax: Axes) -> ErrorbarContainer:
    (container,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    return container


def test_value_table_categorical():
    """One error bar per value spanning the CI, ticks are the values, star on the best value."""
    table = pd.DataFrame({
        "study": "s", "param": "opt", "value": ["adam", "sgd", "rmsprop"], "low": np.nan,
        "high": np.nan, "binned": False, "scale": "categorical", "n_trials": [3, 2, 1],
        "mean": [0.8, 0.6, 0.7], "std": [0.1, 0.1, np.nan], "sem": [0.05, 0.07, np.nan],
        "ci_low": [0.6, 0.0, np.nan], "ci_high": [1.0, 1.2, np.nan]})
    trend = pd.DataFrame({"study": ["s"], "param": ["opt"], "trend": ["unordered"],
                          "best_value": ["adam"]})
    ax = plot.value_table(table, trend=trend, metric="AUC")
    line, _, (bars,) = _errorbar(ax).lines
    assert line.get_ydata() == pytest.approx([0.8, 0.6, 0.7])
    segs = bars.get_segments()
    assert [s[:, 1].tolist() for s in segs[:2]] == [pytest.approx([0.6, 1.0]),
                                                    pytest.approx([0.0, 1.2])]
    assert _ticklabels(ax.get_xticklabels()) == ["adam", "sgd", "rmsprop"]
    (means,) = _by_gid(ax, "means")
    sizes = means.get_sizes()
    assert sizes[0] > sizes[1] > sizes[2]  # point size grows with the trial count
    (best,) = _by_gid(ax, "best")
    assert best.get_offsets().tolist() == [[0.0, 0.8]]
    assert ax.get_title() == "s | opt: unordered" and ax.get_ylabel() == "AUC"


def test_value_table_known_answer(tiny_trials):
    """Means per lr computed by hand; best (maximize) is lr=0.01; input untouched."""
    before = tiny_trials.copy(deep=True)
    vt = hi.value_table(tiny_trials, params="lr")
    tr = hi.classify_trend(tiny_trials, params="lr")
    _, ax = plt.subplots()
    assert plot.value_table(vt, trend=tr, ax=ax) is ax
    pd.testing.assert_frame_equal(tiny_trials, before)
    line = _errorbar(ax).lines[0]
    assert line.get_ydata() == pytest.approx([0.6, 0.85, 0.6])
    (best,) = _by_gid(ax, "best")
    assert best.get_offsets()[0, 1] == pytest.approx(0.85)
    assert ax.get_title() == f"s | lr: {tr['trend'].iloc[0]}"
    assert ax.get_xlabel() == "lr" and ax.get_ylabel() == "mean objective"


def test_value_table_follows_the_results_scale(rng):
    """A log-distributed float is binned; the figure uses the result's scale, bins at centres."""
    n = 60
    lr = 10 ** rng.uniform(-5, -2, n)
    trials = pd.DataFrame({
        "study": "s", "number": range(n), "state": "COMPLETE",
        "value": -np.log10(lr) + rng.normal(0, 0.1, n), "params_lr": lr,
        "study_direction": "minimize",
        "distributions_lr": '{"name": "FloatDistribution", "attributes": '
        '{"step": null, "low": 1e-05, "high": 0.01, "log": true}}'})
    table = hi.value_table(trials, params="lr")
    assert table["binned"].all()
    ax = plot.value_table(table, trend=hi.classify_trend(trials, params="lr"))
    assert (table["scale"] == "log").all() and ax.get_xscale() == "log"
    x = np.sqrt(table["low"] * table["high"])  # geometric bin centres
    assert _errorbar(ax).lines[0].get_xdata() == pytest.approx(x)
    (best,) = _by_gid(ax, "best")  # minimize: the lowest mean
    assert best.get_offsets()[0, 1] == pytest.approx(table["mean"].min())


def test_value_table_scale_column(tiny_trials):
    """scale: 'categorical' for strings, 'linear'/'log' for numbers by the binning rule."""
    vt = hi.value_table(tiny_trials)
    scale = vt.groupby("param")["scale"].unique().map(list).to_dict()
    assert scale["optimizer"] == ["categorical"]
    x = np.array([0.1, 0.1, 0.01, 0.01, 0.001])  # log10 less skewed than x: log
    from scipy import stats

    assert abs(stats.skew(np.log10(x))) < abs(stats.skew(x))
    assert scale["lr"] == ["log"]


def test_value_table_params_pick_and_order_panels(example):
    """params= draws the named parameters in that order, one panel each."""
    one = example[example["study"] == "transformer-2M"]
    fig = plot.value_table(hi.value_table(one), params=["dropout", "d_model"])
    titles = [a.get_title() for a in fig.axes if a.get_visible()]
    assert titles == ["transformer-2M | dropout", "transformer-2M | d_model"]


# --------------------------------------------------------------------------- coverage_crosstab


def test_coverage_crosstab_annotates_every_cell_zeros_included():
    """The mesh holds the counts, one text per cell, zeros shown, ticks are the values."""
    result = pd.DataFrame({"study": "s", "row_param": "a", "row_value": [1, 1, 2, 2, 3, 3],
                           "col_param": "b", "col_value": ["x", "y"] * 3,
                           "n_trials": [2, 0, 0, 5, 1, 0]})
    _, ax = plt.subplots()
    plot.coverage_crosstab(result, ax=ax)
    mesh = ax.collections[0]
    assert np.asarray(mesh.get_array()).reshape(3, 2).tolist() == [[2, 0], [0, 5], [1, 0]]
    assert [t.get_text() for t in ax.texts] == ["2", "0", "0", "5", "1", "0"]
    assert _ticklabels(ax.get_yticklabels()) == ["1", "2", "3"]
    assert _ticklabels(ax.get_xticklabels()) == ["x", "y"]
    assert (ax.get_ylabel(), ax.get_xlabel()) == ("a", "b")


def test_coverage_crosstab_counts_match_pandas(tiny_trials):
    """Drawing hi.coverage_crosstab: cell texts equal a pandas crosstab of COMPLETE trials."""
    ax = plot.coverage_crosstab(hi.coverage_crosstab(tiny_trials, params=("lr", "optimizer")))
    done = tiny_trials[tiny_trials["state"] == "COMPLETE"]
    expected = pd.crosstab(done["params_lr"], done["params_optimizer"])
    assert [int(t.get_text()) for t in ax.texts] == expected.to_numpy().ravel().tolist()


# --------------------------------------------------------------------------- compare_budgets


def test_compare_budgets_order_points_and_best():
    """Budgets in the result's order, one box and all counted points per budget, stars."""
    best = pd.DataFrame({"budget": ["2M", "20M", "200M"], "study": ["a", "b", "c"],
                         "size": [2e6, 2e7, 2e8], "best": [0.7, 0.9, 0.8], "number": [1, 2, 3]})
    history = pd.DataFrame({
        "study": list("caabbcbc"), "budget": ["200M", "2M", "2M", "20M", "20M", "200M", "20M",
                                              "200M"],
        "number": range(8), "state": "COMPLETE", "counted": [True] * 7 + [False],
        "value": [0.8, 0.7, 0.6, 0.9, 0.5, 0.7, 0.85, np.nan], "best_so_far": np.nan})
    ax = plot.compare_budgets(best, history=history, metric="AUC")
    assert _ticklabels(ax.get_xticklabels()) == ["2M", "20M", "200M"]
    (pts,) = _by_gid(ax, "trials")
    assert np.rint(pts.get_offsets()[:, 0]).tolist() == [2, 0, 0, 1, 1, 2, 1]
    (star,) = _by_gid(ax, "best")
    assert star.get_offsets().tolist() == [[0, 0.7], [1, 0.9], [2, 0.8]]
    medians = [ln.get_ydata()[0] for ln in ax.lines if ln.get_color() == "0.3"]
    assert medians == pytest.approx([0.65, 0.85, 0.75])
    assert ax.get_ylabel() == "AUC"


# --------------------------------------------------------------------------- detect_collapse


def test_detect_collapse_highlights_and_threshold():
    """Collapsed and healthy trials are separate layers; the threshold line sits at min_range."""
    result = pd.DataFrame({
        "study": "s", "number": [0, 1, 2, 3], "value": [0.5, 0.7, 0.6, 0.65],
        "pred_min": [0.49, 0.1, 0.2, np.nan], "pred_max": [0.51, 0.9, 0.8, np.nan],
        "pred_range": [0.02, 0.8, 0.6, np.nan], "pred_std": [0.001, 0.2, 0.15, np.nan],
        "recall": [0.0, 0.6, 0.5, np.nan],
        "collapsed": pd.array([True, False, False, pd.NA], dtype="boolean")})
    ax = plot.detect_collapse(result, min_range=0.05, metric="AUC")
    (bad,) = _by_gid(ax, "collapsed")
    (ok,) = _by_gid(ax, "ok")
    assert bad.get_offsets().tolist() == [[0.02, 0.5]]
    assert ok.get_offsets().tolist() == [[0.8, 0.7], [0.6, 0.6]]
    assert len([ln for ln in ax.lines if list(ln.get_xdata()) == [0.05, 0.05]]) == 1
    texts = _legend_texts(ax)
    assert "collapsed (1)" in texts and "not collapsed (2)" in texts
    assert "not measured: 1" in texts


# --------------------------------------------------------------------------- optimization_history


def test_optimization_history_running_best(tiny_trials):
    """hi.optimization_history: running max of the COMPLETE values; exclusions counted."""
    history = hi.optimization_history(tiny_trials)
    counted = history[history["counted"]]
    assert counted["number"].tolist() == [0, 1, 2, 3, 4]
    expected = np.maximum.accumulate([0.5, 0.7, 0.8, 0.9, 0.6])
    assert counted["best_so_far"].tolist() == pytest.approx(expected)
    assert history["best_so_far"].iloc[5:].tolist() == pytest.approx([0.9, 0.9])
    _, ax = plt.subplots()
    assert plot.optimization_history(history, ax=ax) is ax
    (step,) = [ln for ln in ax.lines if ln.get_gid() == "best:s"]
    assert list(step.get_ydata())[:5] == pytest.approx(expected)
    (pts,) = _by_gid(ax, "trials:s")
    assert len(pts.get_offsets()) == 5
    assert "2 pruned/failed/unfinished trials excluded" in _legend_texts(ax)


def test_optimization_history_minimize(tiny_trials):
    """With direction='minimize' the best so far is the running min."""
    history = hi.optimization_history(tiny_trials, direction="minimize")
    counted = history[history["counted"]]
    assert counted["best_so_far"].tolist() == pytest.approx(
        np.minimum.accumulate([0.5, 0.7, 0.8, 0.9, 0.6]))


# --------------------------------------------------------------------------- the example report


def test_example_figures_save_as_png(example, tmp_path, monkeypatch):
    """Every figure of the example report saves to a non-empty PNG; no plt.show, no rc changes."""

    def no_show(*args, **kwargs):
        raise AssertionError("plt.show() called")

    monkeypatch.setattr(plt, "show", no_show)
    before = example.copy(deep=True)
    rc = dict(matplotlib.rcParams)
    history = hi.optimization_history(example)
    figures = {
        "compare_budgets": lambda: plot.compare_budgets(hi.compare_budgets(example),
                                                        history=history),
        "optimization_history": lambda: plot.optimization_history(history),
    }
    for study in example["study"].unique():
        one = example[example["study"] == study]
        ve = hi.variance_explained(one)
        top = ve["param"].tolist()[:2]
        figures[f"{study}_importance"] = lambda ve=ve: plot.variance_explained(ve)
        figures[f"{study}_trends"] = lambda one=one, top=top: plot.value_table(
            hi.value_table(one), params=top, trend=hi.classify_trend(one))
        figures[f"{study}_coverage"] = lambda one=one, top=top: plot.coverage_crosstab(
            hi.coverage_crosstab(one, params=top))
        figures[f"{study}_collapse"] = lambda one=one: plot.detect_collapse(
            hi.detect_collapse(one))
    for name, draw in figures.items():
        fig = getattr(draw(), "figure", None) or draw()
        path = tmp_path / f"{name}.png"
        fig.savefig(path)
        image = plt.imread(path)
        assert path.stat().st_size > 1000
        assert image.ndim == 3 and image.shape[0] > 150 and image.shape[1] > 400, name
        assert image[..., :3].std() > 0  # not blank
        plt.close("all")
    assert len(list(tmp_path.iterdir())) == 2 + 3 * 4
    pd.testing.assert_frame_equal(example, before)
    assert dict(matplotlib.rcParams) == rc


@pytest.mark.parametrize("shift", [0.0, 1000.0])
def test_titles_sit_where_matplotlibs_automatic_placement_puts_them(tiny_trials, shift,
                                                                  monkeypatch):
    """The theme fixes titles at the top edge; drawn, they land where automatic placement would.

    With ``shift`` the objective is 1000 + a small range: the y axes show an offset
    text, and automatic placement is kept for those panels.
    """
    long = "params_" + "a_parameter_name_as_long_as_the_panel_is_wide"  # title over the offset
    t = tiny_trials.rename(columns={"params_lr": long})
    t = t.assign(value=t["value"] * 1e-4 + shift if shift else t["value"])
    vt = hi.value_table(t)
    fixed = plot.value_table(vt)
    monkeypatch.setitem(plot.RC, "axes.titley", None)  # matplotlib's default: automatic
    auto = plot.value_table(vt)
    tops = []
    for fig in (fixed, auto):
        fig.canvas.draw()
        tops.append([a.title.get_window_extent().y0 for a in fig.axes])
    offsets = [a.yaxis.get_offset_text().get_text() for a in fixed.axes]
    assert all(offsets) if shift else not any(offsets)
    assert len(tops[0]) >= 2 and tops[0] == pytest.approx(tops[1])
    plt.close("all")


# --------------------------------------------------------------------------- text from the data

# Text from the data comes in every shape: any length, any character, mathtext-like.
_NAMES = st.one_of(
    st.text(min_size=1, max_size=500),
    st.text(alphabet="$\\_^{}%#&~ab \n", min_size=1, max_size=60),
    st.builds(lambda parts: "/".join(parts),
              st.lists(st.text("abcdefghij_", min_size=1, max_size=30), min_size=2, max_size=8)),
)


def _cells(text: str) -> int:
    """Width in character cells, wide East Asian characters two (computed here, not imported)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _drawn_as(label: str, name: str, width: int) -> None:
    """*label* is *name* as written, or (when wider than *width*) its start and end around …."""
    if _cells(name) <= width:
        assert label == name
    else:
        assert _cells(label) <= width and "…" in label
        assert name.startswith(label.split("…")[0]) and name.endswith(label.rsplit("…")[-1])


def _all_texts(fig: Figure) -> list:
    return fig.findobj(Text)


def _renders(fig: Figure) -> None:
    """Every Text is plain (no mathtext, no LaTeX) and the figure renders to a PNG."""
    assert all(not t.get_parse_math() and not t.get_usetex() for t in _all_texts(fig))
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    assert buf.tell() > 1000


@settings(max_examples=30)
@given(name=_NAMES)
def test_names_are_drawn_literally_or_shortened(name):
    """Parameter and study names of any length and characters: literal text, never parsed."""
    other = name + "2"
    ve = pd.DataFrame({"study": name, "param": [name, other], "share": [0.6, 0.2],
                       "ci_low": [0.4, 0.0], "ci_high": [0.8, 0.4], "n_trials": 30})
    before = ve.copy(deep=True)
    ax = plot.variance_explained(ve)
    pd.testing.assert_frame_equal(ve, before)
    labels = _ticklabels(ax.get_yticklabels())
    _drawn_as(labels[0], name, plot.LABEL_WIDTH)
    _drawn_as(labels[1], other, plot.LABEL_WIDTH)
    left, right = ax.get_position().x0, ax.get_position().x1
    assert 0 < left < right - 0.3  # the bars keep at least 30% of the width
    assert ax.get_title().startswith("Parameter importance: ")
    _renders(ax.figure)
    plt.close("all")


@settings(max_examples=25)
@given(value=_NAMES, metric=_NAMES)
def test_values_and_metric_are_drawn_literally(value, metric):
    """Categorical values (ticks, best in the legend) and the metric label are plain text."""
    values = [value, value + "b", "c" + value]
    table = pd.DataFrame({"study": "s", "param": "p", "value": values, "low": np.nan,
                          "high": np.nan, "binned": False, "scale": "categorical",
                          "n_trials": [3, 2, 4], "mean": [0.8, 0.6, 0.7], "std": 0.1,
                          "sem": 0.05, "ci_low": [0.7, 0.5, 0.6], "ci_high": [0.9, 0.7, 0.8]})
    trend = pd.DataFrame({"study": ["s"], "param": ["p"], "trend": ["unordered"],
                          "best_value": [value]})
    _, ax = plt.subplots()  # made outside the library's theme: its texts parse "$" by default
    plot.value_table(table, trend=trend, metric=metric, ax=ax)
    for label, v in zip(_ticklabels(ax.get_xticklabels()), values, strict=True):
        _drawn_as(label, v, plot.LABEL_WIDTH // 2)
    best = [t for t in _legend_texts(ax) if t.startswith("best: ")]
    assert len(best) == 1
    _drawn_as(best[0].removeprefix("best: "), value, plot.LABEL_WIDTH)
    ylabel = ax.get_ylabel()  # as written, broken at one space into two lines, or shortened
    changed = [(a, b) for a, b in zip(ylabel, metric, strict=False) if a != b]
    assert (len(ylabel) == len(metric) and changed in ([], [("\n", " ")])) or "…" in ylabel
    _renders(ax.figure)
    plt.close("all")


def test_a_long_axis_label_is_wrapped_at_a_space_not_cut_mid_word():
    """Under a small panel, "<param> (bins at their centres)" is two lines, the parenthesis
    on the second; a label without a space that fits two lines is shortened around …."""
    t = hi.datasets.example()
    fig = plot.value_table(hi.value_table(t), params=["learning_rate", "dropout"],
                           series="study", metric="validation area under the ROC curve")
    labels = {a.get_title(): (a.get_xlabel(), a.get_ylabel()) for a in fig.axes}
    x, y = labels["learning_rate"]
    assert x == "learning_rate\n(bins at their centres)"
    assert "…" not in y and y.replace("\n", " ") == "validation area under the ROC curve"
    _renders(fig)
    plt.close("all")


@settings(max_examples=15)
@given(study=_NAMES, budget=_NAMES)
def test_every_figure_takes_any_study_and_budget_name(study, budget):
    """History, budgets, collapse, coverage and importance per budget draw any name as text."""
    n = 12
    history = pd.DataFrame({"study": study, "budget": budget, "number": range(n),
                            "state": "COMPLETE", "counted": True,
                            "value": np.linspace(0.6, 0.7, n)})
    history["best_so_far"] = history["value"].cummax()
    figures = [
        plot.optimization_history(history, metric=study),
        plot.compare_budgets(pd.DataFrame({"budget": [budget], "best": [0.7]}),
                             history=history, metric=budget),
        plot.detect_collapse(pd.DataFrame({
            "study": study, "number": range(3), "value": [0.5, 0.6, 0.7],
            "pred_range": [0.01, 0.5, 0.6],
            "collapsed": pd.array([True, False, False], dtype="boolean")}), metric=study),
        plot.coverage_crosstab(pd.DataFrame({
            "study": study, "row_param": study, "row_value": [budget, budget, "x", "x"],
            "col_param": budget, "col_value": [study, "y", study, "y"], "n_trials": [1, 2, 0, 3]})),
        plot.importance_by_budget(hi.BudgetImportance(
            table=pd.DataFrame({"budget": [budget, budget + "!"], "param": study,
                                "share": [0.3, 0.4], "ci_low": 0.1, "ci_high": 0.6}),
            agreement=pd.DataFrame({"budget_a": [budget], "budget_b": [budget + "!"],
                                    "spearman": [np.nan], "n_params": [1]}))),
    ]
    for drawn in figures:
        _renders(drawn.figure)
    _drawn_as(_ticklabels(figures[1].get_xticklabels())[0], budget, 20)
    plt.close("all")


def test_figures_are_drawn_inside_the_call(example):
    """Each public function lays the figure out before it returns (errors surface in the call)."""
    one = example[example["study"] == "transformer-2M"]
    history = hi.optimization_history(example)
    drawn = [
        plot.variance_explained(hi.variance_explained(example)),
        plot.value_table(hi.value_table(one), params=["dropout", "d_model"]),
        plot.coverage_crosstab(hi.coverage_crosstab(one, params=["d_model", "n_heads"])),
        plot.compare_budgets(hi.compare_budgets(example), history=history),
        plot.detect_collapse(hi.detect_collapse(example)),
        plot.optimization_history(history),
        plot.importance_by_budget(hi.importance_by_budget(example)),
    ]
    for d in drawn:
        fig = getattr(d, "figure", d)
        assert not fig.stale  # drawn once, nothing changed since
        fresh = plt.figure()
        assert fresh.stale  # what an undrawn figure says (so the check above can fail)


# --------------------------------------------------------------------------- robust y limits


def _fences(values: np.ndarray) -> tuple[float, float]:
    q1, q3 = np.percentile(values, [25, 75])
    return q1 - 3 * (q3 - q1), q3 + 3 * (q3 - q1)


@pytest.mark.parametrize("n_low, n_high, best, expected", [
    (2, 0, np.maximum, 2), (5, 0, np.maximum, 5), (0, 3, np.minimum, 3),
    (4, 1, np.maximum, 4),  # the far high trial is the best: kept in view, not marked
])
def test_history_limits_leave_outliers_at_the_edge(rng, n_low, n_high, best, expected):
    """Trials far from the bulk sit at the axis edge, counted; the bulk and the best fill it."""
    n = 60
    value = rng.normal(0.71, 0.01, n)
    far = rng.choice(np.arange(1, n), n_low + n_high, replace=False)
    value[far[:n_low]] = rng.uniform(0.45, 0.52, n_low)
    value[far[n_low:]] = rng.uniform(1.5, 2.0, n_high)
    history = pd.DataFrame({"study": "s", "number": np.arange(n), "state": "COMPLETE",
                            "counted": True, "value": value})
    history["best_so_far"] = best.accumulate(value)
    before = history.copy(deep=True)
    ax = plot.optimization_history(history, metric="loss")
    pd.testing.assert_frame_equal(history, before)
    lo_fence, hi_fence = _fences(value)
    inside = (value >= lo_fence) & (value <= hi_fence)
    kept = np.append(value[inside], history["best_so_far"].iloc[-1])  # the final best stays
    y0, y1 = ax.get_ylim()
    assert y0 <= kept.min() and y1 >= kept.max()
    assert y1 - y0 < 1.2 * (kept.max() - kept.min())  # and fills the axes
    for side, edge in (("below", y0), ("above", y1)):
        out = value < y0 if side == "below" else value > y1
        markers = _by_gid(ax, side)
        if not out.any():
            assert markers == []
            continue
        (m,) = markers
        assert sorted(m.get_offsets()[:, 0]) == sorted(np.flatnonzero(out))  # x: trial number
        ys = np.asarray(m.get_offsets())[:, 1].tolist()
        assert ys == pytest.approx([edge] * len(ys), abs=0.02 * (y1 - y0))
        (count,) = [t for t in ax.texts if t.get_gid() == f"{side}-count"]
        assert count.get_text().split()[1] == str(int(out.sum()))
    marked = [len(m.get_offsets()) for side in ("below", "above") for m in _by_gid(ax, side)]
    assert sum(marked) == expected


def test_history_without_outliers_keeps_every_trial_in_view(rng):
    """Nothing far from the bulk: every counted trial inside the limits, no edge markers."""
    value = rng.normal(0.7, 0.01, 40)
    history = pd.DataFrame({"study": "s", "number": range(40), "state": "COMPLETE",
                            "counted": True, "value": value,
                            "best_so_far": np.maximum.accumulate(value)})
    ax = plot.optimization_history(history)
    y0, y1 = ax.get_ylim()
    assert y0 < value.min() and y1 > value.max()
    assert not _by_gid(ax, "below") and not _by_gid(ax, "above")


def test_compare_budgets_fences_each_budget_and_keeps_the_stars(rng):
    """Each budget's bulk is in view (a budget far below the others is not an outlier)."""
    budgets = ["2M", "20M", "200M"]
    centre = {"2M": 0.60, "20M": 0.71, "200M": 0.72}
    rows = []
    for b in budgets:
        v = rng.normal(centre[b], 0.01, 30)
        if b == "200M":
            v[:2] = 0.5  # two collapsed trials
        rows.append(pd.DataFrame({"study": b, "budget": b, "number": range(30),
                                  "state": "COMPLETE", "counted": True, "value": v}))
    history = pd.concat(rows, ignore_index=True)
    history["best_so_far"] = np.nan
    best = history.groupby("budget", sort=False)["value"].max()
    result = pd.DataFrame({"budget": budgets, "best": best.loc[budgets].to_numpy()})
    ax = plot.compare_budgets(result, history=history, metric="AUC")
    y0, y1 = ax.get_ylim()
    small = history.loc[history["budget"] == "2M", "value"]
    assert y0 < small.min() and y1 > best.max()
    (below,) = _by_gid(ax, "below")
    assert np.rint(below.get_offsets()[:, 0]).tolist() == [2, 2]  # at the 200M position
    assert not _by_gid(ax, "above")


# --------------------------------------------------------------------------- categorical, log axes


def _joining_lines(ax: Axes) -> list:
    """Lines through two or more points with a visible line style."""
    return [ln for ln in ax.lines if len(ln.get_xdata()) >= 2
            and ln.get_linestyle() not in ("None", "none", "", " ")]


def test_categorical_values_are_points_with_intervals_not_a_line(example):
    """A categorical parameter: no line joins the means; an ordered one is still joined."""
    one = example[example["study"] == "transformer-2M"]
    vt = hi.value_table(one, params=["n_heads", "dropout"])
    assert set(vt.groupby("param")["scale"].first()) >= {"categorical"}
    fig = plot.value_table(vt)
    for a in fig.axes:
        scale = vt.loc[vt["param"] == a.get_xlabel().split(" (")[0], "scale"].iloc[0]
        (means,) = _by_gid(a, "means")
        assert len(means.get_offsets()) == (vt["param"] == a.get_xlabel().split(" (")[0]).sum()
        assert bool(_joining_lines(a)) == (scale != "categorical")


@settings(max_examples=20)
@given(start=st.floats(-9, 3), decades=st.floats(1.0, 12.0))
def test_log_axes_have_three_labelled_ticks(start, decades):
    """A log-scale parameter over a decade or more: at least 3 labelled ticks, labels = values."""
    n = 40
    lr = 10 ** np.linspace(start, start + decades, n)
    table = pd.DataFrame({"study": "s", "param": "lr", "value": lr, "low": lr, "high": lr,
                          "binned": False, "scale": "log", "n_trials": 2,
                          "mean": np.linspace(0.6, 0.7, n), "std": 0.01, "sem": 0.01,
                          "ci_low": np.linspace(0.59, 0.69, n),
                          "ci_high": np.linspace(0.61, 0.71, n)})
    ax = plot.value_table(table)
    assert ax.get_xscale() == "log"
    lo, hi_ = ax.get_xlim()
    ticks = [(loc, t.get_text()) for loc, t in zip(ax.get_xticks(), ax.get_xticklabels(),
                                                   strict=True)
             if t.get_text() and lo <= loc <= hi_]
    assert 3 <= len(ticks) <= 12
    for loc, text in ticks:
        assert float(text) == pytest.approx(loc, rel=5e-3)
    plt.close("all")


# --------------------------------------------------------------------------- several studies


def test_variance_explained_small_multiples_share_axes_and_order(example):
    """One panel per study, shared axes, one parameter order; each bar is that study's share."""
    ve = hi.variance_explained(example)
    fig = plot.variance_explained(ve)
    axes = fig.axes
    studies = list(pd.unique(ve["study"]))
    assert len(axes) == len(studies)
    order = ve.groupby("param", sort=False)["share"].mean().sort_values(ascending=False).index
    for a, study in zip(axes, studies, strict=True):
        assert a.get_shared_x_axes().joined(axes[0], a)
        assert a.get_shared_y_axes().joined(axes[0], a)
        assert a.get_xlim() == axes[0].get_xlim() == pytest.approx((0, 1.08))
        rows = ve[ve["study"] == study].set_index("param")
        bars = {round(p.get_y() + p.get_height() / 2): p.get_width() for p in a.patches}
        assert [bars[i] for i in range(len(order))] == pytest.approx(
            rows.loc[order, "share"].to_numpy())
    assert _ticklabels(axes[0].get_yticklabels()) == list(order)
    assert all(a.get_legend() is None for a in axes)  # one legend, for the figure
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        "adjusted share (all parameters fitted together)", "95% CI"]


def test_detect_collapse_panels_share_axes(example):
    """Several studies: one panel each, sharing both axes."""
    flags = hi.detect_collapse(example)
    fig = plot.detect_collapse(flags)
    assert len(fig.axes) == example["study"].nunique()
    assert all(a.get_shared_y_axes().joined(fig.axes[0], a) for a in fig.axes)
    assert [a.get_legend() is not None for a in fig.axes] == [True, False, False]
    for a, (study, rows) in zip(fig.axes, flags.groupby("study", sort=False), strict=True):
        assert a.get_title() == f"Prediction collapse: {study}"
        (counts,) = [t for t in a.texts if t.get_gid() == "counts"]
        yes = int(rows["collapsed"].eq(True).sum())
        no = int(rows["collapsed"].eq(False).sum())
        assert counts.get_text().startswith(f"collapsed {yes}, not collapsed {no}")
        (bad,) = _by_gid(a, "collapsed")
        assert len(bad.get_offsets()) == int((rows["collapsed"].eq(True)
                                               & rows["pred_range"].notna()).sum())


def test_value_table_params_as_study_param_rows(example):
    """params= as (study, param) rows: exactly those panels, in row order, each the table's."""
    vt = hi.value_table(example)
    studies = list(pd.unique(vt["study"]))
    pick = pd.DataFrame({"study": [studies[2], studies[0], studies[2], studies[0]],
                         "param": ["dropout", "learning_rate", "d_model", "learning_rate"],
                         "claim": "matters"})
    fig = plot.value_table(vt, params=pick)
    pairs = pick[["study", "param"]].drop_duplicates()
    assert [a.get_title() for a in fig.axes] == [f"{s} | {p}" for s, p in pairs.to_numpy()]
    for a, (s, p) in zip(fig.axes, pairs.to_numpy(), strict=True):
        (means,) = _by_gid(a, "means")
        rows = vt[(vt["study"] == s) & (vt["param"] == p)]
        assert np.asarray(means.get_offsets())[:, 1].tolist() == pytest.approx(
            rows["mean"].tolist())
    with pytest.raises(hi.TrialsError, match="params= names 'nope | dropout'"):
        plot.value_table(vt, params=pd.DataFrame({"study": ["nope"], "param": ["dropout"]}))
    with pytest.raises(hi.TrialsError, match="needs a 'param' column"):
        plot.value_table(vt, params=pd.DataFrame({"study": [studies[0]]}))


def test_value_table_empty_selection_says_so(example):
    """No parameter selected (none matters): one Axes that says so, nothing drawn."""
    vt = hi.value_table(example)
    for empty in ([], pd.DataFrame({"study": [], "param": []})):
        ax = plot.value_table(vt, params=empty)
        assert isinstance(ax, Axes) and not ax.collections and not ax.lines
        assert [t.get_gid() for t in ax.texts] == ["nothing"]


@pytest.mark.parametrize("draw, result, column", [
    (plot.variance_explained, pd.DataFrame({"param": ["a"], "share": ["big"]}), "share"),
    (plot.optimization_history, pd.DataFrame({"study": "s", "number": [0], "value": ["x"],
                                              "best_so_far": [1.0]}), "value"),
    (plot.compare_budgets, pd.DataFrame({"budget": ["2M"], "best": ["high"]}), "best"),
    (plot.detect_collapse, pd.DataFrame({"collapsed": [True], "pred_range": ["wide"],
                                         "value": [0.5]}), "pred_range"),
    (plot.coverage_crosstab, pd.DataFrame({"row_param": "a", "row_value": [1], "col_param": "b",
                                           "col_value": [2], "n_trials": ["many"]}), "n_trials"),
])
def test_columns_that_are_not_numbers_are_named(draw, result, column):
    """A column that must hold numbers but holds text: a TrialsError naming it and the value."""
    with pytest.raises(hi.TrialsError, match=f"column '{column}' must hold numbers, but holds"):
        draw(result)


def test_user_rc_asking_for_latex_or_mathtext_does_not_reach_the_figure(tiny_trials):
    """With usetex and mathtext offsets asked for globally, texts stay plain and draw."""
    history = hi.optimization_history(tiny_trials.assign(value=tiny_trials["value"] * 1e-4
                                                         + 1000))
    with matplotlib.rc_context({"text.usetex": True, "axes.formatter.use_mathtext": True}):
        ax = plot.optimization_history(history)
        offset = ax.yaxis.get_offset_text().get_text()
    assert offset and "$" not in offset  # e.g. "+1e3", not "$\\times10^{3}$"
    _renders(ax.figure)


def test_series_legend_takes_the_empty_slot_of_the_grid():
    """Three parameters in two columns: the legend of the studies fills the fourth slot (no
    panel loses a point under it); two parameters: no slot, the legend goes above the grid
    in a band the figure grows by."""
    levels = hi.value_table(hi.datasets.example())
    fig = plot.value_table(levels, params=["learning_rate", "dropout", "weight_decay"],
                           series="study")
    assert len(fig.axes) == 4 and fig.axes[0].get_legend() is None
    slot = fig.axes[3]
    assert not slot.axison and not slot.collections and not slot.lines
    texts = [t.get_text() for t in slot.get_legend().get_texts()]
    assert texts == ["transformer-2M", "transformer-20M", "transformer-200M"]
    fig = plot.value_table(levels, params=["learning_rate", "dropout"], series="study")
    assert len(fig.axes) == 2 and all(a.get_legend() is None for a in fig.axes)
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == texts
    fig.canvas.draw()
    box = legend.get_window_extent()
    titles = [a.title.get_window_extent() for a in fig.axes]
    assert box.y0 >= max(t.y1 for t in titles) and box.y1 <= fig.bbox.y1
    plt.close("all")


def test_one_panel_of_series_has_its_legend_above_unless_on_an_ax_of_yours():
    """One parameter, the studies as series: the legend is a band above the Axes of a figure
    made here; on an ax= of the caller's it stays inside that Axes."""
    levels = hi.value_table(hi.datasets.example(), params="learning_rate")
    ax = plot.value_table(levels, series="study")
    assert ax.get_legend() is None and len(ax.figure.legends) == 1
    ax.figure.canvas.draw()
    assert ax.figure.legends[0].get_window_extent().y0 >= ax.title.get_window_extent().y1
    _, mine = plt.subplots()
    plot.value_table(levels, series="study", ax=mine)
    assert mine.get_legend() is not None and not mine.figure.legends
    plt.close("all")

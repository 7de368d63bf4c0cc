"""Figures drawn from analysis results, checked through their artists (not pixels)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.container import ErrorbarContainer  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

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
        "high": np.nan, "binned": False, "scale": "categorical", "count": [3, 2, 1],
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
    monkeypatch.setitem(plot._RC, "axes.titley", None)  # matplotlib's default: automatic
    auto = plot.value_table(vt)
    tops = []
    for fig in (fixed, auto):
        fig.canvas.draw()
        tops.append([a.title.get_window_extent().y0 for a in fig.axes])
    offsets = [a.yaxis.get_offset_text().get_text() for a in fixed.axes]
    assert all(offsets) if shift else not any(offsets)
    assert len(tops[0]) >= 2 and tops[0] == pytest.approx(tops[1])
    plt.close("all")

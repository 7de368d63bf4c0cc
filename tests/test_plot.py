"""Figures, checked through their artists (bar widths, points, error bars, labels), not pixels."""

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


def test_draw_variance_explained_bars_are_the_shares_largest_on_top():
    """Bar widths equal the shares sorted descending, the first (top) bar the largest."""
    result = pd.DataFrame(
        {
            "study": "s",
            "param": ["a", "b", "c"],
            "share": [0.2, 0.7, 0.05],
            "n_trials": 9,
            "n_values": 3,
        }
    )
    _, ax = plt.subplots()
    out = plot._draw_variance_explained(result, ax)
    assert out is ax
    widths = [p.get_width() for p in ax.patches]
    assert widths == pytest.approx([0.7, 0.2, 0.05])
    assert _ticklabels(ax.get_yticklabels()) == ["b", "a", "c"]
    ys = [p.get_y() + p.get_height() / 2 for p in ax.patches]
    top, bottom = ax.get_ylim()
    assert bottom < top  # inverted: first bar (largest) drawn on top
    assert ys[0] < ys[1] < ys[2]
    labels = [t.get_text() for t in ax.texts]
    assert labels == ["0.70", "0.20", "0.05"]


def test_variance_explained_widths_match_compute(tiny_trials):
    """The public figure draws exactly hi.variance_explained's shares on the given ax."""
    _, ax = plt.subplots()
    out = plot.variance_explained(tiny_trials, ax=ax)
    assert out is ax
    expected = hi.variance_explained(tiny_trials).sort_values("share", ascending=False)
    assert [p.get_width() for p in ax.patches] == pytest.approx(expected["share"].to_list())
    # Independent check of lr's share: eta^2 from the five COMPLETE values.
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
    """Without study=, several studies give a Figure with one titled panel per study."""
    trials = _two_studies(tiny_trials)
    fig = plot.variance_explained(trials)
    assert isinstance(fig, Figure)
    visible = [a for a in fig.axes if a.get_visible() and a.patches]
    assert [a.get_title() for a in visible] == [
        "Parameter importance: s",
        "Parameter importance: t",
    ]
    ax = plot.variance_explained(trials, study="t")
    assert isinstance(ax, Axes)


def test_ax_with_several_studies_and_unknown_study_are_errors(tiny_trials):
    """ax= for several studies asks for study=; an unknown study names the known ones."""
    trials = _two_studies(tiny_trials)
    _, ax = plt.subplots()
    with pytest.raises(hi.TrialsError, match="Pass study="):
        plot.variance_explained(trials, ax=ax)
    with pytest.raises(hi.TrialsError, match="Unknown study 'x'. Studies in trials: s, t"):
        plot.value_table(trials, params="lr", study="x")


# --------------------------------------------------------------------------- value_table


def _errorbar(ax: Axes) -> ErrorbarContainer:
    (container,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    return container


def test_draw_value_table_categorical():
    """One error bar per value spanning the CI, ticks are the values, star on the best value."""
    table = pd.DataFrame(
        {
            "study": "s",
            "param": "opt",
            "value": ["adam", "sgd", "rmsprop"],
            "low": np.nan,
            "high": np.nan,
            "binned": False,
            "count": [3, 2, 1],
            "mean": [0.8, 0.6, 0.7],
            "std": [0.1, 0.1, np.nan],
            "sem": [0.05, 0.07, np.nan],
            "ci_low": [0.6, 0.0, np.nan],
            "ci_high": [1.0, 1.2, np.nan],
        }
    )
    points = pd.DataFrame({"x": [0, 0, 0, 1, 1, 2], "y": [0.7, 0.8, 0.9, 0.5, 0.7, 0.7]})
    _, ax = plt.subplots()
    plot._draw_value_table(
        table, ax, points=points, best_value="adam", numeric=False, trend="unordered", metric="AUC"
    )
    eb = _errorbar(ax)
    line, _, (bars,) = eb.lines
    assert line.get_ydata() == pytest.approx([0.8, 0.6, 0.7])
    segs = bars.get_segments()
    assert len(segs) == 3
    assert [s[:, 1].tolist() for s in segs[:2]] == [
        pytest.approx([0.6, 1.0]),
        pytest.approx([0.0, 1.2]),
    ]
    assert _ticklabels(ax.get_xticklabels()) == ["adam", "sgd", "rmsprop"]
    (trials,) = _by_gid(ax, "trials")
    assert len(trials.get_offsets()) == 6
    # jitter stays within its category
    assert np.abs(trials.get_offsets()[:, 0] - points["x"].to_numpy()).max() < 0.5
    (best,) = _by_gid(ax, "best")
    assert best.get_offsets().tolist() == [[0.0, 0.8]]
    assert "unordered" in ax.get_title() and ax.get_ylabel() == "AUC"


def test_value_table_known_answer(tiny_trials):
    """Means per lr computed by hand; 5 completed points; best (maximize) is lr=0.01."""
    before = tiny_trials.copy(deep=True)
    _, ax = plt.subplots()
    assert plot.value_table(tiny_trials, params="params_lr", ax=ax) is ax
    pd.testing.assert_frame_equal(tiny_trials, before)
    line = _errorbar(ax).lines[0]
    # value_table sorts by value: 0.001, 0.01, 0.1
    assert line.get_xdata() == pytest.approx([0.001, 0.01, 0.1])
    assert line.get_ydata() == pytest.approx([0.6, 0.85, 0.6])
    assert len(_by_gid(ax, "trials")[0].get_offsets()) == 5  # PRUNED/FAIL excluded
    (best,) = _by_gid(ax, "best")
    assert best.get_offsets().tolist() == [pytest.approx([0.01, 0.85])]
    assert _ticklabels(ax.get_xticklabels()) == ["0.001", "0.01", "0.1"]
    trend = hi.classify_trend(tiny_trials, params="lr")["trend"].iloc[0]
    assert ax.get_title() == f"s | lr: {trend}"
    assert ax.get_xlabel() == "lr" and ax.get_ylabel() == "value"


def test_value_table_log_binned_axis(rng):
    """A log-distributed float with many values is binned and drawn on a log x-axis."""
    n = 60
    lr = 10 ** rng.uniform(-5, -2, n)
    trials = pd.DataFrame(
        {
            "study": "s",
            "number": range(n),
            "state": "COMPLETE",
            "value": -np.log10(lr) + rng.normal(0, 0.1, n),
            "params_lr": lr,
            "study_direction": "minimize",
            "study_metric_name": "loss",
            "distributions_lr": '{"name": "FloatDistribution", "attributes": '
            '{"step": null, "low": 1e-05, "high": 0.01, "log": true}}',
        }
    )
    ax = plot.value_table(trials, params="lr")
    table = hi.value_table(trials, params="lr")
    assert table["binned"].all()
    assert ax.get_xscale() == "log"
    line = _errorbar(ax).lines[0]
    assert line.get_xdata() == pytest.approx(np.sqrt(table["low"] * table["high"]))
    # minimize: the best bin is the one with the lowest mean
    (best,) = _by_gid(ax, "best")
    assert best.get_offsets()[0, 1] == pytest.approx(table["mean"].min())
    assert ax.get_ylabel() == "loss"


# --------------------------------------------------------------------------- coverage_crosstab


def test_draw_coverage_crosstab_annotates_every_cell_zeros_included():
    """The mesh holds the counts, one text per cell, zeros shown, ticks are the values."""
    result = pd.DataFrame(
        {
            "study": "s",
            "row_param": "a",
            "row_value": [1, 1, 2, 2, 3, 3],
            "col_param": "b",
            "col_value": ["x", "y"] * 3,
            "n_trials": [2, 0, 0, 5, 1, 0],
        }
    )
    _, ax = plt.subplots()
    plot._draw_coverage_crosstab(result, ax)
    (mesh,) = ax.collections
    assert np.asarray(mesh.get_array()).reshape(3, 2).tolist() == [[2, 0], [0, 5], [1, 0]]
    assert [t.get_text() for t in ax.texts] == ["2", "0", "0", "5", "1", "0"]
    assert _ticklabels(ax.get_yticklabels()) == ["1", "2", "3"]
    assert _ticklabels(ax.get_xticklabels()) == ["x", "y"]
    assert (ax.get_ylabel(), ax.get_xlabel()) == ("a", "b")


def test_coverage_crosstab_counts_match_pandas(tiny_trials):
    """Public figure: cell texts equal a pandas crosstab of the COMPLETE trials."""
    _, ax = plt.subplots()
    assert plot.coverage_crosstab(tiny_trials, params=("lr", "optimizer"), ax=ax) is ax
    done = tiny_trials[tiny_trials["state"] == "COMPLETE"]
    expected = pd.crosstab(done["params_lr"], done["params_optimizer"])
    assert [int(t.get_text()) for t in ax.texts] == expected.to_numpy().ravel().tolist()


# --------------------------------------------------------------------------- compare_budgets


def test_draw_compare_budgets_order_points_and_best():
    """Budgets in the result's order, one box and all points per budget, stars at the best."""
    best = pd.DataFrame(
        {
            "budget": ["2M", "20M", "200M"],
            "study": ["a", "b", "c"],
            "size": [2e6, 2e7, 2e8],
            "best": [0.7, 0.9, 0.8],
            "number": [1, 2, 3],
        }
    )
    points = pd.DataFrame(
        {
            "budget": ["200M", "2M", "2M", "20M", "20M", "200M", "20M"],
            "y": [0.8, 0.7, 0.6, 0.9, 0.5, 0.7, 0.85],
        }
    )
    _, ax = plt.subplots()
    plot._draw_compare_budgets(best, points, ax, metric="AUC")
    assert _ticklabels(ax.get_xticklabels()) == ["2M", "20M", "200M"]
    (pts,) = _by_gid(ax, "trials")
    xy = pts.get_offsets()
    assert len(xy) == 7
    assert np.rint(xy[:, 0]).tolist() == [2, 0, 0, 1, 1, 2, 1]
    (star,) = _by_gid(ax, "best")
    assert star.get_offsets().tolist() == [[0, 0.7], [1, 0.9], [2, 0.8]]
    medians = [ln.get_ydata()[0] for ln in ax.lines if ln.get_color() == "0.3"]
    assert medians == pytest.approx([0.65, 0.85, 0.75])
    assert ax.get_ylabel() == "AUC"


# --------------------------------------------------------------------------- detect_collapse


def test_draw_detect_collapse_highlights_and_threshold():
    """Collapsed and healthy trials are separate layers; the threshold line sits at min_range."""
    result = pd.DataFrame(
        {
            "study": "s",
            "number": [0, 1, 2, 3],
            "value": [0.5, 0.7, 0.6, 0.65],
            "pred_min": [0.49, 0.1, 0.2, np.nan],
            "pred_max": [0.51, 0.9, 0.8, np.nan],
            "pred_range": [0.02, 0.8, 0.6, np.nan],
            "pred_std": [0.001, 0.2, 0.15, np.nan],
            "recall": [0.0, 0.6, 0.5, np.nan],
            "collapsed": pd.array([True, False, False, pd.NA], dtype="boolean"),
        }
    )
    _, ax = plt.subplots()
    plot._draw_detect_collapse(result, ax, min_range=0.05, metric="AUC")
    (bad,) = _by_gid(ax, "collapsed")
    (ok,) = _by_gid(ax, "ok")
    assert bad.get_offsets().tolist() == [[0.02, 0.5]]
    assert ok.get_offsets().tolist() == [[0.8, 0.7], [0.6, 0.6]]
    vlines = [ln for ln in ax.lines if list(ln.get_xdata()) == [0.05, 0.05]]
    assert len(vlines) == 1
    texts = _legend_texts(ax)
    assert "collapsed (1)" in texts and "not collapsed (2)" in texts
    assert "not measured: 1" in texts


# --------------------------------------------------------------------------- optimization_history


def test_optimization_history_running_best(tiny_trials):
    """Points are the 5 COMPLETE trials, the step line their running max; exclusions counted."""
    _, ax = plt.subplots()
    assert plot.optimization_history(tiny_trials, ax=ax) is ax
    (step,) = [ln for ln in ax.lines if ln.get_gid() == "best:s"]
    assert list(step.get_xdata()) == [0, 1, 2, 3, 4]
    assert list(step.get_ydata()) == pytest.approx(np.maximum.accumulate([0.5, 0.7, 0.8, 0.9, 0.6]))
    (pts,) = _by_gid(ax, "trials:s")
    assert len(pts.get_offsets()) == 5
    assert "2 pruned/failed/unfinished trials excluded" in _legend_texts(ax)


def test_optimization_history_minimize(tiny_trials):
    """With direction='minimize' the line is the running min."""
    ax = plot.optimization_history(tiny_trials, direction="minimize")
    (step,) = [ln for ln in ax.lines if ln.get_gid() == "best:s"]
    assert list(step.get_ydata()) == pytest.approx(np.minimum.accumulate([0.5, 0.7, 0.8, 0.9, 0.6]))


# --------------------------------------------------------------------------- the example report


def _all_figures(trials: pd.DataFrame, study: str) -> dict:
    """Every figure of one study's report section, as callables (drawn one at a time)."""
    one = trials[trials["study"] == study]
    return {
        "variance_explained": lambda: plot.variance_explained(one),
        "value_table_learning_rate": lambda: plot.value_table(one, params="learning_rate"),
        "value_table_weight_decay": lambda: plot.value_table(one, params="weight_decay"),
        "value_table_d_model": lambda: plot.value_table(one, params="d_model"),
        "coverage_crosstab": lambda: plot.coverage_crosstab(
            one, params=("learning_rate", "dropout")
        ),
        "detect_collapse": lambda: plot.detect_collapse(one),
        "optimization_history": lambda: plot.optimization_history(one),
    }


def test_example_figures_save_as_png(example, tmp_path, monkeypatch):
    """Every figure of the example report saves to a non-empty PNG; no plt.show, no rc changes."""

    def no_show(*args, **kwargs):
        raise AssertionError("plt.show() called")

    monkeypatch.setattr(plt, "show", no_show)
    before = example.copy(deep=True)
    rc = dict(matplotlib.rcParams)
    figures = {"compare_budgets": lambda: plot.compare_budgets(example)}
    for study in example["study"].unique():
        for name, draw in _all_figures(example, study).items():
            figures[f"{study}_{name}"] = draw
    assert len(figures) == 1 + 3 * 7
    for name, draw in figures.items():
        obj = draw()
        assert isinstance(obj, Axes), name  # one study each: a single Axes
        fig = obj.figure
        path = tmp_path / f"{name}.png"
        fig.savefig(path)
        image = plt.imread(path)
        assert path.stat().st_size > 1000
        assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 400
        assert image[..., :3].std() > 0  # not blank
        plt.close(fig)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{n}.png" for n in figures)
    pd.testing.assert_frame_equal(example, before)
    assert dict(matplotlib.rcParams) == rc


def test_example_multi_study_figures(example):
    """Whole-example figures: one panel per study, one history line per study, budgets in order."""
    fig = plot.value_table(example, params="dropout")
    panels = [a for a in fig.axes if a.get_visible() and a.containers]
    assert len(panels) == 3
    ax = plot.optimization_history(example)
    assert len([ln for ln in ax.lines if str(ln.get_gid()).startswith("best:")]) == 3
    ax = plot.compare_budgets(example)
    assert _ticklabels(ax.get_xticklabels()) == ["2M", "20M", "200M"]
    best = hi.compare_budgets(example)
    stars = _by_gid(ax, "best")[0].get_offsets()
    assert stars[:, 1].tolist() == pytest.approx(best["best"].to_list())

"""hi.plot.fidelity_correlation / pruning_audit / search_progress draw their results."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import hpo_insights as hi  # noqa: E402


def _curves(rng, studies=("a",), n=30, s=8):
    parts = []
    for name in studies:
        level = rng.normal(size=(n, 1))
        values = level + rng.normal(size=(n, s)) / (1 + np.arange(s))
        parts.append(pd.DataFrame({"study": name, "number": np.repeat(np.arange(n), s),
                                   "state": "COMPLETE", "step": np.tile(np.arange(s), n),
                                   "value": values.ravel()}))
    return pd.concat(parts, ignore_index=True)


def test_fidelity_lines_are_the_result(rng):
    """The rho line and the settled marker are the result's columns."""
    fc = hi.fidelity_correlation(_curves(rng), threshold=0.5)
    ax = hi.plot.fidelity_correlation(fc, threshold=0.5)
    rho = next(line for line in ax.lines if line.get_gid() == "rho")
    np.testing.assert_allclose(rho.get_ydata(), fc["rho"])
    np.testing.assert_allclose(rho.get_xdata(), fc["step"])
    settled = next(line for line in ax.lines if line.get_gid() == "settled")
    assert settled.get_xdata()[0] == fc.loc[fc["settled"], "step"].min()


def test_fidelity_one_panel_per_study(rng):
    """Two studies give a Figure of two panels; ax= with two studies is an error."""
    fc = hi.fidelity_correlation(_curves(rng, ("a", "b")))
    fig = hi.plot.fidelity_correlation(fc)
    assert len(fig.axes) == 2
    with pytest.raises(hi.TrialsError, match="ax= takes one panel"):
        hi.plot.fidelity_correlation(fc, ax=fig.axes[0])


def test_pruning_audit_points_are_the_result(rng):
    """Stopped trials sit at (rank, pruned_at), the others at (rank, last step)."""
    audit = hi.pruning_audit(_curves(rng), rule=hi.pruning.Median(n_startup_trials=2),
                             direction="minimize")
    ax = hi.plot.pruning_audit(audit)
    t = audit.trials
    stopped = t[t["stopped"]]
    got = next(c for c in ax.collections if c.get_gid() == "stopped").get_offsets()
    np.testing.assert_allclose(got, np.c_[stopped["rank"], stopped["pruned_at"].astype(float)])
    kept = t[~t["stopped"]]
    got = next(c for c in ax.collections if c.get_gid() == "kept").get_offsets()
    np.testing.assert_allclose(got, np.c_[kept["rank"], kept["last_step"]])
    assert "saves" in ax.get_title()


def test_search_progress_lines_are_the_result(rng):
    """The expected-best line and the best-so-far steps are the curve's columns."""
    trials = pd.DataFrame({"study": "s", "number": range(40), "state": "COMPLETE",
                           "value": rng.normal(size=40), "study_direction": "maximize"})
    sp = hi.search_progress(trials)
    ax = hi.plot.search_progress(sp)
    line = next(line for line in ax.lines if line.get_gid() == "expected_best")
    np.testing.assert_allclose(line.get_ydata(), sp.curve["expected_best"])
    steps = next(line for line in ax.lines if line.get_gid() == "best_so_far")
    np.testing.assert_allclose(steps.get_ydata(), sp.curve["best_so_far"])
    assert ax.get_xscale() == "log"
    with pytest.raises(TypeError, match="SearchProgress"):
        hi.plot.search_progress(sp.curve)


def test_pruning_audit_step_axis_starts_at_zero_in_whole_steps(rng):
    """Every trial ran to step 5: the axis shows 0..5 in whole steps, not a 4.9-5.1 window."""
    n = 10
    curves = pd.DataFrame({"study": "s", "number": np.repeat(range(n), 6),
                           "step": np.tile(range(6), n), "value": rng.normal(size=6 * n),
                           "state": "COMPLETE"})
    audit = hi.pruning_audit(curves, direction="maximize", rule="median:n_startup_trials=100")
    assert audit.trials["pruned_at"].isna().all()
    ax = hi.plot.pruning_audit(audit)
    low, high = ax.get_ylim()
    assert low < 0 < 5 < high < 6
    ticks = [t for t in ax.get_yticks() if low <= t <= high]
    assert ticks == [float(k) for k in range(int(ticks[0]), int(ticks[-1]) + 1)] and 0 in ticks
    matplotlib.pyplot.close("all")

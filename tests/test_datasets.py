"""The bundled example: its content, its documented truth, and that it can be regenerated."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hpo_insights as hi
from hpo_insights.datasets import EXAMPLE_TRUTH

STUDIES = ["transformer-2M", "transformer-20M", "transformer-200M"]
BUDGETS = ["2M", "20M", "200M"]
PARAMS = ["d_model", "n_layers", "n_heads", "d_ff_ratio", "learning_rate", "dropout",
          "weight_decay"]
EXTREME_TYPES = ["min_d_model", "max_d_model", "min_n_layers", "max_n_layers", "min_n_heads",
                 "max_n_heads"]
COLLAPSE_RANGE = 0.05  # pred_max - pred_min below this: near-constant predictions


@pytest.fixture(scope="module")
def trials() -> pd.DataFrame:
    return hi.datasets.example()


@pytest.fixture(scope="module")
def complete(trials) -> pd.DataFrame:
    return trials[trials["state"] == "COMPLETE"]


@pytest.fixture(scope="module")
def healthy(complete) -> pd.DataFrame:
    spread = complete["user_attrs_pred_max"] - complete["user_attrs_pred_min"]
    return complete[spread >= COLLAPSE_RANGE]


def _grid(trials: pd.DataFrame, study: str, param: str) -> dict:
    """The recorded Optuna distribution of *param* in *study*."""
    text = trials.loc[trials["study"] == study, f"distributions_{param}"].iloc[0]
    return json.loads(text)


def _position(values: pd.Series, dist: dict) -> np.ndarray:
    """Documented position in [0, 1]: log for log floats, linear for numbers, index for choices."""
    attrs = dist["attributes"]
    x = values.to_numpy(dtype=float)
    if dist["name"] == "CategoricalDistribution":
        choices = attrs["choices"]
        return np.array([choices.index(v) for v in x]) / (len(choices) - 1)
    low, high = attrs["low"], attrs["high"]
    if attrs["log"]:
        return (np.log(x) - np.log(low)) / (np.log(high) - np.log(low))
    return (x - low) / (high - low)


def _position_of(value: float, dist: dict) -> float:
    return float(_position(pd.Series([value]), dist)[0])


def _true_auc(trials: pd.DataFrame, study_trials: pd.DataFrame, budget: str) -> np.ndarray:
    """The documented truth, recomputed from EXAMPLE_TRUTH and the recorded distributions."""
    truth = EXAMPLE_TRUTH["budgets"][budget]
    study = truth["study"]
    total = np.full(len(study_trials), truth["best_auc"])
    for param, spec in truth["params"].items():
        dist = _grid(trials, study, param)
        u = _position(study_trials[f"params_{param}"], dist)
        amp = spec["amplitude"]
        if spec["shape"] == "increasing":
            total -= amp * (1 - u)
        elif spec["shape"] == "decreasing":
            total -= amp * u
        elif spec["shape"] == "peaked":
            u_opt = _position_of(spec["optimum"], dist)
            total -= amp * ((u - u_opt) / max(u_opt, 1 - u_opt)) ** 2
        else:
            assert spec["shape"] == "none" and amp == 0
    return total


def _eta_squared(y: pd.Series, x: pd.Series) -> float:
    means = y.groupby(x).transform("mean")
    return float(((means - y.mean()) ** 2).sum() / ((y - y.mean()) ** 2).sum())


# --------------------------------------------------------------------------- shape and content
def test_three_studies_of_fifty_trials(trials):
    """150 rows: three studies in budget order, trials numbered 0-49, RangeIndex."""
    assert trials.groupby("study", sort=False).size().to_dict() == dict.fromkeys(STUDIES, 50)
    assert list(dict.fromkeys(trials["study"])) == STUDIES
    assert isinstance(trials.index, pd.RangeIndex)
    for _, group in trials.groupby("study"):
        assert group["number"].tolist() == list(range(50))


def test_study_level_columns(trials):
    """Budget, hardware, direction and metric name are recorded per study."""
    per_study = trials.groupby("study", sort=False)[
        ["study_user_attrs_budget", "study_user_attrs_hardware", "study_direction",
         "study_metric_name"]
    ].agg(lambda s: tuple(s.unique()))
    assert per_study["study_user_attrs_budget"].tolist() == [(b,) for b in BUDGETS]
    assert set(per_study["study_user_attrs_hardware"]) == {("a100",)}
    assert set(per_study["study_direction"]) == {("maximize",)}
    assert set(per_study["study_metric_name"]) == {("AUC",)}


def test_parameter_columns_and_dtypes(trials):
    """The seven parameters: integers as int64, floats as float64, distributions recorded."""
    assert sorted(c[len("params_"):] for c in trials if c.startswith("params_")) == sorted(PARAMS)
    for p in ("d_model", "n_layers", "n_heads", "d_ff_ratio"):
        assert trials[f"params_{p}"].dtype == "int64", p
    for p in ("learning_rate", "dropout", "weight_decay"):
        assert trials[f"params_{p}"].dtype == "float64", p
    assert trials["value"].dtype == "float64"
    assert trials["number"].dtype == "int64"
    assert pd.api.types.is_datetime64_any_dtype(trials["datetime_start"])
    lr = _grid(trials, "transformer-200M", "learning_rate")
    assert lr == {"name": "FloatDistribution",
                  "attributes": {"step": None, "low": 1e-05, "high": 0.001, "log": True}}
    assert _grid(trials, "transformer-2M", "weight_decay")["attributes"]["choices"] == [
        0.0, 1e-05, 0.0001, 0.001]


@pytest.mark.parametrize(
    ("study", "d_model", "n_layers", "n_heads"),
    [
        ("transformer-2M", (32, 96, 16), (2, 6, 1), [2, 4, 8]),
        ("transformer-20M", (64, 192, 32), (4, 8, 1), [4, 8]),
        ("transformer-200M", (128, 384, 64), (6, 12, 2), [8, 16]),
    ],
)
def test_budget_specific_grids(trials, study, d_model, n_layers, n_heads):
    """Each budget searches its own architecture grid, and every value lies on it."""
    rows = trials[trials["study"] == study]
    for param, (low, high, step) in (("d_model", d_model), ("n_layers", n_layers)):
        attrs = _grid(trials, study, param)["attributes"]
        assert (attrs["low"], attrs["high"], attrs["step"]) == (low, high, step)
        assert set(rows[f"params_{param}"]) <= set(range(low, high + 1, step))
    assert _grid(trials, study, "n_heads")["attributes"]["choices"] == n_heads
    assert set(rows["params_n_heads"]) <= set(n_heads)
    assert set(rows["params_d_ff_ratio"]) <= {2, 4}
    assert set(rows["params_weight_decay"]) <= {0.0, 1e-5, 1e-4, 1e-3}
    assert rows["params_learning_rate"].between(1e-5, 1e-3).all()
    steps = (rows["params_dropout"] - 0.1) / 0.2  # 0.1, 0.3, 0.5, 0.7
    assert np.allclose(steps, steps.round()) and steps.between(0, 3).all()


def test_forced_extremes_are_the_first_six_trials(trials):
    """Trials 0-5 of each study: the named parameter at its grid end, all else equal."""
    for study in STUDIES:
        rows = trials[trials["study"] == study].set_index("number")
        first = rows.loc[0:5]
        assert first["user_attrs_extreme_type"].tolist() == EXTREME_TYPES
        assert rows.loc[6:, "user_attrs_extreme_type"].isna().all()
        fixed = first["system_attrs_fixed_params"].map(json.loads)
        assert fixed.map(len).eq(len(PARAMS)).all()
        for number, extreme in first["user_attrs_extreme_type"].items():
            side, param = extreme.split("_", 1)
            dist = _grid(trials, study, param)["attributes"]
            grid_values = dist.get("choices") or [dist["low"], dist["high"]]
            value = rows.at[number, f"params_{param}"]
            assert value == (min(grid_values) if side == "min" else max(grid_values))
            assert fixed[number] == {p: rows.at[number, f"params_{p}"] for p in PARAMS}
        # Besides the extreme parameter, the six share one configuration.
        for param in PARAMS:
            others = first.loc[~first["user_attrs_extreme_type"].str.endswith(param),
                               f"params_{param}"]
            assert others.nunique() == 1, (study, param)
        assert rows.loc[6:, "system_attrs_fixed_params"].isna().all()


def test_states(trials):
    """Exactly one FAIL (in 20M), PRUNED trials in every study, the rest COMPLETE."""
    counts = trials.groupby(["study", "state"]).size()
    assert set(trials["state"]) == {"COMPLETE", "PRUNED", "FAIL"}
    fails = trials[trials["state"] == "FAIL"]
    assert len(fails) == 1 and fails["study"].iloc[0] == "transformer-20M"
    assert fails["value"].isna().all()
    for study in STUDIES:
        assert 1 <= counts.get((study, "PRUNED"), 0) <= 10, study
    pruned = trials[trials["state"] == "PRUNED"]
    # Optuna keeps a pruned trial's last intermediate AUC in `value`.
    assert pruned["value"].notna().all()
    assert (pruned["number"] >= 6).all()


def test_prediction_attributes(trials):
    """Every COMPLETE trial records pred_min/max/std and recall; the others record none."""
    cols = ["user_attrs_pred_min", "user_attrs_pred_max", "user_attrs_pred_std",
            "user_attrs_recall"]
    done = trials["state"] == "COMPLETE"
    assert trials.loc[done, cols].notna().all().all()
    assert trials.loc[~done, cols].isna().all().all()
    d = trials.loc[done]
    assert (d["user_attrs_pred_min"] < d["user_attrs_pred_max"]).all()
    assert d[cols].apply(lambda s: s.between(0, 1)).all().all()


def test_collapsed_trials_follow_the_documented_rule(trials, complete):
    """Collapsed trials exist, only in 200M, near-constant with AUC ~0.5, exactly per the rule."""
    spread = complete["user_attrs_pred_max"] - complete["user_attrs_pred_min"]
    collapsed = complete[spread < COLLAPSE_RANGE]
    assert len(collapsed) >= 1
    assert set(collapsed["study"]) == {"transformer-200M"}
    assert (collapsed["value"] - 0.5).abs().max() < 0.02
    assert (collapsed["user_attrs_pred_std"] < 0.01).all()
    assert (collapsed["user_attrs_recall"] == 0).all()
    for budget in BUDGETS:
        truth = EXAMPLE_TRUTH["budgets"][budget]
        rows = complete[complete["study"] == truth["study"]]
        rule = truth["collapse"]
        if rule is None:
            expected = pd.Series(False, index=rows.index)
        else:
            expected = (rows["params_learning_rate"] >= rule["learning_rate_at_least"]) & (
                rows["params_dropout"] <= rule["dropout_at_most"] + 1e-9)
        assert (spread.loc[rows.index] < COLLAPSE_RANGE).equals(expected), budget


def test_auc_levels_like_the_reference(healthy):
    """Healthy AUCs lie in 0.65-0.74 with study means around 0.70-0.72."""
    assert healthy["value"].between(0.65, 0.74).all()
    means = healthy.groupby("study")["value"].mean()
    assert means.between(0.69, 0.72).all()


def test_scaling_check_is_violated(complete):
    """Best AUC per budget: 20M > 2M > 200M, as documented."""
    best = complete.groupby("study_user_attrs_budget")["value"].max()
    assert tuple(best.sort_values(ascending=False).index) == EXAMPLE_TRUTH["scaling"] == (
        "20M", "2M", "200M")


# --------------------------------------------------------------------------- the truth
def test_truth_is_well_formed():
    """Every budget documents all seven params; labels match amplitudes; d_ff_ratio is null."""
    sizes = EXAMPLE_TRUTH["effect_sizes"]
    assert EXAMPLE_TRUTH["noise_sd"] > 0
    assert list(EXAMPLE_TRUTH["budgets"]) == BUDGETS
    for budget, truth in EXAMPLE_TRUTH["budgets"].items():
        assert truth["study"] == f"transformer-{budget}"
        assert sorted(truth["params"]) == sorted(PARAMS)
        for param, spec in truth["params"].items():
            amp = spec["amplitude"]
            label = {"none": amp == 0, "small": 0 < amp <= sizes["small"],
                     "large": amp >= sizes["large"]}
            assert label[spec["effect"]], (budget, param)
            assert spec["shape"] in {"none", "increasing", "decreasing", "peaked"}
            assert (spec["shape"] == "none") == (spec["effect"] == "none")
        assert truth["params"]["d_ff_ratio"]["effect"] == "none"
        assert truth["params"]["learning_rate"]["effect"] == "large"
    assert EXAMPLE_TRUTH["budgets"]["200M"]["params"]["dropout"]["shape"] == "increasing"


def test_values_are_truth_plus_documented_noise(trials, healthy):
    """Observed AUC minus the documented true AUC has mean ~0 and sd ~noise_sd."""
    residuals = []
    for budget in BUDGETS:
        rows = healthy[healthy["study_user_attrs_budget"] == budget]
        residuals.append(rows["value"].to_numpy() - _true_auc(trials, rows, budget))
    r = np.concatenate(residuals)
    sd = EXAMPLE_TRUTH["noise_sd"]
    # 136 draws: the sample sd lies within 25% of sd and the mean within 3 standard errors.
    assert abs(r.mean()) < 3 * sd / np.sqrt(len(r))
    assert 0.75 * sd < r.std(ddof=1) < 1.25 * sd


def test_the_truth_would_catch_a_wrong_shape(trials, healthy):
    """The residual check above fails when one documented shape is flipped (it can fail)."""
    rows = healthy[healthy["study_user_attrs_budget"] == "200M"]
    dist = _grid(trials, "transformer-200M", "dropout")
    u = _position(rows["params_dropout"], dist)
    amp = EXAMPLE_TRUTH["budgets"]["200M"]["params"]["dropout"]["amplitude"]
    flipped = _true_auc(trials, rows, "200M") + amp * (1 - u) - amp * u  # increasing -> decreasing
    r = rows["value"].to_numpy() - flipped
    assert r.std(ddof=1) > 1.25 * EXAMPLE_TRUTH["noise_sd"]


def test_large_effects_explain_more_than_the_null_effect(healthy):
    """In every study, each documented large effect has a larger eta squared than d_ff_ratio."""
    for budget in BUDGETS:
        truth = EXAMPLE_TRUTH["budgets"][budget]
        rows = healthy[healthy["study"] == truth["study"]]
        shares = {}
        for param in truth["params"]:
            x = rows[f"params_{param}"]
            if param == "learning_rate":  # continuous: four quantile bins in log space
                x = pd.qcut(np.log10(x), 4, labels=False)
            shares[param] = _eta_squared(rows["value"], x)
        large = [p for p, spec in truth["params"].items() if spec["effect"] == "large"]
        assert large, budget
        for param in large:
            assert shares[param] > shares["d_ff_ratio"], (budget, param, shares)


def test_monotone_trends_have_the_documented_sign(healthy):
    """Rank correlation of AUC with each documented large monotone effect has its sign."""
    checked = 0
    for budget in BUDGETS:
        truth = EXAMPLE_TRUTH["budgets"][budget]
        rows = healthy[healthy["study"] == truth["study"]]
        for param, spec in truth["params"].items():
            if spec["effect"] != "large" or spec["shape"] not in ("increasing", "decreasing"):
                continue
            rho = rows["value"].corr(rows[f"params_{param}"], method="spearman")
            assert np.sign(rho) == (1 if spec["shape"] == "increasing" else -1), (budget, param)
            assert abs(rho) > 0.3, (budget, param, rho)
            checked += 1
    assert checked >= 2  # 2M dropout decreasing, 200M dropout increasing


# --------------------------------------------------------------------------- files and API
def test_example_equals_the_shipped_storage(trials):
    """hi.load(example_storage()) holds the same trials as example(), and stays unmodified."""
    pytest.importorskip("optuna")
    path = hi.datasets.example_storage()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    stored = hi.load(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert list(stored.columns) == list(trials.columns)
    pd.testing.assert_frame_equal(stored, trials, check_exact=True)


def test_example_returns_a_new_frame_each_call():
    """Changing the returned frame does not change the next one."""
    first = hi.datasets.example()
    expected = first.copy(deep=True)
    first.loc[0, "value"] = -1.0
    first["params_dropout"] = 0.0
    pd.testing.assert_frame_equal(hi.datasets.example(), expected)


def test_shipped_files_are_small():
    """The CSV stays under 200 KB and the SQLite storage under 1 MB."""
    path = hi.datasets.example_storage()
    assert path.stat().st_size < 1_000_000
    assert (path.parent / "example.csv").stat().st_size < 200_000


def test_example_needs_no_optuna():
    """A fresh interpreter reads the example without importing optuna or scipy."""
    script = (
        "import sys, hpo_insights as hi\n"
        "t = hi.datasets.example()\n"
        "print(len(t), sorted({m.split('.')[0] for m in sys.modules} & {'optuna', 'scipy'}))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "150 []"


# --------------------------------------------------------------------------- regeneration
def test_generator_guard_rejects_a_broken_example(trials):
    """The generator's final check fails when a promised property is lost (two FAILs)."""
    from hpo_insights.datasets import _make_example

    _make_example._check(trials)  # the shipped data passes
    broken = trials.copy()
    broken.loc[broken["state"] == "PRUNED", "state"] = "FAIL"
    with pytest.raises(RuntimeError, match="FAIL trials instead of 1"):
        _make_example._check(broken)


def test_regenerating_reproduces_the_shipped_example(tmp_path, trials):
    """Re-running the seeded generator gives the same params, values, states and attributes.

    About 10 s: it runs the three 50-trial TPE searches again. TPE's draws are only
    reproducible within one Optuna version, so another version skips with the reason.
    """
    optuna = pytest.importorskip("optuna")
    from hpo_insights.datasets import _make_example

    if optuna.__version__ != _make_example.OPTUNA_VERSION:
        pytest.skip(
            f"the example was generated with Optuna {_make_example.OPTUNA_VERSION}; "
            f"Optuna {optuna.__version__} may sample differently"
        )
    db, csv = _make_example.generate(tmp_path)
    timing = ["datetime_start", "datetime_complete", "duration"]
    for fresh in (hi.load(csv), hi.load(db)):
        _assert_same_draws(fresh.drop(columns=timing), trials.drop(columns=timing))


def _assert_same_draws(fresh: pd.DataFrame, shipped: pd.DataFrame) -> None:
    """Equal frames, floats to 1e-12 relative (also inside JSON text attributes).

    numpy's exp/log differ in the last bit between builds (SIMD kernels), so a log-uniform
    draw can come back one ulp away; any real difference in sampling is far larger.
    """
    import json

    def parsed(value):
        if isinstance(value, str) and value.startswith("{"):
            return json.loads(value)
        return value

    texts = [c for c in shipped.columns if not pd.api.types.is_numeric_dtype(shipped[c])]
    pd.testing.assert_frame_equal(fresh.drop(columns=texts), shipped.drop(columns=texts),
                                  check_exact=False, rtol=1e-12, atol=0.0)
    assert list(fresh.columns) == list(shipped.columns)
    for c in texts:
        for a, b in zip(fresh[c].map(parsed), shipped[c].map(parsed), strict=True):
            if isinstance(a, dict) and isinstance(b, dict):
                assert a.keys() == b.keys(), c
                for k in a:
                    if isinstance(a[k], float) and isinstance(b[k], float):
                        assert a[k] == pytest.approx(b[k], rel=1e-12, abs=0.0), (c, k)
                    else:
                        assert a[k] == b[k], (c, k)
            else:
                assert (a == b) or (pd.isna(a) and pd.isna(b)), (c, a, b)

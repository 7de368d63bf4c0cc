"""hi.pruning_audit: the offline replay agrees with Optuna's own pruners, trial by trial."""

from __future__ import annotations

import numpy as np
import optuna
import pandas as pd
import pytest

import hpo_insights as hi
from hpo_insights import pruning

optuna.logging.set_verbosity(optuna.logging.WARNING)


def _curves_matrix(rng, n, s, *, nan_share=0.0, ties=False, gaps=False):
    """Pre-generated curves: a trial's level plus noise, decreasing over steps."""
    level = rng.normal(0, 1, size=(n, 1))
    noise = rng.normal(0, 0.5, size=(n, s)) / np.sqrt(1 + np.arange(s))
    curves = level + 2.0 / (1 + np.arange(s)) + noise
    if ties:
        curves = np.round(curves, 1)
    if nan_share:
        curves[rng.random((n, s)) < nan_share] = np.nan
    steps = np.arange(s)
    if gaps:
        steps = np.sort(rng.choice(np.arange(3 * s), size=s, replace=False))
    return curves, steps


def _run_optuna(curves, steps, pruner, direction):
    """Optuna itself: each trial reports its curve step by step and asks should_prune()."""
    study = optuna.create_study(direction=direction, pruner=pruner,
                                sampler=optuna.samplers.RandomSampler(seed=0))
    pruned_at: dict[int, int] = {}

    def objective(trial):
        row = curves[trial.number]
        for j, step in enumerate(steps):
            trial.report(float(row[j]), int(step))
            if trial.should_prune():
                pruned_at[trial.number] = int(step)
                raise optuna.TrialPruned()
        return float(np.nan_to_num(row[-1]))  # a NaN return would make the trial FAIL

    study.optimize(objective, n_trials=len(curves))
    return pruned_at


def _frame(curves, steps):
    n, s = curves.shape
    return pd.DataFrame({"study": "s", "number": np.repeat(np.arange(n), s),
                         "state": "COMPLETE", "step": np.tile(steps, n),
                         "value": curves.ravel()})


def _replayed(curves, steps, rule, direction):
    audit = hi.pruning_audit(_frame(curves, steps), rule=rule, direction=direction)
    got = audit.trials.dropna(subset=["pruned_at"])
    return dict(zip(got["number"].astype(int), got["pruned_at"].astype(int), strict=True))


PRUNERS = [
    lambda: optuna.pruners.MedianPruner(),
    lambda: optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=3, interval_steps=2),
    lambda: optuna.pruners.MedianPruner(n_startup_trials=0, n_min_trials=4),
    lambda: optuna.pruners.PercentilePruner(25.0, n_startup_trials=3, n_warmup_steps=1),
    lambda: optuna.pruners.PercentilePruner(80.0, n_startup_trials=1, interval_steps=3,
                                            n_min_trials=2),
    lambda: optuna.pruners.SuccessiveHalvingPruner(),
    lambda: optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2),
    lambda: optuna.pruners.SuccessiveHalvingPruner(min_resource=2, reduction_factor=3,
                                                   min_early_stopping_rate=1),
    lambda: optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2,
                                                   bootstrap_count=3),
]


@pytest.mark.parametrize("make", PRUNERS)
@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_replay_equals_optuna(make, direction):
    """Replaying an Optuna pruner on full curves stops the same trials at the same steps."""
    rng = np.random.default_rng(2 * PRUNERS.index(make) + (direction == "maximize"))
    curves, steps = _curves_matrix(rng, 60, 30)
    expected = _run_optuna(curves, steps, make(), direction)
    assert expected  # the pruner did something
    assert _replayed(curves, steps, make(), direction) == expected


@pytest.mark.parametrize("make", PRUNERS)
def test_replay_equals_optuna_odd_curves(make):
    """NaN values, tied values and irregular steps are decided as Optuna decides them."""
    rng = np.random.default_rng(PRUNERS.index(make) + 100)
    curves, steps = _curves_matrix(rng, 50, 25, nan_share=0.05, ties=True, gaps=True)
    for direction in ("minimize", "maximize"):
        expected = _run_optuna(curves, steps, make(), direction)
        assert _replayed(curves, steps, make(), direction) == expected


def test_library_rules_equal_optuna_pruners():
    """hi.pruning.Median / Percentile / SuccessiveHalving are the Optuna pruners' settings."""
    rng = np.random.default_rng(7)
    curves, steps = _curves_matrix(rng, 40, 20)
    pairs = [
        (pruning.Median(n_startup_trials=2, n_warmup_steps=2),
         optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=2)),
        (pruning.Percentile(30.0, n_startup_trials=1),
         optuna.pruners.PercentilePruner(30.0, n_startup_trials=1)),
        (pruning.SuccessiveHalving(min_resource=1, reduction_factor=3),
         optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)),
    ]
    for ours, theirs in pairs:
        assert _replayed(curves, steps, ours, "minimize") == _run_optuna(
            curves, steps, theirs, "minimize")


def test_keep_top_known_answer():
    """KeepTop stops at its step the trials below the earlier trials' top-q quantile."""
    rng = np.random.default_rng(3)
    curves, steps = _curves_matrix(rng, 30, 10)
    rule = pruning.KeepTop(step=4, top=0.25, n_startup_trials=3)
    got = _replayed(curves, steps, rule, "maximize")
    at = curves[:, 4]
    expected = {}
    for t in range(3, 30):  # brute force: numpy's quantile of the earlier values
        bar = np.quantile(at[:t], 0.75)
        if at[t] < bar:
            expected[t] = 4
    assert got == expected


def test_summary_known_answer():
    """Steps saved, best trial stopped and regret follow from the replayed stops."""
    curves = pd.DataFrame({
        "study": "s", "number": np.repeat(range(4), 3), "state": "COMPLETE",
        "step": np.tile(range(3), 4),
        # trial 2 is poor early and the best at the end: the median rule stops it at step 0
        "value": [3, 2, 1, 3, 2.5, 2, 5, 4, 0.1, 1, 0.5, 0.2]})
    audit = hi.pruning_audit(curves, rule=pruning.Median(n_startup_trials=1),
                             direction="minimize")
    row = audit.summary.iloc[0]
    assert audit.trials["pruned_at"].tolist()[1:3] == [1, 0]
    assert row.steps_total == 12 and row.steps_saved == 3 and row.share_saved == 0.25
    assert row.best_number == 2 and row.best_stopped
    assert row.kept_best == 0.2 and row.regret == pytest.approx(0.1)
    assert row.regret_low <= row.regret <= row.regret_high


def test_pruned_trials_in_the_data():
    """A trial PRUNED in the data: its step, the rule's threshold there, its standing."""
    curves = pd.DataFrame({
        "study": "s",
        "number": [0, 0, 1, 1, 2, 2, 3],
        "state": ["COMPLETE"] * 6 + ["PRUNED"],
        "step": [0, 1, 0, 1, 0, 1, 0],
        "value": [1.0, 0.5, 2.0, 1.5, 3.0, 2.5, 2.5],
    })
    audit = hi.pruning_audit(curves, rule=pruning.Median(n_startup_trials=1),
                             direction="minimize")
    row = audit.pruned.iloc[0]
    assert row.number == 3 and row.pruned_at == 0 and row.value == 2.5
    assert row.threshold == np.median([1.0, 2.0, 3.0])
    assert row.n_compared == 3 and row.completed_median == 2.0
    assert row.share_beaten == pytest.approx(1 / 3)
    assert 3 not in audit.trials["number"].tolist()  # the replay uses COMPLETE trials only


def test_purity_and_errors():
    """The curves are not modified; no direction or an odd rule is a clear error."""
    rng = np.random.default_rng(1)
    frame = _frame(*_curves_matrix(rng, 10, 5))
    before = frame.copy(deep=True)
    hi.pruning_audit(frame, direction="minimize")
    pd.testing.assert_frame_equal(frame, before)
    with pytest.raises(hi.TrialsError, match="direction='maximize' or 'minimize'"):
        hi.pruning_audit(frame)
    with pytest.raises(hi.TrialsError, match="cannot replay optuna's HyperbandPruner"):
        hi.pruning_audit(frame, rule=optuna.pruners.HyperbandPruner(), direction="minimize")
    with pytest.raises(TypeError, match="rule must be"):
        hi.pruning_audit(frame, rule=42, direction="minimize")
    with pytest.raises(hi.TrialsError, match="Unknown pruner 'medain'"):
        hi.pruning_audit(frame, rule="medain", direction="minimize")
    with pytest.raises(hi.TrialsError, match="no 'step' column"):
        hi.pruning_audit(frame.drop(columns="step"), direction="minimize")


def test_replay_from_a_storage(tmp_path):
    """Curves read back from an Optuna SQLite storage replay as Optuna pruned them."""
    rng = np.random.default_rng(11)
    curves, steps = _curves_matrix(rng, 40, 15)
    url = f"sqlite:///{tmp_path / 'full.db'}"
    study = optuna.create_study(study_name="full", storage=url,
                                pruner=optuna.pruners.NopPruner())

    def objective(trial):
        for j, step in enumerate(steps):
            trial.report(float(curves[trial.number, j]), int(step))
        return float(curves[trial.number, -1])

    study.optimize(objective, n_trials=40)
    loaded = hi.load_curves(url)
    rule = optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2)
    audit = hi.pruning_audit(loaded, rule=rule, direction="minimize")
    got = audit.trials.dropna(subset=["pruned_at"])
    expected = _run_optuna(curves, steps, optuna.pruners.MedianPruner(
        n_startup_trials=3, n_warmup_steps=2), "minimize")
    assert dict(zip(got["number"], got["pruned_at"], strict=True)) == expected


def test_halving_bars_of_trials_pruned_in_the_data():
    """A study pruned by Optuna's SuccessiveHalvingPruner: each pruned trial's bar is the
    rung's cut that Optuna compared it with (read from the rung values Optuna stored)."""
    loaded, study = _pruned_study(optuna.pruners.SuccessiveHalvingPruner(
        min_resource=1, reduction_factor=3), n=40, s=20, seed=21)
    audit = hi.pruning_audit(loaded, rule=optuna.pruners.SuccessiveHalvingPruner(
        min_resource=1, reduction_factor=3), direction="minimize")
    trials = study.get_trials()
    assert len(audit.pruned) == sum(t.state.name == "PRUNED" for t in trials)
    for _, row in audit.pruned.iterrows():
        t = trials[int(row["number"])]
        rung = max(int(k.rsplit("_", 1)[1]) for k in t.system_attrs if k.startswith(
            "completed_rung_"))
        key = f"completed_rung_{rung}"
        values = sorted(u.system_attrs[key] for u in trials[: t.number + 1]
                        if key in u.system_attrs)
        idx = max(len(values) // 3 - 1, 0)
        assert row["threshold"] == values[idx]
        assert row["value"] > row["threshold"]


def _pruned_study(pruner, n=60, s=20, seed=31):
    """A real Optuna study run with *pruner* on pre-generated curves, read back as curves."""
    curves, steps = _curves_matrix(np.random.default_rng(seed), n, s)
    study = optuna.create_study(pruner=pruner, sampler=optuna.samplers.RandomSampler(seed=0))

    def objective(trial):
        for j, step in enumerate(steps):
            trial.report(float(curves[trial.number, j]), int(step))
            if trial.should_prune():
                raise optuna.TrialPruned()
        return float(curves[trial.number, -1])

    study.optimize(objective, n_trials=n)
    return hi.load_curves(study), study


KNOWN = [
    (lambda: optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=2),
     pruning.Median(3, 2)),
    (lambda: optuna.pruners.PercentilePruner(25.0, n_startup_trials=5, n_warmup_steps=5),
     pruning.Percentile(25.0, 5, 5)),
    (lambda: optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3),
     pruning.SuccessiveHalving(1, 3)),
]


@pytest.mark.parametrize(("make", "rule"), KNOWN)
def test_identify_the_pruner_of_a_real_study(make, rule):
    """Studies made by Optuna with a known pruner: the known rule reproduces every recorded
    decision, the chosen one does too, and the audit with rule=None audits a rule that
    agrees fully ("identified")."""
    curves, study = _pruned_study(make())
    n_pruned = sum(t.state.name == "PRUNED" for t in study.trials)
    assert n_pruned > 5
    ident = hi.identify_pruner(curves, direction="minimize")
    assert ident["n_pruned"].iloc[0] == n_pruned and ident["n_trials"].iloc[0] == 60
    full = ident.loc[ident["agreement"] == 1.0, "rule"].tolist()
    assert rule.name in full
    assert ident["chosen"].sum() == 1 and ident.loc[ident["chosen"], "agreement"].item() == 1.0
    audit = hi.pruning_audit(curves, direction="minimize")
    row = audit.summary.iloc[0]
    assert row["rule_source"] == "identified" and row["agreement"] == 1.0
    assert row["rule"] == ident.loc[ident["chosen"], "rule"].item()


def test_a_stated_pruner_as_a_spec():
    """A pruner off the candidate grid: the chosen candidate agrees less than fully, the
    stated spec fully (rule_source "given"); without PRUNED trials the default audits."""
    curves, _ = _pruned_study(optuna.pruners.MedianPruner(n_startup_trials=4,
                                                          n_warmup_steps=7), seed=5)
    ident = hi.identify_pruner(curves, direction="minimize")
    best = ident.loc[ident["chosen"]].iloc[0]
    spec = "median:n_startup_trials=4,n_warmup_steps=7"
    given = hi.pruning_audit(curves, rule=spec, direction="minimize").summary.iloc[0]
    assert given["rule_source"] == "given" and given["agreement"] == 1.0
    assert given["rule"] == pruning.Median(4, 7).name
    assert best["agreement"] <= 1.0
    ident2 = hi.identify_pruner(curves, direction="minimize", candidates=[spec, "median"])
    assert ident2["rule"].tolist()[0] == pruning.Median(4, 7).name
    done = curves[curves["state"] == "COMPLETE"]
    default = hi.pruning_audit(done, direction="minimize").summary.iloc[0]
    assert default["rule_source"] == "default" and default["rule"] == pruning.Median().name


def test_parse_rule_specs():
    """Plain specs give the library's rules; bad ones are TrialsErrors naming the problem."""
    assert pruning.parse_rule("median") == pruning.Median()
    assert pruning.parse_rule(" percentile:percentile=25, n_warmup_steps=3") == \
        pruning.Percentile(25.0, n_warmup_steps=3)
    assert pruning.parse_rule("successive_halving:min_resource=auto,reduction_factor=2") == \
        pruning.SuccessiveHalving("auto", 2)
    assert pruning.parse_rule("keep_top:step=4,top=0.25") == pruning.KeepTop(4, 0.25)
    for bad, message in [("hyperband", "Unknown pruner"), ("median:x=1", "among"),
                         ("median:n_startup_trials", "key=value"),
                         ("median:n_startup_trials=__import__('os')", "not a number"),
                         ("keep_top:top=0.5", "step"),
                         ("median:n_startup_trials=-1", "n_startup_trials must be")]:
        with pytest.raises(hi.TrialsError, match=message):
            pruning.parse_rule(bad)


def test_expected_regret_is_the_mean_over_orders():
    """Brute force: the audit's regret on every order of five trials (renumbered), averaged,
    is what expected_regret estimates from random orders; the interval holds it."""
    import itertools

    rng = np.random.default_rng(3)
    curves, steps = _curves_matrix(rng, 5, 4)
    curves = curves + rng.normal(0, 1.5, curves.shape)  # noisy: the best is often stopped
    rule = pruning.Median(n_startup_trials=1)
    regrets = []
    for order in itertools.permutations(range(5)):
        audit = hi.pruning_audit(_frame(curves[list(order)], steps), rule=rule,
                                 direction="minimize", n_resamples=1)
        regrets.append(audit.summary["regret"].iloc[0])
    exact = np.mean(regrets)
    assert 0 < np.mean(np.asarray(regrets) > 0) < 1
    row = hi.pruning_audit(_frame(curves, steps), rule=rule, direction="minimize",
                           n_replays=3000, seed=1).summary.iloc[0]
    assert row["expected_regret"] == pytest.approx(exact, rel=0.05)
    assert row["expected_regret_low"] <= row["expected_regret"] <= row["expected_regret_high"]
    assert row["expected_regret_low"] >= 0
    off = hi.pruning_audit(_frame(curves, steps), rule=rule, direction="minimize").summary
    assert off[["expected_regret", "expected_regret_low", "expected_regret_high"]].isna().all(
        axis=None)
    again = hi.pruning_audit(_frame(curves, steps), rule=rule, direction="minimize",
                             n_replays=50, seed=1).summary
    pd.testing.assert_frame_equal(again, hi.pruning_audit(
        _frame(curves, steps), rule=rule, direction="minimize", n_replays=50, seed=1).summary)


def test_trials_without_a_direction_column_say_so():
    """trials= without study_direction: the message names the column and direction=, not an
    'empty mapping' the caller never passed."""
    rng = np.random.default_rng(3)
    n = 8
    curves = pd.DataFrame({"study": "s", "number": np.repeat(range(n), 4),
                           "step": np.tile(range(4), n), "value": rng.normal(size=4 * n),
                           "state": "COMPLETE"})
    trials = pd.DataFrame({"study": "s", "number": range(n), "state": "COMPLETE",
                           "value": rng.normal(size=n)})
    for call in (hi.pruning_audit, hi.identify_pruner):
        with pytest.raises(hi.TrialsError, match="'study_direction' column.*direction="):
            call(curves, trials=trials)
    audit = hi.pruning_audit(curves, trials=trials.assign(study_direction="MAXIMIZE"),
                             rule="median:n_startup_trials=100")
    assert audit.summary["study"].tolist() == ["s"]


def test_rule_names_say_median_for_the_50th_percentile():
    """Optuna's MedianPruner is its 50th PercentilePruner: one rule, printed as median(...)."""
    assert pruning.Median(3, 1).name == pruning.Percentile(50.0, 3, 1).name \
        == "median(startup=3, warmup=1, interval=1, min_trials=1)"
    assert pruning.Percentile(25.0).name.startswith("percentile(25, startup=5, ")
    names = [rule.name for rule in pruning.candidate_rules()]
    assert len(set(names)) == len(names)

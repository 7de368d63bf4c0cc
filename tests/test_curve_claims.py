"""hi.curve_findings: the curve claims in the columns of hi.findings."""

from __future__ import annotations

import numpy as np
import pandas as pd

import hpo_insights as hi
from hpo_insights.findings import COLUMNS


def test_rows_follow_the_analyses(rng):
    """'settled' is the first settled step of fidelity_correlation; 'pruner stops best'
    is the audit's best_stopped, with the regret as the effect."""
    n, s = 60, 12
    final = rng.normal(size=n)
    values = final[:, None] + rng.normal(size=(n, s)) * np.linspace(1.5, 0, s)
    curves = pd.DataFrame({"study": "a", "number": np.repeat(np.arange(n), s),
                           "state": "COMPLETE", "step": np.tile(np.arange(s), n),
                           "value": values.ravel()})
    f = hi.curve_findings(curves, direction="minimize")
    assert list(f.columns) == COLUMNS
    fc = hi.fidelity_correlation(curves)
    first = fc.loc[fc["settled"], "step"].min()
    settled = f[f.claim == "settled"].iloc[0]
    assert settled.value == f"step {first}" and settled.claimed
    assert settled.effect == fc.loc[fc["step"] == first, "rho"].iloc[0]
    audit = hi.pruning_audit(curves, direction="minimize").summary.iloc[0]
    stops = f[f.claim == "pruner stops best"].iloc[0]
    assert stops.claimed == audit.best_stopped
    assert stops.effect == audit.regret and stops.effect_high == audit.regret_high

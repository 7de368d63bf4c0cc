"""The claims the curve analyses make, as rows of :func:`hpo_insights.findings`.

:func:`curve_findings` states, per study, from which step the ranking is
settled (:func:`hpo_insights.fidelity_correlation`) and whether the pruning
rule would have stopped the best trial (:func:`hpo_insights.pruning_audit`), in
the columns of :data:`hpo_insights.findings.COLUMNS`, so that a report can put
them beside the other claims (``pd.concat([hi.findings(trials),
hi.curve_findings(curves, trials=trials)])``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from hpo_insights.fidelity import fidelity_correlation, settled_step
from hpo_insights.pruning import pruning_audit

__all__ = ["curve_findings"]


def curve_findings(
    curves: pd.DataFrame,
    *,
    rule: Any = None,
    direction: str | Mapping[Any, str] | None = None,
    trials: pd.DataFrame | None = None,
    threshold: float = 0.9,
) -> pd.DataFrame:
    """Two claims per study from its learning curves, in the shape of ``hi.findings``.

    Parameters
    ----------
    curves : pandas.DataFrame
        Learning curves (:func:`hpo_insights.load_curves`).
    rule, direction, trials
        As in :func:`hpo_insights.pruning_audit` (default: the pruner in use, identified
        from the trials PRUNED in the data, else ``MedianPruner()``).
    threshold : float, default 0.9
        As in :func:`hpo_insights.fidelity_correlation`.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`hpo_insights.findings.COLUMNS`; section
        ``"curves"``. Claim ``"settled"``: value ``"step <s>"`` (claimed: the
        95% interval of the rank correlation with the final value stays above
        *threshold* from step s; coverage in ``docs/curves.md``) or ``"no
        evidence"``; ``effect`` is rho there, ``effect_low``/``effect_high``
        its interval. Claim ``"pruner stops best"``: value ``"yes"`` (claimed)
        or ``"no"``, a fact of the exact replay; ``effect`` is the regret with
        its bootstrap interval. No p-values: these claims are outside the
        page's graph of tests.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import hpo_insights as hi
    >>> curves = pd.DataFrame({"study": "s", "number": np.repeat(range(4), 3),
    ...     "state": "COMPLETE", "step": np.tile(range(3), 4),
    ...     "value": [3, 2, 1, 3, 2.5, 2, 5, 4, 0.1, 1, 0.5, 0.2]})
    >>> f = hi.curve_findings(curves, rule=hi.pruning.Median(n_startup_trials=1),
    ...                       direction="minimize")
    >>> f[["study", "claim", "value", "claimed"]]
      study              claim    value  claimed
    0     s            settled   step 2     True
    1     s  pruner stops best      yes     True
    """
    from hpo_insights.findings import COLUMNS

    fc = fidelity_correlation(curves, threshold=threshold)
    audit = pruning_audit(curves, rule=rule, direction=direction, trials=trials)
    first = settled_step(fc)
    rows = []
    for study, step in first.items():
        g = fc[fc["study"] == study]
        at = g[g["step"] == step] if np.isfinite(step) else g.iloc[:0]
        n = int(g["n_trials"].max()) if len(g) else 0
        yes = len(at) > 0
        rows.append({
            "study": study, "param": "", "claim": "settled",
            "value": f"step {int(step)}" if yes else "no evidence", "claimed": yes,
            "effect": float(at["rho"].iloc[0]) if yes else np.nan,
            "effect_low": float(at["ci_low"].iloc[0]) if yes else np.nan,
            "effect_high": float(at["ci_high"].iloc[0]) if yes else np.nan,
            "n_trials": n, "section": "curves",
            "detail": (f"From step {int(step)} on, the intermediate values rank the trials of "
                       f"{study} as their final values do (rank correlation's 95% interval "
                       f"above {threshold:g})." if yes else
                       f"No step before the end of {study} ranks the trials reliably as the "
                       "end does."),
        })
    n_pruned = audit.pruned.groupby("study", sort=False).size() if len(audit.pruned) else {}
    for _, r in audit.summary.iterrows():
        yes = bool(r["best_stopped"])
        rows.append({
            "study": r["study"], "param": "", "claim": "pruner stops best",
            "value": "yes" if yes else "no", "claimed": yes,
            "effect": r["regret"], "effect_low": r["regret_low"],
            "effect_high": r["regret_high"], "n_trials": int(r["n_trials"]),
            "n_pruned": int(n_pruned.get(r["study"], 0)) if len(n_pruned) else 0,
            "section": "curves",
            "detail": (f"{r['rule']} would have stopped the best trial (#{int(r['best_number'])})"
                       f" of {r['study']}; regret {r['regret']:.3g}." if yes else
                       f"{r['rule']} would have kept the best trial (#{int(r['best_number'])}) "
                       f"of {r['study']}, stopping {int(r['top_k_stopped'])} of the top "
                       f"{int(r['top_k'])}."),
        })
    out = pd.DataFrame(rows).reindex(columns=COLUMNS)
    out["claimed"] = out["claimed"].astype(bool)
    for c in ("n_trials", "n_pruned", "n_outliers"):
        out[c] = out[c].fillna(0).astype(np.int64)
    return out

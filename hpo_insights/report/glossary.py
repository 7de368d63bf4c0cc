"""The report's glossary: every statistic the page names, in one sentence each.

:data:`GLOSSARY` maps the name a table or sentence of the report uses to its
definition; the default page ends with it (:func:`markdown`). A test reads the
rendered page and checks that every column header naming a statistic is here.
"""

from __future__ import annotations

__all__ = ["GLOSSARY", "PLAIN", "markdown"]

GLOSSARY: dict[str, str] = {
    "Verdict": (
        "What hi.findings concludes about a parameter: \"matters\" when the adjusted model's "
        "test rejects \"no effect\" at the page's error rate, \"no evidence of an effect\" "
        "when it does not (which is not a proof of no effect), \"flat\" only when the effect "
        "is shown smaller than a stated margin."),
    "Effect": (
        "How far the objective moves with a parameter: the range of its fitted curve "
        "(largest minus smallest fitted objective over its tried values), all parameters "
        "fitted together, in objective units."),
    "95% CI": (
        "A 95% confidence interval: a range computed so that, over repeated searches, it "
        "covers the true value 95% of the time."),
    "95% CI low": "The lower end of the 95% confidence interval.",
    "95% CI high": "The upper end of the 95% confidence interval.",
    "p (adjusted)": (
        "The p-value of the test behind a verdict after the page's multiplicity procedure "
        "(graphical gatekeeping); a claim is made when it is below 0.05."),
    "p-value": (
        "The chance of a result at least this extreme if the parameter had no effect "
        "(one test on its own, not adjusted for the other tests on the page)."),
    "Best range": (
        "The values of a parameter that matters whose fitted objective is not "
        "significantly worse than the best one's (its best level for a categorical)."),
    "Shape": (
        "How the objective moves along a parameter that matters: increasing, decreasing, "
        "peaked (best inside the tried range) or valley (worst inside)."),
    "Between budgets": (
        "Whether a parameter's effect differs between budgets: the budget × parameter "
        "interaction of the adjusted model."),
    "Also": (
        "Further claims about the parameter: its best value at the edge of the tried range "
        "(try beyond it), or a value worse than another."),
    "Scaling with the budget": (
        "Whether each larger budget does better at the same hyperparameters (the budgets' "
        "terms of the pooled adjusted model): holds, violated or not established."),
    "Collapse": (
        "A trial whose predicted probabilities are nearly constant (tiny spread), flagged "
        "by hi.detect_collapse and left out of every claim."),
    "Share": (
        "The fraction of the objective's variance between a parameter's values "
        "(eta squared: between-value sum of squares over the total)."),
    "Adjusted share": (
        "The share a parameter keeps when all parameters are fitted together (what it adds "
        "to a model of the others)."),
    "Corrected share": (
        "The share with what chance alone would give taken out (among the trials: "
        "epsilon squared, below 0 when the values differ less than chance makes them; over "
        "the search space: each part shrunk by its own signal-to-noise)."),
    "Coverage": (
        "The fraction of a parameter's search space the trials reached; below 1, the "
        "search-space share extrapolates."),
    "R²": "The fraction of the objective's variance the additive model explains.",
    "Cramér's V": (
        "How strongly the sampler tied two parameters' values together, from 0 (not at "
        "all) to 1 (one fixes the other)."),
    "Spearman": (
        "A rank correlation, from -1 to 1: of the parameters' shares between two budgets, "
        "or of the trials' values at a step with their final values."),
    "Mean": "The average objective of the trials counted.",
    "Std": "The standard deviation of the objective (ddof = 1).",
    "Best": "The best objective of the trials counted (highest when maximizing).",
    "Counted": "Completed trials with a finite objective: those the statistics use.",
    "Pruned": "Trials stopped early by the pruner; they are left out and counted.",
    "Settled": (
        "Whether the 95% interval of the rank correlation between the value at this step "
        "and the final value stays above the threshold from here on: from there, the "
        "intermediate values rank the trials as the final values do."),
    "Threshold": (
        "The value below which the pruning rule stops a trial at that step (for the median "
        "rule: the median of the other trials' values there)."),
    "Median of completed": (
        "The median value, at the same step, of the trials that ran to the end."),
    "Share beaten": (
        "The fraction of the trials that ran to the end whose value at that step the "
        "pruned trial beat."),
    "Pred Range": "The range of predicted probabilities of the collapsed trials.",
    "Avg Recall": "The mean recall of the collapsed trials.",
}
"""Name on the page → its one-sentence definition."""

PLAIN = frozenset({
    "Parameter", "Value", "Study", "Budget", "Trial", "Trials", "Failed", "Unfinished",
    "Direction", "Sampled with", "Space from", "Extreme Type", "Smaller", "Larger", "Top k",
    "Collapse?", "Parameters", "Step", "With", "Kind", "Why", "Difference", "Pruned at",
    "Completed there",
})
"""Column names that are not statistics (names, counts, labels)."""


def markdown() -> str:
    """The glossary as a Markdown list (bold name, then its sentence).

    Examples
    --------
    >>> markdown().splitlines()[0].startswith("- **Verdict**: What hi.findings concludes")
    True
    """
    return "\n".join(f"- **{name}**: {text}" for name, text in GLOSSARY.items())

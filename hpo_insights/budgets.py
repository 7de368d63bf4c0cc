"""Placeholder: being written (see the open issue)."""


def collapse_by_budget(*args, **kwargs):
    raise NotImplementedError("collapse_by_budget is not written yet")


def compare_budgets(*args, **kwargs):
    raise NotImplementedError("compare_budgets is not written yet")


def param_consistency(*args, **kwargs):
    raise NotImplementedError("param_consistency is not written yet")


def scaling_check(*args, **kwargs):
    raise NotImplementedError("scaling_check is not written yet")


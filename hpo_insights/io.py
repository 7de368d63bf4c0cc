"""Placeholder: being written (see the open issue)."""


def from_optuna(*args, **kwargs):
    raise NotImplementedError("from_optuna is not written yet")


def load(*args, **kwargs):
    raise NotImplementedError("load is not written yet")


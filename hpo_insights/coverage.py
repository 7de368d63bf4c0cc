"""Placeholder: being written (see the open issue)."""


def coverage_crosstab(*args, **kwargs):
    raise NotImplementedError("coverage_crosstab is not written yet")


"""Placeholder: being written (see the open issue)."""


def forced_extremes(*args, **kwargs):
    raise NotImplementedError("forced_extremes is not written yet")


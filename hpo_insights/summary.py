"""Placeholder: being written (see the open issue)."""


def best_trial(*args, **kwargs):
    raise NotImplementedError("best_trial is not written yet")


def summarize(*args, **kwargs):
    raise NotImplementedError("summarize is not written yet")


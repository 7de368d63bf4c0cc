"""Placeholder: being written (see the open issue)."""


def collapse_summary(*args, **kwargs):
    raise NotImplementedError("collapse_summary is not written yet")


def detect_collapse(*args, **kwargs):
    raise NotImplementedError("detect_collapse is not written yet")


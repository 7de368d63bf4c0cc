"""Placeholder: being written (see the open issue)."""


def validate(*args, **kwargs):
    raise NotImplementedError("validate is not written yet")


"""Placeholder: being written (see the open issue)."""


def variance_explained(*args, **kwargs):
    raise NotImplementedError("variance_explained is not written yet")


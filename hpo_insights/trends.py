"""Placeholder: being written (see the open issue)."""


def classify_trend(*args, **kwargs):
    raise NotImplementedError("classify_trend is not written yet")


def value_table(*args, **kwargs):
    raise NotImplementedError("value_table is not written yet")


"""Old argument names keep working for one release: a FutureWarning, the same answer."""

from __future__ import annotations

import inspect

import pandas as pd
import pytest

import hpo_insights as hi

OLD_NAMES = [
    (hi.value_table, {"params": "dropout"}, {"confidence": 0.9}, {"alpha": 0.1}),
    (hi.variance_explained, {"params": ["dropout"]}, {"confidence": 0.9}, {"alpha": 0.1}),
    (hi.classify_trend, {"params": "dropout", "method": "endpoints"}, {"tol": 0.002},
     {"tolerance": 0.002}),
    (hi.scaling_check, {}, {"n_perm": 200}, {"n_resamples": 200}),
]


@pytest.mark.parametrize(("func", "base", "old", "new"), OLD_NAMES,
                         ids=[f[0].__name__ for f in OLD_NAMES])
def test_old_argument_name_warns_and_gives_the_same_answer(example, func, base, old, new):
    """The old keyword warns once, naming the new one, and means exactly the new one."""
    with pytest.warns(FutureWarning, match=f"{next(iter(old))}= is now {next(iter(new))}="):
        got = func(example, **base, **old)
    want = func(example, **base, **new)
    if isinstance(want, pd.DataFrame):
        pd.testing.assert_frame_equal(got, want)
    else:
        pd.testing.assert_frame_equal(got.pairs, want.pairs)


def test_old_and_new_name_together_is_an_error(example):
    """Both spellings at once is a TypeError naming both."""
    with pytest.raises(TypeError, match="confidence=.*alpha="):
        hi.value_table(example, params="dropout", confidence=0.9, alpha=0.1)


def test_signatures_show_the_new_names_only():
    """inspect.signature (and so help()) shows alpha, not confidence."""
    params = inspect.signature(hi.value_table).parameters
    assert "alpha" in params and "confidence" not in params
    assert "n_resamples" in inspect.signature(hi.scaling_check).parameters

"""Old argument names that keep working for one release, with a FutureWarning.

``@renamed_arguments(n_perm="n_resamples")`` lets ``f(..., n_perm=500)`` call
``f(..., n_resamples=500)``; ``confidence=("alpha", lambda c: 1 - c)`` also converts
the value. The function's signature (``inspect.signature``) shows the new names
only. Every rename is listed in ``CHANGELOG.md``.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["REMOVED_IN", "complement", "renamed_arguments", "renamed_values"]

REMOVED_IN = "0.4.0"

_F = TypeVar("_F", bound=Callable[..., Any])


def renamed_arguments(**renames: str | tuple[str, Callable[[Any], Any]]) -> Callable[[_F], _F]:
    """Accept each old keyword name (``old="new"`` or ``old=("new", convert)``).

    Passing an old name warns (``FutureWarning``, naming both and the release that
    drops it) and calls the function with the new one; passing both is a
    ``TypeError``.
    """

    def decorate(func: _F) -> _F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old, spec in renames.items():
                if old not in kwargs:
                    continue
                new, convert = (spec, None) if isinstance(spec, str) else spec
                if new in kwargs:
                    raise TypeError(
                        f"{func.__name__}() got both {old}= (its old name) and {new}=: pass "
                        f"{new}= only."
                    )
                value = kwargs.pop(old)
                how = f"{new}=1 - {old}" if convert is not None else f"{new}="
                warnings.warn(
                    f"{func.__name__}(): {old}= is now {how} (hpo_insights 0.3.0); {old}= "
                    f"stops working in {REMOVED_IN}.",
                    FutureWarning,
                    stacklevel=2,
                )
                kwargs[new] = convert(value) if convert is not None else value
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def renamed_values(**renames: tuple[Any, Any]) -> Callable[[_F], _F]:
    """Accept an old value of a keyword argument (``budget=(None, "auto")``).

    Passing ``budget=None`` warns (``FutureWarning``, naming the old and the new
    value and the release that drops the old one) and calls the function with
    ``budget="auto"``. Leaving the argument out gives its default, with no warning.
    """

    def decorate(func: _F) -> _F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for name, (old, new) in renames.items():
                if name in kwargs and kwargs[name] is old:
                    warnings.warn(
                        f"{func.__name__}(): {name}={old!r} is now {name}={new!r} "
                        f"(hpo_insights 0.3.0); {name}={old!r} stops working in {REMOVED_IN}.",
                        FutureWarning,
                        stacklevel=2,
                    )
                    kwargs[name] = new
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def complement(value: Any) -> Any:
    """``1 - value`` for a number (a confidence level as an error rate); anything else as is,
    for the function's own check to name."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return 1 - value

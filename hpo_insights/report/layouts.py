"""Report layouts: each name ``--layout`` accepts and the :class:`Page` it renders.

``"default"`` is :data:`hpo_insights.report.sections.DEFAULT_PAGE`; ``"reference"``
the reference report's page (:mod:`hpo_insights.report.reference`). A layout is
added by adding its page here.
"""

from __future__ import annotations

from collections.abc import Callable

from hpo_insights._errors import TrialsError
from hpo_insights.report import reference
from hpo_insights.report.sections import DEFAULT_PAGE, Page

__all__ = ["LAYOUTS", "layout_page"]

LAYOUTS: dict[str, Callable[[], Page]] = {
    "default": lambda: DEFAULT_PAGE,
    "reference": lambda: reference.PAGE,
}
"""Layout name → its page (``--layout``)."""


def layout_page(layout: str | Page) -> Page:
    """The :class:`Page` of *layout* (a name in :data:`LAYOUTS`, or a page).

    Examples
    --------
    >>> from hpo_insights.report.layouts import layout_page
    >>> [s.key for s in layout_page("default").sections][:3]
    ['key-findings', 'shared', 'what-matters-budgets']
    >>> layout_page("fancy")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    hpo_insights._errors.TrialsError: Unknown report layout 'fancy': expected one of ...
    """
    if isinstance(layout, Page):
        return layout
    if layout not in LAYOUTS:
        raise TrialsError(
            f"Unknown report layout {layout!r}: expected one of {', '.join(map(repr, LAYOUTS))}."
        )
    return LAYOUTS[layout]()

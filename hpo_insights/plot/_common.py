"""Shared machinery of the figures: theme, panels, margins, input checks, labels."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from hpo_insights._errors import TrialsError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


#: Size of one panel in inches (report size: the report page is about 7 inches wide).
PANEL_SIZE = (7.0, 3.6)
#: Size of one panel of a grid (two per row).
SMALL_PANEL = (3.5, 2.8)
#: Resolution of figures made here.
DPI = 100

_RC = {
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "savefig.bbox": "tight",
    "axes.titlesize": 10,
    # the title sits at the top edge: matplotlib's automatic placement measures every y tick
    # label of every panel again at each draw (about a tenth of the report's drawing time)
    "axes.titley": 1.0,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 7,
}


# --------------------------------------------------------------------------- helpers


@contextlib.contextmanager
def _theme() -> Iterator[None]:
    """The report theme, applied locally (global rcParams are restored on exit)."""
    with plt.rc_context(_RC), sns.axes_style("whitegrid"), sns.color_palette("colorblind"):
        yield
        if plt.get_fignums():
            _title_above_offset(plt.gcf())


def _title_above_offset(fig: Figure) -> None:
    """Automatic title placement again on panels whose y axis shows an offset ("1e-3", "+0.9").

    The theme fixes titles at the top edge (``axes.titley``); matplotlib's automatic
    placement, which lifts the title above such an offset text, is kept where one is shown.
    """
    from matplotlib.ticker import ScalarFormatter

    for a in fig.axes:
        fmt = a.yaxis.get_major_formatter()
        if a.get_title() and isinstance(fmt, ScalarFormatter):
            fmt.set_locs(a.yaxis.get_majorticklocs())
            if fmt.get_offset() and hasattr(a, "_autotitlepos"):
                a._autotitlepos = True  # what an Axes made with axes.titley None holds


def _palette(n: int = 10) -> list:
    return sns.color_palette("colorblind", max(n, 1))


def _need(result: Any, columns: Sequence[str], what: str) -> pd.DataFrame:
    """*result* if it is a DataFrame with *columns*, else a TrialsError naming the analysis."""
    if not isinstance(result, pd.DataFrame):
        raise TypeError(
            f"hi.plot.{what} draws the DataFrame returned by hi.{what}(trials), "
            f"got {type(result).__name__} instead."
        )
    missing = [c for c in columns if c not in result.columns]
    if missing:
        raise TrialsError(
            f"hi.plot.{what} needs the result of hi.{what}(trials): columns "
            f"{', '.join(map(repr, missing))} are missing "
            f"(got {', '.join(map(str, result.columns))})."
        )
    return result


def _blocks(result: pd.DataFrame, keys: Sequence[str]) -> list[tuple[tuple, pd.DataFrame]]:
    """Rows of *result* split by the *keys* present (order of appearance)."""
    keys = [k for k in keys if k in result.columns]
    if not keys or result.empty:
        return [((), result)]
    codes = pd.MultiIndex.from_frame(result[keys]).factorize()[0] if len(keys) > 1 else (
        pd.factorize(result[keys[0]])[0]
    )
    out = []
    for i in range(codes.max() + 1 if len(codes) else 0):
        part = result[codes == i]
        out.append((tuple(part[k].iloc[0] for k in keys), part.reset_index(drop=True)))
    return out


def _margins(fig: Figure, *, left: float = 0.8, right: float = 0.3, top: float = 0.45,
             bottom: float = 0.65, hspace: float = 0.9, wspace: float = 0.8) -> None:
    """Fixed margins, in inches, room for tick labels, axis labels and the title.

    Our figures look the same saved with or without ``bbox_inches="tight"``; without
    it (the report notebook), each figure is drawn once instead of twice.
    """
    w, h = fig.get_size_inches()
    rows, cols = fig.axes[0].get_subplotspec().get_gridspec().get_geometry() if fig.axes \
        else (1, 1)
    cell_w = (w - left - right - wspace * (cols - 1)) / cols
    cell_h = (h - top - bottom - hspace * (rows - 1)) / rows
    fig.subplots_adjust(left=left / w, right=1 - right / w, top=1 - top / h,
                        bottom=bottom / h, wspace=wspace / max(cell_w, 0.1),
                        hspace=hspace / max(cell_h, 0.1))


def _panels(
    n: int,
    ax: Axes | None,
    draw: Callable[[int, Axes], None],
    *,
    size: tuple[float, float] = PANEL_SIZE,
    ncols: int = 1,
    what: str = "studies",
    left: float = 0.8,
) -> Axes | Figure:
    """Draw *n* panels: on *ax* (or a new Axes) when n is 1, else a Figure with a grid."""
    if n == 1:
        if ax is None:
            fig, ax = plt.subplots(figsize=size)
            _margins(fig, left=left)
        draw(0, ax)
        return ax
    if ax is not None:
        raise TrialsError(
            f"ax= takes one panel, but the result holds {n} {what}. Select one first "
            "(e.g. result[result['study'] == name]) or leave ax= out for one panel each."
        )
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows),
                             squeeze=False)
    flat = axes.ravel()
    for i in range(n):
        draw(i, flat[i])
    for a in flat[n:]:
        a.set_visible(False)
    # fixed margins: a layout engine measures every text once more (slow, same result here)
    _margins(fig, left=left)
    return fig


def _fmt(v: Any) -> str:
    """Tick label of a parameter value: compact numbers, text as is."""
    if isinstance(v, bool | np.bool_):
        return str(v)
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        if np.isfinite(v) and float(v).is_integer() and abs(v) < 1e6:
            return str(int(v))
        return f"{v:.3g}"
    return str(v)


def _title(prefix: str, key: tuple) -> str:
    return f"{prefix}: {' | '.join(map(str, key))}" if key else prefix


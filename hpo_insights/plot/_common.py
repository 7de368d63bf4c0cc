"""Shared machinery of the figures: theme, panels, margins, input checks, labels."""

from __future__ import annotations

import contextlib
import functools
import math
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

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

RC = {
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
    # text from the data is drawn as written: no mathtext ("$a_b$", "$$"), no LaTeX
    "text.parse_math": False,
    "text.usetex": False,
    # so tick offsets are plain text too ("1e-3", not "$\\times10^{-3}$" shown as written)
    "axes.formatter.use_mathtext": False,
}

#: seaborn's ``whitegrid`` style, written out: importing seaborn for it added about a second
#: (CPU) to the start of every report kernel.
WHITEGRID = {
    "figure.facecolor": "white", "axes.labelcolor": ".15", "xtick.direction": "out",
    "ytick.direction": "out", "xtick.color": ".15", "ytick.color": ".15",
    "axes.axisbelow": True, "grid.linestyle": "-", "text.color": ".15",
    "font.family": ["sans-serif"],
    "font.sans-serif": ["Arial", "DejaVu Sans", "Liberation Sans", "Bitstream Vera Sans",
                        "sans-serif"],
    "lines.solid_capstyle": "round", "patch.edgecolor": "w", "patch.force_edgecolor": True,
    "xtick.top": False, "ytick.right": False, "axes.grid": True, "axes.facecolor": "white",
    "axes.edgecolor": ".8", "grid.color": ".8", "axes.spines.left": True,
    "axes.spines.bottom": True, "axes.spines.right": True, "axes.spines.top": True,
    "xtick.bottom": False, "ytick.left": False,
}
#: seaborn's colour-blind-safe ``colorblind`` palette.
COLORBLIND = ("#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc", "#ca9161", "#fbafe4",
              "#949494", "#ece133", "#56b4e9")

#: Longest label (in character widths; East Asian wide characters count two) drawn in
#: full: a tick label, a legend entry. Longer ones keep their start and end around "…".
LABEL_WIDTH = 40
#: The same for axis labels and the titles of a full-width panel.
TITLE_WIDTH = 80

_F = TypeVar("_F", bound=Callable[..., Any])


# --------------------------------------------------------------------------- helpers


@contextlib.contextmanager
def _theme() -> Iterator[None]:
    """The report theme, applied locally (global rcParams are restored on exit)."""
    from cycler import cycler

    with plt.rc_context({**WHITEGRID, **RC, "axes.prop_cycle": cycler(color=COLORBLIND)}):
        yield


def drawing(func: _F) -> _F:
    """Make *func* a public drawing function: themed, text literal, drawn before it returns.

    Inside the theme, after *func* returned its Axes or Figure: every Text of the
    figure (also those of an ``ax=`` made outside the theme) is set to plain text (no
    mathtext, no LaTeX), and the figure is laid out and measured once
    (``Figure.draw_without_rendering``), so that anything that cannot be drawn fails
    here, in the call, and not later when a notebook renders the figure.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _theme():
            out = func(*args, **kwargs)
            fig = out if not hasattr(out, "figure") else out.figure
            _literal_texts(fig)
            _fit_labels(fig)
            _title_above_offset(fig)
            fig.draw_without_rendering()
        return out

    return wrapper  # type: ignore[return-value]


def _literal_texts(fig: Figure) -> None:
    """Every Text of *fig* drawn as written (texts made before the theme parse "$...$").

    Texts made inside the theme are plain already (``text.parse_math`` off); this catches
    those of an ``ax=`` made outside it. The texts are listed directly (titles, axis
    labels, offsets, tick labels of the ticks made so far, annotations, legends):
    ``Figure.findobj`` would walk every artist and make every tick.
    """
    texts = [*fig.texts]
    for legend in fig.legends:
        texts += [*legend.get_texts(), legend.get_title()]
    for a in fig.axes:
        texts += [a.title, a._left_title, a._right_title, *a.texts]
        for axis in (a.xaxis, a.yaxis):
            texts += [axis.label, axis.offsetText]
            for tick in (*axis.majorTicks, *axis.minorTicks):
                texts += [tick.label1, tick.label2]
        legend = a.get_legend()
        if legend is not None:
            texts += [*legend.get_texts(), legend.get_title()]
    for t in texts:
        t.set_parse_math(False)
        t.set_usetex(False)


#: Average width of a character, in ems, used to fit titles and axis labels to their panel.
_EM = 0.58


def _fit_labels(fig: Figure) -> None:
    """Titles and axis labels no wider than their panel: wrapped or shortened if not.

    An axis label too wide is broken at a space into two lines when they fit, else
    shortened in the middle (as a title is). A title "<what>: <detail>" keeps "<what>: "
    and shortens the detail. The width is
    estimated from the font size (``_EM`` ems a character), without a measuring pass.
    """
    w, h = fig.get_size_inches()
    for a in fig.axes:
        box = a.get_position()
        for text, inches in ((a.title, box.width * w), (a.xaxis.label, box.width * w),
                             (a.yaxis.label, box.height * h)):
            cells = int(inches * 72 / (text.get_fontsize() * _EM))
            lines = text.get_text().split("\n")
            if all(text_width(line) <= cells for line in lines):
                continue
            text.set_text("\n".join(_fit_line(line, cells, text is a.title) for line in lines))


def _wrapped(line: str, cells: int) -> str | None:
    """*line* broken at spaces into two lines of at most *cells* cells, or None if it does not
    fit so (an axis label "learning_rate (bins at their centres)" under a small panel)."""
    words = line.split(" ")
    splits = [(" ".join(words[:k]), " ".join(words[k:])) for k in range(len(words) - 1, 0, -1)]
    fits = [(a, b) for a, b in splits if text_width(a) <= cells and text_width(b) <= cells]
    # before a parenthesis when possible ("learning_rate" / "(bins at their centres)"),
    # else the longest first line
    first, second = next(((a, b) for a, b in fits if b.startswith("(")), fits[0] if fits
                         else (None, None))
    return None if first is None else f"{first}\n{second}"


def _fit_line(line: str, cells: int, titled: bool) -> str:
    """*line* in at most *cells* cells; a title keeps its "<what>: " whole."""
    if text_width(line) <= cells:
        return line
    if not titled and (wrapped := _wrapped(line, cells)) is not None:
        return wrapped
    head, sep, rest = line.partition(": ") if titled else ("", "", line)
    if not sep or len(head) > cells - 12:
        head, sep, rest = "", "", line
    return head + sep + label_text(rest, max(8, cells - len(head) - len(sep)))


def text_width(text: str) -> int:
    """Width of *text* in character cells (East Asian wide and full-width characters: 2)."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def label_text(value: Any, width: int = LABEL_WIDTH) -> str:
    """*value* as the literal text of a label, shortened in the middle when wider than *width*.

    Text is kept as written (drawn without mathtext by the theme); characters that no
    font can hold (lone surrogates) become U+FFFD. A label wider than *width* keeps
    its first third and its end around "…", so ``config/train_loop_config/lr`` keeps
    ``lr``.
    """
    text = value if isinstance(value, str) else str(value)
    if not text.isascii():
        text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if text_width(text) <= width:
        return text
    head = max(1, (width - 1) // 3)
    tail = max(1, width - 1 - head)
    start = _fit(text, head)
    end = _fit(text[::-1], tail)[::-1]
    return f"{start}…{end}"


def _fit(text: str, width: int) -> str:
    """The longest start of *text* at most *width* cells wide."""
    if text.isascii():
        return text[:width]
    used = 0
    for i, c in enumerate(text):
        used += 2 if unicodedata.east_asian_width(c) in "WF" else 1
        if used > width:
            return text[:i]
    return text


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


def palette_colors(n: int = 10) -> list:
    """*n* colours of the ``colorblind`` palette as RGB tuples (repeating after ten)."""
    from matplotlib.colors import to_rgb

    return [to_rgb(COLORBLIND[i % len(COLORBLIND)]) for i in range(max(n, 1))]


def need_columns(result: Any, columns: Sequence[str], what: str,
          numeric: Sequence[str] = ()) -> pd.DataFrame:
    """*result* if it is a DataFrame with *columns*, else a TrialsError naming the analysis.

    The *numeric* columns (those present) must hold numbers (or missing values).
    """
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
    for c in numeric:
        if c not in result.columns or pd.api.types.is_numeric_dtype(result[c]):
            continue
        try:
            pd.to_numeric(result[c])
        except (TypeError, ValueError) as err:
            bad = result[c][pd.to_numeric(result[c], errors="coerce").isna()
                            & result[c].notna()]
            raise TrialsError(
                f"hi.plot.{what}: column {c!r} must hold numbers, but holds "
                f"{bad.iloc[0]!r} (dtype {result[c].dtype})."
            ) from err
    return result


def result_blocks(result: pd.DataFrame, keys: Sequence[str]) -> list[tuple[tuple, pd.DataFrame]]:
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


def set_margins(fig: Figure, *, left: float = 0.8, right: float = 0.3, top: float = 0.45,
             bottom: float = 0.65, hspace: float = 0.9, wspace: float = 0.8) -> None:
    """Fixed margins, in inches, room for tick labels, axis labels and the title.

    Our figures look the same saved with or without ``bbox_inches="tight"``; without
    it (the report notebook), each figure is drawn once instead of twice.
    """
    w, h = fig.get_size_inches()
    left = min(left, 0.45 * w)  # a long label is shortened, never pushes the axes out
    rows, cols = fig.axes[0].get_subplotspec().get_gridspec().get_geometry() if fig.axes \
        else (1, 1)
    cell_w = (w - left - right - wspace * (cols - 1)) / cols
    cell_h = (h - top - bottom - hspace * (rows - 1)) / rows
    fig.subplots_adjust(left=left / w, right=1 - right / w, top=1 - top / h,
                        bottom=bottom / h, wspace=wspace / max(cell_w, 0.1),
                        hspace=hspace / max(cell_h, 0.1))


def panel_grid(
    n: int,
    ax: Axes | None,
    draw: Callable[[int, Axes], None],
    *,
    size: tuple[float, float] = PANEL_SIZE,
    ncols: int = 1,
    what: str = "studies",
    left: float = 0.8,
    right: float = 0.3,
    bottom: float = 0.65,
    width: float | None = None,
    share: bool = False,
    legend_slot: bool = False,
) -> Axes | Figure:
    """Draw *n* panels: on *ax* (or a new Axes) when n is 1, else a Figure with a grid.

    *size* is one panel's size; *width* (inches), when given, is the whole grid's
    width instead. With *share*, the panels share both axes (small multiples: tick
    labels on the outer panels only, axis labels on the bottom row). With
    *legend_slot*, the first panel's legend moves to the empty slot after the
    panels when the last row has one, else (a full grid, or one panel on a figure made
    here) to a band above the panels: the series of every panel, explained once
    without covering a point.
    """
    if n == 1:
        if ax is not None:
            draw(0, ax)
            return ax
        fig, ax = plt.subplots(figsize=size)
        set_margins(fig, left=left, right=right, bottom=bottom)
        draw(0, ax)
        if legend_slot and ax.get_legend() is not None:  # above the Axes, as for a grid
            top = 0.45 + _legend_on_top(fig, ax)
            set_margins(fig, left=left, right=right, top=top, bottom=bottom)
        return ax
    if ax is not None:
        raise TrialsError(
            f"ax= takes one panel, but the result holds {n} {what}. Select one first "
            "(e.g. result[result['study'] == name]) or leave ax= out for one panel each."
        )
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width or size[0] * ncols, size[1] * nrows),
                             squeeze=False, sharex=share, sharey=share)
    flat = axes.ravel()
    for i in range(n):
        draw(i, flat[i])
    moved = legend_slot and flat[0].get_legend() is not None
    slot = moved and n < len(flat)
    top = 0.45
    if slot:
        _legend_to_slot(flat[0], flat[n])
    elif moved:  # a full grid: the legend goes above it, in a band of its own
        top += _legend_on_top(fig, flat[0])
    for a in flat[n + slot:]:
        a.remove()  # the empty rest of the last row
    if share:
        _outer_labels(flat[:n], ncols)
    # fixed margins: a layout engine measures every text once more (slow, same result here)
    set_margins(fig, left=left, right=right, top=top, bottom=bottom,
                wspace=0.25 if share else 0.8, hspace=0.55 if share else max(0.9, bottom + 0.25))
    return fig


def _outer_labels(panels: Sequence[Axes], ncols: int) -> None:
    """Small multiples: one axis label per row and column, where the tick labels are."""
    n = len(panels)
    for i, a in enumerate(panels):
        if i + ncols < n:
            a.set_xlabel("")
            a.tick_params(labelbottom=False)
        else:
            a.tick_params(labelbottom=True)
        if i % ncols:
            a.set_ylabel("")
        a.title.set_fontsize(min(a.title.get_fontsize(), 9))


def _take_legend(panel: Axes) -> tuple[list, list[str], Any]:
    """*panel*'s legend removed: its handles, entry texts and title."""
    legend = panel.get_legend()
    handles, texts = legend.legend_handles, [t.get_text() for t in legend.get_texts()]
    title = legend.get_title()
    legend.remove()
    return handles, texts, title


def _legend_to_slot(panel: Axes, slot: Axes) -> None:
    """*panel*'s legend (entries and title) drawn in the empty Axes *slot* instead."""
    handles, texts, title = _take_legend(panel)
    slot.axis("off")
    slot.legend(handles, texts, title=title.get_text(), title_fontsize=title.get_fontsize(),
                loc="center", frameon=False)


def _legend_on_top(fig: Figure, panel: Axes) -> float:
    """*panel*'s legend drawn above the grid, three entries a row, the figure made taller by
    the band it needs (returned, in inches)."""
    handles, texts, title = _take_legend(panel)
    ncol = min(len(texts), 3)
    band = 0.3 + 0.2 * math.ceil(len(texts) / max(ncol, 1))
    w, h = fig.get_size_inches()
    fig.set_size_inches(w, h + band)
    fig.legend(handles, texts, title=title.get_text(), title_fontsize=title.get_fontsize(),
               loc="lower center", bbox_to_anchor=(0.5, 1 - band / (h + band)),
               ncol=ncol, frameon=False, fontsize="small")
    return band


def format_value(v: Any, width: int = LABEL_WIDTH) -> str:
    """Tick label of a parameter value: compact numbers, text as is (long text shortened)."""
    if isinstance(v, bool | np.bool_):
        return str(v)
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        if np.isfinite(v) and float(v).is_integer() and abs(v) < 1e6:
            return str(int(v))
        return f"{v:.3g}"
    return label_text(v, width)


def panel_title(prefix: str, key: tuple, width: int = TITLE_WIDTH) -> str:
    """"<prefix>: <key parts>", the key shortened to fit *width* (never below 16 cells)."""
    if not key:
        return prefix
    return f"{prefix}: " + label_text(" | ".join(map(str, key)), max(16, width - len(prefix) - 2))



#: Tukey's far fences: values further than this many IQRs outside the quartiles are
#: drawn at the edge of the axes rather than stretching it.
FENCE_IQR = 3.0
#: Fewer finite values than this: no value is an outlier (quartiles are too uncertain).
FENCE_MIN_N = 8


def robust_ylim(values: np.ndarray, keep: np.ndarray | None = None,
                 groups: np.ndarray | None = None) -> tuple[float, float] | None:
    """y limits that the bulk of *values* fills: outliers left out, *keep* always in.

    The bulk of a group (a study, a budget; all values when *groups* is None) is every
    finite value within Tukey's far fences of that group, ``[Q1 - 3 IQR, Q3 + 3 IQR]``
    (the whole group when it has fewer than ``FENCE_MIN_N`` finite values or an IQR of
    0). The limits span the bulk of every group and *keep* (values that must stay
    visible, e.g. the best per study), padded by 5% of that span. ``None`` (leave
    matplotlib's limits) when no value falls outside.
    """
    v = pd.Series(np.asarray(values, dtype=float))
    g = pd.Series(np.zeros(len(v)) if groups is None else np.asarray(groups))
    ok = np.isfinite(v.to_numpy())
    v, g = v[ok], g[ok]
    if v.empty:
        return None
    by = v.groupby(g.to_numpy(), sort=False)
    q1 = by.transform("quantile", 0.25)
    q3 = by.transform("quantile", 0.75)
    n = by.transform("size")
    iqr = q3 - q1
    fenced = (n >= FENCE_MIN_N) & (iqr > 0)
    inside = ~fenced | ((v >= q1 - FENCE_IQR * iqr) & (v <= q3 + FENCE_IQR * iqr))
    if inside.all():
        return None
    k = np.asarray(keep if keep is not None else [], dtype=float)
    both = np.concatenate([v[inside].to_numpy(), k[np.isfinite(k)]])
    lo, hi = float(both.min()), float(both.max())
    if v.min() >= lo and v.max() <= hi:
        return None
    pad = 0.05 * (hi - lo) if hi > lo else 0.05 * (abs(hi) or 1.0)
    return lo - pad, hi + pad


def mark_outside(ax: Axes, x: np.ndarray, y: np.ndarray, limits: tuple[float, float] | None,
                  *, color: Any = "0.3") -> None:
    """Points of (x, y) outside *limits*: triangles at the edge, with a count at that edge.

    Below: "v" markers just inside the lower edge (gid ``"below"``) and the text "▼ n below <lo>"
    in the lower left corner; above: "^" markers (gid ``"above"``), "▲ n above <hi>"
    upper left. The y limits are set to *limits*; nothing is drawn when it is None.
    """
    if limits is None:
        return
    lo, hi = limits
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ax.set_ylim(lo, hi)
    for side, out, edge, marker, va, arrow in (
        ("below", y < lo, lo, "v", "bottom", "▼"),
        ("above", y > hi, hi, "^", "top", "▲"),
    ):
        n = int(out.sum())
        if not n:
            continue
        inset = 0.015 * (hi - lo) * (1 if side == "below" else -1)  # just inside the edge
        ax.scatter(x[out], np.full(n, edge + inset), marker=marker, s=30, color=color,
                   edgecolor="black", linewidths=0.4, zorder=5, gid=side)
        word = "trial" if n == 1 else "trials"
        ax.text(0.01, 0.05 if side == "below" else 0.95,
                f"{arrow} {n} {word} {side} {edge:.4g} (drawn at the edge)",
                transform=ax.transAxes, ha="left", va=va, fontsize=7, color="0.2",
                gid=f"{side}-count", bbox={"facecolor": "white", "edgecolor": "none",
                                           "alpha": 0.8, "pad": 1})

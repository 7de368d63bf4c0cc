"""Export an executed report notebook to HTML and Markdown with nbconvert."""

from __future__ import annotations

import copy
import hashlib
import html
import json
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["FORMATS", "Exporters", "escape_markdown_html", "export", "export_notebook",
           "mark_run", "sanitize_html", "stale_cells", "write_exports"]

FORMATS = ("html", "md")

# A "<" that would open an HTML tag, comment or declaration in Markdown.
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")


def escape_markdown_html(text: str) -> str:
    """Make raw HTML in Markdown text show as text.

    Every ``<`` that would start a tag becomes ``&lt;``, so a study named
    ``<script>alert(1)</script>`` is displayed, never run; a lone ``a < b``
    is left as it is.

    Examples
    --------
    >>> escape_markdown_html("study <script>alert(1)</script>, 2 < 3")
    'study &lt;script>alert(1)&lt;/script>, 2 < 3'
    """
    return _TAG_OPEN.sub("&lt;", text)


# --------------------------------------------------------------------------- sanitizing
# An allow-list: tags and attributes a report (and a reader's own Markdown and pandas
# tables) needs. Anything else that would open a tag is shown as text.
_TAGS = frozenset("""a abbr b blockquote br caption center code col colgroup dd del details
dfn div dl dt em figcaption figure font h1 h2 h3 h4 h5 h6 hr i img ins kbd li mark ol p pre q
s samp small span strike strong style sub summary sup table tbody td tfoot th thead tr tt u
ul var wbr""".split())
_SVG_TAGS = frozenset("""svg g path rect circle ellipse line polyline polygon text tspan defs
clippath use style title desc lineargradient radialgradient stop pattern mask symbol marker
metadata""".split())
_ATTRS = frozenset("""id class title align valign colspan rowspan border width height alt
href src name open scope style lang dir start type cellpadding cellspacing halign
reversed span color face size summary""".split())
_URL_ATTRS = frozenset({"href", "src", "xlink:href", "action", "formaction", "background",
                        "poster", "data", "cite", "srcset"})
_DROP_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "noscript",
                                "template", "frame", "frameset", "applet", "xmp", "noembed",
                                "noframes", "textarea", "title", "math"})
_NAME = r"[A-Za-z][A-Za-z0-9-]*(?::[A-Za-z][A-Za-z0-9-]*)?"
_ATTR = r"""[A-Za-z_:][A-Za-z0-9_.:-]*(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?"""
_OPEN_TAG = re.compile(rf"<({_NAME})((?:\s+{_ATTR})*)\s*(/?)>")
_CLOSE_TAG = re.compile(rf"</({_NAME})\s*>")
_ONE_ATTR = re.compile(
    r"""([A-Za-z_:][A-Za-z0-9_.:-]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")
_CSS_BAD = re.compile(r"expression\s*\(|javascript:|vbscript:|@import|behavior\s*:|-moz-binding",
                      re.IGNORECASE)
_CSS_URL = re.compile(r"url\s*\(\s*['\"]?\s*([^'\")\s]*)", re.IGNORECASE)
_IMAGE_DATA = re.compile(r"data:image/(png|jpeg|jpg|gif|webp);base64,", re.IGNORECASE)


def _safe_css(css: str) -> bool:
    css = re.sub(r"/\*.*?\*/", "", html.unescape(css), flags=re.DOTALL)
    css = re.sub(r"\\", "", css)  # CSS escapes could spell a keyword
    if _CSS_BAD.search(css):
        return False
    return all(target.startswith("#") for target in _CSS_URL.findall(css))


def _safe_url(value: str, *, image: bool) -> bool:
    url = re.sub(r"[\x00-\x20\x7f]+", "", html.unescape(value)).lower()
    if image:  # an image is fetched when the page opens: only embedded ones
        return bool(_IMAGE_DATA.match(url))
    scheme = re.match(r"([a-z][a-z0-9+.-]*):", url)
    return scheme is None or scheme.group(1) in ("http", "https", "mailto")


def _clean_tag(name: str, attrs: str, close: str, svg: bool) -> str | None:
    """The tag rebuilt with its safe attributes, or None when the tag is not allowed."""
    low = name.lower()
    if low not in (_SVG_TAGS | {"a", "img"} if svg else _TAGS):
        return None
    kept = []
    for attr, raw in _ONE_ATTR.findall(attrs):
        a = attr.lower()
        value = raw[1:-1] if raw[:1] in "\"'" and raw else raw
        if a.startswith("on") or a in ("srcdoc", "formaction", "action", "http-equiv"):
            continue
        if not svg and a not in _ATTRS:
            continue
        if a in _URL_ATTRS and not _safe_url(value, image=low in ("img", "image", "use")):
            if not (svg and a in ("href", "xlink:href") and value.startswith("#")):
                continue
        if a == "style" or (svg and "url(" in value.lower()):
            if not _safe_css(value):
                continue
        kept.append(f'{attr}="{html.escape(html.unescape(value), quote=True)}"' if raw
                    else attr)
    return "<" + " ".join([name, *kept]) + (" /" if close else "") + ">"


def sanitize_html(text: str, *, svg: bool = False) -> str:
    """*text* (HTML, or Markdown with raw HTML) with its active content made inert.

    Tags outside an allow-list of text, table, image and layout tags are shown
    as text (their ``<`` becomes ``&lt;``); ``<script>``, ``<iframe>``,
    ``<object>`` and similar are dropped with their content; comments are
    dropped; event handlers (``on*=``), ``srcdoc`` and every attribute outside
    the allow-list are removed, as are ``javascript:`` (and any other
    non-web) URLs, images not embedded in the page, and CSS that could run
    code or fetch a resource (``expression()``, ``url(...)`` other than
    ``#id``, ``@import``). Text is left as it is. ``svg=True`` allows the
    tags of an SVG image instead.

    Examples
    --------
    >>> sanitize_html('<img src="data:image/png;base64,AA" onerror="alert(1)"> <b>ok</b>')
    '<img src="data:image/png;base64,AA"> <b>ok</b>'
    >>> sanitize_html("<a href='jav&#x61;script:x()'>a</a><script>alert(1)</script>2 < 3")
    '<a>a</a>2 < 3'
    """
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        j = text.find("<", i)
        if j < 0:
            out.append(text[i:])
            break
        out.append(text[i:j])
        if text.startswith("<!--", j):
            end = text.find("-->", j + 4)
            i = n if end < 0 else end + 3
            continue
        opened = _OPEN_TAG.match(text, j)
        closed = _CLOSE_TAG.match(text, j)
        if opened:
            name = opened.group(1)
            low = name.lower()
            if low in _DROP_WITH_CONTENT and not (low == "style" or (svg and low == "title")):
                end = re.compile(rf"</{re.escape(low)}\s*>", re.IGNORECASE).search(text,
                                                                                     opened.end())
                i = n if end is None else end.end()
                continue
            if low == "style":  # kept only when its CSS is harmless
                end = re.compile(r"</style\s*>", re.IGNORECASE).search(text, opened.end())
                body = text[opened.end():n if end is None else end.start()]
                if end is not None and _safe_css(body) and "<" not in body:
                    out.append(text[j:end.end()])
                i = n if end is None else end.end()
                continue
            tag = _clean_tag(name, opened.group(2), opened.group(3), svg)
            if tag is not None:
                out.append(text[j:opened.end()] if tag == _rebuilt_as_is(opened) else tag)
                i = opened.end()
                continue
        elif closed and closed.group(1).lower() in (_SVG_TAGS | {"a", "img"} if svg else _TAGS):
            out.append(closed.group(0))
            i = closed.end()
            continue
        nxt = text[j + 1:j + 2]
        out.append("&lt;" if nxt and (nxt.isalpha() or nxt in "/!?") else "<")
        i = j + 1
    return "".join(out)


def _rebuilt_as_is(match: re.Match) -> str:
    """What :func:`_clean_tag` gives for a tag that loses nothing (then it is kept verbatim)."""
    name, attrs, close = match.group(1), match.group(2), match.group(3)
    kept = []
    for attr, raw in _ONE_ATTR.findall(attrs):
        value = raw[1:-1] if raw[:1] in "\"'" and raw else raw
        kept.append(f'{attr}="{html.escape(html.unescape(value), quote=True)}"' if raw else attr)
    return "<" + " ".join([name, *kept]) + (" /" if close else "") + ">"


_SAFE_MIME = ("text/plain", "text/markdown", "text/html", "text/latex", "image/png",
              "image/jpeg", "image/gif", "image/svg+xml", "application/json")


def _sanitize_notebook(nb: Any) -> Any:
    """*nb* without active content: JavaScript and widget outputs dropped, HTML, SVG and
    Markdown (cells and outputs) passed through :func:`sanitize_html`."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type in ("markdown", "raw"):
            _sanitize_text_cell(cell)
        for out in cell.get("outputs", []):
            if out.get("data"):
                _sanitize_data(out["data"])
    return nb


def _sanitize_text_cell(cell: Any) -> None:
    """A Markdown or raw cell: its text sanitized, attachments other than images dropped."""
    cell.source = sanitize_html(cell.source)
    for name in list(cell.get("attachments", {}) or {}):
        bundle = cell.attachments[name]
        for mime in [m for m in bundle if not m.startswith("image/") or m == "image/svg+xml"]:
            del bundle[mime]


def _sanitize_data(data: Any) -> None:
    """An output's mime bundle: unsafe types dropped, HTML, Markdown and SVG sanitized (an
    SVG beside a raster image is dropped)."""
    for mime in list(data):
        if mime not in _SAFE_MIME:
            del data[mime]
    for mime in ("text/html", "text/markdown"):
        if mime in data:
            data[mime] = sanitize_html(_text(data[mime]))
    if "image/svg+xml" in data:
        if any(m in data for m in ("image/png", "image/jpeg", "image/gif")):
            del data["image/svg+xml"]
        else:
            data["image/svg+xml"] = sanitize_html(_text(data["image/svg+xml"]), svg=True)


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


# --------------------------------------------------------------------------- freshness
def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _outputs_digest(cell: Any) -> str:
    return _digest([{k: v for k, v in o.items() if k not in ("metadata", "execution_count")}
                    for o in cell.get("outputs", [])])


def mark_run(nb: Any) -> Any:
    """Record, in each code cell's metadata, digests of its source and outputs as run.

    :func:`stale_cells` compares them later: a cell whose source changed while
    its outputs did not was edited and not run again.
    """
    for cell in nb.cells:
        if cell.cell_type == "code":
            meta = cell.metadata.setdefault("hpo_insights", {})
            meta["ran"] = {"source": _digest(cell.source), "outputs": _outputs_digest(cell)}
    return nb


def stale_cells(nb: Any) -> list[str]:
    """Why the outputs of *nb* may not be what its code gives: one phrase per cell found.

    A code cell that was never run (no execution count), one edited after it
    ran (its source differs from the one recorded by :func:`mark_run`, its
    outputs do not), and cells run out of order (a cell ran after the one
    below it, whose outputs may then be stale) are reported, numbered from 1
    among all cells.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    >>> stale_cells(nb)
    ['cell 1 was never run']
    """
    found: list[str] = []
    last_count, last_cell = 0, 0
    for k, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        count = cell.get("execution_count")
        if count is None:
            found.append(f"cell {k} was never run")
            continue
        ran = cell.metadata.get("hpo_insights", {}).get("ran")
        if ran and ran.get("source") != _digest(cell.source) \
                and ran.get("outputs") == _outputs_digest(cell):
            found.append(f"cell {k} was edited after it ran")
        if count <= last_count:
            found.append(f"cell {last_cell} ran after cell {k} below it")
        last_count, last_cell = count, k
    return found


# The lab template without the scripts it loads from a CDN (require.js, MathJax,
# mermaid): the report is read offline and runs no script at all.
_OFFLINE_TEMPLATE = """\
{%- extends 'index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block extra_css %}
<style>
  /* a readable measure: about 80 characters of text, figures scaled to it */
  body.jp-Notebook { max-width: 52rem; margin: 0 auto; padding: 1.5rem 1rem 4rem; }
  .jp-RenderedImage img, .jp-OutputArea-output img { max-width: 100%; height: auto; }
  /* tables never overflow the column: cells wrap, and a table still too wide scrolls
     inside the column (the table is its own scroll container) */
  .jp-RenderedHTMLCommon table { margin: 0.5rem 0 1rem; font-size: 0.85rem;
    display: block; max-width: 100%; overflow-x: auto; }
  .jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { white-space: normal;
    overflow-wrap: break-word; }
  .jp-RenderedHTMLCommon pre { max-width: 100%; overflow-x: auto; }
  .jp-RenderedHTMLCommon pre { font-size: 0.8rem; }
  .jp-OutputArea-output { overflow-x: auto; }
</style>
{% endblock extra_css %}
"""


def _reading_order(nb: Any) -> Any:
    """The cells in reading order: title, contents, key findings, then the sections.

    The key findings are computed last (they read every section's result) but
    read first; cells tagged ``key-findings`` move to just after the contents.
    """
    cells = list(nb.cells)
    findings = [c for c in cells if "key-findings" in c.metadata.get("tags", [])]
    if not findings:
        return nb
    rest = [c for c in cells if c not in findings]
    at = next((i + 1 for i, c in enumerate(rest) if "contents" in c.metadata.get("tags", [])), 1)
    nb.cells = rest[:at] + findings + rest[at:]
    return nb


def _safe_notebook(nb: Any, *, keep_active_content: bool = False) -> Any:
    """A copy of ``nb`` in reading order, its active content removed (unless kept)."""
    nb = _reading_order(copy.deepcopy(nb))
    return nb if keep_active_content else _sanitize_notebook(nb)


# Code cells are left out (outputs only). The notebook is validated once after the
# preprocessors, not after each of the eleven (on a 30-study page each validation took a
# tenth of a second).
_HIDE = {"exclude_input": True, "exclude_input_prompt": True, "exclude_output_prompt": True,
         "optimistic_validation": True}


class Exporters:
    """The report's HTML and Markdown exporters, made ahead while a notebook runs.

    :meth:`start` starts a thread that imports nbconvert, makes the exporters,
    compiles their templates (by exporting a two-cell notebook) and renders the
    Markdown of *cells* ahead (:meth:`ReportHTMLExporter.prerender`), while the
    parent process would otherwise wait on the kernel. :meth:`get` waits for it
    and raises what the thread raised (not started: makes them there);
    :meth:`cancel` stops it between steps and waits for it, so a failed or
    interrupted run leaves no thread behind.

    Parameters
    ----------
    formats : sequence of {"html", "md"}
        Which exporters to make.
    """

    def __init__(self, formats: Sequence[str] = FORMATS) -> None:
        self._formats = tuple(formats)
        self._made: dict[str, Any] = {}
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        # waited on instead of Thread.join: on Python 3.11 a KeyboardInterrupt that interrupts
        # join marks the still-running thread as stopped
        self._done = threading.Event()

    def start(self, cells: Sequence[Any] | None = None, *,
              keep_active_content: bool = False) -> Exporters:
        """Make the exporters in a thread; *cells*: whose Markdown cells to render ahead,
        sanitized as :func:`export` will (unless *keep_active_content*)."""
        cells = [copy.deepcopy(c) for c in cells or () if c.get("cell_type") == "markdown"]
        self._thread = threading.Thread(target=self._warm, args=(cells, keep_active_content),
                                        name="hpo-insights-exporters", daemon=True)
        self._thread.start()
        return self

    def _make(self) -> None:
        from jinja2 import DictLoader
        from nbconvert import MarkdownExporter

        from hpo_insights.report._html import ReportHTMLExporter

        if "html" in self._formats:
            self._made["html"] = ReportHTMLExporter(
                **_HIDE,
                extra_loaders=[DictLoader({"hpo_insights_report.html.j2": _OFFLINE_TEMPLATE})],
                template_file="hpo_insights_report.html.j2",
            )
        if "md" in self._formats:
            self._made["md"] = MarkdownExporter(**_HIDE)

    def _warm(self, cells: list[Any], keep_active_content: bool) -> None:
        try:
            self._make()
            if self._stop.is_set():
                return
            import nbformat

            tiny = nbformat.v4.new_notebook(cells=[
                nbformat.v4.new_markdown_cell("# Warm-up\n\nText, `code`, a [link](#a)."),
                nbformat.v4.new_code_cell("1", outputs=[nbformat.v4.new_output(
                    "execute_result", {"text/plain": "1", "text/html": "<b>1</b>"},
                    execution_count=1)]),
            ])
            for exporter in self._made.values():
                exporter.from_notebook_node(tiny, resources={"metadata": {"name": "warm-up"}})
            if "html" in self._made and cells and not self._stop.is_set():
                if not keep_active_content:
                    for cell in cells:
                        _sanitize_text_cell(cell)
                self._made["html"].prerender(cells, stop=self._stop)
        except BaseException as error:  # noqa: BLE001 - raised again by get()
            self._made["error"] = error
        finally:
            self._done.set()

    def get(self) -> tuple[Any, Any]:
        """(HTML exporter or None, Markdown exporter or None), once made."""
        if self._thread is None and not self._made:
            self._make()
        while self._thread is not None and not self._done.wait(0.1):
            pass
        if "error" in self._made:
            raise self._made["error"]
        return self._made.get("html"), self._made.get("md")

    def cancel(self) -> None:
        """Stop the thread at its next step and wait for it (no-op once it ended)."""
        if self._thread is not None and not self._done.is_set():
            self._stop.set()
            if self._done.wait(10):
                self._thread.join(1)  # its last step after setting the event


def export(
    nb: Any,
    out_dir: str | Path,
    *,
    formats: Sequence[str] = FORMATS,
    title: str = "Hyperparameter search report",
    keep_active_content: bool = False,
) -> dict[str, Path]:
    """Write an executed notebook as ``report.html`` and/or ``report.md``.

    Code cells are left out (only their outputs are kept). The HTML embeds
    figures as base64 ``<img>`` and loads nothing from the network (no
    MathJax, require.js or mermaid scripts); the Markdown file references PNG files
    written to ``report_files/`` beside it. Active content is removed from
    both (:func:`sanitize_html`): JavaScript and widget outputs, scripts,
    event handlers, ``javascript:`` URLs and images from elsewhere in HTML
    outputs and Markdown (cells and outputs), unless *keep_active_content*.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook.
    out_dir : str or path-like
        Folder to write into (created if needed).
    formats : sequence of {"html", "md"}
        Which files to write.
    title : str
        The HTML page title.
    keep_active_content : bool, default False
        Keep the notebook's scripts and JavaScript outputs as they are (for a
        notebook you trust that needs them).

    Returns
    -------
    dict of str to pathlib.Path
        Format → file written.

    Raises
    ------
    ValueError
        An unknown format.
    """
    return write_exports(nb, out_dir, formats=formats, title=title,
                         keep_active_content=keep_active_content)


def write_exports(
    nb: Any,
    out_dir: str | Path,
    *,
    formats: Sequence[str] = FORMATS,
    title: str = "Hyperparameter search report",
    keep_active_content: bool = False,
    exporters: Exporters | None = None,
) -> dict[str, Path]:
    """:func:`export`, with the exporters made ahead (:class:`Exporters`) when given."""
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(
            f"Unknown report format(s) {unknown}: expected some of {list(FORMATS)}."
        )
    html_exporter, md_exporter = (exporters or Exporters(formats)).get()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    nb = _safe_notebook(nb, keep_active_content=keep_active_content)
    written: dict[str, Path] = {}
    if "html" in formats:
        body, _ = html_exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
        path = out / "report.html"
        path.write_text(body, encoding="utf-8")
        written["html"] = path
    if "md" in formats:
        body, resources = md_exporter.from_notebook_node(
            nb, resources={"output_files_dir": "report_files"}
        )
        for name, data in resources.get("outputs", {}).items():
            target = out / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        path = out / "report.md"
        path.write_text(body, encoding="utf-8")
        written["md"] = path
    return written


def export_notebook(
    path: str | Path,
    out_dir: str | Path | None = None,
    *,
    formats: Sequence[str] = FORMATS,
    execute: bool = False,
    keep_active_content: bool = False,
    timeout: int = 600,
) -> dict[str, Path]:
    """Export a report notebook that was edited and re-run (``hpo-insights export``).

    Without *execute*, a notebook whose outputs may not be what its code gives
    is refused (:func:`stale_cells`: a cell never run, edited after it ran,
    or run out of order). With *execute*, the notebook is first run in a
    fresh kernel in its own folder and saved, run, beside the exports. Files
    are written into a hidden folder and moved into place at the end, so a
    failure or an interrupt leaves the previous files as they were.

    Parameters
    ----------
    path : str or path-like
        An executed ``report.ipynb``.
    out_dir : str or path-like, optional
        Where to write; default: the notebook's folder.
    formats : sequence of {"html", "md"}
        Which files to write.
    execute : bool, default False
        Run the notebook before exporting it (and write it, run, as
        ``report.ipynb`` in *out_dir*).
    keep_active_content : bool, default False
        Keep scripts and JavaScript outputs (see :func:`export`).
    timeout : int
        Seconds allowed per cell when *execute*.

    Returns
    -------
    dict of str to pathlib.Path
        Format → file written.

    Raises
    ------
    hpo_insights.TrialsError
        The file is missing, is not a notebook, has not been run (no
        outputs) or has cells changed since its run; the output folder cannot
        be written.
    hpo_insights.report.ReportError
        With *execute*: a cell failed (the message names its section).
    """
    import shutil

    import nbformat

    from hpo_insights._errors import TrialsError
    from hpo_insights.report import _output

    path = Path(path)
    if not path.is_file():
        raise TrialsError(f"No such notebook: {str(path)!r}. Pass the report.ipynb to export.")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as error:  # nbformat raises several kinds for a file that is not JSON
        raise TrialsError(f"{str(path)!r} is not a Jupyter notebook ({error}).") from None
    if not execute:
        if not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"):
            raise TrialsError(
                f"{str(path)!r} has no outputs: run it first (in Jupyter: Run All), then "
                "export, or pass execute=True to run it here."
            )
        stale = stale_cells(nb)
        if stale:
            more = f" (and {len(stale) - 3} more)" if len(stale) > 3 else ""
            raise TrialsError(
                f"{str(path)!r} changed since it last ran: {'; '.join(stale[:3])}{more}, so "
                "its outputs may not be what its code gives. Run it again (in Jupyter: "
                "Restart Kernel and Run All Cells) and save it, or pass execute=True to "
                "run it here before exporting."
            )
    title = next((c.source.lstrip("# ").strip() for c in nb.cells
                  if "title" in c.metadata.get("tags", [])), "Hyperparameter search report")
    out = _output.check_out(out_dir if out_dir is not None else path.parent)
    stage, created = _output.staging(out)
    done = False
    exporters = Exporters(formats)
    try:
        names: tuple[str, ...] = ("report.html", "report.md", "report_files")
        if execute:
            # made while the kernel runs (import, templates, the Markdown cells)
            exporters.start(nb.cells, keep_active_content=keep_active_content)
            _execute(nb, path.parent, timeout)
            mark_run(nb)
            nbformat.write(nb, stage / "report.ipynb")
            names = ("report.ipynb", *names)
            trials = path.parent / _output.TRIALS_FILE
            if trials.is_file() and out.resolve() != path.parent.resolve():
                shutil.copyfile(trials, stage / _output.TRIALS_FILE)
                names = (*names, _output.TRIALS_FILE)
        written = write_exports(nb, stage, formats=formats, title=title,
                                keep_active_content=keep_active_content, exporters=exporters)
        _output.commit(stage, out, names)
        done = True
        result = {"ipynb": out / "report.ipynb"} if execute else {}
        return {**result, **{k: out / p.name for k, p in written.items()}}
    finally:
        exporters.cancel()  # an interrupted or failed run leaves no thread behind
        shutil.rmtree(stage, ignore_errors=True)
        if not done:
            _output.remove_created(created)


def _execute(nb: Any, folder: Path, timeout: int) -> None:
    """Run *nb* in a fresh kernel in *folder*; a failing cell is a ReportError naming it."""
    import os
    import tempfile

    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    from hpo_insights.report._kernel import (
        ReportError,
        drawing_failure,
        failure,
        notebook_client,
        run_client,
    )

    runner = notebook_client(nb, str(folder), timeout, lambda section: None)
    fd, log_path = tempfile.mkstemp(prefix="hpo-insights-kernel-", suffix=".log")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as log:
            try:
                run_client(runner, stderr=log)
                failed = drawing_failure(nb)
            except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
                failed = failure(nb, error)
                if not isinstance(error, CellExecutionError):
                    failed = (runner.state_section or failed[0],
                              f"no answer within timeout={timeout} s"
                              if isinstance(error, CellTimeoutError)
                              else "the notebook kernel died")
    finally:
        os.unlink(log_path)
    if failed is not None:
        section, cause = failed
        raise ReportError(f"The notebook failed in section '{section}': {cause}. Nothing was "
                          "written; fix the cell in Jupyter, or export without execute.",
                          section=section)

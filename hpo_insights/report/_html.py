"""The report's HTML exporter: nbconvert's, with its accessibility pass done in one scan.

nbconvert's ``HTMLExporter`` renders its template and then parses the whole page
again with BeautifulSoup to add an ``alt`` text to images that have none and
``tabindex="0"`` to the input and output areas, and serializes the parsed page:
on a 30-study report that second pass takes longer than the template (1.2 of
1.8 s). :class:`ReportHTMLExporter` renders the same template and adds the same
attributes in one linear scan of the tags (:func:`add_accessibility`), rewriting
only the tags it changes. The page is the same document: parsed with
BeautifulSoup (``html.parser``), both give the same tree (a test checks it, on
the example report and on hostile content). The bytes differ where
BeautifulSoup re-serializes (it writes ``<br/>`` for ``<br>``, its own quotes and
character references): ours is the template's text as rendered.

This module imports nbconvert: import it lazily (``import hpo_insights`` stays light).
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from html.parser import HTMLParser
from typing import Any

import jinja2
from nbconvert import HTMLExporter
from nbconvert.exporters.templateexporter import TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

__all__ = ["ALT_TEXT", "VOID_ELEMENTS", "ReportHTMLExporter", "add_accessibility"]

# What nbconvert's HTMLExporter gives an <img> without alt (nbconvert/exporters/html.py).
ALT_TEXT = "No description has been provided for this image"

# The elements BeautifulSoup's html.parser tree builder closes as soon as they open
# (bs4.builder.HTMLTreeBuilder.empty_element_tags; a test compares the two).
VOID_ELEMENTS = frozenset("""area base basefont bgsound br col command embed frame hr image
img input isindex keygen link menuitem meta nextid param source spacer track wbr""".split())

# The classes nbconvert's pass makes focusable: ``.jp-Notebook div.<class>``.
_FOCUSABLE = ("jp-Cell-inputWrapper", "jp-OutputArea-output")
_NOTEBOOK = "jp-Notebook"
_CLASS_TOKEN = re.compile(r"\S+")  # how BeautifulSoup splits a class attribute


class _TagScan(HTMLParser):
    """One pass of html.parser (BeautifulSoup's tokenizer) over a page, keeping only the
    open-element stack BeautifulSoup would build, and noting the start tags to rewrite.

    The tree rules are BeautifulSoup's ``html.parser`` builder: a start tag opens an
    element; an end tag closes the innermost open element of its name and every element
    inside it, and is ignored when none is open; a void element (``<img>``, ``<br>``)
    closes at once (so its end tag finds none open); ``<x/>`` opens and closes ``x``.
    Duplicate attributes: the last value wins, at the first one's place.
    """

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=False)  # as BeautifulSoup runs it
        self._text = text
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self._stack: list[tuple[str, bool]] = []  # (tag, has class jp-Notebook)
        self._open: Counter = Counter()  # open elements by tag name
        self._in_notebook = 0  # open elements with class jp-Notebook
        self.edits: list[tuple[int, int, str]] = []  # (start, end, new start tag)
        self.missing_alt = 0
        self.consistent = True  # every tag found where html.parser said it was

    # -- html.parser's events
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, self_closing=False)
        if tag in VOID_ELEMENTS:
            self._pop_to(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, self_closing=True)
        self._pop_to(tag)

    def handle_endtag(self, tag: str) -> None:
        self._pop_to(tag)

    # -- the tree
    def _start(self, tag: str, attrs: list[tuple[str, str | None]], *,
               self_closing: bool) -> None:
        values: dict[str, str] = {}
        for key, value in attrs:
            values[key] = "" if value is None else value
        classes = _CLASS_TOKEN.findall(values["class"]) if "class" in values else []
        changed = False
        if tag == "img" and "alt" not in values:
            values["alt"] = ALT_TEXT
            self.missing_alt += 1
            changed = True
        if tag == "div" and self._in_notebook and any(c in classes for c in _FOCUSABLE):
            values["tabindex"] = "0"
            changed = True
        if changed:
            self._rewrite(tag, values, self_closing)
        notebook = _NOTEBOOK in classes
        self._stack.append((tag, notebook))
        self._open[tag] += 1
        self._in_notebook += notebook

    def _pop_to(self, tag: str) -> None:
        """Close the innermost open *tag* and everything inside it (none open: nothing)."""
        if not self._open[tag]:
            return
        while True:
            name, notebook = self._stack.pop()
            self._open[name] -= 1
            self._in_notebook -= notebook
            if name == tag:
                return

    def _rewrite(self, tag: str, values: dict[str, str], self_closing: bool) -> None:
        line, column = self.getpos()
        start = self._line_starts[line - 1] + column
        raw = self.get_starttag_text() or ""
        if not self._text.startswith(raw, start):
            self.consistent = False
            return
        attrs = "".join(f' {key}="{html.escape(value, quote=True)}"'
                        for key, value in values.items())
        end = "/>" if self_closing else ">"
        self.edits.append((start, start + len(raw), f"<{tag}{attrs}{end}"))


def add_accessibility(page: str) -> tuple[str, int]:
    """*page* with nbconvert's accessibility attributes, and how many images lacked alt.

    What nbconvert's ``HTMLExporter`` adds after its template, with the same
    selectors on the same tree (BeautifulSoup's ``html.parser``): ``alt`` (the text
    :data:`ALT_TEXT`) on every ``img:not([alt])``, ``tabindex="0"`` on every
    ``.jp-Notebook div.jp-Cell-inputWrapper`` and ``.jp-Notebook
    div.jp-OutputArea-output``. Only those start tags are rewritten; the rest of the
    text is left as it is.

    Examples
    --------
    >>> add_accessibility('<body class="jp-Notebook"><div class="jp-OutputArea-output">'
    ...                   '<img src="a.png"></div></body>')
    ('<body class="jp-Notebook"><div class="jp-OutputArea-output" tabindex="0"><img \
src="a.png" alt="No description has been provided for this image"></div></body>', 1)
    """
    scan = _TagScan(page)
    scan.feed(page)
    scan.close()
    if not scan.consistent:  # a tokenizer whose positions we cannot follow: do it the slow way
        return _soup_pass(page)
    parts, at = [], 0
    for start, end, tag in scan.edits:
        parts += [page[at:start], tag]
        at = end
    parts.append(page[at:])
    return "".join(parts), scan.missing_alt


def _soup_pass(page: str) -> tuple[str, int]:
    """nbconvert's own pass (``HTMLExporter.from_notebook_node``, after the template)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, features="html.parser")
    missing = soup.select("img:not([alt])")
    for elem in missing:
        elem.attrs["alt"] = ALT_TEXT
    for cls in _FOCUSABLE:
        for elem in soup.select(f".{_NOTEBOOK} div.{cls}"):
            elem.attrs["tabindex"] = "0"
    return str(soup), len(missing)


class ReportHTMLExporter(HTMLExporter):
    """nbconvert's HTMLExporter with :func:`add_accessibility` for its BeautifulSoup pass,
    and Markdown rendered once per distinct input (:meth:`prerender`).

    :meth:`from_notebook_node` is nbconvert 7's ``HTMLExporter.from_notebook_node`` (the
    two filters it registers, then the template) followed by :func:`add_accessibility`
    instead of BeautifulSoup; a test fails when nbconvert's method changes.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._markdown_memo: dict[tuple, str] = {}
        self.markdown_hits = 0

    def from_notebook_node(self, nb: Any, resources: dict[str, Any] | None = None,
                           **kw: Any) -> tuple[str, dict[str, Any]]:
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        highlight_code = self.filters.get(
            "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)
        )
        resources = self._init_resources(resources)
        filter_data_type = WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources
        )
        self.register_filter("highlight_code", highlight_code)
        self.register_filter("filter_data_type", filter_data_type)
        page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        page, missing_alt = add_accessibility(page)
        if missing_alt:
            self.log.warning("Alternative text is missing on %s image(s).", missing_alt)
        return page, resources

    # -- Markdown, memoized
    def _markdown_key(self, source: str, attachments: Any, path: str) -> tuple:
        """Everything HTMLExporter.markdown2html's result depends on."""
        return (source, json.dumps(attachments, sort_keys=True), path, self.embed_images,
                self.anchor_link_text, self.exclude_anchor_links,
                json.dumps(self.lexer_options, sort_keys=True, default=repr))

    @jinja2.pass_context
    def markdown2html(self, context: Any, source: str) -> str:
        cell = context.get("cell", {})
        path = context.get("resources", {}).get("metadata", {}).get("path", "")
        key = self._markdown_key(source, cell.get("attachments", {}), path)
        if key in self._markdown_memo:
            self.markdown_hits += 1
            return self._markdown_memo[key]
        rendered = HTMLExporter.markdown2html(self, context, source)
        self._markdown_memo[key] = rendered
        return rendered

    def prerender(self, cells: Any, path: str = "", stop: Any = None) -> int:
        """Render the Markdown of *cells* (their Markdown cells) ahead; returns how many.

        The template's ``markdown2html`` then returns the stored HTML for a cell of the
        same source and attachments (e.g. while a notebook's kernel runs, for the cells
        known before it). *stop* (a ``threading.Event``) ends it early once set.
        """
        done = 0
        for cell in cells:
            if stop is not None and stop.is_set():
                break
            if cell.get("cell_type") != "markdown":
                continue
            context = {"cell": cell, "resources": {"metadata": {"path": path}}}
            key = self._markdown_key(cell.get("source", ""), cell.get("attachments", {}), path)
            if key not in self._markdown_memo:
                self._markdown_memo[key] = HTMLExporter.markdown2html(
                    self, context, cell.get("source", ""))
                done += 1
        return done

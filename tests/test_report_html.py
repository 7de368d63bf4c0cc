"""The report's own HTML exporter gives the same document as nbconvert's.

``hpo_insights.report._html.ReportHTMLExporter`` replaces nbconvert's BeautifulSoup pass
(alt texts, ``tabindex``) by one scan of the tags. Here both export the same notebooks
with the same template, and both pages, parsed with BeautifulSoup (``html.parser``),
serialize to the same text: on the example report and on hostile or odd content. The
nbconvert internals it follows are pinned by tests that fail when nbconvert changes them.
"""

from __future__ import annotations

import copy
import hashlib
import inspect
import threading

import nbformat
import pytest
from bs4 import BeautifulSoup
from jinja2 import DictLoader
from nbconvert import HTMLExporter
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

import hpo_insights as hi
from hpo_insights.report import _export, _html

PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJ"
       "RU5ErkJggg==")


def _stock(nb, title="Report"):
    """nbconvert's own HTMLExporter, with the report's template and options."""
    exporter = HTMLExporter(
        **_export._HIDE,
        extra_loaders=[DictLoader({"hpo_insights_report.html.j2": _export._OFFLINE_TEMPLATE})],
        template_file="hpo_insights_report.html.j2",
    )
    return exporter.from_notebook_node(copy.deepcopy(nb),
                                       resources={"metadata": {"name": title}})[0]


def _ours(nb, title="Report", exporters=None):
    html, _ = (exporters or _export.Exporters(("html",))).get()
    return html.from_notebook_node(copy.deepcopy(nb), resources={"metadata": {"name": title}})[0]


def _soup(page):
    return str(BeautifulSoup(page, features="html.parser"))


def _assert_same_document(nb, *, fixed_point=True):
    """Ours, parsed, is the tree nbconvert built and wrote out (nbconvert's page is that tree
    serialized), and both pages parse to the same tree. The second follows from the first
    when nbconvert's page parses back to itself, which fails only for content that closes
    the page's <body> and <html> early (then BeautifulSoup writes what follows after
    </html>, and reads it back elsewhere)."""
    stock, ours = _stock(nb), _ours(nb)
    assert _soup(ours) == stock
    if fixed_point:
        assert _soup(ours) == _soup(stock)
    return stock, ours


@pytest.fixture(scope="module")
def example_notebook(tmp_path_factory):
    """The bundled example's executed report notebook, in reading order, sanitized."""
    out = tmp_path_factory.mktemp("example") / "report"
    paths = hi.report.build(out_dir=out, formats=("md",))
    return _export._safe_notebook(nbformat.read(paths["ipynb"], as_version=4))


def test_example_report_is_the_same_document(example_notebook):
    stock, ours = _assert_same_document(example_notebook)
    assert ours.count('tabindex="0"') == stock.count('tabindex="0"') > 50
    assert ours.count(_html.ALT_TEXT) == stock.count(_html.ALT_TEXT) > 0  # the figures


def _hostile_notebook():
    img = f"data:image/png;base64,{PNG}"
    odd_html = "".join([
        '<div class="jp-OutputArea-output">inner output div</div>',
        '<div class="x  jp-OutputArea-output\ty" tabindex="5" tabindex="7">has tabindex</div>',
        '<DIV CLASS="jp-Cell-inputWrapper">upper case</DIV>',
        '<div class="jp-outputarea-output">other case: not the class</div>',
        f'<img src="{img}">',
        f'<IMG SRC="{img}" title="a > b">',
        f"<img src='{img}' alt=''/>",
        f'<img src={img}/>',
        f'<img src="{img}" / >',
        '<p title="x > y" data-a=\'1 > 0\'>attributes with &gt; in quotes</p>',
        "<p>a < b and c<d and 1 <2 &lt;3 & 4 &amp; </p>",
        '<style>.a > img { color: red } /* <img src="x"> */</style>',
        '<script>if (a < b) { document.write("<img src=x>") }</script>',
        '<!-- <img src="in-comment"> <div class="jp-OutputArea-output"> -->',
        '</img></img></div></span>',
        '<span><div class="jp-OutputArea-output">in a span',
        '<br/><br></br><hr/>',
        '<svg><image href="#a"/><img/></svg>',
        '<textarea><img src="in-textarea"></textarea>',
        '<title><img src="in-title"></title>',
        '<div class="jp-Notebook"><div class="jp-Cell-inputWrapper">nested notebook</div></div>',
        '<![CDATA[ <img src="cdata"> ]]>',
        '<?php echo "<img>" ?>',
        '<div class=jp-OutputArea-output/>self-closing div',
        '<a href="#x" title=\'"quoted" > more\'>link</a>',
        '</body></html><div class="jp-OutputArea-output">after body</div>',
    ])
    markdown = (f"# Title <b>bold</b>\n\nA raw image: <img src=\"{img}\">, `a < b`, 2 < 3.\n\n"
                f"![described]({img}) and ![]({img})\n\n<div class=\"jp-OutputArea-output\">md"
                "</div>\n\n<style>p > b { color: blue }</style>\n")
    return new_notebook(cells=[
        new_markdown_cell(markdown),
        new_code_cell("x", outputs=[
            new_output("display_data", {"text/markdown": markdown, "text/plain": "md"}),
            new_output("display_data", {"text/html": odd_html, "text/plain": "html"}),
            new_output("display_data", {"image/png": PNG, "text/plain": "<Figure>"}),
            new_output("stream", name="stdout", text="<img src=x> printed & < >\n"),
        ], execution_count=1),
        new_markdown_cell("<div class='jp-Cell-inputWrapper'>\n\n*x* < y\n\n</div>"),
    ])


@pytest.mark.parametrize("keep_active_content", [True, False])
def test_hostile_content_is_the_same_document(keep_active_content):
    nb = _export._safe_notebook(_hostile_notebook(), keep_active_content=keep_active_content)
    stock, ours = _assert_same_document(nb, fixed_point=not keep_active_content)
    assert _html.ALT_TEXT in ours
    assert ours.count(_html.ALT_TEXT) == _soup(stock).count(_html.ALT_TEXT)


@pytest.mark.parametrize("page", [
    '<body class="jp-Notebook"><div class="jp-OutputArea-output"><img src="a.png"></div>',
    "<html><body class='jp-Notebook'><div class='jp-Cell-inputWrapper' tabindex=3/></body>",
    '<img src="a"><img src="b"/><p>x</p></img><div class="jp-Notebook"><img alt="">',
    '<div class="jp-Notebook"><img src="a"><img src="b"/><div class="jp-OutputArea-output">',
    '<div class="jp-Notebook"></div><div class="jp-OutputArea-output"></div>',
    '<div class="jp-Notebook">\n<p>\n<div\nclass="jp-OutputArea-output"\n>\n</p></div>',
    "<style><div class='jp-Notebook'></style><div class=\"jp-OutputArea-output\">",
    '<div class="jp-Notebook"><img src=a/><img src="a"/ ><img\nsrc="a"\n/>',
    '<div class="jp-Notebook"><a href="#" title="<img>">a</a><img title="é &amp; &#x41;">',
    "<div class=jp-Notebook><div class=jp-OutputArea-output tabindex>x</div>",
    # <x/> opens and closes x, whatever came before; <x> stays open
    '<img src=a><img class="jp-Notebook" src="b"/><div class="jp-OutputArea-output">x</div>',
    '<p class="jp-Notebook"/><div class="jp-OutputArea-output">x</div></p>',
    '<p class="jp-Notebook"><div class="jp-OutputArea-output">x</div></p></img></br>',
    '<img class="jp-Notebook"></img><div class="jp-OutputArea-output">x</div>',
])
def test_the_scan_gives_the_tree_of_the_soup_pass(page):
    """The scan against nbconvert's pass as written out in _html._soup_pass."""
    ours, missing = _html.add_accessibility(page)
    stock, stock_missing = _html._soup_pass(page)
    assert _soup(ours) == stock and missing == stock_missing


def test_the_soup_pass_is_nbconverts():
    """_html._soup_pass (the fallback and the reference above) is what nbconvert does: the same
    page as nbconvert's exporter on the hostile notebook, given the template's output."""
    nb = _export._safe_notebook(_hostile_notebook(), keep_active_content=True)
    html, _ = _export.Exporters(("html",)).get()
    from nbconvert.exporters.templateexporter import TemplateExporter

    html.from_notebook_node(copy.deepcopy(nb), resources={"metadata": {"name": "Report"}})
    raw = TemplateExporter.from_notebook_node(html, copy.deepcopy(nb),
                                              resources={"metadata": {"name": "Report"}})[0]
    assert _html._soup_pass(raw)[0] == _stock(nb)


# ---------------------------------------------------------------- nbconvert's internals
NBCONVERT_FROM_NOTEBOOK_NODE = "3dccafff45cc4e749766089c7de2f5385ac071e03f4f5a15bfb3b025f54893b9"


def test_nbconverts_method_is_the_one_followed():
    """ReportHTMLExporter.from_notebook_node copies nbconvert 7.17's HTMLExporter method up to
    its template (filters highlight_code and filter_data_type, the private _init_resources and
    _nb_metadata) and replaces its BeautifulSoup pass. If nbconvert's method changed, read the
    new one, bring ReportHTMLExporter (and _soup_pass) in line, then update this digest."""
    source = inspect.getsource(HTMLExporter.from_notebook_node)
    assert hashlib.sha256(source.encode()).hexdigest() == NBCONVERT_FROM_NOTEBOOK_NODE, (
        "nbconvert's HTMLExporter.from_notebook_node changed: see this test's docstring")
    assert hasattr(HTMLExporter, "_init_resources")
    assert isinstance(HTMLExporter()._nb_metadata, dict)
    assert f'"{_html.ALT_TEXT}"' in source
    for selector in ('"img:not([alt])"', '".jp-Notebook div.jp-Cell-inputWrapper"',
                     '".jp-Notebook div.jp-OutputArea-output"'):
        assert selector in source


def test_void_elements_are_beautifulsoups():
    from bs4.builder import HTMLParserTreeBuilder

    assert set(HTMLParserTreeBuilder().empty_element_tags) == _html.VOID_ELEMENTS


# ---------------------------------------------------------------- made ahead, in a thread
def test_exporters_made_in_a_thread_give_the_same_pages(example_notebook):
    """Warmed exporters (a warm-up export, the Markdown cells rendered ahead) give the same
    HTML, byte for byte, as exporters made at once, and the same Markdown."""
    cells = _export._reading_order(copy.deepcopy(example_notebook)).cells
    warm = _export.Exporters().start(cells)
    html, md = warm.get()
    cold_html, cold_md = _export.Exporters().get()
    page = html.from_notebook_node(copy.deepcopy(example_notebook),
                                   resources={"metadata": {"name": "R"}})[0]
    assert html.markdown_hits >= sum(c.cell_type == "markdown" for c in cells) > 10
    assert page == cold_html.from_notebook_node(copy.deepcopy(example_notebook),
                                                resources={"metadata": {"name": "R"}})[0]
    assert (md.from_notebook_node(copy.deepcopy(example_notebook))[0]
            == cold_md.from_notebook_node(copy.deepcopy(example_notebook))[0])


def test_an_error_in_the_thread_is_raised_by_the_export(monkeypatch, tmp_path):
    def broken(self):
        raise RuntimeError("the exporters could not be made")

    monkeypatch.setattr(_export.Exporters, "_make", broken)
    exporters = _export.Exporters().start([new_markdown_cell("# a")])
    assert exporters._thread is not None and isinstance(exporters._thread, threading.Thread)
    with pytest.raises(RuntimeError, match="could not be made"):
        _export.write_exports(_hostile_notebook(), tmp_path, exporters=exporters)
    assert not (tmp_path / "report.html").exists()


def test_cancel_stops_the_thread_and_waits_for_it():
    cells = [new_markdown_cell(f"# Heading {k}\n\nText *{k}*.") for k in range(2000)]
    exporters = _export.Exporters().start(cells)
    exporters.cancel()
    assert not exporters._thread.is_alive()
    exporters.cancel()  # once ended: nothing to do

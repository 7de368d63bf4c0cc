"""Export an executed report notebook to HTML and Markdown with nbconvert."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["FORMATS", "escape_markdown_html", "export", "export_notebook"]

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


def _safe_notebook(nb: Any) -> Any:
    """A copy of ``nb`` in reading order, with the raw HTML in Markdown outputs escaped."""
    import copy

    nb = _reading_order(copy.deepcopy(nb))
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "text/markdown" in data:
                data["text/markdown"] = escape_markdown_html(data["text/markdown"])
    return nb


def export(
    nb: Any,
    out_dir: str | Path,
    *,
    formats: Sequence[str] = FORMATS,
    title: str = "Hyperparameter search report",
) -> dict[str, Path]:
    """Write an executed notebook as ``report.html`` and/or ``report.md``.

    Code cells are left out (only their outputs are kept). The HTML embeds
    figures as base64 ``<img>`` and loads nothing from the network (no
    MathJax, require.js or mermaid scripts); the Markdown file references PNG files
    written to ``report_files/`` beside it. Raw HTML in Markdown outputs is
    escaped (:func:`escape_markdown_html`).

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

    Returns
    -------
    dict of str to pathlib.Path
        Format → file written.

    Raises
    ------
    ValueError
        An unknown format.
    """
    from nbconvert import HTMLExporter, MarkdownExporter

    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise ValueError(
            f"Unknown report format(s) {unknown}: expected some of {list(FORMATS)}."
        )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    nb = _safe_notebook(nb)
    hide = {"exclude_input": True, "exclude_input_prompt": True, "exclude_output_prompt": True}
    written: dict[str, Path] = {}
    if "html" in formats:
        from jinja2 import DictLoader

        exporter = HTMLExporter(
            **hide,
            extra_loaders=[DictLoader({"hpo_insights_report.html.j2": _OFFLINE_TEMPLATE})],
            template_file="hpo_insights_report.html.j2",
        )
        body, _ = exporter.from_notebook_node(
            nb, resources={"metadata": {"name": title}}
        )
        path = out / "report.html"
        path.write_text(body, encoding="utf-8")
        written["html"] = path
    if "md" in formats:
        body, resources = MarkdownExporter(**hide).from_notebook_node(
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
    path: str | Path, out_dir: str | Path | None = None, *, formats: Sequence[str] = FORMATS
) -> dict[str, Path]:
    """Export a report notebook that was edited and re-run (``hpo-insights export``).

    Parameters
    ----------
    path : str or path-like
        An executed ``report.ipynb``.
    out_dir : str or path-like, optional
        Where to write; default: the notebook's folder.
    formats : sequence of {"html", "md"}
        Which files to write.

    Returns
    -------
    dict of str to pathlib.Path
        Format → file written.

    Raises
    ------
    hpo_insights.TrialsError
        The file is missing, is not a notebook, or has not been run (no outputs).
    """
    import nbformat

    from hpo_insights._errors import TrialsError

    path = Path(path)
    if not path.is_file():
        raise TrialsError(f"No such notebook: {str(path)!r}. Pass the report.ipynb to export.")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as error:  # nbformat raises several kinds for a file that is not JSON
        raise TrialsError(f"{str(path)!r} is not a Jupyter notebook ({error}).") from None
    if not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"):
        raise TrialsError(
            f"{str(path)!r} has no outputs: run it first (in Jupyter: Run All), then export."
        )
    title = next((c.source.lstrip("# ").strip() for c in nb.cells
                  if "title" in c.metadata.get("tags", [])), "Hyperparameter search report")
    return export(nb, out_dir if out_dir is not None else path.parent, formats=formats,
                  title=title)

"""Write a finished report: results.json (canonical), report.html (self-contained), report.md, tables/*.csv and
figures/*.svg (the Markdown report links them; the HTML report inlines them)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

import jinja2
import pandas as pd

from .._typing import PathLike
from ._files import formula_safe, inside, replace_folder, safe_stem, write_text_atomically
from .canonical import dumps
from .runner import Report

__all__ = ["write_report", "write_results"]


def _template(name: str, **options) -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("psychometrics.report", "."),
        autoescape=name.endswith(".html.j2"),
        keep_trailing_newline=True,
        **options,
    )
    env.filters["md"] = markdown_text
    return env.get_template(name)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")  # inline markup, links, table cells
_HTML_SPECIAL = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def markdown_text(value) -> str:
    """``value`` as literal Markdown inline text: HTML characters as entities, Markdown punctuation escaped,
    line breaks as spaces (so a title, label or cell cannot add markup, links, HTML or table columns)."""
    text = " ".join(str(value).split("\n"))
    text = "".join(_HTML_SPECIAL.get(c, c) for c in text)
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    text = re.sub(r"^(\s*)(#|[-+](?=[\s-]|$))", r"\1\\\2", text)  # a heading, bullet or rule
    return re.sub(r"^(\s*\d+)([.)])(?=\s|$)", r"\1\\\2", text)  # a numbered list


def _stem(section, name: str) -> str:
    """The file name (without suffix) of a table or figure: safe whatever group labels ``name`` holds."""
    return safe_stem(name if section.id == section.type else f"{section.id}_{name}")


def _table_view(table) -> dict:
    display = table.display
    index = display.index
    labelled = not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.name is None)
    return {
        "title": table.title,
        "note": table.note,
        "collapsed": table.collapsed,
        "header": ([display.index.name or ""] if labelled else []) + [str(c) for c in display.columns],
        "rows": [
            ([str(label)] if labelled else []) + [str(v) for v in row]
            for label, row in zip(display.index, display.to_numpy())
        ],
    }


def _section_view(section) -> dict:
    warnings = [f"{unit}: {w}" for unit, o in section.units.items() for w in o.warnings]
    return {
        "id": section.id,
        "title": section.title,
        "status": section.status,
        "errors": section.errors,
        "warnings": warnings,
        "text": section.rendered.text,
        "headline": section.rendered.headline,
        "tables": [_table_view(t) for t in section.rendered.tables],
        "figures": [
            {"title": title, "svg": svg, "file": f"figures/{_stem(section, name)}.svg"}
            for name, title, svg in section.rendered.figures
        ],
    }


def _view(report, results: dict) -> dict:
    return {
        "title": results["title"],
        "name": results["name"],
        "description": results["spec"].get("description", ""),
        "instrument": results["instrument"],
        "input": results["input"],
        "seed": results["seed"],
        "versions": results["versions"],
        "status": results["status"],
        "sections": [_section_view(s) for s in report.document],
    }


def write_results(report: Report, path: PathLike) -> Path:
    """Only the canonical results.json (what ``psychometrics snapshot`` writes), written atomically."""
    return write_text_atomically(Path(path), dumps(report.results()))


def write_report(
    report: Report, out_dir: PathLike, *, force: bool = False, inputs: Iterable[PathLike | None] = ()
) -> Path:
    """Write every output file of ``report`` into the folder ``out_dir``, replacing it whole (see _files).

    ``inputs`` are the run's input files (spec, data): an ``out_dir`` holding one is refused. A non-empty folder
    that psychometrics did not write is refused unless ``force``.
    """
    return replace_folder(
        out_dir, lambda folder: _write_files(report, folder), force=force, inputs=[*inputs, *_data_files(report)]
    )


def _data_files(report) -> list[Path]:
    """The data and instrument files the report's spec names."""
    spec = report.context.spec
    named = [spec.raw["data"].get("file"), spec.raw.get("instrument")]
    return [spec.resolve(name) for name in named if name is not None]


def _write_files(report, out: Path) -> None:
    (out / "tables").mkdir()
    (out / "figures").mkdir()
    results = report.results()
    write_results(report, out / "results.json")
    view = _view(report, results)
    css = resources.files(__package__).joinpath("report.css").read_text(encoding="utf-8")
    html = _template("report.html.j2").render(**view, css=css, run_time=f"{report.elapsed:.1f} s")
    (out / "report.html").write_text(html, encoding="utf-8")
    markdown = _template("report.md.j2", trim_blocks=True, lstrip_blocks=True).render(**view)
    (out / "report.md").write_text(markdown, encoding="utf-8")
    for section in report.document:
        for table in section.rendered.tables:
            formula_safe(table.numbers).to_csv(
                inside(out, "tables", f"{_stem(section, table.name)}.csv"), float_format="%.10g"
            )
        for name, _title, svg in section.rendered.figures:
            inside(out, "figures", f"{_stem(section, name)}.svg").write_text(svg, encoding="utf-8")

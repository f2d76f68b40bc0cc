"""Write a finished report: results.json (canonical), report.html (self-contained), report.md, tables/*.csv and
figures/*.svg (the Markdown report links them; the HTML report inlines them)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import jinja2
import pandas as pd

from .canonical import dumps

__all__ = ["write_report", "write_results"]


def _template(name: str, **options) -> jinja2.Template:
    env = jinja2.Environment(loader=jinja2.PackageLoader("psychometrics.report", "."),
                             autoescape=name.endswith(".html.j2"), keep_trailing_newline=True, **options)
    env.filters["md"] = lambda v: str(v).replace("|", "\\|").replace("\n", " ")
    return env.get_template(name)


def _stem(section, name: str) -> str:
    return name if section.id == section.type else f"{section.id}_{name}"


def _table_view(table) -> dict:
    display = table.display
    index = display.index
    labelled = not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.name is None)
    return {
        "title": table.title,
        "note": table.note,
        "collapsed": table.collapsed,
        "header": ([display.index.name or ""] if labelled else []) + [str(c) for c in display.columns],
        "rows": [([str(label)] if labelled else []) + [str(v) for v in row]
                 for label, row in zip(display.index, display.to_numpy())],
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
        "figures": [{"title": title, "svg": svg, "file": f"figures/{_stem(section, name)}.svg"}
                    for name, title, svg in section.rendered.figures],
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


def write_results(report, path) -> Path:
    """Only the canonical results.json (what ``psychometrics snapshot`` writes)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(report.results()), encoding="utf-8")
    return path


def write_report(report, out_dir) -> Path:
    """Write every output file of ``report`` into ``out_dir`` (created when missing)."""
    out = Path(out_dir)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(parents=True, exist_ok=True)
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
            table.numbers.to_csv(out / "tables" / f"{_stem(section, table.name)}.csv", float_format="%.10g")
        for name, _title, svg in section.rendered.figures:
            (out / "figures" / f"{_stem(section, name)}.svg").write_text(svg, encoding="utf-8")
    return out

"""The Methods section of a report, generated from the spec and the results: the data and their missing
answers, what each section estimated how and on how many respondents (with the equivalent R call), the software,
the checks made before the analyses, and the cut-offs the interpretations use with their references."""

from __future__ import annotations

import pandas as pd

from .sections import SECTIONS, Rendered
from .tables import make_table

__all__ = ["methods_section", "REFERENCE_VERSIONS"]

# The R packages every statistic is checked against (tests/reference/*.R) to 1e-4.
REFERENCE_VERSIONS = "R 4.2.2 with psych 2.2.9, lavaan 0.6-14 and semTools 0.5-6"


def _data_sentence(report) -> str:
    ctx = report.context
    instrument = f" of instrument {ctx.instrument['id']} version {ctx.instrument['version']}" if ctx.instrument else ""
    groups = f", in {len(ctx.groups)} groups by {ctx.label(ctx.group)}" if ctx.group else ""
    if ctx.spec.cluster:
        clusters = ctx.scored[ctx.spec.cluster]
        groups += f", nested in {clusters.nunique()} clusters by {ctx.label(ctx.spec.cluster)}"
    matrix = f" (a correlation matrix of n = {ctx.n_obs} respondents)" if ctx.is_correlation_matrix else ""
    return (
        f"Data: {ctx.input['source']}{instrument}, {ctx.input['rows']} rows{matrix}{groups} "
        f"(SHA-256 {ctx.input['sha256'][:16]}...)."
    )


def _software_sentence(report) -> str:
    versions = report.results()["versions"]
    packages = ", ".join(
        f"{name} {version}" for name, version in versions.items() if name not in ("psychometrics", "python") and version
    )
    return (
        f"Software: psychometrics {versions['psychometrics']} (Python {versions['python']}; {packages}); its "
        f"statistics equal those of {REFERENCE_VERSIONS} to 1e-4 (the R calls are named above). Random steps "
        f"(parallel analysis, bootstrap) use seed {report.context.spec.seed}."
    )


def _section_sentences(report) -> list[str]:
    lines = []
    for section in report.sections:
        succeeded = {u: o.payload for u, o in section.units.items() if o.payload is not None}
        analysis = next(a for a in report.context.spec.analyses if a["id"] == section.id)
        if succeeded:
            try:
                lines.extend(SECTIONS[section.type].methods(report.context, analysis, succeeded))
            except Exception as exc:  # noqa: BLE001 - the analysis itself is reported; its method is not described
                lines.append(f"{section.title}: the method could not be described ({type(exc).__name__}: {exc}).")
    return lines


def _cutoffs(report) -> pd.DataFrame:
    rows = dict.fromkeys(row for section in report.sections for row in SECTIONS[section.type].cutoffs)
    return pd.DataFrame(list(rows), columns=["criterion", "cut-off", "reference"])


def methods_section(report) -> Rendered:
    """What the Methods section shows: one paragraph per line of ``text`` and the table of cut-offs."""
    ctx = report.context
    # sections sharing a statement (merged categories, a caveat) state it once
    text = list(dict.fromkeys([_data_sentence(report), *_section_sentences(report), _software_sentence(report)]))
    text.extend(f"Check before the analyses: {check}" for check in ctx.checks)
    cutoffs = _cutoffs(report).set_index("criterion")
    tables = (
        [
            make_table(
                "methods_cutoffs",
                "Cut-offs used in the interpretations",
                cutoffs,
                display=cutoffs,
                note="A statistic that misses a cut-off is flagged, not hidden; the cut-offs are "
                "conventions, not tests.",
            )
        ]
        if len(cutoffs)
        else []
    )
    return Rendered(tables=tables, text=text, summary="estimators, missing data, n, software and cut-offs")

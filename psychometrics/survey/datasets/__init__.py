"""Bundled public reference data sets and the SIMULATED six-site peer-support survey (``peer_support_survey``).

``load(name)`` returns a fresh DataFrame (the caller may change it freely); ``describe(name)`` returns the source
and provenance. The CSV files were exported from the R packages named in ``data/README.md`` (R 4.2.2, psych 2.2.9,
psychTools 2.2.9, lavaan 0.6-14).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from collections.abc import Callable

import pandas as pd

from ...errors import DataError
from ..simulate import peer_support_true_values, truth_summary

__all__ = ["load", "describe", "names"]


@dataclass(frozen=True)
class _Entry:
    file: str
    description: str
    source: str
    index_col: int | None = None
    correlation: bool = False
    n_obs: int | None = None
    true_values: Callable[[], dict] | None = None  # population values of a simulated data set


_ENTRIES: dict[str, _Entry] = {
    "holzinger_swineford": _Entry(
        "HolzingerSwineford1939.csv",
        "Mental ability scores x1..x9 of 301 7th/8th graders from two schools (Pasteur, Grant-White), with sex, "
        "age and grade. 301 x 15.",
        "lavaan::HolzingerSwineford1939 (Holzinger & Swineford 1939; lavaan 0.6-14).",
    ),
    "political_democracy": _Entry(
        "PoliticalDemocracy.csv",
        "Industrialisation (x1-x3, 1960) and democracy (y1-y4 in 1960, y5-y8 in 1965) indicators of 75 "
        "developing countries. 75 x 11.",
        "lavaan::PoliticalDemocracy (Bollen 1989, Structural Equations with Latent Variables; lavaan 0.6-14).",
    ),
    "demo_growth": _Entry(
        "Demo.growth.csv",
        "Simulated growth data of lavaan's growth() help page: repeated measures t1-t4, time-invariant covariates "
        "x1, x2 and time-varying covariates c1-c4 of 400 cases. 400 x 10.",
        "lavaan::Demo.growth (simulated data bundled with lavaan 0.6-14).",
    ),
    "bfi": _Entry(
        "bfi.csv",
        "25 Big-Five personality items (1-6 Likert; A1-A5, C1-C5, E1-E5, N1-N5, O1-O5), gender (1 male, 2 female), "
        "education and age of 2800 SAPA respondents; the index is the SAPA respondent id. psych's keys: agree = "
        "-A1 A2 A3 A4 A5; conscientious = C1 C2 C3 -C4 -C5; extraversion = -E1 -E2 E3 E4 E5; neuroticism = "
        "N1..N5; openness = O1 -O2 O3 O4 -O5 (reverse-keyed items reversed as 7 - x).",
        "psychTools::bfi (Revelle, SAPA project; psychTools 2.2.9).",
        index_col=0,
    ),
    "shrout_fleiss": _Entry(
        "shrout_fleiss.csv",
        "6 targets rated by 4 judges (V1-V4). 6 x 4.",
        "Shrout & Fleiss (1979), Psychological Bulletin 86:420-428, Table 1 (as psych::sf).",
    ),
    "thurstone": _Entry(
        "Thurstone.csv",
        "Correlation matrix of 9 cognitive tests (n = 213) used by Bechtoldt (1961) and McDonald (1999).",
        "psych::Thurstone (psych 2.2.9).",
        index_col=0,
        correlation=True,
        n_obs=213,
    ),
    "harman_burt": _Entry(
        "Harman_Burt.csv",
        "Correlation matrix of 8 emotional traits (Burt 1915), n = 172.",
        "psych::Harman.Burt (Harman 1976, Modern Factor Analysis, p. 22).",
        index_col=0,
        correlation=True,
        n_obs=172,
    ),
    "harman_political": _Entry(
        "Harman_political.csv",
        "Correlation matrix of 8 political variables of 147 census tracts, n = 147.",
        "psych::Harman.political (Harman 1976, p. 166).",
        index_col=0,
        correlation=True,
        n_obs=147,
    ),
    "attitude": _Entry(
        "attitude.csv",
        "7 survey ratings (percent favourable) of 30 departments of a large organisation. 30 x 7.",
        "R datasets::attitude (Chatterjee & Price 1977).",
    ),
    "lsat6": _Entry(
        "lsat6.csv",
        "5 binary LSAT section 6 items of 1000 examinees (Q1-Q5).",
        "psych::lsat6 (Bock & Lieberman 1970).",
    ),
    "lsat7": _Entry(
        "lsat7.csv",
        "5 binary LSAT section 7 items of 1000 examinees (Q1-Q5).",
        "mirt::LSAT7 pattern frequencies (Bock & Lieberman 1970), expanded to one row per examinee.",
    ),
    "peer_support_survey": _Entry(
        "peer_support_survey.csv",
        truth_summary(),
        "Simulated by psychometrics.survey.simulate (committed, seeded generator; psychometrics.survey.simulate."
        "write_bundled_csv() rewrites the file byte-identically). Follows the instrument data_schema/peer_support_implementation.yaml.",
        true_values=peer_support_true_values,
    ),
}


def names() -> list[str]:
    """Names of the bundled data sets."""
    return sorted(_ENTRIES)


def _entry(name: str) -> _Entry:
    try:
        return _ENTRIES[name]
    except KeyError:
        raise DataError(f"unknown data set {name!r}; available: {', '.join(names())}.") from None


def load(name: str) -> pd.DataFrame:
    """Return the bundled data set ``name`` as a new DataFrame.

    Correlation matrices (``thurstone``, ``harman_burt``, ``harman_political``) are returned as square
    DataFrames labelled by variable; their sample size is in ``describe(name)``.
    """
    entry = _entry(name)
    with resources.files(__package__).joinpath("data", entry.file).open("rb") as handle:
        frame = pd.read_csv(handle, index_col=entry.index_col)
    if entry.correlation:
        frame.index = frame.columns
    return frame


def describe(name: str) -> dict:
    """Source, provenance and description of a bundled data set (``n_obs`` for correlation matrices; the
    population values ``true_values`` for a simulated data set)."""
    entry = _entry(name)
    extra = {"true_values": entry.true_values()} if entry.true_values is not None else {}
    return {
        "name": name,
        "file": entry.file,
        "description": entry.description,
        "source": entry.source,
        "correlation_matrix": entry.correlation,
        "n_obs": entry.n_obs,
        **extra,
    }

"""Multitrait-multimethod analysis (Campbell & Fiske 1959) and the CFA-MTMM correlated-uniqueness model.

Vocabulary (Campbell & Fiske 1959, Psychological Bulletin 56:81-105): the *validity diagonal* holds the
monotrait-heteromethod correlations (same trait, different methods); *heterotrait-monomethod* triangles hold the
correlations of different traits measured by the same method; *heterotrait-heteromethod* blocks hold the
correlations of different traits measured by different methods.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from typing import TypeAlias
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._checks import as_correlation_matrix, as_item_frame, looks_like_correlation_matrix
from .._results import Result
from ..errors import DataError, SpecError

__all__ = ["MTMMResult", "mtmm", "mtmm_model"]

_IDENTIFIER = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")  # a lavaan variable name
_CRITERIA = ["validity_gt_heterotrait_heteromethod", "validity_gt_heterotrait_monomethod", "pattern_agreement"]


@dataclasses.dataclass(frozen=True)
class _Design:
    """The trait x method layout: ``cell[(trait, method)]`` is the variable measuring that trait by that method."""

    traits: list
    methods: list
    cell: dict

    @property
    def variables(self) -> list:
        return [self.cell[(t, m)] for m in self.methods for t in self.traits]


#: ``r(trait1, method1, trait2, method2)``: the correlation of two cells of the design.
_Cell: TypeAlias = Callable[[Hashable, Hashable, Hashable, Hashable], float]


def _design(traits: Mapping, methods: Mapping) -> _Design:
    """Check that traits and methods label the same variables in a fully crossed design, one variable per cell."""
    if not isinstance(traits, Mapping) or not isinstance(methods, Mapping):
        raise SpecError("traits and methods must be mappings {variable: trait} and {variable: method}.")
    if set(traits) != set(methods):
        only_traits = sorted(set(traits) - set(methods), key=str)
        only_methods = sorted(set(methods) - set(traits), key=str)
        raise SpecError(
            f"traits and methods must label the same variables; without a method: {only_traits}, without a trait: "
            f"{only_methods}."
        )
    cell: dict = {}
    for variable in traits:
        key = (traits[variable], methods[variable])
        if key in cell:
            raise SpecError(
                f"variables {cell[key]!r} and {variable!r} both measure trait {key[0]!r} by method {key[1]!r}; "
                "give each trait-method combination one variable (average repeated measures first)."
            )
        cell[key] = variable
    trait_list = list(dict.fromkeys(traits.values()))
    method_list = list(dict.fromkeys(methods.values()))
    for trait in trait_list:
        used = [m for m in method_list if (trait, m) in cell]
        if len(used) < 2:
            raise SpecError(
                f"trait {trait!r} is measured by one method only ({used}); an MTMM analysis needs every trait "
                "measured by at least two methods."
            )
    if len(trait_list) < 2:
        raise SpecError(f"an MTMM analysis needs at least two traits; got {trait_list}.")
    missing = [(t, m) for t in trait_list for m in method_list if (t, m) not in cell]
    if missing:
        raise SpecError(
            f"the design is not fully crossed: no variable for (trait, method) {missing}; measure every trait "
            "by every method or drop the incomplete trait/method."
        )
    return _Design(trait_list, method_list, cell)


def _correlation_input(corr_or_data: pd.DataFrame, design: _Design) -> pd.DataFrame:
    """Correlations of the design's variables (a labelled correlation matrix, or Pearson correlations of data)."""
    if not hasattr(corr_or_data, "columns"):
        raise DataError("pass a labelled correlation matrix or a respondents x variables DataFrame.")
    unknown = [v for v in design.variables if v not in corr_or_data.columns]
    if unknown:
        raise DataError(
            f"variables {unknown} named in traits/methods are not columns of the data "
            f"({list(corr_or_data.columns)[:30]}); fix the names."
        )
    if looks_like_correlation_matrix(corr_or_data) and list(corr_or_data.index) == list(corr_or_data.columns):
        corr = corr_or_data.loc[design.variables, design.variables]
    else:
        corr = as_item_frame(corr_or_data.loc[:, design.variables], min_items=4).corr()
    return as_correlation_matrix(corr, name="MTMM correlation matrix")


def _pairs_table(design: _Design, corr: pd.DataFrame) -> pd.DataFrame:
    """Every pair of distinct variables, block by block, labelled with traits, methods and the Campbell-Fiske kind."""
    rows = []
    for m1, m2 in itertools.combinations_with_replacement(design.methods, 2):
        same = m1 == m2
        trait_pairs = itertools.combinations(design.traits, 2) if same else itertools.product(design.traits, repeat=2)
        for t1, t2 in trait_pairs:
            kind = "validity" if t1 == t2 else ("heterotrait_monomethod" if m1 == m2 else "heterotrait_heteromethod")
            x, y = design.cell[(t1, m1)], design.cell[(t2, m2)]
            rows.append(
                {
                    "kind": kind,
                    "method_1": m1,
                    "method_2": m2,
                    "trait_1": t1,
                    "trait_2": t2,
                    "x": x,
                    "y": y,
                    "r": float(corr.loc[x, y]),
                }
            )
    return pd.DataFrame(rows)


def _criterion_heteromethod(design: _Design, r: _Cell) -> tuple[int, int]:
    """Criterion 2: a validity value exceeds the other values of its row and column in its heteromethod block."""
    satisfied = total = 0
    for m1, m2 in itertools.combinations(design.methods, 2):
        for trait in design.traits:
            validity = r(trait, m1, trait, m2)
            others = [r(trait, m1, t, m2) for t in design.traits if t != trait]
            others += [r(t, m1, trait, m2) for t in design.traits if t != trait]
            satisfied += sum(validity > o for o in others)
            total += len(others)
    return satisfied, total


def _criterion_monomethod(design: _Design, r: _Cell) -> tuple[int, int]:
    """Criterion 3: a validity value exceeds the heterotrait-monomethod correlations of its two variables."""
    satisfied = total = 0
    for m1, m2 in itertools.combinations(design.methods, 2):
        for trait in design.traits:
            validity = r(trait, m1, trait, m2)
            others = [r(trait, m, t, m) for m in (m1, m2) for t in design.traits if t != trait]
            satisfied += sum(validity > o for o in others)
            total += len(others)
    return satisfied, total


def _heterotrait_triangles(design: _Design, r: _Cell) -> list[np.ndarray]:
    """Every heterotrait triangle as a vector over trait pairs: one per method, two per pair of methods."""
    trait_pairs = list(itertools.combinations(design.traits, 2))
    triangles = [np.array([r(a, m, b, m) for a, b in trait_pairs]) for m in design.methods]
    for m1, m2 in itertools.combinations(design.methods, 2):
        triangles.append(np.array([r(a, m1, b, m2) for a, b in trait_pairs]))
        triangles.append(np.array([r(b, m1, a, m2) for a, b in trait_pairs]))
    return triangles


def _criterion_pattern(design: _Design, r: _Cell) -> tuple[int, int]:
    """Criterion 4: the order of every two trait pairs is the same in every two heterotrait triangles."""
    signs = [np.sign(np.subtract.outer(t, t))[np.triu_indices(len(t), k=1)] for t in _heterotrait_triangles(design, r)]
    agreements = [int((a == b).sum()) for a, b in itertools.combinations(signs, 2)]
    return sum(agreements), len(agreements) * len(signs[0])


def _campbell_fiske(design: _Design, corr: pd.DataFrame) -> pd.DataFrame:
    def r(t1: Hashable, m1: Hashable, t2: Hashable, m2: Hashable) -> float:
        return float(corr.loc[design.cell[(t1, m1)], design.cell[(t2, m2)]])

    counts = [_criterion_heteromethod(design, r), _criterion_monomethod(design, r), _criterion_pattern(design, r)]
    table = pd.DataFrame(counts, index=_CRITERIA, columns=["satisfied", "total"])
    table["proportion"] = table["satisfied"] / table["total"].where(table["total"] > 0)
    return table


def _summary(pairs: pd.DataFrame, reliability: pd.Series | None) -> pd.DataFrame:
    summary = pairs.groupby("kind", sort=False)["r"].agg(["mean", "min", "max", "count"])
    summary = summary.reindex(["validity", "heterotrait_monomethod", "heterotrait_heteromethod"])
    if reliability is not None:
        row = pd.DataFrame(
            {"mean": reliability.mean(), "min": reliability.min(), "max": reliability.max(), "count": len(reliability)},
            index=["reliability"],
        )
        summary = pd.concat([row, summary])
    return summary.rename_axis("kind")


def _reliability_diagonal(reliabilities: Mapping | npt.ArrayLike | None, design: _Design) -> pd.Series | None:
    if reliabilities is None:
        return None
    values = pd.Series(reliabilities, dtype=float)
    missing = [v for v in design.variables if v not in values.index]
    if missing:
        raise DataError(f"reliabilities has no value for variable(s) {missing}; give one per MTMM variable.")
    values = values.loc[design.variables]
    bad = values[~((values > 0) & (values <= 1))]
    if len(bad):
        raise DataError(f"reliability of {bad.index[0]!r} is {bad.iloc[0]!r}; reliabilities must lie in (0, 1].")
    return values.rename("reliability")


@dataclasses.dataclass(frozen=True, repr=False)
class MTMMResult(Result):
    """Campbell-Fiske multitrait-multimethod analysis.

    Attributes
    ----------
    correlation : the variables' correlation matrix, ordered method by method.
    validity_diagonal : monotrait-heteromethod correlations, indexed by (trait, method_1, method_2); columns x, y, r.
    blocks : the heterotrait-monomethod triangles and heterotrait-heteromethod blocks, one row per correlation
        (columns kind, method_1, method_2, trait_1, trait_2, x, y, r).
    summary : mean, min, max and count of each kind (reliability when given, validity, heterotrait_monomethod,
        heterotrait_heteromethod).
    campbell_fiske : satisfied / total comparisons and their proportion for criteria 2, 3 and 4.
    reliability_diagonal : the reliabilities (monotrait-monomethod values) when given, else None.
    cfa : the CFA-MTMM fit (correlated traits, correlated uniqueness) when requested, else None.
    """

    correlation: pd.DataFrame
    validity_diagonal: pd.DataFrame
    blocks: pd.DataFrame
    campbell_fiske: pd.DataFrame
    # The issue names this field ``summary``: it shadows Result.summary() (the repr) on instances, and needs a
    # default because the inherited method would otherwise count as one.
    summary: pd.DataFrame | None = None  # type: ignore[assignment]
    reliability_diagonal: pd.Series | None = None
    cfa: object | None = None

    def to_frame(self) -> pd.DataFrame:
        return self.campbell_fiske.copy()


def mtmm(
    corr_or_data: pd.DataFrame,
    traits: Mapping,
    methods: Mapping,
    reliabilities: Mapping | npt.ArrayLike | None = None,
    fit_cfa: bool = False,
    **cfa_options: Any,
) -> MTMMResult:
    """Multitrait-multimethod analysis of Campbell & Fiske (1959).

    Parameters
    ----------
    corr_or_data : a labelled correlation matrix, or respondents x variables data (Pearson, pairwise complete).
    traits, methods : mappings {variable: trait} and {variable: method}; a fully crossed design with one variable
        per trait and method, every trait measured by at least two methods.
    reliabilities : optional mapping {variable: reliability}, the monotrait-monomethod diagonal.
    fit_cfa : also fit the CFA-MTMM correlated-traits correlated-uniqueness model (:func:`mtmm_model`) with
        :func:`psychometrics.cfa` (needs raw data); ``cfa_options`` are passed on.

    Notes
    -----
    Criteria (each counted as comparisons, ``satisfied`` of ``total``):

    * 2, ``validity_gt_heterotrait_heteromethod``: each validity value against the other values of its row and of
      its column in its heterotrait-heteromethod block (2 (t - 1) comparisons per validity value);
    * 3, ``validity_gt_heterotrait_monomethod``: each validity value against the heterotrait-monomethod
      correlations of its two variables (2 (t - 1) comparisons);
    * 4, ``pattern_agreement``: for every two heterotrait triangles (one per method, two per heteromethod block) and
      every two trait pairs, whether the two triangles order the trait pairs the same way.

    There is no single R function; ``psych::corr.test`` gives the matrix, the criteria are counted by hand.

    References
    ----------
    Campbell, D. T., & Fiske, D. W. (1959). Convergent and discriminant validation by the multitrait-multimethod matrix. Psychological Bulletin, 56, 81-105.

    Examples
    --------
    >>> import psychometrics as pm
    >>> hs = pm.datasets.load("holzinger_swineford")
    >>> traits = {"x1": "visual", "x2": "visual", "x4": "verbal", "x5": "verbal"}
    >>> methods = {"x1": "m1", "x2": "m2", "x4": "m1", "x5": "m2"}
    >>> res = pm.mtmm(hs[["x1", "x2", "x4", "x5"]], traits, methods)
    >>> res.validity_diagonal["r"].round(4).tolist()
    [0.2973, 0.7332]
    """
    design = _design(traits, methods)
    corr = _correlation_input(corr_or_data, design)
    pairs = _pairs_table(design, corr)
    validity = pairs[pairs["kind"] == "validity"].set_index(["trait_1", "method_1", "method_2"])[["x", "y", "r"]]
    validity = validity.rename_axis(["trait", "method_1", "method_2"])
    validity = validity.loc[design.traits]
    reliability = _reliability_diagonal(reliabilities, design)
    cfa_fit = None
    if fit_cfa:
        if looks_like_correlation_matrix(corr_or_data):
            raise DataError("fit_cfa=True needs the raw data, not a correlation matrix.")
        from ..sem.cfa import cfa

        cfa_fit = cfa(mtmm_model(traits, methods), corr_or_data.loc[:, design.variables], **cfa_options)
    return MTMMResult(
        correlation=corr,
        validity_diagonal=validity,
        blocks=pairs[pairs["kind"] != "validity"].reset_index(drop=True),
        summary=_summary(pairs, reliability),
        campbell_fiske=_campbell_fiske(design, corr),
        reliability_diagonal=reliability,
        cfa=cfa_fit,
    )


def mtmm_model(traits: Mapping, methods: Mapping) -> str:
    """lavaan syntax of the CFA-MTMM correlated-traits correlated-uniqueness model (Marsh 1989).

    One latent trait per trait (named after it) measured by its variables under every method; traits correlate
    (the cfa default); the residuals of variables sharing a method correlate. Example: traits A, B and methods 1, 2
    give ``A =~ A1 + A2``, ``B =~ B1 + B2``, ``A1 ~~ B1``, ``A2 ~~ B2``.

    Parameters
    ----------
    traits : Mapping
        Variable -> trait.
    methods : Mapping
        Variable -> method.

    Returns
    -------
    str
        lavaan model syntax for :func:`psychometrics.cfa`.

    References
    ----------
    Marsh, H. W. (1989). Confirmatory factor analyses of multitrait-multimethod data: Many problems and a few solutions. Applied Psychological Measurement, 13, 335-361.

    Examples
    --------
    >>> import psychometrics as pm
    >>> traits = {"x1": "visual", "x2": "visual", "x4": "verbal", "x5": "verbal"}
    >>> methods = {"x1": "m1", "x2": "m2", "x4": "m1", "x5": "m2"}
    >>> print(pm.mtmm_model(traits, methods))
    visual =~ x1 + x2
    verbal =~ x4 + x5
    x1 ~~ x4
    x2 ~~ x5
    """
    design = _design(traits, methods)
    names = [str(t) for t in design.traits]
    bad = [t for t in names if not _IDENTIFIER.match(t) or t in design.variables]
    if bad:
        raise SpecError(
            f"trait label(s) {bad} cannot name a latent variable (letters, digits, '_' and '.', and not a variable "
            "name); rename the traits."
        )
    lines = [f"{t} =~ " + " + ".join(design.cell[(t, m)] for m in design.methods) for t in design.traits]
    for method in design.methods:
        variables = [design.cell[(t, method)] for t in design.traits]
        lines += [f"{a} ~~ " + " + ".join(variables[k + 1 :]) for k, a in enumerate(variables[:-1])]
    return "\n".join(lines)

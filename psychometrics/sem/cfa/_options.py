"""Estimators as option sets, resolved in one place (as lavaan 0.6-14's lav_options_set for ``estimator=``).

An estimator name stands for four choices: the discrepancy function minimised (``ML``, ``ULS``, ``DWLS``,
``WLS``), the standard errors (``standard``: the inverted information; ``robust.sem``: the sandwich around the
expected information with the sample NACOV Gamma as meat; ``robust.huber.white``: the sandwich around the
observed information with the casewise first-order information as meat), the test statistic (``standard``,
``satorra.bentler``, ``yuan.bentler.mplus``, ``scaled.shifted``, ``mean.var.adjusted``) and the information
matrix the standard errors start from (``expected`` or ``observed``). The rest of the engine reads only these
fields, never the name: adding an estimator means adding a row below (and, at most, a discrepancy).

lavaan's names and their options (lav_options_set, lavaan 0.6-14):

========== ============ ================== ================== ===========
name       discrepancy  se                 test               information
========== ============ ================== ================== ===========
ML         ML           standard           standard           expected (observed with missing = "ml")
MLM        ML           robust.sem         satorra.bentler    expected
MLMV       ML           robust.sem         scaled.shifted     expected
MLR        ML           robust.huber.white yuan.bentler.mplus observed
ULS        ULS          standard           standard           expected
DWLS       DWLS         standard           standard           expected
WLS        WLS          standard           standard           expected
ULSMV      ULS          robust.sem         scaled.shifted     expected
WLSMV      DWLS         robust.sem         scaled.shifted     expected
========== ============ ================== ================== ===========
"""

from __future__ import annotations

import dataclasses

from ...errors import DataError, ModelError

DISCREPANCIES = ("ML", "ULS", "DWLS", "WLS")
SE_TYPES = ("standard", "robust.sem", "robust.huber.white")
TESTS = ("standard", "satorra.bentler", "yuan.bentler.mplus", "scaled.shifted", "mean.var.adjusted")
MISSING = ("listwise", "fiml", "ml")
ORDINAL_MISSING = ("listwise", "pairwise")  # ordered items: complete cases or lavaan's pairwise-present statistics

#: name -> (discrepancy, se, test, information)
_OPTION_SETS = {
    "ML": ("ML", "standard", "standard", "expected"),
    "MLM": ("ML", "robust.sem", "satorra.bentler", "expected"),
    "MLMV": ("ML", "robust.sem", "scaled.shifted", "expected"),
    "MLR": ("ML", "robust.huber.white", "yuan.bentler.mplus", "observed"),
    "ULS": ("ULS", "standard", "standard", "expected"),
    "DWLS": ("DWLS", "standard", "standard", "expected"),
    "WLS": ("WLS", "standard", "standard", "expected"),
    "ULSMV": ("ULS", "robust.sem", "scaled.shifted", "expected"),
    "WLSMV": ("DWLS", "robust.sem", "scaled.shifted", "expected"),
}
CONTINUOUS_ESTIMATORS = ("ML", "MLM", "MLMV", "MLR", "ULS", "DWLS", "WLS")
ORDINAL_ESTIMATORS = ("WLSMV", "ULSMV", "DWLS", "WLS")
FIML_ESTIMATORS = ("ML", "MLR")


@dataclasses.dataclass(frozen=True)
class EstimatorOptions:
    """The resolved options of one fit (see the module docstring). ``name`` is the estimator as the user wrote it
    (lavaan's default for ordered items, WLSMV, when "ML" was left as the default)."""

    name: str
    discrepancy: str
    se: str
    test: str
    information: str
    categorical: bool = False
    fiml: bool = False

    @property
    def scaled(self) -> bool:
        """Whether a scaled (robust) test statistic is computed besides the standard one."""
        return self.test != "standard"

    @property
    def likelihood(self) -> bool:
        """Whether the discrepancy is a likelihood (log-likelihoods, AIC/BIC; lavaan's ML fits)."""
        return self.discrepancy == "ML"


def resolve_estimator(estimator: str, *, categorical: bool, missing: str = "listwise") -> EstimatorOptions:
    """The option set of ``estimator`` for continuous or ordered (``categorical``) items and ``missing``."""
    choices = MISSING + ORDINAL_MISSING[1:]
    if missing not in choices:
        raise DataError(f"missing must be one of {', '.join(map(repr, choices))}; got {missing!r}")
    fiml = missing in ("fiml", "ml")
    if categorical:
        name = "WLSMV" if estimator == "ML" else estimator  # lavaan's default for ordered data
        if name not in ORDINAL_ESTIMATORS:
            raise ModelError(
                f"estimator {estimator!r} is not available for ordered items; use one of "
                f"{', '.join(ORDINAL_ESTIMATORS)} (WLSMV, the default)"
            )
        if fiml:
            raise ModelError(
                f"missing={missing!r} is not available for ordered items; use 'pairwise' (lavaan's "
                "pairwise-present thresholds and polychoric correlations) or 'listwise' (complete cases)"
            )
    else:
        name = estimator
        if name not in CONTINUOUS_ESTIMATORS:
            raise DataError(
                f"estimator must be one of {', '.join(map(repr, CONTINUOUS_ESTIMATORS))} for continuous "
                f"items (or ordered=... for {', '.join(ORDINAL_ESTIMATORS)}); got {estimator!r}"
            )
        if missing == "pairwise":
            raise DataError(
                "missing='pairwise' is for ordered items (ordered=...); with continuous items use "
                "missing='fiml' (full-information ML on every answer) or 'listwise'"
            )
        if fiml and name not in FIML_ESTIMATORS:
            raise DataError(
                f"estimator={name!r} needs complete data; with missing={missing!r} use "
                f"{' or '.join(map(repr, FIML_ESTIMATORS))}"
            )
    discrepancy, se, test, information = _OPTION_SETS[name]
    if fiml:
        information = "observed"  # lavaan's default with missing = "ml"
    return EstimatorOptions(name, discrepancy, se, test, information, categorical, fiml)

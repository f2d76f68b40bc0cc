"""The frozen result of :func:`psychometrics.cfa`."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from ..._results import Result
from ..._checks import check_label
from ...errors import ModelError
from ._estimation import Problem
from ._modindices import modification_indices
from ._partable import parameter_names
from ._predict import predict
from ._score_test import ScoreTestResult, score_test
from ._standardized import standardized_solution
from ._summary import summary_html, summary_text

T = TypeVar("T")

# ci_lower/ci_upper mirror lavaan's ci.lower/ci.upper (issue 13's contract); ci_low/ci_high carry the same values
# under the package-wide interval names (psychometrics._results), so code written for either convention works.
ESTIMATE_COLUMNS = (
    "lhs",
    "op",
    "rhs",
    "group",
    "label",
    "free",
    "est",
    "se",
    "z",
    "pvalue",
    "ci_lower",
    "ci_upper",
    "ci_low",
    "ci_high",
    "std_lv",
    "std_all",
)


@dataclasses.dataclass(frozen=True, repr=False)
class CFAResult(Result):
    """A fitted confirmatory factor / structural equation model (lavaan's fitted object).

    Fields: ``fit_measures`` (lavaan's fitMeasures), ``estimates`` (parameterEstimates joined with
    standardizedSolution std.lv and std.all; the interval is in ``ci_lower``/``ci_upper``, lavaan's ci.lower/ci.upper,
    and again in ``ci_low``/``ci_high``, the package's interval names), ``converged``, ``iterations``, ``n_obs`` (int, or dict group ->
    N), ``groups`` (labels; ``[1]`` for one group as lavaan), ``latent_variables``, ``observed_variables``,
    ``estimator``, ``chisq_by_group`` (each group's contribution to the chi-square), ``model`` (the syntax).
    """

    fit_measures: dict[str, float]
    estimates: pd.DataFrame
    converged: bool
    iterations: int
    n_obs: Any
    groups: list
    latent_variables: list[str]
    observed_variables: list[str]
    estimator: str
    chisq_by_group: dict
    model: str
    _problem: Problem = dataclasses.field(compare=False)
    _x: np.ndarray = dataclasses.field(compare=False)
    _vcov: Any = dataclasses.field(compare=False)  # an array, or _robust.FactoredCovariance (np.asarray forms it)
    _options: dict = dataclasses.field(compare=False)
    _table: dict = dataclasses.field(compare=False)
    _tests: tuple = dataclasses.field(compare=False, default=())
    _baseline_tests: tuple = dataclasses.field(compare=False, default=())

    def _repr_fields(self) -> list[str]:
        keys = ("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr")
        fits = ", ".join(f"{k}={self.fit_measures[k]:.4g}" for k in keys)
        shown = self.estimates[["lhs", "op", "rhs", "group", "est", "se", "std_all"]].round(3).to_string(max_rows=40)
        return [
            f"  converged: {self.converged} ({self.iterations} iterations), n_obs: {self.n_obs}",
            f"  fit: {fits}",
            "  estimates:\n    " + shown.replace("\n", "\n    "),
        ]

    def partable(self) -> pd.DataFrame:
        """The full parameter table (lavaan's parTable plus the estimates): lhs, op, rhs, group (index), user,
        free, ustart, label, start, x (free-parameter index, -1 fixed; shared by equal parameters), matrix, row,
        col, exo, line, column, est, se, z, pvalue, ci_lower, ci_upper, ci_low, ci_high (the same interval), std_lv,
        std_all. ``estimates`` is its
        public view."""
        return pd.DataFrame({name: np.array(values, copy=True) for name, values in self._table.items()})

    def test_statistics(self) -> dict:
        """The test records (lavaan's lavInspect(fit, "test")): name -> dict(statistic, df, scaling_factor, shift,
        pvalue), the standard test first."""
        return {
            t.test: {
                "statistic": t.statistic,
                "df": t.df,
                "scaling_factor": t.scaling_factor,
                "shift": t.shift,
                "pvalue": t.pvalue,
            }
            for t in self._tests
        }

    def to_frame(self) -> pd.DataFrame:
        """The parameter estimates (same as ``estimates``)."""
        return self.estimates.copy()

    def vcov(self) -> pd.DataFrame:
        """Covariance matrix of the free parameters, labelled by parameter: the inverse expected information (ML,
        ULS, DWLS, WLS), the inverse observed information (FIML), the robust.sem sandwich (MLM, MLMV, WLSMV,
        ULSMV) or the Huber-White sandwich (MLR)."""
        names = parameter_names(self._problem.model.table, self.groups)
        return pd.DataFrame(np.asarray(self._vcov), index=names, columns=names)

    def _group_index(self, group: Hashable | None) -> int:
        if group is None:
            return 0
        if check_label(group, name="group", error=ModelError) in self.groups:
            return self.groups.index(group)
        raise ModelError(f"group {group!r} is not one of the fitted groups {self.groups}")

    def _per_group(self, group: Hashable | None, build: Callable[[int], T]) -> T | dict[Hashable, T]:
        if group is None and len(self.groups) > 1:
            return {label: build(i) for i, label in enumerate(self.groups)}
        return build(self._group_index(group))

    def _labelled(self, values: np.ndarray) -> pd.DataFrame:
        names = self.observed_variables
        return pd.DataFrame(values, index=names, columns=names, copy=True)

    def implied_cov(self, group: Hashable | None = None) -> pd.DataFrame | dict[Hashable, pd.DataFrame]:
        """Model-implied covariance matrix (a dict group -> DataFrame for several groups and ``group=None``)."""
        return self._per_group(group, lambda g: self._labelled(self._problem.model.matrices(self._x, g).sigma()))

    def implied_mean(self, group: Hashable | None = None) -> pd.Series | dict[Hashable, pd.Series]:
        """Model-implied means (Series), or a dict of them by group."""

        def build(g: int) -> pd.Series:
            return pd.Series(self._problem.model.matrices(self._x, g).mu(), index=self.observed_variables, copy=True)

        return self._per_group(group, build)

    def sample_cov(self, group: Hashable | None = None) -> pd.DataFrame | dict[Hashable, pd.DataFrame]:
        """The ML sample covariance (divisor N, as lavaan's sampstat) of each group."""
        return self._per_group(group, lambda g: self._labelled(self._problem.stats[g].cov))

    def residuals(self, group: Hashable | None = None) -> pd.DataFrame | dict[Hashable, pd.DataFrame]:
        """Raw residuals ``S - Sigma`` (lavaan's residuals(fit, type = "raw")$cov)."""
        return self._per_group(
            group,
            lambda g: self._labelled(self._problem.stats[g].cov - self._problem.model.matrices(self._x, g).sigma()),
        )

    def model_matrices(
        self, group: Hashable | None = None
    ) -> dict[str, pd.DataFrame] | dict[Hashable, dict[str, pd.DataFrame]]:
        """LISREL matrices lambda, theta, psi, beta, nu, alpha as labelled DataFrames (lavaan's inspect(fit, "est")).

        Observed variables in regressions appear among the latent columns as their phantom latent variables.
        """

        def build(g: int) -> dict[str, pd.DataFrame]:
            mats = self._problem.model.matrices(self._x, g)
            ov, lv = self.observed_variables, list(self._options["variables"].structural)
            return {
                "lambda": pd.DataFrame(mats.lambda_, index=ov, columns=lv, copy=True),
                "theta": pd.DataFrame(mats.theta, index=ov, columns=ov, copy=True),
                "psi": pd.DataFrame(mats.psi, index=lv, columns=lv, copy=True),
                "beta": pd.DataFrame(mats.beta, index=lv, columns=lv, copy=True),
                "nu": pd.DataFrame({"intercept": mats.nu}, index=ov),
                "alpha": pd.DataFrame({"intercept": mats.alpha}, index=lv),
            }

        return self._per_group(group, build)

    def modification_indices(self, *, sort: bool = False, minimum: float = 0.0) -> pd.DataFrame:
        """lavaan's modindices(): score tests for every fixed or absent parameter (mi, epc, sepc_lv, sepc_all)."""
        if self._options.get("ordered"):
            raise ModelError(f"modification indices are not available for ordered items ({self.estimator} fits)")
        if not self._options["estimator"].likelihood:
            raise ModelError(
                f"modification indices need an ML estimator (ML, MLM, MLMV, MLR); this fit used {self.estimator}"
            )
        table = modification_indices(self)
        if minimum > 0:
            table = table[table["mi"] > minimum]
        if sort:
            table = table.sort_values("mi", ascending=False, kind="stable")
        return table.reset_index(drop=True)

    def standardized_solution(self, type: str = "std.all", confidence: float | None = None) -> pd.DataFrame:
        """lavaan's standardizedSolution(fit, type = type, level = confidence): lhs, op, rhs, (group), est_std, se,
        z, pvalue, ci_lower, ci_upper (lavaan's ci.lower, ci.upper), ci_low, ci_high (the same interval under the
        package's names), with delta-method standard errors; ``type`` is "std.all", "std.lv" or
        "std.nox"; the interval is at ``confidence`` (default: the fit's ``confidence=``; see
        ``psychometrics.sem.cfa._standardized``)."""
        return standardized_solution(self, type, confidence)

    def predict(
        self,
        data: pd.DataFrame | None = None,
        method: str = "regression",
        *,
        group: str | None = None,
        type: str = "lv",
    ) -> pd.DataFrame:
        """Factor scores as lavaan's lavPredict(fit, newdata = data, method = method): one column per latent
        variable. ``method``: "regression" (lavaan's default) or "bartlett". ``data=None``: the fitted complete
        cases (index 0..N-1, or (group, case) for several groups); with ``data`` its index is kept (``group``:
        the group column of a multi-group fit). A row with a missing value gets NaN scores, except for FIML fits
        whose scores use each row's observed variables. ``type="ov"``: the observed variables' predicted values
        instead (lavPredict(fit, type = "ov")); see ``psychometrics.sem.cfa._predict``. For ordered items: the EBM
        scores (the posterior modes, lavPredict's default for them; ``method="regression"``) or with
        ``method="bartlett"`` lavaan's ML scores, from each respondent's answered items (see
        ``psychometrics.sem.cfa._predict_ordered``)."""
        return predict(self, data, method, group, type)

    def summary(self) -> str:
        """A text summary laid out like lavaan's summary(fit, fit.measures = TRUE, standardized = TRUE)
        (see ``psychometrics.sem.cfa._summary``); print() it."""
        return summary_text(self)

    def _repr_html_(self) -> str:
        """Fit measures and parameter estimates as HTML tables (shown by Jupyter)."""
        return summary_html(self)

    def score_test(self, add: str | None = None) -> ScoreTestResult:
        """lavaan's lavTestScore(fit, add = add, cumulative = TRUE): score tests for releasing the equality
        constraints (a == b, shared labels, group_equal), or with ``add`` (lavaan syntax such as
        "visual =~ x9") for freeing those new parameters; see ``psychometrics.sem.cfa._score_test``."""
        return score_test(self, add)

"""Test statistics as records: (statistic, df, scaling factor, shift), as lavaan 0.6-14's lavaan@test entries.

Every scaled test is a function of the standard statistic ``T`` and the traces of ``U Gamma`` (lavaan's
lav_test_satorra_bentler; Satorra & Bentler 1994, Asparouhov & Muthen 2010):

- satorra.bentler and yuan.bentler.mplus: ``c = tr(U Gamma) / df``, ``T / c`` on ``df`` (the two differ in how the
  trace is computed: ``U Gamma`` from the expected information and the NACOV, or Yuan & Bentler's (2000)
  ``tr(A1^-1 B1) - tr(A^-1 B0)``);
- mean.var.adjusted: ``df* = tr(U Gamma)^2 / tr((U Gamma)^2)``, ``c = tr(U Gamma) / df*``, ``T / c`` on ``df*``;
- scaled.shifted: ``a = sqrt(df / tr((U Gamma)^2))``, ``a T + df - a tr(U Gamma)`` on ``df`` (scaling factor
  ``1 / a``, shift ``df - a tr(U Gamma)``).

With ``df = 0`` a scaled test equals the standard one (scaling factor NaN; lavaan). The fit measures
(``_fitmeasures``) read only these records, of the model and of its baseline.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import special


def chisq_pvalue(x2: float, df: float) -> float:
    """Upper chi-square tail, as scipy.stats.chi2.sf (which calls the same special.chdtrc) without its overhead."""
    return float(special.chdtrc(df, x2)) if df > 0 else np.nan


@dataclasses.dataclass(frozen=True)
class TestStatistic:
    """One test statistic of a fit: ``test`` (lavaan's name), ``statistic``, ``df``, ``scaling_factor`` (NaN for
    the standard test), ``shift`` (scaled.shifted only), ``trace`` (tr(U Gamma)), ``standard``, the unscaled
    statistic it was computed from, and for yuan.bentler.mplus the mean traces of its unrestricted (h1) and model
    (h0) parts (lavaan's scaling.factor.h1/h0)."""

    __test__ = False  # not a pytest test class

    test: str
    statistic: float
    df: float
    scaling_factor: float = np.nan
    shift: float = np.nan
    trace: float = np.nan
    standard: float = np.nan
    scaling_factor_h1: float = np.nan
    scaling_factor_h0: float = np.nan

    has_pvalue: bool = True

    @property
    def pvalue(self) -> float:
        """Upper chi-square tail; NaN for ULS's standard test (lavaan: no reference distribution)."""
        return chisq_pvalue(self.statistic, self.df) if self.has_pvalue else np.nan

    @property
    def c_hat(self) -> float:
        """The factor lavaan's robust indices use (lav_fit_cfi/rmsea c.hat): the scaling factor, 1 when absent."""
        return self.scaling_factor if np.isfinite(self.scaling_factor) else 1.0


def standard_test(chisq: float, df: float, has_pvalue: bool = True) -> TestStatistic:
    chisq = max(float(chisq), 0.0)
    return TestStatistic("standard", chisq, df, standard=chisq, has_pvalue=has_pvalue)


def scaled_test(test: str, standard: TestStatistic, trace: float, trace2: float = np.nan) -> TestStatistic:
    """The scaled record of ``test`` from the standard one and tr(U Gamma), tr((U Gamma)^2)."""
    chisq, df = standard.statistic, standard.df
    if df <= 0:  # lavaan returns the standard statistic without a trace
        return TestStatistic(test, chisq, df, np.nan, np.nan, np.nan, chisq)
    if test in ("satorra.bentler", "yuan.bentler.mplus"):
        c = trace / df
        c = c if c >= 0 else np.nan
        return TestStatistic(test, chisq / c, df, c, np.nan, trace, chisq)
    if test == "mean.var.adjusted":
        df_adjusted = trace**2 / trace2
        c = trace / df_adjusted
        return TestStatistic(test, chisq / c, df_adjusted, c, np.nan, trace, chisq)
    if test == "scaled.shifted":
        a = np.sqrt(df / trace2)
        shift = df - a * trace
        return TestStatistic(test, a * chisq + shift, df, 1 / a, shift, trace, chisq)
    raise ValueError(f"unknown test {test!r}")


def ugamma_traces(v_blocks, deltas, gammas, fractions, e_inv) -> tuple[float, float]:
    """tr(U Gamma) and tr((U Gamma)^2) of lavaan's lav_test_satorra_bentler_trace_original: ``U = V - V Delta
    E^-1 Delta' V`` with ``V = bdiag(f_g V_g)``, ``Gamma = bdiag(Gamma_g / f_g)`` and ``E`` the unit information
    ``sum_g f_g Delta_g' V_g Delta_g``. ``v_blocks``: each group's weight matrix (or its diagonal).

    Block by block, with ``C_g = V_g Gamma_g / f_g`` (= W_g Gamma_g), ``Y_g = f_g V_g Delta_g`` and ``Z_g = Gamma_g
    Y_g / f_g``: ``U Gamma = bdiag(C_g) - Y E^-1 Z'``, so ``tr(U Gamma) = sum_g tr(C_g) - tr(E^-1 B)`` and
    ``tr((U Gamma)^2) = sum_g tr(C_g^2) - 2 tr(E^-1 sum_g Z_g' C_g Y_g) + tr((E^-1 B)^2)`` with ``B = sum_g Z_g'
    Y_g``; no moments-sized matrix is formed."""
    trace = trace2 = 0.0
    b = np.zeros_like(e_inv)
    zcy = np.zeros_like(e_inv)
    for f, w, d, gamma in zip(fractions, v_blocks, deltas, gammas):
        c = w[:, None] * gamma if w.ndim == 1 else w @ gamma
        y = f * (w[:, None] * d if w.ndim == 1 else w @ d)
        z = gamma @ y / f
        trace += float(np.trace(c))
        trace2 += float(np.sum(c * c.T))
        b += z.T @ y
        zcy += z.T @ c @ y
    eb = e_inv @ b
    trace -= float(np.trace(eb))
    cross = float(np.sum(e_inv * zcy.T))
    trace2 += float(np.sum(eb * eb.T)) - 2 * cross
    return trace, trace2


def block_diag(blocks) -> np.ndarray:
    size = sum(len(b) for b in blocks)
    out, start = np.zeros((size, size)), 0
    for b in blocks:
        out[start : start + len(b), start : start + len(b)] = b
        start += len(b)
    return out

"""Confirmatory factor analysis and structural equation models estimated as lavaan 0.6-14 does.

Complete-data normal-theory ML (lavaan's cfa()/sem() defaults: marker variables or std_lv, auto.fix.single,
free exogenous latent covariances and covariances among pure dependents, fixed.x for observed covariates,
mean structure with groups or intercepts), multi-group equality constraints (labels, group_equal,
group_partial), lavaan's fit measures, expected-information standard errors, standardised solutions and
modification indices.

The engine: ``_partable`` (lavaan's parameter table and defaults), ``_model`` (LISREL matrices, implied moments
and their analytic Jacobian), ``_samplestats`` (per-group moments), ``_estimation`` (discrepancy functions,
Fisher scoring, information matrices), ``_fitmeasures``, ``_standardize``, ``_modindices``, ``_result`` and
``_api`` (:func:`cfa`). Robust ML (estimator="MLR": sandwich SEs, Yuan-Bentler scaled test, scaled and robust
indices) is in ``_robust``; full-information ML on incomplete data (missing="fiml": pattern-wise likelihood, EM
saturated model) in ``_fiml``; both use the unrestricted normal model's moment-space information of ``_mvnorm``.
Ordinal items (ordered=..., lavaan's WLSMV): ``_categorical`` (thresholds, polychoric correlations and their
asymptotic covariance), ``_dwls`` (delta parameterisation, DWLS, robust SEs, scaled-shifted and Satorra 2000
difference tests) and ``_ordinal`` (parameter table with thresholds and scaling factors, the fit).
"""

from ._api import cfa
from ._result import CFAResult

__all__ = ["cfa", "CFAResult"]

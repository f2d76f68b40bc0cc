"""Confirmatory factor analysis and structural equation models estimated as lavaan 0.6-14 does.

The engine: ``_partable`` (lavaan's parameter table and defaults), ``_model`` (LISREL matrices, implied moments
and their analytic Jacobian), ``_samplestats`` (per-group moments), ``_estimation`` (discrepancy functions,
Fisher scoring, information matrices), ``_fitmeasures``, ``_standardize``, ``_modindices``, ``_result`` and
``_api`` (:func:`cfa`).
"""

from ._api import cfa
from ._result import CFAResult

__all__ = ["cfa", "CFAResult"]

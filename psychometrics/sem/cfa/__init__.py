"""Confirmatory factor analysis and structural equation models estimated as lavaan 0.6-14 does.

Complete-data normal-theory ML (lavaan's cfa()/sem() defaults: marker variables or std_lv, auto.fix.single,
free exogenous latent covariances and covariances among pure dependents, fixed.x for observed covariates,
mean structure with groups or intercepts), multi-group equality constraints (labels, group_equal,
group_partial), lavaan's fit measures, expected-information standard errors, standardised solutions and
modification indices.

The engine is one pipeline for every estimator (``_pipeline``): ``_options`` resolves an estimator name into its
option set (discrepancy, standard errors, test, information; lavaan's lav_options_set); ``_data`` reads the data
(per-group moments, FIML's missing-data patterns, or ordered items' thresholds, polychoric correlations and NACOV
from ``_categorical``); ``_partable`` builds lavaan's parameter table (continuous and ordinal rows), the single
source of truth into which estimates, standard errors and standardised values are written; ``_model`` (LISREL
matrices, implied moments, Jacobian) and ``_wls`` (the model of ordered items, (D/U)WLS problems) map
parameters to moments; ``_estimation`` (ML discrepancy, optimiser), ``_fiml`` (full-information ML) and
``_mvnorm`` estimate, ``_constraints`` under general equality and inequality constraints (``==``, ``<``, ``>``);
``_robust`` holds the SE stage (standard, robust.sem, robust.huber.white) and the test
stage, whose records (statistic, df, scaling factor, shift) are defined in ``_tests``; ``_fitmeasures`` computes
lavaan's fitMeasures() from the model's and the baseline's records, ``_residuals`` the RMR/SRMR family;
``_standardize``, ``_modindices``, ``_result`` and ``_api`` (:func:`cfa`) complete it.

Extension points: an estimator is a row of ``_options._OPTION_SETS``; the SE and test stages read per-case score
matrices (``_samplestats.moment_scores`` behind the NACOV of robust.sem and the scaled tests,
``_robust.casewise_scores`` behind the MLR sandwich): cluster-robust and weighted MLR (``cluster=``,
``sampling_weights=``) weight and sum those rows by cluster (``_samplestats.cluster_sums``), weighted moments
come from ``SampleStats.from_data``; ordered items with ``missing="pairwise"`` use each item's and pair's answered
cases (``_categorical``); constraints enter the optimiser's step (``_estimation.minimize``, ``_constraints``) and the SE stage's
inverse of the information. Two-level models (``level:`` blocks with ``cluster=``) take their own route
(``_twolevel``, ``_twolevel_stats``: the likelihood from cluster statistics, lavaan's EM for h1).
"""

from ._api import cfa
from ._result import CFAResult

__all__ = ["cfa", "CFAResult"]

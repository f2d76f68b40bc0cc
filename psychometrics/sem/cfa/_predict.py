"""Factor scores as lavaan 0.6-14's lavPredict() for continuous indicators (ordered items: ``_predict_ordered``).

Per group, with the implied covariance ``Sigma``, the latent covariance ``V = (I-B)^-1 Psi (I-B)^-T``, the loadings
``Lambda`` (phantom latent variables of observed regression variables included), the expected values ``E(eta)``
and ``E(y)``:

- regression (Thurstone) scores: ``eta = E(eta) + V Lambda' Sigma^-1 (y - E(y))`` (lav_predict_eta_normal),
- Bartlett scores: ``eta = E(eta) + (Lambda' Sigma^-1 Lambda)^+ Lambda' Sigma^-1 (y - E(y))``
  (lav_predict_eta_bartlett; with Sigma^-1 instead of Theta^-1, which gives the same scores and also works when
  Theta is singular).

Without a mean structure lavaan takes ``E(y)`` as the sample means and the latent means as zero except where
observed covariates (phantom latent variables) carry their sample means through the regressions
(computeEETA/computeEY with sample.mean); with a mean structure both come from the model. For a FIML fit
(missing="fiml") a case's scores use its observed variables only (Lambda, Sigma restricted to them), as
lavPredict does for missing = "ml"; for other fits a case with a missing value gets no scores (NaN).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import DataError, ModelError
from ._data import ordered_values
from ._predict_ordered import check_ordered_request, ebm_scores, new_answer_codes

METHODS = ("regression", "bartlett")


def _expectations(result, g: int) -> tuple[np.ndarray, np.ndarray]:
    """(E(eta), E(y)) of group ``g`` as lavaan's computeEETA/computeEY."""
    problem, x = result._problem, result._x
    mats = problem.model.matrices(x, g)
    if problem.model.meanstructure:
        return mats.lv_mean(), mats.mu()
    variables = result._options["variables"]
    sample_mean = problem.stats[g].mean
    alpha = np.zeros(len(mats.psi))
    if variables.dummies:
        ov = [variables.observed.index(d) for d in variables.dummies]
        lv = [variables.structural.index(d) for d in variables.dummies]
        lambda_ib = mats.lambda_ @ mats.ib
        alpha[lv] = np.linalg.solve(lambda_ib[np.ix_(ov, lv)], sample_mean[ov])
    return mats.ib @ alpha, sample_mean


def _score_matrix(mats, observed: np.ndarray, method: str) -> np.ndarray:
    """The factor-score coefficients (latent x observed) from the observed variables ``observed`` (a mask)."""
    lam = mats.lambda_[observed]
    sigma_inv_lam = np.linalg.solve(mats.sigma()[np.ix_(observed, observed)], lam)  # Sigma_oo^-1 Lambda_o
    if method == "regression":
        return mats.lv_cov() @ sigma_inv_lam.T
    coefficients = np.linalg.pinv(lam.T @ sigma_inv_lam) @ sigma_inv_lam.T
    coefficients[~lam.any(axis=0)] = np.nan  # no observed indicator: no Bartlett score (lavaan's NA)
    return coefficients


def _group_scores(result, g: int, values: np.ndarray, method: str, kind: str) -> np.ndarray:
    """Scores of the rows of group ``g`` (latent variables, or the observed variables' predicted values). With
    FIML each missing-data pattern uses its observed variables (as lavPredict for missing = "ml"); otherwise a
    row with a missing value has no scores (NaN)."""
    eeta, ey = _expectations(result, g)
    mats = result._problem.model.matrices(result._x, g)
    fiml = type(result._problem).__name__.startswith("FIML")
    scores = np.full((len(values), len(eeta)), np.nan)
    patterns, which = np.unique(~np.isnan(values), axis=0, return_inverse=True)
    for k, observed in enumerate(patterns):  # a loop over missing-data patterns, not respondents
        if not observed.any() or not (observed.all() or fiml):
            continue
        rows = which.ravel() == k
        centred = values[np.ix_(rows, observed)] - ey[observed]
        scores[rows] = eeta + centred @ _score_matrix(mats, observed, method).T
    n_latent = len(result.latent_variables)
    if kind == "lv":
        return scores[:, :n_latent]  # the latent variables, without regression phantoms
    variables = result._options["variables"]  # lavaan's computeYHAT: phantoms carry the observed values
    ov = [variables.observed.index(d) for d in variables.dummies]
    scores[:, n_latent:] = values[:, ov]
    return ey - mats.lambda_ @ eeta + scores @ mats.lambda_.T


def _fit_data(result) -> tuple[list[np.ndarray], pd.Index]:
    """The complete cases the model was fitted to (the answers' codes for ordered items), per group, and an index
    (group, case) for several groups."""
    field = "codes" if result._options.get("ordered") else "data"
    found = [getattr(s, field, None) for s in result._problem.stats]
    blocks: list[np.ndarray] = [b for b in found if b is not None]
    if len(blocks) < len(found):
        raise DataError("this fit was made from sample moments (sample_cov); pass the raw data: predict(data=...)")
    if len(blocks) == 1:
        return blocks, pd.RangeIndex(len(blocks[0]))
    pairs = [(label, i) for label, b in zip(result.groups, blocks) for i in range(len(b))]
    return blocks, pd.MultiIndex.from_tuples(pairs, names=["group", "case"])


def _new_data(result, data: pd.DataFrame, group) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Each group's rows (positions) and values of the observed variables from a new DataFrame."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame; got {type(data).__name__}")
    missing = [name for name in result.observed_variables if name not in data.columns]
    if missing:
        raise DataError(f"data lacks the model's observed variable(s) {missing}")
    if result._options.get("ordered"):
        values = ordered_values(data, result.observed_variables)
    else:
        try:
            values = data[result.observed_variables].to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError):
            raise DataError("the model's observed variables must be numeric columns") from None
    if len(result.groups) == 1:
        return [np.arange(len(data))], [values]
    if group is None or group not in data.columns:
        raise DataError(f"the model was fitted in groups {result.groups}: pass group=... naming the group column")
    labels = data[group].to_numpy()
    unknown = set(pd.unique(labels[pd.notna(labels)])) - set(result.groups)
    if unknown:
        raise DataError(
            f"group column {group!r} holds {sorted(map(str, unknown))}, not among the fitted groups {result.groups}"
        )
    positions = [np.flatnonzero(labels == label) for label in result.groups]
    return positions, [values[p] for p in positions]


def predict(result, data=None, method: str = "regression", group=None, kind: str = "lv") -> pd.DataFrame:
    """Factor scores, one column per latent variable, or with ``kind="ov"`` the observed variables' predicted
    values ``E(y) + Lambda (eta - E(eta))`` (lavaan's type = "ov", computeYHAT), see the module docstring."""
    method = method.lower() if isinstance(method, str) else method
    if method not in METHODS:
        raise ModelError(f"method must be 'regression' or 'Bartlett'; got {method!r}")
    if kind not in ("lv", "ov"):
        raise ModelError(f"type must be 'lv' (factor scores) or 'ov' (predicted observed values); got {kind!r}")
    columns = result.latent_variables if kind == "lv" else result.observed_variables
    ordered = result._options.get("ordered")
    if ordered:
        check_ordered_request(kind)
    if data is None:
        blocks, index = _fit_data(result)
        scores = np.vstack(
            [
                ebm_scores(result, g, b, method) if ordered else _group_scores(result, g, b, method, kind)
                for g, b in enumerate(blocks)
            ]
        )
        return pd.DataFrame(scores, index=index, columns=columns)
    positions, blocks = _new_data(result, data, group)
    scores = np.full((len(data), len(columns)), np.nan)
    for g, (rows, values) in enumerate(zip(positions, blocks)):
        scores[rows] = (
            ebm_scores(result, g, new_answer_codes(result, g, values), method)
            if ordered
            else _group_scores(result, g, values, method, kind)
        )
    return pd.DataFrame(scores, index=data.index.copy(), columns=columns)

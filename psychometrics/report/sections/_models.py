"""The model a structural section fits: the spec's lavaan syntax or one factor per scale, the data columns it
names and the estimation options passed on to :func:`psychometrics.cfa`."""

from __future__ import annotations

import pandas as pd

from ...sem.model_syntax import parse_model

__all__ = ["model_from_scales", "model_of", "model_columns", "estimation"]


def model_from_scales(scales: dict) -> str:
    """One factor per scale, lavaan syntax."""
    return "\n".join(f"{scale} =~ {' + '.join(items)}" for scale, items in scales.items())


def model_of(ctx, opts) -> str:
    """The spec's model, or one factor per scale."""
    return opts.get("model") or model_from_scales(ctx.scales)


def model_columns(model: str, data: pd.DataFrame) -> list[str]:
    """The data columns the model names as observed variables, in data order.

    Latent variables (left of ``=~``) are left out even where a data column has their name (the report's scale
    scores are named after the scales), since cfa refuses a factor that shadows a data column."""
    terms = parse_model(model).terms
    latent = {term.lhs for term in terms if term.op == "=~"}
    names = {name for term in terms for name in (term.lhs, term.rhs)} - latent
    return [c for c in data.columns if str(c) in names]


def estimation(opts) -> dict:
    """The cfa options a section passes on (lavaan's defaults, ML and listwise, when the spec names none)."""
    return {k: opts[k] for k in ("estimator", "missing") if k in opts}


_ESTIMATORS = {
    "ML": "maximum likelihood (ML)",
    "MLM": "maximum likelihood with robust standard errors and the Satorra-Bentler scaled test (MLM)",
    "MLMV": "maximum likelihood with robust standard errors and the scaled-shifted test (MLMV)",
    "ULS": "unweighted least squares (ULS)",
    "DWLS": "diagonally weighted least squares (DWLS)",
    "WLS": "weighted least squares (WLS, asymptotically distribution free)",
    "MLR": "robust maximum likelihood (MLR: Huber-White standard errors, Yuan-Bentler scaled test; fit shown as "
           "the scaled chi-square and the robust CFI, TLI and RMSEA)",
    "WLSMV": "diagonally weighted least squares on polychoric correlations with robust standard errors and the "
             "mean-and-variance adjusted test (WLSMV)",
}


def estimation_words(opts, arguments: str = "") -> str:
    """The estimator and the missing-data handling of a section, in words, with lavaan's call (``arguments``:
    more of its arguments, e.g. ', group = "site"')."""
    options = estimation(opts)
    estimator = options.get("estimator", "ML")
    missing = options.get("missing", "listwise")
    handling = ("full-information maximum likelihood, using every answer of every respondent" if missing in
                ("fiml", "ml") else "listwise deletion (respondents with any missing item left out)")
    arguments += "".join(f', {k} = "{v}"' for k, v in options.items())
    return f"{_ESTIMATORS.get(estimator, estimator)}, {handling} (lavaan 0.6-14: cfa(model, data{arguments}))"

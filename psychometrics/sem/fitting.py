"""lavaan's sem() and growth() entry points beside :func:`psychometrics.cfa`.

lavaan 0.6-14's cfa() and sem() share their defaults (lavaan's ``lav_options_set``: free exogenous latent
covariances, free residual covariances among the purely dependent latent variables, fixed.x, auto.fix.first,
auto.fix.single), so :func:`sem` fits exactly as :func:`psychometrics.cfa`. growth() differs in two defaults
(``int.ov.free = FALSE``, ``int.lv.free = TRUE``, with a mean structure): the intercepts of the observed
(endogenous) variables are fixed to 0 and the latent intercepts/means are free; :func:`growth` writes these
terms into the model, unless the model states them itself, and fits it as cfa.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from .cfa import CFAResult, cfa
from .cfa._partable import model_variables
from .model_syntax import Model, ModelTerm, Modifier, ParsedModel, parse_model

__all__ = ["growth"]


def sem(model: Model, data: pd.DataFrame | None = None, **options: Any) -> CFAResult:
    """Fit a structural equation model with lavaan's sem() defaults (the same as cfa()'s in lavaan 0.6-14).

    Called as ``psychometrics.sem(model, data, ...)``; the options are those of :func:`psychometrics.cfa`.

    Notes
    -----
    Equivalent R call: ``lavaan::sem(model, data, ...)`` (lavaan 0.6-14).
    """
    return cfa(model, data, **options)


def _growth_terms(parsed: ParsedModel) -> ParsedModel:
    """The model with ``y ~ 0*1`` for each observed endogenous variable and ``f ~ NA*1`` for each latent variable
    whose intercept the model does not state (lavaan's int.ov.free = FALSE, int.lv.free = TRUE)."""
    variables = model_variables(parsed)
    stated = {t.lhs for t in parsed.terms if t.op == "~1"}
    line = max(t.line for t in parsed.terms) + 1
    fixed = [
        ModelTerm(n, "~1", "", (Modifier(fixed=0.0),), line, 1)
        for n in variables.observed
        if n not in variables.ov_x and n not in stated
    ]
    free = [ModelTerm(n, "~1", "", (Modifier(free=True),), line, 1) for n in variables.latent if n not in stated]
    return dataclasses.replace(parsed, terms=parsed.terms + tuple(fixed + free))


def growth(model: Model, data: pd.DataFrame | None = None, **options: Any) -> CFAResult:
    """Fit a latent growth curve model with lavaan's growth() defaults.

    Parameters
    ----------
    model : str or ParsedModel
        lavaan syntax; the growth factors' loadings are usually all fixed (``i =~ 1*t1 + 1*t2 + ...``,
        ``s =~ 0*t1 + 1*t2 + ...``).
    data : DataFrame
        Respondents x variables.
    **options
        As :func:`psychometrics.cfa` (group, group_equal, estimator, missing, ...).

    Returns
    -------
    CFAResult
        As cfa; the observed intercepts are fixed to 0 and the growth factors' means (intercepts) are free.

    Notes
    -----
    Equivalent R call: ``lavaan::growth(model, data, ...)`` (lavaan 0.6-14: meanstructure = TRUE,
    int.ov.free = FALSE, int.lv.free = TRUE).

    References
    ----------
    Meredith, W., & Tisak, J. (1990). Latent curve analysis. Psychometrika, 55, 107-122.

    Examples
    --------
    >>> import psychometrics as pm
    >>> hs = pm.datasets.load("holzinger_swineford")
    >>> res = pm.growth("i =~ 1*x4 + 1*x5 + 1*x6; s =~ 0*x4 + 1*x5 + 2*x6", hs)
    >>> res.converged, res.fit_measures["df"]
    (True, 1)
    """
    parsed = model if isinstance(model, ParsedModel) else parse_model(model)
    fit = cfa(_growth_terms(parsed), data, **options)
    return dataclasses.replace(fit, model=model if isinstance(model, str) else "")

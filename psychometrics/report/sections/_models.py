"""The model a structural section fits: the spec's lavaan syntax or one factor per scale, the data columns it
names and the estimation options passed on to :func:`psychometrics.cfa`."""

from __future__ import annotations

import pandas as pd

from ...sem.model_syntax import parse_model
from ._ordinal import category_merges, merged

__all__ = [
    "model_from_scales",
    "model_of",
    "model_columns",
    "estimation",
    "cluster_of",
    "fit_data",
    "merges_of",
    "missing_of",
    "estimation_words",
    "n_sentence",
    "nesting_caveat",
]


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


def cluster_of(ctx, opts) -> str | None:
    """The cluster column of a section's fits: its own ``cluster``, else the spec's where the fit can use it
    (continuous items with MLR: lavaan 0.6-14 applies no cluster correction to ordinal fits)."""
    if "cluster" in opts:
        return opts["cluster"]
    usable = not opts.get("ordered") and opts.get("estimator") == "MLR"
    return ctx.spec.cluster if usable else None


def estimation(opts, ctx=None) -> dict:
    """The cfa options a section passes on (lavaan's defaults, ML and listwise, when the spec names none):
    estimator, missing, ordered items, the cluster (with ``ctx``: the spec's too) and sampling weights."""
    options = {k: opts[k] for k in ("estimator", "missing") if k in opts}
    if opts.get("ordered"):
        options["ordered"] = True
    cluster = cluster_of(ctx, opts) if ctx is not None else opts.get("cluster")
    if cluster:
        options["cluster"] = cluster
    if opts.get("weights"):
        options["sampling_weights"] = opts["weights"]
    return options


def fit_data(ctx, opts, model: str, frame: pd.DataFrame, group: str | None = None) -> pd.DataFrame:
    """The columns a fit needs (the model's observed variables, then the group, cluster and weights columns),
    with ordered items' sparse categories merged as the spec asks (:func:`merges_of`)."""
    extra = [group, cluster_of(ctx, opts), opts.get("weights")]
    columns = model_columns(model, frame) + [c for c in dict.fromkeys(extra) if c]
    return merged(frame[columns], merges_of(ctx, opts, model))


def merges_of(ctx, opts, model: str) -> tuple:
    """The category merges of ordered items (``min_category_count``), found on every respondent across the
    groups of the section (or the spec), so that pooled, per-site and multi-group fits share one coding."""
    if not opts.get("ordered") or not opts.get("min_category_count"):
        return ()
    group = opts.get("group") or ctx.group
    return category_merges(ctx.scored, model_columns(model, ctx.scored), group, opts["min_category_count"])


def missing_of(opts) -> str:
    """The section's missing-data handling (lavaan's default: listwise)."""
    return opts.get("missing", "listwise")


_ESTIMATORS = {
    "ML": "maximum likelihood (ML)",
    "MLM": "maximum likelihood with robust standard errors and the Satorra-Bentler scaled test (MLM)",
    "MLMV": "maximum likelihood with robust standard errors and the scaled-shifted test (MLMV)",
    "ULS": "unweighted least squares (ULS)",
    "DWLS": "diagonally weighted least squares (DWLS)",
    "WLS": "weighted least squares (WLS, asymptotically distribution free)",
    "MLR": "robust maximum likelihood (MLR: Huber-White standard errors, Yuan-Bentler scaled test; fit shown as "
    "the scaled chi-square and the robust CFI, TLI and RMSEA)",
    "WLSMV": "diagonally weighted least squares on the thresholds and polychoric correlations of the ordered items "
    "(delta parameterisation) with robust standard errors and the scaled-shifted test (WLSMV)",
    "ULSMV": "unweighted least squares on the thresholds and polychoric correlations of the ordered items with "
    "robust standard errors and the scaled-shifted test (ULSMV)",
}

_MISSING = {
    "listwise": "listwise deletion (respondents with any missing item left out)",
    "fiml": "full-information maximum likelihood, using every answer of every respondent",
    "ml": "full-information maximum likelihood, using every answer of every respondent",
    "pairwise": "pairwise-present data (every respondent with at least one answer: each item's thresholds from the "
    "respondents who answered it, each polychoric correlation from those who answered both items)",
}


def estimation_words(opts, arguments: str = "", ctx=None) -> str:
    """The estimator, the missing-data handling, the cluster and the weights of a section, in words, with
    lavaan's call (``arguments``: more of its arguments, e.g. ', group = "site"')."""
    options = estimation(opts, ctx)
    estimator = options.get("estimator", "WLSMV" if options.get("ordered") else "ML")
    words = [_ESTIMATORS.get(estimator, estimator), _MISSING[missing_of(opts)]]
    if options.get("cluster"):
        words.append(
            f"standard errors and test robust to the nesting of respondents in {options['cluster']} "
            "(cluster-robust sandwich)"
        )
    if options.get("sampling_weights"):
        words.append(
            f"respondents weighted by {options['sampling_weights']} (sampling weights normalised to the "
            "number of respondents)"
        )
    names = {"ordered": "ordered", "cluster": "cluster", "sampling_weights": "sampling.weights"}
    arguments += "".join(
        f", {names.get(k, k)} = TRUE" if v is True else f', {names.get(k, k)} = "{v}"' for k, v in options.items()
    )
    return f"{', '.join(words)} (lavaan 0.6-14: cfa(model, data{arguments}))"


def n_sentence(ctx, opts, used: int, model: str) -> str:
    """The respondents a pooled fit used of those in the data, and why the others were left out."""
    total = len(ctx.scored)
    dropped = total - int(used)
    if not dropped:
        return f"n = {used} of {total} (every respondent)"
    items = model_columns(model, ctx.scored)
    none = int(ctx.scored[items].isna().all(axis=1).sum())
    why = (
        "with a missing item (listwise deletion)"
        if missing_of(opts) == "listwise"
        else "without any answer on the model's items"
    )
    if missing_of(opts) == "listwise" and none:
        why += f", {none} of them without any answer"
    return f"n = {used} of {total}; {dropped} left out {why}"


def nesting_caveat(ctx, opts) -> list[str]:
    """A caveat when the spec names a cluster that a section's fits cannot use (ordered items: lavaan 0.6-14
    applies no cluster correction to categorical fits; continuous items: only MLR has one)."""
    cluster = ctx.spec.cluster
    if not cluster or cluster_of(ctx, opts) or ctx.is_correlation_matrix:
        return []
    if opts.get("ordered"):
        return [
            f"Caveat: lavaan 0.6-14 applies no cluster correction to ordinal (WLSMV) fits, so the standard errors "
            f"and tests of the ordinal CFA models treat respondents as independent although they are nested in "
            f"{cluster}s; they may be too small where answers within a {cluster} are alike (the estimates are "
            f"not affected). Treating the items as continuous (estimator: MLR) gives cluster-robust standard "
            f"errors and tests."
        ]
    return [
        f"Caveat: the standard errors and tests of the {opts.get('estimator', 'ML')} fits treat respondents as "
        f"independent although they are nested in {cluster}s; estimator: MLR gives cluster-robust ones."
    ]

"""Seeded generator of the SIMULATED six-site peer-support implementation survey.

The data follow the instrument ``data_schema/peer_support_implementation.yaml`` and are generated from stated
population values (all kept in this module, see :func:`peer_support_true_values`), so that every analysis of
``psychometrics.datasets.load("peer_support_survey")`` can be checked against the truth:

1. six correlated traits ``eta ~ N(0, PHI)`` (variances 1, correlations ``PHI``), per respondent;
2. Likert items: latent response ``y* = lambda * eta + sqrt(1 - lambda^2) * e`` (standardised), plus an intercept
   shift of ``rs2`` at one site (the non-invariant intercept), cut at the thresholds ``THRESHOLDS`` into 1..5;
   reverse-keyed items (oc3, rd2, sa4) are stored reversed (6 - category), as respondents answer them;
3. global 0-10 ratings (the second method): ``g* = lambda_g * eta + m * M + sqrt(1 - lambda_g^2 - m^2) * e``
   with a rating-method factor ``M ~ N(0, 1)`` independent of the traits; rating = clip(round(5.5 + 2 g*), 0, 10);
4. the criterion ``readiness* = beta' eta + sqrt(1 - beta' PHI beta) * e``; readiness = clip(round(55 + 15
   readiness*, 1), 0, 100);
5. the service each respondent works in (nested in the site), drawn AFTER everything else from a separate seeded
   stream (``numpy.random.default_rng([seed, SERVICE_STREAM])``), so that no other column changes with it: within
   a site, respondents are ranked by ``r * zbar + sqrt(1 - r^2) * e`` (``zbar``: their standardised mean trait,
   ``r = SERVICE_TRAIT_CORRELATION``) and the ranks are cut into ``SERVICES_PER_SITE`` services of random sizes
   (Dirichlet shares), so that services differ in their staff's views, as services of one site do (the variance
   of the services' means of the standardised mean trait is about 0.2 in the bundled data);
6. missing answers completely at random (independent of every value) and clustered in respondents, as in real
   surveys, so that most respondents answer every item: 10 % of respondents ("skippers") leave each Likert item
   and global rating empty (NaN) with probability 0.30 (3 % of cells); 5 % of respondents answer each Likert item
   9 = not applicable with probability 0.40 (2 % of cells); each global rating is 99 = don't know with
   probability 0.005; readiness is missing for 2 % of respondents.

Rewrite the bundled CSV (byte-identical for the default seed) with
``python -c "from psychometrics.survey.simulate import write_bundled_csv; write_bundled_csv()"``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, overload

import numpy as np
import pandas as pd

from .._checks import check_count
from ..errors import DataError

__all__ = ["simulate_peer_support_survey", "peer_support_true_values"]

DEFAULT_SEED = 20261127
MAX_SITE_SIZE = 1_000_000  # respondents per simulated site

TRAITS = ("organisational_culture", "training", "role_definition", "resourcing", "peer_network", "staff_attitudes")

# Population correlations of the six traits (order of TRAITS).
PHI = np.array(
    [
        [1.00, 0.40, 0.45, 0.30, 0.25, 0.50],
        [0.40, 1.00, 0.35, 0.35, 0.40, 0.30],
        [0.45, 0.35, 1.00, 0.30, 0.25, 0.35],
        [0.30, 0.35, 0.30, 1.00, 0.30, 0.20],
        [0.25, 0.40, 0.25, 0.30, 1.00, 0.30],
        [0.50, 0.30, 0.35, 0.20, 0.30, 1.00],
    ]
)

# Standardised loadings of the Likert items on the latent response scale (after reverse keying).
LOADINGS = {
    "organisational_culture": {"oc1": 0.75, "oc2": 0.80, "oc3": 0.65, "oc4": 0.70},
    "training": {"tr1": 0.75, "tr2": 0.80, "tr3": 0.80},
    "role_definition": {"rd1": 0.70, "rd2": 0.60, "rd3": 0.80, "rd4": 0.75},
    "resourcing": {"rs1": 0.80, "rs2": 0.75, "rs3": 0.70},
    "peer_network": {"pn1": 0.75, "pn2": 0.80, "pn3": 0.70},
    "staff_attitudes": {"sa1": 0.75, "sa2": 0.80, "sa3": 0.70, "sa4": 0.65},
}
REVERSE_KEYED = ("oc3", "rd2", "sa4")
THRESHOLDS = (-1.6, -0.8, 0.1, 1.1)  # cut points of y* into categories 1..5

# Global ratings: loading on their own trait and on the rating-method factor.
GLOBAL_ITEMS = {
    "organisational_culture": "oc_global",
    "training": "tr_global",
    "role_definition": "rd_global",
    "resourcing": "rs_global",
    "peer_network": "pn_global",
    "staff_attitudes": "sa_global",
}
GLOBAL_LOADINGS = {
    "oc_global": 0.70,
    "tr_global": 0.70,
    "rd_global": 0.70,
    "rs_global": 0.75,
    "pn_global": 0.70,
    "sa_global": 0.70,
}
GLOBAL_METHOD_LOADING = 0.30
GLOBAL_CENTRE, GLOBAL_SPREAD = 5.5, 2.0

# The one non-invariant intercept: y* of rs2 is shifted at one site (SD units of the latent response).
NONINVARIANT_ITEM, NONINVARIANT_SITE, NONINVARIANT_SHIFT = "rs2", "TZ-DarEsSalaam", 0.70

# Criterion: regression weights of readiness* on the traits.
READINESS_WEIGHTS = np.array([0.30, 0.10, 0.15, 0.20, 0.05, 0.20])
READINESS_CENTRE, READINESS_SPREAD = 55.0, 15.0

SITE_SIZES = {
    "DE-Hamburg": 112,
    "DE-Ulm": 58,
    "IN-Bangalore": 96,
    "IL-Jerusalem": 74,
    "TZ-DarEsSalaam": 88,
    "UG-Kampala": 61,
}
SITE_LANGUAGES = {
    "DE-Hamburg": {"de": 1.0},
    "DE-Ulm": {"de": 1.0},
    "IN-Bangalore": {"en": 0.45, "hi": 0.55},
    "IL-Jerusalem": {"he": 0.85, "en": 0.15},
    "TZ-DarEsSalaam": {"sw": 0.80, "en": 0.20},
    "UG-Kampala": {"en": 1.0},
}
ROLE_PROBABILITIES = {"peer_support_worker": 0.30, "mental_health_staff": 0.50, "manager": 0.20}

MISSING_RATES = {
    "skipping_respondents": 0.10,  # share of respondents who leave answers empty ...
    "skip_probability": 0.30,  # ... each Likert item and global rating with this probability (NaN)
    "not_applicable_respondents": 0.05,  # share of respondents who use 9 = not applicable ...
    "not_applicable_probability": 0.40,  # ... for each Likert item with this probability
    "global_dont_know_99": 0.005,  # each global rating, every respondent
    "readiness_nan": 0.02,  # respondents without a readiness score
}

# Services within sites: how many per site and how strongly their membership follows the mean trait.
SERVICES_PER_SITE = {
    "DE-Hamburg": 5,
    "DE-Ulm": 3,
    "IN-Bangalore": 4,
    "IL-Jerusalem": 4,
    "TZ-DarEsSalaam": 4,
    "UG-Kampala": 3,
}
SERVICE_TRAIT_CORRELATION = 0.35
SERVICE_SIZE_CONCENTRATION = 8.0  # Dirichlet parameter of the services' shares of their site
SERVICE_STREAM = 1  # the services' own random stream: default_rng([seed, SERVICE_STREAM])

LIKERT_ITEMS = tuple(item for trait in TRAITS for item in LOADINGS[trait])
OUTPUT_FILE = Path(__file__).parent / "datasets" / "data" / "peer_support_survey.csv"


def peer_support_true_values() -> dict:
    """The population values the simulated survey was generated from (fresh copies).

    Keys: ``loadings`` (item -> standardised loading on the latent response scale, after reverse keying),
    ``item_traits`` (item -> trait), ``reverse_keyed``, ``thresholds``, ``factor_correlations`` (DataFrame),
    ``global_loadings``, ``global_method_loading``, ``noninvariant_intercept`` (item, site, shift in SD units of
    the latent response), ``readiness_weights``, ``readiness_trait_correlations`` (PHI @ beta),
    ``readiness_r_squared``, ``missing_rates``, ``site_sizes``, ``site_languages``, ``role_probabilities``,
    ``seed``.

    Examples
    --------
    >>> import psychometrics as pm
    >>> truth = pm.peer_support_true_values()
    >>> "loadings" in truth and "factor_correlations" in truth
    True
    """
    return {
        "loadings": {item: value for trait in TRAITS for item, value in LOADINGS[trait].items()},
        "item_traits": {item: trait for trait in TRAITS for item in LOADINGS[trait]},
        "reverse_keyed": list(REVERSE_KEYED),
        "thresholds": list(THRESHOLDS),
        "factor_correlations": pd.DataFrame(PHI, index=list(TRAITS), columns=list(TRAITS)),
        "global_items": dict(GLOBAL_ITEMS),
        "global_loadings": dict(GLOBAL_LOADINGS),
        "global_method_loading": GLOBAL_METHOD_LOADING,
        "noninvariant_intercept": {"item": NONINVARIANT_ITEM, "site": NONINVARIANT_SITE, "shift": NONINVARIANT_SHIFT},
        "readiness_weights": dict(zip(TRAITS, READINESS_WEIGHTS.tolist())),
        "readiness_trait_correlations": dict(zip(TRAITS, (PHI @ READINESS_WEIGHTS).round(4).tolist())),
        "readiness_r_squared": round(float(READINESS_WEIGHTS @ PHI @ READINESS_WEIGHTS), 4),
        "missing_rates": dict(MISSING_RATES),
        "site_sizes": dict(SITE_SIZES),
        "site_languages": {site: dict(p) for site, p in SITE_LANGUAGES.items()},
        "role_probabilities": dict(ROLE_PROBABILITIES),
        "services": {
            "per_site": dict(SERVICES_PER_SITE),
            "trait_correlation": SERVICE_TRAIT_CORRELATION,
            "size_concentration": SERVICE_SIZE_CONCENTRATION,
        },
        "seed": DEFAULT_SEED,
    }


def truth_summary() -> str:
    """The population values in one paragraph (the data set's description)."""
    loadings = "; ".join(
        f"{trait}: "
        + ", ".join(
            f"{item}{'(R)' if item in REVERSE_KEYED else ''} {value:.2f}" for item, value in LOADINGS[trait].items()
        )
        for trait in TRAITS
    )
    short = [next(iter(LOADINGS[trait]))[:2] for trait in TRAITS]  # oc, tr, rd, rs, pn, sa
    upper = np.triu_indices(len(TRAITS), 1)
    correlations = ", ".join(f"{short[i]}-{short[j]} {PHI[i, j]:.2f}" for i, j in zip(*upper))
    globals_ = ", ".join(f"{item} {value:.2f}" for item, value in GLOBAL_LOADINGS.items())
    return (
        "SIMULATED data (not real respondents), generated by psychometrics.survey.simulate.simulate_peer_support_survey"
        f"(seed={DEFAULT_SEED}) from the instrument peer_support_implementation: "
        f"{sum(SITE_SIZES.values())} respondents at six sites ("
        + ", ".join(f"{site} {n}" for site, n in SITE_SIZES.items())
        + "). True standardised loadings (latent response scale, after reverse keying; Likert items cut at "
        f"thresholds {list(THRESHOLDS)} into 1-5; (R) items stored reversed, score as 6 - x): {loadings}. "
        f"True trait correlations: {correlations}. Global 0-10 ratings load on their "
        f"trait ({globals_}) and {GLOBAL_METHOD_LOADING:.2f} on a common rating-method factor; rating = "
        f"clip(round({GLOBAL_CENTRE} + {GLOBAL_SPREAD} g*), 0, 10). Non-invariant intercept: "
        f"{NONINVARIANT_ITEM} at {NONINVARIANT_SITE} shifted by +{NONINVARIANT_SHIFT:.2f} SD of its latent "
        "response (all other parameters equal across sites, trait means 0). Readiness (0-100) = "
        f"clip({READINESS_CENTRE:g} + {READINESS_SPREAD:g} r*), r* = beta'eta + e with beta = "
        + ", ".join(f"{w:.2f}" for w in READINESS_WEIGHTS)
        + f" (true R^2 {READINESS_WEIGHTS @ PHI @ READINESS_WEIGHTS:.3f}). Missing completely at random, clustered in "
        f"respondents: {MISSING_RATES['skipping_respondents']:.0%} of respondents leave each Likert item and global "
        f"rating empty with probability {MISSING_RATES['skip_probability']:.2f} (3% of cells); "
        f"{MISSING_RATES['not_applicable_respondents']:.0%} answer each Likert item 9 (not applicable) with "
        f"probability {MISSING_RATES['not_applicable_probability']:.2f} (2% of cells); each global rating is 99 "
        f"(don't know) with probability {MISSING_RATES['global_dont_know_99']}; readiness is missing for "
        f"{MISSING_RATES['readiness_nan']:.0%} of respondents. Services (column service, nested in sites: "
        + ", ".join(f"{site} {k}" for site, k in SERVICES_PER_SITE.items())
        + f") drawn from a separate random stream after all other columns: within a site, ranks of "
        f"{SERVICE_TRAIT_CORRELATION:.2f} x standardised mean trait + noise cut into services of Dirichlet("
        f"{SERVICE_SIZE_CONCENTRATION:g}) shares, so that services differ somewhat in their staff's views. All values: psychometrics.datasets.describe('peer_support_survey')['true_values']."
    )


def _draw_labels(rng: np.random.Generator, probabilities: dict[str, float], n: int) -> np.ndarray:
    labels = np.array(list(probabilities), dtype=object)
    return labels[rng.choice(len(labels), size=n, p=np.array(list(probabilities.values())))]


def _respondents(rng: np.random.Generator, site_sizes: dict[str, int]) -> pd.DataFrame:
    sites = np.repeat(np.array(list(site_sizes), dtype=object), list(site_sizes.values()))
    languages = np.concatenate([_draw_labels(rng, SITE_LANGUAGES[site], n) for site, n in site_sizes.items()])
    roles = _draw_labels(rng, ROLE_PROBABILITIES, len(sites))
    ids = [f"PS{k:04d}" for k in range(1, len(sites) + 1)]
    return pd.DataFrame({"respondent_id": ids, "site": sites, "language": languages, "role": roles})


def service_labels(site: str) -> list[str]:
    """The services of a site: "<site>-S1", "<site>-S2", ..."""
    return [f"{site}-S{k}" for k in range(1, SERVICES_PER_SITE[site] + 1)]


def _services(seed: int, sites: np.ndarray, eta: np.ndarray) -> np.ndarray:
    """Each respondent's service within their site (see the module docstring, step 5)."""
    rng = np.random.default_rng([seed, SERVICE_STREAM])
    mean_trait = eta.mean(axis=1)
    standardised = (mean_trait - mean_trait.mean()) / mean_trait.std()
    r = SERVICE_TRAIT_CORRELATION
    ranking = r * standardised + np.sqrt(1 - r**2) * rng.standard_normal(len(sites))
    services = np.empty(len(sites), dtype=object)
    for site in dict.fromkeys(sites):
        rows = np.flatnonzero(sites == site)
        labels = service_labels(site)
        shares = rng.dirichlet(np.full(len(labels), SERVICE_SIZE_CONCENTRATION))
        position = (np.argsort(np.argsort(ranking[rows])) + 0.5) / len(rows)  # rank within the site, in (0, 1)
        services[rows] = np.array(labels, dtype=object)[np.searchsorted(np.cumsum(shares)[:-1], position)]
    return services


def _standardised_responses(rng, eta, loadings, traits, method=0.0, method_loading=0.0) -> np.ndarray:
    """lambda * eta_trait + m * method + sqrt(1 - lambda^2 - m^2) * e, one column per indicator (variance 1)."""
    noise = rng.standard_normal((eta.shape[0], len(loadings)))
    return eta[:, traits] * loadings + method_loading * method + np.sqrt(1.0 - loadings**2 - method_loading**2) * noise


def _clustered(rng, respondents: np.ndarray, n_cells: int, probability: float) -> np.ndarray:
    """MCAR cells clustered in respondents: True with ``probability`` in the rows of the chosen respondents."""
    return respondents[:, None] & (rng.random((len(respondents), n_cells)) < probability)


def _with_missing(rng, likert: np.ndarray, ratings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Likert items with 9 (not applicable) and NaN, global ratings with 99 (don't know) and NaN."""
    rates = MISSING_RATES
    n = likert.shape[0]
    skippers = rng.random(n) < rates["skipping_respondents"]
    not_applicable_users = rng.random(n) < rates["not_applicable_respondents"]
    likert = likert.astype(float)
    ratings = ratings.astype(float)
    likert[_clustered(rng, not_applicable_users, likert.shape[1], rates["not_applicable_probability"])] = 9
    likert[_clustered(rng, skippers, likert.shape[1], rates["skip_probability"])] = np.nan
    ratings[rng.random(ratings.shape) < rates["global_dont_know_99"]] = 99
    ratings[_clustered(rng, skippers, ratings.shape[1], rates["skip_probability"])] = np.nan
    return likert, ratings


def _simulate(seed: int, site_sizes: dict[str, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    frame = _respondents(rng, site_sizes)
    n = len(frame)
    eta = rng.standard_normal((n, len(TRAITS))) @ np.linalg.cholesky(PHI).T
    trait_of = {item: TRAITS.index(trait) for trait in TRAITS for item in LOADINGS[trait]}

    likert_loadings = np.array([LOADINGS[TRAITS[trait_of[i]]][i] for i in LIKERT_ITEMS])
    y_star = _standardised_responses(rng, eta, likert_loadings, np.array([trait_of[i] for i in LIKERT_ITEMS]))
    y_star[:, LIKERT_ITEMS.index(NONINVARIANT_ITEM)] += NONINVARIANT_SHIFT * (
        frame["site"].to_numpy() == NONINVARIANT_SITE
    )
    categories = 1 + np.searchsorted(np.array(THRESHOLDS), y_star)  # 1..5
    reverse = np.isin(np.array(LIKERT_ITEMS), REVERSE_KEYED)
    categories[:, reverse] = 6 - categories[:, reverse]

    global_names = [GLOBAL_ITEMS[t] for t in TRAITS]
    method = rng.standard_normal((n, 1))
    global_loadings = np.array([GLOBAL_LOADINGS[g] for g in global_names])
    g_star = _standardised_responses(rng, eta, global_loadings, np.arange(len(TRAITS)), method, GLOBAL_METHOD_LOADING)
    ratings = np.clip(np.round(GLOBAL_CENTRE + GLOBAL_SPREAD * g_star), 0, 10)

    explained = float(READINESS_WEIGHTS @ PHI @ READINESS_WEIGHTS)
    r_star = eta @ READINESS_WEIGHTS + np.sqrt(1 - explained) * rng.standard_normal(n)
    readiness = np.clip(np.round(READINESS_CENTRE + READINESS_SPREAD * r_star, 1), 0, 100)

    likert, ratings = _with_missing(rng, categories, ratings)
    readiness[rng.random(n) < MISSING_RATES["readiness_nan"]] = np.nan

    items = pd.DataFrame(np.hstack([likert, ratings]), columns=[*LIKERT_ITEMS, *global_names]).astype("Int64")
    data = pd.concat([frame, items, pd.DataFrame({"readiness": readiness})], axis=1)
    data.insert(2, "service", _services(seed, frame["site"].to_numpy(), eta))
    latent = pd.DataFrame(
        np.hstack([eta, y_star, g_star, r_star[:, None]]),
        columns=[*TRAITS, *(f"{i}*" for i in LIKERT_ITEMS), *(f"{g}*" for g in global_names), "readiness*"],
    )
    return data, latent


@overload
def simulate_peer_support_survey(
    seed: int = ..., site_sizes: dict[str, int] | None = ..., *, return_latent: Literal[False] = ...
) -> pd.DataFrame: ...


@overload
def simulate_peer_support_survey(
    seed: int = ..., site_sizes: dict[str, int] | None = ..., *, return_latent: Literal[True]
) -> tuple[pd.DataFrame, pd.DataFrame]: ...


def simulate_peer_support_survey(
    seed: int = DEFAULT_SEED, site_sizes: dict[str, int] | None = None, *, return_latent: bool = False
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Generate the SIMULATED six-site peer-support implementation survey from the population values above.

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same data (the bundled data set uses
        ``DEFAULT_SEED``).
    site_sizes : dict, optional
        Respondents per site (default ``SITE_SIZES``; any of the six sites).
    return_latent : bool
        Also return the latent variables: traits, continuous item responses ``y*`` (``rs2*`` includes the site
        shift), global ``g*`` and ``readiness*``, for checks against the truth.

    Returns
    -------
    pandas.DataFrame, or (DataFrame, DataFrame) with ``return_latent=True``
        Columns respondent_id, site, service, language, role, the 21 Likert items (1-5, 9 = not applicable, NaN =
        missing; reverse-keyed items as answered), the six global ratings (0-10, 99 = don't know) and readiness.

    Examples
    --------
    >>> import psychometrics as pm
    >>> data = pm.simulate_peer_support_survey(site_sizes={"DE-Ulm": 40})
    >>> data.shape
    (40, 33)
    """
    sizes = {
        site: check_count(size, name=f"site_sizes[{site!r}]", minimum=1, maximum=MAX_SITE_SIZE)
        for site, size in dict(SITE_SIZES if site_sizes is None else site_sizes).items()
    }
    unknown = sorted(set(sizes) - set(SITE_SIZES))
    if unknown:
        raise DataError(f"unknown site(s) {unknown}; the simulated survey has sites {list(SITE_SIZES)}.")
    data, latent = _simulate(seed, sizes)
    return (data, latent) if return_latent else data


def write_bundled_csv(path: Path = OUTPUT_FILE) -> Path:
    """Write the bundled data set (default seed and site sizes) as CSV with LF line endings."""
    simulate_peer_support_survey().to_csv(path, index=False, lineterminator="\n")
    return path

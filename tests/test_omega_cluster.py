"""omega(..., ci=, cluster=): the one-stage cluster bootstrap (Davison & Hinkley 1997, sec. 3.8: resample the
clusters with replacement and take every row of each drawn cluster; Field & Welsh 2007).

There is no R reference value to compare with (psych::omega has no cluster option; the equivalent boot::boot over
the cluster labels draws from R's own random stream), so the tests check the resampling itself: singleton clusters
draw exactly the respondents' resamples of the same seed, three hand-checked clusters give the row sets written out
here, the interval equals the percentiles of omega refitted on those row sets, clustered data widen the interval,
and bad cluster arguments raise DataError.
"""

import numpy as np
import pandas as pd
import pytest

import psychometrics as pm
from psychometrics._bootstrap import Clusters, jackknife_statistics, resampled_statistics

A = [f"A{i}" for i in range(1, 6)]


@pytest.fixture(scope="module")
def agreeableness():
    return pm.datasets.load("bfi")[A].dropna(how="all").iloc[:120].reset_index(drop=True)


def _width(interval):
    return interval[1] - interval[0]


# ---------------------------------------------------------------------------------- (a) singleton clusters
@pytest.mark.filterwarnings("ignore::psychometrics.factor.efa.HeywoodWarning")  # a jackknife resample's
@pytest.mark.parametrize("ci", ["percentile", "bca"])
def test_singleton_clusters_give_the_respondents_interval(agreeableness, ci):
    """Cluster numbers follow the rows' first appearance, so with every respondent its own cluster the drawn cluster
    numbers are the drawn row numbers of the ordinary bootstrap (the same rng call) and the delete-one-cluster
    jackknife (BCa) is the delete-one-respondent one: the intervals are equal, not only close."""
    data = agreeableness.iloc[:50] if ci == "bca" else agreeableness  # BCa refits once per respondent
    plain = pm.omega(data, 1, ci=ci, n_boot=25, seed=11)
    labels = [f"r{k}" for k in range(len(data))][::-1]  # any distinct labels
    clustered = pm.omega(data, 1, ci=ci, n_boot=25, seed=11, cluster=labels)
    assert clustered.omega_total_ci == plain.omega_total_ci
    assert clustered.omega_hierarchical_ci == plain.omega_hierarchical_ci
    assert (clustered.cluster_bootstrap, clustered.n_clusters) == (True, len(data))
    assert (plain.cluster_bootstrap, plain.n_clusters) == (False, None)


# ---------------------------------------------------------------------------------- (b) three clusters by hand
LABELS = np.array(["b", "a", "c", "a", "b", "b"])  # codes by first appearance: b = 0 (rows 0, 4, 5), a = 1
MEMBERS = {0: [0, 4, 5], 1: [1, 3], 2: [2]}  # (rows 1, 3), c = 2 (row 2)


def test_cluster_rows_by_hand():
    clusters = Clusters.of(pd.factorize(LABELS)[0])
    assert clusters.count == 3
    drawn = np.array([[0, 0, 2], [2, 1, 0], [1, 1, 1]])
    rows = clusters.rows(drawn)
    expected = [[0, 4, 5, 0, 4, 5, 2], [2, 1, 3, 0, 4, 5], [1, 3, 1, 3, 1, 3]]
    assert [r.tolist() for r in rows] == expected


def test_resamples_draw_clusters_from_the_seeded_stream():
    """Each resample's rows are the members of C = 3 clusters drawn by default_rng(seed).integers(0, 3, (B, 3))."""
    clusters = Clusters.of(pd.factorize(LABELS)[0])
    seen = []

    def record(rows):
        seen.append(rows.tolist())
        return np.array([len(rows)])

    sizes = resampled_statistics(record, len(LABELS), 150, seed=4, clusters=clusters)  # > one block of 64
    drawn = np.random.default_rng(4).integers(0, 3, size=(150, 3))
    assert seen == [[row for k in draw for row in MEMBERS[k]] for draw in drawn]
    assert sizes[:, 0].tolist() == [len(rows) for rows in seen]
    jackknife = []
    jackknife_statistics(lambda rows: jackknife.append(rows.tolist()) or np.zeros(1), 6, clusters)
    assert jackknife == [[1, 2, 3], [0, 2, 4, 5], [0, 1, 3, 4, 5]]


def test_interval_is_the_percentiles_of_omega_on_the_drawn_clusters(agreeableness):
    """End to end: percentile interval = quantiles of omega total refitted on each resample's rows (4 clusters)."""
    labels = np.arange(len(agreeableness)) % 4
    result = pm.omega(agreeableness, 1, ci="percentile", n_boot=12, seed=9, cluster=labels)
    members = [np.flatnonzero(labels == k) for k in range(4)]
    drawn = np.random.default_rng(9).integers(0, 4, size=(12, 4))
    totals = [pm.omega(agreeableness.iloc[np.concatenate([members[k] for k in d])], 1).omega_total for d in drawn]
    assert result.omega_total_ci == pytest.approx(tuple(np.quantile(totals, [0.025, 0.975])), abs=1e-12)
    assert result.n_clusters == 4


# ---------------------------------------------------------------------------------- (c) clustered data
def _clustered(seed=7, n_clusters=12, size=30, n_items=5) -> pd.DataFrame:
    """Items loading on one factor with a loading strength drawn per cluster (uniform 0 to 1.5): the correlations
    differ between clusters, so the clusters drawn decide much of omega."""
    rng = np.random.default_rng(seed)
    cluster = np.repeat(np.arange(n_clusters), size)
    strength = rng.uniform(0.0, 1.5, n_clusters)[cluster]
    items = strength[:, None] * rng.normal(size=(len(cluster), 1)) + rng.normal(size=(len(cluster), n_items))
    return pd.DataFrame(items, columns=[f"i{k}" for k in range(n_items)]).assign(service=[f"s{c}" for c in cluster])


def test_clustered_data_widen_the_interval():
    data = _clustered()
    respondents = pm.omega(data.drop(columns="service"), 1, ci="percentile", n_boot=120, seed=1)
    services = pm.omega(data, 1, ci="percentile", n_boot=120, seed=1, cluster="service")
    assert services.omega_total == respondents.omega_total  # the estimate does not depend on the cluster
    assert _width(services.omega_total_ci) > 2 * _width(respondents.omega_total_ci)
    assert services.to_dict()["cluster_bootstrap"] is True and services.to_dict()["n_clusters"] == 12
    by_labels = pm.omega(data.drop(columns="service"), 1, ci="percentile", n_boot=120, seed=1, cluster=data.service)
    assert by_labels.omega_total_ci == services.omega_total_ci


def test_rows_without_answers_leave_with_their_cluster(agreeableness):
    data = agreeableness.assign(service=np.arange(len(agreeableness)) % 5)
    data.loc[[0, 7], A] = np.nan
    data.loc[7, "service"] = np.nan  # no answer and no cluster: left out, not an error
    before = data.copy()
    result = pm.omega(data, 1, ci="percentile", n_boot=6, seed=2, cluster="service")
    kept = data.drop(index=[0, 7])
    same = pm.omega(kept, 1, ci="percentile", n_boot=6, seed=2, cluster="service")
    assert (result.n_dropped, result.n_clusters) == (2, 5)
    assert result.omega_total_ci == same.omega_total_ci
    pd.testing.assert_frame_equal(data, before)  # the caller's frame is not modified


# ---------------------------------------------------------------------------------- (d) hostile inputs
@pytest.mark.parametrize(
    "cluster, match",
    [
        ("site", r"cluster column 'site' is not in the data; available columns: \['A1'"),
        (np.arange(5), r"one label per row: got shape \(5,\) for 120 rows"),
        (np.zeros((120, 2)), r"one label per row: got shape \(120, 2\)"),
        (pd.Series(np.arange(120), index=np.arange(120) + 1), "another index than the data"),
        (np.r_[np.nan, np.arange(119.0)], r"the cluster of row 0 is missing \(1 row\(s\) without a cluster\)"),
        (np.ones(120), r"every respondent is in one cluster \(1.0\); a cluster bootstrap needs at least 2"),
    ],
)
def test_bad_clusters_are_refused(agreeableness, cluster, match):
    with pytest.raises(pm.DataError, match=match):
        pm.omega(agreeableness, 1, ci="percentile", n_boot=5, seed=1, cluster=cluster)


def test_cluster_needs_an_interval_and_raw_data(agreeableness):
    with pytest.raises(pm.DataError, match="ci is None"):
        pm.omega(agreeableness, 1, cluster=np.arange(120) % 3)
    with pytest.raises(pm.DataError, match="not a correlation matrix"):
        pm.omega(agreeableness.corr(), 1, n_obs=120, ci="percentile", cluster="service")
    with pytest.raises(pm.DataError, match="cluster column 'service' is not in the data"):
        pm.omega(agreeableness.to_numpy(), 1, ci="percentile", cluster="service")


# ---------------------------------------------------------------------------------- (e) strata
STRATA = np.array(["S1", "S1", "S2", "S1", "S1", "S1"])  # clusters b, a in S1; c in S2


def test_stratified_resamples_draw_each_stratum_from_its_own_clusters():
    """With strata, the C slots of a resample are the strata's own: slots 0-1 draw from S1's clusters (b = 0,
    a = 1), slot 2 from S2's (c = 2), by default_rng(seed).integers(0, [2, 2, 1]) offset to the stratum."""
    clusters = Clusters.of(pd.factorize(LABELS)[0], np.array([0, 0, 1]))
    assert clusters.n_strata == 2
    drawn = clusters.draw(np.random.default_rng(3), 200)
    assert np.isin(drawn[:, :2], [0, 1]).all() and (drawn[:, 2] == 2).all()
    assert set(drawn[:, :2].ravel()) == {0, 1}
    expected = np.random.default_rng(3).integers(0, [2, 2, 1], size=(200, 3)) + [0, 0, 2]
    np.testing.assert_array_equal(drawn, expected)


def test_every_cluster_its_own_stratum_leaves_nothing_to_resample(agreeableness):
    """Each stratum draws its one cluster: every resample holds the data's rows (in cluster order), so the interval
    shrinks to the estimate."""
    labels = np.arange(len(agreeableness)) % 4
    result = pm.omega(agreeableness, 1, ci="percentile", n_boot=8, seed=3, cluster=labels, strata=labels)
    assert result.omega_total_ci == pytest.approx((result.omega_total,) * 2, abs=1e-12)
    assert (result.n_clusters, result.n_strata) == (4, 4)


def test_strata_columns_leave_the_items(agreeableness):
    data = agreeableness.assign(service=np.arange(120) % 6, site=np.where(np.arange(120) % 6 < 3, "x", "y"))
    by_columns = pm.omega(data, 1, ci="percentile", n_boot=10, seed=5, cluster="service", strata="site")
    by_labels = pm.omega(agreeableness, 1, ci="percentile", n_boot=10, seed=5, cluster=data.service, strata=data.site)
    assert by_columns.omega_total_ci == by_labels.omega_total_ci
    assert by_columns.omega_total == pm.omega(agreeableness, 1).omega_total
    assert (by_columns.n_strata, by_columns.to_dict()["n_strata"]) == (2, 2)
    unstratified = pm.omega(agreeableness, 1, ci="percentile", n_boot=10, seed=5, cluster=data.service)
    assert unstratified.n_strata is None


@pytest.mark.parametrize(
    "strata, match",
    [
        ("site", r"strata column 'site' is not in the data"),
        (np.where(np.arange(120) < 60, "x", "y"), r"cluster 0 lies in strata 'x' and 'y'; the clusters must be nested"),
        (np.r_[[None], ["x"] * 119], r"the stratum of row 0 is missing"),
        (np.arange(7), r"strata must hold one label per row"),
    ],
)
def test_bad_strata_are_refused(agreeableness, strata, match):
    with pytest.raises(pm.DataError, match=match):
        pm.omega(agreeableness, 1, ci="percentile", n_boot=5, seed=1, cluster=np.arange(120) % 3, strata=strata)


def test_strata_need_clusters(agreeableness):
    with pytest.raises(pm.DataError, match="cluster is None"):
        pm.omega(agreeableness, 1, ci="percentile", strata=np.arange(120) % 2)

"""The block and pattern algebra behind fast multi-group and FIML fits, checked against the dense definitions
(the lavaan references of these fits are in test_invariance.py, test_cfa_fiml.py and test_cfa_mlr.py)."""

import numpy as np

from psychometrics.sem.cfa._estimation import BlockStructure
from psychometrics.sem.cfa._robust import FactoredCovariance, _baseline_traces
from psychometrics.sem.cfa._fiml import MissingPatterns, em_moments
from psychometrics.sem.cfa._model import vech_indices
from psychometrics.sem.cfa._mvnorm import missing_information
from psychometrics.sem.cfa._tests import ugamma_traces


def _block_arrow(rng, sizes, n_shared):
    n = sum(sizes) + n_shared
    columns, start = [], 0
    for size in sizes:
        columns.append(np.r_[start : start + size, n - n_shared : n])
        start += size
    matrix = np.zeros((n, n))
    for c in columns:
        a = rng.standard_normal((len(c), len(c) + 3))
        matrix[np.ix_(c, c)] += a @ a.T
    return matrix, columns


def test_block_arrow_solve_and_inverse_trace_equal_dense():
    rng = np.random.default_rng(1)
    matrix, columns = _block_arrow(rng, [3, 4, 2], 2)
    blocks = BlockStructure.from_columns(columns, len(matrix))
    rhs = rng.standard_normal((len(matrix), 2))
    factor = blocks.factor(matrix)
    np.testing.assert_allclose(factor.solve(rhs), np.linalg.solve(matrix, rhs), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(factor.inverse_trace(), np.trace(np.linalg.inv(matrix)), rtol=1e-10)
    np.testing.assert_allclose(factor.inverse(), np.linalg.inv(matrix), rtol=1e-10, atol=1e-12)


def test_factored_covariance_is_the_scaled_inverse():
    """A multi-group fit keeps its covariance factored: np.asarray forms inverse() / divisor, the standard errors
    read diagonal() (each group's own block) without forming it."""
    rng = np.random.default_rng(2)
    matrix, columns = _block_arrow(rng, [3, 4, 2], 2)
    factor = BlockStructure.from_columns(columns, len(matrix)).factor(matrix)
    vcov = FactoredCovariance(factor, 7.0)
    np.testing.assert_array_equal(np.asarray(vcov), factor.inverse() / 7.0)
    np.testing.assert_allclose(vcov.diagonal(), np.diag(np.linalg.inv(matrix)) / 7.0, rtol=1e-12)
    np.testing.assert_allclose(vcov.diagonal(), np.diag(np.asarray(vcov)), rtol=1e-14)


class _GroupsOfIndependenceModel:
    """What _baseline_traces reads of a problem: each group's Jacobian, weight matrix, NACOV and share."""

    def __init__(self, rng, sizes):
        moments = 6
        self.jacobians = [rng.standard_normal((moments, q)) for q in sizes]
        self.weights = [_positive_definite(rng, moments) for _ in sizes]
        self.nacovs = [_positive_definite(rng, moments) for _ in sizes]
        self.fractions = np.array(sizes, float) / sum(sizes)

    def baseline_jacobians(self):
        return self.jacobians

    def baseline_weights(self):
        return self.weights

    def gammas(self):
        return self.nacovs


def _positive_definite(rng, n):
    a = rng.standard_normal((n, n + 2))
    return a @ a.T / n


def test_baseline_traces_by_group_equal_the_stacked_definition():
    """tr(U Gamma), tr((U Gamma)^2) of separate per-group parameters: summed group by group as from the Jacobian
    over all groups' parameters (Delta = bdiag(D_g), E = sum_g f_g Delta_g' W_g Delta_g)."""
    problem = _GroupsOfIndependenceModel(np.random.default_rng(3), [2, 3, 4])
    d, f = problem.jacobians, problem.fractions
    starts = np.cumsum([0] + [x.shape[1] for x in d])
    placed = [np.zeros((len(x), starts[-1])) for x in d]
    for g, x in enumerate(d):
        placed[g][:, starts[g] : starts[g + 1]] = x
    e = sum(fg * p.T @ w @ p for fg, p, w in zip(f, placed, problem.weights))
    expected = ugamma_traces(problem.weights, placed, problem.nacovs, f, np.linalg.inv(e))
    np.testing.assert_allclose(_baseline_traces(problem), expected, rtol=1e-12)


def _casewise(values, mu, sigma):
    """-2 logl without log 2 pi, z_i and sum_o n_o Sigma_oo^-1, row by row (the definition)."""
    total, z, w_sum = 0.0, np.zeros_like(values), np.zeros_like(sigma)
    for i, row in enumerate(values):
        o = np.flatnonzero(~np.isnan(row))
        w = np.linalg.inv(sigma[np.ix_(o, o)])
        e = row[o] - mu[o]
        total += np.linalg.slogdet(sigma[np.ix_(o, o)])[1] + e @ w @ e
        z[i, o] = w @ e
        w_sum[np.ix_(o, o)] += w
    return total, z, w_sum


def test_pattern_terms_equal_the_casewise_definition():
    rng = np.random.default_rng(2)
    values = rng.standard_normal((300, 6)) + rng.standard_normal((300, 1))
    values[rng.random(values.shape) < 0.25] = np.nan
    values = values[~np.isnan(values).all(axis=1)]
    values[:40, :2] = np.nan  # one pattern shared by many rows as well
    patterns = MissingPatterns(values)
    mu, sigma = em_moments(values, patterns)
    terms = patterns.terms(mu, sigma)
    total, z, w_sum = _casewise(values, mu, sigma)
    np.testing.assert_allclose(terms.minus_two_loglik, total, rtol=1e-12)
    np.testing.assert_allclose(terms.inverse_sum, w_sum, rtol=1e-10, atol=1e-12)
    stacked = np.zeros_like(z)
    for block, rows in zip(patterns.blocks, terms.z):
        stacked[block.rows] = rows
    np.testing.assert_allclose(stacked, z, rtol=1e-10, atol=1e-12)
    scores = patterns.scores(mu, sigma)
    np.testing.assert_allclose(scores[:, :6], z, rtol=1e-10, atol=1e-12)
    o = np.flatnonzero(~np.isnan(values[0]))
    w = np.zeros((6, 6))
    w[np.ix_(o, o)] = np.linalg.inv(sigma[np.ix_(o, o)])
    cov_part = np.outer(z[0], z[0]) - w
    cov_part[np.diag_indices(6)] /= 2
    rows, cols = vech_indices(6)
    np.testing.assert_allclose(scores[0, 6:], cov_part[rows, cols], rtol=1e-10, atol=1e-12)


def test_expected_information_is_the_patterns_weighted_sum():
    rng = np.random.default_rng(3)
    values = rng.standard_normal((200, 4)) + rng.standard_normal((200, 1))
    values[rng.random(values.shape) < 0.2] = np.nan
    values = values[~np.isnan(values).all(axis=1)]

    class Stats:
        patterns, n_obs = MissingPatterns(values), len(values)

    sigma = np.cov(np.nan_to_num(values), rowvar=False) + np.eye(4)
    mu = np.zeros(4)
    info = missing_information(Stats, mu, sigma, expected=True)
    rows, cols = vech_indices(4)
    dense = np.zeros_like(info)
    for row in values:
        o = np.flatnonzero(~np.isnan(row))
        w = np.zeros((4, 4))
        w[np.ix_(o, o)] = np.linalg.inv(sigma[np.ix_(o, o)])
        dup = w[np.ix_(rows, rows)] * w[np.ix_(cols, cols)] + w[np.ix_(rows, cols)] * w[np.ix_(cols, rows)]
        half = np.where(rows == cols, 0.5, 1.0)
        dense[:4, :4] += w
        dense[4:, 4:] += dup * np.outer(half, half)  # D'(W kron W)D / 2
    np.testing.assert_allclose(info, dense / len(values), rtol=1e-10, atol=1e-12)


def test_means_and_variances_block_of_the_observed_information():
    # The independence model's block (means, variances) computed alone equals that block of the whole matrix,
    # for every row its own pattern as well as shared patterns, at a diagonal and at a full Sigma.
    rng = np.random.default_rng(4)
    values = rng.standard_normal((150, 5)) + rng.standard_normal((150, 1))
    values[rng.random(values.shape) < 0.2] = np.nan
    values = values[~np.isnan(values).all(axis=1)]
    values[:30, 0] = np.nan

    class Stats:
        patterns, n_obs = MissingPatterns(values), len(values)

    rows, cols = vech_indices(5)
    selected = np.r_[np.arange(5), 5 + np.flatnonzero(rows == cols)]
    mu, sigma = em_moments(values, Stats.patterns)
    for at in (sigma, np.diag(np.diag(sigma))):
        whole = missing_information(Stats, mu + 0.1, at)
        block = missing_information(Stats, mu + 0.1, at, variances_only=True)
        np.testing.assert_allclose(block, whole[np.ix_(selected, selected)], rtol=1e-12, atol=1e-14)

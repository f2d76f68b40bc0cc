"""Marginal maximum likelihood: Bock-Aitkin EM on a fixed quadrature grid, then Newton steps on the observed
information (Louis 1982).

Identical response patterns are collapsed with their counts, so every E-step is two matrix products over
(patterns x item categories) and (item categories x quadrature nodes). The M-step is a Newton step on the
expected complete-data log-likelihood (Bock & Aitkin 1981, eq. 9-12), whose gradient and Hessian follow from the
expected counts ``r_jqk`` (item j, node q, category k) and ``n_q``. After EM has nearly converged, Newton steps on the
marginal log-likelihood use its exact Hessian from Louis's (1982) identity

    H = E[H_c | Y] + E[s_c s_c' | Y] - E[s_c | Y] E[s_c | Y]'

summed over patterns, whose inverse at the maximum gives the standard errors (the observed information).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg.blas import dsyrk

from ...errors import ConvergenceError, IdentificationError
from ._model import (
    ItemData,
    ParameterMap,
    category_mask,
    category_probabilities,
    intercepts_ordered,
    latent_weights,
    probability_derivatives,
)

EM_TOLERANCE = 1e-2  # largest parameter change that ends the EM phase
NEWTON_TOLERANCE = 1e-7  # largest |gradient| / n at the maximum
MAX_EM = 2000
TINY = 1e-300  # floor of a category probability in the logarithm (underflow in the tails of steep items)
POSTERIOR_FLOOR = 1e-12  # nodes below this posterior weight are left out of Louis's cross-products
MAX_NEWTON = 50


@dataclass(frozen=True)
class EStep:
    loglik: float
    posterior: list  # per group: (P_g, Q) posterior weights of the nodes for each pattern
    counts: list  # per group: expected counts r (J, Q, K)
    node_counts: list  # per group: expected n_q (Q,)


@dataclass(frozen=True)
class Fit:
    free: np.ndarray
    full: np.ndarray
    loglik: float
    hessian: np.ndarray | None  # observed Hessian of the log-likelihood over the free parameters (None: not asked)
    iterations: int


class Problem:
    """One model on one data set: the E-step, the complete-data derivatives and Louis's observed Hessian."""

    def __init__(self, data: ItemData, pmap: ParameterMap, theta: np.ndarray):
        self.data, self.pmap, self.theta = data, pmap, theta
        self.k_max = data.k_max
        self.mask = category_mask(data.n_categories, self.k_max)
        onehot = data.onehot()
        groups = range(len(data.group_names))
        self.onehot = [onehot[data.pattern_group == g] for g in groups]
        self.weights = [data.counts[data.pattern_group == g] for g in groups]
        self.stat = np.column_stack([theta, theta**2])  # sufficient statistics of the latent density
        self.shared = _shared_items(pmap)

    # -------------------------------------------------------------------------------------------- E-step

    def log_probabilities(self, params: np.ndarray) -> np.ndarray:
        """log P (J*K, Q) in the layout of the indicator matrix; 0 where a category does not exist."""
        probs = category_probabilities(params, self.theta, self.data.n_categories)
        logp = np.where(
            self.mask[:, None, :], np.log(np.where(self.mask[:, None, :], np.maximum(probs, TINY), 1.0)), 0.0
        )
        return logp.transpose(0, 2, 1).reshape(-1, len(self.theta))

    def estep(self, full: np.ndarray) -> EStep:
        items, eta = self.pmap.split(full)
        if not all(intercepts_ordered(items[g], self.data.n_categories) for g in range(self.pmap.n_groups)):
            return EStep(-np.inf, [], [], [])
        loglik, posteriors, counts, node_counts = 0.0, [], [], []
        for g, (onehot, weights) in enumerate(zip(self.onehot, self.weights)):
            with np.errstate(divide="ignore"):
                joint = onehot @ self.log_probabilities(items[g]) + np.log(latent_weights(eta[g], self.theta))
            top = joint.max(axis=1, keepdims=True)
            posterior = np.exp(joint - top)
            total = posterior.sum(axis=1, keepdims=True)
            posterior /= total
            loglik += float(weights @ (top + np.log(total)).ravel())
            weighted = posterior * weights[:, None]
            r = (weighted.T @ onehot).reshape(len(self.theta), -1, self.k_max).transpose(1, 0, 2)
            posteriors.append(posterior)
            counts.append(r)
            node_counts.append(weighted.sum(axis=0))
        return EStep(loglik, posteriors, counts, node_counts)

    # ------------------------------------------------------------------------------- complete-data parts

    def _item_terms(self, params: np.ndarray, r: np.ndarray, which=slice(None)):
        """Value, gradient (J, K) and Hessian (J, K, K) of sum r log P, and the scores dlogP (J, Q, K, K), for
        the items ``which``."""
        probs, dprobs, d2probs = probability_derivatives(params[which], self.theta, self.data.n_categories[which])
        valid = self.mask[which][:, None, :]
        if not intercepts_ordered(params[which], self.data.n_categories[which]):
            return -np.inf, None, None, None
        r = r[which]
        safe = np.where(valid, np.maximum(probs, TINY), 1.0)
        score = dprobs / safe[..., None]
        ratio = r / safe
        value = float(np.sum(np.where(valid, r * np.log(safe), 0.0)))
        n_items, n_q, k, p = score.shape
        flat_score = score.reshape(n_items, n_q * k, p)
        grad = (r.reshape(n_items, 1, -1) @ flat_score)[:, 0]
        weighted = flat_score * r.reshape(n_items, -1, 1)
        hess = (ratio.reshape(n_items, 1, -1) @ d2probs.reshape(n_items, n_q * k, p * p)).reshape(n_items, p, p)
        hess -= weighted.transpose(0, 2, 1) @ flat_score
        return value, grad, hess, score

    def _latent_terms(self, eta: np.ndarray, n_q: np.ndarray):
        """Value, gradient and Hessian of sum n_q log pi_q over eta, and the centred statistics (Q, 2)."""
        with np.errstate(divide="ignore"):
            log_pi = np.log(latent_weights(eta, self.theta))
        pi = np.exp(log_pi)
        centred = self.stat - pi @ self.stat
        total = n_q.sum()
        value = float(np.sum(np.where(n_q > 0, n_q * log_pi, 0.0)))
        return value, n_q @ centred, -total * (centred.T * pi) @ centred, centred

    def _item_blocks(self, e: EStep):
        """(group, items, counts) to evaluate: items equal across groups once with the pooled counts (their
        derivatives are then placed in group 0's block, which the map sums into the same free parameters)."""
        shared = self.shared
        blocks = []
        if shared.any():
            blocks.append((0, np.flatnonzero(shared), sum(e.counts)))
        for g in range(self.pmap.n_groups):
            if not shared.all():
                blocks.append((g, np.flatnonzero(~shared), e.counts[g]))
        return blocks

    def complete(self, full: np.ndarray, e: EStep, value_only: bool = False):
        """Expected complete-data log-likelihood, gradient and Hessian over the full parameter vector."""
        pm = self.pmap
        items, eta = pm.split(full)
        if value_only:
            return self._complete_value(items, eta, e), None, None
        size, k = len(full), self.k_max
        value, grad, hess = 0.0, np.zeros(size), np.zeros((size, size))
        block = self.data.n_categories.size * k
        for g, which, counts in self._item_blocks(e):
            v_i, g_i, h_i, _ = self._item_terms(items[g], counts, which)
            if g_i is None:
                return -np.inf, None, None
            value += v_i
            for position, j in enumerate(which):
                start = g * block + j * k
                grad[start : start + k] = g_i[position]
                hess[start : start + k, start : start + k] = h_i[position]
        for g in range(pm.n_groups):
            v_l, g_l, h_l, _ = self._latent_terms(eta[g], e.node_counts[g])
            value += v_l
            lat = pm.n_item_full + 2 * g
            grad[lat : lat + 2] = g_l
            hess[lat : lat + 2, lat : lat + 2] = h_l
        return value, grad, hess

    def _complete_value(self, items, eta, e: EStep) -> float:
        value = 0.0
        for g, which, counts in self._item_blocks(e):
            probs = category_probabilities(items[g][which], self.theta, self.data.n_categories[which])
            valid = self.mask[which][:, None, :]
            if not intercepts_ordered(items[g][which], self.data.n_categories[which]):
                return -np.inf
            safe = np.where(valid, np.maximum(probs, TINY), 1.0)
            value += float(np.sum(np.where(valid, counts[which] * np.log(safe), 0.0)))
        for g in range(self.pmap.n_groups):
            with np.errstate(divide="ignore"):
                log_pi = np.log(latent_weights(eta[g], self.theta))
            value += float(np.sum(np.where(e.node_counts[g] > 0, e.node_counts[g] * log_pi, 0.0)))
        return value

    def observed_hessian(self, full: np.ndarray, e: EStep):
        """Gradient and Louis's observed Hessian of the marginal log-likelihood over the full vector."""
        pm = self.pmap
        _, grad, hess = self.complete(full, e)
        items, eta = pm.split(full)
        n_items, k = self.data.n_categories.size, self.k_max
        block = n_items * k
        for g in range(pm.n_groups):
            _, _, _, score = self._item_terms(items[g], e.counts[g])
            _, _, _, centred = self._latent_terms(eta[g], e.node_counts[g])
            post, onehot, w = e.posterior[g], self.onehot[g], self.weights[g]
            idx = np.r_[g * block : (g + 1) * block, pm.n_item_full + 2 * g, pm.n_item_full + 2 * g + 1]
            hess[np.ix_(idx, idx)] += _score_outer(post, onehot, w, score, centred, e.counts[g], e.node_counts[g])
        return grad, hess


def _shared_items(pmap: ParameterMap) -> np.ndarray:
    """Items whose parameters map to the same free parameters (or fixed values) in every group."""
    rows = pmap.matrix[: pmap.n_item_full].reshape(pmap.n_groups, pmap.n_items, pmap.k_max, -1)
    base = pmap.base[: pmap.n_item_full].reshape(pmap.n_groups, pmap.n_items, pmap.k_max)
    same_rows = (rows == rows[:1]).all(axis=(0, 2, 3))
    return same_rows & (base == base[:1]).all(axis=(0, 2))


def _score_outer(post, onehot, w, score, centred, r, n_q) -> np.ndarray:
    """sum_p w_p (E[s s' | y_p] - E[s | y_p] E[s | y_p]') over one group's item and latent parameters.

    The complete-data score of pattern p at node q is ``sum_j dlogP_j(x_pj, theta_q)`` for the items and the
    centred statistic ``T(theta_q) - E_pi T`` for eta, so E[s s'] needs the node-wise pattern cross-products
    ``G_q = Y' diag(w * post_q) Y``.
    """
    n_items, n_q_nodes, k, p = score.shape
    weighted = post * w[:, None]
    cross = np.zeros((n_q_nodes, n_items * k, n_items * k))
    root = np.sqrt(weighted)
    relevant = post > POSTERIOR_FLOOR  # the rest adds less than 1e-12 of a pattern's weight
    for q in np.flatnonzero(relevant.any(axis=0)):
        rows = relevant[:, q]
        cross[q] = dsyrk(1.0, (onehot[rows] * root[rows, q : q + 1]).T, trans=0)  # .T is Fortran-ordered
    cross = np.triu(cross) + np.triu(cross, 1).transpose(0, 2, 1)
    # item-item block: sum_q U_q' G_q U_q with U_q block-diagonal (item j's scores dlogP_j(k, theta_q))
    by_item = cross.reshape(n_q_nodes, n_items * k, n_items, k).transpose(0, 2, 1, 3)  # (Q, L, JK, M)
    half = by_item @ score.transpose(1, 0, 2, 3)  # (Q, L, JK, p)
    half = half.reshape(n_q_nodes, n_items, n_items, k, p).transpose(2, 0, 3, 1, 4)  # (J, Q, K, L, p)
    flat_score = score.reshape(n_items, n_q_nodes * k, p).transpose(0, 2, 1)
    item_item = (flat_score @ half.reshape(n_items, n_q_nodes * k, n_items * p)).reshape(n_items * p, n_items * p)
    summed = (score * r[..., None]).sum(axis=2)  # (J, Q, p)
    item_latent = (summed.transpose(0, 2, 1) @ centred).reshape(n_items * p, 2)
    latent_latent = (centred.T * n_q) @ centred
    expected = np.block([[item_item, item_latent], [item_latent.T, latent_latent]])
    # E[s | y_p]: items sum over the answered categories, the latent part is post @ centred
    per_node = post @ score.transpose(1, 0, 2, 3).reshape(n_q_nodes, -1)
    item_mean = (per_node.reshape(len(post), n_items, k, p) * onehot.reshape(len(post), n_items, k)[..., None]).sum(2)
    mean = np.column_stack([item_mean.reshape(len(post), -1), post @ centred])
    return expected - (mean.T * w) @ mean


# ------------------------------------------------------------------------------------------------ optimisers


def _newton_step(free, value_of, grad, hess, current):
    """A Newton step with step halving; returns the new free vector and its value (or None)."""
    try:
        step = -np.linalg.solve(hess, grad)
    except np.linalg.LinAlgError:
        return None, current
    if not np.all(np.isfinite(step)):
        return None, current
    if grad @ step < 0:  # not an ascent direction: fall back to a scaled gradient step
        step = grad / max(1.0, np.abs(grad).max())
    for _ in range(30):
        value = value_of(free + step)
        if np.isfinite(value) and value >= current - 1e-10 * abs(current):
            return free + step, value
        step = step / 2
    return None, current


def _m_step(problem: Problem, free: np.ndarray, e: EStep) -> np.ndarray:
    """One Newton step on the expected complete-data log-likelihood (the EM gradient algorithm, Lange 1995)."""
    pm = problem.pmap
    value, grad, hess = problem.complete(pm.full(free), e)
    new, _ = _newton_step(
        free,
        lambda c: problem.complete(pm.full(c), e, value_only=True)[0],
        pm.matrix.T @ grad,
        pm.matrix.T @ hess @ pm.matrix,
        value,
    )
    return free if new is None else new


def fit(problem: Problem, start: np.ndarray, standard_errors: bool = True, em_tolerance: float = EM_TOLERANCE) -> Fit:
    """EM until the parameters change by less than ``em_tolerance`` (a warm start needs little), then Newton on
    the observed information; without ``standard_errors`` the Hessian of the last Newton step is kept instead of a
    fresh one."""
    pm, free = problem.pmap, start
    for iteration in range(1, MAX_EM + 1):  # noqa: B007 - the count is reported after the loop
        e = problem.estep(pm.full(free))
        new = _m_step(problem, free, e)
        change = np.max(np.abs(new - free))
        free = new
        if change < em_tolerance:
            break
    n_obs = problem.data.n_obs
    e = problem.estep(pm.full(free))
    hess_free, hess_fresh, previous = None, False, np.inf
    for newton in range(MAX_NEWTON):
        grad_free = pm.matrix.T @ problem.complete(pm.full(free), e)[1]
        size = np.max(np.abs(grad_free))
        converged = size / n_obs < NEWTON_TOLERANCE
        # Louis's Hessian is recomputed when the (chord) Newton steps stop halving the gradient, and
        # always at the maximum, where it gives the standard errors
        stalled = hess_free is None or size > 0.5 * previous
        if (converged and standard_errors and not hess_fresh) or (not converged and stalled):
            hess_free = pm.matrix.T @ problem.observed_hessian(pm.full(free), e)[1] @ pm.matrix
            hess_fresh = True
        if converged:
            return Fit(free, pm.full(free), e.loglik, hess_free, iteration + newton)
        new, _ = _newton_step(free, lambda c: problem.estep(pm.full(c)).loglik, grad_free, hess_free, e.loglik)
        if new is None:
            break
        free, previous, hess_fresh = new, size, False
        e = problem.estep(pm.full(free))
    raise ConvergenceError(
        f"the IRT model did not converge (largest gradient {np.max(np.abs(grad_free)):.3g} after {iteration} EM "
        "cycles and the Newton steps); an item may have an almost empty category or no relation to the others: "
        "check the item statistics, merge sparse categories or drop the item.",
        iterations=iteration,
    )


def covariance(hessian: np.ndarray, names: list) -> np.ndarray:
    """Inverse observed information; an IdentificationError naming the parameter of the weakest direction when
    it is singular."""
    information = -hessian
    eigen, vectors = np.linalg.eigh(information)
    if eigen[0] <= 1e-10 * max(1.0, eigen[-1]):
        worst = names[int(np.argmax(np.abs(vectors[:, 0])))]
        raise IdentificationError(
            f"the observed information matrix is singular (weakest parameter {worst}): the model is not "
            "identified, or an item's slope runs off to infinity (an item answered almost deterministically "
            "by the others, or a category used by almost nobody). Check that item, or add anchor items / fix the "
            "latent mean and variance in a multiple-group model."
        )
    return np.linalg.inv(information)

"""LISREL representation of a model (lavaan's "LISREL" representation, all-y form).

Per group: ``Sigma = Lambda (I - B)^-1 Psi (I - B)^-T Lambda' + Theta`` and ``mu = nu + Lambda (I - B)^-1 alpha``.
The moments of a group are ordered as lavaan's ``WLS.obs``: the means (with a mean structure) followed by
``vech(Sigma)`` (lower triangle, column by column). ``delta`` is the analytic Jacobian of the moments with respect
to the free parameters, used for the gradient, the expected information and the modification indices.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pandas as pd

from ._partable import table_columns

MATRICES = ("lambda", "theta", "psi", "beta", "nu", "alpha")


@functools.lru_cache(maxsize=16)
def vech_indices(p: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of vech (lower triangle, column-major, lavaan's lav_matrix_vech); kept per p,
    read-only (np.triu_indices costs ~30 us, and a fit, a two-level likelihood evaluation ask again)."""
    cols, rows = np.triu_indices(p)
    rows.flags.writeable = cols.flags.writeable = False
    return rows, cols


@dataclasses.dataclass(frozen=True)
class Elements:
    """Matrix positions (group, matrix, row, col) of a set of parameters, e.g. the free ones or candidates."""

    group: np.ndarray
    matrix: np.ndarray
    row: np.ndarray
    col: np.ndarray

    @classmethod
    def from_table(cls, table: pd.DataFrame) -> Elements:
        return cls(
            table["group"].to_numpy(int),
            table["matrix"].to_numpy(object),
            table["row"].to_numpy(int),
            table["col"].to_numpy(int),
        )

    def __len__(self) -> int:
        return len(self.group)


@dataclasses.dataclass(frozen=True)
class GroupMatrices:
    """The model matrices of one group and the products the derivatives reuse."""

    lambda_: np.ndarray
    theta: np.ndarray
    psi: np.ndarray
    beta: np.ndarray
    nu: np.ndarray
    alpha: np.ndarray

    # cached_property writes the instance __dict__ directly, so it works on this frozen dataclass; the matrices
    # are never modified after construction
    @functools.cached_property
    def ib(self) -> np.ndarray:
        """(I - B)^-1 (the identity when there are no regressions)."""
        if not self.beta.any():
            return np.eye(len(self.beta))
        return np.linalg.inv(np.eye(len(self.beta)) - self.beta)

    @functools.cached_property
    def _lv_cov(self) -> np.ndarray:
        return self.ib @ self.psi @ self.ib.T

    @functools.cached_property
    def _sigma(self) -> np.ndarray:
        return self.lambda_ @ self._lv_cov @ self.lambda_.T + self.theta

    def lv_cov(self) -> np.ndarray:
        """Covariance matrix of the latent variables, (I - B)^-1 Psi (I - B)^-T."""
        return self._lv_cov

    def lv_mean(self) -> np.ndarray:
        return self.ib @ self.alpha

    def sigma(self) -> np.ndarray:
        """Model-implied covariance matrix."""
        return self._sigma

    @functools.cached_property
    def _mu(self) -> np.ndarray:
        mu = self.nu + self.lambda_ @ self.lv_mean()
        mu.flags.writeable = False
        return mu

    def mu(self) -> np.ndarray:
        """Model-implied means (read-only; computed once: the optimiser asks at every evaluation)."""
        return self._mu


class LisrelModel:
    """Maps a free-parameter vector to group matrices, implied moments and their Jacobian."""

    def __init__(
        self,
        table: pd.DataFrame,
        n_observed: int,
        n_latent: int,
        n_groups: int,
        meanstructure: bool,
        dummies=(),
        n_exogenous: int = 0,
    ):
        if isinstance(table, pd.DataFrame):
            self._table, self._columns = table, None
        else:  # the columns of a parameter table (partable_columns); the DataFrame is built on first use
            self._table, self._columns = None, table
        self.dummies = list(dummies)
        self.n_exogenous = n_exogenous
        self.p, self.m, self.n_groups = n_observed, n_latent, n_groups
        self.meanstructure = meanstructure
        columns = {c: self.columns[c] for c in ("group", "matrix", "row", "col", "x", "ustart")}
        free = columns["x"] >= 0
        self.n_free = int(columns["x"].max()) + 1 if free.any() else 0
        self.free_elements = Elements(
            *(columns[c][free].astype(t) for c, t in (("group", int), ("matrix", object), ("row", int), ("col", int)))
        )
        self.free_x = columns["x"][free].astype(int)
        self._fixed = self._fixed_matrices({c: values[~free] for c, values in columns.items()})
        self.vech_rows, self.vech_cols = vech_indices(n_observed)
        self._slots = self._free_slots()
        self._group_elements = [self._elements_of(g) for g in range(n_groups)]
        self._incidence = [self._incidence_of(pick) for pick, _ in self._group_elements]  # (columns, local)
        self._plans = [_plan(elements, g) for g, (_, elements) in enumerate(self._group_elements)]
        self._cache: tuple[bytes, dict] = (b"", {})
        self._eye_p = np.eye(n_observed)

    @property
    def table(self) -> pd.DataFrame:
        """The parameter table (lhs, op, rhs, group, ..., x, matrix, row, col)."""
        if self._table is None:
            self._table = pd.DataFrame(self._columns)
        return self._table

    @property
    def columns(self) -> dict[str, np.ndarray]:
        """The parameter table's columns as NumPy arrays."""
        if self._columns is None:
            self._columns = table_columns(self._table)
        return self._columns

    @property
    def n_moments(self) -> int:
        """Sample moments per group: p(p+1)/2 covariances (+ p means)."""
        return len(self.vech_rows) + (self.p if self.meanstructure else 0)

    @property
    def n_data_moments(self) -> int:
        """Moments per group that count for the degrees of freedom: those of the exogenous covariates, fixed at
        their sample values (fixed.x), do not (lavaan's lav_partable_ndat)."""
        nx = self.n_exogenous
        return self.n_moments - nx * (nx + 1) // 2 - (nx if self.meanstructure else 0)

    def _shapes(self) -> dict[str, tuple[int, int]]:
        p, m = self.p, self.m
        return {"lambda": (p, m), "theta": (p, p), "psi": (m, m), "beta": (m, m), "nu": (p, 1), "alpha": (m, 1)}

    def _fixed_matrices(self, fixed: dict[str, np.ndarray]) -> list[dict[str, np.ndarray]]:
        out = [{name: np.zeros(shape) for name, shape in self._shapes().items()} for _ in range(self.n_groups)]
        for mats in out:
            for i, j in self.dummies:
                mats["lambda"][i, j] = 1.0  # observed variable carried by its phantom latent variable
        columns = ("group", "matrix", "row", "col", "ustart")
        for g, name, r, c, value in zip(*(fixed[col].tolist() for col in columns)):
            out[g][name][r, c] = value
            if name in ("theta", "psi"):
                out[g][name][c, r] = value
        return out

    def values(self, x: np.ndarray) -> np.ndarray:
        """Value of every parameter-table row for the free-parameter vector ``x``."""
        rows = self.columns["x"].astype(int)
        return np.where(rows >= 0, x[np.maximum(rows, 0)], self.columns["ustart"].astype(float))

    def _elements_of(self, group: int) -> tuple[np.ndarray, Elements]:
        e = self.free_elements
        pick = np.flatnonzero(e.group == group)
        return pick, Elements(e.group[pick], e.matrix[pick], e.row[pick], e.col[pick])

    def _incidence_of(self, pick: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The free parameters the elements ``pick`` map to and the 0/1 incidence restricted to them: a group's
        own columns only, so that the model's memory grows linearly with the groups."""
        columns, local_index = np.unique(self.free_x[pick], return_inverse=True)
        local = np.zeros((len(pick), len(columns)))
        local[np.arange(len(pick)), local_index.ravel()] = 1.0
        return columns, local

    def _free_slots(self) -> list[list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]]:
        """Per group and matrix: the rows, columns and parameter indices of the free elements."""
        e = self.free_elements
        slots = []
        for g in range(self.n_groups):
            group_slots = []
            for name in MATRICES:
                pick = (e.group == g) & (e.matrix == name)
                if pick.any():
                    group_slots.append((name, e.row[pick], e.col[pick], self.free_x[pick]))
            slots.append(group_slots)
        return slots

    def _at(self, x: np.ndarray) -> dict:
        """What was computed at ``x`` (kept for the last point only: the optimiser asks for it repeatedly). The
        point is recognised by its bytes: a tenth of the cost of an elementwise comparison, asked ~60 times a fit."""
        key = np.ascontiguousarray(x, dtype=float).tobytes()
        cached_key, cached = self._cache
        if key != cached_key:
            cached = {}
            self._cache = (key, cached)
        return cached

    def matrices(self, x: np.ndarray, group: int) -> GroupMatrices:
        """The group's matrices at ``x`` (cached for the last point)."""
        cached = self._at(x)
        if group not in cached:
            cached[group] = self._build_matrices(x, group)
        return cached[group]

    def _build_matrices(self, x: np.ndarray, group: int) -> GroupMatrices:
        mats = {k: v.copy() for k, v in self._fixed[group].items()}
        for name, rows, cols, index in self._slots[group]:
            vals = x[index]
            mats[name][rows, cols] = vals
            if name in ("theta", "psi"):
                mats[name][cols, rows] = vals
        return GroupMatrices(
            mats["lambda"], mats["theta"], mats["psi"], mats["beta"], mats["nu"][:, 0], mats["alpha"][:, 0]
        )

    def implied(self, x: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """(Sigma, mu) per group."""
        out = []
        for g in range(self.n_groups):
            mats = self.matrices(x, g)
            out.append((mats.sigma(), mats.mu()))
        return out

    def element_derivatives(self, x: np.ndarray, group: int, elements: Elements) -> ElementDerivatives:
        """:meth:`_element_derivatives`; those of the group's own free elements are cached for the last point (the
        gradient, the Hessian and the information at one point all need them)."""
        if elements is not self.own_elements(group):
            return self._element_derivatives(x, group, elements)
        cached = self._at(x)
        key = ("derivatives", group)
        if key not in cached:
            cached[key] = self._element_derivatives(x, group, elements)
        return cached[key]

    def _element_derivatives(self, x: np.ndarray, group: int, elements: Elements) -> ElementDerivatives:
        """Derivatives of ``group``'s implied moments with respect to matrix elements, in factored form.

        Every covariance derivative has the form ``u v' + v u'`` (Neudecker & Satorra 1991): lambda_ij:
        ``u = e_i, v = (Lambda A)_j``; theta_ij: ``u = e_i, v = e_j``; psi_ij: ``u = G_i, v = G_j``; beta_ij:
        ``u = G_i, v = (Lambda A)_j``, with ``G = Lambda (I-B)^-1`` and ``A = Cov(eta)`` (diagonal elements
        halve ``v``). Elements of other groups get zero derivatives.
        """
        mats = self.matrices(x, group)
        g_mat = mats.lambda_ @ mats.ib
        m_mat = mats.lambda_ @ mats.lv_cov()
        k = len(elements)
        u, v = np.zeros((k, self.p)), np.zeros((k, self.p))
        eye = self._eye_p
        own = self._group_elements[group][1]
        plan = self._plans[group] if elements is own else _plan(elements, group)
        for name, pick, r, c, half in plan:
            if name == "lambda":
                u[pick], v[pick] = eye[r], m_mat[:, c].T
            elif name == "theta":
                u[pick], v[pick] = eye[r], eye[c] * half
            elif name == "psi":
                u[pick], v[pick] = g_mat[:, r].T, g_mat[:, c].T * half
            elif name == "beta":
                u[pick], v[pick] = g_mat[:, r].T, m_mat[:, c].T
        dmu = self._mean_derivatives(mats, g_mat, k, plan) if self.meanstructure else None
        return ElementDerivatives(u, v, dmu)

    def _mean_derivatives(self, mats: GroupMatrices, g_mat: np.ndarray, k: int, plan) -> np.ndarray:
        """dmu/d(element) (with a mean structure only): lambda_ij: ``e_i eta_j``; beta_ij: ``G_i eta_j``; nu_i:
        ``e_i``; alpha_i: ``G_i``, with ``eta = (I-B)^-1 alpha`` and ``G = Lambda (I-B)^-1``."""
        eta_mean, eye = mats.ib @ mats.alpha, self._eye_p
        dmu = np.zeros((k, self.p))
        for name, pick, r, c, _ in plan:
            if name == "lambda":
                dmu[pick] = eye[r] * eta_mean[c][:, None]
            elif name == "beta":
                dmu[pick] = g_mat[:, r].T * eta_mean[c][:, None]
            elif name == "nu":
                dmu[pick] = eye[r]
            elif name == "alpha":
                dmu[pick] = g_mat[:, r].T
        return dmu

    def element_curvature(
        self, x: np.ndarray, group: int, elements: Elements, c: np.ndarray, w: np.ndarray | None
    ) -> np.ndarray:
        """Second derivatives of ``tr(C Sigma) - 2 w' mu`` (C, w held fixed) with respect to pairs of elements.

        Only loadings, latent (co)variances, regressions and latent means enter the moments non-linearly. With
        IB = (I - B)^-1, G = Lambda IB, A = IB Psi IB', M = Lambda A, eta = IB alpha (matrix differentials,
        Magnus & Neudecker 1999): lambda_ij lambda_kl: 2 C_ik A_jl; lambda_ij psi_kl: 2 (IB_jk (G'C)_li +
        IB_jl (G'C)_ki); lambda_ij beta_kl: 2 (IB_jk (M'C)_li + A_jl (G'C)_ki); psi_ij beta_kl: 2 (IB_li Q_jk +
        IB_lj Q_ik) with Q = G'CG; beta_ij beta_kl: 2 (IB_jk Z_li + IB_li Z_jk + A_jl Q_ki) with Z = M'CG; and
        for the means lambda_ij alpha_k: -2 w_i IB_jk, lambda_ij beta_kl: -2 w_i IB_jk eta_l, beta_ij alpha_k:
        -2 (G'w)_i IB_jk, beta_ij beta_kl: -2 ((G'w)_i IB_jk eta_l + (G'w)_k IB_li eta_j). Diagonal psi elements
        count once.
        """
        mats = self.matrices(x, group)
        ib, a_mat = mats.ib, mats.lv_cov()
        g_mat = mats.lambda_ @ ib
        gc = g_mat.T @ c
        out = np.zeros((len(elements), len(elements)))
        plan = self._plans[group] if elements is self.own_elements(group) else _plan(elements, group)
        kinds = {
            name: (pick, r[:, None], cc[:, None], r[None, :], cc[None, :], half[:, 0])
            for name, pick, r, cc, half in plan
        }

        def put(first, second, block):
            (pa, *_), (pb, *_) = kinds[first], kinds[second]
            out[np.ix_(pa, pb)] += block
            if first != second:
                out[np.ix_(pb, pa)] += block.T

        has = kinds.keys()
        if "beta" in has:  # the products only regressions among latent variables need
            mc = (mats.lambda_ @ a_mat).T @ c
            q_mat, z_mat = gc @ g_mat, mc @ g_mat
        if "lambda" in has:
            _, i, j, k, l, _ = kinds["lambda"]
            put("lambda", "lambda", 2 * c[i, k] * a_mat[j, l])
        if "lambda" in has and "psi" in has:
            _, i, j, _, _, _ = kinds["lambda"]
            _, _, _, k, l, half = kinds["psi"]
            put("lambda", "psi", 2 * half[None, :] * (ib[j, k] * gc[l, i] + ib[j, l] * gc[k, i]))
        if "lambda" in has and "beta" in has:
            _, i, j, _, _, _ = kinds["lambda"]
            _, _, _, k, l, _ = kinds["beta"]
            put("lambda", "beta", 2 * (ib[j, k] * mc[l, i] + a_mat[j, l] * gc[k, i]))
        if "psi" in has and "beta" in has:
            _, i, j, _, _, half = kinds["psi"]
            _, _, _, k, l, _ = kinds["beta"]
            put("psi", "beta", 2 * half[:, None] * (ib[l, i] * q_mat[j, k] + ib[l, j] * q_mat[i, k]))
        if "beta" in has:
            _, i, j, k, l, _ = kinds["beta"]
            put("beta", "beta", 2 * (ib[j, k] * z_mat[l, i] + ib[l, i] * z_mat[j, k] + a_mat[j, l] * q_mat[k, i]))
        if w is not None:
            self._mean_curvature(put, kinds, ib, g_mat.T @ w, ib @ mats.alpha, w)
        return out

    @staticmethod
    def _mean_curvature(put, kinds, ib, gw, eta, w) -> None:
        has = kinds.keys()
        if "lambda" in has and "alpha" in has:
            _, i, j, _, _, _ = kinds["lambda"]
            _, _, _, k, _, _ = kinds["alpha"]
            put("lambda", "alpha", -2 * w[i] * ib[j, k])
        if "lambda" in has and "beta" in has:
            _, i, j, _, _, _ = kinds["lambda"]
            _, _, _, k, l, _ = kinds["beta"]
            put("lambda", "beta", -2 * w[i] * ib[j, k] * eta[l])
        if "beta" in has and "alpha" in has:
            _, i, j, _, _, _ = kinds["beta"]
            _, _, _, k, _, _ = kinds["alpha"]
            put("beta", "alpha", -2 * gw[i] * ib[j, k])
        if "beta" in has:
            _, i, j, k, l, _ = kinds["beta"]
            put("beta", "beta", -2 * (gw[i] * ib[j, k] * eta[l] + gw[k] * ib[l, i] * eta[j]))

    def element_jacobian(self, x: np.ndarray, group: int, elements: Elements) -> np.ndarray:
        """d(moments of ``group``)/d(element): one column per element, moments as (means, vech(Sigma))."""
        deriv = self.element_derivatives(x, group, elements)
        ri, ci = self.vech_rows, self.vech_cols
        dsigma = deriv.u[:, ri] * deriv.v[:, ci] + deriv.v[:, ri] * deriv.u[:, ci]
        if deriv.dmu is not None:  # the model has a mean structure
            return np.hstack([deriv.dmu, dsigma]).T
        return dsigma.T

    def own_elements(self, group: int) -> Elements:
        """The free elements of ``group``."""
        return self._group_elements[group][1]

    def incidence(self, group: int) -> np.ndarray:
        """0/1 matrix mapping ``group``'s free elements to the free parameters (equal ones share a column)."""
        return self.to_free(self._incidence[group][1], group)

    def incidence_columns(self, group: int) -> tuple[np.ndarray, np.ndarray]:
        """(the free parameters ``group``'s elements map to, the incidence restricted to those columns)."""
        return self._incidence[group]

    def to_free(self, per_element: np.ndarray, group: int) -> np.ndarray:
        """``per_element @ incidence(group)`` (a matrix whose columns are the group's free elements) without
        forming the incidence over every group's parameters."""
        columns, local = self._incidence[group]
        out = np.zeros((len(per_element), self.n_free))
        out[:, columns] = per_element @ local
        return out

    def moments(self, x: np.ndarray, group: int) -> np.ndarray:
        """The group's implied moments in lavaan's WLS.obs order: (means,) vech(Sigma)."""
        mats = self.matrices(x, group)
        cov = mats.sigma()[self.vech_rows, self.vech_cols]
        return np.concatenate([mats.mu(), cov]) if self.meanstructure else cov

    def jacobian(self, x: np.ndarray, group: int) -> np.ndarray:
        """d(moments of ``group``)/dx (moments x free parameters)."""
        return self.to_free(self.element_jacobian(x, group, self.own_elements(group)), group)

    def baseline_jacobian(self, stats) -> np.ndarray:
        """The independence model's Jacobian (moments x its means and variances): it is linear in them."""
        diagonal = np.flatnonzero(self.vech_rows == self.vech_cols) + (self.p if self.meanstructure else 0)
        selected = np.concatenate([np.arange(self.p), diagonal]) if self.meanstructure else diagonal
        return np.eye(self.n_moments)[:, selected]

    def delta(self, x: np.ndarray) -> list[np.ndarray]:
        """Jacobian of each group's moments with respect to the free parameters (n_moments x n_free)."""
        return [self.jacobian(x, g) for g in range(self.n_groups)]


def _plan(elements: Elements, group: int) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Per matrix: positions, rows, columns and diagonal halving of ``group``'s elements (reused each iteration)."""
    sel = elements.group == group
    plan = []
    for name in MATRICES:
        pick = np.flatnonzero(sel & (elements.matrix == name))
        if len(pick):
            r, c = elements.row[pick], elements.col[pick]
            plan.append((name, pick, r, c, np.where(r == c, 0.5, 1.0)[:, None]))
    return plan


@dataclasses.dataclass(frozen=True)
class ElementDerivatives:
    """dSigma_k = u_k v_k' + v_k u_k' and dmu_k (None without a mean structure) for elements k."""

    u: np.ndarray
    v: np.ndarray
    dmu: np.ndarray | None

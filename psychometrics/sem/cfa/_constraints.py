"""General equality constraints and inequality constraints (``==``, ``<``, ``>``), estimated as lavaan 0.6-14.

A constraint compares two expressions of the labels (and of defined parameters ``:=``): lavaan's ``ceq`` rows
``lhs - rhs == 0`` and ``cin`` rows ``lhs - rhs >= 0`` (``>``) or ``rhs - lhs >= 0`` (``<``). The estimate is the
constrained minimum of the discrepancy, which lavaan reaches by reparameterisation (linear equalities) or by
nlminb.constr's augmented Lagrangian (lav_optim_nlminb_constr); here by a feasible-point sequential quadratic
programme: Newton steps on the Hessian of the Lagrangian restricted to the null space of the active constraints'
Jacobian, each step projected back onto the constraints (Gauss-Newton restoration), with an active set for the
inequalities (added when violated, dropped when their Lagrange multiplier has the wrong sign; Nocedal & Wright
2006, ch. 15 and 18). Both find the same point, the Karush-Kuhn-Tucker point of the problem.

After estimation (lavaan's lav_model_information_augment_invert, lav_model_test, lav_utils_get_npar):

- the covariance of the estimates is the top-left block of the inverse of the information bordered by the
  Jacobian ``H`` of the equality constraints and of the active inequality constraints (value <= 1e-5, the slack of
  nlminb.constr), which equals ``Z (Z' I Z)^-1 Z'`` with ``Z`` a basis of the null space of ``H``;
- each equality constraint adds one degree of freedom and removes one parameter from ``npar`` (the rank of the
  equality constraints' Jacobian); inequality constraints change neither, binding or not.

The Jacobians are central differences (``_defined.numerical_jacobian``) over the labelled parameters.
"""

from __future__ import annotations

import ast
import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from ...errors import ConvergenceError, ModelError
from ._defined import Definitions, evaluate, expression_tree, numerical_jacobian
from ._estimation import Solution, _solve

_ACTIVE_SLACK = 1e-5  # nlminb.constr: an inequality whose value is at most this is active
_FEASIBLE = 1e-12  # restoration stops when every active constraint holds to this


def null_space(jac: np.ndarray, n: int) -> np.ndarray:
    """Orthonormal basis (columns) of the null space of ``jac`` (n columns); the identity without rows."""
    if not len(jac):
        return np.eye(n)
    _, s, vt = np.linalg.svd(jac)
    rank = int(np.sum(s > 1e-10 * max(s[0], 1e-300)))
    return vt[rank:].T


@dataclasses.dataclass(frozen=True)
class Constraints:
    """The model's ``==``, ``<``, ``>`` statements as functions of the free parameters ``x``."""

    items: tuple
    sides: tuple
    definitions: Definitions
    model: Any  # LisrelModel or CategoricalModel: values(x) gives every parameter-table row
    involved: np.ndarray

    @classmethod
    def build(cls, statements, table: dict, model) -> Constraints | None:
        """The constraints among ``statements`` (a ParsedModel's constraints), or None when there are none;
        names must be labels of the parameter table or defined parameters."""
        items = tuple(c for c in statements if c.op in ("==", "<", ">"))
        if not items:
            return None
        labels = np.asarray(table["label"], dtype=object)
        definitions = Definitions.from_estimates(
            [c for c in statements if c.op == ":="], pd.DataFrame({"label": labels})
        )
        known = set(definitions.label_rows) | {d.lhs for d in definitions.items}
        sides = []
        for item in items:
            trees = (expression_tree(item.lhs, item), expression_tree(item.rhs, item))
            functions = {id(n.func) for t in trees for n in ast.walk(t) if isinstance(n, ast.Call)}
            names = {n.id for t in trees for n in ast.walk(t) if isinstance(n, ast.Name) and id(n) not in functions}
            unknown = sorted(names - known)
            if unknown:
                raise ModelError(
                    f"'{item.lhs} {item.op} {item.rhs}' (line {item.line}) uses {unknown[0]!r}, which is "
                    "not the label of a parameter (write e.g. 'a*x1' in the model) nor a defined parameter"
                )
            sides.append(trees)
        x_index = np.asarray(table["x"], dtype=int)
        involved = np.unique(x_index[(labels != "") & (x_index >= 0)])
        return cls(items, tuple(sides), definitions, model, involved)

    @property
    def equality(self) -> np.ndarray:
        return np.array([c.op == "==" for c in self.items])

    def values(self, x: np.ndarray) -> np.ndarray:
        """lhs - rhs for ``==`` and ``>``, rhs - lhs for ``<`` (feasible: equalities 0, inequalities >= 0)."""
        names = self.definitions.names(self.model.values(x))
        out = np.empty(len(self.items))
        with np.errstate(all="ignore"):
            for k, (item, (lhs, rhs)) in enumerate(zip(self.items, self.sides)):
                difference = evaluate(lhs, names) - evaluate(rhs, names)
                out[k] = -difference if item.op == "<" else difference
        return out

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        """d(values)/dx (constraints x free parameters), zero outside the labelled parameters."""
        out = np.zeros((len(self.items), len(x)))
        idx = self.involved

        def at(v):
            y = x.copy()
            y[idx] = v
            return self.values(y)

        out[:, idx] = numerical_jacobian(at, x[idx])
        return out

    def curvature(self, x: np.ndarray, multipliers: np.ndarray) -> np.ndarray:
        """sum_i lambda_i d2 c_i / dx dx' (central differences of the Jacobian)."""
        out = np.zeros((len(x), len(x)))
        for k in self.involved:
            h = 1e-4 * max(1.0, abs(x[k]))
            up, down = x.copy(), x.copy()
            up[k] += h
            down[k] -= h
            out[:, k] = multipliers @ (self.jacobian(up) - self.jacobian(down)) / (2 * h)
        return (out + out.T) / 2

    def equality_rank(self, x: np.ndarray) -> int:
        """Rank of the equality constraints' Jacobian: the degrees of freedom they add (lavaan's qr rank)."""
        jac = self.jacobian(x)[self.equality]
        return int(np.linalg.matrix_rank(jac)) if len(jac) else 0

    def active(self, x: np.ndarray) -> np.ndarray:
        """The equalities and the inequalities whose value is at most nlminb.constr's slack."""
        return self.equality | (self.values(x) <= _ACTIVE_SLACK)

    def equality_basis(self, x: np.ndarray) -> np.ndarray:
        """Null-space basis of the equality constraints' Jacobian (directions the equalities leave free)."""
        return null_space(self.jacobian(x)[self.equality], len(x))

    def restricted_inverse(self, information: np.ndarray, x: np.ndarray) -> np.ndarray:
        """The top-left block of the inverted bordered information ``[[I, H'], [H, 0]]`` with ``H`` the active
        constraints' Jacobian: ``Z (Z' I Z)^+ Z'`` (lav_model_information_augment_invert)."""
        z = null_space(self.jacobian(x)[self.active(x)], len(x))
        return z @ np.linalg.pinv(z.T @ information @ z) @ z.T

    # --- estimation ---------------------------------------------------------------------------------------------

    def minimize(
        self, problem, start: np.ndarray, *, max_iter: int = 500, fisher_steps: int = 4, tol: float = 1e-15
    ) -> Solution:
        """The constrained minimum: equality-constrained solves over a working set of inequalities (added while
        violated, the one of most negative multiplier dropped), each a feasible-point SQP (:meth:`_solve_active`)."""
        equality = self.equality
        working = equality.copy()
        x, iterations = start, 0
        for _ in range(4 * len(self.items) + 4):
            x, multipliers, used, converged = self._solve_active(problem, x, working, max_iter, fisher_steps, tol)
            iterations += used
            if not converged:
                return Solution(x, problem.objective(x), iterations, False)
            values = self.values(x)
            violated = np.flatnonzero(~working & (values < -1e-10))
            if violated.size:
                working[violated[np.argmin(values[violated])]] = True
                continue
            wrong = np.flatnonzero(working & ~equality & (multipliers < -1e-10))
            if wrong.size:
                working[wrong[np.argmin(multipliers[wrong])]] = False
                continue
            return Solution(x, problem.objective(x), iterations, True)
        return Solution(x, problem.objective(x), iterations, False)

    def _restore(self, x: np.ndarray, working: np.ndarray) -> np.ndarray | None:
        """The nearby point on the working constraints (Gauss-Newton: ``x - H^+ c(x)``), None when not reached."""
        if not working.any():
            return x
        for _ in range(50):
            residual = self.values(x)[working]
            if not np.all(np.isfinite(residual)):
                return None
            if np.max(np.abs(residual)) < _FEASIBLE:
                return x
            x = x - np.linalg.pinv(self.jacobian(x)[working]) @ residual
        return x if np.max(np.abs(self.values(x)[working])) < 1e3 * _FEASIBLE else None

    def _solve_active(self, problem, x, working, max_iter, fisher_steps, tol):
        """Minimise on the working constraints held as equalities: Newton (first Fisher-scoring) steps in the
        null space of their Jacobian, each trial point restored onto them, halved until the objective does not
        increase. Returns (x, multipliers of every constraint (0 off the working set), iterations, converged)."""
        restored = self._restore(x, working)
        if restored is None or not np.isfinite(problem.objective(restored)):
            raise ConvergenceError(
                "the constraints cannot be met near the starting values (or the model-implied "
                "covariance matrix is not positive definite there); check the constraints",
                0,
            )
        x, value = restored, problem.objective(restored)
        multipliers = np.zeros(len(self.items))
        for iteration in range(1, max_iter + 1):
            grad = problem.gradient(x)
            jac = self.jacobian(x)[working]
            basis = null_space(jac, len(x))
            hessian = problem.hessian(x) if iteration > fisher_steps else 2 * problem.expected_information(x)
            if multipliers.any():
                hessian = hessian - self.curvature(x, multipliers)
            reduced = basis.T @ hessian @ basis
            try:  # the Hessian of the Lagrangian on the constraints' null space, else the expected information
                np.linalg.cholesky(reduced)
            except np.linalg.LinAlgError:
                hessian = 2 * problem.expected_information(x)
                reduced = basis.T @ hessian @ basis
            step = -basis @ _solve(reduced, basis.T @ grad)
            if len(jac):  # stationarity of the Lagrangian f - lambda'c at the stepped point: g + H d = J' lambda
                multipliers = np.zeros(len(self.items))
                multipliers[working] = np.linalg.lstsq(jac.T, grad + hessian @ step, rcond=None)[0]
            if -(grad @ step) < tol:
                return x, multipliers, iteration, True
            found = self._line_search(problem, x, value, step, working)
            if found is None:
                return x, multipliers, iteration, bool(np.max(np.abs(basis.T @ grad)) < 1e-6)
            x, value = found
        return x, multipliers, max_iter, False

    def _line_search(self, problem, x, value, step, working):
        factor = 1.0
        while factor > 1e-10:
            trial = self._restore(x + factor * step, working)
            if trial is not None:
                trial_value = problem.objective(trial)
                if np.isfinite(trial_value) and trial_value <= value + 1e-13 * max(1.0, abs(value)):
                    return trial, trial_value
            factor /= 2
        return None

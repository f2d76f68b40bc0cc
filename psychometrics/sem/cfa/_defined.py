"""Defined parameters (``name := expression``) as lavaan 0.6-14 reports them: post-estimation functions of the
labelled parameters, with delta-method standard errors.

lavaan evaluates each definition on the free parameters (its ``def.function``) and takes the standard error from
``J V J'`` with ``J`` the Jacobian of the definitions with respect to the free parameters and ``V`` the parameter
covariance matrix (lavaan's lav_model_vcov with ``:=`` rows, Rosseel 2012, J Stat Softw 48(2), section 5.2). Here
``J`` is a central-difference Jacobian (step 1e-6 relative: the error of the standard error is below 1e-8).
lavaan's complex-step Jacobian treats ``abs()`` as constant (R's abs of a complex number is its modulus), so for
definitions using abs() lavaan's standard errors differ from these (correct) ones. The
standardised values of a definition are the definition evaluated on the standardised parameters
(lavaan's lav_standardize_all with ``:=`` rows).
"""

from __future__ import annotations

import ast
import dataclasses
import operator
from collections.abc import Callable
from typing import Any, cast

import numpy as np
import pandas as pd
from scipy import special

from ..._checks import check_confidence, z_critical
from ...errors import ModelError
from ..model_syntax import ModelConstraint, ParsedModel, merge_equal_labels, parse_model


def interval_quantile(result, confidence: float | None = None) -> float:
    """The normal quantile of a two-sided interval at ``confidence`` (default: the fit's ``confidence=``)."""
    if confidence is None:
        confidence = result._options.get("confidence", 0.95)
    return z_critical(check_confidence(confidence))


def interval_columns(est: np.ndarray, se: np.ndarray, quantile: float) -> dict[str, np.ndarray]:
    """The Wald interval est -/+ quantile x se as the estimate tables' columns: lavaan's ci_lower/ci_upper
    (ci.lower/ci.upper, issue 13), then the same interval under the package's ci_low/ci_high (issue 20)."""
    lower, upper = est - quantile * se, est + quantile * se
    return {"ci_lower": lower, "ci_upper": upper, "ci_low": lower, "ci_high": upper}


_BINARY: dict[type, Callable[..., Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_UNARY: dict[type, Callable[..., Any]] = {ast.USub: operator.neg, ast.UAdd: operator.pos}
# R functions a definition may call (lavaan evaluates the expression as R code)
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "log10": np.log10,
    "log2": np.log2,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "tanh": np.tanh,
    "pnorm": special.ndtr,
    "qnorm": special.ndtri,
    "plogis": special.expit,
    "qlogis": special.logit,
}


def expression_tree(text: str, where: ModelConstraint) -> ast.expr:
    """The parsed expression (R's ``^`` as Python's ``**``), with only arithmetic, names and known functions."""
    tree = ast.parse(text.replace("^", "**"), mode="eval").body
    for node in ast.walk(tree):
        allowed = (ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Constant, ast.Load, *_BINARY, *_UNARY)
        if not isinstance(node, allowed) or (
            isinstance(node, ast.Call) and getattr(node.func, "id", None) not in _FUNCTIONS
        ):
            raise ModelError(
                f"'{where.lhs} {where.op} {where.rhs}' (line {where.line}): unsupported element in "
                f"{text!r}; use labels, numbers, + - * / ^ and {', '.join(sorted(_FUNCTIONS))}"
            )
    return tree


def evaluate(tree: ast.expr, values: dict) -> float:
    """Value of an expression tree (checked by :func:`expression_tree`) given the values of its names."""
    if isinstance(tree, ast.Constant):
        return float(tree.value)  # type: ignore[arg-type]  # numbers only (expression_tree)
    if isinstance(tree, ast.Name):
        return values[tree.id]
    if isinstance(tree, ast.BinOp):
        return _BINARY[type(tree.op)](evaluate(tree.left, values), evaluate(tree.right, values))
    if isinstance(tree, ast.UnaryOp):
        return _UNARY[type(tree.op)](evaluate(tree.operand, values))
    call = cast(ast.Call, tree)  # the only other node expression_tree lets through, calling a known name
    return _FUNCTIONS[cast(ast.Name, call.func).id](*(evaluate(arg, values) for arg in call.args))


@dataclasses.dataclass(frozen=True)
class Definitions:
    """The model's definitions and, for each label they use, the parameter-table row that carries it."""

    items: tuple[ModelConstraint, ...]
    trees: tuple[ast.expr, ...]
    label_rows: dict[str, int]

    @classmethod
    def from_estimates(cls, items, estimates: pd.DataFrame) -> Definitions:
        """``items``: ModelConstraint objects with op ":="; labels are looked up in ``estimates["label"]``."""
        labels = estimates["label"].to_numpy(object)
        label_rows: dict[str, int] = {}
        for k, label in enumerate(labels):
            if label and label not in label_rows:
                label_rows[label] = k
        known, trees = set(label_rows), []
        for item in items:
            tree = expression_tree(item.rhs, item)
            functions = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
            names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in functions}
            unknown = sorted(names - known)
            if unknown:
                raise ModelError(
                    f"'{item.lhs} := {item.rhs}' (line {item.line}) uses {unknown[0]!r}, which is not "
                    "the label of a parameter (write e.g. 'a*x1' in the model) nor defined earlier"
                )
            if item.lhs in known:
                raise ModelError(f"'{item.lhs} := {item.rhs}' (line {item.line}): {item.lhs!r} is already a label")
            known.add(item.lhs)
            trees.append(tree)
        return cls(tuple(items), tuple(trees), label_rows)

    def names(self, row_values: np.ndarray) -> dict:
        """Every name's value given the parameter rows' values: the labels, then the definitions (later ones may
        use earlier ones)."""
        names = {label: row_values[k] for label, k in self.label_rows.items()}
        for item, tree in zip(self.items, self.trees):
            with np.errstate(all="ignore"):
                names[item.lhs] = evaluate(tree, names)
        return names

    def values(self, row_values: np.ndarray) -> np.ndarray:
        """The definitions' values given the parameter rows' values."""
        names = self.names(row_values)
        return np.array([names[item.lhs] for item in self.items], dtype=float)


def numerical_jacobian(func, x: np.ndarray) -> np.ndarray:
    """Central-difference Jacobian of a vector function (lavaan uses the complex step; both are exact to ~1e-9)."""
    columns = []
    for j in range(len(x)):
        h = 1e-6 * max(1.0, abs(x[j]))
        up, down = x.copy(), x.copy()
        up[j] += h
        down[j] -= h
        columns.append((func(up) - func(down)) / (2 * h))
    return np.column_stack(columns) if columns else np.zeros((len(func(x)), 0))


def delta_se(func, x: np.ndarray, vcov: np.ndarray) -> np.ndarray:
    """Delta-method standard errors of ``func(x)``: sqrt(diag(J V J'))."""
    jac = numerical_jacobian(func, x)
    return np.sqrt(np.clip(np.einsum("ij,jk,ik->i", jac, vcov, jac), 0, None))


def syntax_hooks(model):
    """What cfa() does around its fit for the syntax features handled outside the estimator: returns the model
    to fit and the function that finishes the fit (the written labels restored, ``:=`` rows appended). When the
    only constraints are ``a == b`` between labels and ``a == number``, the model is fitted with them carried
    out (shared labels, fixed values: ``merge_equal_labels``); otherwise every constraint goes to the
    constrained estimator (``_constraints``) as lavaan does."""
    parsed = model if isinstance(model, ParsedModel) else parse_model(model)
    merged = merge_equal_labels(parsed)
    if any(c.op != ":=" for c in merged.constraints):
        merged = parsed

    def finish(result):
        if merged is not parsed:
            result = dataclasses.replace(original_labels(result, parsed), model=model if isinstance(model, str) else "")
        return with_defined(result, merged)

    return (model if merged is parsed else merged), finish


def original_labels(result, parsed: ParsedModel):
    """The fit with the labels written in the model restored in ``estimates`` (``a == b`` was fitted by giving
    the parameters of b the label a) and the model text kept."""
    n_groups = len(result.groups)
    written = {}
    for term in parsed.terms:
        for g, label in enumerate(result.groups):
            written[term.lhs, term.op, term.rhs, label] = term.modifier(g, n_groups).label or ""
    estimates = result.estimates
    keys = zip(estimates["lhs"], estimates["op"], estimates["rhs"], estimates["group"])
    labels = [written.get(key, old) for key, old in zip(keys, estimates["label"])]
    return dataclasses.replace(result, estimates=estimates.assign(label=np.array(labels, dtype=object)))


def with_defined(result, parsed: ParsedModel):
    """The fit with one ``:=`` row per defined parameter appended to ``estimates`` (lavaan's parameterEstimates;
    group 0 in multi-group models, as lavaan's parameter table)."""
    if not parsed.defined:
        return result
    estimates = result.estimates
    defs = Definitions.from_estimates(parsed.defined, estimates)
    model, x = result._problem.model, result._x
    est = defs.values(estimates["est"].to_numpy(float))
    quantile = interval_quantile(result)
    se = delta_se(lambda v: defs.values(model.values(v)), x, result._vcov)
    with np.errstate(divide="ignore", invalid="ignore"):  # lavaan: no z where se < sqrt(eps)
        z = np.where(se >= np.sqrt(np.finfo(float).eps), est / se, np.nan)
    rows = pd.DataFrame(
        {
            "lhs": [d.lhs for d in defs.items],
            "op": ":=",
            "rhs": [d.rhs for d in defs.items],
            "group": result.groups[0] if len(result.groups) == 1 else 0,
            "label": [d.lhs for d in defs.items],
            "free": False,
            "est": est,
            "se": se,
            "z": z,
            "pvalue": 2 * special.ndtr(-np.abs(z)),
            **interval_columns(est, se, quantile),
            "std_lv": defs.values(estimates["std_lv"].to_numpy(float)),
            "std_all": defs.values(estimates["std_all"].to_numpy(float)),
        }
    )
    combined = pd.concat([estimates, rows[estimates.columns]], ignore_index=True)
    return dataclasses.replace(result, estimates=combined)


def defined_items(estimates: pd.DataFrame) -> tuple[ModelConstraint, ...]:
    """The definitions recorded in an ``estimates`` table (its ``:=`` rows)."""
    rows = estimates[estimates["op"] == ":="]
    return tuple(ModelConstraint(lhs, ":=", rhs, 0, 0) for lhs, rhs in zip(rows["lhs"], rows["rhs"]))

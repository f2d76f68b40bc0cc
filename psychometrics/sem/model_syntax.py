"""Parser for the lavaan model syntax subset used by :func:`psychometrics.cfa`.

Supported (lavaan 0.6-14 semantics, Rosseel 2012, J Stat Softw 48(2), section 3):

- ``f =~ x1 + x2 + x3``: factor loadings (latent variable definitions),
- ``x1 ~~ x2``: variances and covariances (correlated residuals),
- ``f2 ~ f1 + x``: regressions,
- ``x1 ~ 1``: intercepts (and latent means),
- several left- and right-hand sides: ``y1 + y2 ~ x1 + x2`` is ``y1 ~ x1``, ``y1 ~ x2``, ``y2 ~ x1``, ``y2 ~ x2``,
- modifiers before a variable, joined by ``*``: a fixed value (``1*x1``, ``0*x1``), ``NA`` (free), a label
  (``a*x1``, ``label("a")*x1``; terms that share a label are constrained equal), one value per group
  (``c(a, b)*x1``, ``c(1, NA)*x1``), ``start(0.5)*x1`` (a starting value) and ``equal("f=~x2")*x3`` (equal to the
  parameter ``f =~ x2``: lavaan's equal() is a label naming another parameter; in a multi-group model the first
  group's, with x3's loading equal in all groups, as lavaan 0.6-14),
- constraints and defined parameters (``ParsedModel.constraints``): ``a == b``, ``a == 2*b + c``, ``b1 > 0``,
  ``b1 < b2`` and ``ab := a*b`` (expressions of labels with + - * / ^, parentheses and functions such as exp, log,
  sqrt, abs),
- comments after ``#`` or ``!``; statements end at a newline or ``;`` unless the line ends in an operator,
  ``+`` or ``*`` (then the statement continues on the next line),
- two-level models: ``level: 1`` (or ``level: within``) and ``level: 2`` (``level: between``) lines open the blocks
  of a two-level model (``ModelTerm.level``; fitted by ``cfa(..., cluster=...)``, see ``sem.cfa._twolevel``).

A parse error raises :class:`~psychometrics.errors.ModelSyntaxError` naming the line and column.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from typing import Any, TypeAlias, cast

import pandas as pd

from .._results import Result
from ..errors import ModelSyntaxError

__all__ = ["parse_model", "ParsedModel", "ModelTerm", "ModelConstraint", "Modifier"]

OPERATORS = ("=~", "~~", "~")
CONSTRAINT_OPERATORS = ("==", "<", ">", ":=")

_TOKEN = re.compile(
    r"""
    (?P<newline>\n|;)
  | (?P<space>[ \t\r]+)
  | (?P<comment>[#!][^\n]*)
  | (?P<op>=~|~~|~\*~|<~|:=|==|~|<|>|\|)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![A-Za-z_.]))
  | (?P<name>[A-Za-z_.][A-Za-z0-9_.]*)
  | (?P<string>"[^"\n]*"|'[^'\n]*')
  | (?P<punct>[-+*/^(),:])
    """,
    re.VERBOSE,
)


@dataclasses.dataclass(frozen=True)
class Modifier:
    """What one group's modifier says about a term: a fixed value, a label, a start value or ``free`` (NA)."""

    fixed: float | None = None
    label: str | None = None
    start: float | None = None
    free: bool = False
    from_equal: bool = False


@dataclasses.dataclass(frozen=True)
class ModelTerm:
    """One ``lhs op rhs`` term of a model; ``modifiers`` holds one Modifier, or one per group for ``c(...)``."""

    lhs: str
    op: str
    rhs: str
    modifiers: tuple[Modifier, ...]
    line: int
    column: int
    level: int | None = None

    def modifier(self, group: int, n_groups: int) -> Modifier:
        """The modifier that applies in ``group`` (0-based) out of ``n_groups``."""
        if not self.modifiers:
            return Modifier()
        if len(self.modifiers) == 1:
            return self._referenced_in_first_group(self.modifiers[0], group)
        if len(self.modifiers) != n_groups:
            raise ModelSyntaxError(
                f"'{self.lhs} {self.op} {self.rhs}' has {len(self.modifiers)} values in c(...) but the model is fitted "
                f"in {n_groups} group(s); give one value per group",
                self.line,
                self.column,
            )
        return self._referenced_in_first_group(self.modifiers[group], group)

    def _referenced_in_first_group(self, modifier: Modifier, group: int) -> Modifier:
        """equal("f=~x2") refers to the parameter f =~ x2 of the first group (lavaan 0.6-14 makes the referring
        parameter equal to that one in every group): the label equal() gave the referenced term holds in group 1
        only."""
        if group > 0 and modifier.from_equal and modifier.label == _auto_label(self):
            return dataclasses.replace(modifier, label=None, from_equal=False)
        return modifier


@dataclasses.dataclass(frozen=True)
class ModelConstraint:
    """A constraint (``==``, ``<``, ``>``) or a defined parameter (``:=``); ``lhs`` and ``rhs`` are expressions
    written without spaces, as lavaan's parameter table holds them (``ab := a*b`` has lhs "ab", rhs "a*b")."""

    lhs: str
    op: str
    rhs: str
    line: int
    column: int


@dataclasses.dataclass(frozen=True, repr=False)
class ParsedModel(Result):
    """The terms of a parsed model, in the order they were written, and its constraints and defined parameters."""

    terms: tuple[ModelTerm, ...]
    constraints: tuple[ModelConstraint, ...] = ()

    @property
    def defined(self) -> tuple[ModelConstraint, ...]:
        """The defined parameters (``name := expression``), in order."""
        return tuple(c for c in self.constraints if c.op == ":=")

    def to_frame(self) -> pd.DataFrame:
        """One row per term: lhs, op, rhs, fixed, label, free, line, column (group-wise modifiers as lists), then
        one row per constraint or defined parameter."""

        def pick(values: list[Any]) -> Any:
            return values[0] if len(values) == 1 else list(values)

        rows = []
        for term in self.terms:
            mods = term.modifiers or (Modifier(),)
            rows.append(
                {
                    "lhs": term.lhs,
                    "op": term.op,
                    "rhs": term.rhs,
                    "fixed": pick([m.fixed for m in mods]),
                    "label": pick([m.label for m in mods]),
                    "free": pick([m.free for m in mods]),
                    "line": term.line,
                    "column": term.column,
                }
            )
        for c in self.constraints:
            rows.append(
                {
                    "lhs": c.lhs,
                    "op": c.op,
                    "rhs": c.rhs,
                    "fixed": None,
                    "label": None,
                    "free": None,
                    "line": c.line,
                    "column": c.column,
                }
            )
        return pd.DataFrame(rows, columns=["lhs", "op", "rhs", "fixed", "label", "free", "line", "column"])


#: A model in lavaan syntax, or one already parsed by :func:`parse_model`.
Model: TypeAlias = str | ParsedModel


@dataclasses.dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    line: int
    column: int


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    line, line_start, pos = 1, 0, 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ModelSyntaxError(f"unexpected character {text[pos]!r}", line, pos - line_start + 1)
        kind = cast(str, match.lastgroup)  # every alternative of _TOKEN is a named group
        if kind not in ("space", "comment"):
            tokens.append(_Token(kind, match.group(), line, pos - line_start + 1))
        if match.group() == "\n":
            line, line_start = line + 1, match.end()
        pos = match.end()
    return tokens


def _statements(tokens: list[_Token]) -> list[list[_Token]]:
    """Split tokens at newlines/semicolons, except after an operator, '+', '*', ',' or inside parentheses, or
    before a line that starts with '+' (a formula continued on the next line)."""
    statements: list[list[_Token]] = []
    current: list[_Token] = []
    depth, ended = 0, False
    for token in tokens:
        if token.kind == "newline":
            continues = current and (current[-1].kind == "op" or current[-1].text in "+*,(")
            ended = ended or (depth == 0 and not continues and bool(current))
            if token.text == ";" and ended:
                statements.append(current)
                current, ended = [], False
            continue
        if ended and token.text != "+":
            statements.append(current)
            current = []
        ended = False
        depth += {"(": 1, ")": -1}.get(token.text, 0)
        current.append(token)
    if current:
        statements.append(current)
    return statements


class _Cursor:
    """Reads the tokens of one statement left to right."""

    def __init__(self, tokens: list[_Token]):
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None, kind: str | None = None) -> _Token:
        token = self.peek()
        if token is None:
            last = self.tokens[-1]
            what = f"{expected!r}" if expected else (kind or "more input")
            raise ModelSyntaxError(
                f"the statement ends early after {last.text!r}; expected {what}",
                last.line,
                last.column + len(last.text),
            )
        if (expected is not None and token.text != expected) or (kind is not None and token.kind != kind):
            what = f"{expected!r}" if expected else f"a {kind}"
            raise ModelSyntaxError(f"expected {what} but found {token.text!r}", token.line, token.column)
        self.pos += 1
        return token


def _modifier_value(cursor: _Cursor) -> Modifier:
    """One value: a number (fixed, optionally negative), NA (free), a label or a quoted label."""
    token = cursor.take()
    if token.text == "-":
        return Modifier(fixed=-float(cursor.take(kind="number").text))
    if token.kind == "number":
        return Modifier(fixed=float(token.text))
    if token.kind == "name" and token.text == "NA":
        return Modifier(free=True)
    if token.kind == "name":
        return Modifier(label=token.text)
    if token.kind == "string":
        return Modifier(label=_unquote(token))
    raise ModelSyntaxError(f"expected a number, NA or a label but found {token.text!r}", token.line, token.column)


def _unquote(token: _Token) -> str:
    """A quoted label without its quotes or spaces (lavaan compares labels such as "visual=~x2" without spaces)."""
    return re.sub(r"\s+", "", token.text[1:-1])


def _merge(first: Modifier, second: Modifier) -> Modifier:
    return Modifier(
        fixed=second.fixed if second.fixed is not None else first.fixed,
        label=second.label or first.label,
        start=second.start if second.start is not None else first.start,
        free=second.free or first.free,
    )


_CALLS = ("c", "start", "label", "equal")
_UNSUPPORTED_CALLS = {
    "upper": "bounds (upper()/lower()) are not supported; write an inequality constraint such as 'a < 1' instead",
    "lower": "bounds (upper()/lower()) are not supported; write an inequality constraint such as 'a > 0' instead",
    "prior": "prior() is for Bayesian estimation (blavaan), which is not supported",
    "efa": "efa() blocks are not supported; fit an exploratory model with psychometrics.efa",
    "rv": "rv() (random slopes) is not supported",
}


def _is_call(cursor: _Cursor, offset: int = 0) -> bool:
    at = cursor.pos + offset
    return (
        at + 1 < len(cursor.tokens)
        and cursor.tokens[at].kind == "name"
        and cursor.tokens[at].text in (*_CALLS, *_UNSUPPORTED_CALLS)
        and cursor.tokens[at + 1].text == "("
    )


def _modifier(cursor: _Cursor) -> tuple[Modifier, ...]:
    """A modifier before '*': value, c(value, ...), start(value), label("a") or equal("f=~x2")."""
    token = cursor.tokens[cursor.pos]  # _rhs_term calls this on a token
    if token.text in _UNSUPPORTED_CALLS and _is_call(cursor):
        raise ModelSyntaxError(_UNSUPPORTED_CALLS[token.text], token.line, token.column)
    if _is_call(cursor):
        cursor.take()
        cursor.take("(")
        values = [_modifier_value(cursor)]
        while (following := cursor.peek()) is not None and following.text == ",":
            cursor.take(",")
            values.append(_modifier_value(cursor))
        cursor.take(")")
        if token.text == "start":
            if any(v.fixed is None for v in values):
                raise ModelSyntaxError("start(...) takes numbers", token.line, token.column)
            return tuple(Modifier(start=v.fixed) for v in values)
        if token.text in ("label", "equal"):
            if any(v.label is None and not v.free for v in values):
                raise ModelSyntaxError(
                    f'{token.text}(...) takes labels in quotes, e.g. {token.text}("a")', token.line, token.column
                )
            return tuple(Modifier(label=v.label) for v in values)  # NA: no label in that group
        return tuple(values)
    return (_modifier_value(cursor),)


def _combine(existing: tuple[Modifier, ...], new: tuple[Modifier, ...], token: _Token) -> tuple[Modifier, ...]:
    if not existing:
        return new
    if len(existing) == 1 or len(new) == 1 or len(existing) == len(new):
        n = max(len(existing), len(new))

        def grow(mods: tuple[Modifier, ...]) -> tuple[Modifier, ...]:
            return mods * n if len(mods) == 1 else mods

        return tuple(_merge(a, b) for a, b in zip(grow(existing), grow(new)))
    raise ModelSyntaxError("modifiers with different numbers of group values", token.line, token.column)


def _rhs_term(cursor: _Cursor, op: str) -> tuple[str, tuple[Modifier, ...], _Token]:
    """[modifier '*']* variable (or '1' after '~')."""
    modifiers: tuple[Modifier, ...] = ()
    while True:
        start = cursor.peek()
        if start is None:
            start = cursor.take(kind="name")  # raises: the statement ends early
        following = cursor.tokens[cursor.pos + 1] if cursor.pos + 1 < len(cursor.tokens) else None
        is_variable = start.kind == "name" and start.text != "NA" and not _is_call(cursor)
        is_intercept = op == "~" and start.kind == "number" and start.text == "1"
        if (is_variable or is_intercept) and (following is None or following.text != "*"):
            cursor.take()
            if start.kind == "number" and op != "~":
                raise ModelSyntaxError(f"expected a variable name but found {start.text!r}", start.line, start.column)
            return start.text, modifiers, start
        if start.kind not in ("name", "number", "string") and start.text != "-":
            raise ModelSyntaxError(f"expected a variable name but found {start.text!r}", start.line, start.column)
        modifiers = _combine(modifiers, _modifier(cursor), start)
        cursor.take("*")


_COMPOSITE = (
    "composites (<~) are not supported: score the composite first (e.g. psychometrics.score or the row "
    "mean of its indicators) and use it as an observed variable, or model it as a reflective factor with =~"
)


def _operator_position(tokens: list[_Token]) -> int | None:
    """Index of the statement's operator: the first operator token outside parentheses."""
    depth = 0
    for k, token in enumerate(tokens):
        depth += {"(": 1, ")": -1}.get(token.text, 0)
        if token.kind == "op" and depth == 0:
            return k
    return None


def _expression(tokens: list[_Token], where: _Token) -> str:
    """Tokens of a constraint side as lavaan writes it (no spaces); checked to be an arithmetic expression."""
    if not tokens:
        raise ModelSyntaxError(f"'{where.text}' needs an expression on both sides", where.line, where.column)
    for token in tokens:
        if token.kind not in ("name", "number", "punct") or token.text == ",":
            raise ModelSyntaxError(f"unexpected {token.text!r} in the expression", token.line, token.column)
    text = "".join(token.text for token in tokens)
    try:
        compile(text.replace("^", "**"), "<model>", "eval")
    except SyntaxError:
        raise ModelSyntaxError(f"{text!r} is not a valid expression", tokens[0].line, tokens[0].column) from None
    return text


def _parse_constraint(tokens: list[_Token], k: int) -> ModelConstraint:
    op = tokens[k]
    lhs, rhs = _expression(tokens[:k], op), _expression(tokens[k + 1 :], op)
    if op.text == ":=" and (k != 1 or tokens[0].kind != "name"):
        raise ModelSyntaxError(
            "a defined parameter needs a name on the left of ':=', e.g. 'ab := a*b'", tokens[0].line, tokens[0].column
        )
    return ModelConstraint(lhs, op.text, rhs, tokens[0].line, tokens[0].column)


def _left_names(tokens: list[_Token]) -> list[_Token]:
    """The left-hand side: one name or several joined by '+' (``y1 + y2 ~ x``)."""
    names = []
    for k, token in enumerate(tokens):
        wanted = "name" if k % 2 == 0 else "+"
        if (wanted == "name" and token.kind != "name") or (wanted == "+" and token.text != "+"):
            what = "a variable name" if wanted == "name" else "'+' or an operator (=~, ~~, ~)"
            raise ModelSyntaxError(f"expected {what} but found {token.text!r}", token.line, token.column)
        if wanted == "name":
            names.append(token)
    if len(tokens) % 2 == 0:
        last = tokens[-1]
        raise ModelSyntaxError("expected a variable name before the operator", last.line, last.column + 1)
    return names


def _parse_statement(tokens: list[_Token]) -> tuple[list[ModelTerm], list[ModelConstraint]]:
    if tokens[0].kind not in ("name", "number") and tokens[0].text not in ("(", "-"):
        raise ModelSyntaxError(
            f"a statement must start with a variable name, not {tokens[0].text!r}", tokens[0].line, tokens[0].column
        )
    k = _operator_position(tokens)
    if k is None:
        where = tokens[1] if len(tokens) > 1 else tokens[0]
        found = f"found {where.text!r}" if len(tokens) > 1 else "the statement ends"
        column = where.column + (0 if len(tokens) > 1 else len(where.text))
        raise ModelSyntaxError(
            f"expected an operator (=~, ~~, ~) after {tokens[0].text!r} but {found}", where.line, column
        )
    op_token = tokens[k]
    if op_token.text in CONSTRAINT_OPERATORS:
        return [], [_parse_constraint(tokens, k)]
    if op_token.text == "<~":
        raise ModelSyntaxError(_COMPOSITE, op_token.line, op_token.column)
    if op_token.text not in OPERATORS:
        raise ModelSyntaxError(
            f"operator {op_token.text!r} is not supported (use =~, ~~, ~, ~ 1, ==, <, > or :=)",
            op_token.line,
            op_token.column,
        )
    if k == 0:
        raise ModelSyntaxError(
            f"a statement must start with a variable name, not {op_token.text!r}", op_token.line, op_token.column
        )
    left = _left_names(tokens[:k])
    cursor = _Cursor(tokens)
    cursor.pos = k + 1
    right = []
    while True:
        name, modifiers, token = _rhs_term(cursor, op_token.text)
        for mod in modifiers:
            if mod.fixed is not None and not math.isfinite(mod.fixed):
                raise ModelSyntaxError("a fixed value must be finite", token.line, token.column)
        right.append((name, modifiers, token))
        if cursor.peek() is None:
            break
        cursor.take("+")
    terms = []
    for lhs in left:  # lavaan's order: each left-hand side with all right-hand sides
        for name, modifiers, token in right:
            op, rhs = (op_token.text, name) if not (op_token.text == "~" and name == "1") else ("~1", "")
            terms.append(ModelTerm(lhs.text, op, rhs, modifiers, token.line, token.column))
    return terms, []


def _auto_label(term: ModelTerm) -> str:
    """lavaan's default label of a parameter: lhs, op and rhs without spaces ("f=~x2", "x1~~x1", "x1~1")."""
    return f"{term.lhs}{term.op}{term.rhs}"


def _resolve_equal(terms: list[ModelTerm]) -> list[ModelTerm]:
    """equal("f=~x2")*x3 labels x3's loading "f=~x2", lavaan's default label of ``f =~ x2`` in the first group:
    give that term the same label so that the two share one parameter. As lavaan 0.6-14, a referenced term whose
    first-group parameter carries a label of its own has no default label, so equal() then only labels x3 (linking
    nothing in one group; x3 across the groups of a multi-group model)."""
    by_auto = {_auto_label(t): k for k, t in enumerate(terms)}
    out = list(terms)
    for k, term in enumerate(terms):
        for label in {m.label for m in term.modifiers if m.label and re.search(r"=~|~~|~", m.label)}:
            target = by_auto.get(label)
            if target is None:
                raise ModelSyntaxError(
                    f"equal({label!r}) refers to a parameter that is not written in the model; write it explicitly "
                    "(e.g. 'x1 ~~ x1') or use a shared label",
                    term.line,
                    term.column,
                )
            out[k] = dataclasses.replace(
                out[k],
                modifiers=tuple(
                    dataclasses.replace(m, from_equal=True) if m.label == label else m for m in out[k].modifiers
                ),
            )
            mods = out[target].modifiers or (Modifier(),)
            if mods[0].label in (None, label):  # the first group's parameter has its default label
                out[target] = dataclasses.replace(
                    out[target],
                    modifiers=tuple(
                        m if m.label else dataclasses.replace(m, label=label, from_equal=True) for m in mods
                    ),
                )
    return out


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def merge_equal_labels(parsed: ParsedModel) -> ParsedModel:
    """The model with the simple equality constraints carried out, the reparameterisation that equals lavaan's
    constrained estimate: ``a == b`` between two labels gives both parameters one label (the first of each chain
    ``b1 == b2; b2 == b3``), ``a == 0.5`` fixes the parameters labelled a to 0.5; other constraints are kept."""
    labels = {m.label for t in parsed.terms for m in t.modifiers if m.label}
    parent = {label: label for label in labels}

    def root(label: str) -> str:
        while parent[label] != label:
            label = parent[label]
        return label

    kept: list[ModelConstraint] = []
    constants: list[tuple[str, float, ModelConstraint]] = []
    for c in parsed.constraints:
        label, value = (c.lhs, _number(c.rhs)) if c.lhs in labels else (c.rhs, _number(c.lhs))
        if c.op == "==" and c.lhs in labels and c.rhs in labels:
            parent[root(c.rhs)] = root(c.lhs)  # a no-op when both already share a root
        elif c.op == "==" and label in labels and value is not None:
            constants.append((label, value, c))
        else:
            kept.append(c)
    if len(kept) == len(parsed.constraints):
        return parsed
    fixed: dict[str, float] = {}
    for label, value, c in constants:
        if fixed.setdefault(root(label), value) != value:
            raise ModelSyntaxError(
                f"'{c.lhs} == {c.rhs}' contradicts another constraint on {label!r}", c.line, c.column
            )

    def rename(m: Modifier) -> Modifier:
        if not m.label:
            return m
        value = fixed.get(root(m.label))
        if value is None:
            return dataclasses.replace(m, label=root(m.label))
        return dataclasses.replace(m, label=root(m.label), fixed=value, free=False)

    terms = tuple(dataclasses.replace(t, modifiers=tuple(rename(m) for m in t.modifiers)) for t in parsed.terms)
    return ParsedModel(terms, tuple(kept))


_LEVEL_NAMES = {"1": 1, "within": 1, "2": 2, "between": 2}


def _level_header(tokens: list[_Token], level: int | None) -> tuple[int | None, list[_Token]]:
    """A ``level: 1`` / ``level: 2`` header at the start of a statement (lavaan's two-level blocks): the level it
    opens and the statement's remaining tokens (a term may follow on the same line)."""
    if len(tokens) < 2 or tokens[0].text != "level" or tokens[1].text != ":":
        return level, tokens
    if len(tokens) < 3 or tokens[2].text not in _LEVEL_NAMES:
        where = tokens[2] if len(tokens) > 2 else tokens[1]
        raise ModelSyntaxError("'level:' must be followed by 1 (within) or 2 (between)", where.line, where.column)
    return _LEVEL_NAMES[tokens[2].text], tokens[3:]


def parse_model(model: str) -> ParsedModel:
    """Parse a lavaan-style model string into its terms.

    Parameters
    ----------
    model : str
        Model syntax, e.g. ``"visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6"`` (lavaan's ``model.syntax``).

    Returns
    -------
    ParsedModel
        ``terms``: the ModelTerm objects in order (``lhs, op, rhs, modifiers, line, column``); ``to_frame()``.

    Raises
    ------
    ModelSyntaxError
        With the 1-based line and column of the offending token.

    Notes
    -----
    Equivalent R call: ``lavaan::lavParseModelString(model)`` (lavaan 0.6-14).

    References
    ----------
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of Statistical Software, 48(2), 1-36.

    Examples
    --------
    >>> import psychometrics as pm
    >>> terms = pm.parse_model("visual =~ x1 + a*x2 + x3").to_frame()
    >>> terms[["lhs", "op", "rhs"]].iloc[1].tolist()
    ['visual', '=~', 'x2']
    """
    if not isinstance(model, str):
        raise ModelSyntaxError(f"the model must be a string of lavaan syntax; got {type(model).__name__}")
    return _parse_text(model)


@functools.lru_cache(maxsize=64)
def _parse_text(model: str) -> ParsedModel:
    """:func:`parse_model` of a string, kept for the last 64 strings: a ParsedModel is immutable, and one cfa()
    call reads its model in four stages (entry checks, the two-level test, the syntax hooks, the data
    preparation), each about 0.4 ms of parsing. Errors are not kept: a bad model raises at every call."""
    terms: list[ModelTerm] = []
    constraints: list[ModelConstraint] = []
    level = None
    for statement in _statements(_tokenize(model)):
        level, statement = _level_header(statement, level)
        if not statement:
            continue
        new_terms, new_constraints = _parse_statement(statement)
        terms.extend(new_terms if level is None else [dataclasses.replace(t, level=level) for t in new_terms])
        constraints.extend(new_constraints)
    if not terms:
        raise ModelSyntaxError("the model is empty: write at least one term such as 'f =~ x1 + x2 + x3'", 1, 1)
    if level is not None and terms[0].level is None:
        raise ModelSyntaxError(
            "a two-level model must start with 'level: 1' before its first term", terms[0].line, terms[0].column
        )
    return ParsedModel(tuple(_resolve_equal(terms)), tuple(constraints))

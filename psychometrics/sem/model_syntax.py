"""Parser for the lavaan model syntax subset used by :func:`psychometrics.cfa`.

Supported (lavaan 0.6-14 semantics, Rosseel 2012, J Stat Softw 48(2), section 3):

- ``f =~ x1 + x2 + x3``: factor loadings (latent variable definitions),
- ``x1 ~~ x2``: variances and covariances (correlated residuals),
- ``f2 ~ f1 + x``: regressions,
- ``x1 ~ 1``: intercepts (and latent means),
- modifiers before a variable, joined by ``*``: a fixed value (``1*x1``, ``0*x1``), ``NA`` (free), a label
  (``a*x1``; terms that share a label are constrained equal), one value per group (``c(a, b)*x1``,
  ``c(1, NA)*x1``) and ``start(0.5)*x1`` (a starting value),
- comments after ``#`` or ``!``; statements end at a newline or ``;`` unless the line ends in an operator,
  ``+`` or ``*`` (then the statement continues on the next line).

A parse error raises :class:`~psychometrics.errors.ModelSyntaxError` naming the line and column.
"""

from __future__ import annotations

import dataclasses
import math
import re

import pandas as pd

from .._results import Result
from ..errors import ModelSyntaxError

__all__ = ["parse_model", "ParsedModel", "ModelTerm", "Modifier"]

OPERATORS = ("=~", "~~", "~")
_UNSUPPORTED = ("==", ":=", "<~", "|", "<", ">")

_TOKEN = re.compile(
    r"""
    (?P<newline>\n|;)
  | (?P<space>[ \t\r]+)
  | (?P<comment>[#!][^\n]*)
  | (?P<op>=~|~~|~\*~|<~|:=|==|~|<|>|\|)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![A-Za-z_.]))
  | (?P<name>[A-Za-z_.][A-Za-z0-9_.]*)
  | (?P<punct>[-+*(),])
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


@dataclasses.dataclass(frozen=True)
class ModelTerm:
    """One ``lhs op rhs`` term of a model; ``modifiers`` holds one Modifier, or one per group for ``c(...)``."""

    lhs: str
    op: str
    rhs: str
    modifiers: tuple[Modifier, ...]
    line: int
    column: int

    def modifier(self, group: int, n_groups: int) -> Modifier:
        """The modifier that applies in ``group`` (0-based) out of ``n_groups``."""
        if not self.modifiers:
            return Modifier()
        if len(self.modifiers) == 1:
            return self.modifiers[0]
        if len(self.modifiers) != n_groups:
            raise ModelSyntaxError(
                f"'{self.lhs} {self.op} {self.rhs}' has {len(self.modifiers)} values in c(...) but the model is fitted "
                f"in {n_groups} group(s); give one value per group",
                self.line,
                self.column,
            )
        return self.modifiers[group]


@dataclasses.dataclass(frozen=True, repr=False)
class ParsedModel(Result):
    """The terms of a parsed model, in the order they were written."""

    terms: tuple[ModelTerm, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per term: lhs, op, rhs, fixed, label, free, line, column (group-wise modifiers as lists)."""
        rows = []
        for term in self.terms:
            mods = term.modifiers or (Modifier(),)
            pick = (lambda values: values[0] if len(values) == 1 else list(values))
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
        return pd.DataFrame(rows, columns=["lhs", "op", "rhs", "fixed", "label", "free", "line", "column"])


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
        kind = match.lastgroup
        if kind not in ("space", "comment"):
            tokens.append(_Token(kind, match.group(), line, pos - line_start + 1))
        if match.group() == "\n":
            line, line_start = line + 1, match.end()
        pos = match.end()
    return tokens


def _statements(tokens: list[_Token]) -> list[list[_Token]]:
    """Split tokens at newlines/semicolons, except after an operator, '+', '*', ',' or inside parentheses, or
    before a line that starts with '+' (a formula continued on the next line)."""
    statements, current, depth, ended = [], [], 0, False
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
            raise ModelSyntaxError(f"the statement ends early after {last.text!r}; expected {what}", last.line, last.column + len(last.text))
        if (expected is not None and token.text != expected) or (kind is not None and token.kind != kind):
            what = f"{expected!r}" if expected else f"a {kind}"
            raise ModelSyntaxError(f"expected {what} but found {token.text!r}", token.line, token.column)
        self.pos += 1
        return token


def _modifier_value(cursor: _Cursor) -> Modifier:
    """One value: a number (fixed, optionally negative), NA (free) or a label."""
    token = cursor.take()
    if token.text == "-":
        return Modifier(fixed=-float(cursor.take(kind="number").text))
    if token.kind == "number":
        return Modifier(fixed=float(token.text))
    if token.kind == "name" and token.text == "NA":
        return Modifier(free=True)
    if token.kind == "name":
        return Modifier(label=token.text)
    raise ModelSyntaxError(f"expected a number, NA or a label but found {token.text!r}", token.line, token.column)


def _merge(first: Modifier, second: Modifier) -> Modifier:
    return Modifier(
        fixed=second.fixed if second.fixed is not None else first.fixed,
        label=second.label or first.label,
        start=second.start if second.start is not None else first.start,
        free=second.free or first.free,
    )


def _modifier(cursor: _Cursor) -> tuple[Modifier, ...]:
    """A modifier before '*': value, c(value, ...) or start(value)."""
    token = cursor.peek()
    if token.kind == "name" and token.text in ("c", "start") and cursor.pos + 1 < len(cursor.tokens) and cursor.tokens[cursor.pos + 1].text == "(":
        cursor.take()
        cursor.take("(")
        values = [_modifier_value(cursor)]
        while cursor.peek() is not None and cursor.peek().text == ",":
            cursor.take(",")
            values.append(_modifier_value(cursor))
        cursor.take(")")
        if token.text == "start":
            if any(v.fixed is None for v in values):
                raise ModelSyntaxError("start(...) takes numbers", token.line, token.column)
            return tuple(Modifier(start=v.fixed) for v in values)
        return tuple(values)
    return (_modifier_value(cursor),)


def _combine(existing: tuple[Modifier, ...], new: tuple[Modifier, ...], token: _Token) -> tuple[Modifier, ...]:
    if not existing:
        return new
    if len(existing) == 1 or len(new) == 1 or len(existing) == len(new):
        n = max(len(existing), len(new))
        grow = lambda mods: mods * n if len(mods) == 1 else mods  # noqa: E731 - tiny local helper
        return tuple(_merge(a, b) for a, b in zip(grow(existing), grow(new)))
    raise ModelSyntaxError("modifiers with different numbers of group values", token.line, token.column)


def _rhs_term(cursor: _Cursor, op: str) -> tuple[str, tuple[Modifier, ...], _Token]:
    """[modifier '*']* variable (or '1' after '~')."""
    modifiers: tuple[Modifier, ...] = ()
    while True:
        start = cursor.peek()
        if start is None:
            cursor.take(kind="name")
        following = cursor.tokens[cursor.pos + 1] if cursor.pos + 1 < len(cursor.tokens) else None
        is_call = start.text in ("c", "start") and following is not None and following.text == "("
        is_variable = start.kind == "name" and start.text != "NA" and not is_call
        is_intercept = op == "~" and start.kind == "number" and start.text == "1"
        if (is_variable or is_intercept) and (following is None or following.text != "*"):
            cursor.take()
            if start.kind == "number" and op != "~":
                raise ModelSyntaxError(f"expected a variable name but found {start.text!r}", start.line, start.column)
            return start.text, modifiers, start
        if start.kind not in ("name", "number") and start.text != "-":
            raise ModelSyntaxError(f"expected a variable name but found {start.text!r}", start.line, start.column)
        modifiers = _combine(modifiers, _modifier(cursor), start)
        cursor.take("*")


def _parse_statement(tokens: list[_Token]) -> list[ModelTerm]:
    cursor = _Cursor(tokens)
    lhs = cursor.take(kind="name") if tokens[0].kind == "name" else None
    if lhs is None:
        raise ModelSyntaxError(f"a statement must start with a variable name, not {tokens[0].text!r}", tokens[0].line, tokens[0].column)
    op_token = cursor.peek()
    if op_token is None or op_token.kind != "op":
        where = op_token or lhs
        found = f"found {op_token.text!r}" if op_token else "the statement ends"
        raise ModelSyntaxError(
            f"expected an operator (=~, ~~, ~) after {lhs.text!r} but {found}", where.line, where.column + (0 if op_token else len(lhs.text))
        )
    cursor.take()
    if op_token.text in _UNSUPPORTED or op_token.text not in OPERATORS:
        raise ModelSyntaxError(f"operator {op_token.text!r} is not supported (use =~, ~~, ~ or ~ 1)", op_token.line, op_token.column)
    terms = []
    while True:
        name, modifiers, token = _rhs_term(cursor, op_token.text)
        op, rhs = (op_token.text, name) if not (op_token.text == "~" and name == "1") else ("~1", "")
        for mod in modifiers:
            if mod.fixed is not None and not math.isfinite(mod.fixed):
                raise ModelSyntaxError("a fixed value must be finite", token.line, token.column)
        terms.append(ModelTerm(lhs.text, op, rhs, modifiers, token.line, token.column))
        nxt = cursor.peek()
        if nxt is None:
            return terms
        cursor.take("+")


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
    terms: list[ModelTerm] = []
    for statement in _statements(_tokenize(model)):
        terms.extend(_parse_statement(statement))
    if not terms:
        raise ModelSyntaxError("the model is empty: write at least one term such as 'f =~ x1 + x2 + x3'", 1, 1)
    return ParsedModel(tuple(terms))

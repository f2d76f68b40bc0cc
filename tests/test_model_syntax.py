"""The lavaan model-syntax subset (lavaan 0.6-14 lavParseModelString semantics)."""

from __future__ import annotations

import pytest

import psychometrics as pm
from psychometrics.sem.model_syntax import Modifier


def terms(text):
    return [(t.lhs, t.op, t.rhs) for t in pm.parse_model(text).terms]


def test_operators_comments_and_continuation():
    model = """
    # a comment line
    visual =~ x1 + x2 +   ! lavaan's other comment character
              x3
    textual =~ x4 + x5 + x6; speed =~ x7
    speed ~ visual + textual
    x1 ~~ x2
    x1 ~ 1
    """
    assert terms(model) == [
        ("visual", "=~", "x1"),
        ("visual", "=~", "x2"),
        ("visual", "=~", "x3"),
        ("textual", "=~", "x4"),
        ("textual", "=~", "x5"),
        ("textual", "=~", "x6"),
        ("speed", "=~", "x7"),
        ("speed", "~", "visual"),
        ("speed", "~", "textual"),
        ("x1", "~~", "x2"),
        ("x1", "~1", ""),
    ]


def test_modifiers():
    parsed = pm.parse_model("f =~ 1*x1 + NA*x2 + a*x3 + c(b, NA)*x4 + start(0.5)*x5 + c(1, 2.5e-1)*x6\nf ~ 0*1")
    mods = {t.rhs: t.modifiers for t in parsed.terms}
    assert mods["x1"] == (Modifier(fixed=1.0),)
    assert mods["x2"] == (Modifier(free=True),)
    assert mods["x3"] == (Modifier(label="a"),)
    assert mods["x4"] == (Modifier(label="b"), Modifier(free=True))
    assert mods["x5"] == (Modifier(start=0.5),)
    assert mods["x6"] == (Modifier(fixed=1.0), Modifier(fixed=0.25))
    assert mods[""] == (Modifier(fixed=0.0),)
    frame = parsed.to_frame()
    assert list(frame.columns) == ["lhs", "op", "rhs", "fixed", "label", "free", "line", "column"]
    assert frame.loc[2, "label"] == "a"


def test_combined_modifiers_and_names_like_keywords():
    parsed = pm.parse_model("f =~ a*0.8*x1 + c + start")
    assert parsed.terms[0].modifiers == (Modifier(fixed=0.8, label="a"),)
    assert [t.rhs for t in parsed.terms] == ["x1", "c", "start"]


def test_group_modifier_needs_one_value_per_group():
    term = pm.parse_model("f =~ c(1, NA, 2)*x1").terms[0]
    assert term.modifier(2, 3) == Modifier(fixed=2.0)
    with pytest.raises(pm.ModelSyntaxError, match="3 values"):
        term.modifier(0, 2)


@pytest.mark.parametrize(
    "text, line, column",
    [
        ("f =~ x1 +", 1, 10),
        ("f =~ x1 + x2\ng = x3", 2, 3),
        ("f =~ x1\n\n  f <~ g", 3, 5),
        ("f =~ x1 + + x2", 1, 11),
        ("=~ x1", 1, 1),
        ("f x1 x2", 1, 3),
        ("f =~ c(1, 2*x1", 1, 12),
    ],
)
def test_errors_name_line_and_column(text, line, column):
    with pytest.raises(pm.ModelSyntaxError) as info:
        pm.parse_model(text)
    assert (info.value.line, info.value.column) == (line, column)
    assert f"line {line}, column {column}" in str(info.value)


def test_empty_and_non_string():
    with pytest.raises(pm.ModelSyntaxError, match="empty"):
        pm.parse_model("# nothing here\n")
    with pytest.raises(pm.ModelSyntaxError, match="string"):
        pm.parse_model(42)


def test_cfa_accepts_parsed_model():
    hs = pm.datasets.load("holzinger_swineford")
    parsed = pm.parse_model("visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6")
    assert pm.cfa(parsed, hs).fit_measures["df"] == 8


def test_continuation_lines_and_signed_values():
    parsed = pm.parse_model("f =~ x1 +0.5*x2\n     + -1*x3\n  + x4\ng =~ y1 + y2; g ~~ -0.2*f")
    assert [(t.lhs, t.rhs) for t in parsed.terms] == [
        ("f", "x1"),
        ("f", "x2"),
        ("f", "x3"),
        ("f", "x4"),
        ("g", "y1"),
        ("g", "y2"),
        ("g", "f"),
    ]
    mods = [t.modifiers for t in parsed.terms]
    assert (
        mods[1] == (Modifier(fixed=0.5),) and mods[2] == (Modifier(fixed=-1.0),) and mods[6] == (Modifier(fixed=-0.2),)
    )

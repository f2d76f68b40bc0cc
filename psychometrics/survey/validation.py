"""Check a survey data set against its instrument, collecting every problem before failing.

Rules (the ``rule`` column of the report):

- ``missing_column``: a column the instrument defines (id, group, item, criterion) is absent;
- ``unknown_column``: the data have a column the instrument does not define;
- ``duplicate_column``: two columns have the same name;
- ``non_numeric``: an item or criterion cell is not a number;
- ``out_of_range``: a number outside the item's response range / allowed values that is not a declared missing
  code (or a criterion value outside its range);
- ``missing_label`` / ``unknown_label``: a group column (site, language, role) is empty or holds a label the
  instrument does not list;
- ``missing_id`` / ``duplicate_id``: an empty or repeated respondent id;
- ``all_items_missing``: a respondent without a single answer (every item empty or a missing code).

Row numbers are 1-based positions in the data (row 1 is the first respondent; in a CSV file it is line 2).
The checks are vectorised per column; the data are never modified.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from typing import TypeAlias

import numpy as np
import pandas as pd

from .._results import Result
from ..errors import DataValidationError
from .instrument import Instrument, InstrumentSource, load_instrument

__all__ = ["validate", "ValidationReport", "add_validate_arguments", "run_validate"]

PROBLEM_COLUMNS = ["row", "respondent_id", "column", "value", "rule", "message"]


@dataclasses.dataclass(frozen=True, repr=False)
class ValidationReport(Result):
    """Every problem found by :func:`validate`.

    ``problems`` has one row per problem: ``row`` (1-based position of the respondent, empty for column
    problems), ``respondent_id``, ``column``, ``value`` (the offending cell), ``rule`` and ``message``.
    """

    ok: bool
    problems: pd.DataFrame
    n_rows: int
    n_columns: int
    instrument: str

    def to_frame(self) -> pd.DataFrame:
        """The problems table (a copy)."""
        return self.problems.copy()

    def counts(self) -> dict[str, int]:
        """Number of problems per rule."""
        return {str(k): int(v) for k, v in self.problems["rule"].value_counts(sort=False).items()}

    def summary(self) -> str:
        """One line: the size of the data and the number of problems per rule."""
        size = f"{self.n_rows} rows x {self.n_columns} columns checked against {self.instrument}"
        if self.ok:
            return f"OK: {size}: no problems."
        counts = ", ".join(f"{n} {rule}" for rule, n in self.counts().items())
        return f"INVALID: {size}: {len(self.problems)} problem(s) ({counts})."


def validate(data: pd.DataFrame, instrument: InstrumentSource, raise_on_error: bool = False) -> ValidationReport:
    """Check ``data`` against ``instrument`` and report every problem (see the module docstring for the rules).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent (for example from :func:`psychometrics.read_survey`). Not modified.
    instrument : Instrument, path or bundled name
        The instrument definition (:func:`psychometrics.load_instrument`).
    raise_on_error : bool
        Raise :class:`~psychometrics.errors.DataValidationError` (with the report as ``.report``) when any
        problem is found, instead of returning the report.

    Returns
    -------
    ValidationReport

    Examples
    --------
    >>> import psychometrics as pm
    >>> data = pm.simulate_peer_support_survey(site_sizes={"DE-Ulm": 40})
    >>> instrument = pm.load_instrument("peer_support_implementation")
    >>> report = pm.validate(data, instrument)
    >>> report.ok, report.n_rows
    (True, 40)
    """
    instrument = load_instrument(instrument)
    data, found = _unique_columns(_check_frame(data))
    ids = _ids(data, instrument)
    found += _column_problems(data, instrument)
    found += _value_problems(data, instrument, ids)
    found += _label_problems(data, instrument, ids)
    found += _id_problems(ids)
    found += _empty_row_problems(data, instrument, ids)
    if data.empty:
        found.append(
            _column_problem(None, "no_rows", "the data have no respondents (no rows); nothing can be analysed.")
        )
    return _report(found, data, instrument, raise_on_error)


def validate_item_values(data: pd.DataFrame, instrument: Instrument, columns: list[str]) -> ValidationReport:
    """Check only that ``columns`` (items or criteria) exist and hold valid answers or missing codes; raise
    DataValidationError otherwise (used by :func:`psychometrics.score`)."""
    data = _check_frame(data)
    missing = [c for c in columns if c not in data.columns]
    found = [
        _column_problem(
            c, "missing_column", f"column {c!r} is needed to score instrument {instrument.id!r} but is missing."
        )
        for c in missing
    ]
    present = [c for c in columns if c in data.columns]
    found += item_value_problems(data, instrument, present, _ids(data, instrument))
    return _report(found, data, instrument, raise_on_error=True)


def _check_frame(data: object) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise DataValidationError(
            f"data must be a pandas DataFrame of respondents x columns; got {type(data).__name__}."
        )
    return data


def _ids(data: pd.DataFrame, instrument: Instrument) -> pd.Series | None:
    return data[instrument.id_column] if instrument.id_column in data.columns else None


def _report(
    found: list[pd.DataFrame], data: pd.DataFrame, instrument: Instrument, raise_on_error: bool
) -> ValidationReport:
    problems = _as_table(found)
    report = ValidationReport(
        ok=problems.empty,
        problems=problems,
        n_rows=len(data),
        n_columns=data.shape[1],
        instrument=f"{instrument.id} {instrument.version}",
    )
    if raise_on_error and not report.ok:
        raise DataValidationError(_error_message(report), report=report)
    return report


def _error_message(report: ValidationReport, shown: int = 5) -> str:
    first = report.problems.head(shown)["message"].tolist()
    more = f"\n  ... and {len(report.problems) - shown} more" if len(report.problems) > shown else ""
    return (
        report.summary()
        + "\n  "
        + "\n  ".join(first)
        + more
        + "\nFix the data (or the instrument) and validate again; the full list is in .report.problems."
    )


#: The messages of the problems at the given row positions.
_Messages: TypeAlias = Callable[[np.ndarray], list[str]]


def _problems(
    mask: pd.Series | np.ndarray,
    column: str | None,
    values: pd.Series | None,
    rule: str,
    messages: str | _Messages,
    ids: pd.Series | None,
) -> pd.DataFrame:
    """One problem per True entry of ``mask`` (a boolean array over rows)."""
    positions = np.flatnonzero(np.asarray(mask, dtype=bool))
    return pd.DataFrame(
        {
            "row": positions + 1,
            "respondent_id": ids.to_numpy(dtype=object)[positions] if ids is not None else None,
            "column": column,
            "value": values.to_numpy(dtype=object)[positions] if values is not None else None,
            "rule": rule,
            "message": messages(positions) if callable(messages) else messages,
        }
    )


def _column_problem(column: str | None, rule: str, message: str) -> pd.DataFrame:
    return pd.DataFrame(
        [{"row": None, "respondent_id": None, "column": column, "value": None, "rule": rule, "message": message}]
    )


def _as_table(found: list[pd.DataFrame]) -> pd.DataFrame:
    found = [
        f.astype({"row": "Int64"}).astype({c: object for c in PROBLEM_COLUMNS if c != "row"}) for f in found if len(f)
    ]
    if not found:
        return pd.DataFrame({c: pd.Series(dtype="Int64" if c == "row" else object) for c in PROBLEM_COLUMNS})
    table = pd.concat(found, ignore_index=True)[PROBLEM_COLUMNS]
    return table.sort_values("row", na_position="first", kind="stable").reset_index(drop=True)


def _unique_columns(data: pd.DataFrame) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Keep the first of duplicated column names (a view-free selection), reporting the others."""
    duplicated = data.columns.duplicated()
    found = [
        _column_problem(name, "duplicate_column", f"column {name!r} appears more than once; rename or drop the copies.")
        for name in dict.fromkeys(data.columns[duplicated])
    ]
    return (data.loc[:, ~duplicated] if duplicated.any() else data), found


def _column_problems(data: pd.DataFrame, instrument: Instrument) -> list[pd.DataFrame]:
    expected = instrument.expected_columns
    missing = [c for c in expected if c not in data.columns]
    unknown = [c for c in data.columns if c not in set(expected)]
    return [
        _column_problem(
            c,
            "missing_column",
            f"column {c!r} defined by instrument {instrument.id!r} is missing; add it (empty if not asked).",
        )
        for c in missing
    ] + [
        _column_problem(
            c,
            "unknown_column",
            f"column {c!r} is not defined by instrument {instrument.id!r}; rename it to a defined column or drop it.",
        )
        for c in unknown
    ]


def _row_text(positions: np.ndarray, ids: pd.Series | None) -> list[str]:
    rows = [f"row {p + 1}" for p in positions]
    if ids is None:
        return rows
    return [f"{r} (respondent {i!r})" for r, i in zip(rows, ids.to_numpy(dtype=object)[positions])]


def _row_messages(ids: pd.Series | None, text: str) -> _Messages:
    """Messages "row N (respondent ID)<text>" for the rows at the given positions."""
    return lambda positions: [f"{where}{text}" for where in _row_text(positions, ids)]


def numeric_cells(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(values as floats with non-numbers as NaN, True where a cell is present but not a number)."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype(float), pd.Series(False, index=values.index)
    numeric = pd.to_numeric(values, errors="coerce") if not pd.api.types.is_numeric_dtype(values) else values
    numeric = numeric.astype(float)
    return numeric, numeric.isna() & values.notna()


def item_value_problems(
    data: pd.DataFrame, instrument: Instrument, columns: list[str], ids: pd.Series | None
) -> list[pd.DataFrame]:
    """``non_numeric`` and ``out_of_range`` problems of the given item/criterion columns."""
    found = []
    for column in columns:
        values = data[column]
        numeric, non_numeric = numeric_cells(values)
        if column in instrument.items:
            item = instrument.items[column]
            bad = numeric.notna() & ~item.is_valid_answer(numeric) & ~item.is_missing_code(numeric)
            expected = item.describe_values()
        else:
            low, high = instrument.criterion_ranges[column]
            bad = numeric.notna() & ~numeric.between(low, high)
            expected = f"between {low:g} and {high:g}"
        found.append(
            _problems(
                non_numeric,
                column,
                values,
                "non_numeric",
                _messages(column, values, ids, "is not a number", expected),
                ids,
            )
        )
        found.append(
            _problems(
                bad, column, values, "out_of_range", _messages(column, values, ids, "is out of range", expected), ids
            )
        )
    return found


def show_value(value: object) -> str:
    """A cell as written in messages: whole floats without ".0" (6.0 -> 6), text quoted."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (np.integer, np.floating)):
        return repr(value.item())
    return repr(value)


def _messages(column: str, values: pd.Series, ids: pd.Series | None, what: str, expected: str) -> _Messages:
    def build(positions: np.ndarray) -> list[str]:
        cells = values.to_numpy(dtype=object)[positions]
        return [
            f"{where}, column {column!r}: {show_value(v)} {what}; expected {expected}."
            for where, v in zip(_row_text(positions, ids), cells)
        ]

    return build


def _value_problems(data: pd.DataFrame, instrument: Instrument, ids: pd.Series | None) -> list[pd.DataFrame]:
    columns = [c for c in [*instrument.items, *instrument.criteria] if c in data.columns]
    return item_value_problems(data, instrument, columns, ids)


def _label_problems(data: pd.DataFrame, instrument: Instrument, ids: pd.Series | None) -> list[pd.DataFrame]:
    found = []
    for role, column in instrument.group_columns.items():
        if column not in data.columns:
            continue
        values = data[column]
        labels = instrument.group_labels.get(role)
        empty = _row_messages(ids, f", column {column!r} is empty; enter the respondent's {role}.")
        found.append(_problems(values.isna(), column, values, "missing_label", empty, ids))
        if labels is not None:
            unknown = values.notna() & ~values.isin(list(labels))
            expected = f"one of the {role} labels {', '.join(map(str, labels))}"
            found.append(
                _problems(
                    unknown,
                    column,
                    values,
                    "unknown_label",
                    _messages(column, values, ids, f"is not a known {role}", expected),
                    ids,
                )
            )
    return found


def _id_problems(ids: pd.Series | None) -> list[pd.DataFrame]:
    if ids is None:
        return []
    column = ids.name
    empty = _row_messages(None, ": the respondent id is empty; give every respondent a unique id.")
    missing = _problems(ids.isna(), column, ids, "missing_id", empty, None)
    repeated = ids.notna() & ids.duplicated(keep=False)
    rows_of = (
        pd.Series(np.arange(1, len(ids) + 1)[repeated.to_numpy()], index=ids[repeated].to_numpy())
        .groupby(level=0)
        .agg(list)
    )

    def messages(positions):
        values = ids.to_numpy(dtype=object)[positions]
        return [
            f"row {p + 1}: respondent id {v!r} is used in rows {rows_of[v]}; ids must be unique."
            for p, v in zip(positions, values)
        ]

    return [missing, _problems(repeated, column, ids, "duplicate_id", messages, ids)]


def _answered_mask(data: pd.DataFrame, instrument: Instrument, items: list[str]) -> pd.DataFrame:
    """True where an item cell holds an answer (neither empty nor a declared missing code)."""
    answered = {}
    for name in items:
        numeric, non_numeric = numeric_cells(data[name])
        answered[name] = (numeric.notna() & ~instrument.items[name].is_missing_code(numeric)) | non_numeric
    return pd.DataFrame(answered, index=data.index)


def _empty_row_problems(data: pd.DataFrame, instrument: Instrument, ids: pd.Series | None) -> list[pd.DataFrame]:
    items = [c for c in instrument.items if c in data.columns]
    if not items:
        return []
    empty = ~_answered_mask(data, instrument, items).any(axis=1)
    messages = _row_messages(ids, ": every item is empty or a missing code; drop the respondent or enter the answers.")
    return [_problems(empty, None, None, "all_items_missing", messages, ids)]


# --- command line: psychometrics validate DATA --instrument FILE_OR_NAME ----------------------------------------


def add_validate_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``psychometrics validate``.

    Examples
    --------
    >>> import argparse
    >>> import psychometrics as pm
    >>> parser = argparse.ArgumentParser()
    >>> pm.add_validate_arguments(parser)
    >>> parser.parse_args(["survey.csv", "--instrument", "peer_support_implementation"]).max_problems is None
    True
    """
    parser.add_argument("data", help="survey data file (.csv, .xlsx, .sav, .dta, .parquet); it is only read")
    parser.add_argument("--instrument", required=True, help="instrument YAML file or bundled instrument name")
    parser.add_argument("--sheet", default=0, help="Excel sheet name or number (default: the first)")
    parser.add_argument("--max-problems", type=int, default=None, help="print at most this many problems")


def _table_text(problems: pd.DataFrame) -> str:
    """The problems as a left-aligned text table."""
    text = problems.astype(object).where(problems.notna(), "")
    text["value"] = [show_value(v).strip("'") if v != "" else "" for v in text["value"]]
    text = text.astype(str)
    widths = {c: max(len(c), text[c].str.len().max()) for c in text.columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in text.columns)]
    lines += ["  ".join(v.ljust(widths[c]) for c, v in zip(text.columns, row)) for row in text.itertuples(index=False)]
    return "\n".join(line.rstrip() for line in lines)


def run_validate(args: argparse.Namespace) -> int:
    """Print the problems as a table and return 1, or print a one-line summary and return 0.

    Examples
    --------
    >>> import argparse, pathlib, tempfile
    >>> import psychometrics as pm
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "survey.csv"
    >>> pm.simulate_peer_support_survey(site_sizes={"DE-Ulm": 40}).to_csv(path, index=False)
    >>> parser = argparse.ArgumentParser()
    >>> pm.add_validate_arguments(parser)
    >>> pm.run_validate(parser.parse_args([str(path), "--instrument", "peer_support_implementation"]))
    /...survey.csv: OK: 40 rows x 33 columns checked against peer_support_implementation 1.0.0: no problems.
    0
    """
    from .io import read_survey

    instrument = load_instrument(args.instrument)
    sheet = int(args.sheet) if str(args.sheet).isdigit() else args.sheet
    report = validate(read_survey(args.data, instrument, sheet_name=sheet), instrument)
    if report.ok:
        print(f"{args.data}: {report.summary()}")
        return 0
    shown = report.problems if args.max_problems is None else report.problems.head(args.max_problems)
    print(_table_text(shown))
    if len(shown) < len(report.problems):
        print(f"... {len(report.problems) - len(shown)} more problem(s) not shown")
    print(f"{args.data}: {report.summary()}")
    return 1

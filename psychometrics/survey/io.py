"""Read survey data files: CSV, Excel, SPSS ``.sav``, Stata ``.dta`` and Parquet.

Nothing is dropped, recoded to NaN or imputed on reading: declared missing codes (9 = not applicable, ...) stay
as their codes so that :func:`psychometrics.validate` can check them and :func:`psychometrics.score` can turn
them into NaN. The file is only read, never written.
"""

from __future__ import annotations

import os
import zipfile
from typing import Any
from pathlib import Path

import pandas as pd

from .._checks import cut
from .._typing import PathLike
from ..errors import DataError
from .instrument import Instrument, InstrumentSource, is_file, load_instrument

__all__ = ["read_survey", "SURVEY_FORMATS"]

SURVEY_FORMATS = {
    ".csv": "CSV",
    ".xlsx": "Excel",
    ".sav": "SPSS",
    ".zsav": "SPSS",
    ".dta": "Stata",
    ".parquet": "Parquet",
    ".pq": "Parquet",
}


def read_survey(
    path: PathLike, instrument: InstrumentSource | None = None, *, sheet_name: str | int = 0
) -> pd.DataFrame:
    """Read a survey data file into a DataFrame (one row per respondent).

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.csv``, ``.xlsx``, ``.sav``/``.zsav`` (SPSS), ``.dta`` (Stata) or ``.parquet`` file.
    instrument : Instrument, path or bundled name, optional
        When given, the respondent id column (and group columns whose labels are text) are read as text, so that
        ids such as ``007`` keep their leading zeros, and SPSS/Stata value labels are applied to the group
        columns (site 1 -> "DE-Hamburg").
    sheet_name : str or int
        Excel sheet (default the first).

    Returns
    -------
    pandas.DataFrame
        With ``attrs["source"]`` (the path) and, for SPSS/Stata, ``attrs["value_labels"]`` and
        ``attrs["user_missing"]`` (the file's user-defined missing values per column).

    Notes
    -----
    SPSS and Stata files are read with pyreadstat and ``user_missing=True``: SPSS user-missing values (for
    example 9 declared missing in the file) are kept as their codes, never turned into NaN, so that the
    instrument's missing codes apply. Stata's tagged missing values (``.a`` ... ``.z``) are turned into the
    instrument's missing code whose label equals the value label of the tag (``.a`` labelled "not applicable"
    -> 9); a tag without such a match stays as its letter and :func:`psychometrics.validate` reports it.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import psychometrics as pm
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "attitude.csv"
    >>> pm.datasets.load("attitude").to_csv(path, index=False)
    >>> pm.read_survey(path).shape
    (30, 7)
    """
    if not isinstance(path, (str, os.PathLike)):
        raise DataError(f"path must be a file path (text or pathlib.Path); got {cut(repr(path), 80)}.")
    path = Path(path)
    if not is_file(path):  # False for a name too long for the file system
        raise DataError(f"survey file {cut(repr(str(path)), 200)} does not exist (or is not a file); check the path.")
    suffix = path.suffix.lower()
    if suffix not in SURVEY_FORMATS:
        raise DataError(
            f"cannot read {path.name!r}: unknown file type {suffix!r}; use one of {', '.join(SURVEY_FORMATS)}."
        )
    instrument = load_instrument(instrument) if instrument is not None else None
    if SURVEY_FORMATS[suffix] in ("SPSS", "Stata"):
        frame = _read_statistical(path, suffix, instrument)
    else:
        frame = _read_table(path, suffix, instrument, sheet_name)
    frame.attrs["source"] = str(path)
    return frame


def _read_table(path: Path, suffix: str, instrument: Instrument | None, sheet_name: str | int) -> pd.DataFrame:
    text_columns = _text_columns(instrument)
    try:
        if suffix == ".csv":
            _check_header(pd.read_csv(path, header=None, nrows=1, dtype=str), path)
            return pd.read_csv(path, dtype=text_columns)
        if suffix == ".xlsx":
            _check_header(pd.read_excel(path, sheet_name=sheet_name, header=None, nrows=1, dtype=str), path)
            return pd.read_excel(path, sheet_name=sheet_name, dtype=text_columns)
        return pd.read_parquet(path)
    except DataError:
        raise
    except UnicodeDecodeError as exc:
        raise DataError(
            f"cannot read {path.name!r}: byte {exc.start} ({exc.object[exc.start : exc.start + 1]!r}) is "
            "not UTF-8 text; save the file as UTF-8 CSV (binary files need their own suffix)."
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(
            f"{path.name!r} is empty: a survey file needs a header row and one row per respondent."
        ) from None
    except (ValueError, ImportError, KeyError, OSError, zipfile.BadZipFile) as exc:  # ParserError is a ValueError
        reason = cut(" ".join(str(exc).split()))
        raise DataError(f"cannot read {path.name!r} as a {SURVEY_FORMATS[suffix]} file: {reason}") from None


def _check_header(first_row: pd.DataFrame, path: Path) -> None:
    """Refuse a header that names a column twice (pandas would silently rename the copy ``name.1``)."""
    names = first_row.iloc[0].tolist() if len(first_row) else []
    seen: dict = {}
    for position, name in enumerate(names, start=1):
        if isinstance(name, str) and name in seen:
            raise DataError(
                f"{path.name!r} names column {name!r} twice (columns {seen[name]} and {position} of the "
                "header); rename or drop the copy."
            )
        seen.setdefault(name, position)


def _text_columns(instrument: Instrument | None) -> dict[str, type]:
    """Columns to read as text: the id column and group columns whose labels are all text."""
    if instrument is None:
        return {}
    columns: dict[str, type] = {instrument.id_column: str}
    for role, column in instrument.group_columns.items():
        labels = instrument.group_labels.get(role)
        if labels is None or all(isinstance(label, str) for label in labels):
            columns[column] = str
    return columns


def _read_statistical(path: Path, suffix: str, instrument: Instrument | None) -> pd.DataFrame:
    import pyreadstat

    reader = pyreadstat.read_dta if suffix == ".dta" else pyreadstat.read_sav
    try:
        frame, meta = reader(str(path), user_missing=True)
    except pyreadstat.ReadstatError as exc:
        raise DataError(f"cannot read {path.name!r} as a {SURVEY_FORMATS[suffix]} file: {exc}") from exc
    labels = dict(meta.variable_value_labels)
    frame.attrs["value_labels"] = labels
    frame.attrs["user_missing"] = _user_missing(meta)
    if instrument is not None:
        frame = _apply_group_labels(frame, labels, instrument)
        frame = _tagged_missing_to_codes(frame, labels, instrument)
    return frame


def _user_missing(meta: Any) -> dict[str, list]:  # meta: pyreadstat's metadata_container
    """The file's user-defined missing values: SPSS ranges as [lo, hi] pairs, Stata tags as letters."""
    spss = {column: [[r["lo"], r["hi"]] for r in ranges] for column, ranges in meta.missing_ranges.items()}
    stata = {column: list(tags) for column, tags in meta.missing_user_values.items()}
    return {**spss, **stata}


def _apply_group_labels(frame: pd.DataFrame, labels: dict, instrument: Instrument) -> pd.DataFrame:
    """Replace the numeric codes of group columns by their value labels; unlabelled codes are kept (as text)."""
    for column in instrument.group_columns.values():
        if column in frame.columns and column in labels and pd.api.types.is_numeric_dtype(frame[column]):
            codes = frame[column]
            as_text = codes.astype(str).str.removesuffix(".0").where(codes.notna())
            frame[column] = codes.map(labels[column]).fillna(as_text)
    return frame


def _tagged_missing_to_codes(frame: pd.DataFrame, labels: dict, instrument: Instrument) -> pd.DataFrame:
    """Stata tagged missing values (letters) -> the item's missing code with the same label."""
    for name, item in instrument.items.items():
        if name not in frame.columns or pd.api.types.is_numeric_dtype(frame[name]):
            continue
        by_label = {label.casefold(): code for code, label in item.missing_codes.items()}
        tag_codes = {
            tag: by_label[text.casefold()]
            for tag, text in labels.get(name, {}).items()
            if isinstance(tag, str) and text.casefold() in by_label
        }
        recoded = frame[name].replace(tag_codes)
        numeric = pd.to_numeric(recoded, errors="coerce")
        frame[name] = numeric if (numeric.notna() | recoded.isna()).all() else recoded
    return frame

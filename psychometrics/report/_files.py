"""Safe output files: file names from labels, an output folder replaced whole, CSV cells that are not formulas.

- :func:`safe_stem` turns a table or figure name (which holds group labels from the data) into a file name that
  cannot leave its folder: names of letters, digits, ``_`` and ``-`` are kept, any other name becomes a slug plus
  the first 8 hex digits of its SHA-256 (so two labels never share a file).
- :func:`replace_folder` builds the output in a temporary folder beside ``--out`` and renames it into place: an
  interrupted run leaves the previous output intact, and a rerun leaves no stale tables or figures. A folder is
  replaced only when it is empty or holds the marker file a previous run wrote (``force`` overrides), and never
  when it holds an input of the run or the working directory.
- :func:`formula_safe` prefixes ``'`` to text cells that a spreadsheet would run as a formula (OWASP "CSV
  injection": cells starting with ``= + - @``, tab or carriage return).
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import secrets
import shutil
import tempfile
from pathlib import Path
from collections.abc import Callable, Iterable

import pandas as pd

from ..errors import SpecError

__all__ = ["MARKER", "safe_stem", "inside", "replace_folder", "write_text_atomically", "formula_safe"]

MARKER = ".psychometrics-report"  # written into every output folder; its presence allows a rerun to replace it
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,99}")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SCRATCH = ".{name}.psychometrics-"  # prefix of the temporary folders beside the output folder


def safe_stem(name: str) -> str:
    """``name`` when it is a plain file name, else a slug of it plus a short hash of the whole name."""
    name = str(name)
    if _PLAIN_NAME.fullmatch(name):
        return name
    slug = re.sub(r"[^A-Za-z0-9_\-]+", "-", name).strip("-_")[:60] or "x"
    return f"{slug}-{hashlib.sha256(name.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"


def inside(root: Path, *parts: str) -> Path:
    """``root / parts`` after checking that it stays inside ``root`` (a SpecError otherwise)."""
    path = root.joinpath(*parts)
    if not path.resolve().is_relative_to(root.resolve()):
        raise SpecError(f"refusing to write {path}: it lies outside the output folder {root}.")
    return path


def _check_target(out: Path, inputs: Iterable, force: bool) -> None:
    """Refuse an output folder that holds an input, the working directory or files this program did not write."""
    resolved = out.resolve()
    if out.exists() and not out.is_dir():
        raise SpecError(f"--out {out} is a file; name a folder.")
    for path in inputs:
        if path is not None and Path(path).resolve().is_relative_to(resolved):
            raise SpecError(
                f"--out {out} contains the input {path}; the report replaces its output folder, so "
                "choose a folder that holds none of the inputs."
            )
    if Path.cwd().resolve().is_relative_to(resolved) or resolved == Path.home().resolve():
        raise SpecError(
            f"--out {out} is the working directory, one of its parents or the home folder; name a "
            "folder for the report, e.g. --out report/."
        )
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file() and not force:
        raise SpecError(
            f"--out {out} is not empty and was not written by psychometrics; choose a new folder or "
            "pass --force to replace its contents."
        )


def _remove_scratch(out: Path) -> None:
    """Delete temporary folders a killed run left beside ``out``."""
    for leftover in out.parent.glob(glob.escape(_SCRATCH.format(name=out.name)) + "*"):
        if leftover.is_dir() and (leftover / MARKER).is_file():
            shutil.rmtree(leftover, ignore_errors=True)


def _new_folder(out: Path) -> Path:
    """A new empty folder beside ``out`` (permissions from the umask, as the final folder should have)."""
    folder = out.parent / f"{_SCRATCH.format(name=out.name)}{secrets.token_hex(6)}"
    folder.mkdir()
    return folder


def replace_folder(out, write: Callable[[Path], None], *, inputs: Iterable = (), force: bool = False) -> Path:
    """Call ``write(folder)`` on a new temporary folder beside ``out``, then rename it to ``out``."""
    out = Path(out)
    _check_target(out, inputs, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_scratch(out)
    scratch = _new_folder(out)
    try:
        (scratch / MARKER).write_text(
            "written by psychometrics report; the next run replaces this folder\n", encoding="utf-8"
        )
        write(scratch)
        if out.exists():
            previous = _new_folder(out)
            (previous / MARKER).touch()
            os.replace(out, previous / "old")
            os.replace(scratch, out)
            shutil.rmtree(previous, ignore_errors=True)
        else:
            os.replace(scratch, out)
    finally:
        if scratch.exists():
            shutil.rmtree(scratch, ignore_errors=True)
    return out


def write_text_atomically(path: Path, text: str) -> Path:
    """Write ``text`` to a temporary file beside ``path`` and rename it into place (never a truncated file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(name, 0o666 & ~umask)  # mkstemp creates 0600; a results file is as readable as any other
        os.replace(name, path)
    finally:
        if os.path.exists(name):
            os.unlink(name)
    return path


def _formula_safe_cell(value):
    return f"'{value}" if isinstance(value, str) and value.startswith(_FORMULA_START) else value


def formula_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells, index labels and column names cannot start a spreadsheet formula."""
    frame = frame.copy()
    for position, dtype in enumerate(frame.dtypes):
        if not pd.api.types.is_numeric_dtype(dtype):
            frame.isetitem(position, frame.iloc[:, position].map(_formula_safe_cell))
    frame.index = frame.index.map(_formula_safe_cell) if not isinstance(frame.index, pd.MultiIndex) else frame.index
    frame.columns = (
        frame.columns.map(_formula_safe_cell) if not isinstance(frame.columns, pd.MultiIndex) else frame.columns
    )
    return frame

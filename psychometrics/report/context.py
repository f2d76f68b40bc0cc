"""Everything a section needs, prepared (and checked) once before any analysis runs.

Preparing the context loads the instrument and the data, validates the data against the instrument, resolves the
scales the spec names and scores the data. Any problem stops the run here, before the first analysis.
"""

from __future__ import annotations

import dataclasses
import hashlib
from importlib import resources
from pathlib import Path

import pandas as pd

from ..survey import datasets
from ..errors import DataError, DataValidationError, SpecError
from .spec import Spec

__all__ = ["Context", "prepare_context"]


@dataclasses.dataclass(frozen=True)
class Context:
    """The checked inputs of one spec (picklable: it travels to worker processes)."""

    spec: Spec
    data: pd.DataFrame  # as read (missing codes still in place)
    scored: pd.DataFrame  # missing codes -> NaN, reverse keys applied, one column per scale score
    scales: dict  # scale -> list of item columns
    global_items: dict  # scale -> global rating column (MTMM)
    criteria: tuple
    group: str | None
    groups: tuple  # the sorted group labels
    group_columns: tuple  # the instrument's grouping columns (site, language, role)
    n_obs: int | None  # sample size of a correlation-matrix input
    input: dict  # source, sha256, rows, columns
    instrument: dict  # id and version (empty without an instrument)
    missing_codes: dict  # item -> missing codes

    @property
    def is_correlation_matrix(self) -> bool:
        return self.n_obs is not None

    def subset(self, unit: str, frame: pd.DataFrame | None = None) -> pd.DataFrame:
        """The rows of one group ("pooled": every row) of the scored data (or of ``frame``)."""
        frame = self.scored if frame is None else frame
        if unit == "pooled":
            return frame
        return frame.loc[frame[self.group].astype(str) == unit]

    @property
    def items(self) -> list[str]:
        """Every scale item once, in scale order."""
        return list(dict.fromkeys(item for items in self.scales.values() for item in items))


def _sha256(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def _load_instrument(spec: Spec):
    name = spec.raw.get("instrument")
    if name is None:
        return None
    from ..survey import instrument as instrument_module

    if not hasattr(instrument_module, "load_instrument"):
        raise SpecError("the spec names an instrument but psychometrics.survey.instrument.load_instrument is not available yet.")
    local = spec.resolve(name)
    return instrument_module.load_instrument(str(local) if local.suffix in {".yaml", ".yml"} else name)


def _read_file(path: Path, instrument) -> pd.DataFrame:
    if not path.is_file():
        raise SpecError(f"the data file {path} does not exist; fix data.file in the spec or pass --data FILE.")
    from ..survey import io as survey_io

    return survey_io.read_survey(path, instrument)


def _load_data(spec: Spec, data_file, instrument) -> tuple[pd.DataFrame, dict, int | None]:
    """The data, a record of where they came from (with the SHA-256 of the file's bytes) and n_obs."""
    source = spec.raw["data"]
    n_obs = source.get("n_obs")
    if data_file is None and "dataset" in source:
        name = source["dataset"]
        frame = datasets.load(name)
        info = datasets.describe(name)
        n_obs = n_obs or (info.get("n_obs") if info.get("correlation_matrix") else None)
        try:
            payload = resources.files(datasets.__name__).joinpath("data", info["file"]).read_bytes()
        except (KeyError, TypeError, FileNotFoundError, OSError):
            payload = frame.to_csv(index=False).encode()
        record = {"source": f"dataset {name}"}
    else:
        path = Path(data_file) if data_file is not None else spec.resolve(source["file"])
        frame = _read_file(path, instrument)
        payload = path.read_bytes()
        record = {"source": f"file {path.name}"}
    record.update(sha256=_sha256(payload), rows=int(frame.shape[0]), columns=int(frame.shape[1]))
    return frame, record, n_obs


def _resolve_scales(spec: Spec, instrument, data: pd.DataFrame) -> dict:
    named = spec.raw.get("scales")
    available = dict(instrument.scales) if instrument is not None else {}
    if isinstance(named, dict):
        missing = sorted({c for items in named.values() for c in items} - set(map(str, data.columns)))
        if missing:
            raise SpecError(f"the spec's scales name column(s) {missing} that the data do not have.")
        return {scale: list(items) for scale, items in named.items()}
    names = named if named is not None else list(available)
    unknown = [s for s in names if s not in available]
    if unknown:
        where = f"instrument {instrument.id!r}" if instrument is not None else "the spec (no instrument is named)"
        raise SpecError(f"the spec names scale(s) {unknown} that {where} does not define; "
                        f"available: {sorted(available) or 'none'}.")
    return {s: list(instrument.scale_items(s)) for s in names}


def _validate(data: pd.DataFrame, instrument) -> None:
    from ..survey import validation

    report = validation.validate(data, instrument)
    if not report.ok:
        raise DataValidationError(f"the data do not follow instrument {instrument.id!r}; nothing was analysed.",
                                  report)


def _score(data: pd.DataFrame, instrument) -> pd.DataFrame:
    if instrument is None:
        return data.copy()
    from ..survey import scoring

    return scoring.score(data, instrument)


def _group_labels(data: pd.DataFrame, group: str) -> tuple:
    """The sorted group labels as text; refuses labels that would mix units ("pooled", 1 and "1")."""
    labels = data[group].dropna().unique()
    texts = [str(label) for label in labels]
    if "pooled" in texts:
        raise SpecError(f"the group column {group!r} has a group named 'pooled', which is the name of the unit of "
                        "all respondents; rename that group.")
    clashing = sorted({t for t in texts if texts.count(t) > 1})
    if clashing:
        raise SpecError(f"the group column {group!r} holds labels that differ only in type ({clashing[0]!r} as "
                        "number and as text); make the column one type.")
    return tuple(sorted(texts))


def prepare_context(spec: Spec, data_file=None) -> Context:
    """Load, validate and score the inputs of ``spec``; raises before any analysis when something is wrong."""
    instrument = _load_instrument(spec)
    data, record, n_obs = _load_data(spec, data_file, instrument)
    if data.empty:
        raise DataError(f"the data ({record['source']}) have no rows; nothing can be analysed.")
    scales = _resolve_scales(spec, instrument, data)
    group = spec.group
    if group is not None and group not in data.columns:
        raise SpecError(f"the spec groups by column {group!r}, which the data do not have.")
    if instrument is not None:
        _validate(data, instrument)
    scored = _score(data, instrument)
    groups = _group_labels(data, group) if group else ()
    return Context(
        spec=spec,
        data=data,
        scored=scored,
        scales=scales,
        global_items={s: instrument.scales[s].global_item for s in scales
                      if instrument is not None and s in instrument.scales and instrument.scales[s].global_item},
        criteria=tuple(instrument.criteria) if instrument is not None else (),
        group=group,
        groups=groups,
        group_columns=tuple(instrument.group_columns.values()) if instrument is not None else (),
        n_obs=n_obs,
        input=record,
        instrument={"id": instrument.id, "version": str(instrument.version)} if instrument is not None else {},
        missing_codes={name: list(item.missing_codes or ()) for name, item in instrument.items.items()}
        if instrument is not None else {},
    )

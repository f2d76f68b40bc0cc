"""Everything a section needs, prepared (and checked) once before any analysis runs.

Preparing the context loads the instrument and the data, validates the data against the instrument, resolves the
scales the spec names and scores the data. Any problem stops the run here, before the first analysis.
"""

from __future__ import annotations

import dataclasses
import hashlib
import warnings
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..survey import datasets
from ..errors import DataError, DataValidationError, SpecError
from .formatting import label
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
    reversed_items: tuple = ()  # reverse-keyed items (instrument or a leading minus in the spec's scales)
    labels: dict = dataclasses.field(default_factory=dict)  # scale -> its label in words (from the instrument)
    missing_labels: dict = dataclasses.field(default_factory=dict)  # missing code (text) -> its meaning
    checks: tuple = ()  # what the checks before the analyses found (e.g. a negatively correlated item)
    score_ranges: dict = dataclasses.field(default_factory=dict)  # scale -> lowest, highest possible score

    @property
    def is_correlation_matrix(self) -> bool:
        return self.n_obs is not None

    def subset(self, unit: str, frame: pd.DataFrame | None = None) -> pd.DataFrame:
        """The rows of one group ("pooled": every row) of the scored data (or of ``frame``)."""
        frame = self.scored if frame is None else frame
        if unit == "pooled":
            return frame
        return frame.loc[frame[self.group].astype(str) == unit]

    def label(self, name) -> str:
        """``name`` as the reader sees it: a scale's label, an item with (R) when reverse-keyed, else the name
        in words."""
        name = str(name)
        if name in self.labels:
            return self.labels[name]
        if name in self.reversed_items:
            return f"{name} (R)"
        if name in self.items or name in self.data.columns:
            return name
        return label(name)

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
        raise SpecError(
            "the spec names an instrument but psychometrics.survey.instrument.load_instrument is not available yet."
        )
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
        record: dict[str, Any] = {"source": f"dataset {name}"}
    else:
        path = Path(data_file) if data_file is not None else spec.resolve(source["file"])
        frame = _read_file(path, instrument)
        payload = path.read_bytes()
        record = {"source": f"file {path.name}"}
    frame = _with_id(frame, instrument.id_column if instrument is not None else source.get("id"), instrument)
    record.update(sha256=_sha256(payload), rows=int(frame.shape[0]), columns=int(frame.shape[1]))
    return frame, record, n_obs


def _with_id(frame: pd.DataFrame, id_column: str | None, instrument) -> pd.DataFrame:
    """The respondent ids where the analyses expect them: an instrument's id column (taken from the index when
    the data hold the ids there, as psych's data sets do), otherwise the index (the spec's ``data.id`` column
    moves there, so that no analysis takes it for an answer)."""
    if id_column is None:
        return frame
    if instrument is not None:
        from_index = frame.index.name == id_column or not isinstance(frame.index, pd.RangeIndex)
        return frame.reset_index(names=id_column) if id_column not in frame.columns and from_index else frame
    if id_column in frame.columns:
        return frame.set_index(id_column)
    if id_column in ("index", frame.index.name):
        return frame
    raise SpecError(
        f"data.id names column {id_column!r}, which the data do not have; name the respondent id "
        "column, or write id: index when the ids are the data's index."
    )


def _split_key(name: str) -> tuple[str, bool]:
    """An item of a spec's scale and whether it is reverse-keyed (a leading minus, as psych's keys lists)."""
    return (name[1:], True) if name.startswith("-") else (name, False)


def _resolve_scales(spec: Spec, instrument, data: pd.DataFrame) -> tuple[dict, tuple]:
    """The scales (scale -> item columns) and the items the spec reverses with a leading minus."""
    named = spec.raw.get("scales")
    available = dict(instrument.scales) if instrument is not None else {}
    if isinstance(named, dict):
        keyed = {scale: [_split_key(str(item)) for item in items] for scale, items in named.items()}
        scales = {scale: [item for item, _ in items] for scale, items in keyed.items()}
        missing = sorted({c for items in scales.values() for c in items} - set(map(str, data.columns)))
        if missing:
            raise SpecError(f"the spec's scales name column(s) {missing} that the data do not have.")
        minus = tuple(dict.fromkeys(item for items in keyed.values() for item, reverse in items if reverse))
        twice = [i for i in minus if instrument is not None and i in instrument.items and instrument.items[i].reverse]
        if twice:
            raise SpecError(
                f"item(s) {twice} are reverse-keyed in instrument {instrument.id!r} already; remove the "
                "leading minus in the spec's scales."
            )
        return scales, minus
    names = named if named is not None else list(available)
    unknown = [s for s in names if s not in available]
    if unknown:
        where = f"instrument {instrument.id!r}" if instrument is not None else "the spec (no instrument is named)"
        raise SpecError(
            f"the spec names scale(s) {unknown} that {where} does not define; available: {sorted(available) or 'none'}."
        )
    return {s: list(instrument.scale_items(s)) for s in names}, ()


def _reverse(scored: pd.DataFrame, scales: dict, minus: tuple) -> pd.DataFrame:
    """The spec's reverse-keyed items reversed as psych::reverse.code: min + max - x, with the smallest and
    largest answer of the scale's items."""
    if not minus:
        return scored
    scored = scored.copy()
    for items in scales.values():
        block = scored[items].apply(pd.to_numeric, errors="coerce")
        low, high = block.min().min(), block.max().max()
        for item in (i for i in items if i in minus):
            scored[item] = low + high - block[item]
    return scored


def _add_scale_scores(scored: pd.DataFrame, scales: dict) -> pd.DataFrame:
    """Scale scores (mean of the answered items) for the scales the data do not score already."""
    missing = {scale: items for scale, items in scales.items() if scale not in scored.columns}
    if not missing:
        return scored
    means = {
        scale: scored[items].apply(pd.to_numeric, errors="coerce").mean(axis=1) for scale, items in missing.items()
    }
    return pd.concat([scored, pd.DataFrame(means, index=scored.index)], axis=1)


def _unreversed_negative_items(scored: pd.DataFrame, scales: dict, reversed_items: set) -> list[str]:
    """A warning for every item that is not reverse-keyed but loads negatively on the first principal component
    of its scale, the sign of the component set by the majority of the items (psych::alpha's check.keys:
    "Some items were negatively correlated with the first principal component")."""
    found = []
    for scale, items in scales.items():
        correlation = scored[items].apply(pd.to_numeric, errors="coerce").corr().to_numpy()
        if len(items) < 2 or not np.isfinite(correlation).all():
            continue
        first = np.linalg.eigh(correlation)[1][:, -1]
        first = first if first.sum() >= 0 else -first
        for item, loading in zip(items, first):
            if loading < 0 and item not in reversed_items:
                found.append(
                    f"scale {scale}: item {item} correlates negatively with the first principal "
                    f"component of the scale but is not reverse-keyed; if it is worded in reverse, "
                    f"write -{item} in the spec's scales (or reverse: true in the instrument)."
                )
    return found


def _validate(data: pd.DataFrame, instrument) -> None:
    from ..survey import validation

    report = validation.validate(data, instrument)
    if not report.ok:
        raise DataValidationError(f"the data do not follow instrument {instrument.id!r}; nothing was analysed.", report)


def _score(data: pd.DataFrame, instrument) -> pd.DataFrame:
    if instrument is None:
        return data.copy()
    from ..survey import scoring

    return scoring.score(data, instrument)


def _labels(instrument, scales: dict) -> dict:
    """Scale -> its label, global rating -> "<label> (global rating)", from the instrument."""
    if instrument is None:
        return {}
    labels = {s: instrument.scales[s].label or s.replace("_", " ") for s in scales if s in instrument.scales}
    labels.update(
        {
            instrument.scales[s].global_item: f"{labels[s]} (global rating)"
            for s in labels
            if instrument.scales[s].global_item
        }
    )
    return labels


def _score_ranges(instrument, scales: dict) -> dict:
    """Scale -> (lowest, highest) possible score from its items' response ranges: the mean or the sum of the
    items' minimums and maximums, as the instrument scores the scale."""
    if instrument is None:
        return {}
    ranges = {}
    for name in (s for s in scales if s in instrument.scales):
        items = [instrument.items[i] for i in instrument.scales[name].items]
        low, high = sum(i.minimum for i in items), sum(i.maximum for i in items)
        ranges[name] = (
            (low, high) if instrument.scales[name].scoring == "sum" else (low / len(items), high / len(items))
        )
    return ranges


def _group_labels(data: pd.DataFrame, group: str) -> tuple:
    """The sorted group labels as text; refuses labels that would mix units ("pooled", 1 and "1")."""
    labels = data[group].dropna().unique()
    texts = [str(label) for label in labels]
    if "pooled" in texts:
        raise SpecError(
            f"the group column {group!r} has a group named 'pooled', which is the name of the unit of "
            "all respondents; rename that group."
        )
    clashing = sorted({t for t in texts if texts.count(t) > 1})
    if clashing:
        raise SpecError(
            f"the group column {group!r} holds labels that differ only in type ({clashing[0]!r} as "
            "number and as text); make the column one type."
        )
    return tuple(sorted(texts))


def prepare_context(spec: Spec, data_file=None) -> Context:
    """Load, validate and score the inputs of ``spec``; raises before any analysis when something is wrong."""
    instrument = _load_instrument(spec)
    data, record, n_obs = _load_data(spec, data_file, instrument)
    if data.empty:
        raise DataError(f"the data ({record['source']}) have no rows; nothing can be analysed.")
    scales, minus = _resolve_scales(spec, instrument, data)
    group = spec.group
    if group is not None and group not in data.columns:
        raise SpecError(f"the spec groups by column {group!r}, which the data do not have.")
    if spec.cluster is not None and spec.cluster not in data.columns:
        raise SpecError(f"the spec names {spec.cluster!r} as the cluster column, which the data do not have.")
    if instrument is not None:
        _validate(data, instrument)
    scored = _score(data, instrument)
    keyed = [name for name, item in instrument.items.items() if item.reverse] if instrument is not None else []
    reversed_items = tuple(dict.fromkeys([*minus, *keyed]))
    checks: tuple = ()
    if n_obs is None:  # raw data (not a correlation matrix)
        scored = _add_scale_scores(_reverse(scored, scales, minus), scales)
        checks = tuple(_unreversed_negative_items(scored, scales, set(reversed_items)))
    for message in checks:
        warnings.warn(message, UserWarning, stacklevel=2)
    groups = _group_labels(data, group) if group else ()
    return Context(
        spec=spec,
        data=data,
        scored=scored,
        scales=scales,
        global_items={
            s: instrument.scales[s].global_item
            for s in scales
            if instrument is not None and s in instrument.scales and instrument.scales[s].global_item
        },
        criteria=tuple(instrument.criteria) if instrument is not None else (),
        group=group,
        groups=groups,
        group_columns=tuple(instrument.group_columns.values()) if instrument is not None else (),
        n_obs=n_obs,
        input=record,
        instrument={"id": instrument.id, "version": str(instrument.version)} if instrument is not None else {},
        missing_codes={name: list(item.missing_codes or ()) for name, item in instrument.items.items()}
        if instrument is not None
        else {},
        reversed_items=reversed_items,
        missing_labels={
            f"{code:g}": text for item in instrument.items.values() for code, text in (item.missing_codes or {}).items()
        }
        if instrument is not None
        else {},
        labels=_labels(instrument, scales),
        checks=checks,
        score_ranges=_score_ranges(instrument, scales),
    )

"""Survey instrument definitions: items, scales, id and group columns, external criteria.

An instrument is written in YAML (or JSON) and checked on load against the JSON Schema
``data_schema/instrument.schema.json`` (draft 2020-12), then for consistency (every scale item is defined, names
are unique, missing codes lie outside the response range, ...). Bundled instruments are loaded by name, e.g.
``load_instrument("peer_support_implementation")``.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from importlib import resources
from pathlib import Path
from collections.abc import Mapping
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from .._checks import cut
from .._typing import PathLike
from .._safe_yaml import load_yaml, read_text
from .._results import Result
from ..errors import SpecError

__all__ = ["load_instrument", "bundled_instruments", "Instrument", "Item", "Scale"]

_SCHEMA_PACKAGE = "psychometrics.data_schema"
_SCHEMA_FILE = "instrument.schema.json"


@dataclasses.dataclass(frozen=True, repr=False)
class Item(Result):
    """One survey question: its response range, reverse key and missing codes.

    ``scale`` is the scale whose score the item enters (None for a global rating). ``allowed_values`` is None
    when any number in ``[minimum, maximum]`` is a valid answer. ``missing_codes`` maps a code (for example
    9) to its meaning ("not applicable").
    """

    name: str
    text: str
    scale: str | None
    minimum: float
    maximum: float
    allowed_values: tuple[float, ...] | None
    reverse: bool
    missing_codes: dict[float, str]

    def __repr__(self) -> str:
        values = f"{self.minimum:g}..{self.maximum:g}" if self.allowed_values is None else list(self.allowed_values)
        reverse = ", reverse" if self.reverse else ""
        return (
            f"Item({self.name!r}, scale={self.scale!r}, values={values}{reverse}, missing_codes={self.missing_codes})"
        )

    def is_missing_code(self, values: pd.Series) -> pd.Series:
        """True where a numeric value is one of the declared missing codes."""
        return values.isin(list(self.missing_codes))

    def is_valid_answer(self, values: pd.Series) -> pd.Series:
        """True where a numeric value is an allowed answer (inside the range / one of the allowed values)."""
        if self.allowed_values is not None:
            return values.isin(list(self.allowed_values))
        return values.between(self.minimum, self.maximum)

    def describe_values(self) -> str:
        """The valid answers and missing codes in words, for error messages."""
        if self.allowed_values is not None:
            valid = "one of " + ", ".join(f"{v:g}" for v in self.allowed_values)
        else:
            valid = f"between {self.minimum:g} and {self.maximum:g}"
        codes = "; ".join(f"{code:g} = {label}" for code, label in self.missing_codes.items())
        return valid + (f" (missing codes: {codes})" if codes else "")


@dataclasses.dataclass(frozen=True, repr=False)
class Scale(Result):
    """A multi-item scale: its items, scoring rule ("mean" or "sum"), the minimum number of answered items
    needed to prorate the score, and the global rating of the same trait (if any)."""

    name: str
    items: tuple[str, ...]
    scoring: str
    min_answered: int
    global_item: str | None
    label: str = ""

    def __repr__(self) -> str:
        return (
            f"Scale({self.name!r}, items={list(self.items)}, scoring={self.scoring!r}, "
            f"min_answered={self.min_answered}, global_item={self.global_item!r})"
        )


@dataclasses.dataclass(frozen=True, repr=False)
class Instrument(Result):
    """A survey instrument (see :func:`load_instrument`).

    ``group_columns`` maps a group role to its column (``{"site": "site", "language": "language", "role":
    "role"}``); ``group_labels`` maps the role to its allowed labels (None: any label). ``criteria`` lists the
    external criterion columns and ``criterion_ranges`` their (minimum, maximum).
    """

    id: str
    version: str
    languages: tuple[str, ...]
    items: dict[str, Item]
    scales: dict[str, Scale]
    id_column: str
    group_columns: dict[str, str]
    group_labels: dict[str, tuple | None]
    criteria: list[str]
    criterion_ranges: dict[str, tuple[float, float]]
    title: str = ""
    description: str = ""
    source: str = ""

    def __repr__(self) -> str:
        return (
            f"Instrument({self.id!r}, version={self.version!r}, {len(self.items)} items, "
            f"scales={list(self.scales)}, groups={self.group_columns}, criteria={self.criteria})"
        )

    def scale_items(self, scale: str) -> list[str]:
        """The item names of ``scale`` (its global rating excluded)."""
        try:
            return list(self.scales[scale].items)
        except KeyError:
            raise SpecError(
                f"instrument {self.id!r} has no scale {scale!r}; its scales are {', '.join(self.scales)}."
            ) from None

    @property
    def global_items(self) -> dict[str, str]:
        """Scale name -> its global rating item, for the scales that have one."""
        return {name: s.global_item for name, s in self.scales.items() if s.global_item is not None}

    @property
    def expected_columns(self) -> list[str]:
        """Every column a data set of this instrument has: id, group columns, items, criteria."""
        return [self.id_column, *self.group_columns.values(), *self.items, *self.criteria]


#: What names an instrument: a YAML/JSON file, a bundled instrument's name, a parsed mapping or an Instrument.
InstrumentSource: TypeAlias = Instrument | PathLike | Mapping[str, Any]


def bundled_instruments() -> list[str]:
    """Names of the instruments shipped in ``psychometrics.data_schema``.

    Examples
    --------
    >>> import psychometrics as pm
    >>> pm.bundled_instruments()
    ['peer_support_implementation']
    """
    folder = resources.files(_SCHEMA_PACKAGE)
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_instrument(path_or_name: InstrumentSource) -> Instrument:
    """Load and check an instrument definition.

    Parameters
    ----------
    path_or_name : str, pathlib.Path, dict or Instrument
        A YAML/JSON file, the name of a bundled instrument (``"peer_support_implementation"``), an already
        parsed mapping, or an Instrument (returned unchanged).

    Raises
    ------
    SpecError
        The file is missing, is not valid YAML, breaks the JSON Schema (the message gives the path inside the
        document) or is inconsistent (a scale item that is not defined, duplicate names, ...).

    Examples
    --------
    >>> import psychometrics as pm
    >>> instrument = pm.load_instrument("peer_support_implementation")
    >>> len(instrument.items), list(instrument.scales)[:2]
    (27, ['organisational_culture', 'training'])
    """
    if isinstance(path_or_name, Instrument):
        return path_or_name
    if isinstance(path_or_name, Mapping):
        return _build(dict(path_or_name), source="<dict>")
    text, source = _read_definition(path_or_name)
    document = load_yaml(text, f"instrument {source}")
    if not isinstance(document, dict):
        raise SpecError(f"instrument {source} must be a YAML mapping (id, version, items, scales, ...).")
    return _build(document, source=source)


def _read_definition(path_or_name: PathLike) -> tuple[str, str]:
    if not isinstance(path_or_name, (str, os.PathLike)):
        raise SpecError(
            f"instrument must be a file path, the name of a bundled instrument, a mapping or an Instrument; got "
            f"{cut(repr(path_or_name), 80)} ({type(path_or_name).__name__})."
        )
    path = Path(path_or_name)
    if is_file(path):
        return read_text(path, "instrument"), str(path)
    name = str(path_or_name)
    bundled = resources.files(_SCHEMA_PACKAGE).joinpath(f"{name}.yaml")
    if "/" not in name and "\\" not in name and is_file(bundled):
        return bundled.read_text(encoding="utf-8"), f"{_SCHEMA_PACKAGE}/{name}.yaml"
    raise SpecError(
        f"instrument {cut(repr(name), 80)} is neither a file nor a bundled instrument; bundled instruments: "
        f"{', '.join(bundled_instruments())}."
    )


def is_file(path) -> bool:
    """``path.is_file()``, False for a name the system cannot look up (too long, ...) instead of OSError."""
    try:
        return path.is_file()
    except OSError:
        return False


@functools.cache
def _schema_validator():
    import jsonschema

    schema = json.loads(resources.files(_SCHEMA_PACKAGE).joinpath(_SCHEMA_FILE).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _check_schema(document: dict, source: str) -> None:
    errors = sorted(_schema_validator().iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = [cut(f"  at {'/'.join(map(str, e.absolute_path)) or '(top level)'}: {e.message}") for e in errors[:10]]
        raise SpecError(
            f"instrument {source} does not follow {_SCHEMA_FILE} ({len(errors)} problem(s)):\n" + "\n".join(lines)
        )


def _build_item(spec: dict, source: str) -> Item:
    name = spec["name"]
    allowed = spec.get("allowed_values")
    allowed = tuple(sorted(float(v) for v in allowed)) if allowed is not None else None
    minimum = float(spec.get("minimum", allowed[0] if allowed else np.nan))
    maximum = float(spec.get("maximum", allowed[-1] if allowed else np.nan))
    if minimum > maximum:
        raise SpecError(f"instrument {source}: item {name!r} has minimum {minimum:g} above maximum {maximum:g}.")
    if allowed is not None and (allowed[0] < minimum or allowed[-1] > maximum):
        raise SpecError(f"instrument {source}: item {name!r} allows values outside its range {minimum:g}..{maximum:g}.")
    codes = {float(c["code"]): c["label"] for c in spec.get("missing_codes", [])}
    valid = (lambda v: v in allowed) if allowed is not None else (lambda v: minimum <= v <= maximum)
    clashing = [f"{c:g}" for c in codes if valid(c)]
    if clashing:
        raise SpecError(
            f"instrument {source}: item {name!r} declares missing code(s) {', '.join(clashing)} that are also "
            "valid answers; choose codes outside the response range."
        )
    return Item(
        name, spec["text"], spec.get("scale"), minimum, maximum, allowed, bool(spec.get("reverse", False)), codes
    )


def _unique(names: list[str], what: str, source: str) -> None:
    seen = pd.Series(names)
    duplicated = sorted(set(seen[seen.duplicated()]))
    if duplicated:
        raise SpecError(f"instrument {source}: duplicate {what} name(s) {', '.join(duplicated)}; names must be unique.")


def _build_scale(spec: dict, items: dict[str, Item], source: str) -> Scale:
    name = spec["name"]
    unknown = [i for i in spec["items"] + [spec.get("global_item")] if i is not None and i not in items]
    if unknown:
        raise SpecError(
            f"instrument {source}: scale {name!r} uses undefined item(s) {', '.join(unknown)}; define them under items."
        )
    wrong = [i for i in spec["items"] if items[i].scale != name]
    if wrong:
        raise SpecError(
            f"instrument {source}: item(s) {', '.join(wrong)} are listed in scale {name!r} but say "
            f"scale: {items[wrong[0]].scale!r}; make the item's scale and the scale's item list agree."
        )
    global_item = spec.get("global_item")
    if global_item is not None and items[global_item].scale is not None:
        raise SpecError(
            f"instrument {source}: global rating {global_item!r} of scale {name!r} must not belong to a scale "
            "(remove its 'scale:' entry)."
        )
    min_answered = int(spec.get("min_answered", len(spec["items"])))
    if min_answered > len(spec["items"]):
        raise SpecError(
            f"instrument {source}: scale {name!r} needs min_answered={min_answered} but has only "
            f"{len(spec['items'])} items."
        )
    return Scale(
        name, tuple(spec["items"]), spec.get("scoring", "mean"), min_answered, global_item, spec.get("label", name)
    )


def _build(document: dict, source: str) -> Instrument:
    _check_schema(document, source)
    _unique([i["name"] for i in document["items"]], "item", source)
    _unique([s["name"] for s in document["scales"]], "scale", source)
    items = {spec["name"]: _build_item(spec, source) for spec in document["items"]}
    scales = {spec["name"]: _build_scale(spec, items, source) for spec in document["scales"]}
    listed = {name for scale in scales.values() for name in scale.items}
    orphans = [i.name for i in items.values() if i.scale is not None and i.name not in listed]
    if orphans:
        raise SpecError(
            f"instrument {source}: item(s) {', '.join(orphans)} name a scale that does not list them; add them to "
            "the scale's items or fix the item's scale."
        )
    groups = document.get("groups", {})
    criteria = document.get("criteria", [])
    instrument = Instrument(
        id=document["id"],
        version=str(document["version"]),
        languages=tuple(document["languages"]),
        items=items,
        scales=scales,
        id_column=document["id_column"],
        group_columns={role: g["column"] for role, g in groups.items()},
        group_labels={role: tuple(g["labels"]) if "labels" in g else None for role, g in groups.items()},
        criteria=[c["name"] for c in criteria],
        criterion_ranges={
            c["name"]: (float(c.get("minimum", -np.inf)), float(c.get("maximum", np.inf))) for c in criteria
        },
        title=document.get("title", ""),
        description=document.get("description", "").strip(),
        source=source,
    )
    _unique(instrument.expected_columns, "column (id, group, item and criterion)", source)
    return instrument

"""Analysis specifications: YAML files in analyses/, checked against spec.schema.json before anything runs."""

from __future__ import annotations

import copy
import dataclasses
import json
from importlib import resources
from pathlib import Path
from typing import Any, TypeAlias

import jsonschema

from .._checks import cut
from .._typing import PathLike
from .._safe_yaml import load_yaml, read_text
from ..errors import SpecError
from ..sem.cfa._options import CONTINUOUS_ESTIMATORS, MISSING, ORDINAL_ESTIMATORS, ORDINAL_MISSING

__all__ = ["Spec", "load_spec", "spec_schema"]

DEFAULT_SEED = 12345


def spec_schema() -> dict:
    """The JSON Schema of analysis specifications (also at analyses/spec.schema.json); the estimator and
    missing-data choices are the engine's option sets for continuous, then ordered items
    (``psychometrics.sem.cfa._options``: ``CONTINUOUS_ESTIMATORS``, ``ORDINAL_ESTIMATORS``, ``MISSING``,
    ``ORDINAL_MISSING``)."""
    text = resources.files(__package__).joinpath("spec.schema.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    schema["$defs"]["estimator"]["enum"] = list(dict.fromkeys(CONTINUOUS_ESTIMATORS + ORDINAL_ESTIMATORS))
    schema["$defs"]["missing"]["enum"] = list(dict.fromkeys(MISSING + ORDINAL_MISSING))
    return schema


@dataclasses.dataclass(frozen=True)
class Spec:
    """A validated analysis specification; ``folder`` resolves the relative paths it names."""

    raw: dict
    folder: Path

    @property
    def name(self) -> str:
        return self.raw["name"]

    @property
    def title(self) -> str:
        return self.raw["title"]

    @property
    def seed(self) -> int:
        return int(self.raw.get("seed", DEFAULT_SEED))

    @property
    def group(self) -> str | None:
        return self.raw.get("group")

    @property
    def cluster(self) -> str | None:
        """The column of the clusters respondents are nested in (e.g. service), or None."""
        return self.raw.get("cluster")

    @property
    def analyses(self) -> list[dict]:
        """The analyses with their section id (``id``, default the type) filled in."""
        return [{**a, "id": a.get("id", a["type"])} for a in self.raw["analyses"]]

    def resolve(self, path: str) -> Path:
        """A path named in the spec, relative to the spec's folder."""
        candidate = Path(path)
        return candidate if candidate.is_absolute() else self.folder / candidate


def _where(error: jsonschema.ValidationError) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path]
    return "spec" + "".join(parts)


def _fit_options_problem(analysis: dict) -> str:
    """What is wrong with a CFA section's combination of ordered, estimator, missing, cluster and weights (the
    engine's rules, said in the spec's words), or ""."""
    ordered, estimator, missing = analysis.get("ordered", False), analysis.get("estimator"), analysis.get("missing")
    if ordered:
        if "cluster" in analysis:
            return (
                f"cluster: {analysis['cluster']} with ordered: true: lavaan 0.6-14 applies no cluster correction "
                "to categorical (WLSMV) fits, it accepts cluster = but leaves the standard errors and tests "
                "unclustered. Leave cluster out here (name it at the top of the spec: the report then states the "
                "nesting as a caveat), or treat the items as continuous (ordered: false, estimator: MLR) for "
                "cluster-robust standard errors and tests"
            )
        if "weights" in analysis:
            return (
                "weights with ordered: true: sampling weights are available for continuous items (estimator ML "
                "or MLR) only; leave weights out or set ordered: false"
            )
        if estimator and estimator not in ORDINAL_ESTIMATORS:
            return (
                f"estimator: {estimator} with ordered: true; ordered items take "
                f"{', '.join(ORDINAL_ESTIMATORS)} (WLSMV, the default)"
            )
        if missing and missing not in ORDINAL_MISSING:
            return (
                f"missing: {missing} with ordered: true; ordered items take missing: pairwise (every answer, "
                "lavaan's default for categorical data) or listwise"
            )
        return ""
    if "min_category_count" in analysis:
        return "min_category_count merges categories of ordered items; it needs ordered: true"
    if estimator and estimator not in CONTINUOUS_ESTIMATORS:
        return f"estimator: {estimator} is for ordered items; add ordered: true or use one of {', '.join(CONTINUOUS_ESTIMATORS)}"
    if missing and missing not in MISSING:
        return (
            f"missing: {missing} is for ordered items (ordered: true); continuous items take missing: fiml "
            "(every answer) or listwise"
        )
    if "cluster" in analysis and estimator != "MLR":
        return (
            f"cluster: {analysis['cluster']} gives cluster-robust standard errors and tests with estimator: MLR; "
            f"add estimator: MLR"
        )
    if "weights" in analysis and missing in ("fiml", "ml"):
        return "weights need complete cases (missing: listwise); leave out missing: fiml or the weights"
    return ""


def _check(raw: Any, source: str) -> None:
    validator = jsonschema.Draft202012Validator(spec_schema())
    errors = sorted(validator.iter_errors(raw), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if errors:
        lines = "; ".join(cut(f"{_where(e)}: {e.message}") for e in errors[:10])
        raise SpecError(f"{source} does not follow analyses/spec.schema.json: {lines}.")
    for index, analysis in enumerate(raw["analyses"]):
        problem = _fit_options_problem(analysis)
        if problem:
            raise SpecError(f"{source}: spec.analyses[{index}] ({analysis['type']}): {problem}.")
    ids = [a.get("id", a["type"]) for a in raw["analyses"]]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise SpecError(f"{source}: section id(s) {duplicates} appear twice; give each analysis its own 'id'.")


#: What names a spec: a YAML file, an already parsed mapping, or a Spec.
SpecSource: TypeAlias = Spec | PathLike | dict[str, Any]


def load_spec(path_or_mapping: SpecSource, *, folder: Path | None = None) -> Spec:
    """Read and validate a spec (a YAML path, or an already parsed mapping)."""
    if isinstance(path_or_mapping, Spec):
        return path_or_mapping
    if isinstance(path_or_mapping, dict):
        raw, source, base = copy.deepcopy(path_or_mapping), "the spec", folder or Path.cwd()
    else:
        path = Path(path_or_mapping)
        if not path.is_file():
            raise SpecError(
                f"no analysis specification at {path}; pass the path of a YAML file such as "
                "analyses/peer_support_implementation.yaml."
            )
        raw = load_yaml(read_text(path, "analysis specification"), str(path))
        source, base = str(path), path.resolve().parent
    if not isinstance(raw, dict):
        raise SpecError(f"{source} must be a YAML mapping with name, title, data and analyses.")
    _check(raw, source)
    return Spec(raw, base)

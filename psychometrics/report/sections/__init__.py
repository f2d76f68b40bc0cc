"""The report's sections: one module per analysis type of a spec, registered here by type.

A section (see :class:`~psychometrics.report.sections._base.Section`)

- lists its units (``"pooled"`` and, where the analysis runs per site, each group label),
- computes one unit from the checked :class:`~psychometrics.report.context.Context` through the public API
  (a pure function of its inputs: units run in any order, in other processes, with the same results),
- renders tables, figures and plain-word interpretations from the units that succeeded.

A unit may return ``{"errors": {...}}`` next to its results for parts that failed; the unit is then reported as
failed while its other numbers are kept.

Adding a section: a module here defining a Section subclass, and one line in ``_REGISTRY`` below (the spec
schema lists the section types and their options).
"""

from __future__ import annotations

from ._base import PerGroupSection, Rendered, Section
from .cfa import CfaSection
from .criterion import CriterionSection
from .dif import DifSection
from .efa import EfaSection
from .icc import IccSection
from .invariance import InvarianceSection
from .item_statistics import ItemStatisticsSection
from .known_groups import KnownGroupsSection
from .mtmm import MtmmSection
from .omega import OmegaSection
from .reliability import ReliabilitySection
from .sample import SampleSection
from .validity import ValiditySection

__all__ = ["SECTIONS", "Rendered", "Section", "PerGroupSection"]

_REGISTRY: tuple[Section, ...] = (
    SampleSection(),
    ItemStatisticsSection(),
    ReliabilitySection(),
    IccSection(),
    EfaSection(),
    OmegaSection(),
    CfaSection(),
    InvarianceSection(),
    DifSection(),
    ValiditySection(),
    MtmmSection(),
    CriterionSection(),
    KnownGroupsSection(),
)

SECTIONS: dict[str, Section] = {section.type: section for section in _REGISTRY}

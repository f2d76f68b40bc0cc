"""Structural equation models: lavaan model syntax, the CFA/SEM engine, measurement invariance and item response
theory.
"""

from __future__ import annotations

from .model_syntax import *  # noqa: F403
from .cfa import *  # noqa: F403
from .invariance import *  # noqa: F403
from .irt import *  # noqa: F403
from .power import *  # noqa: F403
from .compare_models import *  # noqa: F403
from .fitting import *  # noqa: F403
from .fitting import sem as _sem

import sys as _sys
import types as _types
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

    import pandas as pd

    from .cfa import CFAResult
    from .model_syntax import Model

# The public names of the pillar are those of its modules.
__all__ = [
    name
    for module in ("model_syntax", "cfa", "invariance", "irt", "power", "compare_models", "fitting")
    for name in _sys.modules[f"{__name__}.{module}"].__all__
]


class _CallablePillar(_types.ModuleType):
    """``psychometrics.sem(model, data)`` fits with lavaan's sem() defaults (psychometrics.sem.fitting.sem) while
    ``psychometrics.sem`` stays this package."""

    def __call__(self, model: Model, data: pd.DataFrame | None = None, **options: Any) -> CFAResult:
        return _sem(model, data, **options)


_sys.modules[__name__].__class__ = _CallablePillar

"""Structural equation models: lavaan model syntax, the CFA/SEM engine, measurement invariance and item response
theory.
"""

from .model_syntax import *  # noqa: F403
from .cfa import *  # noqa: F403
from .invariance import *  # noqa: F403
from .irt import *  # noqa: F403
from .power import *  # noqa: F403

import sys as _sys

# The public names of the pillar are those of its modules.
__all__ = [
    name for module in ("model_syntax", "cfa", "invariance", "irt", "power")
    for name in _sys.modules[f"{__name__}.{module}"].__all__
]

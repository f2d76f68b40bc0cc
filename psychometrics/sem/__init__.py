"""Structural equation models: lavaan model syntax, the CFA/SEM engine and measurement invariance.
"""

from .model_syntax import *  # noqa: F403
from .cfa import *  # noqa: F403
from .invariance import *  # noqa: F403
from .compare_models import *  # noqa: F403

import sys as _sys

# The public names of the pillar are those of its modules.
__all__ = [
    name for module in ("model_syntax", "cfa", "invariance", "compare_models")
    for name in _sys.modules[f"{__name__}.{module}"].__all__
]

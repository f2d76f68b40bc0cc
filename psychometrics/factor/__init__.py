"""Factor structure, exploratory side: suitability (KMO, Bartlett), polychoric correlations, factor retention
(parallel analysis, MAP), EFA and rotations.
"""

from .suitability import *  # noqa: F403
from .polychoric import *  # noqa: F403
from .retention import *  # noqa: F403
from .rotation import *  # noqa: F403
from .efa import *  # noqa: F403

import sys as _sys

# The public names of the pillar are those of its modules.
__all__ = [
    name
    for module in ("suitability", "polychoric", "retention", "rotation", "efa")
    for name in _sys.modules[f"{__name__}.{module}"].__all__
]

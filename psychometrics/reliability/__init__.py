"""Reliability: classical test theory (alpha, item statistics, Guttman bounds, split-half, SEM), omega,
intraclass correlations, rater agreement and the interpretability of scores.
"""

from .classical import *  # noqa: F403
from .omega import *  # noqa: F403
from .icc import *  # noqa: F403
from .agreement import *  # noqa: F403
from .interpretability import *  # noqa: F403

import sys as _sys

# The public names of the pillar are those of its modules.
__all__ = [
    name
    for module in ("classical", "omega", "icc", "agreement", "interpretability")
    for name in _sys.modules[f"{__name__}.{module}"].__all__
]

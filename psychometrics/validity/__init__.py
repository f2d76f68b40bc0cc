"""Validity: correlations, convergent and discriminant validity (AVE, composite reliability, Fornell-Larcker,
HTMT), the multitrait-multimethod matrix, and criterion and known-groups validity.
"""

from .construct import *  # noqa: F403
from .mtmm import *  # noqa: F403
from .criterion import *  # noqa: F403

import sys as _sys

# The public names of the pillar are those of its modules.
__all__ = [
    name for module in ("construct", "mtmm", "criterion") for name in _sys.modules[f"{__name__}.{module}"].__all__
]

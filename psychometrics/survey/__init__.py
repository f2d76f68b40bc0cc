"""Survey data: instrument definitions, reading survey files, validation against an instrument, scoring,
the simulated six-site survey and the bundled data sets.
"""

from .instrument import *  # noqa: F403
from .io import *  # noqa: F403
from .validation import *  # noqa: F403
from .scoring import *  # noqa: F403
from .simulate import *  # noqa: F403
from . import datasets

import sys as _sys

# The public names of the pillar are those of its modules.
__all__ = [
    name
    for module in ("instrument", "io", "validation", "scoring", "simulate")
    for name in _sys.modules[f"{__name__}.{module}"].__all__
] + ["datasets"]

"""psychometrics: reliability, validity and factor structure of survey instruments.

Every public function is re-exported here, so ``import psychometrics as pm; pm.cronbach_alpha(df)`` works.
One module per concept: a statistic is found by its name (``psychometrics.reliability``, ``psychometrics.efa``...).
"""

from . import datasets
from ._results import Result
from .errors import *  # noqa: F403
from .reliability import *  # noqa: F403
from .icc import *  # noqa: F403
from .agreement import *  # noqa: F403
from .suitability import *  # noqa: F403
from .polychoric import *  # noqa: F403
from .retention import *  # noqa: F403
from .rotation import *  # noqa: F403
from .efa import *  # noqa: F403
from .omega import *  # noqa: F403
from .model_syntax import *  # noqa: F403
from .cfa import *  # noqa: F403
from .invariance import *  # noqa: F403
from .validity import *  # noqa: F403
from .mtmm import *  # noqa: F403
from .criterion import *  # noqa: F403
from .instrument import *  # noqa: F403
from .survey_io import *  # noqa: F403
from .validation import *  # noqa: F403
from .scoring import *  # noqa: F403
from .simulate import *  # noqa: F403
from .sem.irt import irt, dif, IRTResult, DIFResult

__version__ = "0.1.0"

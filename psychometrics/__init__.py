"""psychometrics: reliability, validity and factor structure of survey instruments.

Every public function is re-exported here, so ``import psychometrics as pm; pm.cronbach_alpha(df)`` works.
The package is laid out by the pillars of the mission: ``reliability``, ``factor`` (EFA), ``sem`` (CFA/SEM engine),
``validity``, ``survey`` (data) and ``report``; a statistic is found by its name in its pillar
(``psychometrics.reliability.omega``, ``psychometrics.factor.efa``, ``psychometrics.sem.cfa`` ...).
"""

from .survey import datasets
from ._results import Result
from .errors import *  # noqa: F403
from .reliability import *  # noqa: F403
from .factor import *  # noqa: F403
from .sem import *  # noqa: F403
from .validity import *  # noqa: F403
from .survey import *  # noqa: F403

__version__ = "0.1.0"

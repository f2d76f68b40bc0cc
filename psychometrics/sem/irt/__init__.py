"""Item response theory: unidimensional logistic Rasch/1PL, 2PL and graded response models by marginal maximum
likelihood, person scores, information, item fit (S-X2), M2 and differential item functioning (DIF).

``irt(data, model=...)`` fits a model (one or several groups); ``dif(data, group, ...)`` tests every item for DIF by
likelihood ratio against the all-equal model.
"""

from ._dif import DIFResult, dif
from ._result import IRTResult, irt

__all__ = ["DIFResult", "IRTResult", "dif", "irt"]

"""One error hierarchy for the whole toolkit.

Every error says *what* is wrong, *where* (row, column, value, model term or group) and *how to fix it*.
Catch :class:`PsychometricsError` to handle any of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .survey.validation import ValidationReport

__all__ = [
    "PsychometricsError",
    "DataError",
    "DataValidationError",
    "ModelError",
    "ModelSyntaxError",
    "IdentificationError",
    "ConvergenceError",
    "SpecError",
]


class PsychometricsError(Exception):
    """Base class of every error the toolkit raises on purpose."""


class DataError(PsychometricsError, ValueError):
    """The data cannot be analysed as given (non-numeric cells, constant items, too few rows, ...)."""


class DataValidationError(DataError):
    """A survey data set breaks the rules of its instrument; ``report`` holds every problem found."""

    def __init__(self, message: str, report: ValidationReport | None = None):
        super().__init__(message)
        self.report = report


class ModelError(PsychometricsError, ValueError):
    """A model is malformed: unknown variables, a latent variable without indicators, bad options."""


class ModelSyntaxError(ModelError):
    """A model string could not be parsed; ``line`` and ``column`` are 1-based."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        where = f" (line {line}, column {column})" if line is not None else ""
        super().__init__(f"{message}{where}")
        self.line = line
        self.column = column


class IdentificationError(ModelError):
    """A model is not identified (negative degrees of freedom, singular information matrix)."""


class ConvergenceError(PsychometricsError, RuntimeError):
    """An iterative estimator failed to converge; ``iterations`` says how far it got."""

    def __init__(self, message: str, iterations: int | None = None):
        super().__init__(message)
        self.iterations = iterations


class SpecError(PsychometricsError, ValueError):
    """An analysis specification or instrument definition is invalid."""

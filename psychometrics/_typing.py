"""Type aliases of the public API's arguments (the docstrings say what each function accepts in detail)."""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Iterable
from typing import Any, Protocol, TypeAlias

import numpy as np
import numpy.typing as npt
import pandas as pd

#: Respondents x items: a DataFrame, or anything ``pandas.DataFrame`` accepts (a 2-D array, nested lists).
ItemData: TypeAlias = pd.DataFrame | npt.ArrayLike
#: Respondents x items, or a square correlation matrix (then ``n_obs`` gives the sample size).
DataOrCorr: TypeAlias = pd.DataFrame | npt.ArrayLike
#: Seed of ``numpy.random.default_rng``: an int, a Generator, or None for fresh entropy.
Seed: TypeAlias = int | np.random.Generator | None
#: A number or an array of numbers (the functions that accept it answer a float, or an array of the same shape).
FloatOrArray: TypeAlias = float | npt.ArrayLike
#: Item names to reverse-score (one name or several); None for none.
Keys: TypeAlias = str | Iterable[Hashable] | None
#: Scores of one occasion: a Series (aligned on its index) or an array (aligned by position).
Scores: TypeAlias = pd.Series | npt.ArrayLike


class Submitter(Protocol):
    """Anything with ``submit`` returning a future: a ``concurrent.futures.Executor`` or a Dask ``Client``."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any: ...


#: A file path: a str or a ``pathlib.Path``.
PathLike: TypeAlias = str | os.PathLike[str]

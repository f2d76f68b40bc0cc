"""One BLAS-threads policy for the whole package: one thread for small matrices, threads for large products.

Most matrices here are items x items (tens to a few hundred rows): there a second BLAS thread only adds
synchronisation, and on a busy machine oversubscribed cores make it far slower (measured on 2 shared cores:
a 100 x 100 ``eigh`` 150 ms with two OpenBLAS threads against 1-2 ms with one; a 10,000 x 30 cross-product
320 ms against 1.2 ms). Functions working on such matrices run under :func:`small_matrices` (one thread); a
product of at least ``THREADED_FLOPS`` floating-point operations (respondents x items cross-products of large
data, bootstrap sums) runs under :func:`threads_for` with the threads BLAS had outside the package's limits, so
a limit the user set (``threadpoolctl.threadpool_limits``, ``OPENBLAS_NUM_THREADS``) is always respected.

threadpoolctl comes with the package's dependencies; without it BLAS keeps its own setting.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

import numpy as np

try:
    from threadpoolctl import ThreadpoolController
except ImportError:  # pragma: no cover - depends on the environment
    ThreadpoolController = None

__all__ = ["THREADED_FLOPS", "cross_product", "single_threaded", "small_matrices", "threads_for"]

THREADED_FLOPS = 1e9  # about 0.1 s on one core: from here on, thread start-up and synchronisation are negligible
_STATE: dict = {"depth": 0, "outer": 1}
_LOCK = threading.Lock()
F = TypeVar("F", bound=Callable)


def _libraries() -> list:
    """The BLAS libraries' threadpoolctl controllers, found once (scanning the loaded libraries is slow; getting
    and setting their threads is then a few microseconds, against 0.35 ms for ``ThreadpoolController.limit``)."""
    if "libraries" not in _STATE:
        found = ThreadpoolController().select(user_api="blas").lib_controllers if ThreadpoolController else []
        _STATE["libraries"] = list(found)
    return _STATE["libraries"]


@contextlib.contextmanager
def _limited(threads: int) -> Iterator[None]:
    """Every BLAS library on ``threads`` threads inside the block; the libraries already there are not touched."""
    changed = _set_threads(threads)
    try:
        yield
    finally:
        _restore(changed)


def _set_threads(threads: int) -> list:
    """Set every BLAS library to ``threads``; returns (library, previous threads) of those changed."""
    libraries = _libraries()
    changed = [(library, library.get_num_threads()) for library in libraries]
    changed = [(library, old) for library, old in changed if old != threads]
    for library, _ in changed:
        library.set_num_threads(threads)
    return changed


def _restore(changed: list) -> None:
    for library, old in changed:
        library.set_num_threads(old)


@contextlib.contextmanager
def single_threaded():
    """Run the block with one BLAS thread. BLAS threads are per process: the first block entered (in any thread)
    sets one thread and the last one left restores the setting; nested and concurrent blocks only count."""
    with _LOCK:
        if not _STATE["depth"]:
            _STATE["outer"] = max([library.get_num_threads() for library in _libraries()], default=1)
            _STATE["restore"] = _set_threads(1)
        _STATE["depth"] += 1
    try:
        yield
    finally:
        with _LOCK:
            _STATE["depth"] -= 1
            if not _STATE["depth"]:
                _restore(_STATE.pop("restore"))


@contextlib.contextmanager
def threads_for(flops: float) -> Iterator[None]:
    """Run one product of ``flops`` operations: on one BLAS thread below THREADED_FLOPS, else with the threads BLAS
    had outside the package's limits."""
    with single_threaded():
        outer = _STATE["outer"]
        if flops < THREADED_FLOPS or outer <= 1:
            yield
        else:
            with _limited(outer):
                yield


def small_matrices(function: F) -> F:
    """Decorator: ``function`` works on small matrices and runs with one BLAS thread (see the module docstring)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with single_threaded():
            return function(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def cross_product(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """a'b (a'a when ``b`` is None, which BLAS computes as a symmetric rank-k update), threaded when large."""
    other = a if b is None else b
    with threads_for(2.0 * a.shape[0] * a.shape[1] * other.shape[1]):
        return a.T @ other

"""The ``--scheduler`` option of the command line: run the work of a command on a ``dask.distributed`` cluster.

``psychometrics report/snapshot SPEC ... --scheduler tcp://host:8786`` runs the sections of every spec on the
cluster's workers (the same results as serially); ``psychometrics power ... --scheduler ...`` runs the
replications there. The workers need psychometrics importable (the same version as the client).
dask.distributed is an optional dependency (``pip install 'psychometrics[dask]'``).
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from typing import Any

from .errors import SpecError

_CONNECT_TIMEOUT = "10s"


def add_scheduler_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on this dask.distributed scheduler (e.g. tcp://10.0.0.5:8786) instead of locally",
    )


@contextlib.contextmanager
def scheduler_client(address: str | None) -> Iterator[Any]:  # a dask.distributed.Client, or None
    """A ``dask.distributed.Client`` connected to ``address`` for the block (closed after), or None without one."""
    if not address:
        yield None
        return
    try:
        from dask.distributed import Client
    except ImportError as exc:
        raise SpecError(
            "--scheduler needs dask.distributed: pip install 'psychometrics[dask]' (or 'dask[distributed]')."
        ) from exc
    try:
        client = Client(address, timeout=_CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise SpecError(
            f"cannot reach the dask scheduler at {address!r} ({exc}); check the address "
            "(tcp://host:port) and that the scheduler is running."
        ) from exc
    with client:
        yield client

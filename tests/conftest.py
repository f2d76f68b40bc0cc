import json
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

REFERENCE_DIR = Path(__file__).parent / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    return REFERENCE_DIR


def load_reference(name: str):
    """Read a JSON file written by one of the tests/reference/*.R scripts."""
    return json.loads((REFERENCE_DIR / name).read_text())


@pytest.fixture(autouse=True, scope="session")
def _single_threaded_blas():
    """The suite's matrices are small: on a 2-core machine BLAS threads only add synchronisation (up to 10x)."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield

import json
from pathlib import Path

import pytest

REFERENCE_DIR = Path(__file__).parent / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    return REFERENCE_DIR


def load_reference(name: str):
    """Read a JSON file written by one of the tests/reference/*.R scripts."""
    return json.loads((REFERENCE_DIR / name).read_text())

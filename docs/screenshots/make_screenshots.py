"""Write one screenshot per section of the main report into docs/screenshots/ (see README.md there)."""

import sys
import tempfile
from pathlib import Path

from psychometrics.report import run_spec
from psychometrics.report.browser import find_chromium, section_screenshots

HERE = Path(__file__).resolve().parent
SPEC = HERE.parent.parent / "analyses" / "peer_support_implementation.yaml"


def main() -> int:
    if find_chromium() is None:
        print("no Chromium on PATH (Debian: apt-get install chromium)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as folder:
        run_spec(SPEC).write(folder)
        for png in section_screenshots(Path(folder) / "report.html", HERE):
            print(png.relative_to(HERE.parent.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main())

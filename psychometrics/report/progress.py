"""A one-line progress bar on stderr, shown only when stderr is a terminal."""

from __future__ import annotations

import sys

__all__ = ["Progress"]


class Progress:
    """``Progress(total)``; call ``advance(label)`` after each step and ``close()`` at the end."""

    width = 30

    def __init__(self, total: int, *, stream=None, enabled: bool | None = None):
        self.total = max(total, 1)
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled

    def advance(self, label: str = "") -> None:
        self.done += 1
        if not self.enabled:
            return
        filled = self.width * self.done // self.total
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {self.done}/{self.total} {label[:40]:<40}")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()

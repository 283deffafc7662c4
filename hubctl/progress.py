"""A one-line text progress bar for long hubctl commands."""

from __future__ import annotations

import sys
from typing import TextIO

BAR_WIDTH = 30


class ProgressBar:
    """A bar such as `[#####-----] 120/500 products`.

    On a terminal it is redrawn in place; elsewhere a line is printed at each tenth of the way.
    """

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self._label = label
        self._stream = stream or sys.stderr
        self._interactive = self._stream.isatty()
        self._last_tenth = -1
        self._drawn = False

    def update(self, done: int, total: int) -> None:
        """Show `done` of `total` items."""
        filled = BAR_WIDTH * done // total if total else BAR_WIDTH
        line = f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {done}/{total} {self._label}"
        if self._interactive:
            self._stream.write(f"\r{line}")
            self._stream.flush()
            self._drawn = True
            return
        tenth = 10 * done // total if total else 10
        if tenth != self._last_tenth:
            self._last_tenth = tenth
            self._stream.write(f"{line}\n")

    def finish(self) -> None:
        """End the line of an in-place bar."""
        if self._drawn:
            self._stream.write("\n")
            self._drawn = False

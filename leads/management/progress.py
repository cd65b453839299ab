"""The progress bar of the long commands (seed_leads, extract_resume_text)."""

import sys
import time


class Progress:
    """A progress bar on stderr: redrawn in place on a terminal, a line per 10% otherwise."""

    def __init__(self, total: int, stream, *, label: str = "Seeding leads"):
        self.total, self.stream, self.started, self.label = total, stream, time.monotonic(), label
        self.tty = bool(stream) and getattr(sys.stderr, "isatty", lambda: False)()
        self.last_tenth = -1
        self.done = 0

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def advance(self, rows: int) -> None:
        self.done += rows
        if not self.stream or not self.total:
            return
        share = self.done / self.total
        bar = "#" * int(share * 30)
        width = len(str(self.total))
        line = f"{self.label} [{bar:<30}] {self.done:>{width}}/{self.total} {self.elapsed():.1f}s"
        self.draw(line, int(share * 10) != self.last_tenth)
        self.last_tenth = int(share * 10)

    def phase(self, what: str, step: int, steps: int) -> None:
        """A step after the rows, e.g. building index 3 of 12."""
        if self.stream:
            self.draw(f"{what} ({step}/{steps}) {self.elapsed():.1f}s", True)

    def draw(self, line: str, new_line: bool) -> None:
        if self.tty:
            self.stream.write("\r\033[K" + line, ending="")
            self.stream.flush()
        elif new_line:
            self.stream.write(line)

    def finish(self) -> None:
        if self.stream and self.tty:
            self.stream.write("")

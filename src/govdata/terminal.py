"""Rich consoles for the command line: wrapped to the terminal when there is one, never wrapped into a log.

Rich wraps at 80 columns when its output is not a terminal (a pipe, `make run > log`, systemd's journal), which
splits long values such as a system credential across lines; those are read and copied from the log."""

from __future__ import annotations

import sys

from rich.console import Console


def make_console(*, stderr: bool = False, quiet: bool = False) -> Console:
    """A console for stdout (or stderr) that does not wrap or crop its lines when that stream is not a TTY."""
    stream = sys.stderr if stderr else sys.stdout
    interactive = bool(getattr(stream, "isatty", lambda: False)())
    return Console(stderr=stderr, quiet=quiet, soft_wrap=not interactive)

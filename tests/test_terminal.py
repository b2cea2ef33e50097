"""The command line does not wrap its output into a log: a long line (a system credential) stays one line."""

from __future__ import annotations

import subprocess
import sys

LONG = "接入系统凭证 测试系统: gd_" + "x" * 150

SCRIPT = f"""
from govdata.cli import console, err
console.print({LONG!r})
err.print({LONG!r})
"""


def test_piped_output_is_not_wrapped_at_80_columns() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "TERM": "xterm"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [LONG]
    assert done.stderr.splitlines() == [LONG]


def test_a_terminal_still_gets_wrapped_output() -> None:
    """On a real terminal (a pseudo-terminal here) Rich keeps wrapping to the window, as people expect."""
    import os
    import pty

    leader, follower = pty.openpty()
    script = f"from govdata.terminal import make_console\nmake_console(stderr=False).print({LONG!r})\n"
    env = {"PATH": "/usr/bin:/bin", "TERM": "xterm", "COLUMNS": "80", "LINES": "24"}
    with subprocess.Popen([sys.executable, "-c", script], stdout=follower, stderr=subprocess.PIPE, env=env) as proc:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert proc.wait(timeout=60) == 0
    os.close(leader)
    lines = [line for line in b"".join(chunks).decode().splitlines() if line.strip()]
    assert len(lines) > 1
    assert all(len(line) <= 80 for line in lines)

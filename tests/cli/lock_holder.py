"""A child process that holds a run folder's ``run.lock`` until the ``with`` block ends."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_HOLD = """
import sys
from pathlib import Path
from unreid.cli.run_folder import RunLock
with RunLock(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.read()  # until the parent closes our stdin
"""


def start_lock_holder(run_dir: Path) -> subprocess.Popen[str]:
    """A child process that has taken ``run_dir``'s lock (and holds it until its stdin closes)."""
    child = subprocess.Popen([sys.executable, "-c", _HOLD, str(run_dir)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "held"
    return child


@contextmanager
def lock_held_by_child(run_dir: Path) -> Iterator[int]:
    """Yields the pid of a child process that holds ``run_dir``'s lock."""
    child = start_lock_holder(run_dir)
    try:
        yield child.pid
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=60)

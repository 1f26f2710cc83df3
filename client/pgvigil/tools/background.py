"""Processes the demo leaves running after it ends (pgvigil serve and the
demo's webhook receiver): each started detached, its pid in
``HOME/run/NAME.pid`` and its output in ``HOME/NAME.log``, and all stopped
by ``pgvigil down``."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path


def pid_file(home: Path, name: str) -> Path:
    return home / "run" / f"{name}.pid"


def start_detached(
    home: Path, name: str, argv: Sequence[str], env: Mapping[str, str] | None = None
) -> int:
    """Starts ``argv`` in its own session (it outlives this process and the
    terminal), stopping the one of the same name first; its pid."""
    stop(home, name)
    (home / "run").mkdir(parents=True, exist_ok=True)
    with open(home / f"{name}.log", "ab") as log:
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            start_new_session=True,
        )
    pid_file(home, name).write_text(f"{process.pid}\n")
    return process.pid


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A child of this process that exited but was not reaped yet is not alive.
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    return True


def stop(home: Path, name: str, timeout: float = 10.0) -> bool:
    """SIGTERM to the process of ``name``, then SIGKILL after ``timeout``;
    whether one was running."""
    path = pid_file(home, name)
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return False
    path.unlink(missing_ok=True)
    if not _alive(pid):
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    return True


def stop_all(home: Path) -> list[str]:
    """Stops every process started here under ``home``; their names."""
    run = home / "run"
    names = sorted(p.stem for p in run.glob("*.pid")) if run.is_dir() else []
    return [name for name in names if stop(home, name)]

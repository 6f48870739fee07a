"""`rotate-keks` runs killed with SIGKILL at chosen points of its progress, for the crash
tests (tests/keys/test_crash_safety.py, tests/secrets/test_rotation_versions.py).

The job prints one JSON progress line per step and batch (stdout is not a terminal), so a
test kills it right after the nth line of an event, never after a sleep."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Callable
from typing import Any

from tests.keys.conftest import REPO, cli

KillPoint = tuple[str, int, bool]  # (event to wait for, how many of them, run with --force)


def run_until(env: dict[str, str], force: bool, event: str, nth: int) -> tuple[int, list[dict]]:
    """One run, killed after the nth `event` line (or run to its end if it never comes)."""
    args = cli("rotate-keks", "--batch-size", "100", *(["--force"] if force else []))
    proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    seen, lines = 0, []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(json.loads(line))
        if lines[-1]["event"] == event:
            seen += 1
            if seen == nth:
                proc.send_signal(signal.SIGKILL)
                break
    proc.communicate(timeout=60)
    return proc.returncode, lines


def kill_at_each(env: dict[str, str], points: list[KillPoint], read: Callable[[], Any], expected: Any) -> int:
    """A run per point, each killed there; after each, `read()` must still give `expected`
    (every value intact). Returns how many runs were killed (a run may end first)."""
    killed = 0
    for event, nth, force in points:
        code, lines = run_until(env, force, event, nth)
        killed += code == -signal.SIGKILL
        assert code in (0, -signal.SIGKILL), lines[-3:]
        assert read() == expected, f"after a kill at {event} #{nth}"
    return killed


def run_to_end(env: dict[str, str]) -> dict:
    """A last run, not killed: it must finish the rotation. Its final progress line."""
    done = subprocess.run(cli("rotate-keks"), cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    end = json.loads(done.stdout.splitlines()[-1])
    assert end["event"] == "end" and end["complete"] is True
    return end

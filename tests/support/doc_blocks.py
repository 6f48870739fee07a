"""Shell blocks of the docs that a test runs: each follows an HTML comment naming it
(`<!-- NAME: ... -->`), so the doc shows plain commands and the test finds them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path


def marked_block(doc: Path, name: str) -> str:
    """The ```sh block right after the `<!-- NAME... -->` comment."""
    match = re.search(rf"<!-- {re.escape(name)}\b.*?-->\n```sh\n(.*?)```", doc.read_text(), re.S)
    assert match, f"{doc.name} lost its block marked {name!r}"
    return match.group(1)


def run_block(script: str, *, env: dict[str, str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """`script` under bash -euo pipefail with only `env` (and PATH, this venv's bin first,
    so `meshhook-secrets` is the checkout's command, as after `scripts/setup`)."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(["bash", "-c", "set -euo pipefail\n" + script], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, env={"PATH": path, **env})

"""Run `meshhook-secrets dev` in a subprocess and read what it prints (for tests)."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from shared.cli.dev.stack import free_port  # noqa: F401 (tests import it from here)

LOGIN_LINE = re.compile(r"^\s+(admin|editor|viewer)\s*:\s*(http://\S+)$")


@dataclass
class DevServer:
    process: subprocess.Popen
    base_url: str
    data_dir: Path
    logins: dict[str, str] = field(default_factory=dict)  # role -> URL with #access_token
    output: list[str] = field(default_factory=list)
    export_line: str = ""  # `export API=… PROJECT=… TOKEN=… RUNNER_TOKEN=…`

    def token(self, role: str) -> str:
        return self.logins[role].split("#access_token=", 1)[1]

    @property
    def project_id(self) -> str:
        return self.logins["admin"].split("/projects/", 1)[1].split("/", 1)[0]

    def stop(self) -> str:
        """Ctrl-C the server (it then stops its embedded Postgres), harder if it hangs."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGINT)
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
            except ProcessLookupError:
                pass
        # Postgres runs in a session of its own; if the server died without stopping it,
        # stop the one serving *this* data folder (its pid is in postmaster.pid).
        for pidfile in self.data_dir.rglob("postmaster.pid"):
            try:
                os.kill(int(pidfile.read_text().split()[0]), signal.SIGTERM)
            except (OSError, ValueError, IndexError):
                pass
        return "\n".join(self.output)


def start_dev_server(data_dir: Path, *, timeout: float = 60.0, extra_args: tuple[str, ...] = ()) -> DevServer:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "shared.cli.main", "dev", "--data-dir", str(data_dir), "--port", str(port),
         *extra_args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"PYTHONUNBUFFERED": "1"},
        start_new_session=True,  # its own process group, so stop() reaches its children too
        cwd=Path(__file__).resolve().parents[1],
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    server = DevServer(process, f"http://127.0.0.1:{port}", data_dir)
    # Ready once it printed a login URL per role and its closing `export API=…` line.
    while len(server.logins) < 3 or not server.export_line:
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            server.stop()
            raise RuntimeError("dev server did not print its logins:\n" + "\n".join(server.output)) from None
        if line is None:
            raise RuntimeError("dev server exited:\n" + "\n".join(server.output))
        server.output.append(line)
        if line.strip().startswith("export API="):
            server.export_line = line.strip()
        match = LOGIN_LINE.match(line)
        if match:
            server.logins[match.group(1)] = match.group(2)

    def drain() -> None:  # keep reading so the server never blocks on a full pipe
        while (line := lines.get()) is not None:
            server.output.append(line)

    threading.Thread(target=drain, daemon=True).start()
    return server
